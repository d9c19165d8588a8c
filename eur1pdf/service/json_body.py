"""A JSON request body's keys given twice: refused with a finding naming the key.

``json.loads`` keeps the last of two values for one key, so a body with
``"serial"`` twice would be filled with whichever came last, silently; the
CLI refuses such a file (:func:`eur1pdf.certificate.model.parse_text`), and
so does the service, before FastAPI parses the body its own way.
"""

from __future__ import annotations

import email.message
import json
from typing import Any

from eur1pdf.certificate.model import FIELD_BOXES
from eur1pdf.certificate.syntax import DuplicateKeyError, no_duplicate_keys
from eur1pdf.errors import Problem
from eur1pdf.rules import findings_from_input_error


def _is_json(scope: dict) -> bool:
    """Whether FastAPI would read the body as JSON: no Content-Type, or application/json or …+json."""
    value = dict(scope.get("headers") or []).get(b"content-type")
    if value is None:
        return True
    message = email.message.Message()
    message["content-type"] = value.decode("latin-1")
    subtype = message.get_content_subtype()
    json_subtype = subtype == "json" or subtype.endswith("+json")
    return message.get_content_maintype() == "application" and json_subtype


def duplicate_key_findings(scope: dict, body: bytes) -> list[dict[str, Any]]:
    """The finding for the first key given twice in one object of a JSON body; none when every key
    is given once, or the body is not JSON at all (FastAPI's own answer then says so)."""
    if not body or not _is_json(scope):
        return []
    try:
        json.loads(body, object_pairs_hook=no_duplicate_keys)
    except DuplicateKeyError as exc:
        key = str(exc)
        problem = Problem(key, FIELD_BOXES.get(key), f"the key {key!r} is given twice in one object")
        return [finding.to_dict() for finding in findings_from_input_error([problem])]
    except (ValueError, RecursionError):  # not JSON (or not UTF-8): not this check's to answer
        return []
    return []
