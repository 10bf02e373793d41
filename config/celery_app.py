"""Celery application.

With no ``CELERY_BROKER_URL`` set, ``CELERY_TASK_ALWAYS_EAGER`` (see settings) makes every task
run in-process, so the embedded set-up needs neither Redis nor a worker.
"""
import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("xzrd")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
