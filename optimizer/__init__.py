"""Batch optimiser: places waiting call-ins into caseworker calendars and rooms (R-3.2).

How a solve runs (optimizer/solve.py), per connected component of meetings, caseworkers and
rooms (components share nothing, so they are solved apart: this process takes the largest while
a spawned pool process starts on the next, when enough meetings lie outside the largest):

1. The greedy (greedy.py) over a few cheap orders is the floor, the best by weighted count of
   earliest deadline first with ties by priority (always run) and, as time allows, priority
   first, fewest open days first and priority per minute: nothing worse is ever returned.
   Citizens (instance version 2) are resources like rooms that every option of their meetings
   takes for the meeting's duration, in every phase below (R-3.6).
2. The time-indexed model (one column per meeting class x caseworker/room option x start;
   each caseworker-day and room-day a path of one unit of flow, which is the slot-coverage model
   with two entries per resource) is built as numpy arrays and its LP relaxation of the weighted
   count is handed straight to HiGHS (bound.py, highspy, interior point). Only left-justified
   starts get a column: the first grid point after a moment where one of the option's resources
   becomes free, or where a meeting that can start at such a start ends on one of them. Moving
   every meeting of any schedule left as far as it stays free lands it on such a start, so the
   model keeps its optimum and its LP still bounds every schedule, with half the columns.
   Weak duality with the returned duals gives the proven `upper_bound`, valid whatever the
   solver's tolerances; with whole priorities each component's bound is rounded down on its own.
3. Rounding by decreasing LP value and a greedy fill.
4. Under tight load (a narrow LP support), rounds of Gomory mixed-integer cuts (cuts.py): a
   crossover gives the LP's basis, each fractional basic placement column gives a cut from its
   row of the basis inverse (the equation rebuilt from the model's own rows, every variable
   whole but the earlier cuts' slacks), and dual simplex re-solves. Weak duality over the LP and
   its cuts gives a lower proven bound (the LP's lies up to a few meetings per component above
   the optimum there). Elsewhere, ejection chains (an unplaced meeting takes the start of the
   one meeting in its way, which moves to a free start of its own or pushes one more on).
5. Where that falls short of the bound, within a search time that grows with the component
   (and ends for the whole instance after a time that grows with its size): exact models over
   the LP's support with its near-whole columns fixed (RENS steps, loosest fixing first, while
   HiGHS closes them; under tight load over each cut round's vertex with the LP's support below
   it), rounding restarts from perturbed LP values (until four in a row gain nothing), the whole
   component's MIP when it is small (its dual bound, when lower, tightens the bound), then exact
   re-solves of neighbourhoods (a waiting meeting's caseworkers and rooms over three days: the
   meetings placed there, and the waiting ones that could join, re-arranged with the rest
   fixed), in passes with the blocks of days shifted by one. Each stops once the schedule
   reaches the bound.

Under a time limit (anytime, never worse as the limit grows): each component follows one plan
whatever the limit, its search past rounding planned at a fixed time per meeting, the LP at a
share of that; the limit only cuts the plan, and nothing runs after the cut but the merge, the
check and writing. The columns, the matrix and the LP are made on a thread of their own
(`HighsThread`, which also runs the cuts on that LP: HiGHS keeps state per thread) while one
pass of ejection chains improves the floor's schedule, so the run can end at the deadline with
something better than the floor while the LP is still under way.

Modelling layers: PuLP models the exact MIPs that are small enough to build quickly (the
neighbourhoods, and whole components up to a few thousand columns; exact.py), solved by PuLP's
HiGHS class with the current schedule as a MIP start, CBC through PuLP where highspy is missing.
The component LPs (up to a few hundred thousand columns), the support models and mid-sized
component MIPs go to HiGHS as matrices: building them in PuLP's object model took longer than
solving them. The MIPs maximise the plain weighted count, which is integral with whole
priorities, so HiGHS can stop as soon as its bound falls below the next whole number.

Nothing a solver says is trusted on its own. PuLP reports `Optimal` for a HiGHS run cut by its
time limit, so `prob.sol_status` decides whether values exist, HiGHS's own model status whether
optimality was proven, and every schedule read back is re-placed against the calendars (a
clash rejects it). The best schedule so far is kept throughout, and the assembled solution is
checked by check.py, which shares no code with the solver; a failed check falls back to the
greedy. A cut takes only the multipliers from HiGHS: its equation is rebuilt from the model's
rows, coefficients it drops loosen it by the most their variables could add, every cut is
loosened by a further 1e-6, and rows with very large multipliers or cuts whose coefficients span
more than six orders of magnitude are left out. The objective order of R-3.2: weighted count; never outside earliest date and deadline
(no column exists there); earlier days (rounding order, the neighbourhoods' tie-break, a final
pass that moves each meeting to its earliest free day); then balance (ties go to the
least-loaded caseworker, and under a time limit a last pass over the whole instance moves or
trades individual meetings between caseworkers on the same day while that makes each team's
booked shares more even); then compact days (a last pass slides every meeting to the first
free start of its own day with its own caseworkers and room, until nothing moves).

A meeting left unplaced gets a reason (reasons.py): a code with its parameters, the first of
"the dates cannot work", "closed", "rooms too small", "no free time", "room busy", "taken by
other meetings" that holds. The optimiser writes no sentence; the planner words the code in
Danish or English (docs/optimizer-format.md).
"""

from optimizer.check import CheckReport, Violation, check
from optimizer.model import (
    REASON_PARAMS,
    FormatError,
    Instance,
    Reason,
    ReasonCode,
    Solution,
    load_instance,
    load_solution,
    parse_instance,
    parse_solution,
)
from optimizer.solve import solve

__all__ = [
    "CheckReport",
    "FormatError",
    "Instance",
    "REASON_PARAMS",
    "Reason",
    "ReasonCode",
    "Solution",
    "Violation",
    "check",
    "load_instance",
    "load_solution",
    "parse_instance",
    "parse_solution",
    "solve",
]
