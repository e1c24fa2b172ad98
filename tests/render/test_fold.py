"""Line folding (RFC 5545 3.1): the fast paths fold exactly as the character-by-character rule
does, and every folded line is at most 75 octets, whole UTF-8 characters, escapes unsplit."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from ivig_schedule.render.ics.writer import CRLF, FOLD_AT, fold


def reference(line: str) -> str:
    """The rule one character at a time: a part closes before the character that would bring
    it to 75 octets, and an escape's backslash (or ^) moves to the next part with it."""
    parts: list[str] = []
    current: list[str] = []
    size = 0
    for char in line:
        width = len(char.encode("utf-8"))
        if current and size + width >= FOLD_AT:
            if len(current) > 1 and current[-1] in "\\^":
                carried = current.pop()
                parts.append("".join(current))
                current, size = [carried], len(carried.encode("utf-8"))
            else:
                parts.append("".join(current))
                current, size = [], 0
        current.append(char)
        size += width
    if current:
        parts.append("".join(current))
    return (CRLF + " ").join(parts)


lines = st.text(alphabet=st.sampled_from(["a", "·", "é", "€", "𝄞", "\\", "^", ";", "n", " "]),
                max_size=400)


@given(lines)
def test_fast_fold_equals_the_character_rule(line):
    """Whatever mix of ASCII, two-, three- and four-octet characters and escapes: the same
    folds as the rule, character for character."""
    assert fold(line) == reference(line)


@given(lines)
def test_folded_parts_are_short_whole_and_unfold_back(line):
    """Every physical line is at most 75 octets (the leading space included) and unfolding
    gives the line back."""
    folded = fold(line)
    assert folded.replace(CRLF + " ", "") == line
    for index, part in enumerate(folded.split(CRLF)):
        assert len(part.encode("utf-8")) <= FOLD_AT
        assert index == 0 or part.startswith(" ")


def test_short_lines_with_a_middle_dot_are_not_folded():
    """A title under 75 octets with "·" is written as it is."""
    title = "SUMMARY:IVIg infusion · course 2 · day 1/4"
    assert fold(title) == title


@given(st.one_of(lines, st.text(max_size=120)))
def test_component_lines_fold_as_the_character_rule(line):
    """A calendar component writes each content line folded by the rule, then CRLF."""
    from ivig_schedule.render.ics.writer import component

    name, _, value = f"X:{line}".partition(":")
    assert component("C", [(name, value)]) == f"BEGIN:C{CRLF}{reference(f'X:{line}')}{CRLF}END:C{CRLF}"


@given(st.lists(st.tuples(st.sampled_from(["SUMMARY", "DESCRIPTION", "X-A;P=1"]),
                          st.one_of(lines, st.text(max_size=120))), max_size=5))
def test_lines_and_blocks_fold_each_line_by_the_rule(pairs):
    """`line` folds each content line by the rule and ends it with CRLF; `block` wraps lines and
    child components in BEGIN and END, octet for octet."""
    from ivig_schedule.render.ics.writer import block, line

    for name, value in pairs:
        assert line(name, value) == reference(f"{name}:{value}") + CRLF
    child = f"BEGIN:VALARM{CRLF}ACTION:DISPLAY{CRLF}END:VALARM{CRLF}"
    expected = "".join(reference(f"{n}:{v}") + CRLF for n, v in pairs)
    assert block("VEVENT", [*(line(n, v) for n, v in pairs), child]) == (
        f"BEGIN:VEVENT{CRLF}{expected}{child}END:VEVENT{CRLF}")
