"""Internal (the PDF writer): how many bytes a foreign stream decodes to, counted without holding them.

A user's blank form (``--blank``) is imported as it is, but its page
contents are decoded when a page becomes a form, and every stream is decoded
again by whoever reads the certificate (a viewer, a printer, ``verify``).
A megabyte of Flate can hold a gigabyte: pikepdf would decode it in one
piece, so the size is measured here first, a chunk at a time through the
stream's filter chain, and the count stops at the cap. Decoding is lenient
as readers are: damaged data ends the stream where it breaks (what
follows is never shown), it is not an error of its own.
"""

from __future__ import annotations

import base64
import binascii
import re
import zlib
from collections.abc import Callable, Iterable, Iterator

CHUNK = 1 << 16
WHITESPACE = b" \t\r\n\f\x00"

Stage = Callable[[Iterable[bytes]], Iterator[bytes]]


class TooLarge(ValueError):
    """The stream decodes to more than the cap."""


def _flate(chunks: Iterable[bytes]) -> Iterator[bytes]:
    inflater = zlib.decompressobj()
    try:
        for chunk in chunks:
            data = chunk
            while data and not inflater.eof:
                yield inflater.decompress(data, CHUNK)
                data = inflater.unconsumed_tail
            if inflater.eof:
                return
    except zlib.error:
        return


def _run_length(chunks: Iterable[bytes]) -> Iterator[bytes]:
    data = b""
    for chunk in chunks:
        data += chunk
        out, i = bytearray(), 0
        while i < len(data):
            n = data[i]
            if n == 128:
                yield bytes(out)
                return
            if n < 128:
                if i + 2 + n > len(data):
                    break
                out += data[i + 1 : i + 2 + n]
                i += 2 + n
            else:
                if i + 1 >= len(data):
                    break
                out += data[i + 1 : i + 2] * (257 - n)
                i += 2
            if len(out) >= CHUNK:
                yield bytes(out)
                out = bytearray()
        data = data[i:]
        yield bytes(out)


def _ascii_hex(chunks: Iterable[bytes]) -> Iterator[bytes]:
    carry = b""
    for chunk in chunks:
        text = carry + chunk.translate(None, WHITESPACE)
        end = text.find(b">")
        if end >= 0:
            text = text[:end] + (b"0" if (end % 2) else b"")
        even = len(text) - len(text) % 2
        try:
            yield binascii.unhexlify(text[:even])
        except binascii.Error:
            return
        carry = text[even:]
        if end >= 0:
            return


_A85_GROUPS = re.compile(rb"(?:z|[!-u]{5})*")


def _ascii85(chunks: Iterable[bytes]) -> Iterator[bytes]:
    carry = b""
    for chunk in chunks:
        text = carry + chunk.translate(None, WHITESPACE)
        end = text.find(b"~")
        if end >= 0:
            text = text[:end]
        whole = _A85_GROUPS.match(text)
        cut = whole.end() if whole else 0
        rest = text[cut:]
        if end >= 0 and 0 < len(rest) < 5 and b"z" not in rest:  # the last, partial group
            cut = len(text)
        try:
            yield base64.a85decode(text[:cut])
        except ValueError:
            return
        if end >= 0 or (len(rest) >= 5):  # the end, or a character that is not base-85
            return
        carry = rest


def _lzw(early_change: int) -> Stage:
    def decode(chunks: Iterable[bytes]) -> Iterator[bytes]:
        table: list[bytes] = [bytes([i]) for i in range(256)] + [b"", b""]
        bits, buffer, held, previous = 9, 0, 0, b""
        for chunk in chunks:
            out = bytearray()
            for byte in chunk:
                buffer, held = (buffer << 8) | byte, held + 8
                while held >= bits:
                    held -= bits
                    code = buffer >> held
                    buffer &= (1 << held) - 1
                    if code == 256:
                        del table[258:]
                        bits, previous = 9, b""
                        continue
                    if code == 257:
                        yield bytes(out)
                        return
                    if code < len(table):
                        entry = table[code]
                    elif code == len(table) and previous:
                        entry = previous + previous[:1]
                    else:  # damaged
                        yield bytes(out)
                        return
                    if previous and len(table) < 4096:
                        table.append(previous + entry[:1])
                    out += entry
                    previous = entry
                    if len(table) + early_change >= (1 << bits) and bits < 12:
                        bits += 1
                if len(out) >= CHUNK:
                    yield bytes(out)
                    out = bytearray()
            yield bytes(out)

    return decode


#: filter name (and its abbreviation) -> decoder; the image codecs are not decoded (see image_bound)
DECODERS: dict[str, Callable[[int], Stage]] = {
    "FlateDecode": lambda _: _flate,
    "Fl": lambda _: _flate,
    "RunLengthDecode": lambda _: _run_length,
    "RL": lambda _: _run_length,
    "ASCIIHexDecode": lambda _: _ascii_hex,
    "AHx": lambda _: _ascii_hex,
    "ASCII85Decode": lambda _: _ascii85,
    "A85": lambda _: _ascii85,
    "LZWDecode": _lzw,
    "LZW": _lzw,
}
IMAGE_CODECS = frozenset({"DCTDecode", "DCT", "JPXDecode", "JBIG2Decode", "CCITTFaxDecode", "CCF"})


def _pieces(raw: bytes) -> Iterator[bytes]:
    for start in range(0, len(raw), CHUNK):
        yield raw[start : start + CHUNK]


def _capped(chunks: Iterator[bytes], cap: int) -> Iterator[bytes]:
    total = 0
    for chunk in chunks:
        total += len(chunk)
        if total > cap:
            raise TooLarge(cap)
        yield chunk


def _decoding(raw: bytes, filters: list[tuple[str, int]], cap: int) -> Iterator[bytes]:
    chunks: Iterator[bytes] = _pieces(raw)
    for name, early_change in filters:
        if name in IMAGE_CODECS:
            break
        chunks = _capped(DECODERS[name](early_change)(chunks), cap)
    return _capped(chunks, cap)


def decoded_size(raw: bytes, filters: list[tuple[str, int]], cap: int) -> int:
    """Bytes ``raw`` decodes to through ``filters`` ((name, LZW EarlyChange) in order), the image
    codecs left encoded; :class:`TooLarge` as soon as any stage passes ``cap``: nothing larger
    than a chunk is ever held, nor more than ``cap`` bytes decoded per stage."""
    return sum(len(chunk) for chunk in _decoding(raw, filters, cap))


def decoded(raw: bytes, filters: list[tuple[str, int]], cap: int) -> bytes:
    """What ``raw`` decodes to, as :func:`decoded_size` counts it (at most ``cap`` bytes held)."""
    return b"".join(_decoding(raw, filters, cap))
