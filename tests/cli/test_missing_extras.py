"""A command that needs an optional extra says which one to install, in one line, exit 1."""

from __future__ import annotations

import importlib.util

from click.testing import CliRunner

from ivig_schedule.cli.app import cli


def test_publish_without_the_caldav_extra_names_it(tmp_path, monkeypatch):
    """With caldav not importable, publish ends with the pip command for the extra (never
    "internal error")."""
    real = importlib.util.find_spec

    def without_caldav(name, *args, **kwargs):
        return None if name == "caldav" else real(name, *args, **kwargs)

    monkeypatch.setattr(importlib.util, "find_spec", without_caldav)
    monkeypatch.setenv("IVIG_CALDAV_PASSWORD", "secret")
    result = CliRunner().invoke(cli, ["publish", str(tmp_path), "--caldav",
                                      "https://dav.example.org/{nurse}/", "--user", "p"])
    assert result.exit_code == 1
    assert "pip install 'ivig-schedule[caldav]'" in result.stderr
    assert "internal error" not in result.output + result.stderr
