"""Placeholder until this module is written (issue 4); every view answers 501."""

from django.http import HttpResponse


def upload(request, **kwargs):
    return HttpResponse(status=501)


def template(request, **kwargs):
    return HttpResponse(status=501)


def preview(request, **kwargs):
    return HttpResponse(status=501)


def confirm(request, **kwargs):
    return HttpResponse(status=501)


def error_workbook(request, **kwargs):
    return HttpResponse(status=501)

