"""Rules: a certificate checked against its form and its agreement, as findings.

``findings`` holds the Finding type and the registry of every code;
``checks`` the checks ``validate`` runs; ``agreements`` the agreement table.
"""

from eur1pdf.rules.checks import validate
from eur1pdf.rules.findings import (
    RULES,
    Finding,
    Rule,
    RuleViolation,
    codes_markdown,
    findings_from_input_error,
    findings_from_render_error,
)

__all__ = [
    "RULES",
    "Finding",
    "Rule",
    "RuleViolation",
    "codes_markdown",
    "findings_from_input_error",
    "findings_from_render_error",
    "validate",
]
