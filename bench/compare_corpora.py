"""Two corpora whose PDFs may differ only in the recorded options: prove that they do.

    python bench/compare_corpora.py /tmp/before /tmp/after

For every output whose SHA-256 differs: a non-PDF is a failure; a PDF pair
is compared object by object from the trailer's /Root and /Info
(eur1pdf.finish.compare: names, numbers, strings, arrays, dictionaries,
streams by their stored bytes), with the document information's
/Eur1pdfOptions and the XMP packet set aside; the XMP packets are compared
property by property without Eur1pdfOptions. /ID is not walked. Exit 0 when
nothing else differs.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pikepdf

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from eur1pdf.finish.compare import compare_documents, xmp_properties  # noqa: E402

OPTIONS = "/Eur1pdfOptions"
XMP_OPTIONS = "{https://eur1pdf.invalid/ns/1.0/}Eur1pdfOptions"


def _sums(folder: Path) -> dict[str, str]:
    lines = (folder / "SHA256SUMS").read_text().splitlines()
    return {name: digest for digest, name in (line.split(maxsplit=1) for line in lines)}


def _pdf_differences(a_path: Path, b_path: Path) -> list[str]:
    with pikepdf.open(a_path) as a, pikepdf.open(b_path) as b:
        found = []
        xa, xb = (xmp_properties(p.Root.Metadata) for p in (a, b))
        xa.pop(XMP_OPTIONS, None), xb.pop(XMP_OPTIONS, None)
        if xa != xb:
            found.append("XMP properties other than Eur1pdfOptions differ")
        for pdf in (a, b):
            del pdf.docinfo[OPTIONS]
            del pdf.Root["/Metadata"]
        found += [str(d) for d in compare_documents(a, b, signed=False)]
        return found


def main(before: Path, after: Path) -> int:
    a, b = _sums(before), _sums(after)
    failures = [f"{name}: only in one corpus" for name in sorted(set(a) ^ set(b))]
    changed = [name for name in sorted(set(a) & set(b)) if a[name] != b[name]]
    for name in changed:
        if not name.endswith(".pdf") or (before / name).read_bytes()[:5] != b"%PDF-":
            failures.append(f"{name}: not a PDF, and changed")
            continue
        failures += [f"{name}: {d}" for d in _pdf_differences(before / name, after / name)]
    print(f"{len(a)} outputs, {len(changed)} PDFs changed, {len(failures)} differences beyond the options")
    for line in failures[:50]:
        print(f"  {line}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]), Path(sys.argv[2])))
