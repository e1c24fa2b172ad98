"""The validated prescription: everything the engine needs, with its recorded history.

Apart from `ivig_schedule.model.inputs` so that the history's records (`model.changes`, which
may name a product) and the prescription that holds them import in one direction.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from attrs import frozen

from ivig_schedule.model.inputs import DosingPolicy, Order, Patient, Product, Regimen
from ivig_schedule.model.vocabulary import Arm

if TYPE_CHECKING:
    from ivig_schedule.model.changes import AnyChange, WeightChange


@frozen
class Prescription:
    """Everything the engine needs, validated, with catalog entries resolved.

    Attributes:
        changes: The recorded history, applied in order.
        nurse: The nurse who visits (``[care] nurse``), for rosters.
        organizer: Who publishes the calendars (``[care] organizer``, a ``mailto:`` address).
        travel_minutes: The nurse's travel time to this patient (``[care] travel_minutes``);
            None: the project default, `ivig_schedule.model.inputs.TRAVEL_MINUTES`.
        language: The language of the calendars and sheets (``[care] language``, en or nl).
        policy: The dosing policy the order (or the pharmacy's ``[care]``) names, or None.
        treatment_number: The trial's treatment number (``[trial] treatment_number``); the arm
            is then resolved from the pharmacy's store, never written in the prescription.
        unblinding_contact: Who to call for information and emergency unblinding, for the bag
            labels (``[care] unblinding_contact``).
        label_storage: The storage conditions printed on the bag labels (``[care]
            label_storage``; the pharmacy's, for both arms' bags alike).
        history_edited: The index of the first ``[[change]]`` whose hash no longer matches
            (edited, or a table before it deleted or inserted by hand), or None.
    """

    patient: Patient
    order: Order
    product: Product
    regimen: Regimen
    arm: Arm | None = None
    changes: tuple[AnyChange, ...] = ()
    nurse: str | None = None
    organizer: str | None = None
    travel_minutes: int | None = None
    language: str | None = None
    policy: DosingPolicy | None = None
    treatment_number: str | None = None
    unblinding_contact: str | None = None
    label_storage: str | None = None
    history_edited: int | None = None

    def latest_weight(self) -> tuple[Decimal, str, str]:
        """The latest recorded body weight: kilograms, as written, and where it is recorded
        (``patient.weight_kg``, or the last weight change's path)."""
        for change in reversed(self.weight_changes()):
            return change.weight_kg, change.weight_input, (
                f"{change.path}, from course {change.from_course}")
        return self.patient.weight_kg, self.patient.weight_input, "patient.weight_kg"

    def weight_changes(self) -> tuple[WeightChange, ...]:
        """The recorded weight changes, in order (none without a history)."""
        if not self.changes:
            return ()
        from ivig_schedule.model.changes import WeightChange  # only a history holds one

        return tuple(c for c in self.changes if isinstance(c, WeightChange))
