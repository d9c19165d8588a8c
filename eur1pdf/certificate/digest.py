"""The certificate's fingerprint: SHA-256 over a canonical form of its data.

The canonical form is documented so that anyone can recompute it, in any
language, and get the same digest on any Python version:

* the certificate as JSON-compatible data exactly as validated (text already
  NFC-normalised and trimmed, dates as ``YYYY-MM-DD``, the ``trade`` keys
  ``from``/``to``), with fields that are null, empty lists or false left out;
* serialised as JSON with keys sorted, no insignificant whitespace
  (separators ``,`` and ``:``), non-ASCII characters written as themselves;
* encoded as UTF-8; the digest is the lower-case hex SHA-256 of those bytes.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from eur1pdf.certificate.model import Certificate

CANONICAL_VERSION = "1"


_EMPTY: tuple[Any, ...] = (None, [], {}, False)


def _prune(value: Any) -> Any:
    """Leave out what carries no information, so adding an optional field later keeps digests.

    Only containers are descended into: a certificate has hundreds of scalars
    and a function call for each was a tenth of a certificate's rendering time.
    """
    if isinstance(value, dict):
        pruned = {}
        for key, item in value.items():
            if isinstance(item, dict | list):
                item = _prune(item)
            if item not in _EMPTY:
                pruned[key] = item
        return pruned
    if isinstance(value, list):
        return [_prune(v) if isinstance(v, dict | list) else v for v in value]
    return value


def canonical_bytes(cert: Certificate) -> bytes:
    data = _prune(cert.model_dump(mode="json", by_alias=True, exclude_none=True))
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def digest_of(canonical: bytes) -> str:
    """The digest of canonical bytes already made (they are also attached to the PDF)."""
    return hashlib.sha256(canonical).hexdigest()


def digest(cert: Certificate) -> str:
    return digest_of(canonical_bytes(cert))
