"""Every link of the review page and of the report queue opens for whoever sees the page
(issue 14 point 2): a coordinator used to be answered 403 by the organisation, sector, period
and "submitted by" links. Links to pages the viewer may not open are shown as plain text."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import urlsplit

import pytest

from partners.models import Organisation
from reporting import workflow

from .factories import LineFactory, UserFactory

pytestmark = pytest.mark.django_db

HREF = re.compile(r'<a\s[^>]*href="([^"]*)"')


@pytest.fixture
def reviewed(report, alice, paula):
    LineFactory(report=report, created_by=alice)
    workflow.submit_report(report=report, by=alice)
    workflow.return_report(report=report, by=paula, reason="Falta la desagregación.")
    workflow.submit_report(report=report, by=alice)
    return report


@pytest.fixture
def superuser(db):
    return UserFactory(username="root", is_superuser=True, is_staff=True,
                       organisation=Organisation.objects.get(acronym="GTRM"))


def local_links(html: str) -> set[str]:
    links = set()
    for href in HREF.findall(html):
        href = unescape(href)
        parts = urlsplit(href)
        if parts.scheme or parts.netloc or not parts.path or href.startswith("#"):
            continue
        links.add(href)
    return links


@pytest.mark.parametrize("who", ["paula", "ivan", "superuser"])
@pytest.mark.parametrize("page", ["change", "changelist"])
def test_no_link_of_the_review_page_or_the_queue_is_refused(
    request, client, who, page, reviewed
):
    client.force_login(request.getfixturevalue(who))
    url = (f"/admin/reporting/monthlyreport/{reviewed.pk}/change/" if page == "change"
           else "/admin/reporting/monthlyreport/")
    answer = client.get(url)
    assert answer.status_code == 200
    links = local_links(answer.content.decode())
    assert links
    refused = {}
    for link in sorted(links):
        status = client.get(link).status_code
        if status in (403, 404) or status >= 500:
            refused[link] = status
    assert refused == {}


def test_a_coordinator_sees_the_organisation_sector_and_period_as_text(client, paula, reviewed):
    client.force_login(paula)
    html = client.get(f"/admin/reporting/monthlyreport/{reviewed.pk}/change/").content.decode()
    assert "/admin/partners/organisation/" not in html
    assert "/admin/reporting/reportingperiod/" not in html
    assert "/admin/partners/user/" not in html
    assert "HIAS" in html
    assert "September 2023" in html


def test_an_im_officer_still_follows_them(client, ivan, reviewed):
    client.force_login(ivan)
    html = client.get(f"/admin/reporting/monthlyreport/{reviewed.pk}/change/").content.decode()
    assert f'href="/admin/partners/organisation/{reviewed.organisation_id}/change/"' in html
    assert f'href="/admin/reporting/reportingperiod/{reviewed.period_id}/change/"' in html
