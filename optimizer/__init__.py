"""Batch optimiser: places waiting call-ins into caseworker calendars and rooms (R-3.2)."""

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
