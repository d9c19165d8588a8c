"""Printer profiles and the calibration sheet, end to end: real PDFs read back with pdfplumber."""

from __future__ import annotations

import subprocess
import sys
from collections import defaultdict

import pytest

from eur1pdf import Eur1pdfError, get_layout
from eur1pdf.artwork.calibration import build_calibration, calibration_marks
from eur1pdf.layouts import builtin_names
from eur1pdf.layouts.geometry import PT_PER_MM
from eur1pdf.printer import PrinterProfile, PrinterProfileError, load_profile

from .conftest import EXAMPLE, ROOT, fill, open_pdf

TOL = 0.05  # pt


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "eur1pdf.cli", *args], capture_output=True, text=True)


def profile_file(tmp_path, text: str, name: str = "printer.toml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def profile(tmp_path, text: str) -> PrinterProfile:
    return load_profile(profile_file(tmp_path, text))


def words(page) -> list[tuple[str, float, float, float, float]]:
    return [(w["text"], w["x0"], w["top"], w["x1"], w["bottom"]) for w in page.extract_words()]


def lines(page) -> list[tuple[float, float, float, float]]:
    return [(ln["x0"], ln["top"], ln["x1"], ln["bottom"]) for ln in page.lines]


def chars(page) -> list[tuple[str, float, float, float, float]]:
    return [(c["text"], c["x0"], c["top"], c["x1"], c["bottom"]) for c in page.chars]


def shifted(box, dx: float, dy: float):
    """A (text, x0, top, x1, bottom) or (x0, top, x1, bottom) tuple moved by dx, dy (pt)."""
    *text, x0, top, x1, bottom = box
    return (*text, x0 + dx, top + dy, x1 + dx, bottom + dy)


def assert_close(actual, expected, tol: float = TOL) -> None:
    """Same items in the same order, texts equal and coordinates within ``tol``."""
    assert len(actual) == len(expected), (len(actual), len(expected))
    for got, want in zip(actual, expected, strict=True):
        assert got[:-4] == want[:-4], (got, want)
        assert all(abs(g - w) <= tol for g, w in zip(got[-4:], want[-4:], strict=True)), (got, want)


def match_all(actual, expected, tol: float = TOL) -> list:
    """Pair each expected (text, x0, top, x1, bottom) with an actual one within ``tol``; the rest."""
    pool = defaultdict(list)
    for item in actual:
        pool[item[0]].append(item)
    missing = []
    for want in expected:
        candidates = pool[want[0]]
        for i, got in enumerate(candidates):
            if all(abs(g - w) <= tol for g, w in zip(got[1:], want[1:], strict=True)):
                del candidates[i]
                break
        else:
            missing.append(want)
    leftover = [item for items in pool.values() for item in items]
    return missing + leftover


# ------------------------------------------------------------------ the data layer moves


def test_offset_moves_every_word_and_line_by_exactly_the_offset(example, tmp_path):
    printer = profile(tmp_path, "offset_x_mm = 2.5\noffset_y_mm = 1.5\n")
    dx, dy = 2.5 * PT_PER_MM, 1.5 * PT_PER_MM
    plain, moved = fill(example, overlay_only=True), fill(example, overlay_only=True, printer=printer)
    with open_pdf(plain) as before, open_pdf(moved) as after:
        assert len(before.pages) == len(after.pages) == 5
        for page_before, page_after in zip(before.pages, after.pages, strict=True):
            expected = [shifted(w, dx, dy) for w in words(page_before)]
            assert_close(words(page_after), expected)
            assert_close(lines(page_after), [shifted(ln, dx, dy) for ln in lines(page_before)])
        assert lines(before.pages[0]), "the goods list's end line and strike-through are data lines"


def test_scale_y_moves_a_word_in_proportion_to_its_distance_from_the_top(example, tmp_path):
    printer = profile(tmp_path, "scale_y = 1.01\n")
    plain = fill(example, sheets=(1,), overlay_only=True)
    scaled = fill(example, sheets=(1,), overlay_only=True, printer=printer)
    with open_pdf(plain) as before, open_pdf(scaled) as after:
        old, new = words(before.pages[0]), words(after.pages[0])
    assert len(old) == len(new)
    for (text, x0, top, x1, bottom), got in zip(old, new, strict=True):
        # a word y mm from the top moves y * 0.01 mm down; x does not change
        assert_close([got], [(text, x0, top * 1.01, x1, bottom * 1.01)])
    deepest = max(old, key=lambda w: w[2])
    assert deepest[2] * 0.01 > 5, "the test sees the scale, not noise (over 5 pt at the bottom)"


def test_layout_override_wins_over_the_top_level(example, tmp_path):
    printer = profile(
        tmp_path,
        "offset_x_mm = 5.0\noffset_y_mm = 2.0\n\n[layouts.eur1]\noffset_x_mm = 1.2\n\n"
        '[layouts."eur-med"]\nscale_y = 1.02\n',
    )
    eur1 = printer.for_layout("eur1")
    assert (eur1.offset_x_mm, eur1.offset_y_mm, eur1.scale_x, eur1.scale_y) == (1.2, 2.0, 1.0, 1.0)
    med = printer.for_layout("eur-med")
    assert (med.offset_x_mm, med.offset_y_mm, med.scale_y) == (5.0, 2.0, 1.02), "eur1's value stays eur1's"
    plain = fill(example, sheets=(1,), overlay_only=True)
    moved = fill(example, sheets=(1,), overlay_only=True, printer=printer)
    with open_pdf(plain) as before, open_pdf(moved) as after:
        expected = [shifted(w, 1.2 * PT_PER_MM, 2.0 * PT_PER_MM) for w in words(before.pages[0])]
        assert_close(words(after.pages[0]), expected)


def test_full_output_moves_the_data_and_not_the_form(example, tmp_path):
    printer = profile(tmp_path, "offset_x_mm = -1.5\noffset_y_mm = 2.0\nscale_y = 0.995\n")
    adjust = printer.for_layout("eur1")

    def moved(item):
        *text, x0, top, x1, bottom = item
        ox, oy = adjust.offset_x_mm * PT_PER_MM, adjust.offset_y_mm * PT_PER_MM
        return (*text, x0 + ox, top * adjust.scale_y + oy, x1 + ox, bottom * adjust.scale_y + oy)

    with (
        open_pdf(fill(example, sheets=(1,), overlay_only=True, print_serial=True)) as data_pdf,
        open_pdf(fill(example, sheets=(1,))) as plain_pdf,
        open_pdf(fill(example, sheets=(1,), printer=printer)) as moved_pdf,
    ):
        data, plain, after = data_pdf.pages[0], plain_pdf.pages[0], moved_pdf.pages[0]
        assert plain.rects and plain.curves
        # the blank form's frames, check boxes, guilloche and stamp circle stay where they are
        assert [(r["x0"], r["top"], r["x1"], r["bottom"]) for r in after.rects] == [
            (r["x0"], r["top"], r["x1"], r["bottom"]) for r in plain.rects
        ]
        assert [c["pts"] for c in after.curves] == [c["pts"] for c in plain.curves]
        # every character: the form's where it was, the data's moved by the profile
        form_chars = match_all(chars(plain), chars(data))  # the plain page's chars less the data's
        assert len(form_chars) == len(chars(plain)) - len(chars(data)) and form_chars
        expected = form_chars + [moved(c) for c in chars(data)]
        assert match_all(chars(after), expected) == []
        # lines: the form's dotted leaders stay, the end line and strike-through move
        form_lines = [("", *ln) for ln in lines(plain)]
        data_lines = [("", *ln) for ln in lines(data)]
        form_only = match_all(form_lines, data_lines)
        assert len(form_only) == len(form_lines) - len(data_lines)
        expected_lines = form_only + [moved(ln) for ln in data_lines]
        assert match_all([("", *ln) for ln in lines(after)], expected_lines) == []


def test_same_profile_same_bytes_and_identity_changes_nothing(example, tmp_path):
    printer = profile(tmp_path, "offset_x_mm = 0.7\nscale_y = 1.004\n")
    assert fill(example, printer=printer) == fill(example, printer=printer)
    overlay = fill(example, overlay_only=True, printer=printer)
    assert overlay == fill(example, overlay_only=True, printer=printer)
    assert fill(example, printer=printer) != fill(example)
    identity = profile(tmp_path, "offset_x_mm = 0\nscale_x = 1\n")
    assert fill(example, printer=identity) == fill(example)


@pytest.mark.slow
def test_cli_fill_with_printer_profile(example, tmp_path):
    path = profile_file(tmp_path, "offset_x_mm = 2.5\noffset_y_mm = 1.5\n")
    out = tmp_path / "out.pdf"
    result = run("fill", str(EXAMPLE), "-o", str(out), "--overlay-only", "--printer", str(path))
    assert result.returncode == 0, result.stderr
    assert out.read_bytes() == fill(example, overlay_only=True, printer=load_profile(path))


def test_the_bundled_example_profile_loads():
    printer = load_profile(ROOT / "examples" / "printer-profile.toml")
    assert printer.for_layout("eur1").offset_x_mm == 1.2
    assert printer.for_layout("eur-med").offset_x_mm == printer.offset_x_mm != 1.2


# ------------------------------------------------------------------ bad profiles


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("offset_x = 1.0\n", "offset_x: unknown key"),
        ("scale_y = 1.5\n", "scale_y: must be from 0.8 to 1.2, got 1.5"),
        ("offset_y_mm = -80\n", "offset_y_mm: must be from -50 to 50 (mm), got -80"),
        ('offset_x_mm = "2"\n', "offset_x_mm: must be a number, got str '2'"),
        ("scale_x = nan\n", "scale_x: must be a finite number"),
        ("[layouts.eur1]\noffset_y_mm = 51\n", "layouts.eur1.offset_y_mm: must be from -50 to 50 (mm)"),
        ("[layouts.eur1]\nscale = 1.0\n", "layouts.eur1.scale: unknown key"),
        ("[layouts.eur2]\noffset_x_mm = 1\n", "layouts.eur2: no layout named 'eur2'"),
        ("offset_x_mm = 1.0\noffset_x_mm = 2.0\n", "not valid TOML"),
        ("offset_x_mm: 1.0\n", "not valid TOML"),
    ],
)
def test_bad_profiles_name_the_file_and_the_key(tmp_path, text, expected):
    path = profile_file(tmp_path, text, "shop.toml")
    with pytest.raises(PrinterProfileError) as info:
        load_profile(path)
    assert isinstance(info.value, Eur1pdfError)
    message = str(info.value)
    assert message.startswith(f"{path}: ") and expected in message, message


def test_missing_profile(tmp_path):
    with pytest.raises(PrinterProfileError, match="printer profile not found"):
        load_profile(tmp_path / "none.toml")


@pytest.mark.slow
@pytest.mark.parametrize("command", ["fill", "calibrate"])
def test_cli_bad_profile_exit_1_with_the_message_and_no_traceback(tmp_path, command):
    path = profile_file(tmp_path, "scale_y = 1.5\noffset_x = 1\n", "shop.toml")
    out = tmp_path / "out.pdf"
    source = str(EXAMPLE) if command == "fill" else "eur1"
    result = run(command, source, "-o", str(out), "--printer", str(path))
    assert result.returncode == 1
    assert f"eur1pdf: error: {path}: scale_y: must be from 0.8 to 1.2, got 1.5" in result.stderr
    assert f"{path}: offset_x: unknown key" in result.stderr
    assert "Traceback" not in result.stderr
    assert not out.exists()


# ------------------------------------------------------------------ the calibration sheet


def _find(page, text: str) -> dict:
    (hit,) = page.search(text, regex=False)
    return hit


@pytest.mark.slow
def test_calibration_sheet(tmp_path, eur1):
    outputs = []
    for n in range(2):
        out = tmp_path / f"cal{n}.pdf"
        result = run("calibrate", "eur1", "-o", str(out))
        assert result.returncode == 0, result.stderr
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1], "the same bytes every time"
    marks = calibration_marks(eur1)
    corners = {(m.box, m.corner) for m in marks}
    assert {("1", "top-left"), ("8", "top-left"), ("12", "top-left")} <= corners and len(marks) >= 5
    mm = PT_PER_MM
    with open_pdf(outputs[0]) as pdf:
        assert len(pdf.pages) == 1
        page = pdf.pages[0]
        assert abs(page.width - 210 * mm) < 0.01 and abs(page.height - 297 * mm) < 0.01
        text = page.extract_text()
        assert "offset_x_mm" in text and "offset_y_mm" in text and "scale_y" in text
        assert "pre-printed stock" in text
        horizontal = [ln for ln in page.lines if abs(ln["top"] - ln["bottom"]) < 0.01]
        vertical = [ln for ln in page.lines if abs(ln["x0"] - ln["x1"]) < 0.01]
        for mark in marks:
            x, y = mark.x * mm, mark.y * mm
            # the crosshair: a horizontal and a vertical line through the corner
            assert any(abs(ln["top"] - y) < TOL and ln["x0"] < x - 5 < x + 5 < ln["x1"] for ln in horizontal)
            assert any(
                abs(ln["x0"] - x) < TOL and ln["top"] < y - 5 < y + 5 < ln["bottom"] for ln in vertical
            )
            # its label beside it, towards the inside of the box
            hit = _find(page, mark.label)
            if mark.corner.endswith("left"):
                assert x < hit["x0"] < x + 3 * mm, mark
            else:
                assert x - 3 * mm < hit["x1"] < x, mark
            if mark.corner.startswith("top"):
                assert y < hit["top"] < y + 3 * mm, mark
            else:
                assert y - 4 * mm < hit["bottom"] < y, mark
        assert _find(page, "box 8 top-left 10.0, 108.0 mm")
        # rulers: a tick every mm along both edges, longer every 5 and 10 mm, numbered every 10
        top_ticks = {round(ln["x0"] / mm, 3): ln["bottom"] / mm for ln in vertical if ln["top"] < 0.01}
        left_ticks = {round(ln["top"] / mm, 3): ln["x1"] / mm for ln in horizontal if ln["x0"] < 0.01}
        assert sorted(top_ticks) == list(range(1, 210)) and sorted(left_ticks) == list(range(1, 297))
        for ticks in (top_ticks, left_ticks):
            assert ticks[10] > ticks[15] > ticks[11] and ticks[20] == ticks[10] and ticks[13] == ticks[11]
        numbers = [w for w in page.extract_words() if w["text"].isdigit()]
        for value in range(10, 210, 10):
            (word,) = [w for w in numbers if w["text"] == str(value) and w["bottom"] < 7 * mm]
            assert value * mm < word["x0"] < (value + 1.5) * mm, value
        for value in range(10, 297, 10):
            (word,) = [w for w in numbers if w["text"] == str(value) and w["x1"] < 7 * mm]
            assert (value - 3) * mm < word["top"] and word["bottom"] < value * mm, value


@pytest.mark.slow
def test_calibration_through_a_profile(tmp_path, eur1):
    path = profile_file(tmp_path, "offset_y_mm = 3.0\n[layouts.eur1]\noffset_x_mm = -2.0\nscale_y = 1.01\n")
    out = tmp_path / "cal.pdf"
    result = run("calibrate", "eur1", "-o", str(out), "--printer", str(path))
    assert result.returncode == 0, result.stderr
    mm = PT_PER_MM
    with open_pdf(out.read_bytes()) as pdf:
        page = pdf.pages[0]
        assert "offset_x_mm = -2, offset_y_mm = 3, scale_x = 1, scale_y = 1.01" in page.extract_text()
        for mark in calibration_marks(eur1):
            # labelled with the nominal position, drawn where the profile sends it
            x, y = (mark.x - 2.0) * mm, (mark.y * 1.01 + 3.0) * mm
            assert _find(page, mark.label)
            assert any(
                abs(ln["top"] - y) < TOL and abs((ln["x0"] + ln["x1"]) / 2 - x) < TOL
                for ln in page.lines
                if abs(ln["top"] - ln["bottom"]) < 0.01
            ), mark


@pytest.mark.parametrize("name", builtin_names())
def test_every_builtin_layout_has_a_calibration_sheet(name):
    layout = get_layout(name)
    marks = calibration_marks(layout)
    assert {("1", "top-left"), ("8", "top-left"), ("12", "top-left")} <= {(m.box, m.corner) for m in marks}
    assert len(marks) >= 5
    pdf = build_calibration(layout)
    assert pdf == build_calibration(layout)
    with open_pdf(pdf) as doc:
        assert len(doc.pages) == 1
        for mark in marks:
            assert _find(doc.pages[0], mark.label)
