import gc
import os

from celery import Celery
from celery.signals import worker_process_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("bizbox")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_process_init.connect
def _freeze_startup_objects(**_) -> None:
    """What a worker process loaded at its start (Django, the apps, their modules) lives as long
    as the process: the garbage collector stops scanning it. Tasks that make many objects (a
    contact import makes several per row) otherwise pay for a scan of all of it on each full pass."""
    gc.freeze()
