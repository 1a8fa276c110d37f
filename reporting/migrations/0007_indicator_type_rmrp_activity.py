# R4V's indicator types and the RMRP-activity flag (DESIGN §4, §6).
#
# Indicator.counts_people gives way to Indicator.type, R4V's five types: an indicator that
# counted people is Direct Assistance (so that no figure moves); one that did not takes the type
# the seed file gives it (frozen below, by code), or Other. ActivityLine.rmrp_activity is new,
# yes for every existing line. A line now counts people when its indicator is Direct Assistance
# and it is an RMRP activity: the triggers that keep CountedTotal are replaced by ones with that
# rule, on PostgreSQL and SQLite, their SQL frozen below as reporting/numbers/totals.py generated
# it (tests/test_totals.py checks the installed triggers against the code), and the totals are
# rebuilt. Going back reinstalls migration 0004's triggers, also frozen below; the RMRP flag is
# lost, and counts_people is yes for the Direct Assistance indicators.

from django.db import migrations, models

# The type of each seeded indicator that did not count people (seeds/indicators.csv).
SEEDED_TYPES = {
    "EDU-05": "capacity", "EDU-06": "infrastructure", "FS-05": "infrastructure",
    "FS-06": "other", "HEA-06": "capacity", "HEA-07": "other", "HT-03": "other",
    "INT-06": "mechanism", "INT-07": "capacity", "NUT-04": "mechanism", "PRO-06": "capacity",
    "PRO-07": "mechanism", "PRO-CP-05": "capacity", "PRO-GBV-05": "mechanism",
    "PRO-GBV-06": "capacity", "PRO-HTS-03": "capacity", "PRO-HTS-04": "mechanism",
    "SHE-05": "other", "SHE-06": "infrastructure", "SHE-07": "capacity",
    "WASH-05": "mechanism", "WASH-06": "other",
}

# New triggers (the rule by type and RMRP flag).
POSTGRESQL_UNINSTALL = [
    """DROP TRIGGER IF EXISTS reporting_totals_line_insert ON reporting_activityline; DROP FUNCTION IF EXISTS reporting_totals_line_insert();""",
    """DROP TRIGGER IF EXISTS reporting_totals_line_update ON reporting_activityline; DROP FUNCTION IF EXISTS reporting_totals_line_update();""",
    """DROP TRIGGER IF EXISTS reporting_totals_line_delete ON reporting_activityline; DROP FUNCTION IF EXISTS reporting_totals_line_delete();""",
    """DROP TRIGGER IF EXISTS reporting_totals_report_update ON reporting_monthlyreport; DROP FUNCTION IF EXISTS reporting_totals_report_update();""",
    """DROP TRIGGER IF EXISTS reporting_totals_indicator_update ON reporting_indicator; DROP FUNCTION IF EXISTS reporting_totals_indicator_update();""",
]

POSTGRESQL_INSTALL = [
    """ALTER TABLE reporting_countedtotal SET (fillfactor = 70)""",
    """CREATE OR REPLACE FUNCTION reporting_totals_line_insert() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE emptied bigint[];
BEGIN

INSERT INTO reporting_countedtotal (period_id, sector_id, indicator_sector_id, department_id, population_type, cash, line_count, total_monthly, new_beneficiaries)
SELECT period_id, sector_id, indicator_sector_id, department_id, population_type, cash, SUM(n), SUM(m), SUM(y) FROM (
SELECT r.period_id AS period_id, r.sector_id AS sector_id,
       i.sector_id AS indicator_sector_id, l.department_id AS department_id,
       l.population_type AS population_type, l.modality IN ('cash', 'voucher') AS cash,
       1 AS n, 1 * l.total_monthly AS m, 1 * l.new_beneficiaries AS y
FROM new_rows l
JOIN reporting_indicator i ON i.id = l.indicator_id
JOIN reporting_monthlyreport r ON r.id = l.report_id
WHERE r.status = 'approved' AND i.type = 'direct' AND l.rmrp_activity
) delta
WHERE true
GROUP BY period_id, sector_id, indicator_sector_id, department_id, population_type, cash
ORDER BY period_id, sector_id, indicator_sector_id, department_id, population_type, cash
ON CONFLICT (period_id, sector_id, indicator_sector_id, department_id, population_type, cash) DO UPDATE SET
    line_count = reporting_countedtotal.line_count + EXCLUDED.line_count,
    total_monthly = reporting_countedtotal.total_monthly + EXCLUDED.total_monthly,
    new_beneficiaries = reporting_countedtotal.new_beneficiaries + EXCLUDED.new_beneficiaries
;
RETURN NULL;
END
$$;""",
    """CREATE TRIGGER reporting_totals_line_insert AFTER INSERT ON reporting_activityline REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION reporting_totals_line_insert();""",
    """CREATE OR REPLACE FUNCTION reporting_totals_line_update() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE emptied bigint[];
BEGIN
WITH applied AS (
INSERT INTO reporting_countedtotal (period_id, sector_id, indicator_sector_id, department_id, population_type, cash, line_count, total_monthly, new_beneficiaries)
SELECT period_id, sector_id, indicator_sector_id, department_id, population_type, cash, SUM(n), SUM(m), SUM(y) FROM (
SELECT r.period_id AS period_id, r.sector_id AS sector_id,
       i.sector_id AS indicator_sector_id, l.department_id AS department_id,
       l.population_type AS population_type, l.modality IN ('cash', 'voucher') AS cash,
       -1 AS n, -1 * l.total_monthly AS m, -1 * l.new_beneficiaries AS y
FROM old_rows l
JOIN reporting_indicator i ON i.id = l.indicator_id
JOIN reporting_monthlyreport r ON r.id = l.report_id
WHERE r.status = 'approved' AND i.type = 'direct' AND l.rmrp_activity
UNION ALL

SELECT r.period_id AS period_id, r.sector_id AS sector_id,
       i.sector_id AS indicator_sector_id, l.department_id AS department_id,
       l.population_type AS population_type, l.modality IN ('cash', 'voucher') AS cash,
       1 AS n, 1 * l.total_monthly AS m, 1 * l.new_beneficiaries AS y
FROM new_rows l
JOIN reporting_indicator i ON i.id = l.indicator_id
JOIN reporting_monthlyreport r ON r.id = l.report_id
WHERE r.status = 'approved' AND i.type = 'direct' AND l.rmrp_activity
) delta
WHERE true
GROUP BY period_id, sector_id, indicator_sector_id, department_id, population_type, cash
ORDER BY period_id, sector_id, indicator_sector_id, department_id, population_type, cash
ON CONFLICT (period_id, sector_id, indicator_sector_id, department_id, population_type, cash) DO UPDATE SET
    line_count = reporting_countedtotal.line_count + EXCLUDED.line_count,
    total_monthly = reporting_countedtotal.total_monthly + EXCLUDED.total_monthly,
    new_beneficiaries = reporting_countedtotal.new_beneficiaries + EXCLUDED.new_beneficiaries
 RETURNING id, line_count)
SELECT array_agg(id) INTO emptied FROM applied WHERE line_count = 0;
DELETE FROM reporting_countedtotal WHERE id = ANY(emptied);
RETURN NULL;
END
$$;""",
    """CREATE TRIGGER reporting_totals_line_update AFTER UPDATE ON reporting_activityline REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION reporting_totals_line_update();""",
    """CREATE OR REPLACE FUNCTION reporting_totals_line_delete() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE emptied bigint[];
BEGIN
WITH applied AS (
INSERT INTO reporting_countedtotal (period_id, sector_id, indicator_sector_id, department_id, population_type, cash, line_count, total_monthly, new_beneficiaries)
SELECT period_id, sector_id, indicator_sector_id, department_id, population_type, cash, SUM(n), SUM(m), SUM(y) FROM (
SELECT r.period_id AS period_id, r.sector_id AS sector_id,
       i.sector_id AS indicator_sector_id, l.department_id AS department_id,
       l.population_type AS population_type, l.modality IN ('cash', 'voucher') AS cash,
       -1 AS n, -1 * l.total_monthly AS m, -1 * l.new_beneficiaries AS y
FROM old_rows l
JOIN reporting_indicator i ON i.id = l.indicator_id
JOIN reporting_monthlyreport r ON r.id = l.report_id
WHERE r.status = 'approved' AND i.type = 'direct' AND l.rmrp_activity
) delta
WHERE true
GROUP BY period_id, sector_id, indicator_sector_id, department_id, population_type, cash
ORDER BY period_id, sector_id, indicator_sector_id, department_id, population_type, cash
ON CONFLICT (period_id, sector_id, indicator_sector_id, department_id, population_type, cash) DO UPDATE SET
    line_count = reporting_countedtotal.line_count + EXCLUDED.line_count,
    total_monthly = reporting_countedtotal.total_monthly + EXCLUDED.total_monthly,
    new_beneficiaries = reporting_countedtotal.new_beneficiaries + EXCLUDED.new_beneficiaries
 RETURNING id, line_count)
SELECT array_agg(id) INTO emptied FROM applied WHERE line_count = 0;
DELETE FROM reporting_countedtotal WHERE id = ANY(emptied);
RETURN NULL;
END
$$;""",
    """CREATE TRIGGER reporting_totals_line_delete AFTER DELETE ON reporting_activityline REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION reporting_totals_line_delete();""",
    """CREATE OR REPLACE FUNCTION reporting_totals_report_update() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE emptied bigint[];
BEGIN
WITH applied AS (
INSERT INTO reporting_countedtotal (period_id, sector_id, indicator_sector_id, department_id, population_type, cash, line_count, total_monthly, new_beneficiaries)
SELECT period_id, sector_id, indicator_sector_id, department_id, population_type, cash, SUM(n), SUM(m), SUM(y) FROM (
SELECT o.period_id AS period_id, o.sector_id AS sector_id,
       i.sector_id AS indicator_sector_id, l.department_id AS department_id,
       l.population_type AS population_type, l.modality IN ('cash', 'voucher') AS cash,
       -1 AS n, -1 * l.total_monthly AS m, -1 * l.new_beneficiaries AS y
FROM reporting_activityline l
JOIN reporting_indicator i ON i.id = l.indicator_id
JOIN old_rows o ON o.id = l.report_id JOIN new_rows n ON n.id = o.id
WHERE o.status = 'approved' AND i.type = 'direct' AND l.rmrp_activity AND ((o.status = 'approved') <> (n.status = 'approved') OR o.period_id <> n.period_id OR o.sector_id <> n.sector_id)
UNION ALL

SELECT n.period_id AS period_id, n.sector_id AS sector_id,
       i.sector_id AS indicator_sector_id, l.department_id AS department_id,
       l.population_type AS population_type, l.modality IN ('cash', 'voucher') AS cash,
       1 AS n, 1 * l.total_monthly AS m, 1 * l.new_beneficiaries AS y
FROM reporting_activityline l
JOIN reporting_indicator i ON i.id = l.indicator_id
JOIN new_rows n ON n.id = l.report_id JOIN old_rows o ON o.id = n.id
WHERE n.status = 'approved' AND i.type = 'direct' AND l.rmrp_activity AND ((o.status = 'approved') <> (n.status = 'approved') OR o.period_id <> n.period_id OR o.sector_id <> n.sector_id)
) delta
WHERE true
GROUP BY period_id, sector_id, indicator_sector_id, department_id, population_type, cash
ORDER BY period_id, sector_id, indicator_sector_id, department_id, population_type, cash
ON CONFLICT (period_id, sector_id, indicator_sector_id, department_id, population_type, cash) DO UPDATE SET
    line_count = reporting_countedtotal.line_count + EXCLUDED.line_count,
    total_monthly = reporting_countedtotal.total_monthly + EXCLUDED.total_monthly,
    new_beneficiaries = reporting_countedtotal.new_beneficiaries + EXCLUDED.new_beneficiaries
 RETURNING id, line_count)
SELECT array_agg(id) INTO emptied FROM applied WHERE line_count = 0;
DELETE FROM reporting_countedtotal WHERE id = ANY(emptied);
RETURN NULL;
END
$$;""",
    """CREATE TRIGGER reporting_totals_report_update AFTER UPDATE ON reporting_monthlyreport REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION reporting_totals_report_update();""",
    """CREATE OR REPLACE FUNCTION reporting_totals_indicator_update() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE emptied bigint[];
BEGIN
IF EXISTS (SELECT 1 FROM old_rows o JOIN new_rows n ON n.id = o.id WHERE o.type <> n.type OR o.sector_id <> n.sector_id) THEN
DELETE FROM reporting_countedtotal;

INSERT INTO reporting_countedtotal (period_id, sector_id, indicator_sector_id, department_id, population_type, cash, line_count, total_monthly, new_beneficiaries)
SELECT period_id, sector_id, indicator_sector_id, department_id, population_type, cash, SUM(n), SUM(m), SUM(y) FROM (
SELECT r.period_id AS period_id, r.sector_id AS sector_id,
       i.sector_id AS indicator_sector_id, l.department_id AS department_id,
       l.population_type AS population_type, l.modality IN ('cash', 'voucher') AS cash,
       1 AS n, 1 * l.total_monthly AS m, 1 * l.new_beneficiaries AS y
FROM reporting_activityline l
JOIN reporting_indicator i ON i.id = l.indicator_id
JOIN reporting_monthlyreport r ON r.id = l.report_id
WHERE r.status = 'approved' AND i.type = 'direct' AND l.rmrp_activity
) delta
WHERE true
GROUP BY period_id, sector_id, indicator_sector_id, department_id, population_type, cash
ORDER BY period_id, sector_id, indicator_sector_id, department_id, population_type, cash
ON CONFLICT (period_id, sector_id, indicator_sector_id, department_id, population_type, cash) DO UPDATE SET
    line_count = reporting_countedtotal.line_count + EXCLUDED.line_count,
    total_monthly = reporting_countedtotal.total_monthly + EXCLUDED.total_monthly,
    new_beneficiaries = reporting_countedtotal.new_beneficiaries + EXCLUDED.new_beneficiaries
;
END IF;
RETURN NULL;
END
$$;""",
    """CREATE TRIGGER reporting_totals_indicator_update AFTER UPDATE ON reporting_indicator REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION reporting_totals_indicator_update();""",
]

SQLITE_UNINSTALL = [
    """DROP TRIGGER IF EXISTS reporting_totals_line_insert;""",
    """DROP TRIGGER IF EXISTS reporting_totals_line_update;""",
    """DROP TRIGGER IF EXISTS reporting_totals_line_delete;""",
    """DROP TRIGGER IF EXISTS reporting_totals_report_update;""",
    """DROP TRIGGER IF EXISTS reporting_totals_indicator_update;""",
]

SQLITE_INSTALL = [
    """CREATE TRIGGER reporting_totals_line_insert AFTER INSERT ON reporting_activityline BEGIN

INSERT INTO reporting_countedtotal (period_id, sector_id, indicator_sector_id, department_id, population_type, cash, line_count, total_monthly, new_beneficiaries)
SELECT period_id, sector_id, indicator_sector_id, department_id, population_type, cash, SUM(n), SUM(m), SUM(y) FROM (
SELECT r.period_id AS period_id, r.sector_id AS sector_id,
       i.sector_id AS indicator_sector_id, l.department_id AS department_id,
       l.population_type AS population_type, l.modality IN ('cash', 'voucher') AS cash,
       1 AS n, 1 * l.total_monthly AS m, 1 * l.new_beneficiaries AS y
FROM (SELECT NEW.id AS id, NEW.report_id AS report_id, NEW.indicator_id AS indicator_id, NEW.department_id AS department_id, NEW.population_type AS population_type, NEW.modality AS modality, NEW.total_monthly AS total_monthly, NEW.new_beneficiaries AS new_beneficiaries, NEW.rmrp_activity AS rmrp_activity) l
JOIN reporting_indicator i ON i.id = l.indicator_id
JOIN reporting_monthlyreport r ON r.id = l.report_id
WHERE r.status = 'approved' AND i.type = 'direct' AND l.rmrp_activity
) delta
WHERE true
GROUP BY period_id, sector_id, indicator_sector_id, department_id, population_type, cash
ORDER BY period_id, sector_id, indicator_sector_id, department_id, population_type, cash
ON CONFLICT (period_id, sector_id, indicator_sector_id, department_id, population_type, cash) DO UPDATE SET
    line_count = reporting_countedtotal.line_count + EXCLUDED.line_count,
    total_monthly = reporting_countedtotal.total_monthly + EXCLUDED.total_monthly,
    new_beneficiaries = reporting_countedtotal.new_beneficiaries + EXCLUDED.new_beneficiaries
;
END;""",
    """CREATE TRIGGER reporting_totals_line_update AFTER UPDATE ON reporting_activityline BEGIN

INSERT INTO reporting_countedtotal (period_id, sector_id, indicator_sector_id, department_id, population_type, cash, line_count, total_monthly, new_beneficiaries)
SELECT period_id, sector_id, indicator_sector_id, department_id, population_type, cash, SUM(n), SUM(m), SUM(y) FROM (
SELECT r.period_id AS period_id, r.sector_id AS sector_id,
       i.sector_id AS indicator_sector_id, l.department_id AS department_id,
       l.population_type AS population_type, l.modality IN ('cash', 'voucher') AS cash,
       -1 AS n, -1 * l.total_monthly AS m, -1 * l.new_beneficiaries AS y
FROM (SELECT OLD.id AS id, OLD.report_id AS report_id, OLD.indicator_id AS indicator_id, OLD.department_id AS department_id, OLD.population_type AS population_type, OLD.modality AS modality, OLD.total_monthly AS total_monthly, OLD.new_beneficiaries AS new_beneficiaries, OLD.rmrp_activity AS rmrp_activity) l
JOIN reporting_indicator i ON i.id = l.indicator_id
JOIN reporting_monthlyreport r ON r.id = l.report_id
WHERE r.status = 'approved' AND i.type = 'direct' AND l.rmrp_activity
UNION ALL

SELECT r.period_id AS period_id, r.sector_id AS sector_id,
       i.sector_id AS indicator_sector_id, l.department_id AS department_id,
       l.population_type AS population_type, l.modality IN ('cash', 'voucher') AS cash,
       1 AS n, 1 * l.total_monthly AS m, 1 * l.new_beneficiaries AS y
FROM (SELECT NEW.id AS id, NEW.report_id AS report_id, NEW.indicator_id AS indicator_id, NEW.department_id AS department_id, NEW.population_type AS population_type, NEW.modality AS modality, NEW.total_monthly AS total_monthly, NEW.new_beneficiaries AS new_beneficiaries, NEW.rmrp_activity AS rmrp_activity) l
JOIN reporting_indicator i ON i.id = l.indicator_id
JOIN reporting_monthlyreport r ON r.id = l.report_id
WHERE r.status = 'approved' AND i.type = 'direct' AND l.rmrp_activity
) delta
WHERE true
GROUP BY period_id, sector_id, indicator_sector_id, department_id, population_type, cash
ORDER BY period_id, sector_id, indicator_sector_id, department_id, population_type, cash
ON CONFLICT (period_id, sector_id, indicator_sector_id, department_id, population_type, cash) DO UPDATE SET
    line_count = reporting_countedtotal.line_count + EXCLUDED.line_count,
    total_monthly = reporting_countedtotal.total_monthly + EXCLUDED.total_monthly,
    new_beneficiaries = reporting_countedtotal.new_beneficiaries + EXCLUDED.new_beneficiaries
;
DELETE FROM reporting_countedtotal WHERE line_count = 0;
END;""",
    """CREATE TRIGGER reporting_totals_line_delete AFTER DELETE ON reporting_activityline BEGIN

INSERT INTO reporting_countedtotal (period_id, sector_id, indicator_sector_id, department_id, population_type, cash, line_count, total_monthly, new_beneficiaries)
SELECT period_id, sector_id, indicator_sector_id, department_id, population_type, cash, SUM(n), SUM(m), SUM(y) FROM (
SELECT r.period_id AS period_id, r.sector_id AS sector_id,
       i.sector_id AS indicator_sector_id, l.department_id AS department_id,
       l.population_type AS population_type, l.modality IN ('cash', 'voucher') AS cash,
       -1 AS n, -1 * l.total_monthly AS m, -1 * l.new_beneficiaries AS y
FROM (SELECT OLD.id AS id, OLD.report_id AS report_id, OLD.indicator_id AS indicator_id, OLD.department_id AS department_id, OLD.population_type AS population_type, OLD.modality AS modality, OLD.total_monthly AS total_monthly, OLD.new_beneficiaries AS new_beneficiaries, OLD.rmrp_activity AS rmrp_activity) l
JOIN reporting_indicator i ON i.id = l.indicator_id
JOIN reporting_monthlyreport r ON r.id = l.report_id
WHERE r.status = 'approved' AND i.type = 'direct' AND l.rmrp_activity
) delta
WHERE true
GROUP BY period_id, sector_id, indicator_sector_id, department_id, population_type, cash
ORDER BY period_id, sector_id, indicator_sector_id, department_id, population_type, cash
ON CONFLICT (period_id, sector_id, indicator_sector_id, department_id, population_type, cash) DO UPDATE SET
    line_count = reporting_countedtotal.line_count + EXCLUDED.line_count,
    total_monthly = reporting_countedtotal.total_monthly + EXCLUDED.total_monthly,
    new_beneficiaries = reporting_countedtotal.new_beneficiaries + EXCLUDED.new_beneficiaries
;
DELETE FROM reporting_countedtotal WHERE line_count = 0;
END;""",
    """CREATE TRIGGER reporting_totals_report_update AFTER UPDATE OF status, period_id, sector_id ON reporting_monthlyreport BEGIN

INSERT INTO reporting_countedtotal (period_id, sector_id, indicator_sector_id, department_id, population_type, cash, line_count, total_monthly, new_beneficiaries)
SELECT period_id, sector_id, indicator_sector_id, department_id, population_type, cash, SUM(n), SUM(m), SUM(y) FROM (
SELECT o.period_id AS period_id, o.sector_id AS sector_id,
       i.sector_id AS indicator_sector_id, l.department_id AS department_id,
       l.population_type AS population_type, l.modality IN ('cash', 'voucher') AS cash,
       -1 AS n, -1 * l.total_monthly AS m, -1 * l.new_beneficiaries AS y
FROM reporting_activityline l
JOIN reporting_indicator i ON i.id = l.indicator_id
JOIN (SELECT OLD.id AS id, OLD.status AS status, OLD.period_id AS period_id, OLD.sector_id AS sector_id) o ON o.id = l.report_id JOIN (SELECT NEW.id AS id, NEW.status AS status, NEW.period_id AS period_id, NEW.sector_id AS sector_id) n ON n.id = o.id
WHERE o.status = 'approved' AND i.type = 'direct' AND l.rmrp_activity AND ((o.status = 'approved') <> (n.status = 'approved') OR o.period_id <> n.period_id OR o.sector_id <> n.sector_id)
UNION ALL

SELECT n.period_id AS period_id, n.sector_id AS sector_id,
       i.sector_id AS indicator_sector_id, l.department_id AS department_id,
       l.population_type AS population_type, l.modality IN ('cash', 'voucher') AS cash,
       1 AS n, 1 * l.total_monthly AS m, 1 * l.new_beneficiaries AS y
FROM reporting_activityline l
JOIN reporting_indicator i ON i.id = l.indicator_id
JOIN (SELECT NEW.id AS id, NEW.status AS status, NEW.period_id AS period_id, NEW.sector_id AS sector_id) n ON n.id = l.report_id JOIN (SELECT OLD.id AS id, OLD.status AS status, OLD.period_id AS period_id, OLD.sector_id AS sector_id) o ON o.id = n.id
WHERE n.status = 'approved' AND i.type = 'direct' AND l.rmrp_activity AND ((o.status = 'approved') <> (n.status = 'approved') OR o.period_id <> n.period_id OR o.sector_id <> n.sector_id)
) delta
WHERE true
GROUP BY period_id, sector_id, indicator_sector_id, department_id, population_type, cash
ORDER BY period_id, sector_id, indicator_sector_id, department_id, population_type, cash
ON CONFLICT (period_id, sector_id, indicator_sector_id, department_id, population_type, cash) DO UPDATE SET
    line_count = reporting_countedtotal.line_count + EXCLUDED.line_count,
    total_monthly = reporting_countedtotal.total_monthly + EXCLUDED.total_monthly,
    new_beneficiaries = reporting_countedtotal.new_beneficiaries + EXCLUDED.new_beneficiaries
;
DELETE FROM reporting_countedtotal WHERE line_count = 0;
END;""",
    """CREATE TRIGGER reporting_totals_indicator_update AFTER UPDATE OF type, sector_id ON reporting_indicator WHEN OLD.type <> NEW.type OR OLD.sector_id <> NEW.sector_id BEGIN
DELETE FROM reporting_countedtotal;

INSERT INTO reporting_countedtotal (period_id, sector_id, indicator_sector_id, department_id, population_type, cash, line_count, total_monthly, new_beneficiaries)
SELECT period_id, sector_id, indicator_sector_id, department_id, population_type, cash, SUM(n), SUM(m), SUM(y) FROM (
SELECT r.period_id AS period_id, r.sector_id AS sector_id,
       i.sector_id AS indicator_sector_id, l.department_id AS department_id,
       l.population_type AS population_type, l.modality IN ('cash', 'voucher') AS cash,
       1 AS n, 1 * l.total_monthly AS m, 1 * l.new_beneficiaries AS y
FROM reporting_activityline l
JOIN reporting_indicator i ON i.id = l.indicator_id
JOIN reporting_monthlyreport r ON r.id = l.report_id
WHERE r.status = 'approved' AND i.type = 'direct' AND l.rmrp_activity
) delta
WHERE true
GROUP BY period_id, sector_id, indicator_sector_id, department_id, population_type, cash
ORDER BY period_id, sector_id, indicator_sector_id, department_id, population_type, cash
ON CONFLICT (period_id, sector_id, indicator_sector_id, department_id, population_type, cash) DO UPDATE SET
    line_count = reporting_countedtotal.line_count + EXCLUDED.line_count,
    total_monthly = reporting_countedtotal.total_monthly + EXCLUDED.total_monthly,
    new_beneficiaries = reporting_countedtotal.new_beneficiaries + EXCLUDED.new_beneficiaries
;
END;""",
]

REBUILD = [
    """DELETE FROM reporting_countedtotal""",
    """
INSERT INTO reporting_countedtotal (period_id, sector_id, indicator_sector_id, department_id, population_type, cash, line_count, total_monthly, new_beneficiaries)
SELECT period_id, sector_id, indicator_sector_id, department_id, population_type, cash, SUM(n), SUM(m), SUM(y) FROM (
SELECT r.period_id AS period_id, r.sector_id AS sector_id,
       i.sector_id AS indicator_sector_id, l.department_id AS department_id,
       l.population_type AS population_type, l.modality IN ('cash', 'voucher') AS cash,
       1 AS n, 1 * l.total_monthly AS m, 1 * l.new_beneficiaries AS y
FROM reporting_activityline l
JOIN reporting_indicator i ON i.id = l.indicator_id
JOIN reporting_monthlyreport r ON r.id = l.report_id
WHERE r.status = 'approved' AND i.type = 'direct' AND l.rmrp_activity
) delta
WHERE true
GROUP BY period_id, sector_id, indicator_sector_id, department_id, population_type, cash
ORDER BY period_id, sector_id, indicator_sector_id, department_id, population_type, cash
ON CONFLICT (period_id, sector_id, indicator_sector_id, department_id, population_type, cash) DO UPDATE SET
    line_count = reporting_countedtotal.line_count + EXCLUDED.line_count,
    total_monthly = reporting_countedtotal.total_monthly + EXCLUDED.total_monthly,
    new_beneficiaries = reporting_countedtotal.new_beneficiaries + EXCLUDED.new_beneficiaries
""",
]


# Migration 0004's triggers, for going back.
OLD_POSTGRESQL_INSTALL = [
    """ALTER TABLE reporting_countedtotal SET (fillfactor = 70)""",
    """CREATE OR REPLACE FUNCTION reporting_totals_line_insert() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE emptied bigint[];
BEGIN

INSERT INTO reporting_countedtotal (period_id, sector_id, indicator_sector_id, department_id, population_type, cash, line_count, total_monthly, new_beneficiaries)
SELECT period_id, sector_id, indicator_sector_id, department_id, population_type, cash, SUM(n), SUM(m), SUM(y) FROM (
SELECT r.period_id AS period_id, r.sector_id AS sector_id,
       i.sector_id AS indicator_sector_id, l.department_id AS department_id,
       l.population_type AS population_type, l.modality IN ('cash', 'voucher') AS cash,
       1 AS n, 1 * l.total_monthly AS m, 1 * l.new_beneficiaries AS y
FROM new_rows l
JOIN reporting_indicator i ON i.id = l.indicator_id
JOIN reporting_monthlyreport r ON r.id = l.report_id
WHERE r.status = 'approved' AND i.counts_people
) delta
WHERE true
GROUP BY period_id, sector_id, indicator_sector_id, department_id, population_type, cash
ORDER BY period_id, sector_id, indicator_sector_id, department_id, population_type, cash
ON CONFLICT (period_id, sector_id, indicator_sector_id, department_id, population_type, cash) DO UPDATE SET
    line_count = reporting_countedtotal.line_count + EXCLUDED.line_count,
    total_monthly = reporting_countedtotal.total_monthly + EXCLUDED.total_monthly,
    new_beneficiaries = reporting_countedtotal.new_beneficiaries + EXCLUDED.new_beneficiaries
;
RETURN NULL;
END
$$;""",
    """CREATE TRIGGER reporting_totals_line_insert AFTER INSERT ON reporting_activityline REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION reporting_totals_line_insert();""",
    """CREATE OR REPLACE FUNCTION reporting_totals_line_update() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE emptied bigint[];
BEGIN
WITH applied AS (
INSERT INTO reporting_countedtotal (period_id, sector_id, indicator_sector_id, department_id, population_type, cash, line_count, total_monthly, new_beneficiaries)
SELECT period_id, sector_id, indicator_sector_id, department_id, population_type, cash, SUM(n), SUM(m), SUM(y) FROM (
SELECT r.period_id AS period_id, r.sector_id AS sector_id,
       i.sector_id AS indicator_sector_id, l.department_id AS department_id,
       l.population_type AS population_type, l.modality IN ('cash', 'voucher') AS cash,
       -1 AS n, -1 * l.total_monthly AS m, -1 * l.new_beneficiaries AS y
FROM old_rows l
JOIN reporting_indicator i ON i.id = l.indicator_id
JOIN reporting_monthlyreport r ON r.id = l.report_id
WHERE r.status = 'approved' AND i.counts_people
UNION ALL

SELECT r.period_id AS period_id, r.sector_id AS sector_id,
       i.sector_id AS indicator_sector_id, l.department_id AS department_id,
       l.population_type AS population_type, l.modality IN ('cash', 'voucher') AS cash,
       1 AS n, 1 * l.total_monthly AS m, 1 * l.new_beneficiaries AS y
FROM new_rows l
JOIN reporting_indicator i ON i.id = l.indicator_id
JOIN reporting_monthlyreport r ON r.id = l.report_id
WHERE r.status = 'approved' AND i.counts_people
) delta
WHERE true
GROUP BY period_id, sector_id, indicator_sector_id, department_id, population_type, cash
ORDER BY period_id, sector_id, indicator_sector_id, department_id, population_type, cash
ON CONFLICT (period_id, sector_id, indicator_sector_id, department_id, population_type, cash) DO UPDATE SET
    line_count = reporting_countedtotal.line_count + EXCLUDED.line_count,
    total_monthly = reporting_countedtotal.total_monthly + EXCLUDED.total_monthly,
    new_beneficiaries = reporting_countedtotal.new_beneficiaries + EXCLUDED.new_beneficiaries
 RETURNING id, line_count)
SELECT array_agg(id) INTO emptied FROM applied WHERE line_count = 0;
DELETE FROM reporting_countedtotal WHERE id = ANY(emptied);
RETURN NULL;
END
$$;""",
    """CREATE TRIGGER reporting_totals_line_update AFTER UPDATE ON reporting_activityline REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION reporting_totals_line_update();""",
    """CREATE OR REPLACE FUNCTION reporting_totals_line_delete() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE emptied bigint[];
BEGIN
WITH applied AS (
INSERT INTO reporting_countedtotal (period_id, sector_id, indicator_sector_id, department_id, population_type, cash, line_count, total_monthly, new_beneficiaries)
SELECT period_id, sector_id, indicator_sector_id, department_id, population_type, cash, SUM(n), SUM(m), SUM(y) FROM (
SELECT r.period_id AS period_id, r.sector_id AS sector_id,
       i.sector_id AS indicator_sector_id, l.department_id AS department_id,
       l.population_type AS population_type, l.modality IN ('cash', 'voucher') AS cash,
       -1 AS n, -1 * l.total_monthly AS m, -1 * l.new_beneficiaries AS y
FROM old_rows l
JOIN reporting_indicator i ON i.id = l.indicator_id
JOIN reporting_monthlyreport r ON r.id = l.report_id
WHERE r.status = 'approved' AND i.counts_people
) delta
WHERE true
GROUP BY period_id, sector_id, indicator_sector_id, department_id, population_type, cash
ORDER BY period_id, sector_id, indicator_sector_id, department_id, population_type, cash
ON CONFLICT (period_id, sector_id, indicator_sector_id, department_id, population_type, cash) DO UPDATE SET
    line_count = reporting_countedtotal.line_count + EXCLUDED.line_count,
    total_monthly = reporting_countedtotal.total_monthly + EXCLUDED.total_monthly,
    new_beneficiaries = reporting_countedtotal.new_beneficiaries + EXCLUDED.new_beneficiaries
 RETURNING id, line_count)
SELECT array_agg(id) INTO emptied FROM applied WHERE line_count = 0;
DELETE FROM reporting_countedtotal WHERE id = ANY(emptied);
RETURN NULL;
END
$$;""",
    """CREATE TRIGGER reporting_totals_line_delete AFTER DELETE ON reporting_activityline REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION reporting_totals_line_delete();""",
    """CREATE OR REPLACE FUNCTION reporting_totals_report_update() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE emptied bigint[];
BEGIN
WITH applied AS (
INSERT INTO reporting_countedtotal (period_id, sector_id, indicator_sector_id, department_id, population_type, cash, line_count, total_monthly, new_beneficiaries)
SELECT period_id, sector_id, indicator_sector_id, department_id, population_type, cash, SUM(n), SUM(m), SUM(y) FROM (
SELECT o.period_id AS period_id, o.sector_id AS sector_id,
       i.sector_id AS indicator_sector_id, l.department_id AS department_id,
       l.population_type AS population_type, l.modality IN ('cash', 'voucher') AS cash,
       -1 AS n, -1 * l.total_monthly AS m, -1 * l.new_beneficiaries AS y
FROM reporting_activityline l
JOIN reporting_indicator i ON i.id = l.indicator_id
JOIN old_rows o ON o.id = l.report_id JOIN new_rows n ON n.id = o.id
WHERE o.status = 'approved' AND i.counts_people AND ((o.status = 'approved') <> (n.status = 'approved') OR o.period_id <> n.period_id OR o.sector_id <> n.sector_id)
UNION ALL

SELECT n.period_id AS period_id, n.sector_id AS sector_id,
       i.sector_id AS indicator_sector_id, l.department_id AS department_id,
       l.population_type AS population_type, l.modality IN ('cash', 'voucher') AS cash,
       1 AS n, 1 * l.total_monthly AS m, 1 * l.new_beneficiaries AS y
FROM reporting_activityline l
JOIN reporting_indicator i ON i.id = l.indicator_id
JOIN new_rows n ON n.id = l.report_id JOIN old_rows o ON o.id = n.id
WHERE n.status = 'approved' AND i.counts_people AND ((o.status = 'approved') <> (n.status = 'approved') OR o.period_id <> n.period_id OR o.sector_id <> n.sector_id)
) delta
WHERE true
GROUP BY period_id, sector_id, indicator_sector_id, department_id, population_type, cash
ORDER BY period_id, sector_id, indicator_sector_id, department_id, population_type, cash
ON CONFLICT (period_id, sector_id, indicator_sector_id, department_id, population_type, cash) DO UPDATE SET
    line_count = reporting_countedtotal.line_count + EXCLUDED.line_count,
    total_monthly = reporting_countedtotal.total_monthly + EXCLUDED.total_monthly,
    new_beneficiaries = reporting_countedtotal.new_beneficiaries + EXCLUDED.new_beneficiaries
 RETURNING id, line_count)
SELECT array_agg(id) INTO emptied FROM applied WHERE line_count = 0;
DELETE FROM reporting_countedtotal WHERE id = ANY(emptied);
RETURN NULL;
END
$$;""",
    """CREATE TRIGGER reporting_totals_report_update AFTER UPDATE ON reporting_monthlyreport REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION reporting_totals_report_update();""",
    """CREATE OR REPLACE FUNCTION reporting_totals_indicator_update() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE emptied bigint[];
BEGIN
IF EXISTS (SELECT 1 FROM old_rows o JOIN new_rows n ON n.id = o.id WHERE o.counts_people <> n.counts_people OR o.sector_id <> n.sector_id) THEN
DELETE FROM reporting_countedtotal;

INSERT INTO reporting_countedtotal (period_id, sector_id, indicator_sector_id, department_id, population_type, cash, line_count, total_monthly, new_beneficiaries)
SELECT period_id, sector_id, indicator_sector_id, department_id, population_type, cash, SUM(n), SUM(m), SUM(y) FROM (
SELECT r.period_id AS period_id, r.sector_id AS sector_id,
       i.sector_id AS indicator_sector_id, l.department_id AS department_id,
       l.population_type AS population_type, l.modality IN ('cash', 'voucher') AS cash,
       1 AS n, 1 * l.total_monthly AS m, 1 * l.new_beneficiaries AS y
FROM reporting_activityline l
JOIN reporting_indicator i ON i.id = l.indicator_id
JOIN reporting_monthlyreport r ON r.id = l.report_id
WHERE r.status = 'approved' AND i.counts_people
) delta
WHERE true
GROUP BY period_id, sector_id, indicator_sector_id, department_id, population_type, cash
ORDER BY period_id, sector_id, indicator_sector_id, department_id, population_type, cash
ON CONFLICT (period_id, sector_id, indicator_sector_id, department_id, population_type, cash) DO UPDATE SET
    line_count = reporting_countedtotal.line_count + EXCLUDED.line_count,
    total_monthly = reporting_countedtotal.total_monthly + EXCLUDED.total_monthly,
    new_beneficiaries = reporting_countedtotal.new_beneficiaries + EXCLUDED.new_beneficiaries
;
END IF;
RETURN NULL;
END
$$;""",
    """CREATE TRIGGER reporting_totals_indicator_update AFTER UPDATE ON reporting_indicator REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION reporting_totals_indicator_update();""",
]

OLD_SQLITE_INSTALL = [
    """CREATE TRIGGER reporting_totals_line_insert AFTER INSERT ON reporting_activityline BEGIN

INSERT INTO reporting_countedtotal (period_id, sector_id, indicator_sector_id, department_id, population_type, cash, line_count, total_monthly, new_beneficiaries)
SELECT period_id, sector_id, indicator_sector_id, department_id, population_type, cash, SUM(n), SUM(m), SUM(y) FROM (
SELECT r.period_id AS period_id, r.sector_id AS sector_id,
       i.sector_id AS indicator_sector_id, l.department_id AS department_id,
       l.population_type AS population_type, l.modality IN ('cash', 'voucher') AS cash,
       1 AS n, 1 * l.total_monthly AS m, 1 * l.new_beneficiaries AS y
FROM (SELECT NEW.id AS id, NEW.report_id AS report_id, NEW.indicator_id AS indicator_id, NEW.department_id AS department_id, NEW.population_type AS population_type, NEW.modality AS modality, NEW.total_monthly AS total_monthly, NEW.new_beneficiaries AS new_beneficiaries) l
JOIN reporting_indicator i ON i.id = l.indicator_id
JOIN reporting_monthlyreport r ON r.id = l.report_id
WHERE r.status = 'approved' AND i.counts_people
) delta
WHERE true
GROUP BY period_id, sector_id, indicator_sector_id, department_id, population_type, cash
ORDER BY period_id, sector_id, indicator_sector_id, department_id, population_type, cash
ON CONFLICT (period_id, sector_id, indicator_sector_id, department_id, population_type, cash) DO UPDATE SET
    line_count = reporting_countedtotal.line_count + EXCLUDED.line_count,
    total_monthly = reporting_countedtotal.total_monthly + EXCLUDED.total_monthly,
    new_beneficiaries = reporting_countedtotal.new_beneficiaries + EXCLUDED.new_beneficiaries
;
END;""",
    """CREATE TRIGGER reporting_totals_line_update AFTER UPDATE ON reporting_activityline BEGIN

INSERT INTO reporting_countedtotal (period_id, sector_id, indicator_sector_id, department_id, population_type, cash, line_count, total_monthly, new_beneficiaries)
SELECT period_id, sector_id, indicator_sector_id, department_id, population_type, cash, SUM(n), SUM(m), SUM(y) FROM (
SELECT r.period_id AS period_id, r.sector_id AS sector_id,
       i.sector_id AS indicator_sector_id, l.department_id AS department_id,
       l.population_type AS population_type, l.modality IN ('cash', 'voucher') AS cash,
       -1 AS n, -1 * l.total_monthly AS m, -1 * l.new_beneficiaries AS y
FROM (SELECT OLD.id AS id, OLD.report_id AS report_id, OLD.indicator_id AS indicator_id, OLD.department_id AS department_id, OLD.population_type AS population_type, OLD.modality AS modality, OLD.total_monthly AS total_monthly, OLD.new_beneficiaries AS new_beneficiaries) l
JOIN reporting_indicator i ON i.id = l.indicator_id
JOIN reporting_monthlyreport r ON r.id = l.report_id
WHERE r.status = 'approved' AND i.counts_people
UNION ALL

SELECT r.period_id AS period_id, r.sector_id AS sector_id,
       i.sector_id AS indicator_sector_id, l.department_id AS department_id,
       l.population_type AS population_type, l.modality IN ('cash', 'voucher') AS cash,
       1 AS n, 1 * l.total_monthly AS m, 1 * l.new_beneficiaries AS y
FROM (SELECT NEW.id AS id, NEW.report_id AS report_id, NEW.indicator_id AS indicator_id, NEW.department_id AS department_id, NEW.population_type AS population_type, NEW.modality AS modality, NEW.total_monthly AS total_monthly, NEW.new_beneficiaries AS new_beneficiaries) l
JOIN reporting_indicator i ON i.id = l.indicator_id
JOIN reporting_monthlyreport r ON r.id = l.report_id
WHERE r.status = 'approved' AND i.counts_people
) delta
WHERE true
GROUP BY period_id, sector_id, indicator_sector_id, department_id, population_type, cash
ORDER BY period_id, sector_id, indicator_sector_id, department_id, population_type, cash
ON CONFLICT (period_id, sector_id, indicator_sector_id, department_id, population_type, cash) DO UPDATE SET
    line_count = reporting_countedtotal.line_count + EXCLUDED.line_count,
    total_monthly = reporting_countedtotal.total_monthly + EXCLUDED.total_monthly,
    new_beneficiaries = reporting_countedtotal.new_beneficiaries + EXCLUDED.new_beneficiaries
;
DELETE FROM reporting_countedtotal WHERE line_count = 0;
END;""",
    """CREATE TRIGGER reporting_totals_line_delete AFTER DELETE ON reporting_activityline BEGIN

INSERT INTO reporting_countedtotal (period_id, sector_id, indicator_sector_id, department_id, population_type, cash, line_count, total_monthly, new_beneficiaries)
SELECT period_id, sector_id, indicator_sector_id, department_id, population_type, cash, SUM(n), SUM(m), SUM(y) FROM (
SELECT r.period_id AS period_id, r.sector_id AS sector_id,
       i.sector_id AS indicator_sector_id, l.department_id AS department_id,
       l.population_type AS population_type, l.modality IN ('cash', 'voucher') AS cash,
       -1 AS n, -1 * l.total_monthly AS m, -1 * l.new_beneficiaries AS y
FROM (SELECT OLD.id AS id, OLD.report_id AS report_id, OLD.indicator_id AS indicator_id, OLD.department_id AS department_id, OLD.population_type AS population_type, OLD.modality AS modality, OLD.total_monthly AS total_monthly, OLD.new_beneficiaries AS new_beneficiaries) l
JOIN reporting_indicator i ON i.id = l.indicator_id
JOIN reporting_monthlyreport r ON r.id = l.report_id
WHERE r.status = 'approved' AND i.counts_people
) delta
WHERE true
GROUP BY period_id, sector_id, indicator_sector_id, department_id, population_type, cash
ORDER BY period_id, sector_id, indicator_sector_id, department_id, population_type, cash
ON CONFLICT (period_id, sector_id, indicator_sector_id, department_id, population_type, cash) DO UPDATE SET
    line_count = reporting_countedtotal.line_count + EXCLUDED.line_count,
    total_monthly = reporting_countedtotal.total_monthly + EXCLUDED.total_monthly,
    new_beneficiaries = reporting_countedtotal.new_beneficiaries + EXCLUDED.new_beneficiaries
;
DELETE FROM reporting_countedtotal WHERE line_count = 0;
END;""",
    """CREATE TRIGGER reporting_totals_report_update AFTER UPDATE OF status, period_id, sector_id ON reporting_monthlyreport BEGIN

INSERT INTO reporting_countedtotal (period_id, sector_id, indicator_sector_id, department_id, population_type, cash, line_count, total_monthly, new_beneficiaries)
SELECT period_id, sector_id, indicator_sector_id, department_id, population_type, cash, SUM(n), SUM(m), SUM(y) FROM (
SELECT o.period_id AS period_id, o.sector_id AS sector_id,
       i.sector_id AS indicator_sector_id, l.department_id AS department_id,
       l.population_type AS population_type, l.modality IN ('cash', 'voucher') AS cash,
       -1 AS n, -1 * l.total_monthly AS m, -1 * l.new_beneficiaries AS y
FROM reporting_activityline l
JOIN reporting_indicator i ON i.id = l.indicator_id
JOIN (SELECT OLD.id AS id, OLD.status AS status, OLD.period_id AS period_id, OLD.sector_id AS sector_id) o ON o.id = l.report_id JOIN (SELECT NEW.id AS id, NEW.status AS status, NEW.period_id AS period_id, NEW.sector_id AS sector_id) n ON n.id = o.id
WHERE o.status = 'approved' AND i.counts_people AND ((o.status = 'approved') <> (n.status = 'approved') OR o.period_id <> n.period_id OR o.sector_id <> n.sector_id)
UNION ALL

SELECT n.period_id AS period_id, n.sector_id AS sector_id,
       i.sector_id AS indicator_sector_id, l.department_id AS department_id,
       l.population_type AS population_type, l.modality IN ('cash', 'voucher') AS cash,
       1 AS n, 1 * l.total_monthly AS m, 1 * l.new_beneficiaries AS y
FROM reporting_activityline l
JOIN reporting_indicator i ON i.id = l.indicator_id
JOIN (SELECT NEW.id AS id, NEW.status AS status, NEW.period_id AS period_id, NEW.sector_id AS sector_id) n ON n.id = l.report_id JOIN (SELECT OLD.id AS id, OLD.status AS status, OLD.period_id AS period_id, OLD.sector_id AS sector_id) o ON o.id = n.id
WHERE n.status = 'approved' AND i.counts_people AND ((o.status = 'approved') <> (n.status = 'approved') OR o.period_id <> n.period_id OR o.sector_id <> n.sector_id)
) delta
WHERE true
GROUP BY period_id, sector_id, indicator_sector_id, department_id, population_type, cash
ORDER BY period_id, sector_id, indicator_sector_id, department_id, population_type, cash
ON CONFLICT (period_id, sector_id, indicator_sector_id, department_id, population_type, cash) DO UPDATE SET
    line_count = reporting_countedtotal.line_count + EXCLUDED.line_count,
    total_monthly = reporting_countedtotal.total_monthly + EXCLUDED.total_monthly,
    new_beneficiaries = reporting_countedtotal.new_beneficiaries + EXCLUDED.new_beneficiaries
;
DELETE FROM reporting_countedtotal WHERE line_count = 0;
END;""",
    """CREATE TRIGGER reporting_totals_indicator_update AFTER UPDATE OF counts_people, sector_id ON reporting_indicator WHEN OLD.counts_people <> NEW.counts_people OR OLD.sector_id <> NEW.sector_id BEGIN
DELETE FROM reporting_countedtotal;

INSERT INTO reporting_countedtotal (period_id, sector_id, indicator_sector_id, department_id, population_type, cash, line_count, total_monthly, new_beneficiaries)
SELECT period_id, sector_id, indicator_sector_id, department_id, population_type, cash, SUM(n), SUM(m), SUM(y) FROM (
SELECT r.period_id AS period_id, r.sector_id AS sector_id,
       i.sector_id AS indicator_sector_id, l.department_id AS department_id,
       l.population_type AS population_type, l.modality IN ('cash', 'voucher') AS cash,
       1 AS n, 1 * l.total_monthly AS m, 1 * l.new_beneficiaries AS y
FROM reporting_activityline l
JOIN reporting_indicator i ON i.id = l.indicator_id
JOIN reporting_monthlyreport r ON r.id = l.report_id
WHERE r.status = 'approved' AND i.counts_people
) delta
WHERE true
GROUP BY period_id, sector_id, indicator_sector_id, department_id, population_type, cash
ORDER BY period_id, sector_id, indicator_sector_id, department_id, population_type, cash
ON CONFLICT (period_id, sector_id, indicator_sector_id, department_id, population_type, cash) DO UPDATE SET
    line_count = reporting_countedtotal.line_count + EXCLUDED.line_count,
    total_monthly = reporting_countedtotal.total_monthly + EXCLUDED.total_monthly,
    new_beneficiaries = reporting_countedtotal.new_beneficiaries + EXCLUDED.new_beneficiaries
;
END;""",
]

OLD_REBUILD = [
    """DELETE FROM reporting_countedtotal""",
    """
INSERT INTO reporting_countedtotal (period_id, sector_id, indicator_sector_id, department_id, population_type, cash, line_count, total_monthly, new_beneficiaries)
SELECT period_id, sector_id, indicator_sector_id, department_id, population_type, cash, SUM(n), SUM(m), SUM(y) FROM (
SELECT r.period_id AS period_id, r.sector_id AS sector_id,
       i.sector_id AS indicator_sector_id, l.department_id AS department_id,
       l.population_type AS population_type, l.modality IN ('cash', 'voucher') AS cash,
       1 AS n, 1 * l.total_monthly AS m, 1 * l.new_beneficiaries AS y
FROM reporting_activityline l
JOIN reporting_indicator i ON i.id = l.indicator_id
JOIN reporting_monthlyreport r ON r.id = l.report_id
WHERE r.status = 'approved' AND i.counts_people
) delta
WHERE true
GROUP BY period_id, sector_id, indicator_sector_id, department_id, population_type, cash
ORDER BY period_id, sector_id, indicator_sector_id, department_id, population_type, cash
ON CONFLICT (period_id, sector_id, indicator_sector_id, department_id, population_type, cash) DO UPDATE SET
    line_count = reporting_countedtotal.line_count + EXCLUDED.line_count,
    total_monthly = reporting_countedtotal.total_monthly + EXCLUDED.total_monthly,
    new_beneficiaries = reporting_countedtotal.new_beneficiaries + EXCLUDED.new_beneficiaries
""",
]



def _execute(schema_editor, statements):
    with schema_editor.connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def _postgresql(schema_editor):
    return schema_editor.connection.vendor == "postgresql"


def uninstall_triggers(apps, schema_editor):
    _execute(schema_editor, POSTGRESQL_UNINSTALL if _postgresql(schema_editor) else SQLITE_UNINSTALL)


def install_triggers(apps, schema_editor):
    _execute(schema_editor, POSTGRESQL_INSTALL if _postgresql(schema_editor) else SQLITE_INSTALL)
    _execute(schema_editor, REBUILD)


def install_old_triggers(apps, schema_editor):
    _execute(schema_editor,
             OLD_POSTGRESQL_INSTALL if _postgresql(schema_editor) else OLD_SQLITE_INSTALL)
    _execute(schema_editor, OLD_REBUILD)


def set_types(apps, schema_editor):
    Indicator = apps.get_model("reporting", "Indicator")
    Indicator.objects.filter(counts_people=True).update(type="direct")
    for code, type_ in SEEDED_TYPES.items():
        Indicator.objects.filter(counts_people=False, code=code).update(type=type_)
    Indicator.objects.filter(counts_people=False).exclude(code__in=SEEDED_TYPES).update(
        type="other")


def set_counts_people(apps, schema_editor):
    Indicator = apps.get_model("reporting", "Indicator")
    Indicator.objects.filter(type="direct").update(counts_people=True)
    Indicator.objects.exclude(type="direct").update(counts_people=False)


class Migration(migrations.Migration):

    dependencies = [
        ('reporting', '0006_other_by_age'),
    ]

    operations = [
        migrations.RunPython(uninstall_triggers, install_old_triggers),
        migrations.RemoveConstraint(
            model_name='indicator',
            name='reporting_indicator_counts_people_in_people',
        ),
        migrations.AddField(
            model_name='indicator',
            name='type',
            field=models.CharField(choices=[('direct', 'Direct Assistance'), ('capacity', 'Capacity Building'), ('infrastructure', 'Infrastructure'), ('mechanism', 'Mechanism/Advocacy'), ('other', 'Other')], default='direct', help_text="R4V's indicator type. Only Direct Assistance counts people reached; trainings of staff are Capacity Building, awareness sessions and campaigns Mechanism/Advocacy.", max_length=20, verbose_name='type'),
        ),
        migrations.AddField(
            model_name='activityline',
            name='rmrp_activity',
            field=models.BooleanField(default=True, help_text='Part of the Regional Refugee and Migrant Response Plan. Only RMRP activities count toward people reached.', verbose_name='RMRP activity'),
        ),
        migrations.RunPython(set_types, set_counts_people),
        migrations.RemoveField(
            model_name='indicator',
            name='counts_people',
        ),
        migrations.AddConstraint(
            model_name='indicator',
            constraint=models.CheckConstraint(condition=models.Q(('type__in', ['direct', 'capacity', 'infrastructure', 'mechanism', 'other'])), name='reporting_indicator_type_valid'),
        ),
        migrations.AddConstraint(
            model_name='indicator',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('type', 'direct'), _negated=True), ('unit', 'people'), _connector='OR'), name='reporting_indicator_direct_assistance_in_people', violation_error_message='A Direct Assistance indicator is counted in people.'),
        ),
        migrations.RunPython(install_triggers, uninstall_triggers),
    ]
