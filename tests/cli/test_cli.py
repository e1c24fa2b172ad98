"""The command line: exit codes, one-line errors, atomic files, formats."""

from __future__ import annotations

import json

import click
import pytest
from click.testing import CliRunner

from ivig_schedule import __version__
from ivig_schedule.cli.app import COMMANDS, cli

from ..helpers import SAMPLES

PRODERM = str(SAMPLES / "proderm.toml")


def run(*args: str, input: str | None = None):
    return CliRunner().invoke(cli, list(args), input=input)


@pytest.mark.parametrize("command", [[], *([name] for name in sorted(COMMANDS))])
def test_help_everywhere(command):
    """--help works on the group and every command."""
    result = run(*command, "--help")
    assert result.exit_code == 0
    assert "Usage:" in result.output


@pytest.mark.parametrize("width", [60, 80, 200])
def test_group_help_lists_each_commands_own_help(width):
    """The group's listing (made without importing the commands) reads as click would write it
    from every command's own help, at narrow and wide terminals."""
    from ivig_schedule.cli.app import load

    eager = click.Group("cli", commands={name: load(name) for name in COMMANDS},
                        help=cli.help, params=cli.params,
                        context_settings={"help_option_names": ["-h", "--help"]})
    lazy = CliRunner().invoke(cli, ["--help"], terminal_width=width)
    own = CliRunner().invoke(eager, ["--help"], terminal_width=width)
    assert lazy.exit_code == own.exit_code == 0
    assert "tis " in lazy.output and lazy.output == own.output


def test_help_imports_no_command_module():
    """``--help`` imports none of the commands' modules (they load when a command runs)."""
    import subprocess
    import sys

    code = ("import sys\nfrom click.testing import CliRunner\n"
            "from ivig_schedule.cli.app import cli\n"
            "assert CliRunner().invoke(cli, ['--help']).exit_code == 0\n"
            "print(sorted(m for m in sys.modules if m.startswith('ivig_schedule.cli.')))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "['ivig_schedule.cli.app']"


def test_version():
    """--version prints the package version."""
    result = run("--version")
    assert result.exit_code == 0
    assert __version__ in result.output


def test_plan_json_is_the_contract():
    """plan --format json prints the documented top-level fields."""
    result = run("plan", PRODERM, "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert list(data) == ["format", "view", "patient", "regimen", "product", "arm", "courses",
                          "warnings", "visits", "overrides", "limits", "pump", "revision",
                          "changes"]
    assert data["format"] == "ivig-schedule/plan@1"


def test_bad_input_exits_1_with_one_line():
    """A negative weight exits 1 with one line naming field, value and what is allowed."""
    result = run("plan", PRODERM, "--weight", "-5")
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        'error: patient.weight_kg: must be a number of kilograms above 0 (got "-5")']


def test_refused_exits_3_naming_the_rule():
    """MIGHT above 120 kg exits 3 and names the rule."""
    result = run("plan", str(SAMPLES / "might.toml"), "--weight", "130")
    assert result.exit_code == 3
    assert "eligibility.max_weight" in result.output
    assert "Traceback" not in result.output


def test_usage_error_exits_2():
    """An unknown format is a usage error (exit 2)."""
    assert run("plan", PRODERM, "--format", "xml").exit_code == 2


def test_no_file_flags_only(tmp_path):
    """With --weight, --product, --regimen and --start no file is needed."""
    result = run("plan", "--weight", "70", "--product", "octagam-10", "--regimen", "2g-q4w",
                 "--start", "2027-03-01", "--timezone", "Europe/Amsterdam", "-f", "csv")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0].startswith("patient_id,regimen_id,course")


def test_output_file_written(tmp_path):
    """-o writes the rendering to the file and nothing to stdout."""
    target = tmp_path / "plan.json"
    result = run("plan", PRODERM, "-f", "json", "-o", str(target))
    assert result.exit_code == 0
    assert result.output == ""
    assert json.loads(target.read_text())["patient"]["id"] == "PD-0042"
    assert [p.name for p in tmp_path.iterdir()] == ["plan.json"]


def test_failure_leaves_existing_file_untouched(tmp_path):
    """When planning fails, an existing output file keeps its bytes and no temp file remains."""
    target = tmp_path / "plan.json"
    target.write_text("old")
    result = run("plan", PRODERM, "--weight", "0", "-o", str(target))
    assert result.exit_code == 1
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["plan.json"]


def test_failure_mid_write_leaves_nothing(tmp_path, monkeypatch):
    """If the write itself fails, no file (final or temporary) is left behind."""
    import os

    def broken_fsync(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    target = tmp_path / "plan.json"
    result = run("plan", PRODERM, "-f", "json", "-o", str(target))
    assert result.exit_code == 1
    assert list(tmp_path.iterdir()) == []


def test_malformed_toml_is_one_line(tmp_path):
    """Malformed TOML exits 1 with its line and column on one line."""
    bad = tmp_path / "bad.toml"
    bad.write_text("[patient]\nweight_kg = = 3\n")
    result = run("plan", str(bad))
    assert result.exit_code == 1
    assert len(result.output.strip().splitlines()) == 1
    assert "line 2" in result.output


@pytest.mark.parametrize("fmt", ["json", "csv", "table"])
def test_nurse_outputs_identical_across_arms(fmt):
    """For a blinded regimen the nurse output is byte-identical for both arms."""
    active = run("plan", PRODERM, "--view", "nurse", "-f", fmt, "--arm", "active")
    placebo = run("plan", PRODERM, "--view", "nurse", "-f", fmt, "--arm", "placebo")
    assert active.exit_code == placebo.exit_code == 0
    assert active.output == placebo.output
    assert "sodium chloride" not in active.output
    assert "Octagam" not in active.output


@pytest.mark.parametrize("command", ["products", "regimens"])
def test_catalog_listings(command):
    """products and regimens list the catalog as a table and as JSON."""
    table = run(command)
    assert table.exit_code == 0
    data = json.loads(run(command, "--format", "json").output)
    assert data[command]
    assert all(entry["source"] for entry in data[command])


def _imported_after(commands: list[list[str]], modules: tuple[str, ...]) -> list[str]:
    """Which of `modules` a fresh interpreter has imported after running the CLI `commands`
    (each must exit 0)."""
    import subprocess
    import sys

    code = ["import sys", "from click.testing import CliRunner",
            "from ivig_schedule.cli.app import cli"]
    for command in commands:
        code += [f"r = CliRunner().invoke(cli, {command!r})", "assert r.exit_code == 0, r.output"]
    code.append(f"print(sorted(m for m in {modules!r} if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", "\n".join(code)], capture_output=True,
                         text=True, check=True)
    import ast

    return list(ast.literal_eval(out.stdout.strip()))  # the child printed a list of names


def test_json_path_does_not_import_heavy_libraries():
    """--help and --format json never import rich or icalendar (fast start)."""
    assert _imported_after([["plan", PRODERM, "-f", "json"], ["--help"]],
                           ("rich", "icalendar")) == []


HISTORY_MODULES = ("ivig_schedule.engine.changes", "ivig_schedule.engine.revisions",
                   "ivig_schedule.engine.tis", "ivig_schedule.model.changes",
                   "ivig_schedule.model.sent", "ivig_schedule.views.recorded",
                   "ivig_schedule.views.trail")
"""What only a recorded history, a calendar sent before, a TIS or the trail needs."""


def test_a_plan_without_changes_imports_no_history_machinery():
    """ProDERM's sample has no recorded change: its JSON plan imports none of the history's
    records and rules, the revisions, the TIS scoring or the calculation trail; the table,
    which prints the trail, does import the trail (so the check can see an import)."""
    assert _imported_after([["plan", PRODERM, "-f", "json"]], HISTORY_MODULES) == []
    assert _imported_after([["plan", PRODERM, "--view", "pharmacy"]], HISTORY_MODULES) == [
        "ivig_schedule.views.trail"]


def test_a_plan_with_a_history_imports_what_the_history_needs():
    """A sample with a recorded delay imports the change records and rules, the revisions and
    the pharmacy's view of the changes; still no TIS (no response) and no sent calendar."""
    delayed = str(SAMPLES / "roster" / "rx-proderm-delayed.toml")
    assert _imported_after([["plan", delayed, "-f", "json", "--view", "pharmacy"]],
                           HISTORY_MODULES) == [
        "ivig_schedule.engine.changes", "ivig_schedule.engine.revisions",
        "ivig_schedule.model.changes", "ivig_schedule.views.recorded"]


def test_existing_output_needs_force(tmp_path):
    """An existing -o file is not overwritten without --force; with it, it is replaced."""
    target = tmp_path / "plan.json"
    target.write_text("keep me")
    refused = run("plan", PRODERM, "-f", "json", "-o", str(target))
    assert refused.exit_code == 1
    assert "--force" in refused.output
    assert target.read_text() == "keep me"
    forced = run("plan", PRODERM, "-f", "json", "-o", str(target), "--force")
    assert forced.exit_code == 0
    assert json.loads(target.read_text())["format"] == "ivig-schedule/plan@1"


def test_failure_mid_render_leaves_no_file(tmp_path, monkeypatch):
    """A renderer that fails half-way creates no file and prints one line, no traceback."""
    from ivig_schedule.render import records

    def broken(record):
        raise RuntimeError("renderer failed half-way")

    monkeypatch.setattr(records, "to_json", broken)
    target = tmp_path / "plan.json"
    result = run("plan", PRODERM, "-f", "json", "-o", str(target))
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("args", "error"), [
    (("plan", PRODERM, "--weight", "-5"), "PrescriptionError"),
    (("plan", PRODERM, "--weight", "400"), "RefusedBySafetyRule"),
    (("explain", PRODERM, "--weight", "400"), "RefusedBySafetyRule"),
    (("check", PRODERM, "--limits", str(SAMPLES / "proderm.toml")), "CatalogError"),
    (("plan", PRODERM, "-o", "/nonexistent-folder/x.txt"), "OutputError"),
])
def test_debug_shows_a_traceback_for_every_kind_of_failure(args, error):
    """With --debug the project's error itself reaches the caller (a traceback to report),
    for an input error, a refusal, a bad limits file and an output failure alike; without it,
    the same failure is one line and an exit code."""
    plain = run(*args, "--today", "2027-01-01")
    assert plain.exit_code in (1, 3) and isinstance(plain.exception, SystemExit)
    assert len(plain.stderr.strip().splitlines()) == 1
    debugged = run(*args, "--today", "2027-01-01", "--debug")
    assert type(debugged.exception).__name__ == error


def test_accept_needs_reason():
    """--accept without --reason is a usage error."""
    assert run("plan", PRODERM, "--accept", "weight.range").exit_code == 2


def test_accept_records_override_in_table():
    """An accepted soft limit shows in the table with its reason."""
    result = run("plan", PRODERM, "--weight", "155", "--accept", "weight.range", "--reason",
                 "weighed on the ward scale", "--today", "2027-01-01")
    assert result.exit_code == 0, result.output
    assert "weight.range: 155 kg beyond 150 kg; reason: weighed on the ward scale" in result.output


def test_limits_file_recorded_in_json(tmp_path):
    """--limits FILE is used and recorded with its version."""
    limits = tmp_path / "limits.toml"
    limits.write_text('name = "Local"\nversion = "9"\n[[rule]]\nid = "w"\nquantity = '
                      '"weight_kg"\nunit = "kg"\nupper_hard = 500\nmessage = "m"\nsource = "s"\n')
    result = run("plan", PRODERM, "-f", "json", "--limits", str(limits))
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["limits"] == {"name": "Local", "version": "9",
                                                   "source": str(limits)}


def test_bad_limits_file_is_one_line(tmp_path):
    """A broken limits file is one error line naming the file, exit 1."""
    limits = tmp_path / "limits.toml"
    limits.write_text('name = "x"\nversion = "1"\n[[rule]]\nid = "w"\n')
    result = run("plan", PRODERM, "--limits", str(limits))
    assert result.exit_code == 1
    assert result.output.startswith(f"error: {limits}: rule[0]")


@pytest.mark.parametrize("columns", [None, "70", "0", "-5", "abc", "500", "59"])
def test_width_reads_the_terminal_as_shutil_does(monkeypatch, columns):
    """The table width follows COLUMNS as shutil.get_terminal_size would, kept within 60-200."""
    import shutil

    from ivig_schedule.cli.common import width

    if columns is None:
        monkeypatch.delenv("COLUMNS", raising=False)
    else:
        monkeypatch.setenv("COLUMNS", columns)
    assert width() == max(60, min(200, shutil.get_terminal_size((100, 24)).columns))
