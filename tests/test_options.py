"""FillOptions checks itself when it is made: a wrong option never reaches a render."""

from __future__ import annotations

from pathlib import Path

import pytest

from eur1pdf import FillOptions
from eur1pdf.options import OptionsError, SigningKey
from eur1pdf.plan import check_sheets, verification_link


@pytest.mark.parametrize(
    ("kwargs", "option", "words"),
    [
        ({"sheets": 1}, "sheets", "sheet numbers such as (1,)"),
        ({"sheets": "1"}, "sheets", "sheet numbers"),
        ({"sheets": (0,)}, "sheets", "sheet numbers"),
        ({"sheets": (1.0,)}, "sheets", "sheet numbers"),
        ({"end_mark": "star"}, "end_mark", "'line', 'stars', 'backslashes'"),
        ({"on_overflow": "spilt"}, "on_overflow", "'error', 'split'"),
        ({"draft": True, "final": True}, "draft", "either a draft or final"),
        ({"lock_password": "x"}, "lock_password", "final certificates"),
        ({"signing": SigningKey(Path("k.p12"), None)}, "signing", "final certificates"),
        ({"allow_errors": True}, "allow_errors", "draft only"),
        ({"printer": "shop.toml"}, "printer", "PrinterProfile"),
    ],
)
def test_a_bad_option_is_refused_at_construction(kwargs, option, words):
    with pytest.raises(OptionsError) as caught:
        FillOptions(**kwargs)
    assert caught.value.option == option
    assert words in str(caught.value)
    assert "--" not in str(caught.value)  # the library speaks of options, not of command-line flags


def test_good_options_are_kept_and_a_list_of_sheets_becomes_a_tuple():
    assert FillOptions(sheets=[1, 3]).sheets == (1, 3)
    assert FillOptions(sheets=()).sheets is None  # no sheet named: the whole set
    options = FillOptions(final=True, lock_password="pw", end_mark="stars", on_overflow="split")
    assert (options.lock_password, options.end_mark, options.on_overflow) == ("pw", "stars", "split")
    assert FillOptions(draft=True, allow_errors=True).allow_errors


def test_a_sheet_the_form_lacks_is_named_at_render_time(eur1):
    with pytest.raises(OptionsError, match=r"the eur1 set has no sheet 4 \(sheets: \[1, 2, 3\]\)"):
        check_sheets(eur1, (1, 4))
    assert check_sheets(eur1, (3, 1)) == [3, 1]
    assert check_sheets(eur1, None) is None


def test_a_verification_template_with_an_unknown_placeholder_names_the_option():
    from eur1pdf import load_certificate

    cert = load_certificate(Path(__file__).parent.parent / "examples" / "eur1-ch-mx.json")
    with pytest.raises(OptionsError) as caught:
        verification_link("https://x.example/{id}", cert, "ab")
    assert caught.value.option == "verify_url" and "{serial} and {digest}" in str(caught.value)
    assert verification_link("https://x.example/{serial}?d={digest}", cert, "ab") == (
        "https://x.example/A%20123.456?d=ab"
    )
