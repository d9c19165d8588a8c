"""The blank-PDF limits in-process (fast): decoded sizes as qpdf decodes, caps, every genuine blank accepted.

The hostile files themselves, in a capped process, are in ``test_hostile_pdfs``.
"""

from __future__ import annotations

import base64
import zlib

import pikepdf
import pytest

from eur1pdf.pdf.decoding import TooLarge, decoded_size
from eur1pdf.pdf.foreign_limits import BlankRefused, check_blank

from . import blank_pdfs as b
from .conftest import ROOT

TEXT = b"".join(b"%d 0 0 %d re f\n" % (n, n * 7 % 101) for n in range(3000)) + b"\0" * 5000

CHAINS = [
    ["FlateDecode"],
    ["LZWDecode"],
    ["ASCII85Decode"],
    ["ASCIIHexDecode"],
    ["RunLengthDecode"],
    ["ASCII85Decode", "FlateDecode"],
    ["ASCIIHexDecode", "LZWDecode", "RunLengthDecode"],
]


@pytest.mark.parametrize("chain", CHAINS, ids="+".join)
def test_the_size_counted_is_what_qpdf_decodes(chain):
    pdf = pikepdf.new()
    stream = b.filtered_stream(pdf, TEXT, chain)
    assert stream.read_bytes(pikepdf.StreamDecodeLevel.specialized) == TEXT
    raw = stream.read_raw_bytes()
    assert decoded_size(raw, [(name, 1) for name in chain], 10**9) == len(TEXT)
    with pytest.raises(TooLarge):
        decoded_size(raw, [(name, 1) for name in chain], len(TEXT) - 1)


def test_ascii85_zeros_and_a_last_partial_group():
    data = b"\0" * 4000 + b"abc"
    raw = base64.a85encode(data, wrapcol=50) + b"~>"
    assert b"z" in raw
    assert decoded_size(raw, [("ASCII85Decode", 1)], 10**9) == len(data)


def test_a_bomb_is_stopped_at_the_cap_without_being_decoded():
    raw = b.deflated(b"\0" * 1_000_000, 50)  # 50 MB
    with pytest.raises(TooLarge):
        decoded_size(raw, [("FlateDecode", 1)], 10_000_000)
    with pytest.raises(TooLarge):
        decoded_size(b.lzw_zeros(3), [("LZWDecode", 1)], 10_000_000)


def test_damaged_data_ends_the_stream_where_it_breaks():
    whole = zlib.compress(TEXT)
    assert 0 < decoded_size(whole[: len(whole) // 2], [("FlateDecode", 1)], 10**9) < len(TEXT)
    assert decoded_size(b"41 42 4g 43>", [("ASCIIHexDecode", 1)], 10**9) == 0  # a bad digit: nothing after


@pytest.mark.parametrize("path", sorted((ROOT / "blank_forms").glob("*.pdf")), ids=lambda p: p.name)
def test_every_drawn_blank_is_a_blank_a_user_may_give(path):
    with pikepdf.open(path) as pdf:
        check_blank(pdf, path.name)


def test_a_refusal_names_the_blank_page_and_object():
    pdf = b.blank()
    b.draw_xobject(pdf, 1, b.nested_forms(pdf, 17))
    with pytest.raises(BlankRefused, match=r"^--blank scan\.pdf: page 2, object \d+ 0: forms drawn in forms"):
        check_blank(pdf, "scan.pdf")
