"""The language people read: translated words, and dates, weekdays and decimal separators from
CLDR (through Babel).

Translations are gettext catalogs (``render/locale/<code>.po``) read as they are: a message
without a translation falls back to English, and a test checks that every message the renderers
use has one in every language. Clinical words whose Dutch we could not confirm stay in English,
with a translator's note in the catalog. Numbers keep the ISMP rules of `model.numbers.written`;
only the decimal separator changes ("0,5" in Dutch). Machine formats are never translated.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from decimal import Decimal
from pathlib import Path

from attrs import frozen

from ivig_schedule.model.numbers import written
from ivig_schedule.model.vocabulary import LANGUAGES
from ivig_schedule.views.views import ContentsView

_ESCAPES = {"n": "\n", "t": "\t", '"': '"', "\\": "\\"}


def _unquote(text: str) -> str:
    body = text.strip()[1:-1]
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(1)), body)


def read_po(text: str) -> dict[str, str]:
    """msgid → msgstr of a gettext catalog (no plurals, no contexts: the project uses none);
    untranslated (empty) messages are left out."""
    found: dict[str, str] = {}
    key: str | None = None
    value: str | None = None
    current: str | None = None
    for line in [*text.splitlines(), ""]:
        stripped = line.strip()
        if stripped.startswith("msgid "):
            if key is not None and value:
                found[key] = value
            key, value, current = _unquote(stripped[6:]), None, "id"
        elif stripped.startswith("msgstr "):
            value, current = _unquote(stripped[7:]), "str"
        elif stripped.startswith('"') and current is not None:
            if current == "id" and key is not None:
                key += _unquote(stripped)
            elif value is not None:
                value += _unquote(stripped)
        elif not stripped:
            if key is not None and value:
                found[key] = value
            key, value, current = None, None, None
    found.pop("", None)
    return found


@functools.cache
def catalog(code: str) -> dict[str, str]:
    """The translations of language `code` (empty for English)."""
    if code == "en":
        return {}
    return read_po((Path(__file__).parent / "locale" / f"{code}.po").read_text(encoding="utf-8"))


@frozen
class Language:
    """Words, numbers and dates in one language."""

    code: str

    def _(self, message: str) -> str:
        """`message` translated (English when the catalog has no translation)."""
        return catalog(self.code).get(message, message)

    def number(self, value: Decimal | int) -> str:
        """A number the ISMP way with the language's decimal separator."""
        text = written(value)
        return text if self.code == "en" else text.replace(".", _decimal(self.code))

    def contents(self, contents: ContentsView) -> str:
        """What a bag holds, in words, or for placebo ``sodium chloride
        0.9% 400 mL (matches 40 g)``, with this language's words and decimal separator; vials as
        count × size (``1 × 30 g + 1 × 10 g``), the one way every output writes them."""
        if contents.kind == "placebo":
            return self._("{solution} {volume} mL (matches {grams} g)").format(
                solution=self._(contents.solution), volume=self.number(contents.ml),
                grams=self.number(contents.matches_g))
        return " + ".join(f"{v.count} × {self.number(v.grams)} g" for v in contents.vials)

    def weekday(self, day: dt.date) -> str:
        """The weekday's name ("Monday", "maandag")."""
        if self.code == "en":
            return f"{day:%A}"
        from babel.dates import format_date

        return str(format_date(day, "EEEE", locale=self.code))


@functools.cache
def _decimal(code: str) -> str:
    from babel.numbers import get_decimal_symbol

    return str(get_decimal_symbol(code))


@functools.cache
def language(code: str) -> Language:
    """The language `code`, one of `LANGUAGES`."""
    if code not in LANGUAGES:
        raise ValueError(f"unknown language {code!r}")
    return Language(code)


ENGLISH = language("en")
