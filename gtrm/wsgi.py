"""WSGI entry point: `gunicorn gtrm.wsgi`."""
import os

from django.core.wsgi import get_wsgi_application

from gtrm.garbage import tune_for_server

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gtrm.settings")
application = get_wsgi_application()

# After start-up, so that what it loaded is frozen out of the collector's sight (gtrm/garbage.py).
tune_for_server()
