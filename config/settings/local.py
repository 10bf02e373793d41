"""Developer machine: the embedded defaults of ``make run``.

``make run`` shows the product as its users see it: DEBUG is off unless the developer turns it on
(``DJANGO_DEBUG=1 make run``, or in ``.env``), so error pages are the app's own and static files
come through WhiteNoise as in production.
"""
from .base import *  # noqa: F403
from .base import env

SECRET_KEY = env("DJANGO_SECRET_KEY", default="local-only-insecure-key-change-me-in-production")
# WhiteNoise serves static files straight from STATICFILES_DIRS (found once at start-up, or on
# every request with DEBUG on): no collectstatic on a developer machine.
WHITENOISE_USE_FINDERS = True
STATIC_ROOT = None
