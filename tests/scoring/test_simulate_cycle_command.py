"""``manage.py simulate_cycle`` and ``python -m scoring`` as a user runs them: the same output,
exit status 2 with the same one line; the second without Django."""
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples" / "scenarios"


COMMANDS = {"manage.py": [sys.executable, "manage.py", "simulate_cycle"],
            "python -m scoring": [sys.executable, "-m", "scoring"]}


@pytest.fixture(params=sorted(COMMANDS))
def command(request):
    return COMMANDS[request.param]


def _run(command, *args):
    return subprocess.run([*command, *map(str, args)],
                          cwd=ROOT, capture_output=True, text=True, encoding="utf-8")


def test_simulate_cycle_writes_the_result_to_stdout(command):
    finished = _run(command, EXAMPLES / "small.json")
    assert (finished.returncode, finished.stderr) == (0, "")
    assert finished.stdout == (EXAMPLES / "small.result.json").read_text(encoding="utf-8")


def test_simulate_cycle_writes_the_panels_draw(command):
    # R6a: the draw's output keys come out of both commands alike.
    finished = _run(command, EXAMPLES / "panels.json")
    assert (finished.returncode, finished.stderr) == (0, "")
    assert finished.stdout == (EXAMPLES / "panels.result.json").read_text(encoding="utf-8")


def test_simulate_cycle_writes_the_result_to_out(command, tmp_path):
    out = tmp_path / "result.json"
    finished = _run(command, EXAMPLES / "xuzhou.json", "--out", out)
    assert (finished.returncode, finished.stdout, finished.stderr) == (0, "", "")
    assert out.read_text(encoding="utf-8") == (EXAMPLES / "xuzhou.result.json").read_text(
        encoding="utf-8")


def test_simulate_cycle_blocking_tie_prints_the_committed_line(command):
    finished = _run(command, EXAMPLES / "blocking_tie.json")
    assert (finished.returncode, finished.stdout) == (2, "")
    assert finished.stderr == (EXAMPLES / "blocking_tie.out.txt").read_text(encoding="utf-8")


@pytest.mark.parametrize(("content", "line"), [
    (b'{"year": 2025,', 'error: scenario: not valid JSON: Expecting property name enclosed in '
                        'double quotes at line 1 column 15'),
    (b'{"year": "2025", "institutions": []}', 'error: year: must be an integer, got "2025"'),
    (b'{"year": 2025, "institutions": [{"id": "x", "district": "d", "filing_year": 2023, '
     b'"district_rank": 1, "panel_score": 101}]}',
     'error: institutions[0] (id "x"): panel_score: 101 is outside 0–100'),
    (b'\xff\xfe{}', 'error: "{path}": not UTF-8 text (byte 0 is invalid)'),
])
def test_simulate_cycle_bad_input_exits_2_with_one_line(command, tmp_path, content, line):
    path = tmp_path / "scenario.json"
    path.write_bytes(content)
    finished = _run(command, path)
    assert (finished.returncode, finished.stdout) == (2, "")
    assert finished.stderr == line.replace("{path}", str(path)) + "\n"


def test_simulate_cycle_missing_file_exits_2_with_one_line(command, tmp_path):
    finished = _run(command, tmp_path / "nope.json")
    assert (finished.returncode, finished.stdout) == (2, "")
    assert finished.stderr == f'error: "{tmp_path / "nope.json"}": cannot read: No such file or ' \
                              'directory\n'


def test_simulate_cycle_unwritable_out_exits_2_with_one_line(command, tmp_path):
    finished = _run(command, EXAMPLES / "small.json", "--out", tmp_path)
    assert (finished.returncode, finished.stdout) == (2, "")
    assert finished.stderr == f'error: "{tmp_path}": cannot write: Is a directory\n'
    assert "Traceback" not in finished.stderr


def test_python_m_scoring_runs_without_django(tmp_path):
    """The pure engine starts without Django (and without Celery): its start-up is its own."""
    probe = ("import runpy, sys; sys.argv = ['scoring', sys.argv[1]]\n"
             "try:\n    runpy.run_module('scoring', run_name='__main__')\n"
             "except SystemExit:\n    pass\n"
             "print(sorted({m.split('.')[0] for m in sys.modules} & {'django', 'celery'}),"
             " file=sys.stderr)")
    finished = subprocess.run([sys.executable, "-c", probe, str(EXAMPLES / "small.json")],
                              cwd=ROOT, capture_output=True, text=True, encoding="utf-8")
    assert finished.stderr == "[]\n"
    assert finished.stdout == (EXAMPLES / "small.result.json").read_text(encoding="utf-8")
