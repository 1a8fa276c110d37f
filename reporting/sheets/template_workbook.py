"""The activity template: the column contract (DESIGN §5) as a workbook partners fill in.

Three sheets: "Activities" (the contract's headers, the HXL row, drop-down lists and number
formats, optionally last month's lines; new beneficiaries turn red when the breakdown does not
add up to them),
"Instructions" (the user's language, then the other) and "Lists" (hidden: the live reference
codes behind the drop-downs, one workbook-level name per list). A Spanish template names its
sheets and headers in Spanish (columns.SPANISH), and the import reads either.

Rows are not pre-filled with the month and organisation: the importer skips blank rows, but a
row holding only those two values is not blank and would fail as incomplete. The two columns
offer their one value in a drop-down instead, and lines copied from last month carry them.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.utils import translation
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.comments import Comment
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from partners.models import Organisation
from reporting.models import (
    DISAGGREGATION_FIELDS,
    ActivityLine,
    DeliveryMechanism,
    Indicator,
    Location,
    LocationLevel,
    Modality,
    PopulationType,
    Sector,
)

from . import columns
from .columns import COLUMNS, TEMPLATE_COLUMNS, Kind

ACTIVITIES = "Activities"
INSTRUCTIONS = "Instructions"
LISTS = "Lists"
# The sheet names of a Spanish template (the import finds "Actividades" as it finds "Activities").
SHEET_NAMES = {
    "en": (ACTIVITIES, INSTRUCTIONS, LISTS),
    "es": ("Actividades", "Instrucciones", "Listas"),
}
FIRST_DATA_ROW = 3  # row 1: headers, row 2: HXL hashtags
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# Workbook-level names of the lists on the hidden sheet. A dependent list (a sector's
# indicators, a department's provinces, a province's districts) is named prefix + parent code.
MONTH_LIST = "MONTH_LIST"
ORGANISATION_LIST = "ORGANISATION_LIST"
PARTNER_LIST = "PARTNER_LIST"
SECTOR_LIST = "SECTOR_LIST"
INDICATOR_LIST = "INDICATOR_LIST"
DEPARTMENT_LIST = "DEPARTMENT_LIST"
PROVINCE_LIST = "PROVINCE_LIST"
DISTRICT_LIST = "DISTRICT_LIST"
POPULATION_TYPE_LIST = "POPULATION_TYPE_LIST"
MODALITY_LIST = "MODALITY_LIST"
MECHANISM_LIST = "MECHANISM_LIST"
INDICATORS_OF = "IND_"
PROVINCES_OF = "PROV_"
DISTRICTS_OF = "DIST_"
# A code becomes part of a name only if the name stays valid in Excel and LibreOffice.
_NAME_SAFE = re.compile(r"^[A-Za-z0-9_.]+$")

NAVY = "0B3B60"
HEADER_REQUIRED = (Font(bold=True, color="FFFFFF"), PatternFill("solid", fgColor=NAVY))
HEADER_OPTIONAL = (Font(bold=True, color=NAVY), PatternFill("solid", fgColor="DCE6F0"))
HXL_FONT = Font(italic=True, color="6C757D")
NUMBER_FORMATS = {Kind.COUNT: "0", Kind.MONEY: "0.00"}  # everything else is text: "@"
WIDTHS = {Kind.MONTH: 10, Kind.CODE: 13, Kind.COUNT: 11, Kind.MONEY: 12, Kind.TEXT: 40,
          Kind.YES_NO: 10}
WIDE = {"organisation": 16, "implementing_partner": 18, "indicator": 12, "new_beneficiaries": 14,
        "total_monthly": 16}

# Excel refuses a workbook whose validation titles or messages are longer than this.
TITLE_LIMIT = 32
MESSAGE_LIMIT = 255


def bilingual(message: str, *, limit: int | None = None, sep: str = " / ") -> str:
    """Return a gettext msgid in Spanish and English (once if they read the same), or only in
    Spanish when both together would not fit in `limit` characters."""
    with translation.override("es"):
        spanish = _(message)
    with translation.override("en"):
        english = _(message)
    both = spanish if spanish == english else f"{spanish}{sep}{english}"
    if limit is not None and len(both) > limit:
        return spanish[:limit]
    return both


def previous_month(month: dt.date) -> dt.date:
    """Return the first day of the month before `month`."""
    return (month.replace(day=1) - dt.timedelta(days=1)).replace(day=1)


def template_filename(*, organisation: Organisation, month: dt.date) -> str:
    """Return the download name, e.g. gtrm-actividades-HIAS-2023-09.xlsx (ASCII only)."""
    ascii_acronym = unicodedata.normalize("NFKD", organisation.acronym).encode("ascii", "ignore")
    acronym = re.sub(r"[^A-Za-z0-9]+", "-", ascii_acronym.decode()).strip("-") or "org"
    return f"gtrm-actividades-{acronym}-{month:%Y-%m}.xlsx"


def build_template(
    *,
    organisation: Organisation,
    month: dt.date,
    prefill_from: dt.date | None = None,
    rows: int = 500,
    language: str = "en",
) -> bytes:
    """Return the activity template of `organisation` for `month` as an .xlsx file, with the
    lines it reported for `prefill_from` copied into `month` when that is given. Headers,
    sheet names and the population type and modality drop-downs are in `language` (es or en).
    """
    language = "es" if language.startswith("es") else "en"
    activities_name, instructions_name, lists_name = SHEET_NAMES[language]
    month = month.replace(day=1)
    lines = _lines_of(organisation, prefill_from.replace(day=1)) if prefill_from else []
    last_row = FIRST_DATA_ROW - 1 + max(rows, len(lines))

    workbook = Workbook()
    activities = workbook.active
    activities.title = activities_name
    instructions = workbook.create_sheet(instructions_name)
    lists = workbook.create_sheet(lists_name)
    lists.sheet_state = "hidden"  # not "veryHidden": the instructions tell people to unhide it

    _write_lists(workbook, lists, organisation=organisation, month=month, language=language)
    # The legacy "Other" (age not recorded) only when a copied line still has people there,
    # so that the copy loses nothing and the upload asks for their age.
    shown = COLUMNS if any(line.other_unknown_age for line in lines) else TEMPLATE_COLUMNS
    _write_activities(activities, organisation=organisation, month=month, lines=lines,
                      last_row=last_row, shown=shown, language=language)
    _write_instructions(instructions, organisation=organisation, month=month, language=language,
                        prefill_from=prefill_from if lines else None)

    workbook.active = 0
    workbook.properties.title = f"GTRM Perú · {organisation.acronym} · {month:%Y-%m}"
    workbook.properties.subject = bilingual("Monthly activity report")
    workbook.properties.creator = "GTRM Perú"
    workbook.properties.lastModifiedBy = "GTRM Perú"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# The Activities sheet ------------------------------------------------------------------------


def _lines_of(organisation: Organisation, month: dt.date) -> list[ActivityLine]:
    return list(
        ActivityLine.objects.filter(report__organisation=organisation, report__period__month=month)
        .select_related("report__sector", "indicator", "department", "location__parent",
                        "implementing_partner")
        .order_by("report__sector__order", "report__sector__code", "pk")
    )


def _choice_value(choices, value: str, language: str) -> str:
    """Return `value` as its drop-down offers it: "code · name" in `language`."""
    with translation.override(language):
        return _coded(value, str(choices(value).label))


def _coded(code: str, name: str) -> str:
    """Return a drop-down entry: "code · name" ("15 · Lima", "HEA · Salud"), which the import
    reads by its code (columns.code_part); the code alone when there is no name."""
    return f"{code}{columns.CODE_NAME_SEPARATOR}{name}" if name else code


def _named(item, language: str) -> str:
    """Return a sector's or an indicator's name in `language`, or in the other one if empty."""
    first, second = (item.name_es, item.name_en) if language == "es" else (item.name_en,
                                                                           item.name_es)
    return first or second


def _place_value(place: Location | None) -> str | None:
    return _coded(place.code, place.name) if place else None


def _line_values(line: ActivityLine, *, organisation: Organisation, month: dt.date,
                 language: str = "en") -> dict:
    province, district = line.province, line.district
    return {
        "month": f"{month:%Y-%m}",
        "organisation": organisation.acronym,
        "implementing_partner": line.implementing_partner.acronym if line.implementing_partner else None,
        "sector": _coded(line.report.sector.code, _named(line.report.sector, language)),
        "indicator": _coded(line.indicator.code, _named(line.indicator, language)),
        "department": _place_value(line.department),
        "province": _place_value(province),
        "district": _place_value(district),
        "population_type": _choice_value(PopulationType, line.population_type, language),
        "modality": _choice_value(Modality, line.modality, language),
        "girls": line.girls,
        "boys": line.boys,
        "women": line.women,
        "men": line.men,
        "other_under_18": line.other_under_18,
        "other_adults": line.other_adults,
        "other_unknown_age": line.other_unknown_age,
        "new_beneficiaries": line.new_beneficiaries,
        "total_monthly": line.total_monthly,
        "quantity": line.quantity,
        "cash_usd": line.cash_usd,
        "description": line.description or None,
        "rmrp_activity": "yes" if line.rmrp_activity else "no",
        "delivery_mechanism": (_choice_value(DeliveryMechanism, line.delivery_mechanism, language)
                               if line.delivery_mechanism else None),
        "activity_name": line.activity_name or None,
    }


def _put(sheet: Worksheet, row: int, column: int, value, number_format: str = "General") -> None:
    """Write `value` as the exports do: text that a spreadsheet would run as a formula gets
    a leading apostrophe (columns.neutralise), which the importer takes off again."""
    cell = sheet.cell(row=row, column=column)
    if isinstance(value, str):
        # Control characters go first: removing them may uncover a formula.
        value = columns.neutralise(ILLEGAL_CHARACTERS_RE.sub("", value))
    cell.value = value
    cell.number_format = number_format


def _number_format(column: columns.Column) -> str:
    return NUMBER_FORMATS.get(column.kind, "@")


def _write_activities(sheet: Worksheet, *, organisation: Organisation, month: dt.date,
                      lines: list[ActivityLine], last_row: int,
                      shown: tuple[columns.Column, ...], language: str = "en") -> None:
    for index, column in enumerate(shown, start=1):
        letter = get_column_letter(index)
        font, fill = HEADER_REQUIRED if column.required else HEADER_OPTIONAL
        header = sheet.cell(row=1, column=index, value=columns.header_in(column, language))
        header.font, header.fill = font, fill
        header.alignment = Alignment(wrap_text=True, vertical="center")
        header.comment = _header_comment(column)
        hxl = sheet.cell(row=2, column=index, value=column.hxl)
        hxl.font = HXL_FONT
        dimension = sheet.column_dimensions[letter]
        dimension.width = WIDE.get(column.field, WIDTHS[column.kind])
        # The column's own format reaches the cells people type into: a month stays text
        # (not a date) and a ubigeo keeps its leading zero.
        dimension.number_format = _number_format(column)
    sheet.row_dimensions[1].height = 32
    sheet.freeze_panes = sheet.cell(row=FIRST_DATA_ROW, column=1)

    for row, line in enumerate(lines, start=FIRST_DATA_ROW):
        values = _line_values(line, organisation=organisation, month=month, language=language)
        for index, column in enumerate(shown, start=1):
            _put(sheet, row, index, values.get(column.field), _number_format(column))

    for validation in _validations(last_row, shown):
        sheet.add_data_validation(validation)
    _write_sum_check(sheet, last_row=last_row, shown=shown, language=language)


def _write_sum_check(sheet: Worksheet, *, last_row: int, shown: tuple[columns.Column, ...],
                     language: str) -> None:
    """Flag, as the form does (ActivityLine.clean), a "New beneficiaries" cell that differs from
    the sum of its row's sex-and-age breakdown: conditional formatting paints it red, so the
    cells stay empty and the import reads the sheet as before."""
    letters = {column.field: get_column_letter(i) for i, column in enumerate(shown, start=1)}
    breakdown = [letters[field] for field in DISAGGREGATION_FIELDS if field in letters]
    new = f"{letters['new_beneficiaries']}{FIRST_DATA_ROW}"
    cells = ",".join(f"${letter}{FIRST_DATA_ROW}" for letter in breakdown)
    formula = f"AND(COUNT({cells},${new})>0,SUM({cells})<>N(${new}))"
    area = f"{new}:{letters['new_beneficiaries']}{last_row}"
    sheet.conditional_formatting.add(area, FormulaRule(
        formula=[formula], fill=PatternFill("solid", fgColor="F8D7DA"),
        font=Font(bold=True, color="B02A37"), stopIfTrue=True))


def _header_comment(column: columns.Column) -> Comment:
    with translation.override("es"):
        spanish = _explained(column)
    with translation.override("en"):
        english = _explained(column)
    text = f"{column.header} ({column.hxl})\n\n{spanish}"
    if english != spanish:
        text += f"\n\n{english}"
    comment = Comment(text, "GTRM Perú")
    comment.width, comment.height = 320, 150
    return comment


def _explained(column: columns.Column) -> str:
    """Return a column's help in the active language, saying first if it is required (the
    optional columns' help says so where it matters)."""
    if not column.required:
        return str(column.help)
    return _("Required. %(help)s") % {"help": column.help}


def _validations(last_row: int, shown: tuple[columns.Column, ...]) -> Iterable[DataValidation]:
    letters = {column.field: get_column_letter(i) for i, column in enumerate(shown, start=1)}

    def cells(*fields: str) -> str:
        return " ".join(f"{letters[f]}{FIRST_DATA_ROW}:{letters[f]}{last_row}" for f in fields
                        if f in letters)

    def dependent(prefix: str, parent: str, fallback: str) -> str:
        # The parent's own list when the parent holds a known code (alone or as the drop-down
        # writes it, "code · name": the part before the separator); every entry otherwise
        # (parent still empty, or written as a name, which the importer also accepts).
        cell = f"${letters[parent]}{FIRST_DATA_ROW}"
        separator = columns.CODE_NAME_SEPARATOR
        code = f'LEFT({cell},FIND("{separator}",{cell}&"{separator}")-1)'
        ref = f'INDIRECT("{prefix}"&{code})'
        return f"IF(ISREF({ref}),{ref},{fallback})"

    not_listed = bilingual("Not in the list", limit=TITLE_LIMIT)
    choose_code = bilingual(
        "Choose a code from the drop-down list; every code is on the Lists sheet.",
        limit=MESSAGE_LIMIT, sep="\n",
    )
    unexpected = bilingual(
        "This template is for one month and organisation; check the value before you go on.",
        limit=MESSAGE_LIMIT, sep="\n",
    )
    not_a_number = bilingual("Not a number", limit=TITLE_LIMIT)

    def listed(formula: str, fields: tuple[str, ...], *, strict: bool = True) -> DataValidation:
        return DataValidation(
            type="list", formula1=formula, sqref=cells(*fields), allow_blank=True,
            showDropDown=False,  # (sic) False shows the arrow
            showErrorMessage=True, errorStyle="stop" if strict else "warning",
            errorTitle=not_listed, error=choose_code if strict else unexpected,
        )

    yield listed(MONTH_LIST, ("month",), strict=False)
    yield listed(ORGANISATION_LIST, ("organisation",), strict=False)
    yield listed(PARTNER_LIST, ("implementing_partner",), strict=False)
    yield listed(SECTOR_LIST, ("sector",))
    yield listed(dependent(INDICATORS_OF, "sector", INDICATOR_LIST), ("indicator",))
    yield listed(DEPARTMENT_LIST, ("department",))
    yield listed(dependent(PROVINCES_OF, "department", PROVINCE_LIST), ("province",))
    if "district" in letters:
        yield listed(dependent(DISTRICTS_OF, "province", DISTRICT_LIST), ("district",))
    yield listed(POPULATION_TYPE_LIST, ("population_type",))
    yield listed(MODALITY_LIST, ("modality",))
    yield listed('"yes,no"', ("rmrp_activity",))
    yield listed(MECHANISM_LIST, ("delivery_mechanism",))

    counts = tuple(column.field for column in shown if column.kind is Kind.COUNT)
    yield DataValidation(
        type="whole", operator="between", formula1="0", formula2="2000000",
        sqref=cells(*counts), allow_blank=True, showErrorMessage=True, errorStyle="stop",
        errorTitle=not_a_number,
        error=bilingual("Enter a whole number of zero or more.", limit=MESSAGE_LIMIT, sep="\n"),
    )
    money = tuple(column.field for column in shown if column.kind is Kind.MONEY)
    yield DataValidation(
        type="decimal", operator="greaterThanOrEqual", formula1="0",
        sqref=cells(*money), allow_blank=True, showErrorMessage=True, errorStyle="stop",
        errorTitle=not_a_number,
        error=bilingual("Enter an amount in USD of zero or more.", limit=MESSAGE_LIMIT, sep="\n"),
    )


# The Lists sheet -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Block:
    """A list on the hidden sheet: its codes first, then columns that explain them."""

    name: str
    headers: tuple[str, ...]
    rows: list[tuple]
    dependent_prefix: str = ""
    parent_of: Callable[[tuple], str] | None = None  # the parent code of a row


def _choice_rows(choices, language: str = "en") -> list[tuple]:
    """Rows of a choice list: "code · name" in `language` first (what the drop-down offers and
    the import reads), then the Spanish and English names."""
    rows = []
    for value, label in choices.choices:
        with translation.override("es"):
            spanish = str(label)
        with translation.override("en"):
            english = str(label)
        name = spanish if language == "es" else english
        rows.append((f"{value}{columns.CODE_NAME_SEPARATOR}{name}", spanish, english))
    return rows


def _blocks(*, organisation: Organisation, month: dt.date, language: str = "en") -> list[_Block]:
    name_es, name_en = "Nombre", "Name"
    sectors = list(Sector.objects.top_level().filter(active=True).order_by("order", "code"))
    sector_order = {sector.pk: position for position, sector in enumerate(sectors)}
    indicators = sorted(
        (
            # The indicators of the plan in force in the template's month.
            indicator for indicator in Indicator.objects.filter(active=True).in_force(month)
            .select_related("sector")
            if (indicator.sector.parent_id or indicator.sector_id) in sector_order
        ),
        key=lambda indicator: (sector_order[indicator.sector.parent_id or indicator.sector_id],
                               indicator.code),
    )
    top_code = {sector.pk: sector.code for sector in sectors}
    places: dict[str, list[tuple]] = {level: [] for level in LocationLevel.values}
    for place_code, place_name, level, parent_code in (
        Location.objects.order_by("code").values_list("code", "name", "level", "parent__code")
    ):
        places[level].append((_coded(place_code, place_name), parent_code, place_name))
    partners = Organisation.objects.filter(active=True).order_by("acronym")
    return [
        _Block(MONTH_LIST, (bilingual("Month"),), [(f"{month:%Y-%m}",)]),
        _Block(ORGANISATION_LIST, (bilingual("Organisation"), name_es),
               [(organisation.acronym, organisation.name)]),
        _Block(SECTOR_LIST, (bilingual("Sector"), name_es, name_en),
               [(_coded(s.code, _named(s, language)), s.name_es, s.name_en) for s in sectors]),
        # Each indicator's allowed modalities, last: the modality drop-down offers them all.
        _Block(INDICATOR_LIST, (bilingual("Indicator"), bilingual("Sector"), bilingual("Unit"),
                                name_es, name_en, bilingual("Allowed modalities")),
               [(_coded(i.code, _named(i, language)), top_code[i.sector.parent_id or i.sector_id],
                 i.unit, i.name_es, i.name_en, "; ".join(i.modalities)) for i in indicators],
               INDICATORS_OF, lambda row: row[1]),
        _Block(DEPARTMENT_LIST, (bilingual("Department"), name_es),
               [(entry, name) for entry, _parent, name in places[LocationLevel.DEPARTMENT]]),
        _Block(PROVINCE_LIST, (bilingual("Province"), bilingual("Department"), name_es),
               places[LocationLevel.PROVINCE], PROVINCES_OF, lambda row: row[1]),
        _Block(DISTRICT_LIST, (bilingual("District"), bilingual("Province"), name_es),
               places[LocationLevel.DISTRICT], DISTRICTS_OF, lambda row: row[1]),
        _Block(POPULATION_TYPE_LIST, (bilingual("Population type"), name_es, name_en),
               _choice_rows(PopulationType, language)),
        _Block(MODALITY_LIST, (bilingual("Modality"), name_es, name_en),
               _choice_rows(Modality, language)),
        _Block(MECHANISM_LIST, (bilingual("Delivery mechanism"), name_es, name_en),
               _choice_rows(DeliveryMechanism, language)),
        _Block(PARTNER_LIST, (bilingual("Implementing partner"), name_es),
               list(partners.values_list("acronym", "name"))),
    ]


def _write_lists(workbook: Workbook, sheet: Worksheet, *, organisation: Organisation,
                 month: dt.date, language: str = "en") -> None:
    title = quote_sheetname(sheet.title)
    first_column = 1
    for block in _blocks(organisation=organisation, month=month, language=language):
        letter = get_column_letter(first_column)
        for offset, header in enumerate(block.headers):
            cell = sheet.cell(row=1, column=first_column + offset, value=header)
            cell.font = Font(bold=True)
            sheet.column_dimensions[get_column_letter(first_column + offset)].width = (
                12 if offset == 0 else 30
            )
        for row, values in enumerate(block.rows, start=2):
            for offset, value in enumerate(values):
                _put(sheet, row, first_column + offset, value, "@")
        last = max(2, len(block.rows) + 1)  # an empty list still names one (blank) cell
        _define(workbook, block.name, f"{title}!${letter}$2:${letter}${last}")
        if block.parent_of is not None:
            for parent, start, end in _runs(block.rows, block.parent_of):
                if parent and _NAME_SAFE.match(parent):
                    _define(workbook, block.dependent_prefix + parent,
                            f"{title}!${letter}${start}:${letter}${end}")
        first_column += len(block.headers) + 1  # a blank column between lists
    sheet.freeze_panes = "A2"


def _runs(rows: list[tuple], parent_of: Callable[[tuple], str]) -> Iterable[tuple[str, int, int]]:
    """Yield (parent code, first row, last row) for each run of rows with the same parent;
    the rows are sorted so that each parent's rows are contiguous."""
    start = 2
    for position in range(len(rows)):
        is_last = position + 1 == len(rows)
        if is_last or parent_of(rows[position + 1]) != parent_of(rows[position]):
            yield parent_of(rows[position]), start, position + 2
            start = position + 3


def _define(workbook: Workbook, name: str, reference: str) -> None:
    workbook.defined_names[name] = DefinedName(name, attr_text=reference)


# The Instructions sheet ----------------------------------------------------------------------


def _write_instructions(sheet: Worksheet, *, organisation: Organisation, month: dt.date,
                        prefill_from: dt.date | None, language: str = "en") -> None:
    widths = {"A": 28, "B": 100, "C": 24}
    for letter, width in widths.items():
        sheet.column_dimensions[letter].width = width
    wrap = Alignment(wrap_text=True, vertical="top")

    def text_row(row: int, column: int, text: str, *, bold: bool = False) -> None:
        cell = sheet.cell(row=row, column=column, value=text)
        cell.alignment = wrap
        cell.font = Font(bold=bold)
        # Programs do not size rows of wrapped text on opening; about 100 characters a line.
        sheet.row_dimensions[row].height = 15 * math.ceil(len(text) / 100)

    row = 1
    sections = [("es", "Instrucciones (español)"), ("en", "Instructions (English)")]
    sections.sort(key=lambda section: section[0] != language)  # the user's language first
    for section_language, heading in sections:
        with translation.override(section_language):
            sheet.cell(row=row, column=1, value=heading).font = Font(bold=True, size=14, color=NAVY)
            row += 1
            for text in _instruction_paragraphs(organisation, month, prefill_from):
                text_row(row, 2, text)
                row += 1
            row += 1
            for column, value in enumerate((_("Column"), _("Meaning"), "HXL"), start=1):
                sheet.cell(row=row, column=column, value=value).font = Font(bold=True, color=NAVY)
            row += 1
            for column in COLUMNS:
                sheet.cell(row=row, column=1, value=columns.header_in(column, section_language)
                           ).font = Font(bold=column.required)
                text_row(row, 2, _explained(column))
                _put(sheet, row, 3, column.hxl)
                row += 1
            row += 2
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True


def _instruction_paragraphs(organisation: Organisation, month: dt.date,
                            prefill_from: dt.date | None) -> list[str]:
    """Return the instructions in the active language."""
    paragraphs = [
        _("This template is for %(organisation)s (%(acronym)s), month %(month)s.") % {
            "organisation": organisation.name, "acronym": organisation.acronym,
            "month": f"{month:%Y-%m}",
        },
        _("Sheet “Activities”: one row per activity line, from row 3. Row 1 holds the column "
          "names and row 2 the HXL hashtags: do not change, move or delete them. Blank rows are "
          "skipped."),
        _("Write the month (%(month)s) and the organisation (%(acronym)s) on every row you fill "
          "in; their drop-down lists offer them. Dark columns are required; light ones are "
          "optional. Each column name has a note that explains it.") % {
            "month": f"{month:%Y-%m}", "acronym": organisation.acronym,
        },
        _("Sector, indicator, department, province, district, population type, modality and "
          "delivery mechanism: choose from the drop-down list, which shows each code with its "
          "name (“15 · Lima”); the upload reads the code, so the code alone or the name alone "
          "also do. Once a sector is chosen, the indicator list shows its indicators "
          "(sub-sectors included); once a department is chosen, the province list shows its "
          "provinces; a province, its districts. Places are INEI ubigeo codes, kept as text "
          "(01 is Amazonas)."),
        _("The rules of a line: new beneficiaries are the sum of girls, boys, women, men and "
          "other (under 18 and 18+); total monthly beneficiaries are at least the new "
          "beneficiaries; cash USD is for cash and voucher modalities only, and required for "
          "them; indicators counted in kits, sessions or other units need a quantity, those "
          "counted in people leave it empty."),
        _("Each indicator allows only some modalities (cash for rent is paid in cash or "
          "vouchers; kits are in kind): the Lists sheet names them in the last column of the "
          "indicators' list, and the upload refuses any other."),
        _("One line per indicator × place × population type × modality × implementing "
          "partner: add the figures up rather than repeating a combination."),
        _("Upload the file on the platform. You first see a preview: the lines each monthly "
          "report will get and what they replace, and every error with its row, column and "
          "reason. Nothing is saved until you confirm, and then all or nothing: a single error "
          "and no line is saved."),
        _("An upload replaces all the lines of each draft or returned report it covers (one "
          "report per organisation, sector and month) and leaves your other reports alone. "
          "Rows for a submitted or approved report, or for a locked month, are errors."),
        _("Every code, with its name, is on the hidden sheet “Lists”: unhide it (right-click a "
          "sheet tab, then Unhide) or use the drop-down lists."),
    ]
    if prefill_from is not None:
        paragraphs.insert(1, _(
            "The rows were copied from your lines of %(previous)s, set to %(month)s: update "
            "the figures, delete the lines that did not happen this month and add new ones."
        ) % {"previous": f"{prefill_from:%Y-%m}", "month": f"{month:%Y-%m}"})
    return paragraphs
