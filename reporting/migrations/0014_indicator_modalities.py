"""Each indicator declares the modalities it allows (issue 14 point 8).

Existing indicators get the modalities their English name points to (a frozen copy of
`reporting.models.modalities_from_name`) plus every modality their existing lines already use,
so that no stored line becomes invalid; each indicator widened that way is printed, for the IM
team to review in the admin.

On SQLite, adding the column rebuilds the indicators' table, which drops the trigger on it that
keeps the counted totals: they are dropped first and reinstalled after, as migration 0010 left
them (no trigger changed since)."""

import importlib
import re

from django.db import migrations, models

ORDER = ("service", "in_kind", "cash", "voucher")
CASH_WORDS = ("cash", "voucher", "seed capital")
IN_KIND_WORDS = ("in-kind", "basket", "hot meals", "non-food", "tickets")
SERVICE_OR_KIND_WORDS = ("equipment", "supplies", "supplementation", "improvements",
                         "transportation", "safe water", "livelihoods")


def from_name(name_en, unit):
    text = (name_en or "").lower()
    if any(word in text for word in CASH_WORDS):
        return {"cash", "voucher"}
    if (unit == "kits" or re.search(r"\bkits?\b", text)
            or any(word in text for word in IN_KIND_WORDS)):
        return {"in_kind"}
    if any(word in text for word in SERVICE_OR_KIND_WORDS):
        return {"service", "in_kind"}
    return {"service"}


def fill(apps, schema_editor):
    Indicator = apps.get_model("reporting", "Indicator")
    ActivityLine = apps.get_model("reporting", "ActivityLine")
    used = {}
    for indicator_id, modality in (ActivityLine.objects.values_list("indicator_id", "modality")
                                   .distinct()):
        used.setdefault(indicator_id, set()).add(modality)
    for indicator in Indicator.objects.all():
        by_name = from_name(indicator.name_en, indicator.unit)
        extra = used.get(indicator.pk, set()) - by_name
        indicator.modalities = [code for code in ORDER if code in by_name | extra]
        indicator.save(update_fields=["modalities"])
        if extra:
            print(f"\n  Indicator {indicator.code} (plan {indicator.plan_id}) also allows "
                  f"{', '.join(sorted(extra))}: its existing lines use it.", end="")


# Migration 0010's SQLite triggers, unchanged since: its drop and install steps.
_PLANS = importlib.import_module("reporting.migrations.0010_plans")


class Migration(migrations.Migration):

    dependencies = [
        ("reporting", "0013_notification_outbox"),
    ]

    operations = [
        migrations.RunPython(_PLANS.drop_sqlite_triggers, _PLANS.install_sqlite_triggers),
        migrations.AddField(
            model_name="indicator",
            name="modalities",
            field=models.JSONField(
                default=list,
                help_text="How this indicator's assistance may be delivered; a line's modality "
                          "must be one of these.",
                verbose_name="allowed modalities"),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.RunPython(_PLANS.install_sqlite_triggers, _PLANS.drop_sqlite_triggers),
    ]
