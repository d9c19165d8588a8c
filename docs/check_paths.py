"""Check that the README and docs/ name only files that exist.

    python docs/check_paths.py        # lists what is missing; exit 1 if anything is

Checked: every relative Markdown link, every path in backticks (a word with a
``/`` or a file extension), and the package tree of docs/architecture.md.
Backticked paths are looked up from the repository root, the document's folder
and ``eur1pdf/``; names that stand for the user's own files (``CERT.json``,
``shop.toml`` …) are listed in PLACEHOLDERS. Standard library only.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"\]\(([^)\s]+)\)")
CODE = re.compile(r"`([^`\n]+)`")
LINKED = re.compile(r"\[[^\]\n]*\]\([^)\s]+\)")
FENCE = re.compile(r"^```.*?^```", re.S | re.M)
PATHLIKE = re.compile(r"^[\w.\-/*]+$")
EXTENSIONS = (".py", ".toml", ".json", ".jsonl", ".md", ".pdf", ".txt", ".yaml", ".yml", ".png", ".pem")
# The user's files and places in examples, not files of this repository.
PLACEHOLDERS = {
    "CERT.json", "OUT.pdf", "my.toml", "scan.pdf", "shop.toml", "cal.pdf", "key.p12", "signer.pem",
    "draft.pdf", "final.pdf", "new.pdf", "page.png", "out.pdf", "month-end.jsonl", "out/", "diff/",
    "site.toml", "settings.toml", "secrets.env", "file.pdf", "FILE.pdf", "KEY.p12", "NAME.toml",
    "PROFILE.toml", "FILE.toml", "eur1-ch-mx.pdf", "certificate.json", "manifest.jsonl",
    "OUTDIR/manifest.jsonl", "tests/golden/mexico-export.pdf", "certificates/mexico-export.json",
    "tests/test_certificates.py", "golden/eur1-final-full.pdf", "pyproject.toml", "blank_forms/NAME.pdf",
    "NAME-2.pdf", "EU/Germany", "*.toml", "data/*.toml", "in.jsonl", "eur1pdf/_data/", "INVOICE.pdf", "DATA.json",
}  # fmt: skip


def _code_paths(text: str) -> set[str]:
    """Backticked words that look like paths (a slash or a known extension), outside fenced blocks."""
    found = set()
    prose = LINKED.sub("", FENCE.sub("", text))  # a link's own text is checked as the link
    for span in CODE.findall(prose):
        token = span.strip().rstrip(",.;:")
        if not PATHLIKE.match(token) or token.startswith(("-", ".", "/", "http")) or token.count(".") > 3:
            continue
        if "/" in token or token.endswith(EXTENSIONS):
            found.add(token)
    return found


def _exists(token: str, folder: Path) -> bool:
    for base in (ROOT, folder, ROOT / "eur1pdf", ROOT / "tests", ROOT / "examples"):
        if "*" in token and list(base.glob(token)):
            return True
        if (base / token).exists():
            return True
    return False


def _tree_paths(text: str) -> list[str]:
    """The files and folders of the package tree (the fenced block that starts with ``eur1pdf/``)."""
    for block in FENCE.findall(text):
        lines = block.splitlines()[1:-1]
        if not lines or not lines[0].startswith("eur1pdf/"):
            continue
        paths, stack = [], [(0, "eur1pdf/")]
        for line in lines[1:]:
            indent = len(line) - len(line.lstrip())
            if indent == 0:  # the folders beside the package: checked by the links and backticks
                break
            first = line.split()[0]
            if not re.match(r"^[\w*\-]*[./][\w*.\-]*$", first):  # a continued description
                continue
            while stack and stack[-1][0] >= indent:
                stack.pop()
            parent = stack[-1][1] if stack else ""
            paths.append(parent + first)
            if first.endswith("/"):
                stack.append((indent, parent + first))
        return paths
    return []


def _anchors(document: Path) -> set[str]:
    """GitHub's anchors of a Markdown file's headings: lower case, punctuation dropped, spaces to ``-``."""
    headings = re.findall(r"^#+ (.+)$", FENCE.sub("", document.read_text(encoding="utf-8")), re.M)
    return {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-") for h in headings}


def main() -> int:
    missing: list[str] = []
    for document in DOCUMENTS:
        text = document.read_text(encoding="utf-8")
        where = document.relative_to(ROOT)
        for target in LINK.findall(text):
            if target.startswith(("http:", "https:", "mailto:", "#")):
                continue
            path, _, anchor = target.partition("#")
            linked = document.parent / path if path else document
            if not linked.exists():
                missing.append(f"{where}: link {target}")
            elif anchor and linked.suffix == ".md" and anchor not in _anchors(linked):
                missing.append(f"{where}: link {target} (no such heading)")
        for token in sorted(_code_paths(text) - PLACEHOLDERS):
            if not _exists(token, document.parent):
                missing.append(f"{where}: `{token}`")
        for path in _tree_paths(text):
            if not list(ROOT.glob(path.rstrip("/"))):
                missing.append(f"{where}: package tree {path}")
    print("\n".join(missing) if missing else "every path named exists")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
