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


def post_worker_init(worker) -> None:
    """Once the application is loaded, keep the garbage collector off its modules and settings.

    Django, DRF and the app leave a few hundred thousand long-lived objects that Python's
    collector would otherwise walk again and again; a busy request (600 free slots) triggers
    several young-generation collections, and every tenth of those reaches further. Freezing
    what exists now and collecting the youngest generation less often took about a fifth of
    the CPU off such a request (bench/README.md). Reference cycles are still collected.
    """
    import gc

    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)
