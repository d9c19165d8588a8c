"""The registry of issued certificates: storage, life cycle, migrations (issue 18).

Use::

    from eur1pdf.service.registry import Registry, verify_url_template

    with Registry("sqlite:///registry.db") as registry:          # or "postgresql://…"; None: the default file
        record = registry.create(data, actor="clerk")            # provisional; record.findings
        registry.replace(record.id, fixed_data, actor="clerk")   # only while provisional
        draft = registry.provisional_pdf(record.id)              # a draft, rendered now
        final = registry.finalize(record.id, "clerk", verify_url_template("https://eur1.example"))
        registry.final_pdf(record.id)                            # the same bytes every time
        registry.by_serial(final.serial)                         # what /verify/{serial} shows
        registry.cancel(record.id, "wrong consignee", actor="clerk")
        registry.audit(record.id)                                # every change: who, when, what
        registry.records(created_by="clerk")                     # the certificates "clerk" created

Errors: :class:`NotFound` (404), :class:`Conflict` (409, ``reason``),
:class:`RuleErrors` (422, ``findings``), :class:`InvalidRequest` (400); all
are :class:`RegistryError`, an :class:`eur1pdf.Eur1pdfError`.

Importing this package imports SQLAlchemy: ``import eur1pdf`` never does.
"""

from eur1pdf.service.registry.engine import database_url, default_db_path, display_url
from eur1pdf.service.registry.errors import (
    Conflict,
    InvalidRequest,
    NotAllowed,
    NotFound,
    RegistryError,
    RuleErrors,
)
from eur1pdf.service.registry.migrate import current_revision, head_revision, upgrade
from eur1pdf.service.registry.records import CANCELLED, FINAL, PROVISIONAL, AuditEntry, Record
from eur1pdf.service.registry.store import Registry, verify_url_template

__all__ = [
    "CANCELLED",
    "FINAL",
    "PROVISIONAL",
    "AuditEntry",
    "Conflict",
    "InvalidRequest",
    "NotAllowed",
    "NotFound",
    "Record",
    "Registry",
    "RegistryError",
    "RuleErrors",
    "current_revision",
    "database_url",
    "default_db_path",
    "display_url",
    "head_revision",
    "upgrade",
    "verify_url_template",
]
