"""Test settings: fast hashing, in-memory e-mail, eager tasks; the database from DATABASE_URL."""
from .base import *  # noqa: F403
from .base import BASE_DIR, env

DEBUG = False
SECRET_KEY = env("DJANGO_SECRET_KEY", default="test-only-key")
ALLOWED_HOSTS = ["*"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Tests exercise the task code in-process even when CI provides a broker.
CELERY_TASK_ALWAYS_EAGER = True
MEDIA_ROOT = BASE_DIR / ".test_media"
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)
WHITENOISE_USE_FINDERS = True
STATIC_ROOT = None
# Each test opens and closes its own connections (live_server threads included), so that the
# test database can always be dropped at the end of the run.
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
