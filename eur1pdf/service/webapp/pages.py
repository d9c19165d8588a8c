"""The clerk's pages as HTML: sign-in, the list of certificates, choosing a new one's agreement
and form, importing a file, and the certificate itself. Everything shown is escaped."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape
from pathlib import Path
from string import Template
from urllib.parse import quote

from eur1pdf.layouts import get_layout, layout_names
from eur1pdf.rules.agreements import Agreement, agreements
from eur1pdf.service.ownership import OTHERS, may_change
from eur1pdf.service.registry import Record
from eur1pdf.service.webapp.checking import finalize_button, preview_html
from eur1pdf.service.webapp.editor import sheet_html
from eur1pdf.service.webapp.session import Session

PAGE = Template((Path(__file__).with_name("templates") / "page.html").read_text(encoding="utf-8"))
CHECK_BUTTON = (
    '<p class="checkbar"><button type="submit" name="action" value="check" class="small">Check now</button> '
    '<span class="note">(the form is checked as you type when JavaScript is on)</span></p>'
)
STATUS_TEXT = {"provisional": "Provisional", "final": "Final", "cancelled": "Cancelled"}


def page(title: str, body: str, session: Session | None = None, head: str = "") -> str:
    nav = ""
    if session is not None:
        nav = (
            '<nav aria-label="Main"><a href="/app">Certificates</a> <a href="/app/new">New certificate</a> '
            '<a href="/app/import">Import JSON</a>'
            f'<form method="post" action="/app/sign-out" class="inline">{csrf_input(session)}'
            f'<button type="submit" class="link">Sign out ({escape(session.key.name)})</button></form></nav>'
        )
    return PAGE.substitute(title=escape(title), body=body, nav=nav, head=head)


def csrf_input(session: Session) -> str:
    return f'<input type="hidden" name="csrf" value="{escape(session.csrf)}">'


def sign_in_page(message: str = "") -> str:
    alert = f'<p class="alert" role="alert">{escape(message)}</p>' if message else ""
    body = (
        '<section class="narrow"><h1>Sign in</h1>'
        "<p>Sign in with an API key of this service (the operator gives each clerk one).</p>"
        f'{alert}<form method="post" action="/app/sign-in">'
        '<div class="field"><label for="key">API key</label>'
        '<input id="key" name="key" type="password" autocomplete="current-password" required></div>'
        '<button type="submit" class="primary">Sign in</button></form></section>'
    )
    return page("Sign in", body)


def _when(record: Record) -> str:
    return record.updated_at.strftime("%Y-%m-%d %H:%M UTC")


LIST_VIEWS = {"mine": "Mine", "all": "Every key's"}


def _list_views(view: str) -> str:
    """The two views of the list: the signed-in key's own certificates (the default), or everyone's."""
    current = ' aria-current="page" class="current"'
    links = " ".join(
        f'<a href="/app?who={name}"{current if name == view else ""}>{text}</a>'
        for name, text in LIST_VIEWS.items()
    )
    return f'<nav class="views" aria-label="Whose certificates">{links}</nav>'


def _records_table(session: Session, records: Sequence[Record], everyone: bool, total: int) -> str:
    rows = "".join(
        f'<tr><td><a href="/app/c/{quote(r.id)}">{escape(r.serial or "(no serial)")}</a></td>'
        f"<td>{escape(get_layout(r.form).title if r.form in layout_names() else r.form)}</td>"
        f"<td>{escape(r.agreement)}</td>"
        f'<td><span class="status status-{escape(r.status)}">'
        f"{STATUS_TEXT.get(r.status, r.status)}</span></td>"
        + (f'<td class="by">{escape(r.created_by or "(unknown)")}</td>' if everyone else "")
        + f"<td>{_when(r)}</td></tr>"
        for r in records
    )
    whose = "Every key's certificates" if everyone else f"Certificates made with the key {session.key.name}"
    shown = f"{total}" if total <= len(records) else f"the {len(records)} newest of {total}"
    return (
        f'<div class="scroll"><table class="records"><caption>{escape(whose)} ({shown}), newest first'
        '</caption><thead><tr><th scope="col">Serial</th><th scope="col">Form</th>'
        '<th scope="col">Agreement</th><th scope="col">Status</th>'
        + ('<th scope="col">Created by</th>' if everyone else "")
        + f'<th scope="col">Changed</th></tr></thead><tbody>{rows}</tbody></table></div>'
    )


def list_page(session: Session, records: Sequence[Record] | None, view: str = "mine", total: int = 0) -> str:
    """The certificates the key created (``view="mine"``), or every key's (``"all"``, with who)."""
    everyone = view == "all"
    if records is None:
        table = f"<p>The key {escape(session.key.name)!s} may not read the registry (scope read).</p>"
    elif not records:
        none = "No certificates yet." if everyone else f"The key {escape(session.key.name)} made none yet."
        table = f'<p>{none} <a href="/app/new">Start a new certificate</a>.</p>'
    else:
        table = _records_table(session, records, everyone, total)
    body = (
        '<h1>Certificates</h1><p class="actions">'
        '<a class="button primary" href="/app/new">New certificate</a> '
        f'<a class="button" href="/app/import">Import a JSON file</a></p>'
        f"{_list_views(view) if records is not None else ''}{table}"
    )
    return page("Certificates", body, session)


def issuing_agreements() -> list[Agreement]:
    return [row for row in agreements().values() if row.certificate and row.forms]


def new_page(session: Session, agreement: str | None) -> str:
    """Step 1: the agreement; step 2: a form the agreement allows."""
    rows = issuing_agreements()
    options = "".join(
        f'<option value="{escape(a.key)}"{" selected" if a.key == agreement else ""}>'
        f"{escape(a.name)} ({escape(a.key)})</option>"
        for a in rows
    )
    body = (
        '<h1>New certificate</h1><form method="get" action="/app/new" class="narrow">'
        '<div class="field"><label for="agreement">Agreement</label>'
        f'<select id="agreement" name="agreement">{options}</select></div>'
    )
    chosen = next((a for a in rows if a.key == agreement), None)
    if chosen is None:
        body += '<button type="submit" class="primary">Next: choose the form</button></form>'
        return page("New certificate", body, session)
    forms = [name for name in chosen.forms if name in layout_names()]
    radios = "".join(
        f'<div class="field check"><input type="radio" id="form-{escape(n)}" name="form" value="{escape(n)}"'
        f"{' checked' if i == 0 else ''}>"
        f'<label for="form-{escape(n)}">{escape(get_layout(n).title)}</label></div>'
        for i, n in enumerate(forms)
    )
    body += (
        f"<fieldset><legend>Form ({escape(chosen.name)} allows {len(forms)})</legend>{radios}</fieldset>"
        '<button type="submit" name="start" value="1" class="primary">Start the certificate</button></form>'
    )
    return page("New certificate", body, session)


def import_page(session: Session, message: str = "") -> str:
    alert = f'<p class="alert" role="alert">{escape(message)}</p>' if message else ""
    body = (
        "<h1>Import a certificate (JSON)</h1><p>Start from a file your ERP wrote in the eur1pdf input "
        "format. The form opens with its data; nothing is saved until you save it.</p>"
        f'{alert}<form method="post" action="/app/import" class="narrow">{csrf_input(session)}'
        '<div class="field"><label for="file">JSON file</label>'
        '<input id="file" type="file" accept=".json,application/json" data-fills="json"></div>'
        '<div class="field"><label for="json">or paste the JSON</label>'
        '<textarea id="json" name="json" rows="12" spellcheck="false"></textarea></div>'
        '<button type="submit" class="primary">Open in the form</button></form>'
    )
    return page("Import", body, session)


def _toolbar(form: str, agreement: Agreement | None, record: Record | None) -> str:
    title = get_layout(form).title if form in layout_names() else form
    status = (
        f'<span class="status status-{escape(record.status)}">{STATUS_TEXT.get(record.status, "")}</span>'
        if record is not None
        else '<span class="status status-new">Not saved</span>'
    )
    who = escape(agreement.name) if agreement is not None else "no agreement chosen"
    return f'<h1>{escape(title)} {status}</h1><p class="sub">Agreement: {who}</p>'


def _actions(session: Session, record: Record | None, read_only: bool, errors: bool) -> str:
    out = []
    if not read_only and session.allows("issue"):
        out.append(
            '<button type="submit" name="action" value="save" class="primary">Save as provisional</button>'
        )
    if record is not None:
        kind = "draft" if record.status == "provisional" else "final"
        out.append(
            f'<a class="button" href="/app/c/{quote(record.id)}/pdf" download>Download the {kind} PDF</a>'
        )
        out.append(f'<a class="button" href="/app/c/{quote(record.id)}/export.json" download>Export JSON</a>')
    else:
        out.append('<button type="submit" name="action" value="export">Export JSON</button>')
    if not read_only and session.allows("finalize"):
        out.append(finalize_button("" if not errors and finalizable(session, record) else " disabled"))
    return '<div class="actions" id="actions">' + " ".join(out) + "</div>"


CANCEL_REASON_MAX = 500  # characters: it is shown on the verification page


def _cancel_form(session: Session, record: Record | None, open_: bool) -> str:
    """Cancel a final certificate, with its reason (the only change a final allows); a form of its
    own after the editor's (forms do not nest), behind a disclosure so it is never clicked by chance."""
    if record is None or record.status != "final" or not session.allows("cancel"):
        return ""
    if not may_change(session.key, record):  # another key's final: the scope others cancels it
        return ""
    return (
        f'<details class="cancel" id="cancel"{" open" if open_ else ""}>'
        "<summary>Cancel certificate…</summary>"
        f'<form method="post" action="/app/c/{quote(record.id)}/cancel" class="narrow">{csrf_input(session)}'
        "<p>Cancelling withdraws the issued certificate for good: its verification page then says "
        "CANCELLED, with the reason. Its PDF and serial stay; the serial is never issued again.</p>"
        '<div class="field"><label for="cancel-reason">Reason (shown on the verification page)</label>'
        f'<textarea id="cancel-reason" name="reason" rows="2" required maxlength="{CANCEL_REASON_MAX}">'
        '</textarea></div><button type="submit" class="danger">Cancel certificate</button></form></details>'
    )


def editor_page(
    session: Session,
    fields: Mapping[str, str],
    record: Record | None,
    findings_html: Mapping[str, str],
    summary: tuple[str, str],
    capacity: str,
    preview_src: str | None,
    message: str = "",
) -> str:
    """The certificate: the form in its arrangement, findings, capacity, preview and actions."""
    form, key = fields.get("form", "eur1"), fields.get("agreement", "")
    agreement = agreements().get(key)
    read_only = record is not None and (record.status != "provisional" or not _changes(session, record))
    live = not read_only
    hidden = "".join(
        f'<input type="hidden" name="{name}" value="{escape(fields.get(name, ""))}">'
        for name in ("form", "agreement", "_rest")
    ) + (f'<input type="hidden" name="id" value="{escape(record.id)}">' if record is not None else "")
    check = ' hx-post="/app/check" hx-trigger="input delay:500ms" hx-swap="none" hx-sync="this:queue last"'
    failed = message.startswith("Not done")
    kind = '"alert" role="alert"' if failed else '"alert done" role="status"'
    alert = f"<p class={kind}>{escape(message)}</p>" if message else ""
    note = _read_only_note(session, record) if read_only and record is not None else ""
    state, text = summary
    errors = state == "errors"
    body = (
        f"{_toolbar(form, agreement, record)}{alert}{note}"
        f'<form id="editor" method="post" action="/app/edit" novalidate{check if live else ""}>'
        f"{csrf_input(session)}{hidden}"
        f'<p id="summary" class="summary {state}" role="status">{escape(text)}</p>'
        # the form's first submit button: Enter in a field checks (re-renders), never moves an item
        + (CHECK_BUTTON if live else "")
        + '<div class="findings" id="findings-general" aria-live="polite">'
        f"{findings_html.get('general', '')}</div>"
        '<div class="workspace"><fieldset class="certificate"'
        f'{" disabled" if read_only else ""}><legend class="visually-hidden">The certificate</legend>'
        f"{sheet_html(fields, form, agreement, live)}</fieldset>"
        '<aside class="side" aria-label="Preview and capacity"><h2>Preview</h2>'
        f'<p id="capacity">{escape(capacity)}</p>{preview_html(preview_src)}</aside></div>'
        f"{_actions(session, record, read_only, errors)}</form>"
        f"{_cancel_form(session, record, failed)}"
    )
    head = f'<link rel="stylesheet" href="/app/static/form/{quote(form)}.css">'
    filled = page(form, _fill_findings(body, findings_html), session, head)
    return filled


def finalizable(session: Session, record: Record | None) -> bool:
    """Whether this key may finalize this stored certificate from the page (findings aside): a
    provisional it may change (finalizing saves the form first: scope issue, its own or ``others``)
    and the scope finalize. The page's button and the live check's (/app/check) both ask here, so
    the button is never offered to be answered 403."""
    return (
        record is not None
        and record.status == "provisional"
        and _changes(session, record)
        and session.allows("finalize")
    )


def _changes(session: Session, record: Record) -> bool:
    """Whether this key may change this provisional certificate: scope issue, and its own (or others)."""
    return session.allows("issue") and may_change(session.key, record)


def _read_only_note(session: Session, record: Record) -> str:
    """Why the certificate opens read-only: final or cancelled, or another key's (or no scope issue)."""
    if record.status == "provisional":
        why = (
            f"the key {session.key.name} does not have the scope issue"
            if not session.allows("issue")
            else f"it was made with the key {record.created_by or '(unknown)'}, and the key "
            f"{session.key.name} changes only its own (the scope {OTHERS} allows every key's)"
        )
        return f'<p class="alert info" role="note">This certificate is provisional: {escape(why)}.</p>'
    tone = "alert cancelled" if record.status == "cancelled" else "alert info"  # withdrawn: red
    note = f'<p class="{tone}" role="note">This certificate is {escape(record.status)}: '
    note += "it can no longer be changed."
    if record.cancel_reason:
        note += f" Reason: {escape(record.cancel_reason)}."
    if record.verify_link:
        note += f' <a href="{escape(record.verify_link)}">Its verification page</a>.'
    return note + "</p>"


def _fill_findings(body: str, findings_html: Mapping[str, str]) -> str:
    """Put each region's findings (made with the page) into its empty list."""
    for key, html in findings_html.items():
        if key == "general":
            continue
        empty = f'<div class="findings" id="findings-{key}" aria-live="polite"></div>'
        body = body.replace(
            empty, f'<div class="findings" id="findings-{key}" aria-live="polite">{html}</div>', 1
        )
    return body
