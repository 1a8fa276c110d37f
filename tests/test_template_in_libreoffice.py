"""The template's dependent drop-downs, evaluated by a real spreadsheet program.

The indicator, province and district lists are Excel formulas (`INDIRECT` of the parent cell's
code part) that Python cannot run: LibreOffice Calc opens the template, computes the same
expressions in spare cells and writes the sheet as CSV, and the results are checked against
the database. .ci/run installs LibreOffice (libreoffice-calc-nogui), so CI always runs this;
elsewhere it is skipped when `soffice` is missing.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import shutil
import subprocess

import pytest
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from reporting.models import Indicator, Location
from reporting.sheets import columns
from reporting.sheets.template_workbook import build_template

SOFFICE = shutil.which("soffice")
pytestmark = pytest.mark.skipif(
    SOFFICE is None and not os.environ.get("CI"),
    reason="LibreOffice (soffice) is not installed; .ci/run installs it",
)
SEPTEMBER = dt.date(2023, 9, 1)


def code_of(cell: str) -> str:
    """The template's own expression for the code part of a "code · name" cell."""
    separator = columns.CODE_NAME_SEPARATOR
    return f'LEFT({cell},FIND("{separator}",{cell}&"{separator}")-1)'


def computed(tmp_path, workbook) -> list[list[str]]:
    """Return the first sheet as LibreOffice computes it (formulas' results, as text)."""
    source = tmp_path / "plantilla.xlsx"
    workbook.save(source)
    subprocess.run(
        [SOFFICE or "soffice", "--headless", "--calc", f"-env:UserInstallation=file://{tmp_path}/lo",
         "--convert-to", "csv:Text - txt - csv (StarCalc):44,34,76,1", "--outdir",
         str(tmp_path), str(source)],
        check=True, capture_output=True, timeout=180,
    )
    text = (tmp_path / "plantilla.csv").read_text(encoding="utf-8")
    return list(csv.reader(io.StringIO(text)))


@pytest.mark.django_db
def test_the_dependent_lists_follow_a_parent_written_as_its_drop_down_or_as_a_code(
        tmp_path, org_a):
    workbook = load_workbook(io.BytesIO(build_template(organisation=org_a, month=SEPTEMBER,
                                                       language="es")))
    sheet = workbook["Actividades"]
    letter = {cell.value: get_column_letter(cell.column) for cell in sheet[1]}
    sector, department, province = letter["Sector"], letter["Departamento"], letter["Provincia"]
    # Row 3 as the drop-downs write the parents, row 4 as a person types bare codes.
    sheet[f"{sector}3"], sheet[f"{department}3"] = "PRO · Protección", "15 · Lima"
    sheet[f"{province}3"] = "1501 · Lima"
    sheet[f"{sector}4"], sheet[f"{department}4"], sheet[f"{province}4"] = "HEA", "15", "1501"
    checks = ("AD", "AE", "AF", "AG")
    for row in (3, 4):
        sheet[f"AD{row}"] = f'=ROWS(INDIRECT("PROV_"&{code_of(f"{department}{row}")}))'
        sheet[f"AE{row}"] = f'=INDEX(INDIRECT("PROV_"&{code_of(f"{department}{row}")}),2)'
        sheet[f"AF{row}"] = f'=ROWS(INDIRECT("DIST_"&{code_of(f"{province}{row}")}))'
        sheet[f"AG{row}"] = f'=INDEX(INDIRECT("IND_"&{code_of(f"{sector}{row}")}),1)'

    rows = computed(tmp_path, workbook)

    lima = Location.objects.filter(parent__code="15").order_by("code")
    districts = Location.objects.filter(parent__code="1501").count()
    first = {code: Indicator.objects.in_force(SEPTEMBER).filter(
        active=True, sector__code__startswith=code).order_by("code").first()
        for code in ("PRO", "HEA")}
    index = {name: position for position, name in enumerate(
        [get_column_letter(n) for n in range(1, 40)])}
    for number, sector_code in ((3, "PRO"), (4, "HEA")):
        found = [rows[number - 1][index[column]] for column in checks]
        assert found == [
            str(lima.count()), f"{lima[1].code} · {lima[1].name}", str(districts),
            f"{first[sector_code].code} · {first[sector_code].name_es}",
        ], number
    # The drop-down's own validation formula is the expression evaluated above.
    formulas = [rule.formula1 for rule in sheet.data_validations.dataValidation]
    assert f'INDIRECT("PROV_"&{code_of(f"${department}3")})' in " ".join(formulas)
