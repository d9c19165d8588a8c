"""A corpus of renders to prove a refactor changes no byte: run before and after, compare.

    python bench/corpus.py /tmp/before
    ...change the code...
    python bench/corpus.py /tmp/after
    diff /tmp/before/SHA256SUMS /tmp/after/SHA256SUMS

It uses only what users use (the public API and the command line), so it
runs unchanged on either side of a move of modules. Every output is kept:
PDFs, PNG previews, findings as JSON and the messages of refused renders
(an error message is output too). Covered: every example x draft / final /
unmarked x full / overlay x whole set / sheet 1 / sheet 3 x each end mark;
a printer profile; a user blank; generated certificates with 1 to 45 goods
items (fits, split, overflow errors) on every form; validation findings;
the drawn blanks and calibration sheets of every built-in layout.
"""

from __future__ import annotations

import copy
import hashlib
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from eur1pdf import FillOptions, load_certificate, render, validate  # noqa: E402
from eur1pdf import errors as _errors  # noqa: E402
from eur1pdf.layouts import builtin_names  # noqa: E402

EXAMPLES = sorted((ROOT / "examples").glob("*.json"))
FORMS = tuple(builtin_names())  # every built-in form (each has an example in examples/)
LINK = "https://verify.example.org/eur1/{serial}?d={digest}"


def _outcome(make: Callable[[], bytes]) -> bytes:
    """The bytes made, or the error's type and message (a refusal is output too)."""
    try:
        return make()
    except _errors.Eur1pdfError as exc:
        return f"{type(exc).__name__}: {exc}".encode()
    except Exception as exc:  # RuleViolation and friends: still output to compare
        return f"{type(exc).__name__}: {exc}".encode()


def _example_renders(out: dict[str, bytes]) -> None:
    modes = {"plain": {}, "draft": {"draft": True}, "final": {"final": True, "verify_url": LINK}}
    for path in EXAMPLES:
        cert = load_certificate(path)
        for mode, flags in modes.items():
            for overlay in (False, True):
                for sheets in (None, (1,), (3,)):
                    for end in (None, "line", "stars", "backslashes"):
                        opts = FillOptions(overlay_only=overlay, sheets=sheets, end_mark=end, **flags)
                        key = f"{path.stem}-{mode}-{'overlay' if overlay else 'full'}-{sheets}-{end}.pdf"
                        out[key] = _outcome(lambda c=cert, o=opts: render(c, o))


def _with_items(base: dict[str, Any], n: int, form: str) -> dict[str, Any]:
    cert = copy.deepcopy(base)
    source = cert["items"]
    cert["items"] = [
        {
            **source[i % len(source)],
            "marks": f"PM {n}/{i + 1}",
            "description": source[i % len(source)]["description"] + " long" * (i % 7),
            "gross_mass": f"{(n * 37 + i * 11) % 9000 + 10} kg",
        }
        for i in range(n)
    ]
    return cert


def _findings_json(cert: dict[str, Any]) -> bytes:
    return json.dumps([str(f) for f in validate(cert)], sort_keys=True).encode()


def _item_renders(out: dict[str, bytes]) -> None:
    by_form = {json.loads(p.read_text())["form"]: json.loads(p.read_text()) for p in EXAMPLES}
    missing = [form for form in FORMS if form not in by_form]
    if missing:
        raise SystemExit(f"no example in examples/ for the built-in form(s) {missing}")
    for form in FORMS:
        base = by_form[form]
        for n in (1, 2, 5, 9, 17, 25, 31, 40, 45):
            cert = _with_items(base, n, form)
            for split in ("error", "split"):
                for final in (False, True):
                    opts = FillOptions(on_overflow=split, final=final, verify_url=LINK, sheets=(1,))
                    key = f"items-{form}-{n}-{split}-{final}.pdf"
                    out[key] = _outcome(lambda c=cert, o=opts: render(c, o))
            out[f"items-{form}-{n}-findings.json"] = _outcome(lambda c=cert: _findings_json(c))


def _option_renders(out: dict[str, bytes]) -> None:
    from eur1pdf.printer import load_profile

    cert = load_certificate(ROOT / "examples" / "eur1-ch-mx.json")
    profile = load_profile(ROOT / "examples" / "printer-profile.toml")
    for overlay in (False, True):
        opts = FillOptions(printer=profile, overlay_only=overlay, final=True, verify_url=LINK)
        out[f"printer-{overlay}.pdf"] = _outcome(lambda o=opts: render(cert, o))
    blank = ROOT / "blank_forms" / "eur1.pdf"
    for sheets in (None, (1,)):
        opts = FillOptions(sheets=sheets, final=True)
        out[f"user-blank-{sheets}.pdf"] = _outcome(lambda o=opts: render(cert, o, blank=blank))
    broken = copy.deepcopy(json.loads((ROOT / "examples" / "eur1-cn-ch-cn.json").read_text()))
    broken["items"][0]["hs_code"] = "84"
    broken["exporter"]["name"] = "x" * 400
    out["broken-findings.json"] = _outcome(lambda: json.dumps([str(f) for f in validate(broken)]).encode())
    out["broken-draft.pdf"] = _outcome(lambda: render(broken, FillOptions(draft=True, allow_errors=True)))
    out["broken-final.pdf"] = _outcome(lambda: render(broken, FillOptions(final=True)))


def _command_outputs(out: dict[str, bytes], tmp: Path) -> None:
    """Drawn blanks, calibration sheets and a preview, through the command line."""
    for form in FORMS:
        for command, name in (("blank", f"blank-{form}.pdf"), ("calibrate", f"calibrate-{form}.pdf")):
            target = tmp / name
            argv = [sys.executable, "-m", "eur1pdf.cli", command, form, "-o", str(target)]
            subprocess.run(argv, check=True, capture_output=True)
            out[name] = target.read_bytes()
    target = tmp / "preview.png"
    argv = [sys.executable, "-m", "eur1pdf.cli", "preview", str(EXAMPLES[0]), "-o", str(target)]
    subprocess.run([*argv, "--page", "1", "--dpi", "50", "--draft"], check=True, capture_output=True)
    out["preview.png"] = target.read_bytes()


def main() -> int:
    import argparse

    parser = argparse.ArgumentParser(description="Write every output of the corpus and their SHA256SUMS.")
    parser.add_argument("outdir", type=Path, help="folder for the outputs (made if missing)")
    outdir = parser.parse_args().outdir
    outdir.mkdir(parents=True, exist_ok=True)
    out: dict[str, bytes] = {}
    _example_renders(out)
    _item_renders(out)
    _option_renders(out)
    _command_outputs(out, outdir)
    lines = []
    for key in sorted(out):
        (outdir / key).write_bytes(out[key])
        lines.append(f"{hashlib.sha256(out[key]).hexdigest()}  {key}\n")
    (outdir / "SHA256SUMS").write_text("".join(lines))
    print(f"{len(out)} outputs in {outdir}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
