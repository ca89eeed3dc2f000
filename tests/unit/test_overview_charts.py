"""The overview's SVG bar charts (R-6.10): accessible name, Danish numbers, scale, escaping."""

from __future__ import annotations

import re

from webapp.caseworker.charts import Series, _scale, bar_chart, legend, number


def test_chart_is_an_image_named_by_its_title_and_description_R_6_10() -> None:
    """R-6.10: role="img" with a <title> and <desc> that say what it shows; one bar per value."""
    svg = str(bar_chart(chart_id="c", title="Kapacitet <pr. uge>", description="Søjlediagram",
                        labels=["uge 9", "uge 10"],
                        series=[Series("Kapacitet", [37.5, 30]), Series("Booket", [12, 0])],
                        unit="timer", decimals=1))
    assert svg.startswith('<svg class="chart" id="c" role="img"')
    assert 'aria-labelledby="c-title c-desc"' in svg
    assert '<title id="c-title">Kapacitet &lt;pr. uge&gt;</title>' in svg
    assert '<desc id="c-desc">Søjlediagram</desc>' in svg
    assert len(re.findall(r"<rect ", svg)) == 4
    assert "<title>uge 9: Kapacitet 37,5 timer</title>" in svg
    assert ">uge 10</text>" in svg and ">40</text>" in svg  # the axis ends at a round 40


def test_numbers_are_written_the_danish_way_R_6_10() -> None:
    assert number(1234.5, 1) == "1.234,5"
    assert number(0) == "0"
    assert [_scale(v, whole=False) for v in (0, 37.5, 85, 0.4)] == [
        (1, 1), (40, 10), (100, 25), (0.4, 0.1)]
    assert [_scale(v, whole=True) for v in (1, 3, 7, 12, 250)] == [
        (1, 1), (3, 1), (8, 2), (15, 5), (300, 100)]


def test_empty_chart_has_a_scale_and_no_division_by_zero_R_6_10() -> None:
    svg = str(bar_chart(chart_id="e", title="t", description="d", labels=["a"],
                        series=[Series("s", [0])]))
    assert 'height="0.0"' in svg


def test_legend_names_each_series_R_6_10() -> None:
    html = str(legend([Series("Selvbooket", [1]), Series("Aflyst & flyttet", [2])]))
    assert html.count("<li>") == 2 and "Aflyst &amp; flyttet" in html
    assert 'aria-hidden="true"' in html
