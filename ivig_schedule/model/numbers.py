"""How a number is written for people: the one formatter every human-facing output uses.

ISMP's list of error-prone dose designations asks for no trailing zero ("48 mL/h", never
"48.0 mL/h": a missed point reads 480), always a leading zero ("0.5", never ".5"), and no
thousands separator in a dose. Machine formats (JSON, CSV, FHIR) keep plain JSON numbers and do
not use this module.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal

_STEPS = {places: Decimal(1).scaleb(-places) for places in range(7)}


def plain(value: Decimal | int, places: int = 3) -> str:
    """`value` rounded half-even to at most `places` decimals, with no trailing zero.

    ``plain(Decimal("48.0"))`` is ``"48"``, ``plain(Decimal("0.50"))`` is ``"0.5"``,
    ``plain(Decimal("1000"))`` is ``"1000"`` (no separator, no exponent).
    """
    number = Decimal(value).quantize(_STEPS[places], ROUND_HALF_EVEN)
    text = format(number, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def written(value: Decimal | int) -> str:
    """`value` exactly as computed, written the ISMP way: no trailing zero, a leading zero, no
    exponent and no separator (``written(Decimal("48.0"))`` is ``"48"``, ``Decimal("0.50")``
    ``"0.5"``, ``Decimal("1E+3")`` ``"1000"``). Nothing is rounded: the view has already
    rounded what it shows, and a clinical figure such as 0.0125 mL/kg/min stays whole."""
    text = format(Decimal(value).normalize(), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text
