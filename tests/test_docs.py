"""The project stands alone: its documents name only files that exist, and their generated tables
match the data they are made from."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _run(script: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(ROOT / "docs" / script), *args], capture_output=True, text=True
    )


def test_the_readme_and_docs_name_only_files_that_exist():
    result = _run("check_paths.py")
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_agreement_table_in_the_input_contract_matches_the_data():
    result = _run("agreements_table.py", "--check")
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_input_contract_and_architecture_pages_exist_and_are_linked_from_the_readme():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for page in ("docs/input-contract.md", "docs/architecture.md", "docs/testing.md"):
        assert (ROOT / page).is_file() and page in readme
