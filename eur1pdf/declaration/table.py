"""The declaration terms of each agreement (data/declarations.toml) as validated data.

What instruction 1.4 and 1.5 say per agreement (allowed or not, value limits,
approved exporters only, languages, signature, retention) is a row of data;
the rules in :mod:`.rules` read rows and never name an agreement.
"""

from __future__ import annotations

import tomllib
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

DATA_DIR = Path(__file__).resolve().parent / "data"


class _Row(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ValueLimit(_Row):
    """The most the originating products may be worth, in one currency."""

    currency: str
    amount: Decimal
    source: str
    confirmed: bool


class Terms(_Row):
    """One agreement's terms for the declaration on the invoice (or the REX statement)."""

    key: str
    allowed: bool = True
    reason: str | None = None
    wording: str | None = None
    languages: list[str]
    value_limits: list[ValueLimit]
    approved_only: bool = False
    eur_med: bool = False
    mixed_origins: bool = False
    electronic: bool = False
    signature: Literal["handwritten", "none"]
    retention_years: int = Field(ge=1)
    retrospective_years: int = Field(ge=0)
    rex: bool = False


class RexTerms(_Row):
    """Footnote 16: the REX origin criteria and cumulation mentions; who counts as a Swiss exporter."""

    criterion_pattern: str
    criterion_example: str
    cumulation_mentions: list[str]
    swiss_countries: list[str]


def _load(name: str) -> dict[str, Any]:
    with open(DATA_DIR / name, "rb") as fh:
        return tomllib.load(fh)


@cache
def declaration_terms() -> dict[str, Terms]:
    """Every agreement's terms, the defaults filled in."""
    raw = _load("declarations.toml")
    defaults = raw["defaults"]
    return {key: Terms(key=key, **{**defaults, **row}) for key, row in raw["agreements"].items()}


@cache
def rex_terms() -> RexTerms:
    return RexTerms(**_load("declarations.toml")["rex"])


@cache
def wordings() -> dict[str, Any]:
    """The wordings file as read: one table per wording, ``mentions`` for the short texts."""
    return _load("wordings.toml")
