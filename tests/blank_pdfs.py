"""Blank form PDFs for the hostile-PDF tests: encoders for every filter, the attacks, hypothesis strategies.

Everything is made with pikepdf from real bytes (no mocks): the encoders
write what the PDF filters decode (checked against qpdf's own decoding in
``test_hostile_pdfs``), so a blank may use any filter chain.
"""

from __future__ import annotations

import base64
import binascii
import io
import zlib
from collections.abc import Callable

import pikepdf
from hypothesis import strategies as st

A4 = (595, 842)
FACE = b"0.2 w 20 20 555 802 re S BT /F1 12 Tf 40 780 Td (BLANK FORM) Tj ET\n"
Name = pikepdf.Name


def deflated(chunk: bytes, times: int) -> bytes:
    """``chunk`` repeated ``times`` times, deflated, without holding the whole in memory."""
    deflater = zlib.compressobj(9)
    return b"".join(deflater.compress(chunk) for _ in range(times)) + deflater.flush()


def run_length(data: bytes) -> bytes:
    out = bytearray()
    i = 0
    while i < len(data):
        j = i
        while j < len(data) and j - i < 128 and data[j] == data[i]:
            j += 1
        if j - i >= 2:
            out += bytes([257 - (j - i), data[i]])
        else:
            j = min(i + 128, len(data))
            out += bytes([j - i - 1]) + data[i:j]
        i = j
    return bytes(out) + b"\x80"


def lzw(data: bytes, early_change: int = 1) -> bytes:
    """The LZW code of ``data`` as PDF's LZWDecode reads it (a clear code first, EOD last)."""
    table = {bytes([i]): i for i in range(256)}
    bits, following = 9, 258
    codes: list[tuple[int, int]] = [(256, 9)]
    word = b""
    for byte in data:
        longer = word + bytes([byte])
        if longer in table:
            word = longer
            continue
        codes.append((table[word], bits))
        table[longer], following = following, following + 1
        if following + early_change > (1 << bits) and bits < 12:
            bits += 1
        if following >= 4094:
            codes.append((256, bits))
            table, bits, following = {bytes([i]): i for i in range(256)}, 9, 258
        word = bytes([byte])
    if word:
        codes.append((table[word], bits))
    codes.append((257, bits))
    return _packed(codes)


def lzw_zeros(cycles: int, early_change: int = 1) -> bytes:
    """LZW of about 7.4 MB of zero bytes per cycle, written directly (the code of each longer run
    is the next free one): the encoder above would take minutes over the bomb's gigabyte."""
    codes: list[tuple[int, int]] = []
    bits = 9
    for _ in range(cycles):
        codes += [(256, bits), (0, 9)]
        bits, size = 9, 258
        while size < 4094:
            codes.append((size, bits))
            size += 1
            if size + early_change >= (1 << bits) and bits < 12:
                bits += 1
    codes.append((257, bits))
    return _packed(codes)


def _packed(codes: list[tuple[int, int]]) -> bytes:
    buffer, held = 0, 0
    for code, width in codes:
        buffer, held = (buffer << width) | code, held + width
    pad = -held % 8
    return (buffer << pad).to_bytes((held + pad) // 8, "big")


ENCODERS: dict[str, Callable[[bytes], bytes]] = {
    "FlateDecode": zlib.compress,
    "ASCII85Decode": lambda data: base64.a85encode(data, wrapcol=72) + b"~>",
    "ASCIIHexDecode": lambda data: binascii.hexlify(data) + b">",
    "RunLengthDecode": run_length,
    "LZWDecode": lzw,
}


def encoded(data: bytes, chain: list[str]) -> bytes:
    """``data`` encoded so that decoding through ``chain`` (in /Filter order) gives it back."""
    for name in reversed(chain):
        data = ENCODERS[name](data)
    return data


def filtered_stream(pdf: pikepdf.Pdf, data: bytes, chain: list[str], **entries) -> pikepdf.Stream:
    stream = pikepdf.Stream(pdf, encoded(data, chain), **entries)
    if chain:
        stream.Filter = pikepdf.Array([Name("/" + name) for name in chain])
    return stream


def blank(pages: int = 5, size: tuple[float, float] = A4) -> pikepdf.Pdf:
    """A plain blank form: ``pages`` faces, each a frame and a title in Helvetica."""
    pdf = pikepdf.new()
    font = pdf.make_indirect(pikepdf.Dictionary(Type=Name.Font, Subtype=Name.Type1, BaseFont=Name.Helvetica))
    for _ in range(pages):
        page = pdf.add_blank_page(page_size=size)
        page.Resources = pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=font))
        page.Contents = pdf.make_stream(FACE)
    return pdf


def form(pdf: pikepdf.Pdf, content: bytes, resources: pikepdf.Dictionary | None = None) -> pikepdf.Stream:
    stream = pdf.make_stream(content, Type=Name.XObject, Subtype=Name.Form, BBox=[0, 0, 595, 842])
    if resources is not None:
        stream.Resources = resources
    return stream


def nested_forms(pdf: pikepdf.Pdf, depth: int) -> pikepdf.Stream:
    """A form drawing a form ... ``depth`` forms deep."""
    inner = form(pdf, b"0 0 m 10 10 l S")
    for _ in range(depth - 1):
        inner = form(pdf, b"/X Do", pikepdf.Dictionary(XObject=pikepdf.Dictionary(X=inner)))
    return inner


def image(pdf: pikepdf.Pdf, width: int, height: int, data: bytes, filters: list[str]) -> pikepdf.Stream:
    stream = pikepdf.Stream(pdf, data, Type=Name.XObject, Subtype=Name.Image, Width=width, Height=height)
    stream.ColorSpace, stream.BitsPerComponent = Name.DeviceGray, 8
    if filters:
        stream.Filter = pikepdf.Array([Name("/" + name) for name in filters])
    return stream


def draw_xobject(pdf: pikepdf.Pdf, page_number: int, xobject: pikepdf.Object) -> None:
    page = pdf.pages[page_number]
    page.Resources.XObject = pikepdf.Dictionary(X=xobject)
    page.Contents = pdf.make_stream(FACE + b"q 100 0 0 100 50 50 cm /X Do Q\n")


# --- hypothesis strategies: structure-aware blanks -------------------------------------------

# not /Crypt: qpdf cannot save it (it is refused as any filter eur1pdf does not read)
FILTER_NAMES = [*ENCODERS, "DCTDecode", "JBIG2Decode", "JPXDecode", "CCITTFaxDecode", "FooDecode"]
numbers = st.one_of(
    st.integers(-(2**31), 2**31 - 1),
    st.sampled_from([0, 1, 72, 595, 842, 4764, 4765, 14400, -842, 10**9]),
    st.floats(-1e7, 1e7, allow_nan=False, allow_infinity=False).map(lambda v: round(v, 4)),
)


def mostly(usual: st.SearchStrategy, odd: st.SearchStrategy) -> st.SearchStrategy:
    """``usual`` about nine times in ten: each odd part of a blank is rare, so that the checks
    behind the first one are reached too."""
    return st.sampled_from([True] * 9 + [False]).flatmap(lambda usually: usual if usually else odd)


boxes = mostly(
    st.sampled_from([[0, 0, 595, 842], [-10, -10, 585, 832], [595, 842, 0, 0], [0, 0, 595.276, 841.89]]),
    st.one_of(st.lists(numbers, min_size=4, max_size=4), st.lists(numbers, min_size=0, max_size=6)),
)
leaves = st.one_of(
    st.none(), st.booleans(), numbers, st.text(max_size=8).map(pikepdf.String), st.sampled_from(list("ABXYZ"))
)
nested = st.recursive(
    leaves,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.sampled_from(["/A", "/B", "/Font", "/XObject"]), inner, max_size=3),
    ),
    max_leaves=40,
)


@st.composite
def deep_values(draw) -> object:
    """A value nested 0 to 80 deep (the limit is 32)."""
    value: object = draw(leaves)
    for _ in range(draw(mostly(st.integers(0, 32), st.integers(33, 80)))):
        value = [value] if draw(st.booleans()) else {"/K": value}
    return value


@st.composite
def filter_chains(draw) -> tuple[list[str], dict | None]:
    """A filter chain (encodable or not) and decoding parameters (sane or not)."""
    chain = draw(mostly(st.lists(st.sampled_from(list(ENCODERS)), max_size=4),
                        st.lists(st.sampled_from(FILTER_NAMES), max_size=5)))  # fmt: skip
    parms = draw(
        mostly(
            st.none(),
            st.fixed_dictionaries(
                {},
                optional={
                    "/Predictor": st.sampled_from([1, 2, 10, 12, 15, 16, 99, -1]),
                    "/Colors": st.integers(-1, 40),
                    "/Columns": st.sampled_from([1, 595, 0, 10**7]),
                    "/BitsPerComponent": st.sampled_from([1, 8, 16, 3, 0]),
                    "/EarlyChange": st.sampled_from([0, 1, 2]),
                },
            ),
        )
    )
    return chain, parms


@st.composite
def blank_specs(draw) -> dict:
    """What a hypothesis blank holds: pages, boxes, nesting, filters, forms in forms, page tree shape."""
    return {
        "pages": draw(mostly(st.just(5), st.sampled_from([2, 1, 0, 7]))),
        "box": draw(boxes),
        "rotate": draw(mostly(st.sampled_from([0, 90, -90, 7200]), st.sampled_from([45, 1, -1]))),
        "inherited": draw(st.booleans()),
        "intermediate_nodes": draw(st.booleans()),
        "resources": draw(nested),
        "deep": draw(deep_values()),
        "deep_indirect": draw(st.booleans()),
        "filters": draw(filter_chains()),
        "content_size": draw(st.sampled_from([0, 100, 10_000, 2_000_000])),
        "form_depth": draw(mostly(st.integers(0, 16), st.integers(17, 24))),
        "form_loop": draw(mostly(st.just(False), st.just(True))),
        "chain": draw(st.integers(0, 3000)),
        "image": draw(
            st.none()
            | st.tuples(
                mostly(st.integers(1, 64), st.sampled_from([0, -1, 100_000, 2**31 - 1])),
                mostly(st.integers(1, 64), st.sampled_from([0, -1, 100_000, 2**31 - 1])),
                filter_chains(),
            )
        ),
    }


def pike(value: object) -> object:
    """A hypothesis value as a pikepdf object: lists are arrays, dicts dictionaries, letters names."""
    if isinstance(value, list):
        return pikepdf.Array([pike(item) for item in value])
    if isinstance(value, dict):
        return pikepdf.Dictionary({key: pike(item) for key, item in value.items() if item is not None})
    if isinstance(value, str):
        return Name("/" + value)
    return value


def saved(pdf: pikepdf.Pdf) -> bytes:
    """The file's bytes with every stream as it was made (qpdf would otherwise re-encode LZW as Flate)."""
    out = io.BytesIO()
    pdf.save(out, compress_streams=False, stream_decode_level=pikepdf.StreamDecodeLevel.none)
    return out.getvalue()


def _content(pdf: pikepdf.Pdf, spec: dict) -> pikepdf.Stream:
    chain, parms = spec["filters"]
    data = FACE + b"%" + b"x" * spec["content_size"] + b"\n"
    if all(name in ENCODERS for name in chain):
        stream = filtered_stream(pdf, data, chain)
    else:
        stream = pikepdf.Stream(pdf, b"\xff\xd8 not really an image " + data)
        stream.Filter = pikepdf.Array([Name("/" + name) for name in chain])
    if parms is not None and chain:
        given = pikepdf.Dictionary(parms)
        more = [pikepdf.Dictionary()] * (len(chain) - 1)
        stream.DecodeParms = given if len(chain) == 1 else pikepdf.Array([given, *more])
    return stream


def _add_image(pdf: pikepdf.Pdf, width: int, height: int, filters: tuple[list[str], dict | None]) -> None:
    """An image on the second page: its pixels (grey) encoded through the chain, or any bytes when
    the chain holds a filter the encoders do not write (an image codec, an unknown name)."""
    chain, parms = filters
    size = width * height if 0 < width * height < 10**5 else 16  # a huge image: its header is enough
    pixels = (bytes(range(256)) * (size // 256 + 1))[:size]
    data = encoded(pixels, chain) if all(name in ENCODERS for name in chain) else b"\xff\xd8 any bytes"
    picture = image(pdf, width, height, data, chain)
    if parms is not None and len(chain) == 1:
        picture.DecodeParms = pikepdf.Dictionary(parms)
    draw_xobject(pdf, 1, picture)


def _under_an_intermediate_node(pdf: pikepdf.Pdf) -> None:
    root = pdf.Root.Pages
    node = pikepdf.Dictionary(Type=Name.Pages, Kids=root.Kids, Count=root.Count, Parent=root)
    node = pdf.make_indirect(node)
    for kid in node.Kids:
        kid.Parent = node
    root.Kids = pikepdf.Array([node])


def build(spec: dict) -> bytes:
    """The blank a :func:`blank_specs` value describes."""
    pdf = blank(spec["pages"])
    for page in pdf.pages:
        page.MediaBox, page.Rotate = pike(spec["box"]), spec["rotate"]
    if spec["pages"]:
        page = pdf.pages[0]
        page.Resources.Extra = pikepdf.Array([pike(spec["resources"])])
        deep = pikepdf.Array([pike(spec["deep"])])
        page.Resources.Deep = pdf.make_indirect(deep) if spec["deep_indirect"] else deep
        page.Contents = _content(pdf, spec)
        chain = pdf.make_indirect(pikepdf.Array([]))
        for _ in range(spec["chain"]):
            chain = pdf.make_indirect(pikepdf.Array([chain]))
        page.Resources.Chain = chain
        if spec["form_depth"]:
            outer = nested_forms(pdf, spec["form_depth"])
            if spec["form_loop"]:
                innermost = outer
                while "/Resources" in innermost:
                    innermost = innermost.Resources.XObject.X
                innermost.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(X=outer))
            page.Resources.XObject = pikepdf.Dictionary(X=outer)
        if spec["image"] is not None and spec["pages"] > 1:
            _add_image(pdf, *spec["image"])
        if spec["inherited"]:
            pdf.Root.Pages.Resources = page.Resources
            for each in pdf.pages:
                del each.obj["/Resources"]
        if spec["intermediate_nodes"]:
            _under_an_intermediate_node(pdf)
    return saved(pdf)
