"""WSGI entry point: `gunicorn gtrm.wsgi`."""
import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gtrm.settings")
application = get_wsgi_application()

# Python's cyclic garbage collector, tuned for a server process. With the default thresholds it
# ran about 1,900 times over the pages of the load test's mix and took ~10 % of the CPU
# (tests/load/costs.py); with the first threshold at 50,000 allocations it runs a few times and
# the process uses 8–10 % less CPU, at the cost of a few MB of garbage kept a little longer.
# freeze() moves what start-up loaded (Django, the apps, the URL and template caches) out of
# the collector's sight, so no collection walks it again; with `--preload` the forked workers
# also keep sharing those pages with the master.
gc.freeze()
gc.set_threshold(50_000, 20, 100)
