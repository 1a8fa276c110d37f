"""WSGI entry point: `gunicorn gtrm.wsgi`."""
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gtrm.settings")
application = get_wsgi_application()
