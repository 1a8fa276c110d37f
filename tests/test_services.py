"""Changing a report's lines: who may, when, and the audit trail it leaves."""

from __future__ import annotations

import pytest

from reporting import services, workflow
from reporting import texts as msg
from reporting.models import (
    ActivityLine,
    LineChange,
    Location,
    MonthlyReport,
    ReportStatus,
    Sector,
)

from .factories import LineFactory


def test_adding_a_line_is_recorded_with_its_values(report, alice):
    line = LineFactory.build(report=report)
    services.save_line(line=line, by=alice)
    change = LineChange.objects.get(report=report)
    assert (change.action, change.by, change.line_id) == ("create", alice, line.pk)
    assert change.changes["total_monthly"] == 100
    assert change.changes["department"] == "15 Lima"
    assert line.created_by == alice and line.updated_by == alice


def test_changing_a_line_records_only_what_changed(report, line, alice, fiona):
    line.total_monthly = 140
    line.location = Location.objects.get(code="150132")
    services.save_line(line=line, by=fiona)
    change = LineChange.objects.get(report=report, action="update")
    assert change.by == fiona
    assert change.changes == {
        "location": ["15 Lima", "150132 San Juan de Lurigancho"],
        "total_monthly": [100, 140],
    }
    labels = [label for label, _, _ in change.readable_changes()]
    assert labels == ["location", "total monthly beneficiaries"]


def test_saving_an_unchanged_line_records_nothing(report, line, alice):
    services.save_line(line=line, by=alice)
    assert not LineChange.objects.filter(action="update").exists()


def test_deleting_a_line_keeps_its_values_in_the_trail(report, line, alice):
    line_id = line.pk
    services.delete_line(line=line, by=alice)
    assert not ActivityLine.objects.filter(pk=line_id).exists()
    change = LineChange.objects.get(action="delete")
    assert change.line_id == line_id and change.changes["new_beneficiaries"] == 80


@pytest.mark.parametrize("status", [ReportStatus.SUBMITTED, ReportStatus.APPROVED])
def test_lines_do_not_change_in_a_submitted_or_approved_report(status, report, line, alice):
    MonthlyReport.objects.filter(pk=report.pk).update(status=status)
    line.total_monthly = 500
    with pytest.raises(workflow.WorkflowError, match="can only change while it is a draft"):
        services.save_line(line=line, by=alice)
    with pytest.raises(workflow.WorkflowError):
        services.save_line(line=LineFactory.build(report=report, population_type="host"), by=alice)
    with pytest.raises(workflow.WorkflowError):
        services.delete_line(line=line, by=alice)
    line.refresh_from_db()
    assert line.total_monthly == 100
    assert report.lines.count() == 1
    assert not LineChange.objects.exists()


@pytest.mark.parametrize("status", [ReportStatus.RETURNED, ReportStatus.REOPENED])
def test_lines_change_in_a_returned_or_reopened_report(status, report, line, alice):
    MonthlyReport.objects.filter(pk=report.pk).update(status=status, status_reason="fix")
    line.total_monthly = 90
    services.save_line(line=line, by=alice)
    line.refresh_from_db()
    assert line.total_monthly == 90


def test_lines_do_not_change_in_a_locked_period(report, line, alice, ivan):
    workflow.lock_period(period=report.period, by=ivan)
    line.total_monthly = 500
    with pytest.raises(workflow.WorkflowError, match="is locked"):
        services.save_line(line=line, by=alice)
    with pytest.raises(workflow.WorkflowError, match="is locked"):
        services.delete_line(line=line, by=alice)


def test_the_report_is_rechecked_at_save_time(report, line, alice):
    """A line form opened before the report was submitted cannot slip in afterwards."""
    stale = MonthlyReport.objects.get(pk=report.pk)
    workflow.submit_report(report=report, by=alice)
    new_line = LineFactory.build(report=stale, population_type="transit")
    with pytest.raises(workflow.WorkflowError):
        services.save_line(line=new_line, by=alice)
    assert report.lines.count() == 1


@pytest.mark.parametrize("who", ["bob", "paula", "ivan"])
def test_only_the_organisations_users_change_lines(who, report, line, request):
    line.total_monthly = 500
    with pytest.raises(workflow.NotPermitted):
        services.save_line(line=line, by=request.getfixturevalue(who))


def test_adding_a_line_to_a_nil_report_withdraws_the_nil_declaration(report, alice, paula):
    workflow.declare_nil_report(report=report, by=alice)
    workflow.return_report(report=report, by=paula, reason="You worked in Tumbes this month.")
    services.save_line(line=LineFactory.build(report=report), by=alice)
    report.refresh_from_db()
    assert not report.is_nil


def test_starting_a_report_creates_one_draft_and_then_reuses_it(org_a, protection, period, alice):
    first = services.start_report(
        organisation_id=org_a.pk, sector=protection, period=period, by=alice
    )
    again = services.start_report(
        organisation_id=org_a.pk, sector=protection, period=period, by=alice
    )
    assert first.pk == again.pk and first.status == ReportStatus.DRAFT
    assert first.created_by == alice


def test_reports_are_per_top_level_sector(org_a, period, alice):
    child = Sector.objects.get(code="PRO-CP")
    with pytest.raises(workflow.WorkflowError) as caught:
        services.start_report(organisation_id=org_a.pk, sector=child, period=period, by=alice)
    assert str(caught.value) == msg.SECTOR_NOT_TOP_LEVEL % {"sector": child, "parent": child.parent}


def test_nobody_starts_another_organisations_report(org_a, protection, period, bob):
    with pytest.raises(workflow.NotPermitted):
        services.start_report(organisation_id=org_a.pk, sector=protection, period=period, by=bob)


def test_no_report_is_started_in_a_locked_period(org_a, protection, period, alice, ivan):
    workflow.lock_period(period=period, by=ivan)
    period.refresh_from_db()
    with pytest.raises(workflow.WorkflowError, match="is locked"):
        services.start_report(organisation_id=org_a.pk, sector=protection, period=period,
                              by=alice)
    assert not MonthlyReport.objects.exists()


def test_a_deactivated_organisation_no_longer_changes_lines_or_starts_reports(
    report, line, alice, health, period
):
    report.organisation.active = False
    report.organisation.save()
    line.total_monthly = 500
    with pytest.raises(workflow.WorkflowError, match="no longer an active partner"):
        services.save_line(line=line, by=alice)
    with pytest.raises(workflow.WorkflowError, match="no longer an active partner"):
        services.start_report(organisation_id=report.organisation_id, sector=health,
                              period=period, by=alice)


def test_a_deactivated_sector_takes_no_new_report(org_a, health, period, alice):
    health.active = False
    health.save()
    with pytest.raises(workflow.WorkflowError, match="no longer an active sector"):
        services.start_report(organisation_id=org_a.pk, sector=health, period=period, by=alice)


def test_a_duplicate_saved_by_another_tab_meanwhile_is_refused_with_the_rule(report, alice):
    from django.core.exceptions import ValidationError

    first_tab = LineFactory.build(report=report)
    first_tab.full_clean()  # the form validated it...
    LineFactory(report=report)  # ...then the same line came in from another tab
    with pytest.raises(ValidationError) as caught:
        services.save_line(line=first_tab, by=alice)
    assert caught.value.message_dict["__all__"] == [msg.DUPLICATE_LINE % {"line": 1}]
    assert report.lines.count() == 1


def test_changing_a_line_marks_the_report_as_changed(report, line, alice):
    before = MonthlyReport.objects.get(pk=report.pk).updated_at
    line.total_monthly = 120
    services.save_line(line=line, by=alice)
    assert MonthlyReport.objects.get(pk=report.pk).updated_at > before


def test_the_audit_summary_reads_the_same_in_every_language(report, alice):
    from django.utils import translation

    with translation.override("es"):
        services.save_line(line=LineFactory.build(report=report), by=alice)
    assert LineChange.objects.get().summary == "PRO-01 · Lima (15)"


def _trail(report, by, n: int) -> list[LineChange]:
    return [
        LineChange.objects.create(
            report=report, line_id=i, action=LineChange.Action.UPDATE, summary=f"línea {i}",
            changes={"total_monthly": [i, i + 1]}, by=by,
        )
        for i in range(n)
    ]


def test_the_report_page_shows_the_latest_changes_and_links_to_all(client, report, alice):
    from reporting.views import CHANGES_SHOWN

    trail = _trail(report, alice, CHANGES_SHOWN + 5)
    client.force_login(alice)
    page = client.get(f"/reports/{report.pk}/")
    shown = page.context["changes"]
    assert [c.pk for c in shown] == [c.pk for c in trail[5:]]  # the latest, oldest first
    assert page.context["change_count"] == CHANGES_SHOWN + 5
    text = page.content.decode()
    assert "25 changes" in text and f"The latest {CHANGES_SHOWN} changes are shown." in text
    assert 'href="?changes=all#changes"' in text and "línea 4" not in text

    everything = client.get(f"/reports/{report.pk}/?changes=all")
    assert [c.pk for c in everything.context["changes"]] == [c.pk for c in trail]
    assert "<details open>" in everything.content.decode()
    assert "línea 4" in everything.content.decode()
    assert 'href="?changes=all#changes"' not in everything.content.decode()


def test_a_short_trail_is_shown_whole_without_a_link(client, report, alice):
    _trail(report, alice, 3)
    client.force_login(alice)
    page = client.get(f"/reports/{report.pk}/")
    assert page.context["change_count"] == 3 and len(page.context["changes"]) == 3
    assert 'href="?changes=all#changes"' not in page.content.decode()
    assert "3 changes" in page.content.decode()
