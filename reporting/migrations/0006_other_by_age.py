# Other people split by age (R4V's regional 5W, DESIGN §6).
#
# The single "other" figure recorded no age, so its values are kept, never guessed: the column
# is renamed other_unknown_age, which still counts in the breakdown, and two new figures,
# other_under_18 and other_adults, take new entries. The audit trail's entries name the renamed
# field by its new name. Going back folds the two new figures into the single one.
#
# On SQLite, adding a column with a default and changing a check constraint rebuild the lines'
# table, which drops its triggers: they are dropped first and reinstalled after, exactly as
# migration 0004 froze them (this migration changes no trigger), and the totals rebuilt.

from django.core.validators import MaxValueValidator
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


def drop_sqlite_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        _execute(schema_editor, SQLITE_UNINSTALL)


def install_sqlite_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        _execute(schema_editor, SQLITE_UNINSTALL + SQLITE_INSTALL + REBUILD)


def rename_in_history(apps, schema_editor):
    """Name the renamed field by its new name in the audit trail's entries."""
    _rename_history_key(apps, "other", "other_unknown_age")


def restore_history(apps, schema_editor):
    _rename_history_key(apps, "other_unknown_age", "other")


def _rename_history_key(apps, old, new):
    LineChange = apps.get_model("reporting", "LineChange")
    changed = []
    for change in LineChange.objects.filter(changes__has_key=old).only("pk", "changes").iterator():
        change.changes = {new if key == old else key: value for key, value in change.changes.items()}
        changed.append(change)
        if len(changed) == 1000:
            LineChange.objects.bulk_update(changed, ["changes"])
            changed = []
    LineChange.objects.bulk_update(changed, ["changes"])


def fold_ages_back(apps, schema_editor):
    """Going back: the single figure has no age, so both new figures go into it."""
    ActivityLine = apps.get_model("reporting", "ActivityLine")
    ActivityLine.objects.exclude(other_under_18=0, other_adults=0).update(
        other_unknown_age=models.F("other_unknown_age") + models.F("other_under_18")
        + models.F("other_adults"),
        other_under_18=0, other_adults=0,
    )


PLAUSIBLE = [MaxValueValidator(2000000, message="Enter %(limit_value)s or less: a larger figure for one line is surely a typing error.")]


class Migration(migrations.Migration):

    dependencies = [
        ('reporting', '0005_upload_retention'),
    ]

    operations = [
        migrations.RunPython(drop_sqlite_triggers, install_sqlite_triggers),
        migrations.RemoveConstraint(
            model_name='activityline',
            name='reporting_activityline_disaggregation_sums_to_new',
        ),
        migrations.RenameField(
            model_name='activityline',
            old_name='other',
            new_name='other_unknown_age',
        ),
        migrations.AlterField(
            model_name='activityline',
            name='other_unknown_age',
            field=models.PositiveIntegerField(default=0, help_text='Recorded before “other” was split by age: move these people into other (0–17) or other (18+).', validators=PLAUSIBLE, verbose_name='other, age not recorded'),
        ),
        migrations.AddField(
            model_name='activityline',
            name='other_under_18',
            field=models.PositiveIntegerField(default=0, validators=PLAUSIBLE, verbose_name='other (0–17)'),
        ),
        migrations.AddField(
            model_name='activityline',
            name='other_adults',
            field=models.PositiveIntegerField(default=0, validators=PLAUSIBLE, verbose_name='other (18+)'),
        ),
        migrations.RunPython(rename_in_history, restore_history),
        migrations.RunPython(migrations.RunPython.noop, fold_ages_back),
        migrations.AddConstraint(
            model_name='activityline',
            constraint=models.CheckConstraint(condition=models.Q(('new_beneficiaries', models.F('girls') + models.F('boys') + models.F('women') + models.F('men') + models.F('other_under_18') + models.F('other_adults') + models.F('other_unknown_age'))), name='reporting_activityline_disaggregation_sums_to_new', violation_error_message='New beneficiaries (%(new)s) must equal girls + boys + women + men + other (%(sum)s).'),
        ),
        migrations.RunPython(install_sqlite_triggers, drop_sqlite_triggers),
    ]
