"""Reading a certificate written in YAML (PyYAML, imported only for YAML input).

Kept out of :mod:`eur1pdf.certificate.model` so that JSON input (most
back-offices' and every API call's) never imports PyYAML: a cold
``eur1pdf fill`` of a JSON file starts sooner.
"""

from __future__ import annotations

from typing import Any

import yaml

from eur1pdf.errors import InputError, Problem


class _UniqueKeyLoader(yaml.SafeLoader):
    """YAML's safe loader, refusing a key given twice in one mapping, and aliases.

    An alias (``*name``) repeats a node; a handful of nested ones (the
    "billion laughs") stand for billions of values, which validation would
    then walk. A certificate has no need for them.
    """

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        if self.check_event(yaml.AliasEvent):
            mark = self.peek_event().start_mark
            raise yaml.composer.ComposerError(
                None, None, "aliases (*name) are not accepted in a certificate; write the value out", mark
            )
        return super().compose_node(parent, index)

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                mark = key_node.start_mark
                raise yaml.constructor.ConstructorError(None, None, f"the key {key!r} is given twice", mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def parse_yaml(text: str, source: str) -> Any:
    """The YAML document's data; syntax errors as :class:`InputError` with line and column."""
    try:
        return yaml.load(text, Loader=_UniqueKeyLoader)  # a SafeLoader subclass: safe
    except RecursionError:
        raise InputError([Problem(None, None, "invalid YAML: nested too deeply")], source) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise InputError([Problem(None, None, f"invalid YAML{where}: {exc.problem}")], source) from None
    except yaml.YAMLError as exc:
        raise InputError([Problem(None, None, f"invalid YAML: {exc}")], source) from None
