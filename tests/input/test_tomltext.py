"""Malformed and oversized input: one clear error each, with where and what, never a crash."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from ivig_schedule.cli.app import cli
from ivig_schedule.input import tomltext
from ivig_schedule.model.errors import PrescriptionError, show_value

from ..helpers import SAMPLES

GOOD = (SAMPLES / "2g-q4w.toml").read_text()


def plan_file(tmp_path, content: str | bytes, *extra: str):
    path = tmp_path / "rx.toml"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return CliRunner().invoke(cli, ["plan", str(path), "-f", "json", "--today", "2027-01-01",
                                    *extra])


def error_line(result) -> str:
    assert result.exit_code == 1, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert "internal error" not in lines[0]
    return lines[0]


def test_byte_order_mark_is_accepted(tmp_path):
    """A UTF-8 file saved with a byte-order mark plans like one without."""
    assert plan_file(tmp_path, b"\xef\xbb\xbf" + GOOD.encode()).exit_code == 0


@pytest.mark.parametrize(
    ("text", "line", "column"),
    [
        ('[patient]\nweight_kg = 70\nid = """abc\n\n[order]\n', 3, 6),  # multi-line string
        ("[patient]\nweight_kg = [70,\n  71\n", 2, 13),  # array
        ("a = 'it\nb = 1\n", 1, 5),  # literal string ends at the line end
    ],
)
def test_unterminated_values_point_at_where_they_open(text, line, column):
    """Where the parser says only "end of document", the error names the opening line."""
    with pytest.raises(PrescriptionError) as info:
        tomltext.loads(text)
    assert f"at line {line}, column {column}" in str(info.value)


def test_ordinary_syntax_error_keeps_the_parsers_position():
    """A syntax error the parser locates is reported at that line and column."""
    with pytest.raises(PrescriptionError, match="at line 2, column 13"):
        tomltext.loads("[patient]\nweight_kg = = 3\n")


def test_integer_beyond_the_digit_limit(tmp_path):
    """A 5,000-digit integer is an input error, not a ValueError from the interpreter."""
    line = error_line(plan_file(tmp_path, "[patient]\nweight_kg = " + "9" * 5000 + "\n"))
    assert line.startswith("error: (toml): must hold numbers of ordinary size")


@pytest.mark.parametrize("depth", [20, 5000])
def test_deep_nesting(tmp_path, depth):
    """Arrays nested 20 or 5,000 deep are refused with the depth limit."""
    line = error_line(plan_file(tmp_path, "x = " + "[" * depth + "]" * depth + "\n"))
    assert f"must nest at most {tomltext.MAX_DEPTH} levels deep" in line


def test_file_over_the_size_limit(tmp_path):
    """A file over 1 MiB is refused before it is parsed, naming the file and the limit."""
    line = error_line(plan_file(tmp_path, "# " + "x" * (tomltext.MAX_BYTES + 10) + "\n"))
    assert "must be at most 1048576 bytes (1 MiB)" in line


def test_courses_beyond_the_cap(tmp_path):
    """courses = 500 exceeds the documented cap of 100 courses."""
    line = error_line(plan_file(tmp_path, GOOD.replace("courses = 3", "courses = 500")))
    assert line.startswith("error: order.courses: a plan holds at most 100 courses")


def test_nothing_past_the_last_writable_date(tmp_path):
    """A start in December 9999 would run into year 10000: an input error naming order.start
    and the last date every format can write."""
    line = error_line(plan_file(tmp_path, GOOD, "--start", "9999-12-01"))
    assert "order.start: the plan would run past 9997-12-31, the last date" in line


def test_control_characters_in_a_key_are_escaped(tmp_path):
    """ESC, BEL and CR in a key name reach the terminal escaped, exactly like values."""
    text = GOOD.replace("[order]", '[order]\n"a\\u001b]0;pwned\\u0007\\rb" = 1')
    line = error_line(plan_file(tmp_path, text))
    assert "\x1b" not in line and "\x07" not in line and "\r" not in line
    assert 'order.a\\u001b]0;pwned\\u0007\\u000db: unknown key' in line
    assert 'got "a\\u001b]0;pwned\\u0007\\u000db"' in line


def test_c1_controls_and_bidi_overrides_are_escaped():
    """C1 controls (CSI) and right-to-left overrides are escaped too, not only C0."""
    assert show_value("a\x9bb\u202ec") == '"a\\u009bb\\u202ec"'


def test_quoted_values_are_shortened(tmp_path):
    """A value quoted in an error is cut to 60 characters, so a pasted file is not echoed."""
    secret = "placebo-" * 40
    line = error_line(plan_file(tmp_path, GOOD.replace('id = "Q4-0112"', f'id = "{secret}"')))
    assert line.count("placebo") < 10
    assert "…" in line
