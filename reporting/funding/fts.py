"""Read the RMRP's requirement and funding for Peru from FTS.

Two sources, one result (`Funding`):

- FTS's public API (`https://api.hpc.tools/v1/public/`): the plans of a year
  (`fts/flow/plan/overview/progress/YEAR`) give the plan whose countries include Peru (the
  regional RMRP; an explicit `--plan-id` skips the search); the plan's flows grouped by location
  (`fts/flow/custom-search?planid=N&groupby=location`) give Peru's chapter of it — its
  requirement and the funding that went to Peru —; the same filtered to Peru and grouped by
  cluster give it by sector, with FTS's "Not specified" funding as a row of its own.
- FTS's CSV download on HDX, for a server without internet: `fts_requirements_funding_per.csv`
  (one row per plan) and optionally `fts_requirements_funding_cluster_per.csv` (per cluster).

Nothing here writes to the database (store.py does). Every way the answer can fail — FTS
unreachable, an HTTP error, not JSON, a shape that changed, no plan for Peru — raises
FundingError with a message that says what happened, so that the command can keep the last good
figures and say why.
"""

from __future__ import annotations

import csv
import io
import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

API_BASE = "https://api.hpc.tools/v1/public/"
COUNTRY_ISO3 = "PER"
COUNTRY_NAME = "Peru"
NOT_SPECIFIED = "Not specified"


class FundingError(Exception):
    """FTS could not be read, or did not answer as expected: the message says which."""


@dataclass(frozen=True)
class ClusterFunding:
    name: str  # FTS's cluster name ("Not specified" for funding given to no cluster)
    required: Decimal | None
    funded: Decimal | None


@dataclass(frozen=True)
class Funding:
    plan_id: int
    plan_name: str
    year: int
    required: Decimal | None
    funded: Decimal | None
    source: str  # e.g. "FTS API, plan 1131"
    from_api: bool
    clusters: list[ClusterFunding] = field(default_factory=list)


def _amount(value, where: str) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise FundingError(f"{where}: “{value}” is not an amount.") from None
    if amount < 0 or not amount.is_finite():
        raise FundingError(f"{where}: “{value}” is not an amount.")
    return amount


# --------------------------------------------------------------------------------------------
# The API
# --------------------------------------------------------------------------------------------

Fetch = Callable[[str], bytes]  # URL → body; raises urllib's errors


def http_fetch(timeout: float = 30.0) -> Fetch:
    def fetch(url: str) -> bytes:
        request = urllib.request.Request(url, headers={
            "Accept": "application/json", "User-Agent": "gtrm-peru-reporting (fetch_funding)"})
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return response.read(20 * 1024 * 1024)
    return fetch


class FtsApi:
    def __init__(self, fetch: Fetch | None = None, base: str = API_BASE):
        self.fetch = fetch or http_fetch()
        self.base = base

    def get(self, path: str, **params) -> dict:
        url = urllib.parse.urljoin(self.base, path)
        if params:
            url += "?" + urllib.parse.urlencode(params)
        try:
            body = self.fetch(url)
        except urllib.error.HTTPError as error:
            raise FundingError(f"FTS answered {error.code} to {url}.") from error
        except (urllib.error.URLError, TimeoutError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise FundingError(f"FTS could not be reached ({reason}) at {url}.") from error
        try:
            answer = json.loads(body)
        except (ValueError, UnicodeDecodeError) as error:
            raise FundingError(f"FTS's answer to {url} is not JSON.") from error
        if not isinstance(answer, dict) or not isinstance(answer.get("data"), dict):
            raise FundingError(f"FTS's answer to {url} has no “data”: its format changed.")
        return answer["data"]

    def find_plan(self, year: int) -> tuple[int, str]:
        """Return the id and name of the year's plan that covers Peru; the regional one (the
        RMRP) before a national one."""
        data = self.get(f"fts/flow/plan/overview/progress/{year}")
        plans = data.get("plans")
        if not isinstance(plans, list):
            raise FundingError(f"FTS's plans of {year} have no list of plans: its format changed.")
        found = []
        for plan in plans:
            countries = plan.get("countries") or []
            if any(isinstance(c, dict) and c.get("iso3") == COUNTRY_ISO3 for c in countries):
                regional = len(countries) > 1
                found.append((not regional, plan.get("id"), plan.get("name") or ""))
        if not found:
            raise FundingError(f"FTS lists no plan covering Peru in {year}.")
        _national, plan_id, name = sorted(found)[0]
        if not isinstance(plan_id, int):
            raise FundingError(f"FTS's plan for Peru in {year} has no id: its format changed.")
        return plan_id, name

    def funding(self, year: int, plan_id: int | None = None) -> Funding:
        name = ""
        if plan_id is None:
            plan_id, name = self.find_plan(year)
        by_location = self.get("fts/flow/custom-search", planid=plan_id, groupby="location")
        location_id, required = self._peru_requirement(by_location, plan_id)
        funded = self._peru_funding(by_location, plan_id)
        clusters = self._clusters(plan_id, location_id)
        return Funding(plan_id=plan_id, plan_name=name, year=year, required=required,
                       funded=funded, source=f"FTS API, plan {plan_id}", from_api=True,
                       clusters=clusters)

    @staticmethod
    def _peru_requirement(data: dict, plan_id: int) -> tuple[int | None, Decimal | None]:
        try:
            objects = data["requirements"]["objects"]
        except (KeyError, TypeError):
            raise FundingError(f"FTS's plan {plan_id} by location has no requirements: its "
                               "format changed.") from None
        for row in objects or []:
            if row.get("name") == COUNTRY_NAME:
                amount = row.get("revisedRequirements", row.get("origRequirements"))
                return row.get("id"), _amount(amount, f"plan {plan_id}, Peru's requirement")
        raise FundingError(f"FTS's plan {plan_id} has no requirement for Peru.")

    @staticmethod
    def _funding_objects(data: dict, plan_id: int) -> list[dict]:
        try:
            groups = data["report3"]["fundingTotals"]["objects"]
        except (KeyError, TypeError):
            raise FundingError(f"FTS's plan {plan_id} has no funding totals: its format "
                               "changed.") from None
        return [row for group in groups or [] for row in group.get("objectsBreakdown") or []]

    def _peru_funding(self, data: dict, plan_id: int) -> Decimal:
        for row in self._funding_objects(data, plan_id):
            if row.get("name") == COUNTRY_NAME:
                return _amount(row.get("totalFunding"), f"plan {plan_id}, Peru's funding") \
                    or Decimal(0)
        return Decimal(0)  # FTS lists only the countries that received something

    def _clusters(self, plan_id: int, location_id: int | None) -> list[ClusterFunding]:
        params = {"planid": plan_id, "groupby": "cluster"}
        if location_id is not None:
            params["locationid"] = location_id
        data = self.get("fts/flow/custom-search", **params)
        try:
            requirements = data["requirements"]["objects"] or []
        except (KeyError, TypeError):
            raise FundingError(f"FTS's plan {plan_id} by cluster has no requirements: its "
                               "format changed.") from None
        rows: dict[str, list] = {}
        for row in requirements:
            name = row.get("name") or NOT_SPECIFIED
            rows[name] = [_amount(row.get("revisedRequirements", row.get("origRequirements")),
                                  f"plan {plan_id}, {name}'s requirement"), None]
        for row in self._funding_objects(data, plan_id):
            name = row.get("name") or NOT_SPECIFIED
            rows.setdefault(name, [None, None])[1] = _amount(
                row.get("totalFunding"), f"plan {plan_id}, {name}'s funding")
        return [ClusterFunding(name, required, funded) for name, (required, funded) in rows.items()]


# --------------------------------------------------------------------------------------------
# The CSV download (HDX: "Peru - Requirements and Funding Data")
# --------------------------------------------------------------------------------------------

PLAN_COLUMNS = {"id", "name", "year", "requirements", "funding"}
CLUSTER_COLUMNS = PLAN_COLUMNS | {"cluster"}


def _rows(path: Path) -> tuple[list[str], list[dict]]:
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise FundingError(f"{path.name}: cannot be read as a UTF-8 CSV file ({error}).") from error
    reader = csv.DictReader(io.StringIO(text))
    header = [name.strip() for name in reader.fieldnames or []]
    rows = [row for row in reader if not (row.get("countryCode") or "").startswith("#")]
    return header, rows


def read_csv_files(paths: list[Path], year: int, plan_id: int | None = None) -> Funding:
    """Return the funding of Peru's plan of `year` from FTS's CSV download: the plans file
    (required) and the clusters file (optional)."""
    plans_rows, cluster_rows, plan_file = None, [], None
    for path in paths:
        header, rows = _rows(path)
        if set(header) >= CLUSTER_COLUMNS:
            cluster_rows = rows
        elif set(header) >= PLAN_COLUMNS:
            plans_rows, plan_file = rows, path
        else:
            missing = sorted(PLAN_COLUMNS - set(header))
            raise FundingError(f"{path.name}: not an FTS requirements and funding file "
                               f"(missing columns: {', '.join(missing)}).")
    if plans_rows is None:
        raise FundingError("Give the plans file (fts_requirements_funding_per.csv); the "
                           "clusters file alone has no plan totals.")
    candidates = [row for row in plans_rows if row.get("year") == str(year) and row.get("id")
                  and (plan_id is None or row["id"] == str(plan_id))]
    if not candidates:
        raise FundingError(f"{plan_file.name}: no plan of {year}"
                           f"{f' with id {plan_id}' if plan_id else ''}.")
    # The regional plan (RMRP) before a national one: the one named as refugees and migrants'.
    candidates.sort(key=lambda row: "refugee" not in row.get("name", "").lower())
    plan = candidates[0]
    number = int(plan["id"])
    clusters = []
    for row in cluster_rows:
        if row.get("id") not in (plan["id"], "") or row.get("year") != str(year):
            continue
        name = (row.get("cluster") or "").strip() or NOT_SPECIFIED
        clusters.append(ClusterFunding(
            name, _amount(row.get("requirements"), f"{name}'s requirement"),
            _amount(row.get("funding"), f"{name}'s funding")))
    merged: dict[str, ClusterFunding] = {}
    for cluster in clusters:  # FTS's file may repeat "Not specified"; once is the figure
        merged.setdefault(cluster.name, cluster)
    return Funding(
        plan_id=number, plan_name=plan.get("name", ""), year=year,
        required=_amount(plan.get("requirements"), f"plan {number}'s requirement"),
        funded=_amount(plan.get("funding"), f"plan {number}'s funding") or Decimal(0),
        source=f"FTS CSV download ({plan_file.name}), plan {number}", from_api=False,
        clusters=list(merged.values()))
