"""The interface is Chinese through Django's i18n: every message is translated, and the
committed catalogue holds every message the code and templates use."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parents[1]
PO = ROOT / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]|\{\{\s*\w+\s*\}\}")


def _entries():
    return [e for e in polib.pofile(str(PO)) if not e.obsolete]


def test_catalogue_every_message_translated():
    untranslated = [e.msgid for e in _entries()
                    if "fuzzy" in e.flags or not (e.msgstr or all(e.msgstr_plural.values()))]
    assert untranslated == []


def test_catalogue_placeholders_kept():
    wrong = []
    for entry in _entries():
        expected = sorted(PLACEHOLDER.findall(entry.msgid))
        for text in [entry.msgstr, *entry.msgstr_plural.values()]:
            if text and sorted(PLACEHOLDER.findall(text)) != expected:
                wrong.append((entry.msgid, text))
    assert wrong == []


def test_catalogue_holds_every_message_in_use(tmp_path):
    """Extract the messages anew into a scratch copy; nothing may be missing from the
    committed catalogue (run `make messages-update` and translate the new entries)."""
    scratch = tmp_path / "locale"
    shutil.copytree(ROOT / "locale", scratch)
    env = {**os.environ, "DJANGO_LOCALE_DIR": str(scratch),
           "DJANGO_SETTINGS_MODULE": "config.settings.test"}
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "zh_Hans", "--no-location",
         "--ignore=.venv", "--ignore=node_modules", "--ignore=tests", "--ignore=bench",
         "--ignore=examples", "--ignore=test-results", "-v", "0"],
        cwd=ROOT, env=env, check=True,
    )
    committed = {e.msgid for e in _entries()}
    extracted = {e.msgid for e in polib.pofile(str(scratch / "zh_Hans" / "LC_MESSAGES" /
                                                   "django.po")) if not e.obsolete}
    assert sorted(extracted - committed) == []
