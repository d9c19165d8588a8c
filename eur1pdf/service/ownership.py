"""Whose certificates a key may change: the ones it created, unless it holds the scope ``others``.

A customs back office wants each clerk's work to stay the clerk's: a key with
``issue`` replaces only the provisional certificates it created, a key with
``finalize`` finalizes only those, a key with ``cancel`` cancels only those.
The scope ``others`` widens each of these to every key's certificates (an
officer who finalizes or cancels what the clerks prepared holds
``finalize,cancel,read,others``); it grants no action by itself. Reading stays
the scope ``read``'s alone. The JSON API (``/v1/registry``) and the clerk's page
(``/app``) both ask here, so the rule is one.

The creator is the record's ``created_by``, written once when it is created and
never changed, so checking it before the change cannot race with the change.
"""

from __future__ import annotations

from eur1pdf.service.keys import ApiKey
from eur1pdf.service.registry import NotAllowed, Record, Registry

OTHERS = "others"


def may_change(key: ApiKey, record: Record) -> bool:
    """Whether ``key`` may change ``record`` (given the action's own scope): its creator, or ``others``."""
    return record.created_by == key.name or key.allows(OTHERS)


def changeable(registry: Registry, certificate_id: str, key: ApiKey, action: str) -> Record:
    """The record ``certificate_id`` when ``key`` may ``action`` it; :class:`NotAllowed` (403) otherwise.

    The refusal does not name the creator: a key without ``read`` learns nothing of the record.
    """
    record = registry.get(certificate_id)
    if not may_change(key, record):
        raise NotAllowed(
            f"certificate {certificate_id} was created by another key: the key {key.name!r} may {action} "
            f"only the certificates it created (the scope {OTHERS!r} allows every key's)"
        )
    return record
