"""Settings a site keeps in a file instead of repeating them on every command line.

A back office sets its verification link template, printer profile,
signing key and the certificates ``verify`` trusts once (``--config FILE``
or the ``EUR1PDF_CONFIG`` variable); options given on the command line
win. Secrets are never in the file: only the names of the environment
variables that hold them.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from eur1pdf.errors import Eur1pdfError, validation_lines
from eur1pdf.small_files import FileRefused, NotToml, check_small_file, read_small_toml

CONFIG_VARIABLE = "EUR1PDF_CONFIG"


def _a_line(value: object) -> object:
    """A path, a link or a variable's name is one line of text: no NUL, not a book."""
    if isinstance(value, str):
        if "\x00" in value:
            raise ValueError("contains a NUL character")
        if len(value) > 4096:
            raise ValueError(f"is {len(value):,} characters long; the limit is 4,096")
    return value


Line = Annotated[str, BeforeValidator(_a_line)]
FilePath = Annotated[Path, BeforeValidator(_a_line)]


class Settings(BaseModel):
    # defer_build: the validators are built when a settings file is read, not by every command's import
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    verify_url: Line | None = None  # e.g. "https://verify.example.org/eur1/{serial}?d={digest}"
    printer: FilePath | None = None  # printer profile (relative paths: from the config file's folder)
    sign: FilePath | None = None  # PKCS#12 signing key
    sign_password_env: Line | None = None  # the variable holding the key's passphrase
    lock_password_env: Line | None = None  # the variable holding the owner password
    # verify: trusted signer or root certificates (PEM/DER), the site's trust store
    trust: list[FilePath] = Field(default=[], max_length=100)
    # eur1pdf serve's certificate registry
    db: Line | None = None  # its database URL (sqlite:///FILE or postgresql://…)
    public_url: Line | None = None  # the base of the verification links finals' QR codes carry
    api_keys_file: FilePath | None = None  # named API keys with scopes, hashed (eur1pdf.service.keys)


def load_settings(path: str | Path | None) -> Settings:
    """The settings file given, else the one ``EUR1PDF_CONFIG`` names, else none."""
    if path is None:
        path = os.environ.get(CONFIG_VARIABLE)
        if not path:
            return Settings.model_construct()  # the defaults: nothing to validate, no validators built
    path = Path(path)
    try:
        settings = Settings.model_validate(read_small_toml(path, "settings"))
    except NotToml as exc:
        raise Eur1pdfError(f"{path}: {exc}") from None
    except FileRefused as exc:
        raise Eur1pdfError(f"{path}: cannot read the settings file ({exc})") from None
    except ValidationError as exc:
        raise Eur1pdfError(f"{path}: " + "; ".join(validation_lines(exc))) from None
    base = path.parent
    updates = {
        key: base / value
        for key in ("printer", "sign", "api_keys_file")
        if (value := getattr(settings, key)) is not None and not value.is_absolute()
    }
    trust = [value if value.is_absolute() else base / value for value in settings.trust]
    printer = updates.get("printer", settings.printer)
    if printer is not None:  # refused here, the error names this file too
        try:
            check_small_file(printer, "printer profile")
        except FileRefused as exc:
            raise Eur1pdfError(f"{path}: printer: {printer}: {exc}") from None
    return settings.model_copy(update={**updates, "trust": trust})
