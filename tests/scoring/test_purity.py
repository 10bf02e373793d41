"""The rules are pure (style.md): no module of scoring imports Django."""
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import importlib, pkgutil, sys
sys.path.insert(0, sys.argv[1])
import scoring
# __main__ is the command line (python -m scoring): importing it runs it.
names = [m.name for m in pkgutil.walk_packages(scoring.__path__, "scoring.")
         if m.name != "scoring.__main__"]
for name in names:
    importlib.import_module(name)
print(len(names), sorted(m for m in sys.modules if m.split(".")[0] == "django"))
"""


def test_scoring_imports_nothing_from_django():
    # -I: no site customisation, no environment, no current directory on sys.path.
    finished = subprocess.run([sys.executable, "-I", "-c", PROBE, str(ROOT)],
                              capture_output=True, text=True, check=True)
    count, django_modules = finished.stdout.split(" ", 1)
    assert int(count) >= 9
    assert django_modules.strip() == "[]"
