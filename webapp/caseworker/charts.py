"""Bar charts as inline SVG, drawn on the server for the overview (R-6.10).

No script and no library: a chart is a few rectangles and labels, with `role="img"` and a
title and description that say what it shows. Its numbers are also in a table beside it
(the page's), which is what a screen reader reads.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH, HEIGHT = 640, 260
LEFT, RIGHT, TOP, BOTTOM = 52, 12, 26, 34
# Told apart by lightness as well as hue, so they read in grey and for colour-blind eyes.
COLOURS = ("#1f4e89", "#e08a2c", "#7fa7d3", "#7a3b69")


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float]


def number(value: float, decimals: int = 0) -> str:
    """A number the Danish way: decimal comma, a dot between thousands."""
    text = f"{value:,.{decimals}f}"
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")


def _scale(value: float, whole: bool) -> tuple[float, float]:
    """(top, step) of the y axis: at most four steps of 1, 2, 2.5 or 5 times a power of ten,
    whole steps for counts; an empty chart gets the axis 0 to 1."""
    if value <= 0:
        return 1.0, 1.0
    rough = value / 4
    power = 10 ** math.floor(math.log10(rough))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if rough <= m * power)
    if whole:
        step = max(1.0, float(math.ceil(step)))
    return step * math.ceil(value / step - 1e-9), step


def bar_chart(*, chart_id: str, title: str, description: str, labels: Sequence[str],
              series: Sequence[Series], unit: str = "", decimals: int = 0) -> Markup:
    """Grouped bars: one group per label, one bar per series, a y axis of round steps.

    With `decimals` 0 the values are counts and the axis steps are whole numbers.
    """
    top, step = _scale(max((v for s in series for v in s.values), default=0), decimals == 0)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    group_w = plot_w / max(len(labels), 1)
    bar_w = group_w * 0.8 / max(len(series), 1)
    ident = escape(chart_id)
    out = [f'<svg class="chart" id="{ident}" role="img" viewBox="0 0 {WIDTH} {HEIGHT}" '
           f'aria-labelledby="{ident}-title {ident}-desc" xmlns="http://www.w3.org/2000/svg">',
           f'<title id="{ident}-title">{escape(title)}</title>',
           f'<desc id="{ident}-desc">{escape(description)}</desc>']
    for tick in range(round(top / step) + 1):
        value = tick * step
        y = TOP + plot_h - plot_h * value / top
        out.append(f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>')
        shown = number(value, 0 if value == int(value) else 1)
        out.append(f'<text class="tick" x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">'
                   f'{escape(shown)}</text>')
    if unit:
        out.append(f'<text class="tick" x="4" y="12">{escape(unit)}</text>')
    for index, label in enumerate(labels):
        x0 = LEFT + index * group_w + group_w * 0.1
        for s_index, s in enumerate(series):
            value = s.values[index]
            h = plot_h * value / top
            x = x0 + s_index * bar_w
            out.append(f'<rect x="{x:.1f}" y="{TOP + plot_h - h:.1f}" width="{bar_w * 0.92:.1f}" '
                       f'height="{h:.1f}" fill="{COLOURS[s_index % len(COLOURS)]}">'
                       f'<title>{escape(label)}: {escape(s.name)} {escape(number(value, decimals))}'
                       f'{" " + escape(unit) if unit else ""}</title></rect>')
        out.append(f'<text class="label" x="{LEFT + index * group_w + group_w / 2:.1f}" '
                   f'y="{HEIGHT - BOTTOM + 18}" text-anchor="middle">{escape(label)}</text>')
    out.append(f'<line class="axis" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{TOP + plot_h}" '
               f'y2="{TOP + plot_h}"/>')
    out.append("</svg>")
    return Markup("".join(out))


def legend(series: Sequence[Series]) -> Markup:
    """The series' names with their colours, as an HTML list under the chart."""
    items = "".join(f'<li><span class="swatch" style="background:{COLOURS[i % len(COLOURS)]}" '
                    f'aria-hidden="true"></span>{escape(s.name)}</li>'
                    for i, s in enumerate(series))
    return Markup(f'<ul class="legend">{items}</ul>')
