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


def terms_markdown() -> str:
    """The agreements' declaration terms as the table in docs/declarations.md (a test keeps them equal)."""
    lines = [
        "| agreement | declaration | wording | languages | value limit | approved exporters only | keep |",
        "|---|---|---|---|---|---|---|",
    ]
    for terms in declaration_terms().values():
        if not terms.allowed:
            lines.append(f"| {terms.key} | **no** (EUR.1) | — | — | — | — | — |")
            continue
        limits = ", ".join(f"{lim.currency} {lim.amount:,}" for lim in terms.value_limits) or "none"
        extras = [
            *(["EUR-MED"] if terms.eur_med else []),
            *(["electronic signature"] if terms.electronic else []),
        ]
        kind = "REX statement" if terms.rex else "yes"
        kind += f" ({', '.join(extras)})" if extras else ""
        lines.append(
            f"| {terms.key} | {kind} | `{terms.wording}` | {', '.join(terms.languages)} | {limits} | "
            f"{'yes' if terms.approved_only else 'no'} | {terms.retention_years} years |"
        )
    return "\n".join(lines)
