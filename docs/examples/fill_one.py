"""Fill one certificate from Python, typed: `mypy --strict docs/examples/fill_one.py` passes (a test runs it).

    python docs/examples/fill_one.py examples/eur1-ch-mx.json out.pdf
"""

from __future__ import annotations

import sys
from pathlib import Path

from eur1pdf import Eur1pdfError, FillOptions, Finding, load_certificate, render, validate
from eur1pdf.options import OptionsError


def fill_one(source: Path, target: Path) -> list[Finding]:
    """Check, then write the certificate set (sheet 1 only) as a final; the findings, errors first."""
    cert = load_certificate(source)
    findings: list[Finding] = validate(cert)
    if any(finding.severity == "error" for finding in findings):
        return findings
    options = FillOptions(sheets=(1,), final=True, verify_url="https://verify.example.org/{serial}?d={digest}")
    target.write_bytes(render(cert, options))
    return findings


def main(argv: list[str]) -> int:
    try:
        findings = fill_one(Path(argv[1]), Path(argv[2]))
    except OptionsError as exc:  # a wrong option names the option, e.g. "sheets: …"
        print(f"option {exc.option}: {exc.message}", file=sys.stderr)
        return 2
    except Eur1pdfError as exc:  # the input: field and box named
        print(exc, file=sys.stderr)
        return 1
    for finding in findings:
        print(finding)
    return 1 if any(f.severity == "error" for f in findings) else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
