"""Logging filters of the project (see ``LOGGING`` in the settings)."""
from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied


class PermissionDeniedOnOneLine(logging.Filter):
    """Drop the traceback Django attaches to "Forbidden (Permission denied)".

    A 403 is the permission checks doing their job (a role opening a page it may not use), not a
    fault: the one line with the path is all there is to know, and tracebacks would bury the
    errors that matter.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and isinstance(record.exc_info[1], PermissionDenied):
            record.exc_info = None
            record.exc_text = None
        return True
