"""Output file names for a batch, from a template, made safe.

The values in a name come from certificate data that users typed, so they can
hold anything: ``../../etc``, ``a/b``, NUL, 300 characters, names that differ
only in case. A name from here is a single path component inside the output
folder, never hidden, never longer than a file system allows, and never the
same as another name of the same batch (compared case-insensitively, because
macOS and Windows file systems are), so no document overwrites another.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping

from eur1pdf.errors import Eur1pdfError

FIELDS = (
    "index",  # the record's number in the input, from 1
    "serial",
    "form",
    "agreement",
    "issue_date",
    "exporter.name",
    "consignee.name",
    "stem",  # the input file's name without extension (a folder of files), else the record's number
)
DEFAULT_TEMPLATE = "{serial}.pdf"
MAX_NAME_BYTES = 200  # ext4/APFS/NTFS allow 255; room for a collision suffix and a temporary prefix
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_UNSAFE = re.compile(r'[/\\<>:"|?*]')
_SPACES = re.compile(r"\s+")
_DOTS = re.compile(r"\.{2,}")


def check_template(template: str) -> None:
    """Refuse an unknown placeholder before any work, naming the ones there are."""
    for name in _PLACEHOLDER.findall(template.replace("{{", "").replace("}}", "")):
        if name not in FIELDS:
            raise Eur1pdfError(
                f"--name {template!r}: unknown placeholder {{{name}}}; use "
                + ", ".join(f"{{{f}}}" for f in FIELDS)
            )


def fill_template(template: str, values: Mapping[str, str]) -> str:
    """The template with each placeholder replaced; ``{{`` and ``}}`` stand for braces."""
    parts = re.split(r"(\{\{|\}\})", template)
    out = []
    for part in parts:
        if part in ("{{", "}}"):
            out.append(part[0])
        else:
            out.append(_PLACEHOLDER.sub(lambda m: str(values.get(m.group(1), "")), part))
    return "".join(out)


def _component(text: str) -> str:
    """One safe path component: no separators, controls, reserved characters or leading dots."""
    text = unicodedata.normalize("NFC", text)
    text = "".join("_" if unicodedata.category(c) in ("Cc", "Cf", "Cs", "Co", "Cn") else c for c in text)
    text = _UNSAFE.sub("_", text)
    text = _DOTS.sub("_", text)  # no '..' anywhere, even where harmless
    text = _SPACES.sub(" ", text)
    return text.strip(" .")  # no hidden files, no '..', no trailing dot (Windows drops it)


def _truncate(text: str, limit: int) -> str:
    """At most ``limit`` UTF-8 bytes, cut at a character boundary."""
    encoded = text.encode("utf-8")
    if len(encoded) <= limit:
        return text
    return encoded[:limit].decode("utf-8", errors="ignore").rstrip(" .")


def safe_name(raw: str, fallback: str) -> str:
    """A file name ending in ``.pdf`` made from ``raw``; ``fallback`` when nothing usable is left."""
    stem = raw[:-4] if raw.lower().endswith(".pdf") else raw
    stem = _truncate(_component(stem), MAX_NAME_BYTES - len(".pdf"))
    if not stem.strip("_ "):  # nothing left but what replaced unsafe characters
        stem = _component(fallback)
    return f"{stem}.pdf"


class NameAllocator:
    """Gives out unique names in input order: the second ``A.pdf`` becomes ``A-2.pdf``.

    ``taken`` are names in the folder that belong to somebody else (files
    from before this batch): they are never handed out, so never overwritten.
    """

    def __init__(self, taken: Iterable[str] = ()):
        self._used = {name.casefold() for name in taken}

    def reserve(self, name: str) -> None:
        self._used.add(name.casefold())

    def allocate(self, wanted: str) -> str:
        if wanted.casefold() not in self._used:
            self.reserve(wanted)
            return wanted
        stem = wanted[:-4]
        n = 2
        while True:
            suffix = f"-{n}"
            candidate = _truncate(stem, MAX_NAME_BYTES - len(".pdf") - len(suffix)) + suffix + ".pdf"
            if candidate.casefold() not in self._used:
                self.reserve(candidate)
                return candidate
            n += 1
