"""Placeholder until this module is written (issue 3); every view answers 501."""

from django.http import HttpResponse


def completeness(request, **kwargs):
    return HttpResponse(status=501)

