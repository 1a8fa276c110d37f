"""The charts and the map drawn as SVG on the server (reporting/numbers/charts.py)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from django.utils import translation

from reporting.numbers import charts

NS = "{http://www.w3.org/2000/svg}"
DARKEST = charts.MAP_CLASSES[-1]


def parse(markup: str) -> ET.Element:
    return ET.fromstring(str(markup))


def texts(root: ET.Element) -> list[str]:
    return [element.text for element in root.iter(f"{NS}text")]


def paths_by_code(root: ET.Element) -> dict[str, ET.Element]:
    return {path.get("data-code"): path for path in root.iter(f"{NS}path")}


# --------------------------------------------------------------------------------------------
# Bar chart
# --------------------------------------------------------------------------------------------

def test_it_draws_one_bar_per_row_in_the_given_order_with_grouped_values():
    root = parse(charts.bar_chart([("Health", 12000), ("Protection", 3400)], title="By sector"))
    assert root.get("role") == "img"
    # Named by its <title> and described by its <desc>, the figures (issue 17).
    assert root.get("aria-labelledby") == root.find(f"{NS}title").get("id")
    assert root.get("aria-describedby") == root.find(f"{NS}desc").get("id")
    assert root.find(f"{NS}title").text == "By sector"
    assert root.find(f"{NS}desc").text == "Health: 12,000; Protection: 3,400"
    assert texts(root) == ["Health", "12,000", "Protection", "3,400"]
    assert [rect.get("fill") for rect in root.iter(f"{NS}rect")] == ["#00558C", "#00558C"]
    assert root.get("height") == "48"
    assert root.get("viewBox") == "0 0 480 48"


def test_it_draws_the_longest_bar_for_the_largest_value():
    root = parse(charts.bar_chart([("A", 50), ("B", 100)], width=400))
    widths = [float(rect.get("width")) for rect in root.iter(f"{NS}rect")]
    assert widths[0] * 2 == widths[1]


def test_it_escapes_the_labels_of_bars():
    markup = str(charts.bar_chart([("<script>alert(1)</script>", 5)], title='"><script>'))
    assert "<script>" not in markup
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in markup
    assert parse(markup).find(f"{NS}title").text == '"><script>'


def test_it_breaks_a_long_label_onto_two_lines_and_keeps_it_whole_in_the_hover_title():
    # Issue 14: "Humanitarian T…" in the situation report's chart.
    root = parse(charts.bar_chart([("Humanitarian Transportation", 7), ("Health", 9)], width=300))
    assert texts(root)[:2] == ["Humanitarian", "Transportation"]
    assert texts(root)[3] == "Health"
    assert root.find(f"{NS}g/{NS}title").text == "Humanitarian Transportation: 7"
    # The two-line row is taller than a one-line row.
    assert float(root.get("height")) == 24 * 2 + 12 * 1.1


def test_it_shortens_only_what_two_lines_cannot_hold():
    label = "Humanitarian Transportation and other very long names"
    root = parse(charts.bar_chart([(label, 7)], width=300))
    first, second = texts(root)[:2]
    assert first == "Humanitarian" and second.endswith("…") and second.startswith("Transportation")
    assert root.find(f"{NS}g/{NS}title").text == f"{label}: 7"


def test_the_situation_reports_sector_names_fit_its_chart_whole():
    names = ["Seguridad Alimentaria", "Transporte Humanitario", "Agua, Saneamiento e Higiene (WASH)",
             "Humanitarian Transportation", "Food Security"]
    root = parse(charts.bar_chart([(name, 1) for name in names], width=300, font=9.5, row=17))
    assert "…" not in "".join(texts(root))


def test_it_formats_bar_values_as_peru_writes_them_when_the_page_is_spanish():
    with translation.override("es"):
        root = parse(charts.bar_chart([("Salud", 12000)]))
    assert texts(root)[1] == "12,000"


def test_it_draws_an_empty_bar_chart_with_a_note():
    root = parse(charts.bar_chart([], title="Nothing"))
    assert texts(root) == ["No data"]
    assert list(root.iter(f"{NS}rect")) == []


# --------------------------------------------------------------------------------------------
# Map of departments
# --------------------------------------------------------------------------------------------

def test_it_draws_the_25_departments_of_peru():
    root = parse(charts.department_map({}, title="People reached"))
    paths = paths_by_code(root)
    assert len(list(root.iter(f"{NS}path"))) == 25
    assert sorted(paths) == [f"{code:02d}" for code in range(1, 26)]
    assert {path.get("fill") for path in paths.values()} == {charts.MAP_EMPTY}
    assert root.get("width") == "360"
    assert root.get("viewBox") == f"0 0 360 {root.get('height')}"


def test_it_draws_puno_whose_outline_has_several_polygons_as_one_path():
    puno = paths_by_code(parse(charts.department_map({})))["21"]
    assert puno.get("d").count("M") > 1
    assert puno.get("d").count("M") == puno.get("d").count("Z")


def test_it_puts_the_department_with_the_largest_value_in_the_darkest_class():
    root = parse(charts.department_map({"15": 120000, "24": 30000, "16": 300}))
    paths = paths_by_code(root)
    assert paths["15"].get("fill") == DARKEST
    assert paths["24"].get("fill") == charts.MAP_CLASSES[3]
    assert paths["16"].get("fill") == charts.MAP_CLASSES[0]
    assert paths["01"].get("fill") == charts.MAP_EMPTY


def test_it_accepts_ocha_p_codes_and_shows_name_and_value_on_hover():
    root = parse(charts.department_map({"PE15": 1540, "PE02": 3}, names={"02": "Áncash"}))
    paths = paths_by_code(root)
    assert paths["15"].find(f"{NS}title").text == "LIMA: 1,540"
    assert paths["02"].find(f"{NS}title").text == "Áncash: 3"
    assert paths["03"].find(f"{NS}title").text == "APURIMAC: 0"


def test_it_draws_a_legend_with_the_class_bounds():
    root = parse(charts.department_map({"15": 120000}, legend_title="People"))
    assert texts(root) == [
        "People", "50,001 – 120,000", "10,001 – 50,000", "2,001 – 10,000", "501 – 2,000",
        "1 – 500", "0",
    ]
    swatches = [rect.get("fill") for rect in root.iter(f"{NS}rect")]
    assert swatches == [*reversed(charts.MAP_CLASSES), charts.MAP_EMPTY]


def test_it_takes_class_bounds_from_every_other_rung_of_the_1_2_5_ladder():
    assert charts.class_breaks(120000) == [500, 2000, 10000, 50000, 120000]
    assert charts.class_breaks(200000) == [500, 2000, 10000, 50000, 200000]
    assert charts.class_breaks(3000000) == [10000, 50000, 200000, 1000000, 3000000]
    assert charts.class_breaks(150) == [2, 10, 50, 150]
    assert charts.class_breaks(1) == [1]
    assert charts.class_breaks(0) == []


def test_it_draws_the_highlighted_department_last_with_a_thick_outline():
    root = parse(charts.department_map({"24": 10}, highlight="24"))
    paths = list(root.iter(f"{NS}path"))
    assert paths[-1].get("data-code") == "24"
    assert paths[-1].get("stroke") == charts.HIGHLIGHT_STROKE
    assert paths[-1].get("stroke-width") == "2.5"
    assert paths[0].get("stroke-width") == "0.8"


def test_it_escapes_the_names_and_titles_of_the_map():
    markup = str(charts.department_map({"15": 1}, title="<b>", legend_title="<script>",
                                    names={"15": "<img src=x onerror=alert(1)>"}))
    assert "<script>" not in markup
    assert "<img" not in markup
    assert "&lt;img src=x onerror=alert(1)&gt;: 1" in markup
    parse(markup)


def test_it_formats_the_map_legend_as_peru_writes_numbers_when_the_page_is_spanish():
    with translation.override("es"):
        root = parse(charts.department_map({"15": 120000}))
    assert texts(root)[0] == "50,001 – 120,000"


# --------------------------------------------------------------------------------------------
# Line chart
# --------------------------------------------------------------------------------------------

def test_it_draws_a_line_and_a_marker_per_value_of_each_series():
    root = parse(charts.line_chart(
        ["Jul", "Aug", "Sep"],
        [("Health", [1200, 2500, 3100], "#00558C"), ("Protection", [800, 900, 1000], "#F58220")],
        title="People reached",
    ))
    assert [line.get("stroke") for line in root.iter(f"{NS}polyline")] == ["#00558C", "#F58220"]
    markers = [circle.find(f"{NS}title").text for circle in root.iter(f"{NS}circle")]
    assert markers == [
        "Health · Jul: 1,200", "Health · Aug: 2,500", "Health · Sep: 3,100",
        "Protection · Jul: 800", "Protection · Aug: 900", "Protection · Sep: 1,000",
    ]
    assert texts(root) == [
        "0", "1,000", "2,000", "3,000", "4,000", "Jul", "Aug", "Sep", "Health", "Protection",
    ]
    assert root.get("viewBox") == "0 0 560 220"


def test_it_leaves_a_month_without_data_out_of_the_line_rather_than_drawing_it_at_zero():
    root = parse(charts.line_chart(
        ["Jan", "Feb", "Mar", "Apr", "May"], [("People", [100, None, 80, 90, None], "#000")]))
    markers = [circle.find(f"{NS}title").text for circle in root.iter(f"{NS}circle")]
    assert markers == ["People · Jan: 100", "People · Mar: 80", "People · Apr: 90"]
    zero = max(float(line.get("y1")) for line in root.iter(f"{NS}line"))
    assert all(float(circle.get("cy")) < zero for circle in root.iter(f"{NS}circle"))
    # Jan stands alone; Mar–Apr is one line; nothing joins Jan to Mar across February.
    (run,) = root.iter(f"{NS}polyline")
    assert len(run.get("points").split()) == 2
    assert "Feb –" in root.find(f"{NS}desc").text


def test_it_places_the_highest_value_below_the_top_tick():
    root = parse(charts.line_chart(["A", "B"], [("S", [0, 3100], "#000")]))
    ys = [float(circle.get("cy")) for circle in root.iter(f"{NS}circle")]
    grid = [float(line.get("y1")) for line in root.iter(f"{NS}line")]
    assert ys[0] == grid[0]  # zero sits on the axis
    assert grid[-1] < ys[1] < grid[-2]


def test_it_picks_three_to_five_round_ticks():
    assert charts.axis_ticks(3100) == [0, 1000, 2000, 3000, 4000]
    assert charts.axis_ticks(999) == [0, 250, 500, 750, 1000]
    assert charts.axis_ticks(120000) == [0, 50000, 100000, 150000]
    assert charts.axis_ticks(10) == [0, 5, 10]
    assert charts.axis_ticks(0) == [0, 1]


def test_it_escapes_the_labels_and_series_names_of_a_line_chart():
    markup = str(charts.line_chart(["<i>Jan</i>"], [("<script>", [5], "#000")]))
    assert "<script>" not in markup
    assert "<i>" not in markup
    assert "&lt;script&gt; · &lt;i&gt;Jan&lt;/i&gt;: 5" in markup
    parse(markup)


def test_it_draws_an_empty_line_chart_with_a_note():
    root = parse(charts.line_chart([], [], title="Trend"))
    assert "No data" in texts(root)
    assert list(root.iter(f"{NS}circle")) == []


def test_two_charts_on_one_page_name_themselves_by_different_ids():
    # Issue 17: aria-labelledby must point at this chart's own <title>, not another chart's.
    first = parse(charts.bar_chart([("Health", 1)], title="Month"))
    second = parse(charts.bar_chart([("Health", 2)], title="Year"))
    assert first.get("aria-labelledby") != second.get("aria-labelledby")
    a_map = parse(charts.department_map({"15": 40}, title="Map", names={"15": "Lima"}))
    assert a_map.get("role") == "img"
    assert a_map.find(f"{NS}title").get("id") == a_map.get("aria-labelledby")
    assert "Lima: 40" in a_map.find(f"{NS}desc").text
    assert a_map.find(f"{NS}desc").get("id") == a_map.get("aria-describedby")
