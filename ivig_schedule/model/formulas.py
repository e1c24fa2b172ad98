"""The formulas the engine computes by, as the calculation trail writes them.

Each is a `str.format` template over named inputs; a `plan.Calc` pairs one with the values the
engine put into it and the result it got, so that ``explain`` prints the very calculation the
plan was made from and never computes again.
"""

from __future__ import annotations

POUNDS = "{pounds} lb × {kg_per_lb} kg/lb"
IDEAL_WEIGHT = "{base} + {per_inch} × ({height} cm ÷ {cm_per_in} − {from_inches})"
BMI = "{weight} ÷ ({height_m} m)²"
ADJUSTED_WEIGHT = "{ideal} + {factor} × ({weight} − {ideal})"
PRESCRIBED = "{dose} g/kg × {weight} kg"
VOLUME = "{grams} g × {mg_per_g} ÷ {concentration} mg/mL"
RATE = "{rate} mg/kg/min × {weight} kg × {per_hour} ÷ {concentration} mg/mL"
"""How a ladder rate becomes mL/h, before rounding down to the pump's resolution."""
LAST_STEP_MINUTES = "{volume} mL ÷ {rate} mL/h × {per_hour}"
"""How long the step that empties the bag runs, before rounding up."""
