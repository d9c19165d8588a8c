"""Issue 20, item 3: a plain ``pip install .`` is slim, and an extra's absence is a clear message.

A fresh virtual environment gets the package from this checkout (pip uses the
machine's own index configuration); the numbers it prints are the README's.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
VENV_OWN = {"pip", "setuptools", "eur1pdf"}  # what every venv has, and the package itself
HEAVY = {"fastapi", "uvicorn", "sqlalchemy", "alembic", "psycopg", "pyhanko", "cryptography", "aiohttp"}


def _venv(where: Path, target: str) -> Path:
    subprocess.run([sys.executable, "-m", "venv", str(where)], check=True)
    python = where / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "-q", target], check=True, cwd=ROOT)
    return python


def _installed(python: Path) -> set[str]:
    listing = subprocess.run(
        [str(python), "-m", "pip", "list", "--format=freeze"], capture_output=True, text=True, check=True
    )
    return {line.split("==")[0].lower() for line in listing.stdout.split()} - VENV_OWN


@pytest.mark.slow
def test_a_plain_install_is_slim_and_names_the_missing_extras(tmp_path):
    python = _venv(tmp_path / "v", ".")
    packages = _installed(python)
    size_mb = sum(f.stat().st_size for f in (tmp_path / "v").rglob("*") if f.is_file()) / 1e6
    print(f"plain install: {len(packages)} packages besides pip and setuptools, {size_mb:.0f} MB")
    assert not packages & HEAVY, packages & HEAVY
    assert len(packages) <= 20, sorted(packages)

    eur1pdf = tmp_path / "v" / "bin" / "eur1pdf"
    example = ROOT / "examples" / "eur1-ch-mx.json"
    filled = subprocess.run([str(eur1pdf), "fill", str(example), "-o", str(tmp_path / "x.pdf")])
    assert filled.returncode == 0 and (tmp_path / "x.pdf").stat().st_size > 10_000
    assert subprocess.run([str(eur1pdf), "validate", str(example)]).returncode == 0
    serve = subprocess.run([str(eur1pdf), "serve"], capture_output=True, text=True)
    assert serve.returncode == 1
    assert "eur1pdf serve needs the [serve] extra" in serve.stderr
    assert "pip install 'eur1pdf[serve]'" in serve.stderr
    scheduler = ["--scheduler", "tcp://127.0.0.1:8786"]
    on_cluster = subprocess.run(
        [str(eur1pdf), "batch", str(example), "-o", str(tmp_path / "out"), *scheduler],
        capture_output=True,
        text=True,
    )
    assert on_cluster.returncode == 1 and "pip install 'eur1pdf[dask]'" in on_cluster.stderr
