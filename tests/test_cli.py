"""The command line: exit codes, messages, nothing half-written."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from .conftest import EXAMPLE

pytestmark = pytest.mark.slow


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
    data["exporter"]["address"] = ["x"] * 20  # within the input limit, more than box 1 holds
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
    assert result.returncode == 2 and "Traceback" in result.stderr  # a file problem: exit 2 (README)


def own_blank(tmp_path, pages: int):
    """A stand-in for a scan of the stock: the drawn blank's first pages."""
    import pikepdf

    from eur1pdf import get_layout
    from eur1pdf.artwork.blank import blank_path

    with pikepdf.open(blank_path(get_layout("eur1"))) as src:
        out = pikepdf.new()
        for page in src.pages[:pages]:
            out.pages.append(page)
        path = tmp_path / f"scan{pages}.pdf"
        out.save(path)
    return path


def test_fill_with_own_layout_and_blank(tmp_path):
    from eur1pdf.layouts import BUILTIN_DIR

    layout = tmp_path / "shop.toml"
    layout.write_text(
        (BUILTIN_DIR / "eur1.toml")
        .read_text(encoding="utf-8")
        .replace('name = "eur1"', 'name = "shop"')
        .replace("rect = [10.0, 84.0, 95.0, 24.0]", "rect = [10.0, 84.0, 95.0, 24.0]\nlabel_size = 6.0"),
        encoding="utf-8",
    )
    out = tmp_path / "o.pdf"
    result = run(
        "fill",
        str(EXAMPLE),
        "-o",
        str(out),
        "--sheets",
        "1",
        "--layout",
        str(layout),
        "--blank",
        str(own_blank(tmp_path, 2)),
    )
    assert result.returncode == 0, result.stderr
    from .conftest import open_pdf

    with open_pdf(out.read_bytes()) as pdf:
        assert len(pdf.pages) == 2
        text = pdf.pages[0].extract_text()
        assert "MOVEMENT CERTIFICATE" in text and "Präzisionsteile Müller AG" in text


def test_own_blank_with_wrong_page_count(tmp_path):
    result = run("fill", str(EXAMPLE), "-o", str(tmp_path / "o.pdf"), "--blank", str(own_blank(tmp_path, 3)))
    assert result.returncode == 1 and "the blank form has 3 page(s)" in result.stderr


def test_own_blank_broken_or_encrypted(tmp_path):
    import pikepdf

    junk = tmp_path / "junk.pdf"
    junk.write_bytes(b"this is not a pdf")
    result = run("fill", str(EXAMPLE), "-o", str(tmp_path / "o.pdf"), "--blank", str(junk))
    assert result.returncode == 1 and "not a readable PDF" in result.stderr
    locked = tmp_path / "locked.pdf"
    with pikepdf.open(own_blank(tmp_path, 5)) as pdf:
        pdf.save(locked, encryption=pikepdf.Encryption(user="secret", owner="secret"))
    result = run("fill", str(EXAMPLE), "-o", str(tmp_path / "o.pdf"), "--blank", str(locked))
    assert result.returncode == 1 and "encrypted" in result.stderr
    assert not (tmp_path / "o.pdf").exists()


def test_end_mark_option(tmp_path):
    out = tmp_path / "o.pdf"
    result = run(
        "fill", str(EXAMPLE), "-o", str(out), "--sheets", "1", "--overlay-only", "--end-mark", "stars"
    )
    assert result.returncode == 0, result.stderr
    from .conftest import open_pdf

    with open_pdf(out.read_bytes()) as pdf:
        assert any(set(w["text"]) == {"*"} for w in pdf.pages[0].extract_words())


def test_validate_exit_codes_and_json(tmp_path):
    data = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    assert run("validate", str(EXAMPLE)).returncode == 0
    data["items"][0]["hs_code"] = "84"
    data["invoices"] = []
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(data), encoding="utf-8")
    result = run("validate", str(bad), "--format", "json")
    assert result.returncode == 1
    findings = json.loads(result.stdout)
    assert all(set(f) == {"severity", "code", "box", "field", "message"} for f in findings)
    assert [(f["severity"], f["code"], f["box"], f["field"]) for f in findings] == [
        ("error", "box8.hs_digits", 8, "items[0].hs_code"),
        ("warning", "box10.invoice_advised", 10, "invoices"),
    ]
    text = run("validate", str(bad))
    assert "EFTA–Mexico requires the 4-digit (or longer) HS code in box 8; got '84'" in text.stdout
    broken = tmp_path / "broken.json"
    broken.write_text("{", encoding="utf-8")
    assert run("validate", str(broken)).returncode == 2
    data["colour"] = "red"
    bad.write_text(json.dumps(data), encoding="utf-8")
    result = run("validate", str(bad), "--format", "json")
    assert result.returncode == 1 and json.loads(result.stdout)[0]["code"] == "input.invalid"


def test_fill_refuses_rule_errors_and_prints_warnings(tmp_path):
    data = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    data["invoices"] = []
    src = tmp_path / "warn.json"
    src.write_text(json.dumps(data), encoding="utf-8")
    out = tmp_path / "o.pdf"
    result = run("fill", str(src), "-o", str(out))
    assert result.returncode == 0 and "warning: box 10" in result.stderr and out.exists()
    data["origin"] = "Allemagne"
    src.write_text(json.dumps(data), encoding="utf-8")
    out.unlink()
    result = run("fill", str(src), "-o", str(out))
    assert result.returncode == 1 and "box4.member_state" in result.stderr and not out.exists()


def test_readme_table_of_codes_is_generated():
    from eur1pdf.rules import codes_markdown

    readme = (EXAMPLE.parent.parent / "README.md").read_text(encoding="utf-8")
    block = readme.split("<!-- finding-codes:start -->\n")[1].split("\n<!-- finding-codes:end -->")[0]
    assert block == codes_markdown(), "regenerate the README table with `eur1pdf codes`"
    assert run("codes").stdout.strip() == codes_markdown()
