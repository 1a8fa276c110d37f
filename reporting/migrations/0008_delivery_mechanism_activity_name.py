# The cash delivery mechanism and the activity name (R4V's regional 5W, DESIGN §6).
#
# Voucher lines get the mechanism Voucher; cash lines keep it empty, "not recorded", never
# guessed (the line form asks for it when such a line is edited). The activity name is new and
# empty.
#
# On SQLite, adding columns and check constraints rebuilds the lines' table, which drops its
# triggers: they are dropped first and reinstalled after, exactly as migration 0007 installed
# them (this migration changes no trigger), and the totals rebuilt.

from django.db import migrations, models

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



def _execute(schema_editor, statements):
    with schema_editor.connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def drop_sqlite_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        _execute(schema_editor, SQLITE_UNINSTALL)


def install_sqlite_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        _execute(schema_editor, SQLITE_UNINSTALL + SQLITE_INSTALL + REBUILD)


def vouchers_by_voucher(apps, schema_editor):
    apps.get_model("reporting", "ActivityLine").objects.filter(modality="voucher").update(
        delivery_mechanism="voucher")


class Migration(migrations.Migration):

    dependencies = [
        ('reporting', '0007_indicator_type_rmrp_activity'),
    ]

    operations = [
        migrations.RunPython(drop_sqlite_triggers, install_sqlite_triggers),
        migrations.AddField(
            model_name='activityline',
            name='activity_name',
            field=models.CharField(blank=True, help_text='Optional: a short name for the activity, beside its description.', max_length=100, verbose_name='activity name'),
        ),
        migrations.AddField(
            model_name='activityline',
            name='delivery_mechanism',
            field=models.CharField(blank=True, choices=[('bank_account', 'Beneficiary bank account'), ('mobile_money', 'Mobile money'), ('prepaid_card', 'Prepaid card'), ('otc', 'Cash collection over the counter (OTC)'), ('cash_in_hand', 'Direct cash (cash in hand)'), ('cardless_atm', 'Cardless ATM withdrawal'), ('voucher', 'Voucher'), ('other', 'Other')], help_text='For cash and voucher lines: how the transfer reached the people.', max_length=20, verbose_name='delivery mechanism'),
        ),
        migrations.RunPython(vouchers_by_voucher, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name='activityline',
            constraint=models.CheckConstraint(condition=models.Q(('delivery_mechanism', ''), models.Q(('delivery_mechanism__in', ['bank_account', 'mobile_money', 'prepaid_card', 'otc', 'cash_in_hand', 'cardless_atm', 'voucher', 'other']), ('modality__in', ['cash', 'voucher'])), _connector='OR'), name='reporting_activityline_mechanism_only_for_cash'),
        ),
        migrations.AddConstraint(
            model_name='activityline',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('modality', 'voucher'), _negated=True), ('delivery_mechanism', 'voucher'), _connector='OR'), name='reporting_activityline_voucher_mechanism'),
        ),
        migrations.RunPython(install_sqlite_triggers, drop_sqlite_triggers),
    ]
