"""The WSGI module gunicorn loads: the application, and the collector tuned for a server."""

from __future__ import annotations

import gc
import importlib


def test_the_wsgi_module_serves_the_app_and_tunes_the_collector():
    before = gc.get_threshold()
    try:
        import gtrm.wsgi

        importlib.reload(gtrm.wsgi)
        assert callable(gtrm.wsgi.application)
        assert gc.get_threshold() == (50_000, 20, 100)
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
