"""The typed example in the docs type-checks against the package (py.typed) and runs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "docs" / "examples" / "fill_one.py"


@pytest.mark.slow  # mypy takes a few seconds
def test_the_documented_example_type_checks_strictly():
    command = [sys.executable, "-m", "mypy", "--strict", "--follow-imports=silent", str(EXAMPLE)]
    result = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert (ROOT / "eur1pdf" / "py.typed").is_file()


def test_the_documented_example_fills_a_certificate(tmp_path):
    out = tmp_path / "out.pdf"
    command = [sys.executable, str(EXAMPLE), str(ROOT / "examples" / "eur1-ch-mx.json"), str(out)]
    result = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert out.read_bytes().startswith(b"%PDF-")
