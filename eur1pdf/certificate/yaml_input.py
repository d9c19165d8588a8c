"""Reading a certificate written in YAML (PyYAML, imported only for YAML input).

Kept out of :mod:`eur1pdf.certificate.model` so that JSON input (most
back-offices' and every API call's) never imports PyYAML: a cold
``eur1pdf fill`` of a JSON file starts sooner. What YAML may hold is the same
as for JSON (:mod:`eur1pdf.certificate.syntax`): keys are text, each once; no
aliases, sets, bytes or ordered maps; dates that are no dates and very long
numbers are left to the model, which names the field.
"""

from __future__ import annotations

from typing import Any

import yaml

from eur1pdf.certificate.syntax import NUMBER_DIGITS, LongNumber
from eur1pdf.errors import InputError, Problem

STR_TAG = "tag:yaml.org,2002:str"


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


def parse_yaml(text: str, source: str) -> Any:
    """The YAML document's data; syntax errors as :class:`InputError` with line and column."""
    try:
        return yaml.load(text, Loader=CertificateLoader)  # a SafeLoader subclass: safe
    except RecursionError:
        raise InputError([Problem(None, None, "invalid YAML: nested too deeply")], source) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise InputError([Problem(None, None, f"invalid YAML{where}: {exc.problem}")], source) from None
    except yaml.YAMLError as exc:
        raise InputError([Problem(None, None, f"invalid YAML: {exc}")], source) from None
