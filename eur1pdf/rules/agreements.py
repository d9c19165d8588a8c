"""The agreement table (data/agreements.toml) as validated data.

One row per agreement key of the input contract, straight from the annex of
the Swiss customs instruction. The rules engine reads rows; it never names an
agreement itself, so correcting a rule means correcting a line of data.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from functools import cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from eur1pdf.own_toml import read_own_toml

DATA_DIR = Path(__file__).resolve().parent / "data"
Severity = Literal["error", "warning"]


class _Row(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


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
    raw = read_own_toml(DATA_DIR / "agreements.toml")
    return {key: Agreement(key=key, **row) for key, row in raw.items()}


def _fold(text: str) -> str:
    """Case- and accent-insensitive form for comparing country names."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).strip()


@cache
def _eu() -> tuple[dict[str, str], frozenset[str]]:
    raw = read_own_toml(DATA_DIR / "eu_member_states.toml")
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
    return frozenset(read_own_toml(DATA_DIR / "eu_member_states.toml")["groups"])


def names_the_union(text: str) -> bool:
    """True for "EU", "European Union", "CE", "UE" … and "EU/Germany"."""
    return _fold(text.split("/")[0]) in _eu()[1]
