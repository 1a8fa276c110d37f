"""Narratives in the situation report's small Markdown (reporting/numbers/narratives.py) and the
number filters of `{% load numbers %}`."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.template import Context, Template
from django.utils import translation
from django.utils.formats import number_format
from django.utils.safestring import SafeString

from reporting.numbers.narratives import render_narrative, whole_numbers
from reporting.templatetags.numbers import compact, compact_usd, thousands

# --------------------------------------------------------------------------------------------
# render_narrative
# --------------------------------------------------------------------------------------------


def test_it_makes_paragraphs_of_blank_line_separated_blocks():
    html = render_narrative("First paragraph.\n\n\nSecond one.\r\n\r\nThird.")
    assert isinstance(html, SafeString)
    assert html == "<p>First paragraph.</p>\n<p>Second one.</p>\n<p>Third.</p>"


def test_it_keeps_single_line_breaks_inside_a_paragraph():
    assert render_narrative("Line one\nline two") == "<p>Line one<br>\nline two</p>"


def test_it_makes_a_list_of_consecutive_bullet_lines():
    html = render_narrative("Highlights:\n- 3,200 people\n- **Tumbes**: 120 kits\nMore to come.")
    assert html == (
        "<p>Highlights:</p>\n"
        "<ul><li>3,200 people</li><li><strong>Tumbes</strong>: 120 kits</li></ul>\n"
        "<p>More to come.</p>"
    )


def test_it_makes_bold_and_web_links():
    html = render_narrative("See **R4V** at [the platform](https://www.r4v.info/es?a=1&b=2).")
    assert html == (
        '<p>See <strong>R4V</strong> at '
        '<a href="https://www.r4v.info/es?a=1&amp;b=2">the platform</a>.</p>'
    )


def test_it_leaves_unpaired_asterisks_alone():
    assert render_narrative("2 ** 3 and **x") == "<p>2 ** 3 and **x</p>"


def test_it_renders_empty_text_as_nothing():
    assert render_narrative("") == ""
    assert render_narrative("  \n\n ") == ""


def test_it_escapes_html_written_in_the_text():
    html = render_narrative("<script>alert('x')</script> & <b>bold</b>")
    assert html == (
        "<p>&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;</p>"
    )


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JavaScript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:msgbox",
        "//evil.example/x",
        "/relative/path",
        "https:no-host",
    ],
)
def test_it_keeps_a_link_to_anything_but_a_web_address_as_literal_text(url):
    html = render_narrative(f"[click]({url})")
    assert "<a" not in html
    assert "href" not in html
    assert html.startswith("<p>[click](")


def test_it_keeps_a_link_with_parentheses_in_its_address_literal():
    assert render_narrative("[x](javascript:alert(1))") == "<p>[x](javascript:alert(1))</p>"


def test_it_cannot_be_tricked_into_adding_attributes_through_a_link_address():
    html = render_narrative('[x](https://e.org/"onmouseover="alert(1))')
    assert html == '<p>[x](https://e.org/&quot;onmouseover=&quot;alert(1))</p>'
    html = render_narrative('[x](https://e.org/"onmouseover="alert`1`)')
    assert html == (
        '<p><a href="https://e.org/&quot;onmouseover=&quot;alert`1`">x</a></p>'
    )


def test_it_escapes_html_in_a_link_label():
    html = render_narrative('[<img src=x onerror="alert(1)">](https://e.org)')
    assert html == '<p><a href="https://e.org">&lt;img src=x onerror=&quot;alert(1)&quot;&gt;</a></p>'


def test_it_does_not_put_bold_markup_inside_a_link_address():
    html = render_narrative("[a](https://e.org/**x) and **b**")
    assert html == '<p><a href="https://e.org/**x">a</a> and <strong>b</strong></p>'


def test_it_keeps_a_malformed_web_address_literal():
    assert render_narrative("[x](http://[::1)") == "<p>[x](http://[::1)</p>"


# --------------------------------------------------------------------------------------------
# Filters
# --------------------------------------------------------------------------------------------


def test_it_groups_thousands_and_shows_a_dash_for_a_missing_figure():
    assert thousands(1540000) == "1,540,000"
    assert thousands(Decimal("1234.50")) == "1,235"
    assert thousands(0) == "0"
    assert thousands(None) == "–"
    assert thousands("") == "–"


def test_it_groups_thousands_as_peru_writes_them_on_spanish_pages():
    # A comma between thousands and a point before decimals, in both languages (issue 14):
    # the seed's 25,290, never a space a phone could break a number at.
    with translation.override("es"):
        assert thousands(1540000) == "1,540,000"
        assert number_format(Decimal("1250.5"), decimal_pos=2, force_grouping=True) == "1,250.50"
        assert compact(1540000) == "1.54M"


def test_it_never_breaks_a_number_typed_with_spaces_between_its_groups():
    html = render_narrative("Casi USD 330 000 en total; 1 300 personas; en 2023 150 kits.")
    assert "USD 330\xa0000 en total; 1\xa0300 personas" in html
    assert "2023 150" in html  # a year next to a number is two numbers
    assert whole_numbers("+51 972 000 111") == "+51\xa0972\xa0000\xa0111"
    assert whole_numbers("12 345 678") == "12\xa0345\xa0678"
    assert whole_numbers("1234 567") == "1234 567"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (44800000, "$44.8M"),
        (318000000, "$318M"),
        (950000, "$950K"),
        (Decimal("44800000.00"), "$44.8M"),
        (1540000, "$1.54M"),
        (999999, "$1M"),
        (1200000000, "$1.2B"),
        (25290, "$25.3K"),
        (950, "$950"),
        (0, "$0"),
        (None, "–"),
    ],
)
def test_it_abbreviates_amounts_in_us_dollars(value, expected):
    assert compact_usd(value) == expected


def test_it_abbreviates_amounts_with_a_decimal_point_on_spanish_pages():
    # The comma groups thousands in Peru; a decimal comma would make $44,8M read as 448.
    with translation.override("es"):
        assert compact_usd(44800000) == "$44.8M"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1540000, "1.54M"),
        (25290, "25,290"),
        (999999, "999,999"),
        (1000000, "1M"),
        (Decimal("25290.00"), "25,290"),
        (None, "–"),
    ],
)
def test_it_abbreviates_people_only_from_a_million_up(value, expected):
    assert compact(value) == expected


def test_it_leaves_text_that_is_not_a_number_as_it_is():
    assert compact("n/a") == "n/a"
    assert thousands("n/a") == "n/a"


def test_it_offers_the_filters_to_templates():
    template = Template(
        "{% load numbers %}{{ text|narrative }}|{{ n|thousands }}|{{ n|compact }}|"
        "{{ usd|compact_usd }}|{{ missing|thousands }}"
    )
    html = template.render(Context({
        "text": "**Lima** <b>", "n": 1540000, "usd": Decimal("318000000"), "missing": None,
    }))
    assert html == "<p><strong>Lima</strong> &lt;b&gt;</p>|1,540,000|1.54M|$318M|–"
