"""`python manage.py import_activities FILE [--as-approved] --user USERNAME` (DESIGN §5)."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command

from reporting import texts as msg
from reporting.models import ActivityLine, MonthlyReport, ReportingPeriod, ReportStatus
from reporting.sheets.columns import HEADERS

ROW = ["2023-09", "HIAS", "", "PRO", "PRO-01", "15", "", "", "destination", "service",
       "10", "12", "30", "25", "0", "3", "", "80", "95", "", "", "", "", "", "Orientación legal"]


def csv_file(tmp_path, *rows: list[str], name: str = "hias.csv"):
    path = tmp_path / name
    lines = [",".join(HEADERS)] + [",".join(values) for values in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def changed(values: list[str], **columns) -> list[str]:
    values = list(values)
    for header, value in columns.items():
        values[HEADERS.index(header.replace("_", " ").capitalize())] = value
    return values


def run(*args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("import_activities", *[str(arg) for arg in args], stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_it_imports_a_file_and_prints_a_summary_per_report(tmp_path, alice, report):
    path = csv_file(tmp_path, ROW, changed(ROW, population_type="transit"))
    out, err = run(path, "--user", "alice")
    assert report.lines.count() == 2
    assert "HIAS · PRO · 2023-09: 2 lines saved, 0 replaced (draft report)." in out
    assert "Imported 2 lines into 1 report." in out
    assert err == ""


def test_it_prints_every_error_and_saves_nothing(tmp_path, alice, report, line):
    path = csv_file(tmp_path, ROW, changed(ROW, department="Lmia", population_type="host"),
                    changed(ROW, girls="12.5", population_type="transit"))
    err = io.StringIO()
    with pytest.raises(CommandError, match="2 errors in hias.csv: nothing was saved."):
        call_command("import_activities", str(path), "--user", "alice",
                     stdout=io.StringIO(), stderr=err)
    assert err.getvalue().splitlines() == [
        "Row 3, Department: “Lmia” is not a department of Peru (ubigeo, P-code or name). "
        "Did you mean “Lima”?",
        "Row 4, Girls: “12.5” is not a whole number: write people and quantities as 12.",
    ]
    assert list(report.lines.all()) == [line]


def test_it_exits_non_zero_on_errors(tmp_path, alice, report):
    path = csv_file(tmp_path, changed(ROW, month="Sept"))
    with pytest.raises(CommandError) as failed:
        run(path, "--user", "alice")
    # manage.py prints a CommandError and exits with its return code (run_from_argv, which
    # closes the database connections, so it is not called here).
    assert failed.value.returncode == 1
    assert str(failed.value) == "1 error in hias.csv: nothing was saved."
    assert not ActivityLine.objects.exists()


def test_a_file_it_cannot_read_is_a_clear_error(tmp_path, alice):
    path = tmp_path / "photo.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    with pytest.raises(CommandError) as failed:
        run(path, "--user", "alice")
    assert str(failed.value) == str(msg.FILE_NOT_A_SPREADSHEET)


def test_a_missing_file_is_a_clear_error(tmp_path, alice):
    with pytest.raises(CommandError, match="Cannot read"):
        run(tmp_path / "nothing.csv", "--user", "alice")


def test_the_user_is_required_and_must_exist(tmp_path, alice):
    path = csv_file(tmp_path, ROW)
    with pytest.raises(CommandError, match="--user"):
        run(path)
    with pytest.raises(CommandError, match="There is no active user “nobody”"):
        run(path, "--user", "nobody")


def test_rows_are_scoped_to_the_users_organisation(tmp_path, bob, report):
    path = csv_file(tmp_path, ROW)
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_activities", str(path), "--user", "bob", stdout=io.StringIO(),
                     stderr=err)
    assert "Row 2, Organisation: This row is for HIAS" in err.getvalue()


def test_as_approved_needs_an_im_officer(tmp_path, alice, report):
    path = csv_file(tmp_path, ROW)
    with pytest.raises(CommandError, match=str(msg.ONLY_IM)):
        run(path, "--user", "alice", "--as-approved")


def test_a_coordinator_is_refused(tmp_path, paula, report):
    path = csv_file(tmp_path, ROW)
    with pytest.raises(CommandError, match=str(msg.UPLOAD_NOT_ALLOWED)):
        run(path, "--user", "paula")


def test_as_approved_loads_historic_data_twice_to_the_same_result(tmp_path, ivan):
    path = csv_file(tmp_path, changed(ROW, month="2021-06"),
                    changed(ROW, month="2021-06", organisation="Cáritas del Perú"),
                    name="activityinfo.csv")
    out, _err = run(path, "--user", "ivan", "--as-approved")
    assert "CARITAS · PRO · 2021-06: 1 line saved, 0 replaced (approved report)." in out
    period = ReportingPeriod.objects.get(month=dt.date(2021, 6, 1))
    reports = MonthlyReport.objects.filter(period=period)
    assert {report.status for report in reports} == {ReportStatus.APPROVED}
    first = sorted(ActivityLine.objects.values_list("report__organisation__acronym", "girls"))
    out, _err = run(path, "--user", "ivan", "--as-approved")
    assert "1 line saved, 1 replaced (approved report)" in out
    assert sorted(ActivityLine.objects.values_list("report__organisation__acronym",
                                                   "girls")) == first
    assert MonthlyReport.objects.filter(period=period).count() == 2


def test_without_user_it_records_the_load_as_the_one_im_officer(tmp_path, ivan, report):
    out, _ = run(csv_file(tmp_path, ROW))
    assert ActivityLine.objects.filter(report=report, created_by=ivan).count() == 1
    assert "1" in out
