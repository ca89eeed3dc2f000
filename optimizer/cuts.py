"""Gomory mixed-integer cuts on the time-indexed LP: a lower proven bound under tight load, and cut LP vertices for the support models."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import highspy
import numpy as np

from optimizer.bound import Matrix, dual_bound

# Rows of the basis inverse with a multiplier beyond this, and cuts whose coefficients span more
# than MAX_DYNAMISM, are left out: their arithmetic is where a cut could go wrong.
MAX_MULTIPLIER = 1e4
MAX_DYNAMISM = 1e6
# A tableau row whose right-hand side lies this close to a whole number gives a weak cut with
# large coefficients: left out.
MIN_FRACTION = 0.01
# Violation at the LP point per unit of the cut's norm a cut must reach to be added.
MIN_EFFICACY = 1e-3
# Dense cuts slow the LP down more than they tighten it.
MAX_CUT_ENTRIES = 3_000
# Tableau rows tried per round (the most fractional first).
MAX_ROWS_PER_ROUND = 120
# Coefficients below this are dropped from a cut, which is loosened by what they could add.
TINY = 1e-9
# Every cut's right-hand side is loosened by this much on top.
SAFETY = 1e-6


@dataclass
class CutRows:
    """The cuts added so far, as HiGHS holds them: coefficients . x <= upper."""

    columns: list[np.ndarray] = field(default_factory=list)
    coefficients: list[np.ndarray] = field(default_factory=list)
    upper: list[float] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.upper)


@dataclass
class CutLp:
    bound: float  # proven by weak duality over the LP and its cuts
    rounds: int
    cuts: int
    vertices: list[np.ndarray]  # placement columns of the vertex of every round, the LP's own first
    rows: CutRows  # the cuts themselves


class _Rows:
    """The model's rows in row-wise form, to aggregate them with the multipliers of a tableau row."""

    def __init__(self, matrix: Matrix) -> None:
        n_entries = int(matrix.start[-1])
        column_of = np.repeat(np.arange(matrix.n_col), np.diff(matrix.start.astype(np.int64)))
        order = np.argsort(matrix.index[:n_entries], kind="stable")
        self.column = column_of[order]
        self.value = matrix.value[:n_entries][order]
        self.start = np.zeros(matrix.n_row + 1, dtype=np.int64)
        np.cumsum(np.bincount(matrix.index[:n_entries], minlength=matrix.n_row), out=self.start[1:])

    def combine(self, rows: np.ndarray, multipliers: np.ndarray, n_col: int) -> np.ndarray:
        lengths = self.start[rows + 1] - self.start[rows]
        total = int(lengths.sum())
        if not total:
            return np.zeros(n_col)
        offsets = np.repeat(self.start[rows] - np.cumsum(lengths) + lengths, lengths) + np.arange(total)
        return np.bincount(self.column[offsets], weights=self.value[offsets] * np.repeat(multipliers, lengths),
                           minlength=n_col)


def _gomory(f: np.ndarray, f0: float) -> np.ndarray:
    """Coefficients of the Gomory mixed-integer cut on whole variables with fractional parts f."""
    return np.minimum(f / f0, (1.0 - f) / (1.0 - f0))


@dataclass
class _TableauRow:
    """The equation a row of the basis inverse gives: `a . y = b` over the columns `column`, where
    y is x or, where `flip`, its complement 1 - x; plus the multipliers it took of the model's
    rows (`row_o`, `lam_o`) and of the earlier cuts (`row_c`, `lam_c`)."""

    column: np.ndarray
    a: np.ndarray
    flip: np.ndarray
    b: float
    row_o: np.ndarray
    lam_o: np.ndarray
    row_c: np.ndarray
    lam_c: np.ndarray


def _separate(h: highspy.Highs, matrix: Matrix, rows: _Rows, class_columns: list[np.ndarray], cuts: CutRows,
              x: np.ndarray) -> list[tuple[np.ndarray, np.ndarray, float, float]]:
    """One Gomory mixed-integer cut per fractional basic placement column, from its tableau row.

    Every variable is a whole number in any schedule: the placement columns, the idle arcs (a
    path's unit of flow with whole placements on it is whole at every node) and the slack of each
    class row (a whole class size minus whole placements); the flow rows are equations (slack
    zero) and only the slacks of earlier cuts are continuous. A tableau row is the basis inverse's
    row of multipliers; the equation it gives is built again here from the multipliers and the
    original rows, so the cut follows from the model whatever the solver's rounding."""
    rhs = np.where(np.isfinite(matrix.row_upper), matrix.row_upper, 0.0)
    _status, basic = h.getBasicVariables()
    basic = np.asarray(basic)
    is_basic = np.zeros(matrix.n_col, dtype=bool)
    is_basic[basic[basic >= 0]] = True
    # Non-basic columns at their upper bound are complemented (1 - x): every variable of the
    # tableau row is then at distance zero from its bound at the LP point.
    complemented = ~is_basic & (x > 0.5)
    place = np.flatnonzero((basic >= 0) & (basic < matrix.n_place))
    fraction = x[basic[place]] - np.floor(x[basic[place]])
    candidates = place[(fraction > MIN_FRACTION) & (fraction < 1.0 - MIN_FRACTION)]
    candidates = candidates[np.argsort(np.abs(x[basic[candidates]] % 1.0 - 0.5), kind="stable")][:MAX_ROWS_PER_ROUND]
    result = []
    for i in candidates.tolist():
        row = _tableau_row(h, int(i), matrix, rows, cuts, rhs, complemented)
        if row is None:
            continue
        f0 = row.b - math.floor(row.b)
        if not MIN_FRACTION < f0 < 1.0 - MIN_FRACTION:
            continue
        cut = _accepted(*_gomory_cut(row, f0, matrix, class_columns, cuts, rhs), x)
        if cut is not None:
            result.append(cut)
    return result


def _tableau_row(h: highspy.Highs, i: int, matrix: Matrix, rows: _Rows, cuts: CutRows, rhs: np.ndarray,
                 complemented: np.ndarray) -> _TableauRow | None:
    """The equation of row `i` of the basis inverse, rebuilt from the model's rows and the cuts;
    None when its multipliers are too large to trust."""
    _status, dense, count, index = h.getBasisInverseRowSparse(i)
    nonzero = np.asarray(index[:count], dtype=np.int64)
    lam = np.asarray(dense)[nonzero]
    if not lam.size or np.abs(lam).max() > MAX_MULTIPLIER:
        return None
    m0 = matrix.n_row
    original = nonzero < m0
    row_o, lam_o = nonzero[original], lam[original]
    row_c, lam_c = nonzero[~original] - m0, lam[~original]
    dense_a = rows.combine(row_o, lam_o, matrix.n_col)
    for r, multiplier in zip(row_c.tolist(), lam_c.tolist()):
        dense_a[cuts.columns[r]] += multiplier * cuts.coefficients[r]
    column = np.flatnonzero(dense_a)
    a = dense_a[column]
    flip = complemented[column]
    cut_upper = np.asarray(cuts.upper, dtype=float)
    b = float(lam_o @ rhs[row_o]) + float(lam_c @ cut_upper[row_c]) - float(a[flip].sum())
    a[flip] = -a[flip]
    return _TableauRow(column, a, flip, b, row_o, lam_o, row_c, lam_c)


def _gomory_cut(row: _TableauRow, f0: float, matrix: Matrix, class_columns: list[np.ndarray], cuts: CutRows,
                rhs: np.ndarray) -> tuple[np.ndarray, np.ndarray, float, float]:
    """The mixed-integer cut of a tableau row over the columns: `values . x[support] + constant
    >= 1 - loosen`."""
    # Whole variables: the columns (or their complements) and the class rows' slacks.
    g = _gomory(row.a - np.floor(row.a), f0)
    class_rows = row.row_o < matrix.n_class
    slack_rows, slack_lam = row.row_o[class_rows], row.lam_o[class_rows]
    g_slack = _gomory(slack_lam - np.floor(slack_lam), f0)
    # Continuous: the slacks of earlier cuts.
    g_cut = np.where(row.lam_c > 0, row.lam_c / f0, -row.lam_c / (1.0 - f0))
    # A dropped coefficient loosens the cut by the most its variable can add (1 for a column,
    # the class size for a class slack).
    tiny, tiny_slack = g < TINY, g_slack < TINY
    loosen = float(g[tiny].sum()) + float((g_slack[tiny_slack] * rhs[slack_rows[tiny_slack]]).sum())
    column, g, flip = row.column[~tiny], g[~tiny], row.flip[~tiny]
    slack_rows, g_slack = slack_rows[~tiny_slack], g_slack[~tiny_slack]
    # Back to the columns: y = x or 1 - x; a class slack is its size minus its placements;
    # a cut's slack is its upper bound minus its row.
    parts_column = [column]
    parts_value = [np.where(flip, -g, g)]
    constant = float(g[flip].sum())
    for k, weight in zip(slack_rows.tolist(), g_slack.tolist()):
        members = class_columns[k]
        parts_column.append(members)
        parts_value.append(np.full(members.size, -weight))
        constant += weight * rhs[k]
    for r, weight in zip(row.row_c.tolist(), g_cut.tolist()):
        if weight:
            parts_column.append(cuts.columns[r])
            parts_value.append(-weight * cuts.coefficients[r])
            constant += weight * cuts.upper[r]
    summed = np.bincount(np.concatenate(parts_column), weights=np.concatenate(parts_value), minlength=matrix.n_col)
    support = np.flatnonzero(summed)
    return support, summed[support], constant, loosen


def _accepted(support: np.ndarray, values: np.ndarray, constant: float, loosen: float,
              x: np.ndarray) -> tuple[np.ndarray, np.ndarray, float, float] | None:
    """The cut as a row `-values . x[support] <= upper` with its efficacy, or None when it is
    empty, too long, too wide in magnitude or too weak at the LP point."""
    # Tiny coefficients go too: a positive one loosens the cut by itself (x <= 1), a negative
    # one only weakens it.
    small = np.abs(values) < TINY
    loosen += float(np.maximum(values[small], 0.0).sum())
    support, values = support[~small], values[~small]
    if not support.size or support.size > MAX_CUT_ENTRIES:
        return None
    magnitude = np.abs(values)
    if magnitude.max() > MAX_DYNAMISM * magnitude.min():
        return None
    violation = 1.0 - loosen - (float(values @ x[support]) + constant)
    efficacy = violation / float(np.linalg.norm(values))
    if efficacy < MIN_EFFICACY:
        return None
    return support.astype(np.int32), -values, constant - 1.0 + loosen + SAFETY, efficacy


def cut_bound(matrix: Matrix, cuts: CutRows, duals: np.ndarray) -> float:
    """Weak duality over the LP and its cuts (all <= rows): bounds the weighted count of every
    schedule that satisfies the cuts, which every schedule does."""
    return dual_bound(matrix, duals, list(zip(cuts.columns, cuts.coefficients, cuts.upper)))


def _limit(h: highspy.Highs, until: float) -> None:
    """HiGHS's time limit counts the whole life of its object, not the next run."""
    h.setOptionValue("time_limit", h.getRunTime() + max(until - time.time(), 0.01))


def tighten(h: highspy.Highs, matrix: Matrix, cls: np.ndarray, until: float, target: float,
            max_rounds: int = 8, min_gain: float = 0.01) -> CutLp | None:
    """Rounds of Gomory cuts on the LP that `h` holds, solved by interior point without
    crossover: a crossover gives the basis, each round adds the cuts of the fractional basic
    placement columns and re-solves by dual simplex. Stops at `until` (time.time()), after
    `max_rounds`, when a round lowers the LP by less than `min_gain`, or when the bound reaches
    `target` (nothing better is possible: a schedule of that weight exists).

    Returns the lowest proven bound of the rounds solved to optimality and every round's vertex
    (None when not even the LP's own vertex was: the caller keeps the plain LP)."""
    _limit(h, until)
    if h.crossover(h.getSolution()) != highspy.HighsStatus.kOk:
        return None
    h.setOptionValue("solver", "simplex")
    # The crossover leaves no factorised basis; a simplex run from its basis builds one (no
    # iterations) before any row of the basis inverse can be read.
    _limit(h, until)
    h.run()
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return None
    rows = _Rows(matrix)
    order = np.argsort(cls, kind="stable")
    class_columns = np.split(order, np.cumsum(np.bincount(cls, minlength=matrix.n_class))[:-1])
    cuts = CutRows()

    def proven() -> tuple[float, np.ndarray]:
        solution = h.getSolution()
        duals = np.asarray(solution.row_dual)
        bound = min(cut_bound(matrix, cuts, duals), cut_bound(matrix, cuts, -duals))
        return bound, np.asarray(solution.col_value)

    bound, x = proven()
    vertices = [x[: matrix.n_place].copy()]
    objective = h.getInfo().objective_function_value
    rounds = 0
    while rounds < max_rounds and time.time() < until and math.floor(bound + 1e-6) > target:
        found = _separate(h, matrix, rows, class_columns, cuts, x)
        if not found or time.time() >= until:
            break
        for columns, coefficients, upper, _efficacy in found:
            h.addRow(-highspy.kHighsInf, upper, columns.size, columns, coefficients)
            cuts.columns.append(columns.astype(np.int64))
            cuts.coefficients.append(coefficients)
            cuts.upper.append(upper)
        _limit(h, until)
        h.run()
        if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            break
        rounds += 1
        latest, x = proven()
        vertices.append(x[: matrix.n_place].copy())
        bound = min(bound, latest)
        previous, objective = objective, h.getInfo().objective_function_value
        if previous - objective < min_gain:
            break
    return CutLp(bound, rounds, len(cuts), vertices, cuts)
