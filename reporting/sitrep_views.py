"""Placeholder until this module is written (issue 3); every view answers 501."""

from django.http import HttpResponse


def sitrep_draft(request, **kwargs):
    return HttpResponse(status=501)


def sitrep_draft_pdf(request, **kwargs):
    return HttpResponse(status=501)


def sitrep_publish(request, **kwargs):
    return HttpResponse(status=501)


def public_list(request, **kwargs):
    return HttpResponse(status=501)


def public_latest(request, **kwargs):
    return HttpResponse(status=501)


def public_edition(request, **kwargs):
    return HttpResponse(status=501)


def public_edition_pdf(request, **kwargs):
    return HttpResponse(status=501)


def public_edition_json(request, **kwargs):
    return HttpResponse(status=501)

