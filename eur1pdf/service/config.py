"""What the operator of the HTTP service decides (``eur1pdf serve``'s options, the settings file).

Kept apart from the app so that it can be built without loading FastAPI.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from eur1pdf.options import FillOptions
from eur1pdf.printer import PrinterProfile
from eur1pdf.service.keys import ApiKey


@dataclass(frozen=True)
class ServerConfig:
    """What the operator decides; nothing here can be set by a request."""

    workers: int = 1
    api_key: str | None = None  # the older single key: named "api-key", every scope
    api_keys: tuple[ApiKey, ...] = ()  # named keys with scopes (eur1pdf.service.keys)
    api_keys_file: Path | None = None  # more keys, read again whenever the file changes
    max_body_bytes: int = 1_000_000
    timeout_s: float = 30.0
    body_timeout_s: float = 20.0  # the whole body must arrive within this, after the request's head
    queue_per_worker: int = 64  # requests waiting or rendering per worker; beyond, 503 at once
    printers: dict[str, PrinterProfile] = field(default_factory=dict)  # name -> profile
    base: FillOptions = field(default_factory=FillOptions)  # verify URL, lock password, signing key
    # The certificate registry (/v1/registry, /verify): its database URL (None: no registry) and the
    # public base of the verification links finals' QR codes carry.
    registry_url: str | None = None
    public_url: str = "http://127.0.0.1:8080"
    verify_per_minute: float = 30.0  # verification requests per client and minute, after a burst of
    verify_burst: int = 20
    # wrong API keys (a failed /app sign-in or API key check) per client address: a burst of 10,
    # then one every 10 s; beyond, 429 with Retry-After, the key not even looked at
    key_failures_per_minute: float = 6.0
    key_failure_burst: int = 10
