"""A wheel carries every subpackage and the bundled rubrics: built, installed into a
fresh venv outside the checkout, and run (the demo scores from the bundled rubric)."""

import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_a_wheel_installed_in_a_fresh_venv_runs_the_demo(tmp_path):
    dist = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist),
                    str(ROOT)], check=True, cwd=tmp_path)
    wheel = next(dist.glob("audit_ledger-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    packages = {str(p.parent.relative_to(ROOT)) for p in (ROOT / "ledger").rglob("__init__.py")}
    for package in packages:
        assert f"{package}/__init__.py" in names, f"{package} left out of the wheel"
    assert "ledger/rubric/bundled/taicang/2017.toml" in names
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    py = env_dir / "bin" / "python"
    subprocess.run([str(py), "-m", "pip", "install", "-q", str(wheel)], check=True, cwd=tmp_path)
    run = subprocess.run([str(py), "-m", "ledger", "--db", str(tmp_path / "demo.db"), "demo"],
                         capture_output=True, text=True, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert "沙溪镇" in run.stdout
