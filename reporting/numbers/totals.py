"""The triggers that keep `CountedTotal` equal to the approved lines, and the checks on them.

Why triggers: an approval must show in the figures at once, and the figures must never count
a line twice or miss one, whichever path changed the data — a form, the importer, an admin
action, a `QuerySet.update()`, a bulk load. Hooks in Python would have to be remembered on every
one of those paths; a trigger runs in the database, inside the transaction of the change, for
all of them.

The rule the triggers keep, after every statement:

    CountedTotal = Σ over the RMRP-activity lines of approved reports whose indicator is of
                   type Direct Assistance (the indicators that count people),
                   grouped by the report's period and sector, the indicator's sector, the
                   line's department and population type, and cash-or-not.

Each trigger adds what a statement brought in and subtracts what it took out:
- lines inserted, updated or deleted: their old rows out, their new rows in;
- a report whose status enters or leaves "approved", or whose period or sector changes: its
  lines out under the old values and in under the new;
- an indicator whose sector or type changes: everything is recomputed (rare: an IM officer
  editing reference data).
Rows whose last line has gone are deleted. PostgreSQL runs one trigger per statement over its
transition tables, so a bulk insert of 5,000 lines is one grouped upsert; SQLite has only
row triggers, which is fine at the sizes SQLite serves.

Concurrent approvals touching the same row serialise on that row's lock (INSERT … ON CONFLICT
DO UPDATE adds to the committed value), so two approvals never overwrite each other's sums.

Migration 0004 installed this SQL (0007 the rule by indicator type and RMRP flag), frozen in
its own text as this module generated it then (a migration imports nothing of the app). To
change the triggers, change them here and write a new migration that drops the old ones and
installs what `postgresql_install()` and `sqlite_install()` generate now, as 0007 did:
tests/test_totals.py fails until the migrated database's triggers are exactly this module's.
"""

from __future__ import annotations

from django.db import connections

from reporting.models import CASH_MODALITIES, IndicatorType, ReportStatus

TABLE = "reporting_countedtotal"
KEY = "period_id, sector_id, indicator_sector_id, department_id, population_type, cash"
APPROVED = f"'{ReportStatus.APPROVED.value}'"
CASH = "(" + ", ".join(f"'{value}'" for value in sorted(CASH_MODALITIES)) + ")"
# The lines whose people count (DESIGN §4), given a line `l` and its indicator `i`.
COUNTS = f"i.type = '{IndicatorType.DIRECT_ASSISTANCE.value}' AND l.rmrp_activity"

# "WHERE true" lets SQLite tell the ON CONFLICT of the upsert from a join's ON.
UPSERT = f"""
INSERT INTO {TABLE} ({KEY}, line_count, total_monthly, new_beneficiaries)
SELECT {KEY}, SUM(n), SUM(m), SUM(y) FROM ({{delta}}) delta
WHERE true
GROUP BY {KEY}
ORDER BY {KEY}
ON CONFLICT ({KEY}) DO UPDATE SET
    line_count = {TABLE}.line_count + EXCLUDED.line_count,
    total_monthly = {TABLE}.total_monthly + EXCLUDED.total_monthly,
    new_beneficiaries = {TABLE}.new_beneficiaries + EXCLUDED.new_beneficiaries
"""
# SQLite's row triggers delete emptied rows by a scan: SQLite holds a few hundred of them.
PRUNE = f"DELETE FROM {TABLE} WHERE line_count = 0"


def _lines(source: str, sign: int, report: str = "r") -> str:
    """The signed contribution of the lines in `source` (a table of lines), each under its
    current report `r` and indicator `i`, when that report is approved."""
    return f"""
SELECT {report}.period_id AS period_id, {report}.sector_id AS sector_id,
       i.sector_id AS indicator_sector_id, l.department_id AS department_id,
       l.population_type AS population_type, l.modality IN {CASH} AS cash,
       {sign} AS n, {sign} * l.total_monthly AS m, {sign} * l.new_beneficiaries AS y
FROM {source} l
JOIN reporting_indicator i ON i.id = l.indicator_id
"""


def _approved_lines(source: str, sign: int) -> str:
    return (_lines(source, sign)
            + f"JOIN reporting_monthlyreport r ON r.id = l.report_id\n"
            f"WHERE r.status = {APPROVED} AND {COUNTS}\n")


REBUILD = [
    f"DELETE FROM {TABLE}",
    UPSERT.format(delta=_approved_lines("reporting_activityline", 1)),
]


def _report_delta(old: str, new: str) -> str:
    """Lines of the reports whose approved-ness, period or sector changed: out under the old
    row `o`, in under the new row `n`."""
    changed = (f"(o.status = {APPROVED}) <> (n.status = {APPROVED}) "
               "OR o.period_id <> n.period_id OR o.sector_id <> n.sector_id")
    return (
        _lines("reporting_activityline", -1, report="o")
        + f"JOIN {old} o ON o.id = l.report_id JOIN {new} n ON n.id = o.id\n"
        f"WHERE o.status = {APPROVED} AND {COUNTS} AND ({changed})\n"
        "UNION ALL\n"
        + _lines("reporting_activityline", 1, report="n")
        + f"JOIN {new} n ON n.id = l.report_id JOIN {old} o ON o.id = n.id\n"
        f"WHERE n.status = {APPROVED} AND {COUNTS} AND ({changed})\n"
    )


# --------------------------------------------------------------------------------------------
# PostgreSQL: statement triggers over transition tables
# --------------------------------------------------------------------------------------------

def _pg_function(name: str, body: str) -> str:
    return (f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$\n"
            f"DECLARE emptied bigint[];\nBEGIN\n{body}\nRETURN NULL;\nEND\n$$;")


def _pg_upsert(delta: str) -> str:
    """Apply `delta`, then delete the rows it emptied (their ids come back from the upsert,
    so no scan looks for them)."""
    return (f"WITH applied AS ({UPSERT.format(delta=delta)} RETURNING id, line_count)\n"
            "SELECT array_agg(id) INTO emptied FROM applied WHERE line_count = 0;\n"
            f"DELETE FROM {TABLE} WHERE id = ANY(emptied);")


def _pg_trigger(name: str, event: str, table: str, referencing: str) -> str:
    return (f"CREATE TRIGGER {name} AFTER {event} ON {table} REFERENCING {referencing} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {name}();")


_PG_INDICATOR_CHANGED = (
    "IF EXISTS (SELECT 1 FROM old_rows o JOIN new_rows n ON n.id = o.id "
    "WHERE o.type <> n.type OR o.sector_id <> n.sector_id) THEN\n"
    + ";\n".join(REBUILD) + ";\nEND IF;"
)

POSTGRESQL_TRIGGERS = {
    # name: (event, table, referencing, body)
    "reporting_totals_line_insert": (
        "INSERT", "reporting_activityline", "NEW TABLE AS new_rows",
        UPSERT.format(delta=_approved_lines("new_rows", 1)) + ";"),
    "reporting_totals_line_update": (
        "UPDATE", "reporting_activityline", "OLD TABLE AS old_rows NEW TABLE AS new_rows",
        _pg_upsert(_approved_lines("old_rows", -1) + "UNION ALL\n"
                   + _approved_lines("new_rows", 1))),
    "reporting_totals_line_delete": (
        "DELETE", "reporting_activityline", "OLD TABLE AS old_rows",
        _pg_upsert(_approved_lines("old_rows", -1))),
    "reporting_totals_report_update": (
        "UPDATE", "reporting_monthlyreport", "OLD TABLE AS old_rows NEW TABLE AS new_rows",
        _pg_upsert(_report_delta("old_rows", "new_rows"))),
    "reporting_totals_indicator_update": (
        "UPDATE", "reporting_indicator", "OLD TABLE AS old_rows NEW TABLE AS new_rows",
        _PG_INDICATOR_CHANGED),
}


def postgresql_install() -> list[str]:
    # Room in each page for the new version of an updated row, so that the triggers' updates
    # stay on the page (HOT) and leave no index entries behind.
    statements = [f"ALTER TABLE {TABLE} SET (fillfactor = 70)"]
    for name, (event, table, referencing, body) in POSTGRESQL_TRIGGERS.items():
        statements.append(_pg_function(name, body))
        statements.append(_pg_trigger(name, event, table, referencing))
    return statements


def postgresql_uninstall() -> list[str]:
    return [
        f"DROP TRIGGER IF EXISTS {name} ON {table}; DROP FUNCTION IF EXISTS {name}();"
        for name, (_event, table, _referencing, _body) in POSTGRESQL_TRIGGERS.items()
    ]


# --------------------------------------------------------------------------------------------
# SQLite: row triggers (NEW and OLD are the row; a one-row "table" is selected from them)
# --------------------------------------------------------------------------------------------

_ROW = ("SELECT {p}.id AS id, {p}.report_id AS report_id, {p}.indicator_id AS indicator_id, "
        "{p}.department_id AS department_id, {p}.population_type AS population_type, "
        "{p}.modality AS modality, {p}.total_monthly AS total_monthly, "
        "{p}.new_beneficiaries AS new_beneficiaries, {p}.rmrp_activity AS rmrp_activity")
_REPORT_ROW = "SELECT {p}.id AS id, {p}.status AS status, {p}.period_id AS period_id, " \
              "{p}.sector_id AS sector_id"


def _sqlite_upsert(delta: str) -> str:
    return UPSERT.format(delta=delta)


SQLITE_TRIGGERS = {
    "reporting_totals_line_insert": (
        "AFTER INSERT ON reporting_activityline",
        [_sqlite_upsert(_approved_lines(f"({_ROW.format(p='NEW')})", 1))]),
    "reporting_totals_line_update": (
        "AFTER UPDATE ON reporting_activityline",
        [_sqlite_upsert(_approved_lines(f"({_ROW.format(p='OLD')})", -1) + "UNION ALL\n"
                        + _approved_lines(f"({_ROW.format(p='NEW')})", 1)), PRUNE]),
    "reporting_totals_line_delete": (
        "AFTER DELETE ON reporting_activityline",
        [_sqlite_upsert(_approved_lines(f"({_ROW.format(p='OLD')})", -1)), PRUNE]),
    "reporting_totals_report_update": (
        "AFTER UPDATE OF status, period_id, sector_id ON reporting_monthlyreport",
        [_sqlite_upsert(_report_delta(f"({_REPORT_ROW.format(p='OLD')})",
                                      f"({_REPORT_ROW.format(p='NEW')})")), PRUNE]),
    "reporting_totals_indicator_update": (
        "AFTER UPDATE OF type, sector_id ON reporting_indicator "
        "WHEN OLD.type <> NEW.type OR OLD.sector_id <> NEW.sector_id",
        REBUILD),
}


def sqlite_install() -> list[str]:
    return [
        f"CREATE TRIGGER {name} {event} BEGIN\n" + ";\n".join(body) + ";\nEND;"
        for name, (event, body) in SQLITE_TRIGGERS.items()
    ]


def sqlite_uninstall() -> list[str]:
    return [f"DROP TRIGGER IF EXISTS {name};" for name in SQLITE_TRIGGERS]


# --------------------------------------------------------------------------------------------
# Rebuild and check
# --------------------------------------------------------------------------------------------

def rebuild(using: str = "default") -> None:
    """Recompute every total from the lines (after a restore that skipped triggers, say)."""
    with connections[using].cursor() as cursor:
        for statement in REBUILD:
            cursor.execute(statement)


def differences(using: str = "default") -> dict[tuple, tuple[int, int, int]]:
    """Return {key: (lines, month, new) stored − expected} for every total that differs from
    the lines; empty when the triggers have kept it right."""
    expected_sql = (
        f"SELECT {KEY}, SUM(n), SUM(m), SUM(y) FROM ("
        + _approved_lines("reporting_activityline", 1) + f") delta GROUP BY {KEY}"
    )
    stored_sql = f"SELECT {KEY}, line_count, total_monthly, new_beneficiaries FROM {TABLE}"
    with connections[using].cursor() as cursor:
        cursor.execute(expected_sql)
        expected = {tuple(row[:6]): tuple(int(v) for v in row[6:]) for row in cursor.fetchall()}
        cursor.execute(stored_sql)
        stored = {tuple(row[:6]): tuple(int(v) for v in row[6:]) for row in cursor.fetchall()}
    result = {}
    for key in expected.keys() | stored.keys():
        have, want = stored.get(key, (0, 0, 0)), expected.get(key, (0, 0, 0))
        if have != want:
            result[key] = tuple(h - w for h, w in zip(have, want, strict=True))
    return result
