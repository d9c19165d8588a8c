"""Settings a site keeps in a file instead of repeating them on every command line.

A back office sets its verification link template, printer profile,
signing key and the certificates ``verify`` trusts once (``--config FILE``
or the ``EUR1PDF_CONFIG`` variable); options given on the command line
win. Secrets are never in the file: only the names of the environment
variables that hold them.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

from eur1pdf.errors import Eur1pdfError, validation_lines

CONFIG_VARIABLE = "EUR1PDF_CONFIG"


class Settings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    verify_url: str | None = None  # e.g. "https://verify.example.org/eur1/{serial}?d={digest}"
    printer: Path | None = None  # printer profile (relative paths: from the config file's folder)
    sign: Path | None = None  # PKCS#12 signing key
    sign_password_env: str | None = None  # the variable holding the key's passphrase
    lock_password_env: str | None = None  # the variable holding the owner password
    trust: list[Path] = []  # verify: trusted signer or root certificates (PEM/DER), the site's trust store
    # eur1pdf serve's certificate registry
    db: str | None = None  # its database URL (sqlite:///FILE or postgresql://…)
    public_url: str | None = None  # the base of the verification links finals' QR codes carry
    api_keys_file: Path | None = None  # named API keys with scopes, hashed (eur1pdf.service.keys)


def load_settings(path: str | Path | None) -> Settings:
    """The settings file given, else the one ``EUR1PDF_CONFIG`` names, else none."""
    if path is None:
        path = os.environ.get(CONFIG_VARIABLE)
        if not path:
            return Settings()
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
        settings = Settings.model_validate(raw)
    except OSError as exc:
        raise Eur1pdfError(f"{path}: cannot read the settings file ({exc.strerror})") from None
    except tomllib.TOMLDecodeError as exc:
        raise Eur1pdfError(f"{path}: not valid TOML: {exc}") from None
    except ValidationError as exc:
        raise Eur1pdfError(f"{path}: " + "; ".join(validation_lines(exc))) from None
    base = path.parent
    updates = {
        key: base / value
        for key in ("printer", "sign", "api_keys_file")
        if (value := getattr(settings, key)) is not None and not value.is_absolute()
    }
    trust = [value if value.is_absolute() else base / value for value in settings.trust]
    return settings.model_copy(update={**updates, "trust": trust})
