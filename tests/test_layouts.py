"""Layouts are data, validated on load; `eur1pdf layouts` shows them."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from eur1pdf import LayoutError, load_layout_file
from eur1pdf.layouts import BUILTIN_DIR

EUR1_TOML = (BUILTIN_DIR / "eur1.toml").read_text(encoding="utf-8")
OFFICIAL_LABELS = {
    "1": "Exporter (Name, full address, country)",
    "2": "Certificate used in preferential trade between",
    "3": "Consignee (Name, full address, country) (Optional)",
    "4": "Country, group of countries or territory in which the products are considered as originating",
    "5": "Country, group of countries or territory of destination",
    "6": "Transport details (Optional)",
    "7": "Remarks",
    "8": "Item number; Marks and numbers; Number and kind of packages (1); Description of goods",
    "9": "Gross mass (kg) or other measure (litres, m3, etc.)",
    "10": "Invoices (Optional)",
    "11": "CUSTOMS ENDORSEMENT",
    "12": "DECLARATION BY THE EXPORTER",
}


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "eur1pdf.cli", *args], capture_output=True, text=True)


def test_eur1_has_every_box_with_official_label(eur1):
    assert eur1.page_size_mm == (210.0, 297.0)
    front = eur1.faces["certificate"]
    assert {n: b.label for n, b in front.boxes.items()} == OFFICIAL_LABELS
    reverse = eur1.faces["certificate_reverse"]
    assert reverse.boxes["13"].label == "REQUEST FOR VERIFICATION, to"
    assert reverse.boxes["14"].label == "RESULT OF VERIFICATION"
    assert [s.name for s in eur1.sheets] == ["certificate", "copy", "application"]


@pytest.mark.slow
def test_layouts_lists_the_builtins():
    result = run_cli("layouts")
    assert result.returncode == 0
    listed = {line.split()[0] for line in result.stdout.splitlines()}
    assert {"eur1", "eur-med"} <= listed


@pytest.mark.slow
def test_layouts_show_json_gives_geometry_in_mm():
    result = run_cli("layouts", "show", "eur1", "--json")
    assert result.returncode == 0, result.stderr
    geometry = json.loads(result.stdout)
    assert geometry["name"] == "eur1"
    assert geometry["page_size_mm"] == [210.0, 297.0]
    assert sorted(geometry["boxes"], key=int) == [str(n) for n in range(1, 13)]
    box1 = geometry["boxes"]["1"]
    assert (box1["x"], box1["y"], box1["w"], box1["h"]) == (10.0, 10.0, 95.0, 34.0)
    columns = geometry["boxes"]["8"]["columns"]
    assert set(columns) == {"item_no", "text", "gross_mass"}
    box8 = geometry["boxes"]["8"]
    for name in ("item_no", "text"):
        col = columns[name]
        assert box8["x"] <= col["x"] and col["x"] + col["w"] <= box8["x"] + box8["w"]
        assert box8["y"] < col["y"] and col["y"] + col["h"] <= box8["y"] + box8["h"]


@pytest.mark.slow
def test_layouts_show_unknown_layout_is_an_error():
    result = run_cli("layouts", "show", "nope")
    assert result.returncode == 1
    assert "unknown layout 'nope'" in result.stderr


def broken(tmp_path, text: str):
    path = tmp_path / "broken.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(LayoutError) as info:
        load_layout_file(path)
    message = str(info.value)
    assert str(path) in message
    return message


def test_box_off_the_page_is_refused(tmp_path):
    text = EUR1_TOML.replace("rect = [105.0, 28.0, 95.0, 26.0]", "rect = [105.0, 28.0, 125.0, 26.0]")
    message = broken(tmp_path, text)
    assert "box 2" in message and "outside" in message


def test_overlapping_boxes_are_refused(tmp_path):
    text = EUR1_TOML.replace("rect = [10.0, 44.0, 95.0, 40.0]", "rect = [10.0, 40.0, 95.0, 40.0]")
    message = broken(tmp_path, text)
    assert "box 1 overlaps box 3" in message


def test_unknown_key_is_refused(tmp_path):
    text = EUR1_TOML.replace('label = "Remarks"', 'label = "Remarks"\ncolour = "red"')
    message = broken(tmp_path, text)
    assert "faces.certificate.boxes.7.colour (box 7): unknown key" in message


def test_missing_goods_list_is_refused(tmp_path):
    start = EUR1_TOML.index("[faces.certificate.goods]")
    end = EUR1_TOML.index("[faces.certificate.boxes.11]")
    message = broken(tmp_path, EUR1_TOML[:start] + EUR1_TOML[end:])
    assert "no box 8 goods list" in message


def test_goods_box_without_the_description_is_refused(tmp_path):
    in_box_8 = '{ source = "text", box = "8", x = 10.0, w = 116.5 },'
    in_box_9 = '{ source = "text", box = "9", x = 1.5, w = 29.0 },'
    mass = '{ source = "gross_mass", box = "9", x = 1.5, w = 29.0 },'
    message = broken(tmp_path, EUR1_TOML.replace(in_box_8, in_box_9).replace(mass, ""))
    assert "box 8 (the goods box) needs a column of text besides the item number" in message


def test_field_outside_its_box_is_refused(tmp_path):
    text = EUR1_TOML.replace(
        '{ source = "trade.to", x = 2.0, y = 15.2, w = 91.0, h = 6.4',
        '{ source = "trade.to", x = 2.0, y = 22.2, w = 91.0, h = 6.4',
    )
    message = broken(tmp_path, text)
    assert "box 2: field trade.to lies outside the box" in message


def test_goods_starting_inside_the_labels_is_refused(tmp_path):
    message = broken(tmp_path, EUR1_TOML.replace('box = "8"\ntop = 7.0', 'box = "8"\ntop = 2.0'))
    assert "box 9: goods.top" in message and "inside the label" in message


def test_invalid_toml_is_refused(tmp_path):
    message = broken(tmp_path, "name = ")
    assert "not a valid TOML layout" in message


def test_static_text_over_a_box_is_refused(tmp_path):
    text = EUR1_TOML.replace(
        'size = 7.0, font = "italic" },\n]',
        'size = 7.0, font = "italic" },\n  { text = "Stray", x = 20.0, y = 30.0 },\n]',
        1,
    )
    message = broken(tmp_path, text)
    assert "the text 'Stray' lies over box 1" in message


@pytest.mark.slow
@pytest.mark.parametrize("name", ["eur1", "eur-med", "eur1-quad", "eur1-cn"])
def test_every_builtin_shows_its_geometry(name):
    result = run_cli("layouts", "show", name, "--json")
    assert result.returncode == 0, result.stderr
    geometry = json.loads(result.stdout)
    assert geometry["name"] == name and geometry["page_size_mm"] == [210.0, 297.0]
    assert sorted(geometry["boxes"], key=int) == [str(n) for n in range(1, 13)]
    assert "item_no" in geometry["boxes"]["8"]["columns"]
