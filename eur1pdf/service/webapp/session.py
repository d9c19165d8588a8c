"""The clerk's session: a signed cookie naming the API key signed in with, and its CSRF token.

The cookie holds no secret: the key's *name*, a random session id and an
expiry, signed with HMAC-SHA256 under a secret made when the server starts
(a restart signs everyone out). It is HttpOnly, SameSite=Strict, and Secure
when the page is served over https. Every POST carries the session's CSRF
token (an HMAC of the session id), compared in constant time. The key is
looked up again by name on every request, so a key removed from the server's
configuration ends its sessions at the next restart, and its scopes are
always the configured ones.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response

from eur1pdf.service.keys import ANONYMOUS, ApiKey, KeyRing

COOKIE = "eur1pdf_session"
LIFETIME_S = 8 * 3600  # a working day


@dataclass(frozen=True)
class Session:
    """A signed-in clerk: the key (name and scopes) and the session's CSRF token."""

    key: ApiKey
    session_id: str
    csrf: str

    def allows(self, scope: str) -> bool:
        return self.key.allows(scope)


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Sessions:
    """Signing and reading session cookies for one server (one secret, one key ring)."""

    def __init__(self, ring: KeyRing, secret: bytes | None = None):
        self.ring = ring
        self.secret = secret or secrets.token_bytes(32)

    def _mac(self, purpose: str, text: str) -> str:
        return _b64(hmac.new(self.secret, f"{purpose}:{text}".encode(), hashlib.sha256).digest())

    def _key_named(self, name: str) -> ApiKey | None:
        if not self.ring:
            return ANONYMOUS if name == ANONYMOUS.name else None
        return next((key for key in self.ring.keys if key.name == name), None)

    def sign_in(self, secret: str) -> ApiKey | None:
        """The key whose secret the clerk typed (any text when the server has no keys)."""
        if not self.ring:
            return ANONYMOUS
        return self.ring.find(secret)

    def start(self, response: Response, key: ApiKey, secure: bool) -> None:
        """Set the cookie of a new session for ``key`` on ``response``."""
        payload = {"k": key.name, "s": secrets.token_urlsafe(16), "e": int(time.time()) + LIFETIME_S}
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

    @staticmethod
    def end(response: Response, secure: bool) -> None:
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
        key = self._key_named(name)
        if key is None or expires < time.time():
            return None
        return Session(key, session_id, self._mac("csrf", session_id))

    @staticmethod
    def csrf_ok(session: Session, token: str | None) -> bool:
        return token is not None and hmac.compare_digest(session.csrf.encode(), token.encode())


def is_https(request: Request) -> bool:
    """Served over https (directly, or behind a proxy that says so)."""
    forwarded = request.headers.get("x-forwarded-proto", "")
    return request.url.scheme == "https" or forwarded.split(",")[0].strip() == "https"
