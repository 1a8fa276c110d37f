"""gunicorn's settings for production: `gunicorn gtrm.wsgi -c gunicorn.conf.py` (issue 16).

Threads, not only processes: a sign-in spends its ~35 ms hashing in Argon2's C code with
Python's lock released, and a request waiting for PostgreSQL waits the same way, so the other
threads of the worker go on serving pages meanwhile. With one thread per process (gunicorn's
"sync" workers) a room of people signing in at once held every worker and everybody else
queued behind the hashes. Each thread keeps a database connection of its own: workers ×
threads per server must stay under PostgreSQL's max_connections (README, "Several app servers").

WEB_WORKERS (default: one per core plus one) and WEB_THREADS (default 4) size it; WEB_BIND,
WEB_TIMEOUT as named.
"""

import multiprocessing
import os

bind = os.environ.get("WEB_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_WORKERS", str(multiprocessing.cpu_count() + 1)))
worker_class = "gthread"
threads = int(os.environ.get("WEB_THREADS", "4"))
# The largest XLSX export allowed (EXPORT_XLSX_MAX_LINES) takes about 20 s; CSV streams.
timeout = int(os.environ.get("WEB_TIMEOUT", "120"))
# Load the application once in the master: the workers share its memory, and gtrm/wsgi.py
# freezes it out of the garbage collector's sight before they fork.
preload_app = True
# A worker is replaced after this many requests (± jitter), which bounds any slow growth of
# its memory, such as the fragmentation that large uploads leave behind.
max_requests = int(os.environ.get("WEB_MAX_REQUESTS", "5000"))
max_requests_jitter = 500
