"""Batch optimiser: places waiting call-ins into caseworker calendars and rooms (R-3.2).

How a solve runs (optimizer/solve.py), per connected component of meetings, caseworkers and
rooms (components share nothing, so they are solved apart, two at a time in a process pool):

1. The earliest-deadline-first greedy (greedy.py) is the floor: nothing worse is ever returned.
2. The time-indexed model (one column per meeting class x caseworker/room option x free start;
   each caseworker-day and room-day a path of one unit of flow, which is the slot-coverage model
   with two entries per resource) is built as numpy arrays and its LP relaxation of the weighted
   count is handed straight to HiGHS (bound.py, highspy, interior point). Weak duality with the
   returned duals gives the proven `upper_bound`, valid whatever the solver's tolerances; with
   whole priorities each component's bound is rounded down on its own.
3. Rounding by decreasing LP value, a greedy fill, then ejection chains (an unplaced meeting
   takes the start of the one meeting in its way, which moves to a free start of its own or
   pushes one more meeting on; deeper chains cost several times more and placed no more).
4. Where that falls short of the bound: exact re-solves of neighbourhoods (a waiting meeting's
   caseworkers and rooms over three days: the meetings placed there, and the waiting ones that
   could join, re-arranged with the rest fixed), then the whole component's MIP when it is small.

Modelling layers: PuLP models the exact MIPs that are small enough to build quickly (the
neighbourhoods, and whole components up to a few thousand columns; exact.py), solved by PuLP's
HiGHS class with the current schedule as a MIP start, CBC through PuLP where highspy is missing.
The component LPs (up to a few hundred thousand columns) and mid-sized component MIPs go to
HiGHS as matrices: building them in PuLP's object model took longer than solving them.

Nothing a solver says is trusted on its own. PuLP reports `Optimal` for a HiGHS run cut by its
time limit, so `prob.sol_status` decides whether values exist, HiGHS's own model status whether
optimality was proven, and every schedule read back is re-placed against the calendars (a
clash rejects it). The best schedule so far is kept throughout, and the assembled solution is
checked by check.py, which shares no code with the solver; a failed check falls back to the
greedy. The objective order of R-3.2: weighted count; never outside earliest date and deadline
(no column exists there); earlier days (rounding order, the MIPs' tie-break, a final pass that
moves each meeting to its earliest free day); then balance (ties go to the least-loaded
caseworker).
"""

from optimizer.check import CheckReport, Violation, check
from optimizer.model import FormatError, Instance, Solution, load_instance, load_solution, parse_instance, parse_solution
from optimizer.solve import solve

__all__ = [
    "CheckReport",
    "FormatError",
    "Instance",
    "Solution",
    "Violation",
    "check",
    "load_instance",
    "load_solution",
    "parse_instance",
    "parse_solution",
    "solve",
]
