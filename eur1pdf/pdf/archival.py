"""Internal (the PDF writer): the XMP packet every document carries, and what makes a final PDF/A-3b.

A final certificate is kept for years and must open the same everywhere:
PDF/A-3b (ISO 19005-3, level B) asks for an output intent (here sRGB, the
colour space the writer draws in), metadata whose XMP says so and agrees
with the document information dictionary, the attached data as an
associated file (``/AF``), every font embedded and no encryption.

The XMP packet is made from the document information entries alone, so
the two can never disagree: :mod:`eur1pdf.finish.signing` makes it again
from the updated entries when a signature changes ``/ModDate``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache
from pathlib import Path

from eur1pdf.pdf.syntax import Body, array, dictionary, name, ref, stream, text_string

XMP_NAMESPACE = "https://eur1pdf.invalid/ns/1.0/"
SRGB_PROFILE = Path(__file__).with_name("srgb.icc")  # Debian icc-profiles-free, ICC v2.3 (srgb.icc.LICENSE)
OUTPUT_CONDITION = "sRGB IEC61966-2.1"
_PDF_DATE = re.compile(r"^D:(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(Z|[+-]\d{2}'\d{2}'?)?$")
# document information keys and the XMP properties that stand for them (ISO 19005-3, 6.6.2.3.1)
_STANDARD = {"Producer": "pdf:Producer", "Creator": "xmp:CreatorTool", "CreationDate": "xmp:CreateDate"}


def escape(text: str) -> str:
    """``&``, ``<`` and ``>`` as XML entities: what xml.sax.saxutils.escape does, without importing
    xml.sax (which brings urllib.request, http and ssl into every process that writes a PDF)."""
    return text.replace("&", "&amp;").replace(">", "&gt;").replace("<", "&lt;")


@cache
def srgb_profile() -> bytes:
    return SRGB_PROFILE.read_bytes()


def xmp_date(pdf_date: str) -> str:
    """A PDF date (``D:20240131000000Z``) as XMP writes it (``2024-01-31T00:00:00Z``)."""
    found = _PDF_DATE.match(pdf_date)
    if found is None:
        raise ValueError(f"not a PDF date: {pdf_date!r}")
    year, month, day, hour, minute, second, zone = found.groups()
    offset = "Z" if zone in (None, "Z") else zone[:3] + ":" + zone[4:6]
    return f"{year}-{month}-{day}T{hour}:{minute}:{second}{offset}"


def _extension_schema(keys: list[str]) -> str:
    """The PDF/A extension schema that declares eur1pdf's own properties (ISO 19005-3, 6.6.2.3.3)."""
    properties = "".join(
        '<rdf:li rdf:parseType="Resource"><pdfaProperty:name>'
        f"{key}</pdfaProperty:name><pdfaProperty:valueType>Text</pdfaProperty:valueType>"
        "<pdfaProperty:category>internal</pdfaProperty:category>"
        f"<pdfaProperty:description>eur1pdf certificate {key[7:].lower()}</pdfaProperty:description>"
        "</rdf:li>"
        for key in keys
    )
    return (
        '<rdf:Description rdf:about=""'
        ' xmlns:pdfaExtension="http://www.aiim.org/pdfa/ns/extension/"'
        ' xmlns:pdfaSchema="http://www.aiim.org/pdfa/ns/schema#"'
        ' xmlns:pdfaProperty="http://www.aiim.org/pdfa/ns/property#">'
        '<pdfaExtension:schemas><rdf:Bag><rdf:li rdf:parseType="Resource">'
        "<pdfaSchema:schema>eur1pdf certificate</pdfaSchema:schema>"
        f"<pdfaSchema:namespaceURI>{XMP_NAMESPACE}</pdfaSchema:namespaceURI>"
        "<pdfaSchema:prefix>eur1pdf</pdfaSchema:prefix>"
        f"<pdfaSchema:property><rdf:Seq>{properties}</rdf:Seq></pdfaSchema:property>"
        "</rdf:li></rdf:Bag></pdfaExtension:schemas></rdf:Description>"
    )


def xmp_packet(info: Mapping[str, str], pdfa: bool) -> bytes:
    """The XMP packet for these document information entries (keys without the slash): the
    standard ones as their XMP properties, eur1pdf's own in its namespace; with ``pdfa`` the
    PDF/A-3b identification and the extension schema that declares eur1pdf's properties."""
    own = [key for key in info if key not in ("Title", "ModDate", *_STANDARD)]
    fields = "".join(
        f"<{tag}>{escape(xmp_date(info[key]) if key.endswith('Date') else info[key])}</{tag}>"
        for key, tag in _STANDARD.items()
        if key in info
    )
    if "ModDate" in info:
        modified = xmp_date(info["ModDate"])
        fields += (
            f"<xmp:ModifyDate>{modified}</xmp:ModifyDate><xmp:MetadataDate>{modified}</xmp:MetadataDate>"
        )
    if "Title" in info:
        title = escape(info["Title"])
        fields += f'<dc:title><rdf:Alt><rdf:li xml:lang="x-default">{title}</rdf:li></rdf:Alt></dc:title>'
    fields += "".join(f"<eur1pdf:{key}>{escape(info[key])}</eur1pdf:{key}>" for key in own)
    identification = ""
    if pdfa:
        identification = (
            '<rdf:Description rdf:about="" xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/">'
            "<pdfaid:part>3</pdfaid:part><pdfaid:conformance>B</pdfaid:conformance></rdf:Description>"
        ) + _extension_schema(own)
    packet = (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/">'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/"'
        ' xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmlns:pdf="http://ns.adobe.com/pdf/1.3/"'
        f' xmlns:eur1pdf="{XMP_NAMESPACE}">{fields}</rdf:Description>{identification}'
        "</rdf:RDF></x:xmpmeta>"
        '<?xpacket end="w"?>'
    )
    return packet.encode("utf-8")


def metadata_stream(info: Mapping[str, str], pdfa: bool) -> bytes:
    """The catalog's /Metadata stream (left uncompressed, so any tool can read it)."""
    return stream({"Type": b"/Metadata", "Subtype": b"/XML"}, xmp_packet(info, pdfa), compress=False)


def write_output_intent(body: Body) -> bytes:
    """The sRGB profile and the PDF/A output intent that names it; the catalog's /OutputIntents."""
    profile = body.add(stream({"N": b"3"}, srgb_profile()))
    intent = dictionary(
        {
            "Type": b"/OutputIntent",
            "S": name("GTS_PDFA1"),
            "OutputConditionIdentifier": text_string(OUTPUT_CONDITION),
            "Info": text_string(OUTPUT_CONDITION),
            "DestOutputProfile": ref(profile),
        }
    )
    return array([ref(body.add(intent))])
