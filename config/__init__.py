"""The project package.

The Celery app is loaded on first use, not with Django: importing Celery costs about 0.2 s of
every start-up (each ``manage.py`` command, each web worker) that never sends a task. The tasks
modules import ``config.celery_app`` so that ``@shared_task`` binds to it, and
``celery -A config`` finds it through ``config.app`` / ``config.celery_app`` below.
"""


def __getattr__(name: str):
    # "app" is the first name `celery -A config` looks up; "celery_app" is cookiecutter's.
    if name in ("app", "celery_app"):
        from .celery_app import app

        return app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ("celery_app",)
