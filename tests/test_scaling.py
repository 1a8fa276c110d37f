"""What lets the platform run at a million lines and on several app servers.

- The admin changelist of lines counts a large table from PostgreSQL's statistics, and runs a
  fixed number of queries whatever the number of lines; the reports' changelist computes each
  report's figures for the rows of the page only.
- Nothing is kept in one process: sessions and the login throttle live in the database, and
  with REDIS_URL the cache is shared (checked against the Redis these machines run).

The timings themselves are measured by `manage.py benchmark` (README), never asserted here.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from axes.handlers.database import AxesDatabaseHandler
from django.conf import settings
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils.module_loading import import_string

from reporting.admin.review import ActivityLineAdmin, EstimatedCountPaginator
from reporting.models import ActivityLine, Location

from .factories import LineFactory

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent
DISTRICTS = ["150101", "150102", "150103", "150104", "150105", "150106", "150107", "150108",
             "150109", "150110", "150111", "150112"]


def add_lines(report, count: int) -> None:
    places = list(Location.objects.filter(code__in=DISTRICTS))
    existing = report.lines.count()
    for n in range(existing, existing + count):
        population = ["destination", "transit", "host", "pendular", "returnee"][n % 5]
        modality = ["service", "in_kind"][n // 5 % 2]
        LineFactory(report=report, location=places[n // 10], population_type=population,
                    modality=modality)


def test_it_counts_the_lines_changelist_the_same_few_queries_for_10_and_100_lines(
    client, ivan, report, django_assert_num_queries
):
    add_lines(report, 10)
    client.force_login(ivan)
    url = "/admin/reporting/activityline/"
    client.get(url)  # the first request of a session may write it; count the ones after
    with CaptureQueriesContext(connection) as captured:
        client.get(url)
    few = len(captured.captured_queries)
    add_lines(report, 90)
    with django_assert_num_queries(few):
        response = client.get(url)
    assert response.status_code == 200
    assert response.content.decode().count('class="field-report_link"') == 100


def test_it_shows_a_coordinator_only_the_lines_of_the_reports_they_review(
    client, paula, carl, report
):
    add_lines(report, 3)
    client.force_login(paula)
    assert client.get("/admin/reporting/activityline/").context["cl"].result_count == 0  # draft
    report.status = "submitted"
    report.save()
    assert client.get("/admin/reporting/activityline/").context["cl"].result_count == 3
    client.force_login(carl)
    assert client.get("/admin/reporting/activityline/").context["cl"].result_count == 0


def test_it_filters_the_lines_changelist_by_period_sector_and_department(client, ivan, report):
    add_lines(report, 3)
    client.force_login(ivan)
    for query, expected in (("period=2023-09", 3), ("period=2023-08", 0), ("sector=PRO", 3),
                            ("sector=SAL", 0), ("department=15", 3), ("department=07", 0)):
        response = client.get(f"/admin/reporting/activityline/?{query}")
        assert response.context["cl"].result_count == expected, query


def test_it_estimates_the_count_of_a_large_unfiltered_table_on_postgresql(ivan, report):
    add_lines(report, 12)
    request = RequestFactory().get("/admin/reporting/activityline/")
    request.user = ivan
    model_admin = ActivityLineAdmin(ActivityLine, admin_site=None)
    queryset = model_admin.get_queryset(request)
    exact = EstimatedCountPaginator(queryset, 100)
    assert exact.count == 12  # below the threshold: counted exactly
    filtered = EstimatedCountPaginator(queryset.filter(population_type="host"), 100)
    assert filtered.count == len([1 for n in range(12) if n % 5 == 2])
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE reporting_activityline")
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = 'reporting_activityline'")
        estimate = int(cursor.fetchone()[0])
    paginator = EstimatedCountPaginator(queryset, 100)
    paginator.EXACT_BELOW = 0
    assert paginator.count == estimate  # the planner's figure, no COUNT(*)


def test_it_does_not_show_a_full_count_on_the_large_changelists():
    assert ActivityLineAdmin.show_full_result_count is False
    assert ActivityLineAdmin.paginator is EstimatedCountPaginator


def test_it_keeps_sessions_and_the_login_throttle_out_of_the_process():
    assert settings.SESSION_ENGINE == "django.contrib.sessions.backends.db"
    # Axes' database handler, or ours built on it (the limit per address is counted in its rows).
    assert issubclass(import_string(settings.AXES_HANDLER), AxesDatabaseHandler)


def redis_is_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5):
            return True
    except OSError:
        return False


@pytest.mark.skipif(not redis_is_up(), reason="no Redis on 127.0.0.1:6379")
def test_it_shares_the_cache_between_app_servers_through_redis():
    """Two processes with REDIS_URL set (two app servers): what one caches, the other reads."""
    key = f"test-{uuid.uuid4().hex}"
    env = {**os.environ, "REDIS_URL": "redis://127.0.0.1:6379/15", "SECRET_KEY": "x",
           "DJANGO_SETTINGS_MODULE": "gtrm.settings"}
    script = ("import django, sys; django.setup(); from django.core.cache import cache; "
              "from django.conf import settings; "
              "assert settings.CACHES['default']['BACKEND'].endswith('RedisCache'); "
              "{}")
    subprocess.run([sys.executable, "-c", script.format(f"cache.set({key!r}, 'pdf', 60)")],
                   env=env, cwd=ROOT, check=True)
    read = subprocess.run(
        [sys.executable, "-c", script.format(f"print(cache.get({key!r})); cache.delete({key!r})")],
        env=env, cwd=ROOT, check=True, capture_output=True, text=True)
    assert read.stdout.strip() == "pdf"


def test_it_opens_a_reports_review_page_in_as_many_queries_for_2_and_20_review_events(
    client, ivan, alice, report
):
    """The inline rows of the review history and the audit trail name their report: without
    the report's organisation, sector and period fetched with them, each row cost four
    queries (found by the load test: 130 queries for 29 events)."""
    from reporting.models import ReviewEvent

    add_lines(report, 2)
    url = f"/admin/reporting/monthlyreport/{report.pk}/change/"
    client.force_login(ivan)

    def events(count: int) -> None:
        for _ in range(count):
            ReviewEvent.objects.create(report=report, action=ReviewEvent.Action.SUBMIT,
                                       from_status="draft", to_status="submitted", by=alice)

    events(2)
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    events(18)
    with CaptureQueriesContext(connection) as many:
        assert client.get(url).status_code == 200
    assert len(many.captured_queries) == len(few.captured_queries)
