"""The certificate registry: :class:`Registry`, over SQLite or PostgreSQL.

A certificate's life (DESIGN.md, "The registry and the verification page")::

    create ──► provisional ──replace──► provisional ──finalize──► final ──cancel──► cancelled

* provisional: the data may be replaced; its PDF is a draft rendered on demand;
* final: data, digest and serial frozen, the final PDF's bytes stored once and
  handed out unchanged for ever; the serial unique among issued certificates;
* cancelled: a final withdrawn with a reason (the only change a final allows).

Every change is one transaction that also writes its audit row. Uniqueness
and "only once" come from the database: the state change is a conditional
UPDATE (``WHERE status = 'provisional' AND digest = …``) and the serial a
primary key of ``issued_serials``; whoever loses a race gets :class:`Conflict`.
Rendering happens outside any transaction: no lock is held while a PDF is made.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from eur1pdf.certificate.model import Certificate, certificate_from_data
from eur1pdf.options import SigningKey
from eur1pdf.plan import verification_link
from eur1pdf.service.registry import content as contents
from eur1pdf.service.registry.engine import database_url, make_engine, write_transaction
from eur1pdf.service.registry.errors import Conflict, InvalidRequest, NotFound
from eur1pdf.service.registry.migrate import upgrade
from eur1pdf.service.registry.records import (
    AUDIT_ORDER,
    CANCELLED,
    FINAL,
    PROVISIONAL,
    RECORD_COLUMNS,
    AuditEntry,
    Record,
    audit_from_row,
    audit_row,
    record_from_row,
)
from eur1pdf.service.registry.schema import audit, certificates, issued_serials


def verify_url_template(public_url: str) -> str:
    """The link template a final's QR code carries: ``{public_url}/verify/{serial}?d={digest}``."""
    return public_url.rstrip("/") + "/verify/{serial}?d={digest}"


def _now() -> datetime:
    return datetime.now(UTC)


def _audit(
    connection: sa.Connection,
    certificate_id: str,
    now: datetime,
    actor: str,
    action: str,
    digest: str,
    serial: str | None,
) -> None:
    """The audit row of a change, in the change's own transaction."""
    connection.execute(
        audit.insert().values(audit_row(certificate_id, now, actor, action, digest=digest, serial=serial))
    )


def _filters(**equal: str | None) -> list[sa.ColumnElement[bool]]:
    """``column = value`` for each filter given (None: any)."""
    return [certificates.c[name] == value for name, value in equal.items() if value is not None]


def new_certificate_id() -> str:
    """A random URL-safe id (128 bits) that never begins with ``-``.

    One id in 64 drawn by ``token_urlsafe`` began with ``-``, which the
    operator's ``eur1pdf registry show ID`` took for an option (CI met one).
    """
    while True:
        certificate_id = secrets.token_urlsafe(16)
        if not certificate_id.startswith("-"):
            return certificate_id


def _actor(actor: str) -> str:
    if not actor or not actor.strip():
        raise InvalidRequest("every change names its actor (an API key's or operator's name)")
    return actor.strip()


class Registry:
    """The registry of issued certificates at one database URL (see :mod:`.engine` for URLs).

    ``Registry()`` opens the default SQLite file; ``Registry("postgresql://…")``
    a shared PostgreSQL database. Opening migrates the schema to the newest
    revision unless ``migrate=False``. ``renderer`` makes the PDFs (default
    :func:`eur1pdf.render`). Safe to share between threads (one connection
    pool); several processes and service instances may open the same database.
    """

    def __init__(
        self,
        url: str | None = None,
        *,
        migrate: bool = True,
        renderer: contents.Renderer | None = None,
        **engine_options: Any,
    ):
        self.url = database_url(url)
        self.engine = make_engine(self.url, **engine_options)
        self.render = renderer or contents.default_renderer
        if migrate:
            upgrade(self.engine)

    def close(self) -> None:
        """Close the pool's connections."""
        self.engine.dispose()

    def __enter__(self) -> Registry:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # reading

    def get(self, certificate_id: str) -> Record:
        """The record with this id; :class:`NotFound` when there is none."""
        with self.engine.connect() as connection:
            row = connection.execute(
                sa.select(*RECORD_COLUMNS).where(certificates.c.id == certificate_id)
            ).first()
        if row is None:
            raise NotFound(certificate_id)
        return record_from_row(row)

    def by_serial(self, serial: str) -> Record | None:
        """The certificate issued (final or cancelled) under ``serial``: what the verification page shows.

        Provisional certificates are never found here: nothing was issued yet.
        """
        query = (
            sa.select(*RECORD_COLUMNS)
            .join(issued_serials, issued_serials.c.certificate_id == certificates.c.id)
            .where(issued_serials.c.serial == serial)
        )
        with self.engine.connect() as connection:
            row = connection.execute(query).first()
        return None if row is None else record_from_row(row)

    def records(
        self,
        *,
        status: str | None = None,
        serial: str | None = None,
        created_by: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[Record]:
        """Records, newest first, optionally only of one status, one serial (any status) or one
        creator (the actor who created them: a clerk's own certificates)."""
        query = sa.select(*RECORD_COLUMNS).order_by(certificates.c.created_at.desc(), certificates.c.id)
        query = query.where(*_filters(status=status, serial=serial, created_by=created_by))
        with self.engine.connect() as connection:
            rows = connection.execute(query.limit(limit).offset(offset)).all()
        return [record_from_row(row) for row in rows]

    def count(
        self, *, status: str | None = None, serial: str | None = None, created_by: str | None = None
    ) -> int:
        """How many records (of one status, one serial, by one creator): what :meth:`records` lists
        with the same filters, before its limit."""
        query = sa.select(sa.func.count()).select_from(certificates)
        query = query.where(*_filters(status=status, serial=serial, created_by=created_by))
        with self.engine.connect() as connection:
            return int(connection.execute(query).scalar_one())

    def audit(self, certificate_id: str) -> list[AuditEntry]:
        """The certificate's audit trail, oldest first; :class:`NotFound` for an unknown id."""
        self.get(certificate_id)
        query = sa.select(audit).where(audit.c.certificate_id == certificate_id).order_by(*AUDIT_ORDER)
        with self.engine.connect() as connection:
            return [audit_from_row(row) for row in connection.execute(query)]

    def final_pdf(self, certificate_id: str) -> bytes:
        """The final PDF's bytes as stored at finalization (also for a cancelled certificate)."""
        with self.engine.connect() as connection:
            row = connection.execute(
                sa.select(certificates.c.status, certificates.c.final_pdf).where(
                    certificates.c.id == certificate_id
                )
            ).first()
        if row is None:
            raise NotFound(certificate_id)
        if row.final_pdf is None:
            raise Conflict(f"certificate {certificate_id} is {row.status}: it has no final PDF yet")
        return bytes(row.final_pdf)

    def provisional_pdf(self, certificate_id: str) -> bytes:
        """A draft PDF of a provisional certificate, rendered now from the stored data (with
        ``FillOptions(draft=True, allow_errors=True)``: DRAFT marks, made despite rule errors)."""
        record = self.get(certificate_id)
        if record.status != PROVISIONAL:
            raise Conflict(f"certificate {certificate_id} is {record.status}: its PDF is the final one")
        return contents.render_checked(self.render, record.data, contents.draft_options(record.options))

    def pdf(self, certificate_id: str) -> bytes:
        """The certificate's PDF: the stored final, or a draft while it is provisional."""
        record = self.get(certificate_id)
        if record.status == PROVISIONAL:
            return self.provisional_pdf(certificate_id)
        return self.final_pdf(certificate_id)

    # changing

    def create(
        self, data: Certificate | Mapping[str, Any], actor: str, options: Mapping[str, Any] | None = None
    ) -> Record:
        """Store a new provisional certificate; its ``findings`` say what still breaks rules.

        ``data`` must follow the input contract (else :class:`RuleErrors`);
        rule errors are kept as findings (a provisional certificate may be wrong).
        ``options``: ``end_mark`` and ``sheets`` for its PDFs.
        """
        actor = _actor(actor)
        content = contents.checked_content(data, options)
        now = _now()
        certificate_id = new_certificate_id()
        values = self._content_values(content, now)
        with write_transaction(self.engine) as connection:
            connection.execute(
                certificates.insert().values(
                    id=certificate_id, status=PROVISIONAL, created_at=now, created_by=actor, **values
                )
            )
            _audit(
                connection, certificate_id, now, actor, "created", content.digest, content.certificate.serial
            )
        return self.get(certificate_id)

    def replace(
        self,
        certificate_id: str,
        data: Certificate | Mapping[str, Any],
        actor: str,
        options: Mapping[str, Any] | None = None,
    ) -> Record:
        """Replace the data of a provisional certificate; :class:`Conflict` once it is final or cancelled."""
        actor = _actor(actor)
        content = contents.checked_content(data, options)
        now = _now()
        with write_transaction(self.engine) as connection:
            changed = connection.execute(
                certificates.update()
                .where(certificates.c.id == certificate_id, certificates.c.status == PROVISIONAL)
                .values(**self._content_values(content, now))
            ).rowcount
            if changed != 1:
                raise self._refusal(connection, certificate_id, "its data cannot be replaced")
            _audit(
                connection, certificate_id, now, actor, "replaced", content.digest, content.certificate.serial
            )
        return self.get(certificate_id)

    @staticmethod
    def _content_values(content: contents.Content, now: datetime) -> dict[str, Any]:
        return {
            "serial": content.certificate.serial,
            "form": content.certificate.form,
            "agreement": content.certificate.agreement,
            "data": content.canonical,
            "digest": content.digest,
            "options": content.options_json(),
            "findings": content.findings_json(),
            "updated_at": now,
        }

    def _refusal(
        self, connection: sa.Connection, certificate_id: str, what: str, changed_data: bool = False
    ) -> Exception:
        """Why a conditional change touched no row: :class:`NotFound`, or :class:`Conflict` saying why
        (``changed_data``: a provisional one was replaced while its final was being made)."""
        row = connection.execute(
            sa.select(*RECORD_COLUMNS).where(certificates.c.id == certificate_id)
        ).first()
        if row is None:
            return NotFound(certificate_id)
        record = record_from_row(row)
        if record.status == FINAL:
            return Conflict(
                f"certificate {certificate_id} is final (serial {record.serial}, finalized "
                f"{record.finalized_at:%Y-%m-%d %H:%M:%S} UTC): {what}; a final certificate is only ever "
                "cancelled, with a reason"
            )
        if record.status == CANCELLED:
            return Conflict(
                f"certificate {certificate_id} was cancelled {record.cancelled_at:%Y-%m-%d %H:%M:%S} UTC "
                f"({record.cancel_reason}): {what}"
            )
        if changed_data:
            return Conflict(
                f"certificate {certificate_id} was replaced while it was being finalized: "
                "check the new data and finalize again"
            )
        return Conflict(f"certificate {certificate_id} is provisional: {what}; only a final is cancelled")

    def finalize(
        self,
        certificate_id: str,
        actor: str,
        verify_url_template: str,
        *,
        lock_password: str | None = None,
        signing: SigningKey | None = None,
    ) -> Record:
        """Make a provisional certificate final, once and for all.

        The rules must pass (else :class:`RuleErrors` with the findings) and the
        data must carry a serial. The final PDF is rendered with
        ``FillOptions(final=True, verify_url=verify_url_template)`` (see
        :func:`verify_url_template`: its QR code opens ``/verify/{serial}?d={digest}``),
        then status, serial, PDF and audit row are written in one transaction.
        Raises :class:`Conflict` when it is no longer provisional, when its data
        changed while the PDF was made, or when the serial was already issued —
        of concurrent finalizations exactly one wins.
        """
        actor = _actor(actor)
        record = self.get(certificate_id)
        if record.status != PROVISIONAL:
            raise self._refusal_now(certificate_id, "it cannot be finalized again")
        cert = certificate_from_data(record.data)
        contents.check_finalizable(cert)
        options = contents.final_options(
            record.options, verify_url_template, lock_password=lock_password, signing=signing
        )
        pdf = contents.render_checked(self.render, record.data, options)
        link = verification_link(verify_url_template, cert, record.digest)
        try:
            self._store_final(record, actor, pdf, link)
        except sa.exc.IntegrityError:
            raise self._serial_taken(record) from None
        return self.get(certificate_id)

    def _store_final(self, record: Record, actor: str, pdf: bytes, link: str | None) -> None:
        """The finalization's one transaction: state (only if still the same provisional data),
        the serial (its primary key refuses a second issue), the audit row."""
        now = _now()
        with write_transaction(self.engine) as connection:
            changed = connection.execute(
                certificates.update()
                .where(
                    certificates.c.id == record.id,
                    certificates.c.status == PROVISIONAL,
                    certificates.c.digest == record.digest,
                )
                .values(status=FINAL, final_pdf=pdf, verify_link=link, finalized_at=now, updated_at=now)
            ).rowcount
            if changed != 1:
                raise self._refusal(connection, record.id, "it cannot be finalized again", changed_data=True)
            connection.execute(
                issued_serials.insert().values(serial=record.serial, certificate_id=record.id, issued_at=now)
            )
            _audit(connection, record.id, now, actor, "finalized", record.digest, record.serial)

    def _serial_taken(self, record: Record) -> Conflict:
        holder = self.by_serial(record.serial or "")
        other = f" to certificate {holder.id} ({holder.status})" if holder is not None else ""
        return Conflict(
            f"serial {record.serial} was already issued{other}: a serial is final once; "
            "replace the data with another serial"
        )

    def cancel(self, certificate_id: str, reason: str, actor: str) -> Record:
        """Mark a final certificate cancelled (an error found later), with the time and ``reason``.

        The only change a final allows; its PDF and serial stay (the serial is
        never issued again). :class:`Conflict` when it is provisional or already cancelled.
        """
        actor = _actor(actor)
        if not reason or not reason.strip():
            raise InvalidRequest("a cancellation needs a reason (it is shown on the verification page)")
        reason = reason.strip()
        now = _now()
        with write_transaction(self.engine) as connection:
            changed = connection.execute(
                certificates.update()
                .where(certificates.c.id == certificate_id, certificates.c.status == FINAL)
                .values(status=CANCELLED, cancelled_at=now, cancel_reason=reason, updated_at=now)
            ).rowcount
            if changed != 1:
                raise self._refusal(connection, certificate_id, "it cannot be cancelled")
            connection.execute(
                audit.insert().values(audit_row(certificate_id, now, actor, "cancelled", reason=reason))
            )
        return self.get(certificate_id)

    def _refusal_now(self, certificate_id: str, what: str) -> Exception:
        with self.engine.connect() as connection:
            return self._refusal(connection, certificate_id, what)
