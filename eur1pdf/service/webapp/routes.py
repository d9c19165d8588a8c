"""``/app``: the clerk's pages, a FastAPI application of its own beside the JSON API.

It answers before the API's key check (the clerk signs in once with a key and
then carries a session cookie, :mod:`.session`); every page needs the session,
every POST its CSRF token, and every registry change the key's scope, exactly
as over ``/v1/registry`` (the audit trail records the key's name). Registry
calls run in threads, PDFs and previews in the service's worker processes.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from datetime import UTC, datetime
from html import escape
from typing import Any, TypeVar
from urllib.parse import urlsplit

import anyio.to_thread
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException

from eur1pdf.errors import internal_error as count_internal_error
from eur1pdf.layouts import layout_names
from eur1pdf.options import FillOptions
from eur1pdf.rules.agreements import agreements
from eur1pdf.service.auth import checked_key, client_address
from eur1pdf.service.config import ServerConfig
from eur1pdf.service.meta import log
from eur1pdf.service.ownership import may_change
from eur1pdf.service.previews import page_png
from eur1pdf.service.ratelimit import TokenBuckets
from eur1pdf.service.registry import PROVISIONAL, Conflict, NotAllowed, NotFound, Record, Registry, RuleErrors
from eur1pdf.service.registry import verify_url_template as link_template
from eur1pdf.service.webapp import checking, formdata, pages
from eur1pdf.service.webapp.assets import add_static_routes
from eur1pdf.service.webapp.session import Session, Sessions, is_https
from eur1pdf.service.workers import RenderingPool

T = TypeVar("T")
LIST_LENGTH = 200  # certificates on the list page, newest first
HEADERS = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
}


class Refused(Exception):
    """A request the page answers with a status and a short message (no session, bad CSRF …)."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


def html(body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(body, status_code=status, headers=HEADERS)


async def blocking(call: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    return await anyio.to_thread.run_sync(functools.partial(call, *args, **kwargs))


class Clerk:
    """What the routes share: the sessions, the registry, the workers, the previews."""

    def __init__(
        self,
        config: ServerConfig,
        sessions: Sessions,
        opened: Callable[[], Registry],
        workers: RenderingPool,
        failures: TokenBuckets,
    ):
        self.config, self.sessions, self.opened, self.workers = config, sessions, opened, workers
        self.failures = failures  # wrong keys per client address, shared with the API's key check
        self.previews = checking.PreviewStore()
        self.template = link_template(config.public_url)
        self.final_kwargs = {"lock_password": config.base.lock_password, "signing": config.base.signing}

    def session(self, request: Request) -> Session:
        session = self.sessions.of(request)
        if session is None:
            raise Refused(401, "sign in first")
        return session

    async def posted(self, request: Request, scope: str | None = None) -> tuple[Session, dict[str, str]]:
        """The session and the form's fields of a POST, its CSRF token checked (403 otherwise)."""
        session = self.session(request)
        fields = formdata.parse_body(await request.body())
        if not self.sessions.csrf_ok(session, fields.get("csrf")):
            raise Refused(403, "the form's security token is missing or stale: reload the page and try again")
        if scope is not None and not session.allows(scope):
            raise Refused(403, f"the key {session.key.name!r} does not have the scope {scope!r}")
        return session, fields

    async def preview(self, session: Session, data: dict[str, Any]) -> str | None:
        """The draft's first page as PNG (as POST /v1/preview makes it), kept for this session."""
        options = FillOptions(draft=True, allow_errors=True)
        answer = await self.workers.run(data, options, (1, checking.PREVIEW_DPI))
        if answer.status_code != 200:
            return None
        token = self.previews.put(session.session_id, bytes(answer.body))
        return f"/app/preview/{token}.png"

    async def final_preview(self, session: Session, record: Record) -> str:
        """The issued PDF's first page (not a new rendering: what was issued)."""
        pdf = await blocking(self.opened().final_pdf, record.id)
        png = await self.workers.call(page_png, pdf, 1, checking.PREVIEW_DPI)
        return f"/app/preview/{self.previews.put(session.session_id, png)}.png"

    async def editor(
        self,
        session: Session,
        fields: dict[str, str],
        record: Record | None,
        message: str = "",
        status: int = 200,
    ) -> HTMLResponse:
        known_form(fields)
        if (
            record is not None
            and not session.allows("read")
            and not (record.status == PROVISIONAL and may_change(session.key, record))
        ):  # the last guard: nothing stored is shown to a key without read but its own provisional's id
            raise Refused(403, f"the key {session.key.name!r} does not have the scope 'read'")
        data = formdata.data_from_fields(fields)
        checked = checking.check(data)
        by_region = checking.findings_by_region(checked, fields.get("form", "eur1"))
        rendered = {key: checking.findings_html(found) for key, found in by_region.items()}
        state = "errors" if checked.errors else "warnings" if checked.findings else "clean"
        changeable = record is None or (session.allows("issue") and may_change(session.key, record))
        summary = (state, checking.summary_text(checked, changeable))
        src: str | None
        if record is not None and record.status != "provisional":
            text = f"{record.status.capitalize()}: issued {record.finalized_at:%Y-%m-%d %H:%M} UTC."
            if record.cancelled_at is not None:  # shown as an error: the certificate is void
                state = "errors"
                text = (
                    f"Cancelled {record.cancelled_at:%Y-%m-%d %H:%M} UTC "
                    f"(issued {record.finalized_at:%Y-%m-%d %H:%M} UTC)."
                )
            summary = (state, text)
            src = await self.final_preview(session, record)
        else:
            src = await self.preview(session, data) if checked.certificate is not None else None
        body = pages.editor_page(
            session, fields, record, rendered, summary, checking.capacity_text(data, checked), src, message
        )
        return html(body, status)


def known_form(fields: dict[str, str]) -> None:
    """The page is laid out from the form's layout: an imported file or a hand-made post naming
    no known form is refused (422) rather than failing the page with an internal error."""
    form = fields.get("form", "eur1")
    if form not in layout_names():
        raise Refused(422, f"unknown form {form!r}: one of {', '.join(layout_names())}")


def add_page_routes(web: FastAPI, clerk: Clerk) -> None:
    """Sign-in and out, the list, new, import."""

    @web.get("/app")
    async def home(request: Request, who: str = "") -> Response:
        """The key's own certificates (those it created), or with ``?who=all`` every key's: both need
        the scope read, which over ``GET /v1/registry`` lists every certificate anyway. The default:
        its own for a key that issues, every key's for one that only reads (it made none)."""
        session = clerk.sessions.of(request)
        if session is None:
            return html(pages.sign_in_page())
        if not session.allows("read"):
            return html(pages.list_page(session, None))
        view = who if who in pages.LIST_VIEWS else "mine" if session.allows("issue") else "all"
        created_by = None if view == "all" else session.key.name
        registry = clerk.opened()
        records = await blocking(registry.records, created_by=created_by, limit=LIST_LENGTH)
        total = await blocking(registry.count, created_by=created_by)
        return html(pages.list_page(session, records, view, total))

    @web.post("/app/sign-in")
    async def sign_in(request: Request) -> Response:
        origin = request.headers.get("origin")  # a sign-in form posted from another site: refused
        if origin is not None and urlsplit(origin).netloc != request.headers.get("host", ""):
            raise Refused(403, "sign in from this service's own page")
        fields = formdata.parse_body(await request.body())  # whole, before the throttle is asked
        secret, client = fields.get("key", "").strip(), client_address(request.scope)
        checked = checked_key(clerk.sessions.sign_in, secret, clerk.failures, client)
        if checked.wait > 0:  # too many wrong keys from here: the key typed is not even looked at
            retry = TokenBuckets.retry_after(checked.wait)
            page = html(
                pages.sign_in_page(f"Too many wrong keys from this address: try again in {retry} s."), 429
            )
            page.headers["Retry-After"] = retry
            return page
        key = checked.key
        if key is None:
            return html(pages.sign_in_page("This key is not known to the service."), 401)
        response = RedirectResponse("/app", status_code=303, headers=HEADERS)
        clerk.sessions.start(response, key, is_https(request))
        return response

    @web.post("/app/sign-out")
    async def sign_out(request: Request) -> Response:
        session, _ = await clerk.posted(request)
        response = RedirectResponse("/app", status_code=303, headers=HEADERS)
        clerk.sessions.end(session, response, is_https(request))
        return response

    @web.get("/app/new")
    async def new(request: Request, agreement: str | None = None, form: str | None = None) -> Response:
        session = clerk.session(request)
        row = agreements().get(agreement or "")
        if row is not None and form in row.forms:
            today = datetime.now(UTC).date().isoformat()  # the document date: the clerk may change it
            fields = {"form": form, "agreement": row.key, "issue_date": today, "items[0].description": ""}
            return await clerk.editor(session, fields, None)
        return html(pages.new_page(session, agreement))

    @web.get("/app/import")
    async def import_form(request: Request) -> Response:
        return html(pages.import_page(clerk.session(request)))

    @web.post("/app/import")
    async def import_file(request: Request) -> Response:
        session, fields = await clerk.posted(request)
        try:
            data = json.loads(fields.get("json", ""))
        except ValueError as exc:
            return html(pages.import_page(session, f"Not valid JSON: {exc}"), 422)
        if not isinstance(data, dict):
            return html(
                pages.import_page(session, "The file must hold one certificate (a JSON object)."), 422
            )
        problem = formdata.shape_problem(data)
        if problem is not None:
            return html(pages.import_page(session, f"The file cannot be shown in the form: {problem}."), 422)
        return await clerk.editor(session, formdata.fields_from_data(data), None, "Imported: not saved yet.")


def add_routes(web: FastAPI, clerk: Clerk) -> None:
    add_page_routes(web, clerk)
    add_certificate_routes(web, clerk)
    add_static_routes(web, clerk)

    @web.exception_handler(Refused)
    async def refused(request: Request, exc: Refused) -> Response:
        if exc.status == 401:
            return RedirectResponse("/app", status_code=303, headers=HEADERS)
        message = escape(exc.message)  # it may quote a name or a value: never markup
        body = pages.page("Refused", f'<h1>Refused</h1><p class="alert" role="alert">{message}</p>')
        return html(body, exc.status)

    @web.exception_handler(NotAllowed)  # another key's certificate (eur1pdf.service.ownership)
    async def not_allowed(request: Request, exc: NotAllowed) -> Response:
        body = pages.page("Refused", f'<h1>Refused</h1><p class="alert" role="alert">{escape(str(exc))}</p>')
        return html(body, 403)

    @web.exception_handler(NotFound)
    async def not_found(request: Request, exc: NotFound) -> Response:
        return html(pages.page("Not found", "<h1>No such certificate</h1>"), 404)

    @web.exception_handler(HTTPException)  # the workers' 503 (busy, too slow), routing's 404 and 405
    async def http_error(request: Request, exc: HTTPException) -> Response:
        message = escape(str(exc.detail))
        body = pages.page("Not done", f'<h1>Not done</h1><p class="alert" role="alert">{message}</p>')
        return HTMLResponse(body, exc.status_code, headers=HEADERS | dict(exc.headers or {}))

    @web.exception_handler(Exception)  # as the API's: logged, counted (the tests fail on it), no trace
    async def internal(request: Request, exc: Exception) -> Response:
        log.exception("internal error on %s", request.url.path)
        count_internal_error(exc)
        return html(pages.page("Internal error", "<h1>Internal error</h1><p>It is logged.</p>"), 500)


def add_certificate_routes(web: FastAPI, clerk: Clerk) -> None:
    """One certificate: open, check live, edit, save, finalize, download, export."""
    from eur1pdf.service.webapp.certificate_routes import add_record_routes

    add_record_routes(web, clerk)


def rule_message(exc: RuleErrors | Conflict) -> str:
    if isinstance(exc, RuleErrors):
        return "Not done: the certificate breaks rules (see the findings)."
    return f"Not done: {exc}"
