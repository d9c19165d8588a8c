"""The certificate form as HTML: the form's boxes in its own arrangement, each with its inputs.

Every input has a label (a visible one, or in box 8's table a label the
screen reader reads and a phone shows), is named by its data path, and
has an empty findings list beside it that the live check fills. Values are
escaped; nothing of the certificate is ever written unescaped into the page.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from html import escape

from eur1pdf.layouts import get_layout
from eur1pdf.rules.agreements import Agreement
from eur1pdf.service.webapp.formdata import ITEM_FIELDS, item_count
from eur1pdf.service.webapp.grid import Region, css_class, page_texts, regions

Fields = Mapping[str, str]
LANGUAGES = (
    ("", "English (default)"),
    ("en", "English"),
    ("fr", "French"),
    ("de", "German"),
    ("it", "Italian"),
)


def _id(name: str) -> str:
    return "f-" + name.replace("[", "-").replace("]", "").replace(".", "-")


def _label(name: str) -> str:
    return str(page_texts()["fields"].get(name, name))


def text_input(fields: Fields, name: str, kind: str = "text", hint: str = "") -> str:
    value = escape(fields.get(name, ""))
    extra = f' placeholder="{escape(hint)}"' if hint else ""
    return (
        f'<div class="field"><label for="{_id(name)}">{escape(_label(name))}</label>'
        f'<input id="{_id(name)}" name="{escape(name)}" type="{kind}" value="{value}"{extra}></div>'
    )


def lines_input(fields: Fields, name: str, rows: int = 3) -> str:
    value = escape(fields.get(name, ""))
    return (
        f'<div class="field"><label for="{_id(name)}">{escape(_label(name))}</label>'
        f'<textarea id="{_id(name)}" name="{escape(name)}" rows="{rows}">{value}</textarea></div>'
    )


def check_input(fields: Fields, name: str) -> str:
    checked = " checked" if fields.get(name) == "true" else ""
    return (
        f'<div class="field check">'
        f'<input id="{_id(name)}" name="{name}" type="checkbox" value="true"{checked}>'
        f'<label for="{_id(name)}">{escape(_label(name))}</label></div>'
    )


def _party(fields: Fields, prefix: str) -> str:
    return (
        text_input(fields, f"{prefix}.name")
        + lines_input(fields, f"{prefix}.address", 2)
        + text_input(fields, f"{prefix}.country")
    )


def _header(fields: Fields) -> str:
    options = "".join(
        f'<option value="{code}"{" selected" if fields.get("language", "") == code else ""}>{label}</option>'
        for code, label in LANGUAGES
    )
    language = (
        f'<div class="field"><label for="f-language">{escape(_label("language"))}</label>'
        f'<select id="f-language" name="language">{options}</select></div>'
    )
    return (
        '<div class="pair">'
        + text_input(fields, "serial")
        + text_input(fields, "issue_date")
        + "</div>"
        + language
    )


def _box7(fields: Fields, cumulation: bool) -> str:
    out = ""
    if cumulation:
        choice = fields.get("cumulation", "")
        radios = "".join(
            f'<div class="field check"><input type="radio" id="f-cumulation-{value}" name="cumulation" '
            f'value="{value}"{" checked" if choice == value else ""}>'
            f'<label for="f-cumulation-{value}">{label}</label></div>'
            for value, label in (("applied", "cumulation applied with …"), ("none", "no cumulation applied"))
        )
        out += (
            '<fieldset class="cumulation"><legend>Cumulation (the form\'s check boxes)</legend>'
            + radios
            + lines_input(fields, "cumulation.applied_with", 2)
            + "</fieldset>"
        )
    out += (
        '<div class="pair">'
        + check_input(fields, "duplicate")
        + check_input(fields, "retrospective")
        + "</div>"
    )
    return out + lines_input(fields, "remarks", 2)


def item_columns(form: str, agreement: Agreement | None, fields: Fields) -> list[str]:
    """Box 8's columns: HS code and origin criterion where the agreement or the form asks for
    them (or the data already has them)."""
    goods = get_layout(form).certificate_face.goods
    own_columns = {column.source for column in goods.columns} if goods is not None else set()
    asked = {
        "hs_code": agreement is not None and agreement.hs_digits is not None,
        "origin_criterion": agreement is not None and agreement.origin_criteria is not None,
    }
    count = item_count(fields)
    shown = []
    for name in ITEM_FIELDS:
        has_data = any(fields.get(f"items[{n}].{name}") for n in range(count))
        if asked.get(name, True) or has_data or name in own_columns:
            shown.append(name)
    return shown


def _item_cell(fields: Fields, n: int, name: str, agreement: Agreement | None) -> str:
    key = f"items[{n}].{name}"
    label = f"Item {n + 1}: {page_texts()['items'][name]}"
    head = f'<label class="cell-label" for="{_id(key)}">{escape(label)}</label>'
    value = fields.get(key, "")
    criteria = agreement.origin_criteria if agreement is not None else None
    if name == "origin_criterion" and criteria:
        options = "".join(
            f'<option value="{escape(c)}"{" selected" if value == c else ""}>{escape(c) or "—"}</option>'
            for c in ["", *criteria, *([value] if value and value not in criteria else [])]
        )
        return f'<td class="c-{name}">{head}<select id="{_id(key)}" name="{key}">{options}</select></td>'
    tag = "textarea" if name == "description" else "input"
    if tag == "textarea":
        control = f'<textarea id="{_id(key)}" name="{key}" rows="2">{escape(value)}</textarea>'
    else:
        control = f'<input id="{_id(key)}" name="{key}" value="{escape(value)}">'
    return f'<td class="c-{name}">{head}{control}</td>'


def _row_buttons(n: int, count: int, live: bool) -> str:
    def button(action: str, text: str, label: str, disabled: bool) -> str:
        hx = (
            ' hx-post="/app/edit" hx-target="#box8-table" hx-select="#box8-table" hx-swap="outerHTML"'
            if live
            else ""
        )
        off = " disabled" if disabled else ""
        return (
            f'<button type="submit" class="small" name="action" value="{action}" '
            f'aria-label="{label}"{hx}{off}>{text}</button>'
        )

    return (
        button(f"up:{n}", "↑", f"Move item {n + 1} up", n == 0)
        + button(f"down:{n}", "↓", f"Move item {n + 1} down", n == count - 1)
        + button(f"remove:{n}", "✕", f"Remove item {n + 1}", False)
    )


def items_table(fields: Fields, form: str, agreement: Agreement | None, live: bool) -> str:
    """Box 8 (and 9) as a table of items: one row an item, add, remove and move buttons."""
    columns = item_columns(form, agreement, fields)
    count = item_count(fields)
    head = "".join(f'<th scope="col" class="c-{c}">{escape(page_texts()["items"][c])}</th>' for c in columns)
    rows = "".join(
        f'<tr id="item-{n}"><th scope="row" class="c-no">{n + 1}</th>'
        + "".join(_item_cell(fields, n, c, agreement) for c in columns)
        + (f'<td class="c-actions">{_row_buttons(n, count, live)}</td>' if live else "")
        + "</tr>"
        for n in range(count)
    )
    hidden = "".join(
        f'<input type="hidden" name="items[{n}].{name}" '
        f'value="{escape(fields.get(f"items[{n}].{name}", ""))}">'
        for n in range(count)
        for name in ITEM_FIELDS
        if name not in columns
    )
    hx = ' hx-post="/app/edit" hx-target="#box8-table" hx-select="#box8-table" hx-swap="outerHTML"'
    actions_head = (
        '<th scope="col" class="c-actions"><span class="visually-hidden">Move or remove</span></th>'
    )
    add = f'<button type="submit" name="action" value="add_item"{hx}>Add an item</button>' if live else ""
    return (
        f'<div id="box8-table"><table class="items"><caption class="visually-hidden">Items of box 8</caption>'
        f'<thead><tr><th scope="col" class="c-no">No</th>{head}{actions_head if live else ""}</tr></thead>'
        f"<tbody>{rows}</tbody></table>{hidden}{add}</div>"
    )


def region_body(key: str, fields: Fields, form: str, agreement: Agreement | None, live: bool) -> str:
    bodies: dict[str, Callable[[], str]] = {
        "header": lambda: _header(fields),
        "1": lambda: _party(fields, "exporter"),
        "2": lambda: text_input(fields, "trade.from") + text_input(fields, "trade.to"),
        "3": lambda: _party(fields, "consignee"),
        "4": lambda: text_input(fields, "origin"),
        "5": lambda: text_input(fields, "destination"),
        "6": lambda: text_input(fields, "transport"),
        "7": lambda: _box7(fields, get_layout(form).prepared.prints_cumulation),
        "8": lambda: items_table(fields, form, agreement, live),
        "10": lambda: lines_input(fields, "invoices", 6),
        "11": lambda: (
            "".join(
                text_input(fields, f"endorsement.{n}")
                for n in ("office", "date", "reference", "export_document")
            )
            + '<p class="note">Printed on the final certificate only.</p>'
        ),
        "12": lambda: "".join(text_input(fields, f"declaration.{n}") for n in ("place", "date", "signatory")),
    }
    return bodies[key]() if key in bodies else ""


def _region(region: Region, body: str) -> str:
    number = "" if region.key == "header" else f'<span class="number">{escape(region.key)}.</span> '
    heading_id = f"box-{region.key}-heading"
    return (
        f'<section class="region region-{region.key}" id="box-{region.key}" aria-labelledby="{heading_id}">'
        f'<h3 id="{heading_id}" class="box-label">{number}{escape(region.label)}</h3>'
        f'{body}<div class="findings" id="findings-{region.key}" aria-live="polite"></div></section>'
    )


def sheet_html(fields: Fields, form: str, agreement: Agreement | None, live: bool) -> str:
    """The form's front (boxes 1–12 and the number) and sheet 3's application texts."""
    boxes = "".join(
        _region(region, region_body(region.key, fields, form, agreement, live)) for region in regions(form)
    )
    sheet3 = (
        '<section class="region region-sheet3" id="box-sheet3" aria-labelledby="box-sheet3-heading">'
        '<h3 id="box-sheet3-heading" class="box-label">Sheet 3, reverse: the application</h3>'
        + lines_input(fields, "application.circumstances", 2)
        + lines_input(fields, "application.supporting_documents", 2)
        + '<div class="findings" id="findings-sheet3" aria-live="polite"></div></section>'
    )
    return f'<div class="sheet {css_class(form)}">{boxes}</div>{sheet3}'
