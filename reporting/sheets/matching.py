"""Matching the names in an activity file to the reference data, tolerantly but never by
guessing: codes and names ignore case, accents and spacing, a ubigeo may be written `15`,
`PE15`, `150000` or as the number 1 for `01`; a value that matches nothing, or more than one
thing, is a `ValueProblem` that says so (with the closest names, when some are close).

The reference data is read once per file (four queries), so the number of queries does not grow
with the number of rows."""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Callable, Iterable

from django.utils import translation
from django.utils.text import get_text_list
from django.utils.translation import gettext

from partners.models import Organisation
from reporting import texts as msg
from reporting.models import (
    Indicator,
    Location,
    LocationLevel,
    Modality,
    PopulationType,
    Sector,
    normalise_ubigeo,
)

from . import columns
from .values import ValueProblem, name_text

SUGGESTIONS = 3
_FOLDED: dict[str, str] = {}


def fold(text: str) -> str:
    """Return `text` as values are compared: case, accents and spacing ignored."""
    folded = _FOLDED.get(text)
    if folded is None:
        folded = columns.fold(columns.code_part(text))
        if len(_FOLDED) < 50_000:
            _FOLDED[text] = folded
    return folded


class _Index:
    """Objects found by any of their names, folded; a name of two objects is ambiguous."""

    def __init__(self) -> None:
        self.by_key: dict[str, list] = {}

    def add(self, obj, *names: str) -> None:
        for name in names:
            if not name:
                continue
            found = self.by_key.setdefault(fold(name), [])
            if obj not in found:
                found.append(obj)

    def get(self, text: str) -> list:
        return self.by_key.get(fold(text), [])


def _quoted(names: Iterable[str]) -> str:
    return get_text_list([f"“{name}”" for name in names], gettext("or"))


def _suggest(text: str, choices: dict[str, str]) -> str:
    """Return " Did you mean …?" for the choices (folded → shown) close to `text`, or ""."""
    close = difflib.get_close_matches(fold(text), list(choices), n=SUGGESTIONS, cutoff=0.7)
    if not close:
        return ""
    shown = list(dict.fromkeys(choices[key] for key in close))
    return " " + msg.DID_YOU_MEAN % {"suggestions": _quoted(shown)}


class Reference:
    """The reference data a file is checked against, read once (four queries)."""

    def __init__(self) -> None:
        self.organisations = _Index()
        for organisation in Organisation.objects.all():
            self.organisations.add(
                organisation, organisation.acronym, organisation.name, organisation.short_name,
                organisation.r4v_name,  # R4V's regional template names it so
            )
        self.sectors = _Index()
        sectors = {sector.pk: sector for sector in Sector.objects.all()}
        for sector in sectors.values():
            sector.parent = sectors.get(sector.parent_id)
            self.sectors.add(sector, sector.code, sector.name_es, sector.name_en, sector.r4v_name)
        # One index per plan: a row's indicator is looked up in the plan in force in its month.
        self.plans: list[tuple[dt.date, int]] = []
        self.indicators_by_plan: dict[int, _Index] = {}
        for indicator in Indicator.objects.select_related("plan"):
            indicator.sector = sectors[indicator.sector_id]
            index = self.indicators_by_plan.get(indicator.plan_id)
            if index is None:
                index = self.indicators_by_plan[indicator.plan_id] = _Index()
                self.plans.append((indicator.plan.first_month, indicator.plan_id))
            index.add(indicator, indicator.code, indicator.name_es, indicator.name_en,
                      indicator.r4v_name)
        self.plans.sort(reverse=True)

        self.locations: dict[str, Location] = {}
        locations = list(Location.objects.all())
        by_pk = {location.pk: location for location in locations}
        self.departments = _Index()
        self.children: dict[str, _Index] = {}  # parent code → its provinces or districts
        self.districts: dict[str, _Index] = {}  # department code → its districts
        for location in locations:
            location.parent = by_pk.get(location.parent_id)
            self.locations[location.code] = location
            if location.level == LocationLevel.DEPARTMENT:
                self.departments.add(location, location.name, location.r4v_name)
                continue
            self.children.setdefault(location.parent.code, _Index()).add(location, location.name)
            if location.level == LocationLevel.DISTRICT:
                self.districts.setdefault(location.code[:2], _Index()).add(
                    location, location.name
                )

        self.population_types = self._choices(PopulationType)
        self.modalities = self._choices(Modality)

    @staticmethod
    def _choices(choices) -> _Index:
        index = _Index()
        for choice in choices:
            with translation.override("es"):
                spanish = str(choice.label)
            with translation.override("en"):
                english = str(choice.label)
            index.add(choice.value, choice.value, choice.value.replace("_", " "), spanish, english)
        return index

    # Matching one value -------------------------------------------------------------------------


    def organisation(self, raw) -> Organisation:
        text = name_text(raw)
        found = self.organisations.get(text)
        if len(found) == 1:
            return found[0]
        if found:
            raise ValueProblem(msg.AMBIGUOUS_ORGANISATION % {
                "value": text,
                "candidates": _quoted(f"{o.acronym} ({o.name})" for o in found),
            })
        choices = {key: objects[0].acronym
                   for key, objects in self.organisations.by_key.items()}
        raise ValueProblem(msg.UNKNOWN_ORGANISATION % {"value": text} + _suggest(text, choices))

    def sector(self, raw) -> Sector:
        text = name_text(raw)
        return self._one(self.sectors, text, msg.UNKNOWN_SECTOR,
                         lambda sector: sector.code)

    def indicator(self, raw, *, month: dt.date | None = None) -> Indicator:
        """Return the indicator named `raw` in the plan in force in `month` (the latest plan
        when the month is unknown, the first one for a month before every plan)."""
        text = name_text(raw)
        in_force = [pk for first, pk in self.plans if month is None or first <= month]
        # Before every plan (historic data), the first plan.
        pk = in_force[0] if in_force else self.plans[-1][1] if self.plans else None
        index = self.indicators_by_plan.get(pk) or _Index()
        return self._one(index, text, msg.UNKNOWN_INDICATOR, lambda indicator: indicator.code)

    def population_type(self, raw) -> str:
        return self._choice(self.population_types, raw, msg.UNKNOWN_POPULATION_TYPE,
                            PopulationType.values)

    def modality(self, raw) -> str:
        return self._choice(self.modalities, raw, msg.UNKNOWN_MODALITY,
                            Modality.values)

    @staticmethod
    def _one(index: _Index, text: str, unknown, code: Callable):
        found = index.get(text)
        if len(found) == 1:
            return found[0]
        if found:
            raise ValueProblem(msg.AMBIGUOUS_VALUE % {
                "value": text, "candidates": _quoted(code(obj) for obj in found)})
        choices = {fold(code(obj)): code(obj)
                   for objects in index.by_key.values() for obj in objects}
        raise ValueProblem(unknown % {"value": text} + _suggest(text, choices))

    @staticmethod
    def _choice(index: _Index, raw, unknown, values: list[str]) -> str:
        text = name_text(raw)
        found = index.get(text)
        if len(found) == 1:
            return found[0]
        choices = {fold(value): value for value in values}
        raise ValueProblem(unknown % {"value": text, "choices": get_text_list(values, gettext("or"))}
                       + _suggest(text, choices))

    def _place(self, text: str, level: str, names: _Index | None, unknown) -> Location:
        """Return the location of `level` written as `text`, a ubigeo or a name among `names`."""
        text = columns.code_part(text)
        code = normalise_ubigeo(text)
        if code.isdigit():
            location = self.locations.get(code)
            if location is None:
                raise ValueProblem(unknown)
            if location.level != level:
                raise ValueProblem(msg.WRONG_LEVEL % {
                    "value": text, "place": location.name,
                    "level": LocationLevel(location.level).label,
                    "expected": LocationLevel(level).label,
                })
            return location
        found = names.get(text) if names is not None else []
        if len(found) == 1:
            return found[0]
        if found:
            raise ValueProblem(msg.AMBIGUOUS_VALUE % {
                "value": text, "candidates": _quoted(f"{p.name} ({p.code})" for p in found)})
        choices = {key: objects[0].name for key, objects in names.by_key.items()} if names else {}
        raise ValueProblem(str(unknown) + _suggest(text, choices))

    def department(self, raw) -> Location:
        text = name_text(raw)
        return self._place(text, LocationLevel.DEPARTMENT, self.departments,
                           msg.UNKNOWN_DEPARTMENT % {"value": text})

    def province(self, raw, *, department: Location) -> Location:
        text = name_text(raw)
        province = self._place(
            text, LocationLevel.PROVINCE, self.children.get(department.code),
            msg.UNKNOWN_PROVINCE % {"value": text, "department": department.name},
        )
        if not province.lies_in(department):
            raise ValueProblem(msg.PROVINCE_OUTSIDE_DEPARTMENT % {
                "province": province.name, "department": department.name})
        return province

    def district(self, raw, *, department: Location, province: Location | None) -> Location:
        text = name_text(raw)
        within = province or department
        names = (self.children.get(province.code) if province
                 else self.districts.get(department.code))
        district = self._place(
            text, LocationLevel.DISTRICT, names,
            msg.UNKNOWN_DISTRICT % {"value": text, "place": within.name},
        )
        if province is not None and not district.lies_in(province):
            raise ValueProblem(msg.DISTRICT_OUTSIDE_PROVINCE % {
                "district": district.name, "province": province.name})
        if not district.lies_in(department):
            raise ValueProblem(msg.LOCATION_OUTSIDE_DEPARTMENT % {
                "location": district.name, "department": department.name})
        return district
