"""Import and export of reference data in the admin (django-import-export), for IM officers.

Rows are matched on their codes (an organisation's acronym, a sector's or an indicator's code, a
ubigeo, a period's month), never on database ids, and the columns are those of seeds/*.csv plus
`active` where the model has it, read cell by cell as `load_seeds` reads them (both through
reporting/reference/files.py). An exported file can therefore be edited and imported back, and
it still loads with `load_seeds`. An import is all or nothing, runs the models' own validation,
and reports a wrong row with its line number and a plain reason.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import BooleanField, ExpressionWrapper, Q
from django.db.models.fields import NOT_PROVIDED
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.encoding import force_str
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from import_export import fields, resources, widgets
from import_export.admin import ImportExportMixin
from import_export.formats.base_formats import CSV, XLSX
from import_export.forms import ExportForm, ImportForm
from import_export.instance_loaders import CachedInstanceLoader
from import_export.results import RowResult
from import_export.tmp_storages import TempFolderStorage

from partners.models import Organisation
from reporting.models import (
    ActivityLine,
    Indicator,
    KeyFigures,
    Location,
    Plan,
    ReportingPeriod,
    Sector,
    modalities_from_name,
    normalise_ubigeo,
)
from reporting.reference.files import (
    FILE_COLUMNS,
    delimiter,
    is_blank,
    read_cell,
    read_codes,
    read_date,
    read_whole_number,
    read_yes_no,
    write_yes_no,
)
from reporting.sheets.columns import neutralise

# Error messages, as constants so that tests can assert the text.
DOES_NOT_EXIST = _("%(model)s “%(code)s” does not exist.")
NOT_A_MONTH = _("Write the month as YYYY-MM (2023-09), not “%(value)s”.")
NOT_AN_AMOUNT = _(
    "Write the amount with a point before the cents and no thousands separators "
    "(1540000.50), not “%(value)s”."
)
SECTOR_PARENT_LOCKED = _(
    "This sector has reports or lines, so it cannot move under another sector."
)
INDICATOR_LOCKED = _(
    "This indicator has lines, so its sector, unit and counting cannot change: deactivate it "
    "and create a new one instead."
)
OUTSIDE_PARENT = _("The code %(code)s does not lie inside its parent %(parent)s.")
MISSING_KEY_COLUMN = _("The file has no “%(column)s” column, which rows are matched on.")
FILE_TOO_LARGE = _("The file is larger than %(megabytes)d MB.")
TOO_MANY_ROWS = _("The file has %(rows)d rows; at most %(limit)d are imported at once.")
UPLOAD_GONE = _(
    "The uploaded file is no longer here (was the import already confirmed?). Upload it again."
)
IMPORT_ABANDONED = _(
    "Nothing was imported: the data changed since the preview. Import the file again to see "
    "what is wrong."
)


def does_not_exist(model, code: str) -> str:
    """Return the row error for a code that names no `model`."""
    return DOES_NOT_EXIST % {"model": capfirst(model._meta.verbose_name), "code": code}


# --------------------------------------------------------------------------------------------
# Widgets: how a cell is read and written
# --------------------------------------------------------------------------------------------

class CodeWidget(widgets.ForeignKeyWidget):
    """A foreign key written as the related row's code (or acronym, or ubigeo)."""

    def __init__(self, model, field: str = "code", normalise=str.strip):
        super().__init__(model, field=field)
        self.normalise = normalise

    def clean(self, value, row=None, **kwargs):
        if is_blank(value):
            return None
        code = self.normalise(force_str(value))
        try:
            return self.get_queryset(value, row).get(**{self.field: code})
        except self.model.DoesNotExist:
            raise ValueError(does_not_exist(self.model, code)) from None

    def render(self, value, obj=None, **kwargs):
        return "" if value is None else getattr(value, self.field)


class CodesWidget(widgets.ManyToManyWidget):
    """A many-to-many relation written as codes joined by `;` (as in the seed files); `,` is
    read too. A code that names nothing is an error, not silently dropped."""

    def __init__(self, model, field: str = "code"):
        super().__init__(model, separator=";", field=field)

    def clean(self, value, row=None, **kwargs):
        codes = read_codes(value)
        found = {
            getattr(obj, self.field): obj
            for obj in self.model.objects.filter(**{f"{self.field}__in": codes})
        }
        missing = [code for code in codes if code not in found]
        if missing:
            raise ValueError(" ".join(does_not_exist(self.model, code) for code in missing))
        return [found[code] for code in codes]

    def render(self, value, obj=None, **kwargs):
        if value is None:
            return ""
        return self.separator.join(sorted(getattr(obj, self.field) for obj in value.all()))


class UbigeoWidget(widgets.CharWidget):
    """A location code: `1501`, `PE1501` or `150100` all read as 1501; a spreadsheet's 101
    reads as 0101."""

    def clean(self, value, row=None, **kwargs):
        return "" if is_blank(value) else normalise_ubigeo(force_str(value))


class ModalitiesWidget(widgets.Widget):
    """An indicator's allowed modalities as codes joined by `;` (`service;in_kind`), as in
    seeds/indicators.csv; the model's validation names an unknown code."""

    def clean(self, value, row=None, **kwargs):
        return read_codes(value)

    def render(self, value, obj=None, **kwargs):
        return ";".join(value or ())


class YesNoWidget(widgets.Widget):
    """A yes/no column, read as load_seeds reads it (reference/files.py)."""

    def clean(self, value, row=None, **kwargs):
        return read_yes_no(value)

    def render(self, value, obj=None, **kwargs):
        return write_yes_no(value)


class WholeNumberWidget(widgets.Widget):
    """A count, written without thousands separators whatever the page's language."""

    def clean(self, value, row=None, **kwargs):
        return read_whole_number(value)

    def render(self, value, obj=None, **kwargs):
        if value is None:
            return ""
        return value if kwargs.get("force_native_type") else str(value)


class AmountWidget(widgets.Widget):
    """An amount in USD: a point before the cents, no thousands separators."""

    def clean(self, value, row=None, **kwargs):
        if is_blank(value):
            return None
        if isinstance(value, Decimal):
            return value
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return Decimal(str(value))
        text = force_str(value).strip()
        if re.fullmatch(r"-?\d+(\.\d+)?", text):
            try:
                return Decimal(text)
            except InvalidOperation:
                pass
        raise ValueError(NOT_AN_AMOUNT % {"value": value})

    def render(self, value, obj=None, **kwargs):
        if value is None:
            return ""
        return value if kwargs.get("force_native_type") else format(value, "f")


class IsoDateWidget(widgets.Widget):
    """A date as YYYY-MM-DD in CSV, a real date cell in XLSX."""

    def clean(self, value, row=None, **kwargs):
        return read_date(value)

    def render(self, value, obj=None, **kwargs):
        if value is None:
            return ""
        return value if kwargs.get("force_native_type") else value.isoformat()


class MonthWidget(widgets.ForeignKeyWidget):
    """A reporting period written as its month, YYYY-MM. A spreadsheet that turned 2023-09 into
    the date 1 September 2023 is read as that month."""

    def __init__(self):
        super().__init__(ReportingPeriod, field="month")

    def clean(self, value, row=None, **kwargs):
        if is_blank(value):
            return None
        if isinstance(value, dt.date) and value.day == 1:
            month = dt.date(value.year, value.month, 1)
        else:
            match = re.fullmatch(r"(\d{4})-(\d{1,2})", force_str(value).strip())
            try:
                month = dt.date(int(match[1]), int(match[2]), 1) if match else None
            except ValueError:
                month = None
            if month is None:
                raise ValueError(NOT_A_MONTH % {"value": value})
        try:
            return ReportingPeriod.objects.get(month=month)
        except ReportingPeriod.DoesNotExist:
            raise ValueError(does_not_exist(ReportingPeriod, month.strftime("%Y-%m"))) from None

    def render(self, value, obj=None, **kwargs):
        # Text even in XLSX: a date cell would show as 01/09/2023 and read back as a day.
        return "" if value is None else value.code


# --------------------------------------------------------------------------------------------
# Resources: one per model, columns as in seeds/*.csv
# --------------------------------------------------------------------------------------------

class CodeMatchedResource(resources.ModelResource):
    """Rows matched on a code; text cells neutralised against formulas on export; the model's
    validation run on import; all or nothing."""

    WIDGETS_MAP = {
        **resources.ModelResource.WIDGETS_MAP,
        "BooleanField": YesNoWidget,
        "DateField": IsoDateWidget,
        "DecimalField": AmountWidget,
        "IntegerField": WholeNumberWidget,
        "PositiveIntegerField": WholeNumberWidget,
        "PositiveSmallIntegerField": WholeNumberWidget,
    }

    class Meta:
        use_transactions = True
        skip_unchanged = True
        report_skipped = True
        clean_model_instances = True

    @classmethod
    def field_from_django_field(cls, field_name, django_field, readonly):
        field = super().field_from_django_field(field_name, django_field, readonly)
        # A blank cell means blank (and a blank required cell is an error), not the model's
        # default; a column left out of the file keeps the default for new rows.
        field.default = NOT_PROVIDED
        return field

    def import_data(self, dataset, *args, **kwargs):
        if dataset.headers:
            dataset.headers = [force_str(header or "").strip().lower() for header in dataset.headers]
        limit = getattr(settings, "IMPORT_MAX_ROWS", 20_000)
        if len(dataset) > limit:
            return self.refuse(ValueError(TOO_MANY_ROWS % {"rows": len(dataset), "limit": limit}))
        for name in self.get_import_id_fields():
            column = self.fields[name].column_name
            if column not in (dataset.headers or ()):
                return self.refuse(ValueError(MISSING_KEY_COLUMN % {"column": column}))
        return super().import_data(dataset, *args, **kwargs)

    def refuse(self, error: Exception):
        """Return the result of an import refused as a whole, before any row is read."""
        result = self.get_result_class()()
        result.append_base_error(self.get_error_result_class()(error))
        return result

    def import_row(self, row, instance_loader, **kwargs):
        row = row.__class__((key, read_cell(value)) for key, value in row.items())
        if all(is_blank(value) for value in row.values()):
            # A spreadsheet's empty lines (often below the data) are not rows.
            skipped = self.get_row_result_class()()
            skipped.import_type = RowResult.IMPORT_TYPE_SKIP
            return skipped
        return super().import_row(row, instance_loader, **kwargs)

    def get_instance(self, instance_loader, row):
        try:
            return super().get_instance(instance_loader, row)
        except ValueError as error:
            raise ValidationError({self.get_import_id_fields()[0]: str(error)}) from error

    def import_instance(self, instance, row, **kwargs):
        locked = self.locked_fields(instance)
        before = {name: getattr(instance, attribute) for name, (attribute, _) in locked.items()}
        errors = {}
        try:
            super().import_instance(instance, row, **kwargs)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        # Many-to-many columns are saved after the row; check their codes now, so that an
        # unknown one is a row error like any other.
        for field in self.get_import_fields():
            if isinstance(field.widget, widgets.ManyToManyWidget) and field.column_name in row:
                try:
                    field.clean(row)
                except ValueError as error:
                    errors.setdefault(field.attribute, []).append(ValidationError(str(error)))
        for name, (attribute, message) in locked.items():
            if getattr(instance, attribute) != before[name] and name not in errors:
                errors[name] = [ValidationError(message)]
        if errors:
            raise ValidationError(errors)

    def locked_fields(self, instance) -> dict[str, tuple[str, str]]:
        """Return the fields that may not change on this existing row, as
        {field: (model attribute, error message)}."""
        return {}

    def export_field(self, field, instance, **kwargs):
        value = super().export_field(field, instance, **kwargs)
        if isinstance(field.widget, (WholeNumberWidget, AmountWidget)):
            return value
        return neutralise(value)


class OrganisationResource(CodeMatchedResource):
    sectors = fields.Field(
        attribute="sectors", column_name="sectors", widget=CodesWidget(Sector)
    )

    class Meta:
        model = Organisation
        fields = (*FILE_COLUMNS["organisations.csv"], "active", "regional_name")
        import_id_fields = ("acronym",)

    def filter_export(self, queryset, **kwargs):
        return queryset.prefetch_related("sectors")


class SectorResource(CodeMatchedResource):
    parent = fields.Field(attribute="parent", column_name="parent", widget=CodeWidget(Sector))
    lead_organisations = fields.Field(
        attribute="lead_organisations", column_name="lead_organisations",
        widget=CodesWidget(Organisation, field="acronym"),
    )

    class Meta:
        model = Sector
        fields = (*FILE_COLUMNS["sectors.csv"], "active", "regional_name")
        import_id_fields = ("code",)

    def get_queryset(self):
        return super().get_queryset().select_related("parent")

    def locked_fields(self, instance):
        # As in the admin: moving a sector moves its approved lines into another's figures.
        if instance.pk and (
            instance.reports.exists()
            or ActivityLine.objects.filter(indicator__sector=instance).exists()
        ):
            return {"parent": ("parent_id", SECTOR_PARENT_LOCKED)}
        return {}

    def filter_export(self, queryset, **kwargs):
        # Sectors before sub-sectors, so that the file also loads into an empty database.
        is_subsector = ExpressionWrapper(Q(parent__isnull=False), output_field=BooleanField())
        return (
            queryset.select_related("parent").prefetch_related("lead_organisations")
            .order_by(is_subsector, "order", "code")
        )


class IndicatorResource(CodeMatchedResource):
    sector = fields.Field(attribute="sector", column_name="sector", widget=CodeWidget(Sector))
    modalities = fields.Field(attribute="modalities", column_name="modalities",
                              widget=ModalitiesWidget())

    class Meta:
        model = Indicator
        fields = (*FILE_COLUMNS["indicators.csv"], "modalities", "active", "regional_name")
        import_id_fields = ("code",)

    def get_queryset(self):
        # The indicators of the latest plan: codes are unique within a plan, and a new plan
        # comes with `load_plan`; an earlier plan's indicators are edited on their pages.
        return super().get_queryset().filter(plan=Plan.objects.last()).select_related("sector")

    def init_instance(self, row=None):
        return Indicator(plan=Plan.objects.last())

    def import_instance(self, instance, row, **kwargs):
        # A file without the column (one written before indicators declared their modalities)
        # gives a new indicator the modalities its name suggests, as load_seeds does; an
        # existing one keeps its own.
        if "modalities" not in row and not instance.modalities:
            instance.modalities = modalities_from_name(
                str(row.get("name_en") or ""), str(row.get("unit") or "people"))
        super().import_instance(instance, row, **kwargs)

    def locked_fields(self, instance):
        # As in the admin: approved figures were counted with these.
        if instance.pk and instance.lines.exists():
            return {
                "sector": ("sector_id", INDICATOR_LOCKED),
                "unit": ("unit", INDICATOR_LOCKED),
                "type": ("type", INDICATOR_LOCKED),
            }
        return {}

    def filter_export(self, queryset, **kwargs):
        return queryset.select_related("sector")


class LocationResource(CodeMatchedResource):
    code = fields.Field(attribute="code", column_name="code", widget=UbigeoWidget())
    parent = fields.Field(
        attribute="parent", column_name="parent",
        widget=CodeWidget(Location, normalise=normalise_ubigeo),
    )

    class Meta:
        model = Location
        fields = (*FILE_COLUMNS["locations.csv"], "regional_name")
        import_id_fields = ("code",)
        # 2,000 places: one query finds them all (codes are normalised, never refused, so
        # the loader cannot fail), and the preview lists what changes, not every district.
        instance_loader_class = CachedInstanceLoader
        report_skipped = False

    def get_queryset(self):
        return super().get_queryset().select_related("parent")

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        errors = dict(import_validation_errors or {})
        if instance.parent and "parent" not in errors and not instance.code.startswith(
            instance.parent.code
        ):
            errors["parent"] = [ValidationError(
                OUTSIDE_PARENT % {"code": instance.code, "parent": instance.parent.code}
            )]
        super().validate_instance(instance, errors, validate_unique)

    def filter_export(self, queryset, **kwargs):
        # By code, so that every place comes after its parent.
        return queryset.select_related("parent").order_by("code")


class KeyFiguresResource(CodeMatchedResource):
    period = fields.Field(attribute="period", column_name="period", widget=MonthWidget())

    class Meta:
        model = KeyFigures
        fields = (
            "period", "refugees", "refugees_source", "refugees_date", "funding_required_usd",
            "funding_received_usd", "funding_source", "funding_date",
        )
        import_id_fields = ("period",)

    def get_queryset(self):
        return super().get_queryset().select_related("period")

    def before_save_instance(self, instance, row, **kwargs):
        instance.updated_by = kwargs.get("user") or instance.updated_by

    def filter_export(self, queryset, **kwargs):
        return queryset.select_related("period")


# --------------------------------------------------------------------------------------------
# The admin side
# --------------------------------------------------------------------------------------------

class SpreadsheetCSV(CSV):
    """CSV as spreadsheets save it: with `;` between cells when the header row has no `,`
    (Excel in Spanish)."""

    def create_dataset(self, in_stream, **kwargs):
        if isinstance(in_stream, bytes) and self.encoding:
            in_stream = in_stream.decode(self.encoding)
        if isinstance(in_stream, str) and delimiter(in_stream) == ";":
            kwargs.setdefault("delimiter", ";")
        return super().create_dataset(in_stream, **kwargs)


class SpreadsheetTempStorage(TempFolderStorage):
    """The uploaded file between preview and confirmation. Text is read as UTF-8 (with or
    without a BOM) or else as Windows-1252, which Excel in Spanish saves CSV in."""

    def read(self):
        if "b" in self.read_mode:
            return super().read()
        with open(self.get_full_path(), "rb") as file:
            data = file.read()
        try:
            return data.decode(self.encoding or "utf-8-sig")
        except UnicodeDecodeError:
            return data.decode("cp1252")


class CappedImportForm(ImportForm):
    def clean_import_file(self):
        upload = self.cleaned_data["import_file"]
        limit = getattr(settings, "IMPORT_MAX_BYTES", 10 * 1024 * 1024)
        if upload.size > limit:
            raise forms.ValidationError(FILE_TOO_LARGE % {"megabytes": limit // (1024 * 1024)})
        return upload


class ImportExportForImOfficers(ImportExportMixin):
    """Import and export buttons and pages for IM officers only. A coordinator is answered 403,
    as on the model's other pages; a partner never gets past the admin site (404)."""

    formats = (SpreadsheetCSV, XLSX)
    import_form_class = CappedImportForm
    tmp_storage_class = SpreadsheetTempStorage
    # Every column, always: the file is the contract that imports back.
    export_form_class = ExportForm
    # With a BOM, so that Excel opens the accents right; the import reads it either way.
    to_encoding = "utf-8-sig"
    # Imported changes appear in each object's history like changes made by hand.
    skip_admin_log = False

    def has_import_permission(self, request) -> bool:
        return request.user.is_im_officer

    def has_export_permission(self, request) -> bool:
        return request.user.is_im_officer

    def process_import(self, request, **kwargs):
        # Checked before require_POST, so that a coordinator's GET is a 403 like the rest.
        if not self.has_import_permission(request):
            raise PermissionDenied
        try:
            return super().process_import(request, **kwargs)
        except FileNotFoundError:
            # A second click on "Confirm import": the first one imported and removed the file.
            self.message_user(request, UPLOAD_GONE, messages.ERROR)
            return HttpResponseRedirect(self.import_url())

    def import_url(self) -> str:
        app_label, model_name = self.get_model_info()
        return reverse(f"admin:{app_label}_{model_name}_import", current_app=self.admin_site.name)

    def get_import_data_kwargs(self, **kwargs):
        # A row invalid at confirmation (the data changed since the preview) undoes them all.
        return {**super().get_import_data_kwargs(**kwargs), "rollback_on_validation_errors": True}

    def process_result(self, result, request):
        if result.has_errors() or result.has_validation_errors():
            self.message_user(request, IMPORT_ABANDONED, messages.ERROR)
            return HttpResponseRedirect(self.import_url())
        return super().process_result(result, request)
