"""The command line: exit codes, messages, nothing half-written."""

from __future__ import annotations

import json
import subprocess
import sys

from .conftest import EXAMPLE


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "eur1pdf.cli", *args], capture_output=True, text=True)


def test_fill_writes_the_pdf(tmp_path):
    out = tmp_path / "out.pdf"
    result = run("fill", str(EXAMPLE), "-o", str(out))
    assert result.returncode == 0, result.stderr
    assert out.read_bytes().startswith(b"%PDF-")
    assert [p.name for p in tmp_path.iterdir()] == ["out.pdf"], "no temporary files left behind"


def test_bad_input_exit_1_with_field_and_box_and_no_file(tmp_path):
    data = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    data["items"][0]["weight"] = "1 kg"
    src = tmp_path / "bad.json"
    src.write_text(json.dumps(data), encoding="utf-8")
    out = tmp_path / "out.pdf"
    result = run("fill", str(src), "-o", str(out))
    assert result.returncode == 1
    assert "items[0].weight / box 8: unknown field" in result.stderr
    assert "Traceback" not in result.stderr
    assert not out.exists()


def test_failed_fill_keeps_the_old_output(tmp_path):
    data = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    data["exporter"]["address"] = ["x"] * 40
    src = tmp_path / "long.json"
    src.write_text(json.dumps(data), encoding="utf-8")
    out = tmp_path / "out.pdf"
    out.write_bytes(b"old")
    result = run("fill", str(src), "-o", str(out))
    assert result.returncode == 1 and "box 1 (exporter)" in result.stderr
    assert out.read_bytes() == b"old"


def test_missing_output_folder_is_refused_before_work(tmp_path):
    result = run("fill", str(EXAMPLE), "-o", str(tmp_path / "no" / "such" / "out.pdf"))
    assert result.returncode == 1 and "does not exist" in result.stderr


def test_unknown_sheet(tmp_path):
    result = run("fill", str(EXAMPLE), "-o", str(tmp_path / "o.pdf"), "--sheets", "4")
    assert result.returncode == 1 and "no sheet 4" in result.stderr


def test_bad_sheets_argument_is_a_usage_error(tmp_path):
    result = run("fill", str(EXAMPLE), "-o", str(tmp_path / "o.pdf"), "--sheets", "one")
    assert result.returncode == 2 and "expected sheet numbers" in result.stderr


def test_debug_shows_traceback(tmp_path):
    result = run("--debug", "fill", str(tmp_path / "missing.json"), "-o", str(tmp_path / "o.pdf"))
    assert result.returncode == 1 and "Traceback" in result.stderr
