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


_committed_before = PO.read_bytes()


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


SOURCES = ("config", "institutions", "evaluations", "reports", "scoring", "templates")


def test_catalogue_holds_every_message_in_use(tmp_path):
    """Extract the messages anew into a scratch tree; nothing may be missing from the
    committed catalogue (run `make messages-update` and translate the new entries).

    makemessages writes to the locale folder nearest each source file, so it runs in a scratch
    tree of links to the sources with its own copy of locale/: the repository is not touched.
    """
    tree = tmp_path / "src"
    tree.mkdir()
    for name in SOURCES:
        (tree / name).symlink_to(ROOT / name)
    shutil.copy(ROOT / "manage.py", tree / "manage.py")
    shutil.copytree(ROOT / "locale", tree / "locale")
    env = {**os.environ, "DJANGO_LOCALE_DIR": str(tree / "locale"),
           "DJANGO_SETTINGS_MODULE": "config.settings.test", "PYTHONPATH": str(ROOT)}
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "zh_Hans", "--no-location",
         "--symlinks", "-v", "0"],
        cwd=tree, env=env, check=True,
    )
    committed = {e.msgid for e in _entries()}
    extracted = {e.msgid for e in polib.pofile(str(tree / "locale" / "zh_Hans" / "LC_MESSAGES" /
                                                   "django.po")) if not e.obsolete}
    assert sorted(extracted - committed) == []
    assert PO.read_bytes() == _committed_before
