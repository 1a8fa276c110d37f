"""Store FTS's funding in a month's key figures (`fetch_funding`).

The plan's requirement and funding for Peru go to the month's key figures with their source
and the date retrieved, and FTS's figures are also kept on their own (`fts_*`), so that a hand
override never loses them. An override by an IM officer (with its reason) stays until the IM
team removes it: a later fetch updates FTS's own figures and the sectors, and says it kept the
override. Clusters become sector rows: matched to our sectors by their regional or English name,
and kept under FTS's name when they match none (as "Not specified" funding does).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from reporting.models import FundingOrigin, KeyFigures, ReportingPeriod, Sector, SectorFunding

from .fts import Funding


def _key(name: str) -> str:
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return " ".join(text.lower().replace("&", "and").split())


@dataclass(frozen=True)
class Stored:
    key_figures: KeyFigures
    kept_override: bool
    sectors_matched: int
    unmatched: list[str]


def store(funding: Funding, period: ReportingPeriod, *, by=None) -> Stored:
    """Write `funding` into `period`'s key figures, all or nothing."""
    sectors = {}
    for sector in Sector.objects.all():
        for name in (sector.regional_name, sector.name_en, sector.name_es, sector.code):
            if name:
                sectors.setdefault(_key(name), sector)
    with transaction.atomic():
        key, _created = KeyFigures.objects.select_for_update().get_or_create(period=period)
        key.fts_plan_id = funding.plan_id
        key.fts_required_usd = funding.required
        key.fts_funded_usd = funding.funded
        kept = key.funding_origin == FundingOrigin.OVERRIDE
        if not kept:
            key.funding_required_usd = funding.required
            key.funding_received_usd = funding.funded
            key.funding_origin = FundingOrigin.FTS_API if funding.from_api \
                else FundingOrigin.FTS_FILE
            key.funding_source = funding.source
            key.funding_date = timezone.localdate()
        if by is not None:
            key.updated_by = by
        key.full_clean()
        key.save()
        key.sector_funding.all().delete()
        unmatched, matched = [], 0
        rows = []
        for cluster in funding.clusters:
            sector = sectors.get(_key(cluster.name))
            if sector is None:
                unmatched.append(cluster.name)
            else:
                matched += 1
            rows.append(SectorFunding(key_figures=key, sector=sector, fts_name=cluster.name,
                                      required_usd=cluster.required, funded_usd=cluster.funded))
        SectorFunding.objects.bulk_create(rows)
    return Stored(key, kept, matched, unmatched)
