"""The static checks of scripts/check (ruff, mypy, import contracts) as part of the test run, so main stays clean."""

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


def test_imports_keep_the_layers() -> None:
    """The import-linter contracts in pyproject.toml: layers point down, simnet only through
    smtpdiag.demo, Qt only in the window, no argparse in the window, no words in the engine."""
    if subprocess.run([sys.executable, "-c", "import importlinter"], capture_output=True).returncode != 0:
        pytest.fail("import-linter is not installed: run 'bash scripts/setup.sh test' (it installs '.[test]')")
    result = subprocess.run([sys.executable, "-c", LINT_IMPORTS], capture_output=True, text=True, cwd=ROOT,
                            timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


LINT_IMPORTS = "import sys; from importlinter.cli import lint_imports_command; sys.exit(lint_imports_command())"


def test_the_check_script_runs_all() -> None:
    text = (ROOT / "scripts" / "check").read_text()
    assert "ruff check" in text and "mypy" in text and "lint_imports" in text
    assert shutil.which("bash")
