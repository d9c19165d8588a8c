"""What JSON and YAML may hold in a certificate file, before the model looks at it.

The parsers accept more than a certificate needs, and some of it fails inside them or in the
model's messages rather than as a clear error: a 5000-digit number (Python converts at most
4300 digits to an int and back), a YAML date that is no date (2026-02-30), a list as a mapping
key (``? [a, b]: c``), a set (no order, so no deterministic output), bytes (``!!binary``),
aliases (the "billion laughs"). Here each either becomes a value the model refuses with its
field, or a syntax error with its line and column.
"""

from __future__ import annotations

from typing import Any

import yaml

#: Digits a number may have before it is kept only as its length: no certificate field is a
#: number, so any number is refused by the model; this keeps it cheap and printable.
NUMBER_DIGITS = 100

STR_TAG = "tag:yaml.org,2002:str"


class LongNumber:
    """A number of more than :data:`NUMBER_DIGITS` characters, never converted; the model refuses
    it as it refuses any number where text belongs, naming the field."""

    __slots__ = ("length",)

    def __init__(self, length: int) -> None:
        self.length = length

    def __repr__(self) -> str:
        return f"a number of {self.length:,} characters"


def json_int(text: str) -> int | LongNumber:
    """``json.loads``' parse_int: a long number is not converted (it would fail or take long)."""
    return int(text) if len(text) <= NUMBER_DIGITS else LongNumber(len(text))


class DuplicateKeyError(ValueError):
    pass


def no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """JSON object hook: a key given twice would silently keep only the last value."""
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise DuplicateKeyError(key)
        out[key] = value
    return out


def _refused(what: str, advice: str) -> Any:
    def construct(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
        raise yaml.constructor.ConstructorError(
            None, None, f"{what} is not accepted in a certificate; {advice}", node.start_mark
        )

    return construct


class CertificateLoader(yaml.SafeLoader):
    """YAML's safe loader for certificates: keys are text, each once; no aliases; no sets, bytes
    or ordered maps; dates that are no dates and very long numbers left to the model.

    An alias (``*name``) repeats a node; a handful of nested ones (the "billion laughs") stand
    for billions of values, which validation would then walk. A certificate has no need for them.
    """

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        if self.check_event(yaml.AliasEvent):
            mark = self.peek_event().start_mark
            raise yaml.composer.ComposerError(
                None, None, "aliases (*name) are not accepted in a certificate; write the value out", mark
            )
        return super().compose_node(parent, index)

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        """Every key as it is written (``2026-01-01:``, ``true:`` are the text), and only once."""
        seen: set[str] = set()
        for position, (key_node, value_node) in enumerate(node.value):
            if not isinstance(key_node, yaml.ScalarNode):
                kind = "a list" if isinstance(key_node, yaml.SequenceNode) else "a mapping"
                raise yaml.constructor.ConstructorError(
                    None, None, f"a key must be a word, not {kind}", key_node.start_mark
                )
            if key_node.value in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"the key {key_node.value!r} is given twice", key_node.start_mark
                )
            seen.add(key_node.value)
            if key_node.tag != STR_TAG:  # also "<<": no merge keys, an unknown field instead
                text_key = yaml.ScalarNode(STR_TAG, key_node.value, key_node.start_mark, key_node.end_mark)
                node.value[position] = (text_key, value_node)
        return super().construct_mapping(node, deep=deep)

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        """A value its tag cannot make (``!!float x``, ``!!bool maybe``, ``!!timestamp now``) is a
        syntax error at its line and column; PyYAML's constructors raise what they meet."""
        try:
            return super().construct_object(node, deep=deep)
        except (ValueError, TypeError, KeyError, AttributeError, OverflowError) as exc:
            shown = str(node.value)[:40] if isinstance(node, yaml.ScalarNode) else node.tag
            raise yaml.constructor.ConstructorError(
                None, None, f"{node.tag.rpartition(':')[2]} {shown!r} cannot be read ({exc})", node.start_mark
            ) from None

    def construct_yaml_int(self, node: yaml.ScalarNode) -> Any:
        if len(node.value) > NUMBER_DIGITS:
            return LongNumber(len(node.value))
        return super().construct_yaml_int(node)

    def construct_yaml_timestamp(self, node: yaml.ScalarNode) -> Any:
        """A date that is no date (2026-02-30) stays the text written: the model says what is wrong."""
        try:
            return super().construct_yaml_timestamp(node)
        except (ValueError, OverflowError):
            return node.value


CertificateLoader.add_constructor("tag:yaml.org,2002:int", CertificateLoader.construct_yaml_int)
CertificateLoader.add_constructor("tag:yaml.org,2002:timestamp", CertificateLoader.construct_yaml_timestamp)
for _tag, _what, _advice in (
    ("set", "a set (!!set)", "write a list"),
    ("binary", "binary data (!!binary)", "write the text"),
    ("omap", "an ordered mapping (!!omap)", "write a mapping"),
    ("pairs", "a list of pairs (!!pairs)", "write a mapping"),
):
    CertificateLoader.add_constructor(f"tag:yaml.org,2002:{_tag}", _refused(_what, _advice))
