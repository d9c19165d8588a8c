"""The agreement table (data/agreements.toml) as validated data.

One row per agreement key of the input contract, straight from the annex of
the Swiss customs instruction. The rules engine reads rows; it never names an
agreement itself, so correcting a rule means correcting a line of data.
"""

from __future__ import annotations

import datetime as dt
import io
import pickle
import unicodedata
from functools import cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from eur1pdf import user_cache
from eur1pdf.own_toml import read_own_toml

DATA_DIR = Path(__file__).resolve().parent / "data"
Severity = Literal["error", "warning"]


class _Row(BaseModel):
    # defer_build: the validators are built when the table is validated, not when a process whose
    # validated table comes from the user cache imports this (see agreements())
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class DatedStatement(_Row):
    """A box 7 statement an agreement asks for, within the dates it applies."""

    code: str = "box7.statement"
    text: str
    since: dt.date | None = None
    until: dt.date | None = None
    forms: list[str] | None = None  # None: every form of the agreement
    severity: Severity = "error"
    why: str

    def applies(self, day: dt.date, form: str) -> bool:
        in_time = (self.since is None or day >= self.since) and (self.until is None or day <= self.until)
        return in_time and (self.forms is None or form in self.forms)


class Agreement(_Row):
    key: str
    name: str
    certificate: bool
    reason: str | None = None
    forms: list[str] = Field(default_factory=list)
    front_language: str | None = None
    hs_digits: int | None = Field(default=None, ge=2, le=10)
    hs_exact: bool = False
    hs_severity: Severity = "error"
    origin_criteria: list[str] | None = None
    max_items: int | None = Field(default=None, ge=1)
    invoice: Literal["required", "advised"] | None = None
    consignee: Literal["required"] | None = None
    transport: Literal["when_known"] | None = None
    destination_pattern: str | None = None
    destination_example: str | None = None
    country_codes: list[str] = Field(default_factory=list)
    statements: list[DatedStatement] = Field(default_factory=list)


@cache
def agreements() -> dict[str, Agreement]:
    """The table, validated; read back validated from the user cache when it is there."""
    path = DATA_DIR / "agreements.toml"
    key = (*user_cache.file_key(path), *user_cache.file_key(Path(__file__)))  # a new model: validated again
    found = user_cache.load(_KIND, key)
    if isinstance(found, bytes):
        table = _unpickled(found)
        if table is not None:
            return table
    table = {name: Agreement(key=name, **row) for name, row in read_own_toml(path).items()}
    user_cache.store(_KIND, key, pickle.dumps(table, protocol=pickle.HIGHEST_PROTOCOL))
    return table


_KIND = "agreements"
_ALLOWED = {(__name__, "Agreement"), (__name__, "DatedStatement"), ("datetime", "date")}


class _TableUnpickler(pickle.Unpickler):
    """Makes only the table's classes and dates (no function, no other class)."""

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in _ALLOWED:
            raise pickle.UnpicklingError(f"{module}.{name} is not a class of the agreement table")
        return super().find_class(module, name)


def _unpickled(data: bytes) -> dict[str, Agreement] | None:
    try:
        table = _TableUnpickler(io.BytesIO(data)).load()
    except Exception:  # a damaged entry of any kind: validate the file again
        return None
    if not isinstance(table, dict) or not all(
        isinstance(k, str) and isinstance(v, Agreement) and v.key == k for k, v in table.items()
    ):
        return None
    return table


def _fold(text: str) -> str:
    """Case- and accent-insensitive form for comparing country names."""
    folded = text.casefold()
    if folded.isascii():  # nothing to decompose, no accent to drop: the common case, in C
        return folded.strip()
    decomposed = unicodedata.normalize("NFKD", folded)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).strip()


@cache
def _member_states_file() -> dict[str, Any]:
    """eu_member_states.toml, read once for the states, the union's names and the groups."""
    return read_own_toml(DATA_DIR / "eu_member_states.toml")


@cache
def _eu() -> tuple[dict[str, str], frozenset[str]]:
    raw = _member_states_file()
    states = {_fold(name): names[0] for names in raw["states"] for name in names}
    return states, frozenset(_fold(name) for name in raw["union"])


def member_state(text: str) -> str | None:
    """The member state (in English) that ``text`` names on its own, else None."""
    return _eu()[0].get(_fold(text))


def is_group(code: str) -> bool:
    """True for the abbreviation of a group of countries (GCC, EFTA, SACU …)."""
    return code in _groups()


@cache
def _groups() -> frozenset[str]:
    return frozenset(_member_states_file()["groups"])


def names_the_union(text: str) -> bool:
    """True for "EU", "European Union", "CE", "UE" … and "EU/Germany"."""
    return _fold(text.split("/")[0]) in _eu()[1]
