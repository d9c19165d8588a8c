"""The clerk page's form data against files and posts it cannot hold: a clear 422, never a 500."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eur1pdf.service.webapp.formdata import data_from_fields, fields_from_data, shape_problem

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


@pytest.mark.parametrize(
    ("data", "named"),
    [
        ({"exporter": "Acme"}, "exporter: an object"),
        ({"trade": "CH"}, "trade: an object"),
        ({"declaration": "x"}, "declaration: an object"),
        ({"application": [1]}, "application: an object"),
        ({"items": ["a"]}, "items: a list of objects"),
        ({"items": 5}, "items: a list of objects"),
        ({"remarks": "one text"}, "remarks: a list of texts"),
        # an address given as one text was shown as one line per character, and saved so
        ({"exporter": {"address": "Bahnhofstrasse 1"}}, "exporter.address: a list of texts"),
        ({"cumulation": {"applied_with": "CH"}}, "cumulation.applied_with: a list of texts"),
    ],
)
def test_a_part_of_the_wrong_shape_is_named(data, named):
    problem = shape_problem(data)
    assert problem is not None and problem.startswith(named)


def test_every_example_has_the_shape_the_form_holds():
    for path in sorted(EXAMPLES.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        assert shape_problem(data) is None, path.name
        fields_from_data(data)  # and is shown without an error


def test_a_hand_made_rest_field_never_breaks_the_form():
    for rest in ('{"application": 5}', '{"application": [[1, 2]]}', "[1]", "null", "{oops"):
        data = data_from_fields({"form": "eur1", "_rest": rest, "application.circumstances": "x"})
        assert data["application"] == {"circumstances": "x", "supporting_documents": None}
