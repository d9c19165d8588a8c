"""The registry's errors: each says what was refused and why, so the HTTP layer maps them 1:1.

``NotFound`` -> 404, ``Conflict`` -> 409 (the certificate's state forbids the
change), ``RuleErrors`` -> 422 (the data breaks rules: the findings say which),
``InvalidRequest`` -> 400 (an argument is unusable: an empty reason or actor, an
unknown option), ``NotAllowed`` -> 403 (the actor may not change this certificate:
another created it, :mod:`eur1pdf.service.ownership`).
"""

from __future__ import annotations

from eur1pdf.errors import Eur1pdfError
from eur1pdf.rules import Finding, RuleViolation


class RegistryError(Eur1pdfError):
    """Base class of everything the registry refuses."""


class NotFound(RegistryError):
    """Raised when no certificate has the id (or serial) asked for."""

    def __init__(self, what: str):
        super().__init__(f"no certificate {what} in the registry")
        self.what = what


class Conflict(RegistryError):
    """Raised when the certificate's state forbids the change; ``reason`` says why, for a person."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class NotAllowed(RegistryError):
    """Raised when the actor may not change the certificate (another key created it)."""


class InvalidRequest(RegistryError):
    """Raised when an argument is unusable: an empty reason or actor, an option the registry does not take."""


class RuleErrors(RuleViolation, RegistryError):
    """Raised when the data breaks rules (or the input contract): ``findings`` lists them all."""

    def __init__(self, findings: list[Finding]):
        super().__init__(findings)
