"""The static checks of scripts/check (ruff, mypy) as part of the test run, so main stays clean."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def require_tool(name: str) -> None:
    """scripts/setup.sh installs ruff and mypy with the test extra: missing is a failure, not a skip."""
    if subprocess.run([sys.executable, "-m", name, "--version"], capture_output=True).returncode != 0:
        pytest.fail(f"{name} is not installed: run 'bash scripts/setup.sh test' (it installs '.[test]')")


def test_ruff_finds_nothing() -> None:
    require_tool("ruff")
    result = subprocess.run([sys.executable, "-m", "ruff", "check", "smtpdiag", "tests", "scripts", "benchmarks"],
                            capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_finds_nothing(tmp_path: Path) -> None:
    require_tool("mypy")
    result = subprocess.run([sys.executable, "-m", "mypy", "--cache-dir", str(tmp_path), "smtpdiag"],
                            capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_check_script_runs_both() -> None:
    text = (ROOT / "scripts" / "check").read_text()
    assert "ruff check" in text and "mypy" in text
    assert shutil.which("bash")
