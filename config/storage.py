"""Static files in production: WhiteNoise's compressed, hashed files, each URL worked out once.

``{% static %}`` runs seven times on every page (the base layout's styles and scripts); the
manifest storage looks the hashed name up and builds the URL each time. The manifest does not
change while the process runs, so neither does a URL.
"""
from __future__ import annotations

from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticStorage(CompressedManifestStaticFilesStorage):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._urls: dict[str, str] = {}

    def url(self, name, force=False):
        if force:
            return super().url(name, force=True)
        try:
            return self._urls[name]
        except KeyError:
            url = self._urls[name] = super().url(name)
            return url
