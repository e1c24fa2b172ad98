"""Who sees what: one row per role, read by `views` and by nothing else.

A role's row says which parts of a plan it may see at all; whether it sees the arm (and with it
the product, the bag, the doses and every free text from the history) also depends on the
regimen: a blinded trial names the roles it unblinds (`Regimen.unblinded`, with its source), and
every other role's output is the same for both arms.
"""

from __future__ import annotations

from attrs import frozen

from ivig_schedule.model.inputs import Regimen


@frozen
class Role:
    """What one role may see of any plan.

    Attributes:
        name: The role's name (``--view``).
        times: Infusion start and end, arrival and departure, and the location.
        pump: Volumes, the pump programme, caps and dosing weights.
        doses: Grams, g/kg and the bag's contents (only for courses it is not masked from).
        dispensing: What to dispense for each course, and the calculation trail.
        history: The list of recorded changes (their effect on dates at least).
        weights: The patient's weights and height.
        warnings: Code prefixes of the warnings it can act on; None for every warning.
        many_patients: Its calendar holds many patients (a nurse's round): event titles name
            the patient's pseudonym and the course·day.
    """

    name: str
    times: bool
    pump: bool
    doses: bool
    dispensing: bool
    history: bool
    weights: bool
    warnings: tuple[str, ...] | None
    many_patients: bool = False


ROLES: dict[str, Role] = {role.name: role for role in (
    Role("pharmacy", times=True, pump=True, doses=True, dispensing=True, history=True,
         weights=True, warnings=None),
    Role("nurse", times=True, pump=True, doses=True, dispensing=False, history=True,
         weights=True, warnings=("rate.", "ladder.", "data.default_ladder", "infusion.", "time.",
                                 "schedule."), many_patients=True),
    Role("patient", times=True, pump=False, doses=False, dispensing=False, history=False,
         weights=False, warnings=("time.", "schedule.")),
    Role("assessor", times=False, pump=False, doses=False, dispensing=False, history=False,
         weights=False, warnings=("schedule.",)),
)}
"""Every role by name."""


def sees_arm(role: Role, regimen: Regimen) -> bool:
    """True when the role may learn the arm of this regimen's blinded courses: then it also
    reads the product, the bags and the free text of the history (reasons, notes, lots).

    For a regimen with no blinded phase nothing is masked; the role's own row still decides.
    """
    return not regimen.masks(role.name) and (role.doses or role.name in regimen.unblinded)


def sees_warning(role: Role, code: str) -> bool:
    """True when the role sees warnings of this code."""
    return role.warnings is None or code.startswith(role.warnings)
