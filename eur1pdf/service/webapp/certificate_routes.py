"""One certificate on the clerk's page: open it, check it while typing, edit box 8's rows,
save it as provisional, finalize it, cancel a final with a reason, download its PDF, export its JSON."""

from __future__ import annotations

import json
import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from eur1pdf.service.ownership import changeable, may_change
from eur1pdf.service.registry import PROVISIONAL, Conflict, Record, RuleErrors
from eur1pdf.service.webapp import checking, formdata
from eur1pdf.service.webapp.pages import CANCEL_REASON_MAX, finalizable
from eur1pdf.service.webapp.routes import HEADERS, Clerk, Refused, blocking, html, known_form, rule_message
from eur1pdf.service.webapp.session import Session

_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,32}")
_ITEM_ACTION = re.compile(r"add_item|(remove|up|down):\d{1,4}")
NO_LONGER_PROVISIONAL = "this certificate is final: it can no longer be changed"
DONE = {
    "saved": "Saved as provisional.",
    "finalized": "Finalized: the final PDF is ready.",
    "cancelled": "Cancelled: its verification page now says CANCELLED, with the reason.",
}


def _known(certificate_id: str) -> str:
    if not _ID.fullmatch(certificate_id):
        raise Refused(404, "no such certificate")
    return certificate_id


def _json_download(data: dict[str, Any], name: str) -> Response:
    body = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    headers = HEADERS | {"Content-Disposition": f'attachment; filename="{name}"'}
    return Response(body.encode("utf-8"), media_type="application/json", headers=headers)


def _file_name(serial: str | None, suffix: str) -> str:
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", serial or "certificate").strip("-") or "certificate"
    return f"{stem}{suffix}"


async def _save(clerk: Clerk, session: Session, fields: dict[str, str]) -> Record:
    """A new provisional certificate, or the key's own one replaced (another key's: 403, unless
    the key holds ``others``)."""
    data = formdata.data_from_fields(fields)
    registry = clerk.opened()
    certificate_id, actor = fields.get("id", ""), session.key.name
    if certificate_id:
        await blocking(changeable, registry, _known(certificate_id), session.key, "change")
        return await blocking(registry.replace, certificate_id, data, actor)
    return await blocking(registry.create, data, actor)


async def _record_of(clerk: Clerk, session: Session, fields: dict[str, str]) -> Record | None:
    """The stored record the form names, if any; refused (403) to a key without ``read`` that may not
    change it either, before anything of it (even its state) is told."""
    certificate_id = fields.get("id", "")
    if not certificate_id:
        return None
    record = await blocking(clerk.opened().get, _known(certificate_id))
    if not session.allows("read") and not may_change(session.key, record):
        raise Refused(403, f"the key {session.key.name!r} does not have the scope 'read'")
    return record


async def _issue(clerk: Clerk, request: Request, action: str) -> Response:
    """Save (and finalize): a redirect to the certificate, or the form again saying why not."""
    session, fields = await clerk.posted(request, "issue")
    if action == "finalize" and not session.allows("finalize"):
        raise Refused(403, f"the key {session.key.name!r} does not have the scope 'finalize'")
    saved: Record | None = None
    try:
        saved = await _save(clerk, session, fields)
        if action == "finalize":
            await blocking(
                clerk.opened().finalize, saved.id, session.key.name, clerk.template, **clerk.final_kwargs
            )
    except (RuleErrors, Conflict) as exc:
        record = saved or await _record_of(clerk, session, fields)
        if record is not None:
            record = await blocking(clerk.opened().get, record.id)
            if record.status != PROVISIONAL:
                if not session.allows("read"):  # the stored certificate is the scope read's: never echoed
                    raise Refused(409, NO_LONGER_PROVISIONAL) from None
                fields = formdata.fields_from_data(record.data)
        status = 422 if isinstance(exc, RuleErrors) else 409
        return await clerk.editor(session, fields, record, rule_message(exc), status)
    record = saved
    done = "finalized" if action == "finalize" else "saved"
    return RedirectResponse(f"/app/c/{record.id}?done={done}", status_code=303, headers=HEADERS)


async def _cancel(clerk: Clerk, request: Request, certificate_id: str) -> Response:
    """Cancel a final with the reason typed (scope cancel, as over HTTP): a redirect to the now
    read-only certificate, or the certificate again saying why not (no reason, not final)."""
    session, fields = await clerk.posted(request, "cancel")
    registry = clerk.opened()
    record = await blocking(changeable, registry, _known(certificate_id), session.key, "cancel")
    reason = " ".join(fields.get("reason", "").split())
    problem, status = "", 422
    if not reason:
        problem = "Not done: give the reason for cancelling (it is shown on the verification page)."
    elif len(reason) > CANCEL_REASON_MAX:
        problem = f"Not done: the reason is too long (at most {CANCEL_REASON_MAX} characters)."
    else:
        try:
            await blocking(registry.cancel, record.id, reason, session.key.name)
        except Conflict as exc:
            record = await blocking(registry.get, record.id)
            problem, status = rule_message(exc), 409
        else:
            return RedirectResponse(f"/app/c/{record.id}?done=cancelled", status_code=303, headers=HEADERS)
    if not session.allows("read"):  # the refusal alone: the record's data, state and reason are read's
        raise Refused(status, problem if status == 422 else "Not done: only a final certificate is cancelled")
    return await clerk.editor(session, formdata.fields_from_data(record.data), record, problem, status)


def add_record_routes(web: FastAPI, clerk: Clerk) -> None:
    @web.get("/app/c/{certificate_id}")
    async def show(request: Request, certificate_id: str, done: str | None = None) -> Response:
        session = clerk.session(request)
        if not session.allows("read"):
            raise Refused(403, f"the key {session.key.name!r} does not have the scope 'read'")
        record = await blocking(clerk.opened().get, _known(certificate_id))
        message = DONE.get(done or "", "")
        return await clerk.editor(session, formdata.fields_from_data(record.data), record, message)

    @web.post("/app/c/{certificate_id}/cancel")
    async def cancel(request: Request, certificate_id: str) -> Response:
        return await _cancel(clerk, request, certificate_id)

    @web.get("/app/c/{certificate_id}/pdf")
    async def pdf(request: Request, certificate_id: str) -> Response:
        session = clerk.session(request)
        if not session.allows("read"):
            raise Refused(403, f"the key {session.key.name!r} does not have the scope 'read'")
        registry = clerk.opened()
        record = await blocking(registry.get, _known(certificate_id))
        body = await blocking(registry.pdf, record.id)
        kind = "-draft.pdf" if record.status == "provisional" else ".pdf"
        headers = HEADERS | {
            "Content-Disposition": f'attachment; filename="{_file_name(record.serial, kind)}"'
        }
        return Response(body, media_type="application/pdf", headers=headers)

    @web.get("/app/c/{certificate_id}/export.json")
    async def export(request: Request, certificate_id: str) -> Response:
        session = clerk.session(request)
        if not session.allows("read"):
            raise Refused(403, f"the key {session.key.name!r} does not have the scope 'read'")
        record = await blocking(clerk.opened().get, _known(certificate_id))
        return _json_download(record.data, _file_name(record.serial, ".json"))

    @web.post("/app/edit")
    async def edit(request: Request) -> Response:
        fields = formdata.parse_body(await request.body())
        action = fields.get("action", "")
        if action in ("save", "finalize"):
            return await _issue(clerk, request, action)
        session, fields = await clerk.posted(request)
        if action == "export":
            data = formdata.data_from_fields(fields)
            return _json_download(data, _file_name(data.get("serial"), ".json"))
        if _ITEM_ACTION.fullmatch(action):
            fields = formdata.moved_items(fields, action)
        record = await _record_of(clerk, session, fields)
        if record is not None and record.status != PROVISIONAL:
            raise Refused(409, NO_LONGER_PROVISIONAL)
        return await clerk.editor(session, fields, record)

    @web.post("/app/check")
    async def check(request: Request) -> HTMLResponse:
        """The live check (htmx): out-of-band swaps of findings, capacity, preview, finalize."""
        session, fields = await clerk.posted(request)
        known_form(fields)
        offered = finalizable(session, await _record_of(clerk, session, fields))  # as the page's button
        data = formdata.data_from_fields(fields)
        checked = checking.check(data)
        preview = await clerk.preview(session, data) if checked.certificate is not None else None
        return html(checking.check_fragments(data, checked, preview, offered))

    @web.get("/app/preview/{token}.png")
    async def preview(request: Request, token: str) -> Response:
        session = clerk.session(request)
        png = clerk.previews.get(session.session_id, token) if _TOKEN.fullmatch(token) else None
        if png is None:
            raise Refused(404, "this preview is no longer kept: change a field to make a new one")
        return Response(
            png, media_type="image/png", headers=HEADERS | {"Cache-Control": "private, max-age=600"}
        )
