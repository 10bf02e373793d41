FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
RUN apt-get update && apt-get install -y --no-install-recommends \
        fonts-noto-cjk libharfbuzz-subset0 libpango-1.0-0 libpangoft2-1.0-0 gettext nodejs npm \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml package.json package-lock.json ./
RUN pip install --no-cache-dir . && npm ci --no-audit --no-fund
COPY . .
RUN useradd --system --home /app app && mkdir -p /data/media && chown app /data/media
USER app
EXPOSE 8000
