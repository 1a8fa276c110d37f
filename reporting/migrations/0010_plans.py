# Plans: the RMRP framework by plan period (DESIGN §6).
#
# Every existing indicator goes into plan 2023-2024, in force from January 2023; indicator codes
# become unique per plan instead of overall. Sectors stay shared by all plans. An indicator may
# name its successor in a later plan.
#
# On SQLite, changing the indicators' table rebuilds it, which drops the trigger on it that
# keeps the counted totals: the triggers are dropped first and reinstalled after, exactly as
# migration 0007 installed them (this migration changes none), and the totals rebuilt.

import datetime

import django.db.models.deletion
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


def first_plan(apps, schema_editor):
    Plan = apps.get_model("reporting", "Plan")
    Indicator = apps.get_model("reporting", "Indicator")
    if not Indicator.objects.exists():
        return  # a new database: load_seeds creates the plan with the indicators
    plan, _ = Plan.objects.get_or_create(code="2023-2024", defaults={
        "first_month": datetime.date(2023, 1, 1),
        "name_es": "Plan Regional de Respuesta para Refugiados y Migrantes 2023-2024",
        "name_en": "Regional Refugee and Migrant Response Plan 2023-2024",
    })
    Indicator.objects.update(plan=plan)


class Migration(migrations.Migration):

    dependencies = [
        ('reporting', '0009_regional_names'),
    ]

    operations = [
        migrations.RunPython(drop_sqlite_triggers, install_sqlite_triggers),
        migrations.CreateModel(
            name='Plan',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name_es', models.CharField(max_length=255, verbose_name='name (Spanish)')),
                ('name_en', models.CharField(max_length=255, verbose_name='name (English)')),
                ('code', models.CharField(help_text="The plan's years, as “2023-2024”.", max_length=20, unique=True, verbose_name='code')),
                ('first_month', models.DateField(help_text="The first day of the plan's first month.", unique=True, verbose_name='first month')),
            ],
            options={
                'verbose_name': 'plan',
                'verbose_name_plural': 'plans',
                'ordering': ['first_month'],
            },
        ),
        migrations.AddField(
            model_name='indicator',
            name='successor',
            field=models.ForeignKey(blank=True, help_text='The indicator of a later plan that continues this one, so that its series runs across plans.', null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='predecessors', to='reporting.indicator', verbose_name='successor'),
        ),
        migrations.AddField(
            model_name='indicator',
            name='plan',
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, related_name='indicators', to='reporting.plan', verbose_name='plan'),
        ),
        migrations.RunPython(first_plan, migrations.RunPython.noop),
        migrations.AlterField(
            model_name='indicator',
            name='plan',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='indicators', to='reporting.plan', verbose_name='plan'),
        ),
        migrations.AlterField(
            model_name='indicator',
            name='code',
            field=models.CharField(help_text='Unique within its plan.', max_length=20, verbose_name='code'),
        ),
        migrations.AddConstraint(
            model_name='indicator',
            constraint=models.UniqueConstraint(fields=('plan', 'code'), name='reporting_indicator_code_unique_in_plan', violation_error_message='This plan already has an indicator with this code.'),
        ),
        migrations.RunPython(install_sqlite_triggers, drop_sqlite_triggers),
    ]
