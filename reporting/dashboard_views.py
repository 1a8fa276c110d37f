"""Placeholder until this module is written (issue 3); every view answers 501."""

from django.http import HttpResponse


def dashboard(request, **kwargs):
    return HttpResponse(status=501)


def explain(request, **kwargs):
    return HttpResponse(status=501)

