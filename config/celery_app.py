"""Celery application.

With no ``CELERY_BROKER_URL`` set, ``CELERY_TASK_ALWAYS_EAGER`` (see settings) makes every task
run in-process, so the embedded set-up needs neither Redis nor a worker.
"""
import os
import smtplib

from celery import Celery
from django.db import OperationalError as DatabaseError
from kombu.exceptions import OperationalError as BrokerError

# A worker or beat started without the variable runs the production settings, which refuse to
# start without a secret key and allowed hosts, rather than silently running the local ones.
# manage.py (and so every process it starts) has set the variable before this runs.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")

app = Celery("xzrd")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Errors that pass: the database, the broker or the mail server away for a moment.
TRANSIENT_ERRORS = (DatabaseError, BrokerError, ConnectionError, TimeoutError,
                    smtplib.SMTPException)

# The options of every task that has a side effect (``@shared_task(**ROBUST)``): acknowledged
# only once it has run, put back when its worker dies, and tried again on a transient error,
# waiting longer each time (up to ten minutes, with jitter). The tasks are idempotent, so
# running one twice does no harm.
ROBUST = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "autoretry_for": TRANSIENT_ERRORS,
    "retry_backoff": True,
    "retry_backoff_max": 600,
    "retry_jitter": True,
    "max_retries": 12,
}
