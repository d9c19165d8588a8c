"""API keys with names and scopes: who may issue, finalize, cancel or read registry certificates.

A key changes (replaces, finalizes, cancels) only the certificates it created
unless it also holds ``others`` (:mod:`eur1pdf.service.ownership`).

A key is known by its name (what the audit trail records, never the key
itself) and holds scopes. Keys come from the server's configuration only,
never from the command line:

- a keys file named in the settings file (``api_keys_file``), TOML with the
  keys' SHA-256 hashes, so the file itself opens nothing::

      [[keys]]
      name = "back-office"
      scopes = ["issue", "read"]
      sha256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

- the environment variable ``EUR1PDF_API_KEYS``:
  ``name:scope,scope:KEY;name:scope:KEY`` (a key may hold ``:`` but not ``;``);
- ``--api-key-env NAME`` (the older single key): one key named ``api-key``
  with every scope.

Keys are compared by their SHA-256 in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import re
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from eur1pdf.errors import Eur1pdfError
from eur1pdf.small_files import FileRefused, NotToml, read_small_toml

log = logging.getLogger("eur1pdf.service.app")  # the service's log (meta.py)
SCOPES = ("issue", "finalize", "cancel", "read", "others")  # others: every key's, not only its own
KEYS_VARIABLE = "EUR1PDF_API_KEYS"
SINGLE_KEY_NAME = "api-key"  # the name --api-key-env's key has in the audit trail
ANONYMOUS_NAME = "anonymous"  # the actor when the server has no keys at all
MIN_KEY_LENGTH = 16
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}")
_HEX64 = re.compile(r"[0-9a-f]{64}")
Stamp = tuple[int, ...] | None  # a keys file's _stamp; None: there is no file
UNSETTLED: Stamp = ()  # no stamp kept, equal to none: read again at the next lookup (_settled)
RACY_S = 2.0  # a file changed this recently may change again unseen by its times (_settled)


@dataclass(frozen=True)
class ApiKey:
    """One key: its ``name`` (for the audit trail), its ``scopes``, the SHA-256 of its secret."""

    name: str
    scopes: frozenset[str]
    sha256: bytes

    def allows(self, scope: str) -> bool:
        return scope in self.scopes


def hash_key(secret: str) -> bytes:
    return hashlib.sha256(secret.encode("utf-8")).digest()


def key_with_secret(name: str, scopes: frozenset[str] | tuple[str, ...], secret: str) -> ApiKey:
    """A key from its secret (kept only as its hash)."""
    return ApiKey(name=name, scopes=frozenset(scopes), sha256=hash_key(secret))


ANONYMOUS = ApiKey(ANONYMOUS_NAME, frozenset(SCOPES), b"")


class KeyRing:
    """The keys a server accepts; empty: no key is asked for and every caller is ``anonymous``.

    ``keys`` are fixed (the environment's, ``--api-key-env``'s); a ``keys_file`` is read again
    as soon as it changes (its size, times or inode: one ``stat`` a lookup), so a key removed
    from it is refused at the next request, the API's and the clerk's page's alike. A file that
    cannot be read or is not valid accepts none of its keys until it is (fail closed: a key
    meant to be removed must not stay valid through a typo), and the log says why. A ring with
    a keys file is never "no keys", even while the file holds none.
    """

    def __init__(self, keys: list[ApiKey] | tuple[ApiKey, ...] = (), keys_file: Path | None = None):
        self.fixed = tuple(keys)
        self.keys_file = keys_file
        self.lock = threading.Lock()
        self.keys, self._stamp = _distinct(self.fixed), None
        if keys_file is not None:  # here a file that cannot be used is an error (nothing listens yet)
            before = _stamp(keys_file)
            self.keys = _distinct(self.fixed + tuple(keys_from_file(keys_file)))
            self._stamp = _settled(before, _stamp(keys_file))

    def __bool__(self) -> bool:
        return bool(self.fixed) or self.keys_file is not None

    def current(self) -> tuple[ApiKey, ...]:
        """The keys now: the keys file read again if it changed since it was last read, or if,
        when last read, it had changed too recently for its stamp to be trusted (:func:`_settled`)."""
        if self.keys_file is not None and _stamp(self.keys_file) != self._stamp:  # never UNSETTLED
            with self.lock:
                before = _stamp(self.keys_file)
                if before != self._stamp:  # the keys first: a lookup never sees new stamp, old keys
                    self.keys = self._reloaded(self.keys_file)
                    self._stamp = _settled(before, _stamp(self.keys_file))
        return self.keys

    def _reloaded(self, keys_file: Path) -> tuple[ApiKey, ...]:
        try:
            keys = _distinct(self.fixed + tuple(keys_from_file(keys_file)))
        except Eur1pdfError as exc:
            log.error("API keys file not used, none of its keys is accepted until it is fixed: %s", exc)
            return self.fixed
        if keys != self.keys:  # a file read again only to be sure (_settled) says nothing new
            log.warning("API keys file %s read again: %d key(s)", keys_file, len(keys))
        return keys

    def find(self, secret: str) -> ApiKey | None:
        """The key whose secret this is; every key is compared (constant time), so the time
        taken tells nothing about which key came close."""
        given = hash_key(secret)
        found = None
        for key in self.current():
            if hmac.compare_digest(given, key.sha256):
                found = key
        return found

    def named(self, name: str) -> ApiKey | None:
        """The key called ``name`` now (None once it is gone from the configuration)."""
        return next((key for key in self.current() if key.name == name), None)


def _stamp(path: Path) -> Stamp:
    """What tells a changed file: device, inode, size, modification and change times (None: it
    is gone)."""
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return (stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns)


def _settled(before: Stamp, after: Stamp) -> Stamp:
    """The stamp to remember for a file read between ``before`` and ``after``; ``UNSETTLED``
    (read it again at the next lookup) when it moved during the read, or changed less than
    ``RACY_S`` ago. A file's times only move in ticks (a second or two on some file systems):
    edited in place to the same size within the tick of its last change, it keeps its stamp, so
    a stamp taken that soon could hide an edit for good (a removed key staying valid) — git's
    "racy clean" rule. Once the file has been still for ``RACY_S``, its stamp is trusted (a file
    dated in the future is read at each lookup until then: correct, only slower)."""
    if before != after:
        return UNSETTLED
    if after is not None and time.time_ns() - max(after[3:5]) < RACY_S * 1e9:  # its mtime, ctime
        return UNSETTLED
    return after


def _distinct(keys: tuple[ApiKey, ...]) -> tuple[ApiKey, ...]:
    names = [key.name for key in keys]
    doubled = sorted({name for name in names if names.count(name) > 1})
    if doubled:
        raise Eur1pdfError(f"API keys: the name {doubled[0]!r} is given twice")
    hashes = [key.sha256 for key in keys]
    if len(set(hashes)) != len(hashes):
        raise Eur1pdfError("API keys: two keys have the same secret")
    return keys


def _checked_name(name: str, where: str) -> str:
    if not _NAME.fullmatch(name):
        raise Eur1pdfError(f"{where}: the key name {name!r} is not usable (letters, digits, . _ @ -)")
    return name


def _checked_scopes(scopes: list[str], where: str) -> frozenset[str]:
    unknown = [scope for scope in scopes if scope not in SCOPES]
    if unknown or not scopes:
        wrong = repr(unknown[0]) if unknown else "none"
        raise Eur1pdfError(f"{where}: scope {wrong} is not one of {', '.join(SCOPES)}")
    return frozenset(scopes)


def keys_from_text(text: str, where: str = KEYS_VARIABLE) -> list[ApiKey]:
    """Keys written as ``name:scope,scope:KEY`` separated by ``;`` (the environment variable's form)."""
    keys = []
    for number, entry in enumerate(part.strip() for part in text.split(";")):
        if not entry:
            continue
        name, _, rest = entry.partition(":")
        scopes, _, secret = rest.partition(":")
        place = f"{where}, key {number + 1}"
        if not secret:
            raise Eur1pdfError(f"{place}: write name:scope,scope:KEY")
        if len(secret) < MIN_KEY_LENGTH:
            raise Eur1pdfError(f"{place}: a key needs at least {MIN_KEY_LENGTH} characters")
        checked = _checked_scopes([s.strip() for s in scopes.split(",") if s.strip()], place)
        keys.append(key_with_secret(_checked_name(name.strip(), place), checked, secret))
    return keys


def keys_from_file(path: Path) -> list[ApiKey]:
    """Keys from a TOML keys file (``[[keys]]`` with ``name``, ``scopes``, ``sha256``)."""
    try:
        raw = read_small_toml(path, "API keys")  # a regular file within its limit
    except NotToml as exc:
        raise Eur1pdfError(f"{path}: {exc}") from None
    except FileRefused as exc:
        raise Eur1pdfError(f"{path}: cannot read the API keys file ({exc})") from None
    entries = raw.get("keys")
    if not isinstance(entries, list) or set(raw) != {"keys"}:
        raise Eur1pdfError(f"{path}: write each key as a [[keys]] table (name, scopes, sha256)")
    keys = []
    for number, entry in enumerate(entries, 1):
        place = f"{path}, key {number}"
        if not isinstance(entry, dict) or set(entry) != {"name", "scopes", "sha256"}:
            raise Eur1pdfError(f"{place}: give exactly name, scopes and sha256")
        digest = str(entry["sha256"]).lower()
        if not _HEX64.fullmatch(digest):
            raise Eur1pdfError(f"{place}: sha256 is the key's SHA-256 as 64 hex digits")
        scopes = entry["scopes"] if isinstance(entry["scopes"], list) else []
        keys.append(
            ApiKey(
                _checked_name(str(entry["name"]), place),
                _checked_scopes([str(s) for s in scopes], place),
                bytes.fromhex(digest),
            )
        )
    return keys


def configured_keys(keys_file: Path | None, single_secret: str | None) -> list[ApiKey]:
    """Every key the server accepts: the keys file, ``$EUR1PDF_API_KEYS``, ``--api-key-env``'s key."""
    keys = keys_from_file(keys_file) if keys_file is not None else []
    keys += keys_from_text(os.environ.get(KEYS_VARIABLE, ""))
    if single_secret is not None:
        keys.append(key_with_secret(SINGLE_KEY_NAME, SCOPES, single_secret))
    return keys
