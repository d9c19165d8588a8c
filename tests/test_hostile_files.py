"""Whatever file arrives besides a certificate's data, a PDF or a clear error (issue 21).

Layouts (and their ``base`` chains), printer profiles, settings files, a layout's own fonts and
certificate files in YAML and JSON, made by structure-aware strategies from valid ones: numbers
made nan, inf, huge or negative, types and nesting changed, keys unknown, bases that loop or
name a device, fonts cut short or scrambled. Each file goes through the command line in this
process, as a user gives it, and ends in exactly one of:

* exit 0 and a PDF (or a validation report);
* ``eur1pdf: error: …`` naming the file (and the field where it has one);

never an "internal error": each fuzzer runs with the top-level catch answering as it does for a
user, and the test then checks that :func:`eur1pdf.errors.internal_error_count` did not move.
Budgets: the ``ci`` profile by default, ``HYPOTHESIS_PROFILE=long`` for a local soak.

The named attacks of the issue run in a subprocess under a memory limit (RLIMIT_AS) with their
time and peak memory measured (README, "Reliability").
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
import math
import os
import tempfile
import tomllib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eur1pdf.cli import main as cli_main
from eur1pdf.errors import LayoutError, internal_error_count
from eur1pdf.layouts import load_layout_file
from eur1pdf.layouts.registry import BUILTIN_DIR

from .conftest import EXAMPLE, ROOT

LONG = os.environ.get("HYPOTHESIS_PROFILE") == "long"
FONT = ROOT / "fonts" / "LiberationSans-Regular.ttf"
EUR1 = tomllib.loads((BUILTIN_DIR / "eur1.toml").read_text(encoding="utf-8"))


def budget(ci: int):
    """``ci`` examples in CI (the same ones each run), 50 times as many in the long profile."""
    return settings(
        max_examples=ci * 50 if LONG else ci,
        deadline=None,
        derandomize=not LONG,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


# --------------------------------------------------------------------------- writing TOML


class Raw(str):
    """TOML text written as it is (a number of 5000 digits, which no Python int prints)."""


def toml_value(value: object) -> str:
    if isinstance(value, Raw):
        return str(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return (
            "nan"
            if math.isnan(value)
            else ("inf" if value > 0 else "-inf")
            if math.isinf(value)
            else repr(value)
        )
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(str(k))} = {toml_value(v)}" for k, v in value.items()) + "}"
    raise TypeError(value)


def toml_text(doc: dict) -> str:
    return "".join(f"{json.dumps(str(k))} = {toml_value(v)}\n" for k, v in doc.items())


# --------------------------------------------------------------------------- hostile values

NUMBERS = [math.nan, math.inf, -math.inf, 1e308, -1e308, 0, 0.0, -1, -0.5, 1e-300, 10**30, -(10**18), 2**63]
plain_text = st.text(st.characters(exclude_categories=("Cs",)), max_size=12)
hostile = st.one_of(
    st.floats(0, 250),  # in range, or nearly: a layout that loads and draws oddly
    st.floats(0, 30),
    st.sampled_from(NUMBERS),
    st.floats(),
    st.integers(-(10**40), 10**40),
    st.booleans(),
    plain_text,
    st.sampled_from(
        [
            "",
            "x" * 3000,
            "../../../etc/passwd",
            "/dev/zero",
            "eur1",
            "certificate",
            "copy",
            "{n:>99999999}",
            "{}{0}",
            "{",
            "{m}",
        ]
    ),
    st.just(Raw("9" * 5000)),
    st.lists(st.sampled_from([*NUMBERS, "a", True]), max_size=4),
    st.dictionaries(plain_text, st.sampled_from([*NUMBERS, "a"]), max_size=3),
    st.recursive(
        st.integers(0, 3),
        lambda inner: (
            st.lists(inner, max_size=2) | st.dictionaries(st.sampled_from("abc"), inner, max_size=2)
        ),
        max_leaves=6,
    ),
)


def paths_of(node: object, prefix: tuple = ()) -> list[tuple]:
    """Every place in a parsed TOML document: tables, arrays and the values in them."""
    found = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, value in node.items():
            found += paths_of(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += paths_of(value, (*prefix, index))
    return found


@st.composite
def mutated(draw, doc: dict, most: int = 4) -> dict:
    """``doc`` with a few places replaced, removed, or given an unknown key."""
    doc = copy.deepcopy(doc)
    places = paths_of(doc)
    for _ in range(draw(st.integers(1, most))):
        path = draw(st.sampled_from(places))
        parent = doc
        for key in path[:-1]:
            parent = parent[key] if _has(parent, key) else None
            if parent is None:
                break
        if parent is None or not _has(parent, path[-1]):
            continue
        action = draw(st.sampled_from(["replace", "replace", "replace", "remove", "unknown"]))
        if action == "replace":
            parent[path[-1]] = draw(hostile)
        elif action == "remove" and isinstance(parent, dict):
            del parent[path[-1]]
        elif action == "unknown" and isinstance(parent[path[-1]], dict):
            parent[path[-1]][draw(plain_text) or "x"] = draw(hostile)
    return doc


def _has(parent: object, key: object) -> bool:
    if isinstance(parent, dict):
        return key in parent
    return isinstance(parent, list) and isinstance(key, int) and key < len(parent)


# --------------------------------------------------------------------------- running a file


def run_cli(*argv: str) -> tuple[int, str]:
    """The command line in this process: its exit status and what it wrote on stderr (and, for
    ``validate``, whose report of errors is on stdout, that report after it)."""
    err, out = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
        code = cli_main(list(argv))
    if argv[0] == "validate" and code == 1 and not err.getvalue():
        assert "error" in out.getvalue(), out.getvalue()
        return code, "eur1pdf: error: " + out.getvalue()
    return code, err.getvalue()


def clear_outcome(code: int, err: str, out: Path | None, *names: str, seconds: float = 60) -> None:
    """A PDF, or one clear error that names one of ``names`` (the file given, or one it named)."""
    assert "internal error" not in err and "Traceback" not in err, err
    if code == 0:
        assert out is None or out.read_bytes().startswith(b"%PDF-"), "exit 0 writes the PDF"
        return
    assert code in (1, 2) and err.startswith("eur1pdf: error: "), (code, err)
    if names:
        assert any(name in err for name in names), f"the error names the file: {err}"


def fill_args(workdir: Path, *extra: str) -> list[str]:
    return ["fill", str(EXAMPLE), "-o", str(workdir / "out.pdf"), "--sheets", "1", *extra]


# --------------------------------------------------------------------------- strategies per kind

USER_LAYOUT = {
    "base": "eur1",
    "name": "mine",
    "style": dict(EUR1["style"]),
    "guilloche": dict(EUR1["guilloche"]),
}
FULL_LAYOUT = {**EUR1, "name": "mine"}
BASES = ["eur1", "second.toml", "loop.toml", "/dev/zero", "folder", "fifo.toml", "huge.toml", "missing.toml"]


def layout_folder(folder: Path) -> None:
    """The files a layout's ``base`` may name: another layout, a loop, a folder, a FIFO, 2 MB."""
    (folder / "second.toml").write_text('base = "eur1"\nname = "second"\n', encoding="utf-8")
    (folder / "loop.toml").write_text('base = "layout.toml"\n', encoding="utf-8")
    (folder / "folder").mkdir()
    os.mkfifo(folder / "fifo.toml")
    with (folder / "huge.toml").open("wb") as fh:
        fh.truncate(2_000_000)


@st.composite
def layouts(draw) -> dict:
    doc = draw(mutated(draw(st.sampled_from([USER_LAYOUT, FULL_LAYOUT])), most=5))
    if draw(st.integers(0, 3)) == 0:
        doc["base"] = draw(st.sampled_from(BASES))
    if draw(st.integers(0, 4)) == 0 and isinstance(doc.get("faces"), dict):  # extends, maybe in a loop
        faces = sorted(doc["faces"])
        face = doc["faces"][draw(st.sampled_from(faces))]
        if isinstance(face, dict):
            face["extends"] = draw(st.sampled_from([*faces, "nowhere", 5, ["a"]]))
    return doc


PROFILE = {
    "offset_x_mm": 0.8,
    "offset_y_mm": -1.2,
    "scale_x": 1.0,
    "scale_y": 1.004,
    "layouts": {"eur1": {"offset_x_mm": 1.2}, "eur-med": {"scale_y": 0.99}},
}
SETTINGS = {
    "verify_url": "https://verify.example.org/{serial}?d={digest}",
    "printer": "printer.toml",
    "trust": ["roots.pem"],
    "db": "sqlite:///x.db",
    "public_url": "https://example.org",
    "sign_password_env": "PASS",
    "lock_password_env": "LOCK",
}
SETTINGS_PATHS = st.sampled_from(
    ["printer.toml", "/dev/zero", "fifo.toml", "folder", "missing.toml", "a\x00b"]
)


@st.composite
def settings_files(draw) -> dict:
    doc = draw(mutated(SETTINGS))
    if draw(st.booleans()):
        doc["printer"] = draw(SETTINGS_PATHS)
    return doc


# --------------------------------------------------------------------------- the fuzzers


def fuzz_layouts(data: st.DataObject) -> None:
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        layout_folder(folder)
        path = folder / "layout.toml"
        path.write_text(toml_text(data.draw(layouts())), encoding="utf-8")
        try:
            load_layout_file(path)
        except LayoutError as exc:  # each line names the file (this one or a base) and the field
            assert all(line.startswith((str(folder), str(path))) for line in str(exc).splitlines()), exc
        code, err = run_cli(*fill_args(folder, "--layout", str(path)))
        clear_outcome(code, err, folder / "out.pdf")


def fuzz_printer_profiles(data: st.DataObject) -> None:
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        path = folder / "printer.toml"
        path.write_text(toml_text(data.draw(mutated(PROFILE))), encoding="utf-8")
        code, err = run_cli(*fill_args(folder, "--overlay-only", "--printer", str(path)))
        clear_outcome(code, err, folder / "out.pdf", str(path))


def fuzz_settings_files(data: st.DataObject) -> None:
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        (folder / "printer.toml").write_text(toml_text(PROFILE), encoding="utf-8")
        (folder / "folder").mkdir()
        os.mkfifo(folder / "fifo.toml")
        path = folder / "settings.toml"
        path.write_text(toml_text(data.draw(settings_files())), encoding="utf-8")
        code, err = run_cli(*fill_args(folder, "--overlay-only", "--draft", "--config", str(path)))
        clear_outcome(code, err, folder / "out.pdf", str(folder))


def fuzz_fonts(data: st.DataObject) -> None:
    good = FONT.read_bytes()
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        font = folder / "Mine.ttf"
        kind = data.draw(st.sampled_from(["cut", "scramble", "garbage", "empty", "huge", "folder", "fifo"]))
        if kind == "cut":
            font.write_bytes(good[: data.draw(st.integers(0, len(good)))])
        elif kind == "scramble":
            body = bytearray(good)
            for _ in range(data.draw(st.integers(1, 40))):
                at = data.draw(st.integers(0, len(body) - 1))
                body[at] = data.draw(st.integers(0, 255))
            font.write_bytes(bytes(body))
        elif kind == "garbage":
            font.write_bytes(data.draw(st.binary(max_size=2000)))
        elif kind == "empty":
            font.write_bytes(b"")
        elif kind == "huge":
            with font.open("wb") as fh:
                fh.truncate(30_000_000)
        elif kind == "folder":
            font.mkdir()
        else:
            os.mkfifo(font)
        role = data.draw(st.sampled_from(["regular", "bold", "italic", "data"]))
        path = folder / "layout.toml"
        path.write_text(f'base = "eur1"\nname = "mine"\n[fonts]\n{role} = "Mine"\n', encoding="utf-8")
        code, err = run_cli(*fill_args(folder, "--layout", str(path)))
        clear_outcome(code, err, folder / "out.pdf")
        if code != 0 and "Mine.ttf" in err:
            assert str(path) in err and f"fonts.{role}" in err, err


YAML_ODDITIES = [
    "2026-02-30",
    "2026-13-01",
    "2026-02-03T10:00:00Z",
    "!!binary aGVsbG8=",
    "!!set {a, b}",
    "!!omap [a: 1]",
    "!!pairs [a: 1]",
    "9" * 5000,
    "0x" + "f" * 5000,
    "1e999",
    ".nan",
    "-.inf",
    "0o777",
    "190:20:30",
    "!!python/object/apply:os.system [echo]",
    "!!timestamp 2026-01-01",
    "!!int abc",
    "!!float x",
    "~",
    "yes",
    "{<<: {a: 1}}",
    "[" * 50 + "]" * 50,
    "&a x",
    "*a",
    "!!str 5",
    "{? [a, b]: c}",
    "{[a]: 1}",
    "{2026-01-01: x}",
    "{true: x}",
    "{.nan: x}",
    "{" + "9" * 5000 + ": x}",
    "'\\u202e'",
    '"\\ud800"',
]


@st.composite
def certificate_files(draw) -> tuple[str, str]:
    """The example as YAML with odd values, or as JSON with very long and non-finite numbers."""
    data = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    keys = sorted(k for k, v in data.items() if not isinstance(v, list | dict))
    if draw(st.booleans()):
        lines = [f"{key}: {json.dumps(data[key])}" for key in keys]
        lines += [f"{key}: {json.dumps(value)}" for key, value in data.items() if key not in keys]
        for index in draw(st.lists(st.integers(0, len(keys) - 1), min_size=1, max_size=3, unique=True)):
            lines[index] = f"{keys[index]}: {draw(st.sampled_from(YAML_ODDITIES))}"
        if draw(st.integers(0, 3)) == 0:
            lines.insert(0, draw(st.sampled_from(["? [a, b]\n: c", "2026-02-30: x", "<<: {x: 1}", "!!set"])))
        return "cert.yaml", "\n".join(lines) + "\n"
    number = draw(st.sampled_from(["9" * 5000, "1e999", "-1e999", "NaN", "Infinity", "1" + "0" * 400, "1.5"]))
    text = json.dumps(data)
    key = draw(st.sampled_from([*keys, "items", "zz"]))
    return "cert.json", text.replace(f'"{key}": ', f'"{key}": {number}, "{key}_": ', 1)


def fuzz_certificate_files(data: st.DataObject) -> None:
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        file_name, text = data.draw(certificate_files())
        path = folder / file_name
        path.write_text(text, encoding="utf-8")
        for argv in (
            ["validate", str(path)],
            ["fill", str(path), "-o", str(folder / "out.pdf"), "--sheets", "1"],
        ):
            code, err = run_cli(*argv)
            clear_outcome(code, err, None)


FUZZERS = {
    "layouts": (fuzz_layouts, 60),
    "printer_profiles": (fuzz_printer_profiles, 40),
    "settings_files": (fuzz_settings_files, 40),
    "fonts": (fuzz_fonts, 30),
    "certificate_files": (fuzz_certificate_files, 60),
}


@pytest.mark.slow
@pytest.mark.parametrize("kind", sorted(FUZZERS))
def test_the_fuzzers_reach_no_internal_error(kind, internal_error_allowed):
    """Each fuzzer as a user meets it (the top-level catch answers "internal error" rather than
    raising): every outcome is a PDF or a clear error, and the count of internal errors stays 0."""
    fuzzer, examples = FUZZERS[kind]
    before = internal_error_count()
    budget(examples)(given(data=st.data())(fuzzer))()
    assert internal_error_count() == before, f"{kind}: internal errors were reached"
