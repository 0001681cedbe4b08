"""How gunicorn serves the product (read from the working directory: `gunicorn config.wsgi`).

Threaded workers: a long streamed response (a contact export of a million rows
takes about 40 s) keeps its worker alive, where a sync worker would be killed
by the timeout halfway through the file.
"""

import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 30
keepalive = 5
