"""The attacks issue 21 names, each in a fresh ``eur1pdf`` process under a memory limit.

Every attack is a file a user points eur1pdf at (a layout, its base, a printer profile, a
settings file, a font, a certificate) and ends in a clear refusal that names the file and the
field, within :data:`SECONDS` of CPU time and with the address space capped at
:data:`MEMORY_LIMIT` (RLIMIT_AS): /dev/zero read to the end, or a 5000-digit number converted,
would exceed it or fail inside Python. The time and peak memory each took are printed
(``pytest -s``); the README's "Reliability" table quotes them.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from eur1pdf.errors import FAIL_ON_INTERNAL, internal_error_count

from .conftest import EXAMPLE, ROOT

pytestmark = pytest.mark.slow

MEMORY_LIMIT = 768 * 2**20  # address space: a normal fill peaks at about 70 MB resident
SECONDS = 20.0  # CPU time (user + system) of the whole process, start-up included

CERT = json.loads(EXAMPLE.read_text(encoding="utf-8"))
YAML_CERT = "\n".join(f"{key}: {json.dumps(value)}" for key, value in CERT.items())


def _layout(body: str) -> str:
    return 'base = "eur1"\nname = "mine"\n' + body


def _boxes(count: int) -> str:
    return "".join(f"[faces.certificate.boxes.b{n}]\nrect = [1.0, 1.0, 1.0, 1.0]\n" for n in range(count))


# name: (files to write {name: text | bytes | "FIFO" | "DIR" | ("SPARSE", size)}, options, expected)
ATTACKS = {
    "layout nan width": (
        {"l.toml": _layout("[style]\nframe_width_pt = nan\n")},
        ["--layout", "l.toml"],
        "l.toml: style.frame_width_pt: Input should be a finite number",
    ),
    "layout inf in a colour": (
        {"l.toml": _layout("[guilloche]\ncolor = [0.5, inf, 0.5]\n")},
        ["--layout", "l.toml"],
        "l.toml: guilloche.color[1]: Input should be a finite",
    ),
    "layout negative colour": (
        {"l.toml": _layout("[marks.draft]\ncolor = [-5.0, 0.1, 0.1]\n")},
        ["--layout", "l.toml"],
        "marks.draft.color[0]: Input should be greater than or",
    ),
    "layout box 5 m wide": (
        {"l.toml": _layout("[faces.certificate.boxes.3]\nrect = [10.0, 44.0, 5000.0, 40.0]\n")},
        ["--layout", "l.toml"],
        "boxes.3.rect[2] (box 3): Input should be less than or equal",
    ),
    "layout font size 0.001": (
        {"l.toml": _layout("[style]\ndata_size = 0.001\n")},
        ["--layout", "l.toml"],
        "style.data_size: Input should be greater than or equal to 2",
    ),
    "layout item number {n:>99999999}": (
        {"l.toml": _layout('[faces.certificate.goods]\nitem_number_format = "{n:>99999999}"\n')},
        ["--layout", "l.toml"],
        "item_number_format may only contain {n} where the value goes",
    ),
    "layout 5000 boxes": (
        {"l.toml": _layout(_boxes(5000))},
        ["--layout", "l.toml"],
        "faces.certificate.boxes: Dictionary should have at most 60 items",
    ),
    "layout shape off the page": (
        {
            "l.toml": _layout(
                '[faces.certificate]\nshapes = [{kind = "rect", x = 150.0, y = 10.0, w = 900.0, h = 5.0}]\n'
            )
        },
        ["--layout", "l.toml"],
        "the rect at 150,10 mm lies outside the page",
    ),
    "base /dev/zero": (
        {"l.toml": 'base = "/dev/zero"\n'},
        ["--layout", "l.toml"],
        "l.toml: base '/dev/zero': /dev/zero: is a device, not a layout file",
    ),
    "base a FIFO": (
        {"l.toml": 'base = "pipe.toml"\n', "pipe.toml": "FIFO"},
        ["--layout", "l.toml"],
        "is a pipe (FIFO), not a layout file",
    ),
    "base a folder": ({"l.toml": 'base = "sub"\n', "sub": "DIR"}, ["--layout", "l.toml"], "is a folder"),
    "base 2 GB": (
        {"l.toml": 'base = "big.toml"\n', "big.toml": ("SPARSE", 2 * 2**30)},
        ["--layout", "l.toml"],
        "2,147,483,648 bytes is more than the 1,000,000 bytes a layout file may take",
    ),
    "base loop": (
        {"l.toml": 'base = "m.toml"\n', "m.toml": 'base = "l.toml"\n'},
        ["--layout", "l.toml"],
        "base 'l.toml' loops back to itself",
    ),
    "base 20 deep": (
        {
            "l.toml": 'base = "b1.toml"\n',
            **{f"b{n}.toml": f'base = "b{n + 1}.toml"\n' for n in range(1, 20)},
            "b20.toml": 'base = "eur1"\n',
        },
        ["--layout", "l.toml"],
        "more than 8 layouts deep",
    ),
    "font cut short": (
        {"l.toml": _layout('[fonts]\ndata = "Cut"\n'), "Cut.ttf": ("FONT", 30_000)},
        ["--layout", "l.toml"],
        "l.toml: fonts.data: font file",
    ),
    "font garbage": (
        {"l.toml": _layout('[fonts]\nbold = "Junk"\n'), "Junk.ttf": bytes(range(256)) * 40},
        ["--layout", "l.toml"],
        "fonts.bold: font file",
    ),
    "font 1 GB": (
        {"l.toml": _layout('[fonts]\nregular = "Big"\n'), "Big.ttf": ("SPARSE", 2**30)},
        ["--layout", "l.toml"],
        "1,073,741,824 bytes is more than the 20,000,000 bytes a font file",
    ),
    "font a FIFO": (
        {"l.toml": _layout('[fonts]\nregular = "P"\n'), "P.ttf": "FIFO"},
        ["--layout", "l.toml"],
        "fonts.regular: font file",
    ),
    "font path outside": (
        {"l.toml": _layout('[fonts]\nregular = "../../etc/passwd"\n')},
        ["--layout", "l.toml"],
        "fonts.regular: String should match pattern",
    ),
    "certificate 5000-digit number": (
        {"c.json": json.dumps(CERT).replace('"transport": "', '"transport": ' + "9" * 5000 + ', "t": "')},
        ["CERT", "c.json"],
        "transport / box 6: must be text, got a number of 5,000 characters",
    ),
    "certificate YAML 2026-02-30": (
        {"c.yaml": YAML_CERT.replace('issue_date: "', "issue_date: 2026-02-30 #")},
        ["CERT", "c.yaml"],
        "issue_date: is not a valid date: '2026-02-30'",
    ),
    "certificate YAML complex key": (
        {"c.yaml": "? [a, b]\n: c\n" + YAML_CERT},
        ["CERT", "c.yaml"],
        "invalid YAML at line 1, column 3: a key must be a word, not a list",
    ),
    "certificate YAML !!binary": (
        {"c.yaml": YAML_CERT.replace('transport: "', "transport: !!binary aGk= #")},
        ["CERT", "c.yaml"],
        "binary data (!!binary) is not accepted",
    ),
    "certificate YAML !!set": (
        {"c.yaml": YAML_CERT.replace("remarks: [", "remarks: !!set {a, b} #[")},
        ["CERT", "c.yaml"],
        "a set (!!set) is not accepted",
    ),
    "certificate YAML !!float x": (
        {"c.yaml": YAML_CERT.replace('transport: "', "transport: !!float x #")},
        ["CERT", "c.yaml"],
        "float 'x' cannot be read",
    ),
    "printer nan": (
        {"p.toml": "offset_x_mm = nan\n"},
        ["--printer", "p.toml"],
        "p.toml: offset_x_mm: must be a finite",
    ),
    "printer 5000-digit number": (
        {"p.toml": "scale_x = " + "9" * 5000 + "\n"},
        ["--printer", "p.toml"],
        "p.toml: not valid TOML: a number is too long",
    ),
    "printer /dev/zero": (
        {},
        ["--printer", "/dev/zero"],
        "/dev/zero: is a device, not a printer profile file",
    ),
    "settings /dev/zero": (
        {},
        ["--config", "/dev/zero"],
        "/dev/zero: cannot read the settings file (is a device",
    ),
    "settings naming /dev/zero": (
        {"s.toml": 'printer = "/dev/zero"\n'},
        ["--config", "s.toml"],
        "s.toml: printer: /dev/zero: is a device, not a printer profile file",
    ),
    "settings 1e400": (
        {"s.toml": "verify_url = 1e400\n"},
        ["--config", "s.toml"],
        "s.toml: verify_url: Input should be a valid string",
    ),
}


def _write(folder: Path, files: dict) -> None:
    for name, content in files.items():
        path = folder / name
        if content == "FIFO":
            os.mkfifo(path)
        elif content == "DIR":
            path.mkdir()
        elif isinstance(content, tuple) and content[0] == "SPARSE":
            with path.open("wb") as fh:
                fh.truncate(content[1])
        elif isinstance(content, tuple):  # ("FONT", n): the first n bytes of a real font
            path.write_bytes((ROOT / "fonts" / "LiberationSans-Regular.ttf").read_bytes()[: content[1]])
        elif isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")


# The command line with its peak resident memory (VmHWM: of this program alone, not of the
# pytest process it was forked from) written last on stderr.
BOUNDED = """
import atexit, runpy, sys
def peak():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            sys.stderr.write("\\nPEAK " + line.split()[1] + "\\n")
atexit.register(peak)
sys.argv[0] = "eur1pdf"
runpy.run_module("eur1pdf", run_name="__main__")
"""


def run_bounded(argv: list[str], cwd: Path) -> tuple[int, str, float, int]:
    """``eur1pdf ARGV`` in a fresh process with its address space capped: exit status, stderr,
    CPU seconds (of that process alone: wait4) and peak resident memory in bytes."""

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))

    env = {**os.environ, FAIL_ON_INTERNAL: ""}  # the user's view: a bug would say "internal error"
    process = subprocess.Popen(
        [sys.executable, "-c", BOUNDED, *argv],
        cwd=cwd,
        env=env,
        preexec_fn=limit,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    watchdog = threading.Timer(120, process.kill)  # a read that never ends (a FIFO) ends here
    watchdog.start()
    try:
        err = process.stderr.read().decode() if process.stderr else ""
        _, status, usage = os.wait4(process.pid, 0)
    finally:
        watchdog.cancel()
    process.returncode = os.waitstatus_to_exitcode(status)
    err, _, peak = err.rpartition("\nPEAK ")
    assert peak.strip().isdigit(), f"the process ended before reporting its peak: {err}{peak}"
    return process.returncode, err, usage.ru_utime + usage.ru_stime, int(peak) * 1024


@pytest.mark.parametrize("name", sorted(ATTACKS))
def test_an_attack_is_refused_clearly_within_bounds(tmp_path, name):
    files, options, expected = ATTACKS[name]
    _write(tmp_path, files)
    if options[0] == "CERT":
        argv = ["fill", options[1], "-o", "out.pdf", "--sheets", "1"]
    else:
        argv = ["fill", str(EXAMPLE), "-o", "out.pdf", "--sheets", "1", *options]
    code, err, cpu, peak = run_bounded(argv, tmp_path)
    print(f"\n{name}: exit {code}, {cpu:.2f} s CPU, {peak / 2**20:.0f} MB peak")
    assert code in (1, 2) and err.startswith("eur1pdf: error: "), err
    assert "internal error" not in err and expected in err, err
    assert cpu < SECONDS
    assert not (tmp_path / "out.pdf").exists()


def test_the_suite_fails_on_an_internal_error(tmp_path, monkeypatch, internal_error_allowed, capsys):
    """The top-level catch counts what it caught; under EUR1PDF_FAIL_ON_INTERNAL (set for the whole
    suite by conftest.py) it raises it again, so the test that reached it fails."""
    from eur1pdf.cli import fill as fill_command
    from eur1pdf.cli import main

    def broken(*args, **kwargs):
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(fill_command, "fill_file", broken)
    argv = ["fill", str(EXAMPLE), "-o", str(tmp_path / "o.pdf")]
    before = internal_error_count()
    assert main(argv) == 2 and "internal error (ZeroDivisionError: a bug)" in capsys.readouterr().err
    assert internal_error_count() == before + 1
    monkeypatch.setenv(FAIL_ON_INTERNAL, "1")
    with pytest.raises(ZeroDivisionError):
        main(argv)
    assert internal_error_count() == before + 2
