"""Helpers shared by the locustfile and costs.py, free of locust (which patches the standard
library with gevent when it is imported): the activity workbook and multipart bodies."""

from __future__ import annotations

import io
import random
import uuid


def people() -> dict[str, int]:
    """A plausible line's figures: the six sex-and-age groups add up to new beneficiaries, and
    the month's total is at least that."""
    counts = {name: random.randint(0, 40) for name in ("girls", "boys", "women", "men")}
    counts["other_under_18"] = random.choice((0, 0, 0, 0, 1))
    counts["other_adults"] = random.choice((0, 0, 0, 1, 2))
    counts["women"] += 1  # never an empty line
    new = sum(counts.values())
    return {**counts, "new_beneficiaries": new, "total_monthly": new + random.randint(0, 30)}


def multipart(fields: dict[str, str], files: dict[str, tuple[str, bytes, str]]) -> tuple[bytes, str]:
    boundary = f"----load{uuid.uuid4().hex}"
    out = io.BytesIO()
    for name, value in fields.items():
        out.write(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
                  f"{value}\r\n".encode())
    for name, (filename, content, content_type) in files.items():
        out.write(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
                  f'filename="{filename}"\r\nContent-Type: {content_type}\r\n\r\n'.encode())
        out.write(content)
        out.write(b"\r\n")
    out.write(f"--{boundary}--\r\n".encode())
    return out.getvalue(), f"multipart/form-data; boundary={boundary}"


def build_workbook(*, month, organisation, sector, indicators, departments) -> tuple[bytes, set]:
    """An activity file in the template's format (DESIGN §5): headers, the HXL row, 2–5 lines."""
    from openpyxl import Workbook

    headers = ["Month", "Organisation", "Implementing partner", "Sector", "Indicator",
               "Department", "Province", "District", "Population type", "Modality", "Girls",
               "Boys", "Women", "Men", "Other under 18", "Other 18+", "New beneficiaries",
               "Total monthly beneficiaries", "Quantity", "Cash USD", "Description"]
    hxl = ["#date+reported", "#org+prog", "#org+impl", "#sector+code", "#indicator+code",
           "#adm1+code", "#adm2+code", "#adm3+code", "#beneficiary+type", "#modality+type",
           "#reached+f+children", "#reached+m+children", "#reached+f+adults",
           "#reached+m+adults", "#reached+i+children", "#reached+i+adults", "#reached+new",
           "#reached+total", "#output+num",
           "#value+transfer+usd", "#activity+description"]
    book = Workbook()
    sheet = book.active
    sheet.title = "Actividades"
    sheet.append(headers)
    sheet.append(hxl)
    identities: set[tuple] = set()
    wanted = random.randint(2, 5)
    while len(identities) < wanted:
        pk, code = random.choice(indicators)
        identity = (pk, random.choice(departments),
                    random.choice(("destination", "transit", "host")), "service")
        if identity in identities:
            continue
        identities.add(identity)
        counts = people()
        sheet.append([
            month, organisation, None, sector, code, identity[1], None, None, identity[2],
            identity[3], counts["girls"], counts["boys"], counts["women"], counts["men"],
            counts["other_under_18"], counts["other_adults"], counts["new_beneficiaries"],
            counts["total_monthly"], None, None,
            "Cargado desde la plantilla",
        ])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue(), identities
