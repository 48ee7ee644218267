"""The README's examples are executed: its Python blocks in order, its shell lines as written."""

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[2] / "README.md"


def blocks(lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", README.read_text(encoding="utf-8"), re.S)


def shell_commands() -> list[str]:
    """Every `python -m ledger` command of the README's bash blocks, in order."""
    commands = []
    for block in blocks("bash"):
        for line in block.splitlines():
            for part in line.split("&&"):
                part = part.split("  #")[0].strip()
                if part.startswith("python -m ledger"):
                    commands.append(part)
    return commands


def expected_errors() -> dict[str, str]:
    """Commands the README shows failing: the line after them is ``# error: ...``."""
    found = {}
    for block in blocks("bash"):
        lines = block.splitlines()
        for line, after in zip(lines, lines[1:]):
            if after.startswith("# error: "):
                found[line.split("  #")[0].strip()] = after[2:]
    return found


def test_readme_opens_with_the_two_commands():
    first = blocks("bash")[0].strip().splitlines()
    assert first == ["pip install -e '.[test]' && python -m ledger demo", "python -m pytest"]


def test_python_blocks_run(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    code = blocks("python")
    assert len(code) >= 2
    for block in code:
        exec(compile(block, str(README), "exec"), {"__name__": "readme"})
    out = capsys.readouterr().out
    assert "unknown clause 'Z99'" in out


@pytest.mark.parametrize("command", shell_commands())
def test_shell_lines_run(command, tmp_path_factory):
    # one working directory for all lines, so `demo` builds demo.db for the others
    work = tmp_path_factory.getbasetemp() / "readme-shell"
    work.mkdir(exist_ok=True)
    if not (work / "demo.db").exists():
        subprocess.run([sys.executable, "-m", "ledger", "demo"], cwd=work, check=True,
                       capture_output=True)
        shutil.copytree(README.parent / "examples", work / "examples")
    line = command.replace("python -m ledger", f"{shlex.quote(sys.executable)} -m ledger", 1)
    result = subprocess.run(["bash", "-c", line], cwd=work, capture_output=True, text=True)
    assert "Traceback" not in result.stderr
    error = expected_errors().get(command)
    if error is not None:  # the README shows this error line: it must be exactly that
        assert result.returncode == 1 and result.stderr.strip() == error, result.stderr
        return
    assert result.returncode == 0, result.stderr
