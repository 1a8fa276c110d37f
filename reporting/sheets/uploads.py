"""How long activity uploads are kept, and how many one person may send (issue 11).

An upload is stored in the database, up to IMPORT_MAX_BYTES, from the moment it is read. A
confirmed upload's file is kept for good (see ImportBatch). An unconfirmed one, waiting for
confirmation or with errors, has its file removed:

- once it is older than IMPORT_UNCONFIRMED_DAYS, by `manage.py cleanup_uploads`, daily;
- at each upload, beyond the IMPORT_UNCONFIRMED_PER_ORGANISATION newest of the uploader's
  organisation, oldest first; each person's latest upload is kept whatever the count, since it
  is the preview they are looking at and about to confirm.

Removing a file empties its content and marks the row DISCARDED in one conditional UPDATE, so
a confirmation racing it is either first (and the upload is saved and kept) or finds the row
no longer open and says so. A person may store IMPORT_UPLOADS_PER_HOUR uploads an hour,
counted from the rows, removed files included. Everything is counted in the database, so the
limits hold across app servers.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from partners.models import User
from reporting.models import ImportBatch, ImportStatus

OPEN_STATUSES = (ImportStatus.PREVIEWED, ImportStatus.REJECTED)
HOUR = dt.timedelta(hours=1)


class UploadLimitReached(Exception):
    """The person has stored IMPORT_UPLOADS_PER_HOUR uploads in the last hour."""

    def __init__(self, *, retry_at: dt.datetime):
        super().__init__(retry_at)
        self.retry_at = retry_at


def unconfirmed_uploads() -> QuerySet[ImportBatch]:
    """Return the uploads whose file is kept but not saved: waiting, or with errors."""
    return ImportBatch.objects.filter(status__in=OPEN_STATUSES)


def expired_uploads(*, now: dt.datetime | None = None) -> QuerySet[ImportBatch]:
    """Return the unconfirmed uploads older than IMPORT_UNCONFIRMED_DAYS."""
    cutoff = (now or timezone.now()) - dt.timedelta(days=settings.IMPORT_UNCONFIRMED_DAYS)
    return unconfirmed_uploads().filter(created_at__lt=cutoff)


def discard_uploads(*, batches: QuerySet[ImportBatch], now: dt.datetime | None = None) -> int:
    """Remove the files of those `batches` still unconfirmed; return how many were removed."""
    return batches.filter(status__in=OPEN_STATUSES).update(
        status=ImportStatus.DISCARDED, content=b"", discarded_at=now or timezone.now()
    )


def uploads_beyond_quota(*, organisation_id: int | None) -> list[int]:
    """Return the ids of the organisation's unconfirmed uploads beyond its quota: all but the
    IMPORT_UNCONFIRMED_PER_ORGANISATION newest, and never a person's latest."""
    quota = settings.IMPORT_UNCONFIRMED_PER_ORGANISATION
    newest_first = (
        unconfirmed_uploads()
        .filter(uploaded_by__organisation_id=organisation_id)
        .order_by("-created_at", "-pk")
        .values_list("pk", "uploaded_by_id")
    )
    kept, people, beyond = 0, set(), []
    for pk, person in newest_first:
        latest = person not in people
        people.add(person)
        if latest or kept < quota:
            kept += 1
        else:
            beyond.append(pk)
    return beyond


def next_upload_at(*, user: User, now: dt.datetime | None = None) -> dt.datetime | None:
    """Return when `user` may store an upload again, or None if they may now."""
    now = now or timezone.now()
    limit = max(1, settings.IMPORT_UPLOADS_PER_HOUR)
    recent = list(
        ImportBatch.objects.filter(uploaded_by=user, created_at__gt=now - HOUR)
        .order_by("-created_at")
        .values_list("created_at", flat=True)[:limit]
    )
    if len(recent) < limit:
        return None
    return recent[-1] + HOUR  # when the oldest of those leaves the hour


def store_upload(*, user: User, filename: str, content: bytes, sha256: str, status: str,
                 summary: dict) -> ImportBatch:
    """Store an upload of `user`, within the hourly cap, and remove the files of their
    organisation's unconfirmed uploads beyond its quota; raise UploadLimitReached past the
    cap."""
    with transaction.atomic():
        # The person's row is locked while their uploads are counted and the new one stored,
        # so that uploads sent at once are counted one after the other (PostgreSQL; SQLite
        # writes one transaction at a time anyway).
        User.objects.select_for_update().filter(pk=user.pk).values_list("pk").first()
        retry_at = next_upload_at(user=user)
        if retry_at is not None:
            raise UploadLimitReached(retry_at=retry_at)
        batch = ImportBatch.objects.create(
            uploaded_by=user, filename=filename, content=content, size=len(content),
            sha256=sha256, status=status, summary=summary,
        )
    # Outside the transaction: one statement on its own, which a confirmation holding one of
    # those rows only delays.
    discard_uploads(
        batches=ImportBatch.objects.filter(
            pk__in=uploads_beyond_quota(organisation_id=user.organisation_id)
        )
    )
    return batch
