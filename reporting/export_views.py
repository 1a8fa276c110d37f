"""Placeholder until this module is written (issue 4); every view answers 501."""

from django.http import HttpResponse


def index(request, **kwargs):
    return HttpResponse(status=501)


def lines(request, **kwargs):
    return HttpResponse(status=501)


def summary(request, **kwargs):
    return HttpResponse(status=501)

