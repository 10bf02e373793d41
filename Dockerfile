FROM python:3.11-slim-bookworm
# The image runs the production settings whatever starts it (gunicorn, celery -A config): they
# refuse to start without DJANGO_SECRET_KEY and DJANGO_ALLOWED_HOSTS, given at run time (.env).
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 DJANGO_SETTINGS_MODULE=config.settings.production
RUN apt-get update && apt-get install -y --no-install-recommends \
        fonts-noto-cjk libharfbuzz-subset0 libpango-1.0-0 libpangoft2-1.0-0 gettext nodejs npm \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml package.json package-lock.json ./
RUN pip install --no-cache-dir . && npm ci --no-audit --no-fund
COPY . .
# Translations and hashed static files belong to the image: the app user cannot write /app at run
# time. The key and host given here serve only these two commands.
RUN DJANGO_SECRET_KEY=build-only DJANGO_ALLOWED_HOSTS=localhost sh -c \
        "python manage.py compilemessages --ignore=node_modules -v 0 \
         && python manage.py collectstatic --noinput -v 0"
RUN useradd --system --home /app app && mkdir -p /data/media && chown app /data/media
USER app
EXPOSE 8000
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", \
     "--timeout", "120"]
