"""The clerk's session: a signed cookie naming the API key signed in with, and its CSRF token.

The cookie holds no secret: the key's *name*, a random session id and an
expiry, signed with HMAC-SHA256 under a secret made when the server starts
(a restart signs everyone out). It is HttpOnly, SameSite=Strict, and Secure
when the page is served over https. Every POST carries the session's CSRF
token (an HMAC of the session id), compared in constant time.

A cookie alone is not a session: the server keeps each live session (its id,
the key's name and the SHA-256 of the key signed in with, its expiry) in this
process's memory, where the sessions are checked — ``eur1pdf serve`` is one
process (its worker processes only render), so one table answers every request.
Signing out removes the session, so a copied cookie is worth nothing after;
the key is looked up again on every request (the keys file is read again when
it changes), so a key removed, or given a new secret, ends its sessions at the
next request, and its scopes are always the configured ones.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import threading
import time
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response

from eur1pdf.service.keys import ANONYMOUS, ApiKey, KeyRing

COOKIE = "eur1pdf_session"
LIFETIME_S = 8 * 3600  # a working day
SESSIONS_PER_KEY = 200  # live sessions one key keeps; its oldest ends when it signs in once more


@dataclass(frozen=True)
class Session:
    """A signed-in clerk: the key (name and scopes) and the session's CSRF token."""

    key: ApiKey
    session_id: str
    csrf: str

    def allows(self, scope: str) -> bool:
        return self.key.allows(scope)


@dataclass(frozen=True)
class _Live:
    """What the server keeps of a live session (the cookie only names it)."""

    key_name: str
    key_sha256: bytes  # the key signed in with: a new secret for the same name ends the session
    expires: float


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Sessions:
    """Signing and reading session cookies for one server (one secret, one key ring)."""

    def __init__(self, ring: KeyRing, secret: bytes | None = None):
        self.ring = ring
        self.secret = secret or secrets.token_bytes(32)
        self.live: dict[str, _Live] = {}  # session id -> the session, oldest first
        self.lock = threading.Lock()

    def _mac(self, purpose: str, text: str) -> str:
        return _b64(hmac.new(self.secret, f"{purpose}:{text}".encode(), hashlib.sha256).digest())

    def _key_named(self, name: str) -> ApiKey | None:
        if not self.ring:
            return ANONYMOUS if name == ANONYMOUS.name else None
        return self.ring.named(name)

    def sign_in(self, secret: str) -> ApiKey | None:
        """The key whose secret the clerk typed (any text when the server has no keys)."""
        if not self.ring:
            return ANONYMOUS
        return self.ring.find(secret)

    def start(self, response: Response, key: ApiKey, secure: bool) -> None:
        """Set the cookie of a new session for ``key`` on ``response``."""
        session_id, expires = secrets.token_urlsafe(16), int(time.time()) + LIFETIME_S
        self._keep(session_id, _Live(key.name, key.sha256, expires))
        payload = {"k": key.name, "s": session_id, "e": expires}
        body = _b64(json.dumps(payload, separators=(",", ":")).encode())
        response.set_cookie(
            COOKIE,
            f"{body}.{self._mac('session', body)}",
            max_age=LIFETIME_S,
            path="/app",
            httponly=True,
            samesite="strict",
            secure=secure,
        )

    def _keep(self, session_id: str, live: _Live) -> None:
        """Remember a new session: expired ones are forgotten, and a key keeps at most
        ``SESSIONS_PER_KEY`` (its oldest ends), so signing in again and again cannot fill memory."""
        now = time.time()
        with self.lock:
            for old in [sid for sid, kept in self.live.items() if kept.expires < now]:
                del self.live[old]
            own = [sid for sid, kept in self.live.items() if kept.key_name == live.key_name]
            for old in own[: max(0, len(own) - SESSIONS_PER_KEY + 1)]:
                del self.live[old]
            self.live[session_id] = live

    def end(self, session: Session, response: Response, secure: bool) -> None:
        """Sign out: the session is forgotten by the server (its cookie, copied or not, opens
        nothing any more) and the browser's cookie deleted."""
        with self.lock:
            self.live.pop(session.session_id, None)
        response.delete_cookie(COOKIE, path="/app", httponly=True, samesite="strict", secure=secure)

    def of(self, request: Request) -> Session | None:
        """The request's session, or None (no cookie, a forged or expired one, an unknown key)."""
        cookie = request.cookies.get(COOKIE, "")
        body, _, mac = cookie.partition(".")
        if not body or not hmac.compare_digest(mac.encode(), self._mac("session", body).encode()):
            return None
        try:
            payload = json.loads(_unb64(body))
            name, session_id, expires = str(payload["k"]), str(payload["s"]), int(payload["e"])
        except (ValueError, KeyError, TypeError):
            return None
        live = self.live.get(session_id)
        if live is None or live.key_name != name or min(expires, live.expires) < time.time():
            return None
        key = self._key_named(name)
        if key is None or not hmac.compare_digest(key.sha256, live.key_sha256):
            with self.lock:  # the key is gone, or has a new secret: its sessions end
                self.live.pop(session_id, None)
            return None
        return Session(key, session_id, self._mac("csrf", session_id))

    @staticmethod
    def csrf_ok(session: Session, token: str | None) -> bool:
        return token is not None and hmac.compare_digest(session.csrf.encode(), token.encode())


def is_https(request: Request) -> bool:
    """Served over https (directly, or behind a proxy that says so)."""
    forwarded = request.headers.get("x-forwarded-proto", "")
    return request.url.scheme == "https" or forwarded.split(",")[0].strip() == "https"
