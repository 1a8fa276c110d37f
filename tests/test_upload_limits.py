"""How long uploads are kept, and how many one person may send (issue 11, item 4).

Alice and Fiona work at HIAS, Bob at Cáritas. An unconfirmed upload's file is removed after
IMPORT_UNCONFIRMED_DAYS (`cleanup_uploads`) and, at each upload, beyond the organisation's
IMPORT_UNCONFIRMED_PER_ORGANISATION (oldest first, each person's latest kept); a confirmed
upload is kept for good; a person may upload IMPORT_UPLOADS_PER_HOUR files an hour.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.template.defaultfilters import filesizeformat
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart
from django.utils import timezone

from reporting.models import ActivityLine, ImportBatch, ImportStatus
from reporting.sheets import uploads
from reporting.sheets.views.uploads import REMOVED, TOO_MANY

from .test_upload_views import batch_of, csv_bytes, row, upload

CONTENT = csv_bytes([row()])


def stored(user, *, age: dt.timedelta = dt.timedelta(0), status=ImportStatus.PREVIEWED,
           content: bytes = CONTENT) -> ImportBatch:
    """An upload of `user` made `age` ago, as the upload page stores it."""
    now = timezone.now()
    return ImportBatch.objects.create(
        uploaded_by=user, filename="actividades.csv", content=content, size=len(content),
        sha256=hashlib.sha256(content).hexdigest(), status=status, created_at=now - age,
        applied_at=now - age if status == ImportStatus.APPLIED else None,
    )


def removed(batch: ImportBatch) -> bool:
    batch.refresh_from_db()
    if batch.status != ImportStatus.DISCARDED:
        return False
    assert bytes(batch.content) == b"" and batch.discarded_at is not None
    return True


def cleanup(*args) -> str:
    out = io.StringIO()
    call_command("cleanup_uploads", *args, stdout=out)
    return out.getvalue()


DAY = dt.timedelta(days=1)


# cleanup_uploads ---------------------------------------------------------------------------


def test_cleanup_removes_the_files_of_uploads_left_unconfirmed_for_a_week(alice, bob):
    waiting = stored(alice, age=8 * DAY)
    with_errors = stored(bob, age=30 * DAY, status=ImportStatus.REJECTED, content=b"x" * 2048)
    recent = stored(alice, age=6 * DAY)
    out = cleanup()
    assert removed(waiting) and removed(with_errors)
    assert not removed(recent)
    assert bytes(recent.content) == CONTENT
    assert f"Removed upload {waiting.pk}: actividades.csv" in out
    assert "waiting for confirmation, by alice on" in out
    assert f"Removed upload {with_errors.pk}: actividades.csv (2.0\xa0KB), has errors, by bob" in out
    total = filesizeformat(len(CONTENT) + 2048)
    assert out.endswith(f"Removed the files of 2 uploads ({total}) not confirmed within 7 days.\n")
    # What the rows still say: who uploaded which file, when, and how big it was.
    assert (waiting.filename, waiting.size, waiting.uploaded_by) == (
        "actividades.csv", len(CONTENT), alice)


def test_cleanup_keeps_a_confirmed_upload_for_good(alice):
    confirmed = stored(alice, age=3650 * DAY, status=ImportStatus.APPLIED)
    assert cleanup() == "Nothing to remove: no unconfirmed upload is older than 7 days.\n"
    confirmed.refresh_from_db()
    assert confirmed.status == ImportStatus.APPLIED
    assert bytes(confirmed.content) == CONTENT


def test_cleanup_run_twice_removes_nothing_the_second_time(alice):
    old = stored(alice, age=8 * DAY)
    cleanup()
    removed_at = ImportBatch.objects.get(pk=old.pk).discarded_at
    assert cleanup() == "Nothing to remove: no unconfirmed upload is older than 7 days.\n"
    assert ImportBatch.objects.get(pk=old.pk).discarded_at == removed_at


def test_cleanup_with_dry_run_lists_what_it_would_remove_and_removes_nothing(alice):
    old = stored(alice, age=8 * DAY)
    out = cleanup("--dry-run")
    assert f"Would remove upload {old.pk}: actividades.csv" in out
    assert "Nothing was changed (--dry-run)." in out
    assert not removed(old)


def test_cleanup_follows_the_setting(alice, settings):
    settings.IMPORT_UNCONFIRMED_DAYS = 1
    yesterday, today = stored(alice, age=DAY + dt.timedelta(minutes=1)), stored(alice)
    assert "not confirmed within 1 days." in cleanup()
    assert removed(yesterday) and not removed(today)


# What a person sees of a removed upload ----------------------------------------------------


def test_a_removed_upload_says_so_on_its_preview(client, alice):
    batch = stored(alice, age=8 * DAY)
    cleanup()
    client.force_login(alice)
    response = client.get(f"/imports/{batch.pk}/")
    assert response.status_code == 410
    page = response.content.decode()
    assert "without being saved" in page
    assert "kept for 7 days" in page
    assert 'href="/imports/"' in page
    assert "Confirm: save" not in page
    spanish = client.get(f"/imports/{batch.pk}/", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "se eliminó" in spanish and "7 días" in spanish


def test_the_list_of_recent_uploads_shows_a_removed_one_as_discarded(client, alice):
    batch = stored(alice, age=8 * DAY)
    cleanup()
    client.force_login(alice)
    page = client.get("/imports/").content.decode()
    assert f'href="/imports/{batch.pk}/"' in page
    assert "Discarded" in page
    assert "A file you do not confirm is removed after 7 days." in page


def test_confirming_a_removed_upload_says_it_was_removed_and_saves_nothing(client, alice, report):
    batch = stored(alice, age=8 * DAY)
    cleanup()
    client.force_login(alice)
    response = client.post(f"/imports/{batch.pk}/confirm/")
    assert response.status_code == 302 and response.url == f"/imports/{batch.pk}/"
    assert [str(m) for m in get_messages(response.wsgi_request)] == [str(REMOVED)]
    assert not ActivityLine.objects.filter(report=report).exists()


def test_a_file_removed_while_its_preview_is_open_is_not_saved(client, alice, report):
    client.force_login(alice)
    batch = batch_of(upload(client, CONTENT))
    assert "Confirm: save" in client.get(f"/imports/{batch.pk}/").content.decode()

    # The confirmation has read the upload; the daily clean-up removes it just before the
    # confirmation claims it.
    def cleanup_first(execute, sql, params, many, context):
        if sql.startswith('UPDATE "reporting_importbatch"') and not cleanup_first.done:
            cleanup_first.done = True
            uploads.discard_uploads(batches=ImportBatch.objects.filter(pk=batch.pk))
        return execute(sql, params, many, context)

    cleanup_first.done = False
    with connection.execute_wrapper(cleanup_first):
        response = client.post(f"/imports/{batch.pk}/confirm/")
    assert cleanup_first.done
    assert response.status_code == 302 and response.url == f"/imports/{batch.pk}/"
    assert [str(m) for m in get_messages(response.wsgi_request)] == [str(REMOVED)]
    assert not ActivityLine.objects.filter(report=report).exists()
    assert removed(batch)


def test_the_marked_file_of_a_removed_upload_is_not_offered(client, alice):
    batch = stored(alice, age=8 * DAY, status=ImportStatus.REJECTED)
    cleanup()
    client.force_login(alice)
    response = client.get(f"/imports/{batch.pk}/errors.xlsx")
    assert response.status_code == 302 and response.url == f"/imports/{batch.pk}/"
    assert [str(m) for m in get_messages(response.wsgi_request)] == [str(REMOVED)]


def test_an_upload_removed_after_it_was_confirmed_is_not_possible(alice):
    confirmed = stored(alice, status=ImportStatus.APPLIED)
    assert uploads.discard_uploads(batches=ImportBatch.objects.filter(pk=confirmed.pk)) == 0
    confirmed.refresh_from_db()
    assert confirmed.status == ImportStatus.APPLIED and bytes(confirmed.content) == CONTENT


# The organisation's quota of unconfirmed uploads -------------------------------------------


def test_an_upload_removes_the_organisations_oldest_unconfirmed_uploads_beyond_the_quota(
    client, alice, fiona, settings
):
    settings.IMPORT_UNCONFIRMED_PER_ORGANISATION = 3
    oldest = stored(alice, age=3 * DAY, status=ImportStatus.REJECTED)
    older = stored(alice, age=2 * DAY)
    fionas = stored(fiona, age=DAY)
    client.force_login(alice)
    newest = batch_of(upload(client, CONTENT))
    assert removed(oldest)
    assert not any(removed(batch) for batch in (older, fionas, newest))
    newer = batch_of(upload(client, CONTENT))
    assert removed(older)
    assert not any(removed(batch) for batch in (fionas, newest, newer))


def test_the_quota_never_removes_a_persons_latest_upload(client, alice, fiona, settings):
    settings.IMPORT_UNCONFIRMED_PER_ORGANISATION = 1
    fionas_preview = stored(fiona, age=DAY)  # open in Fiona's browser
    client.force_login(alice)
    first = batch_of(upload(client, CONTENT))
    second = batch_of(upload(client, CONTENT))
    assert removed(first)
    assert not removed(second) and not removed(fionas_preview)


def test_the_quota_counts_the_uploads_of_one_organisation_and_no_other(
    client, alice, bob, settings
):
    settings.IMPORT_UNCONFIRMED_PER_ORGANISATION = 1
    bobs = [stored(bob, age=DAY * n) for n in (3, 2, 1)]
    client.force_login(alice)
    batch_of(upload(client, CONTENT))
    assert not any(removed(batch) for batch in bobs)


def test_the_quota_leaves_confirmed_uploads_alone(client, alice, settings):
    settings.IMPORT_UNCONFIRMED_PER_ORGANISATION = 1
    confirmed = [stored(alice, age=DAY * n, status=ImportStatus.APPLIED) for n in (3, 2, 1)]
    client.force_login(alice)
    batch_of(upload(client, CONTENT))
    assert not any(removed(batch) for batch in confirmed)


# The hourly cap ----------------------------------------------------------------------------


class Unread:
    """A request body that fails the test if the server reads it."""

    def read(self, *args):
        raise AssertionError("the server read the file")

    readline = read


def test_the_upload_past_the_hourly_cap_is_refused_before_the_file_is_read(
    client, alice, settings
):
    settings.IMPORT_UPLOADS_PER_HOUR = 2
    client.force_login(alice)
    first = batch_of(upload(client, CONTENT))
    batch_of(upload(client, CONTENT))
    body = encode_multipart(BOUNDARY, {"file": SimpleUploadedFile("actividades.csv", CONTENT)})
    response = client.generic("POST", "/imports/", body, content_type=MULTIPART_CONTENT,
                              **{"wsgi.input": Unread()})
    assert response.status_code == 429
    again_at = timezone.localtime(first.created_at + dt.timedelta(hours=1))
    assert response.context["error"] == TOO_MANY % {"limit": 2, "time": f"{again_at:%H:%M}"}
    assert "You have uploaded 2 files in the last hour" in response.content.decode()
    assert 3500 <= int(response["Retry-After"]) <= 3601
    assert ImportBatch.objects.count() == 2


def test_the_cap_is_told_in_spanish_too(client, alice, settings):
    settings.IMPORT_UPLOADS_PER_HOUR = 1
    stored(alice)
    client.force_login(alice)
    response = client.post("/imports/", {"file": SimpleUploadedFile("a.csv", CONTENT)},
                           HTTP_ACCEPT_LANGUAGE="es")
    assert response.status_code == 429
    assert "Ha cargado 1 archivo en la última hora" in response.content.decode()
    assert "Podrá volver a cargar a las" in response.content.decode()


def test_the_cap_counts_the_last_hour_only(client, alice, settings):
    settings.IMPORT_UPLOADS_PER_HOUR = 2
    stored(alice, age=dt.timedelta(minutes=61))
    stored(alice, age=dt.timedelta(minutes=59))
    client.force_login(alice)
    assert upload(client, CONTENT).status_code == 302
    assert upload(client, CONTENT).status_code == 429


def test_the_cap_counts_uploads_whose_file_was_removed(client, alice, fiona, settings):
    """Otherwise removing the files beyond the quota would let the same person upload on."""
    settings.IMPORT_UPLOADS_PER_HOUR = 2
    settings.IMPORT_UNCONFIRMED_PER_ORGANISATION = 0
    stored(fiona)
    client.force_login(alice)
    first = batch_of(upload(client, CONTENT))
    batch_of(upload(client, CONTENT))
    assert removed(first)
    assert upload(client, CONTENT).status_code == 429


def test_the_cap_counts_each_person_on_their_own(client, alice, fiona, settings):
    settings.IMPORT_UPLOADS_PER_HOUR = 1
    stored(alice)
    client.force_login(fiona)
    assert upload(client, CONTENT).status_code == 302


def test_the_cap_counts_confirmed_uploads(client, alice, settings):
    settings.IMPORT_UPLOADS_PER_HOUR = 1
    stored(alice, status=ImportStatus.APPLIED)
    client.force_login(alice)
    assert upload(client, CONTENT).status_code == 429


@pytest.mark.parametrize("status", [ImportStatus.PREVIEWED, ImportStatus.REJECTED])
def test_store_upload_refuses_past_the_cap_even_when_the_first_check_passed(
    alice, settings, status
):
    """Two uploads sent at once both pass the check made before reading the file; the one
    stored second is refused when it is counted again, under the person's row lock."""
    settings.IMPORT_UPLOADS_PER_HOUR = 1
    stored(alice)
    with pytest.raises(uploads.UploadLimitReached):
        uploads.store_upload(user=alice, filename="b.csv", content=CONTENT, sha256="0" * 64,
                             status=status, summary={})
    assert ImportBatch.objects.count() == 1
