"""The scenario runner from the command line, without Django:

    python -m scoring SCENARIO.json [--out RESULT.json]

Reads a scenario file (docs/rules.md, "The scenario file"), runs it with the rules the web
application uses, and writes the output document. Malformed input ends with exit status 2 and
one line ``error: …`` on stderr, never a traceback. ``manage.py simulate_cycle`` is a thin
wrapper over ``run``: both give exactly the same output.
"""
from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from .errors import ScenarioError, quote
from .scenario import simulate


class Failure(Exception):
    """The one line a run ends with, and its exit status: 2 for a malformed scenario, an
    unreadable file or an unwritable output (``cycle_from_scenario`` also ends with 1 when a
    service refuses what the rules accept)."""

    def __init__(self, line: str, status: int = 2) -> None:
        super().__init__(line)
        self.status = status


def run(scenario: str, out: str | None = None, *,
        engine: Callable[[str], dict] = simulate,
        refused: tuple[type[Exception], ...] = (ScenarioError,)) -> str:
    """Run the scenario file at ``scenario``; write the result to ``out`` and return "", or
    return the result document when ``out`` is None. Raises ``Failure`` with the line.
    ``engine`` runs the scenario's text (the rules alone; ``cycle_from_scenario`` passes the
    web application's services) and the exceptions ``refused`` are its refusals."""
    try:
        text = Path(scenario).read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise Failure(f"{quote(scenario)}: cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise Failure(f"{quote(scenario)}: not UTF-8 text (byte {exc.start} is invalid)") \
            from None
    try:
        result = engine(text)
    except refused as exc:
        raise Failure(str(exc)) from None
    document = json.dumps(result, ensure_ascii=False, indent=2) + "\n"
    if out is None:
        return document
    try:
        Path(out).write_text(document, encoding="utf-8")
    except OSError as exc:
        raise Failure(f"{quote(out)}: cannot write: {exc.strerror or exc}") from None
    return ""


def parser() -> argparse.ArgumentParser:
    command = argparse.ArgumentParser(
        prog="python -m scoring",
        description="Run one evaluation cycle from a scenario JSON file and write its results "
                    "as JSON.")
    command.add_argument("scenario", help="the scenario file (JSON, UTF-8)")
    command.add_argument("--out", help="write the results here instead of to stdout")
    return command


def main(argv: list[str] | None = None, *, stdout: TextIO | None = None,
         stderr: TextIO | None = None) -> int:
    args = parser().parse_args(argv)
    stdout, stderr = stdout or sys.stdout, stderr or sys.stderr
    try:
        document = run(args.scenario, args.out)
    except Failure as exc:
        # Plain text even on a terminal: the line is meant to be compared and grepped.
        stderr.write(f"error: {exc}\n")
        return 2
    stdout.write(document)
    return 0
