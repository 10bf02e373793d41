"""Celery application.

With no ``CELERY_BROKER_URL`` set, ``CELERY_TASK_ALWAYS_EAGER`` (see settings) makes every task
run in-process, so the embedded set-up needs neither Redis nor a worker.
"""
import os

from celery import Celery

# A worker or beat started without the variable runs the production settings, which refuse to
# start without a secret key and allowed hosts, rather than silently running the local ones.
# manage.py (and so every process it starts) has set the variable before this runs.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")

app = Celery("xzrd")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
