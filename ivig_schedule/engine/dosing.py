"""Dosing weight, course grams, vial rounding, the day split and the vial choice.

All arithmetic on grams is done in whole *units*: the largest step that divides every vial size
(2.5 g for Privigen's 2.5/5/10/20/40 g, 1 g for Octagam's 2/5/10/20/30 g). Whole units keep the
vial search exact and let a day's total be checked against the vials without any rounding.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator, Sequence
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal

import attrs

from ivig_schedule.model import formulas
from ivig_schedule.model.errors import PrescriptionError
from ivig_schedule.model.inputs import DosingPolicy, Patient
from ivig_schedule.model.numbers import plain
from ivig_schedule.model.plan import (
    Calc,
    Dispense,
    DosingWeight,
    PlaceboContents,
    ProductContents,
    RoundingTrail,
    VialCount,
)
from ivig_schedule.model.units import CM_PER_IN, CM_PER_M, KG_PER_LB, MG_PER_G
from ivig_schedule.model.vocabulary import DosingWeightBasis, Rounding

DEVINE_BASE_KG = {"male": Decimal(50), "female": Decimal("45.5")}
"""Devine (1974), as used by the Australian NBA BloodSTAR calculator and Ontario's IG tool."""
DEVINE_KG_PER_INCH = Decimal("2.3")
DEVINE_FROM_INCHES = Decimal(60)
ADJUSTED_FACTOR = Decimal("0.4")
"""NBA dose-determining weight: IBW + 0.4 × (actual − IBW)."""
AUTO_BMI_ABOVE = Decimal(30)
"""Ontario: the adjusted-weight calculator must be used for obese patients (BMI > 30)."""
DEVINE_MIN_HEIGHT_CM = Decimal("152.4")
"""Ontario's IG dose calculator applies from 152.4 cm (60 in), where the Devine formula starts
(2.3 kg per inch over 60 in); below it the actual weight is the dosing weight."""

_TABLE_BLOCK = 128
"""A vial table covers whole blocks of this many grains, so that nearby totals share one table
(a table is remade, a block larger, only when a larger total is asked for; 128 grains of 1 g
cover a 2 g/kg course up to 64 kg, and one more block up to 128 kg)."""
UNROUNDED_STEP_G = Decimal("0.1")
"""With rounding ``none`` grams are kept to 0.1 g, the resolution the outputs show."""


def ideal_body_weight_kg(height_cm: Decimal, sex: str) -> Decimal:
    """Devine ideal body weight: 50 kg (male) or 45.5 kg (female) + 2.3 kg per inch over 60 in."""
    inches = height_cm / CM_PER_IN
    return DEVINE_BASE_KG[sex] + DEVINE_KG_PER_INCH * (inches - DEVINE_FROM_INCHES)


def _ideal_calc(height_cm: Decimal, sex: str, ideal_kg: Decimal) -> Calc:
    """The Devine ideal body weight as a step of the calculation trail."""
    return Calc(f"IBW (Devine, {sex})", formulas.IDEAL_WEIGHT,
                (("base", DEVINE_BASE_KG[sex]), ("per_inch", DEVINE_KG_PER_INCH),
                 ("height", height_cm), ("cm_per_in", CM_PER_IN),
                 ("from_inches", DEVINE_FROM_INCHES)), ideal_kg, "kg")


def _pounds(patient: Patient) -> tuple[Calc, ...]:
    """The pound-to-kilogram conversion, when the weight was written in pounds."""
    if patient.weight_lb is None:
        return ()
    return (Calc("weight", formulas.POUNDS,
                 (("pounds", patient.weight_lb), ("kg_per_lb", KG_PER_LB)),
                 patient.weight_kg, "kg"),)


def dosing_weight(patient: Patient, basis: DosingWeightBasis) -> DosingWeight:
    """Dosing weight for `basis`, with the formulas applied; ideal, adjusted and auto need
    height and sex.

    Adjusted is IBW + 0.4 × (actual − IBW). The Devine formula applies from 152.4 cm (60 in):
    below it every basis uses the actual weight, and ideal or adjusted say so (`fallback`, a soft
    warning naming the height). Auto uses adjusted when BMI > 30 and the height is at least
    152.4 cm, and actual otherwise. The result never exceeds the actual weight.
    """
    actual = patient.weight_kg
    trail = _pounds(patient)
    if basis == "actual":
        known = _bmi(patient)
        return DosingWeight(kg=actual, basis=basis, used="actual",
                            reason="actual body weight, as ordered",
                            trail=trail + ((known[1],) if known else ()),
                            bmi_kg_per_m2=known[0] if known else None,
                            weight_kg=actual, weight_input=patient.weight_input)
    if patient.height_cm is None:
        raise PrescriptionError(
            "patient.height_cm", None, f"required for dosing_weight = {basis!r}; give the height"
        )
    if patient.sex is None:
        raise PrescriptionError(
            "patient.sex", None, f"required for dosing_weight = {basis!r}; allowed: female, male"
        )
    height = patient.height_cm
    tall = height >= DEVINE_MIN_HEIGHT_CM
    known = _bmi(patient)
    assert known is not None
    bmi, bmi_calc = known
    if not tall:
        obese = bmi > AUTO_BMI_ABOVE
        reason = (f"auto: adjusted weight applies when BMI > {AUTO_BMI_ABOVE} and height ≥ "
                  f"{DEVINE_MIN_HEIGHT_CM} cm; BMI {plain(bmi)}, height {plain(height)} cm → "
                  "actual" if basis == "auto" else
                  f"{basis} body weight was ordered, but the Devine formula applies from "
                  f"{DEVINE_MIN_HEIGHT_CM} cm (60 in); height {plain(height)} cm → actual")
        fallback = ""
        if basis != "auto" or obese:
            fallback = (f"dosing weight {basis}: the height {plain(height)} cm is below "
                        f"{DEVINE_MIN_HEIGHT_CM} cm (60 in), where the Devine formula does not "
                        f"apply, so the actual weight {plain(actual)} kg is used"
                        + (f" although BMI {plain(bmi)} is above {AUTO_BMI_ABOVE}"
                           if obese else "") + "; check the dose with the prescriber")
        return DosingWeight(kg=actual, basis=basis, used="actual", bmi_kg_per_m2=bmi,
                            reason=reason, trail=(*trail, bmi_calc), fallback=fallback,
                            weight_kg=actual, weight_input=patient.weight_input)
    ideal = ideal_body_weight_kg(height, patient.sex)
    trail += (_ideal_calc(height, patient.sex, ideal), bmi_calc)
    used: DosingWeightBasis = basis
    reason = f"{basis} body weight, as ordered"
    if basis == "auto":
        used = "adjusted" if bmi > AUTO_BMI_ABOVE else "actual"
        reason = (f"auto: adjusted weight applies when BMI > {AUTO_BMI_ABOVE} and height ≥ "
                  f"{DEVINE_MIN_HEIGHT_CM} cm; BMI {plain(bmi)}, height {plain(height)} cm → "
                  f"{used}")
    if used == "ideal":
        kg = ideal
    elif used == "adjusted":
        kg = ideal + ADJUSTED_FACTOR * (actual - ideal)
        trail += (Calc("adjusted", formulas.ADJUSTED_WEIGHT,
                       (("ideal", ideal), ("factor", ADJUSTED_FACTOR), ("weight", actual)),
                       kg, "kg"),)
    else:
        kg = actual
    if kg > actual:
        reason += f"; the formula gives {plain(kg)} kg, above the actual weight, so actual is used"
    return DosingWeight(kg=min(kg, actual), basis=basis, used=used, ideal_kg=ideal,
                        bmi_kg_per_m2=bmi, reason=reason, trail=trail, weight_kg=actual,
                        weight_input=patient.weight_input)


def _bmi(patient: Patient) -> tuple[Decimal, Calc] | None:
    """Body-mass index and its calculation, when the height is known."""
    if patient.height_cm is None:
        return None
    height_m = patient.height_cm / CM_PER_M
    bmi = patient.weight_kg / (height_m * height_m)
    return bmi, Calc("BMI", formulas.BMI, (("weight", patient.weight_kg), ("height_m", height_m)),
                     bmi, "kg/m²")


def age_years(birth_date: dt.date, on: dt.date) -> int:
    """Whole years of age on `on` (a birthday counts from its day)."""
    return on.year - birth_date.year - ((on.month, on.day) < (birth_date.month, birth_date.day))


def policy_weight(patient: Patient, policy: DosingPolicy, on: dt.date,
                  opted_out: bool) -> DosingWeight:
    """The dosing weight a dosing policy gives on `on` (the course's first scheduled day, for the
    age exclusion), with the rule that chose it and why (`DosingWeight.reason`, `excluded`).

    Exclusions are checked first, in the policy's order (pregnancy, age, height, weight floor);
    any of them gives the actual weight and names itself. Then the policy's rule; an adjusted
    weight above the actual weight gives the actual weight ("actual below adjusted"). The
    Devine formula is used only from 152.4 cm, whatever the policy's own height floor.
    `opted_out` (``dosing_weight = "actual"`` under the policy) gives the actual weight.
    """
    actual = patient.weight_kg
    trail = _pounds(patient)
    bmi = _bmi(patient)
    if bmi is not None:
        trail += (bmi[1],)
    basis: DosingWeightBasis = {"actual": "actual", "adjusted": "adjusted"}.get(
        policy.weight, "auto")  # type: ignore[assignment]
    tag = f"policy {policy.id}"

    def as_actual(reason: str, excluded: str = "") -> DosingWeight:
        return DosingWeight(kg=actual, basis=basis, used="actual", reason=f"{tag}: {reason}",
                            trail=trail, bmi_kg_per_m2=bmi[0] if bmi else None,
                            weight_kg=actual, weight_input=patient.weight_input,
                            policy=policy.id, excluded=excluded, opted_out=opted_out)

    if opted_out:
        return as_actual("opted out (dosing_weight = \"actual\"): actual body weight; "
                         f"the opt-out needs {policy.opt_out or 'a reason'}")
    if policy.weight == "actual":
        return as_actual("actual body weight")
    if patient.height_cm is None or patient.sex is None:
        field, allowed = (("patient.height_cm", "give the height") if patient.height_cm is None
                          else ("patient.sex", "allowed: female, male"))
        raise PrescriptionError(field, None, f"required by dosing_policy {policy.id!r} (the "
                                f"Devine ideal body weight); {allowed}")
    height = patient.height_cm
    exclusions: list[str] = []
    if policy.exclude_pregnant and patient.pregnant:
        exclusions.append("pregnant")
    if policy.min_age_years is not None:
        if patient.birth_date is None:
            raise PrescriptionError(
                "patient.birth_date", None,
                f"required by dosing_policy {policy.id!r}: patients under "
                f"{policy.min_age_years} years are dosed on the actual weight")
        age = age_years(patient.birth_date, on)
        if age < policy.min_age_years:
            exclusions.append(f"age {age} years, under {policy.min_age_years}")
    if policy.min_height_cm is not None and height < policy.min_height_cm:
        exclusions.append(f"height {plain(height)} cm, below {plain(policy.min_height_cm)} cm")
    elif height < DEVINE_MIN_HEIGHT_CM:
        exclusions.append(f"height {plain(height)} cm, below {DEVINE_MIN_HEIGHT_CM} cm (60 in), "
                          "where the Devine formula starts")
    floor = dict(policy.min_weight_kg).get(patient.sex)
    if floor is not None and actual <= floor:
        exclusions.append(f"weight {plain(actual)} kg, not above {plain(floor)} kg "
                          f"({patient.sex})")
    if exclusions:
        text = "; ".join(exclusions)
        return as_actual(f"actual body weight: excluded from the adjusted weight ({text})",
                         excluded=text)
    ideal = ideal_body_weight_kg(height, patient.sex)
    factor = policy.adjusted_factor
    assert factor is not None
    adjusted = ideal + factor * (actual - ideal)
    trail += (
        _ideal_calc(height, patient.sex, ideal),
        Calc("adjusted", formulas.ADJUSTED_WEIGHT,
             (("ideal", ideal), ("factor", factor), ("weight", actual)), adjusted, "kg"),
    )
    bmi_value = bmi[0] if bmi else None
    if policy.weight == "adjusted-above-bmi":
        assert policy.bmi_above is not None and bmi_value is not None
        use = bmi_value > policy.bmi_above
        why = (f"BMI {plain(bmi_value)} {'>' if use else '≤'} {plain(policy.bmi_above)}")
    elif policy.weight == "adjusted-above-ibw-percent":
        assert policy.ibw_percent_above is not None
        percent = actual / ideal * 100
        use = percent > policy.ibw_percent_above
        why = (f"actual weight {plain(percent.quantize(Decimal('0.1')))}% of IBW "
               f"{'>' if use else '≤'} {plain(policy.ibw_percent_above)}%")
    else:
        use, why = True, "every patient not excluded"
    if not use:
        return attrs.evolve(as_actual(f"actual body weight ({why})"), ideal_kg=ideal, trail=trail)
    if adjusted > actual:
        return attrs.evolve(
            as_actual(f"actual body weight: the adjusted weight {plain(adjusted)} kg is above "
                      "the actual weight (actual below adjusted)",
                      excluded="actual weight below the adjusted weight"),
            ideal_kg=ideal, trail=trail)
    return DosingWeight(kg=adjusted, basis=basis, used="adjusted",
                        reason=f"{tag}: adjusted weight ({why})", trail=trail, ideal_kg=ideal,
                        bmi_kg_per_m2=bmi_value, weight_kg=actual,
                        weight_input=patient.weight_input, policy=policy.id)


def policy_round(prescribed_g: Decimal, step_g: Decimal, rounding: Rounding) -> Decimal:
    """The course dose rounded to a multiple of a policy's `step_g` (e.g. Ontario's nearest
    5 g, half up); with the order's rounding ``down``, the multiple at or below."""
    mode = ROUND_FLOOR if rounding == "down" else ROUND_HALF_UP
    return (prescribed_g / step_g).quantize(Decimal(1), rounding=mode) * step_g


def prescribed_grams(dose_g_per_kg: Decimal, weight_kg: Decimal) -> Decimal:
    """Course grams before rounding: g/kg × dosing weight."""
    return dose_g_per_kg * weight_kg


def volume_ml(grams: Decimal, concentration_mg_per_ml: Decimal) -> Decimal:
    """Bag volume in mL: grams × 1000 ÷ mg/mL, to 0.1 mL."""
    return (grams * MG_PER_G / concentration_mg_per_ml).quantize(Decimal("0.1"))


# --- vials ----------------------------------------------------------------------------


def _grain(sizes_g: Sequence[Decimal]) -> Decimal:
    """Largest step in grams that divides every size (e.g. 2.5 for 2.5/5/10/20/40)."""
    places = max(max(0, -int(s.normalize().as_tuple().exponent)) for s in sizes_g)
    scale = Decimal(10) ** places
    return Decimal(math.gcd(*(int(s * scale) for s in sizes_g))) / scale


class VialTable:
    """Fewest whole vials for every total from 0 to `limit` grains, as counts.

    Only the counts are tabled (integers, one pass per vial size); a total's vials are read back
    when asked for: the largest vial whose remainder needs one vial fewer, then the same for the
    remainder. That is the combination with the fewest vials that, of those, compares largest
    largest-vial-first (a tie prefers the larger vials), as a table of whole combinations would
    give (a test compares the two for every total).
    """

    __slots__ = ("_counts", "_sizes_desc")

    def __init__(self, sizes_units: tuple[int, ...], limit: int) -> None:
        self._sizes_desc = tuple(sorted(sizes_units, reverse=True))
        self._counts = _fewest_counts(self._sizes_desc, limit)

    def __len__(self) -> int:
        return len(self._counts)

    def reachable(self, units: int) -> bool:
        """True when whole vials make exactly `units` grains (0 is made of no vials)."""
        return self._counts[units] < _UNREACHABLE

    def combination(self, units: int) -> tuple[int, ...] | None:
        """The vials, largest first, that make exactly `units` grains; None when none do."""
        counts = self._counts
        if counts[units] >= _UNREACHABLE:
            return None
        chosen: list[int] = []
        while units:
            fewer = counts[units] - 1
            size = next(s for s in self._sizes_desc if s <= units and counts[units - s] == fewer)
            chosen.append(size)
            units -= size
        return tuple(chosen)


_UNREACHABLE = 1 << 62
"""The count of a total no whole vials make (larger than any real count)."""


def _fewest_counts(sizes_desc: tuple[int, ...], limit: int) -> tuple[int, ...]:
    """For every total 0..limit grains: the fewest vials that make it, or `_UNREACHABLE`."""
    counts = [0] + [_UNREACHABLE] * limit
    for size in sizes_desc:
        for total in range(size, limit + 1):
            fewer = counts[total - size] + 1
            if fewer < counts[total]:  # noqa: PLR1730 (min() is a call per total: the hot loop)
                counts[total] = fewer
    return tuple(counts)


class VialSet:
    """The vial sizes of one product, with exact whole-vial arithmetic, for one plan.

    The engine makes one per product of a plan (`compute`), so a course at one dose is worked
    out once: the fewest-vial table is built once (in blocks of `_TABLE_BLOCK` grains, larger
    only when a larger total is asked for), and each total's vials and each split of a total
    over a number of days are found once. Nothing outlives the plan: there is no module-level
    state, and a roster's memory does not grow with its patients.

    Attributes:
        sizes_g: Vial sizes in grams.
        concentration_mg_per_ml: Used to give each vial's volume.
        grain_g: The largest step in grams that divides every size.
    """

    __slots__ = ("_at_least", "_exactly", "_splits", "_table", "concentration_mg_per_ml",
                 "grain_g", "sizes_g", "sizes_units")

    def __init__(self, sizes_g: tuple[Decimal, ...], concentration_mg_per_ml: Decimal) -> None:
        self.sizes_g, self.concentration_mg_per_ml = sizes_g, concentration_mg_per_ml
        self.grain_g = _grain(sizes_g)
        self.sizes_units: tuple[int, ...] = tuple(
            sorted((int(s / self.grain_g) for s in sizes_g), reverse=True))  # largest first
        self._table: VialTable | None = None
        self._exactly: dict[int, tuple[VialCount, ...] | None] = {}
        self._at_least: dict[int, tuple[VialCount, ...]] = {}
        self._splits: dict[tuple[int, int], tuple[int, ...] | None] = {}

    def __repr__(self) -> str:
        return f"VialSet(sizes_g={self.sizes_g!r}, concentration_mg_per_ml=" \
               f"{self.concentration_mg_per_ml!r})"

    def units(self, grams: Decimal) -> int:
        """Grams that are a whole number of grains, as that number."""
        return int(grams / self.grain_g)

    def grams(self, units: int) -> Decimal:
        """A whole number of grains, in grams."""
        return (self.grain_g * units).normalize() + Decimal("0.0")

    def table(self, limit_units: int) -> VialTable:
        """Fewest-vial combinations for every total up to at least `limit_units`."""
        table = self._table
        if table is None or len(table) <= limit_units:
            padded = -(-max(limit_units, 1) // _TABLE_BLOCK) * _TABLE_BLOCK
            table = self._table = VialTable(self.sizes_units, padded)
        return table

    def makeable(self, units: int) -> bool:
        """True when whole vials make exactly `units` grains (zero is not a dose)."""
        return units > 0 and self.table(units).reachable(units)

    def vials_for(self, grams: Decimal) -> tuple[VialCount, ...]:
        """Fewest whole vials that make exactly `grams`; ties prefer larger vials."""
        units = self.units(grams)
        found = self._exact(units) if units * self.grain_g == grams else None
        if found is None:
            raise ValueError(f"{grams} g cannot be made from whole vials")  # engine bug if hit
        return found

    def cover(self, grams: Decimal) -> tuple[VialCount, ...]:
        """Fewest whole vials whose total is the smallest at or above `grams` (partial use)."""
        start = int((grams / self.grain_g).to_integral_value(ROUND_CEILING))
        if start not in self._at_least:
            limit = start + self.sizes_units[0]
            table = self.table(limit)
            combo = next(c for c in (table.combination(u) for u in range(max(start, 1), limit + 1))
                         if c is not None)  # a total within one largest vial is reachable
            self._at_least[start] = self._count(combo)
        return self._at_least[start]

    def split(self, total: int, days: int) -> tuple[int, ...] | None:
        """`split_days` in grains (None when no split exists), found once per total and days."""
        key = (total, days)
        if key not in self._splits:
            self._splits[key] = _split_units(self.table(total), total, days)
        return self._splits[key]

    def _exact(self, units: int) -> tuple[VialCount, ...] | None:
        if units not in self._exactly:
            combo = self.table(units).combination(units)
            self._exactly[units] = None if combo is None else self._count(combo)
        return self._exactly[units]

    def _count(self, combo: tuple[int, ...]) -> tuple[VialCount, ...]:
        counts: dict[int, int] = {}
        for size in combo:
            counts[size] = counts.get(size, 0) + 1
        return tuple(
            VialCount(
                grams=self.grams(size),
                ml=self.grams(size) * MG_PER_G / self.concentration_mg_per_ml,
                count=count,
            )
            for size, count in sorted(counts.items(), reverse=True)
        )


def dispense(contents: Sequence[ProductContents | PlaceboContents], grams: Decimal) -> Dispense:
    """A course's dispensing: vials summed by size, or one saline bag per day."""
    totals: dict[tuple[Decimal, Decimal], int] = {}
    bags: list[Decimal] = []
    for day in contents:
        if isinstance(day, PlaceboContents):
            bags.append(day.ml)
            continue
        for vial in day.vials:
            totals[vial.grams, vial.ml] = totals.get((vial.grams, vial.ml), 0) + vial.count
    vials = tuple(VialCount(g, ml, n) for (g, ml), n in sorted(totals.items(), reverse=True))
    volume = sum(bags, Decimal(0)) + sum((v.ml * v.count for v in vials), Decimal(0))
    return Dispense(vials=vials, bags_ml=tuple(bags), grams=grams, volume_ml=volume)


def unrounded_vial_set(concentration_mg_per_ml: Decimal) -> VialSet:
    """A pseudo vial set of 0.1 g, used for rounding ``none`` (partial vials)."""
    return VialSet(sizes_g=(UNROUNDED_STEP_G,), concentration_mg_per_ml=concentration_mg_per_ml)


def vial_neighbours(prescribed_g: Decimal, vials: VialSet) -> tuple[Decimal | None, Decimal]:
    """The largest whole-vial total at or below the dose (None if none) and the smallest above."""
    exact_units = prescribed_g / vials.grain_g
    below = int(exact_units.to_integral_value(ROUND_FLOOR))
    above = int(exact_units.to_integral_value(ROUND_CEILING))
    limit = above + max(vials.sizes_units)
    table = vials.table(limit)
    down = next((u for u in range(below, 0, -1) if table.reachable(u)), None)
    up = next(u for u in range(max(above, 1), limit + 1) if table.reachable(u))
    return (None if down is None else vials.grams(down)), vials.grams(up)


def round_course(prescribed_g: Decimal, vials: VialSet,
                 rounding: Rounding) -> tuple[Decimal, RoundingTrail]:
    """Round the prescribed course grams to a total whole vials can make, with the trail (the
    whole-vial totals either side).

    ``nearest-vial`` takes the nearest makeable total (a tie goes down); ``down`` the largest
    makeable total at or below; ``none`` uses `vials` = `unrounded_vial_set` so it rounds to the
    nearest 0.1 g. When ``down`` finds no whole vial at or below the dose, the course is rounded
    up and the trail says so (`RoundingTrail.fell_back`): the limits refuse such a plan, the
    engine does not.
    """
    down, up = vial_neighbours(prescribed_g, vials)
    trail = RoundingTrail(method=rounding, grain_g=vials.grain_g, below_g=down, above_g=up,
                          fell_back=rounding == "down" and down is None)
    if rounding == "down":
        return (up if down is None else down), trail
    if down is None:
        return up, trail
    return (down if prescribed_g - down <= up - prescribed_g else up), trail


def _sequences(total: int, count: int, values_desc: Sequence[int]) -> Iterator[tuple[int, ...]]:
    """Non-increasing `count`-tuples drawn from `values_desc` that sum to `total`."""
    if count == 0:
        if total == 0:
            yield ()
        return
    if not values_desc or total < count * values_desc[-1] or total > count * values_desc[0]:
        return
    for i, value in enumerate(values_desc):
        for rest in _sequences(total - value, count - 1, values_desc[i:]):
            yield (value, *rest)


def split_days(total_g: Decimal, days: int, vials: VialSet) -> tuple[Decimal, ...]:
    """Split a course total over `days` consecutive days, each a whole-vial total.

    The days are as even as possible (smallest max − min), then the smallest sum of squares;
    larger days come first. Raises `PrescriptionError` when no split exists.
    """
    split = vials.split(vials.units(total_g), days)
    if split is None:
        raise PrescriptionError(
            "order.days_per_course",
            days,
            f"{plain(total_g)} g cannot be split into {days} days of whole vials; choose fewer "
            "days",
        )
    return tuple(vials.grams(v) for v in split)


def _split_units(table: VialTable, total: int, days: int) -> tuple[int, ...] | None:
    """`split_days` in grains (None when no split exists)."""
    if not _splittable(total, days, table):
        return None
    for spread in range(total + 1):
        solutions: list[tuple[int, ...]] = []
        low_from = max(1, -((spread * days - total) // days))  # ceil(total / days - spread)
        for low in range(low_from, total // days + 1):  # floor(total / days)
            high = low + spread
            if high > total or not table.reachable(low) or not table.reachable(high):
                continue
            values = [v for v in range(high, low - 1, -1) if table.reachable(v)]
            solutions.extend(
                s for s in _sequences(total, days, values) if s[0] == high and s[-1] == low
            )
        if solutions:
            return min(solutions, key=lambda s: (sum(v * v for v in s), tuple(-v for v in s)))
    raise AssertionError("a splittable total always has a split")


def _splittable(total: int, days: int, table: VialTable) -> bool:
    """True when `total` grains are the sum of exactly `days` whole-vial totals (bit sets)."""
    makeable = [v for v in range(1, total + 1) if table.reachable(v)]
    mask = (1 << (total + 1)) - 1
    reach = 1
    for _ in range(days):
        step = 0
        for value in makeable:
            step |= reach << value
        reach = step & mask
    return bool(reach >> total & 1)
