"""Plug-in layouts: a package registers a layout, eur1pdf fills with it.

The plug-in is built and installed into a fresh virtual environment, as a
user would install it; that environment sees this eur1pdf and its
dependencies through a .pth file listing the running interpreter's path
(which works whether the tests run in a venv or not).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from .conftest import EXAMPLE, ROOT, box_rect_pt, open_pdf, text_in

pytestmark = pytest.mark.slow

PLUGIN = ROOT / "tests" / "plugin_example"


@pytest.fixture(scope="module")
def plugin_python(tmp_path_factory):
    env_dir = tmp_path_factory.mktemp("plugin-env")
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    parent = [p for p in sys.path if p and os.path.isdir(p)]
    (Path(purelib) / "eur1pdf-parent.pth").write_text("\n".join(parent) + "\n", encoding="utf-8")
    source = env_dir / "src"
    shutil.copytree(PLUGIN, source)
    subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--no-build-isolation", "--no-deps", str(source)],
        check=True,
        capture_output=True,
    )
    return python


def test_plugin_layout_is_listed(plugin_python):
    result = subprocess.run(
        [str(plugin_python), "-m", "eur1pdf.cli", "layouts"], capture_output=True, text=True, check=True
    )
    names = [line.split()[0] for line in result.stdout.splitlines()]
    assert "acme" in names and "eur1" in names
    show = subprocess.run(
        [str(plugin_python), "-m", "eur1pdf.cli", "layouts", "show", "acme", "--json"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(show.stdout)["boxes"]["7"]["label"] == "Remarks (ACME internal reference below)"


def test_fill_with_plugin_layout(plugin_python, tmp_path, eur1):
    data = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    data["form"] = "acme"
    data["agreement"] = "GENERAL"  # EFTA-MX requires the EUR.1 itself: the general rules only
    data["remarks"] = ["ACME-REF 42"]
    src = tmp_path / "acme.json"
    src.write_text(json.dumps(data), encoding="utf-8")
    out = tmp_path / "acme.pdf"
    subprocess.run(
        [str(plugin_python), "-m", "eur1pdf.cli", "fill", str(src), "-o", str(out), "--sheets", "1"],
        check=True,
    )
    with open_pdf(out.read_bytes()) as pdf:
        page = pdf.pages[0]
        box7 = text_in(page, box_rect_pt(eur1, "7"))
        assert "Remarks (ACME internal reference below)" in box7 and "ACME-REF 42" in box7
        assert "Präzisionsteile Müller AG" in text_in(page, box_rect_pt(eur1, "1"))


def test_plugin_is_not_visible_without_install():
    result = subprocess.run(
        [sys.executable, "-m", "eur1pdf.cli", "layouts", "show", "acme"], capture_output=True, text=True
    )
    assert result.returncode == 1 and "unknown layout 'acme'" in result.stderr
