"""gunicorn's settings for production: `gunicorn gtrm.wsgi -c gunicorn.conf.py` (issue 16).

Sync workers, two per core plus one. What keeps a room of people signing in from stalling
everybody else is the hasher (partners/hashers.py: Argon2id costs ~22 ms of CPU a sign-in where
PBKDF2 cost ~0.6 s on the same machine), not the worker model: measured side by side with the
deadline mix and a burst of 100 sign-ins (tests/load/README.md, "A room signing in at once"),
threads (gthread, 3 x 4 or 5 x 2) shortened the burst a little but gave every other request a
worse p95 in the steady state, since a worker's threads share one interpreter lock.

WEB_WORKERS (default 2 x cores + 1) sizes it; WEB_THREADS above 1 switches to gthread workers
with that many threads each (each thread holds its own database connection and, while it
hashes a password, its own 19 MiB of Argon2 memory). WEB_BIND, WEB_TIMEOUT as named.
"""

import multiprocessing
import os

bind = os.environ.get("WEB_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_WORKERS", str(2 * multiprocessing.cpu_count() + 1)))
threads = int(os.environ.get("WEB_THREADS", "1"))
worker_class = "gthread" if threads > 1 else "sync"
# The largest XLSX export allowed (EXPORT_XLSX_MAX_LINES) takes about 20 s; CSV streams.
timeout = int(os.environ.get("WEB_TIMEOUT", "120"))
# Load the application once in the master: the workers share its memory, and gtrm/wsgi.py
# freezes it out of the garbage collector's sight before they fork.
preload_app = True
# A worker is replaced after this many requests (± jitter), which bounds any slow growth of
# its memory, such as the fragmentation that large uploads leave behind.
max_requests = int(os.environ.get("WEB_MAX_REQUESTS", "5000"))
max_requests_jitter = 500
