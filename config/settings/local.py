"""Developer machine: the embedded defaults of ``make run``."""
from .base import *  # noqa: F403
from .base import env

DEBUG = env.bool("DJANGO_DEBUG", default=True)
SECRET_KEY = env("DJANGO_SECRET_KEY", default="local-only-insecure-key-change-me-in-production")
# Serve static files straight from STATICFILES_DIRS: no collectstatic on a developer machine.
WHITENOISE_USE_FINDERS = True
STATIC_ROOT = None
