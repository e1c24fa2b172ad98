"""Renderers lay out what a view holds; deciding by role belongs to `views` (the one place that
redacts): no renderer compares a view's role."""

from __future__ import annotations

import re

from ..helpers import ROOT

ROLE_TEST = re.compile(r"\.view\s*(==|!=|in\b)|(==|!=)\s*[\"'](pharmacy|nurse|patient|assessor)[\"']")


def test_no_renderer_compares_a_views_role():
    """grep over ivig_schedule/render: no `view.view == ...` and no comparison with a role name."""
    found = [(path.name, number, line.strip())
             for path in sorted((ROOT / "ivig_schedule" / "render").rglob("*.py"))
             for number, line in enumerate(path.read_text().splitlines(), start=1)
             if ROLE_TEST.search(line)]
    assert not found, found
