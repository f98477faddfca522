"""Links to an incident's web page: a signed token naming the incident, its link generation and an expiry.

A link is a capability: whoever holds it may read that one incident's timeline until it expires or
is revoked. The token is ``base64url(payload) "." base64url(HMAC-SHA256(key, payload))`` with the
payload ``incident_id:generation:expires_at``. Revoking an incident's links raises its generation
(kept by the adapter, behind :class:`LinkGenerations`), so every token signed before no longer
matches. :func:`read_token` returns ``None`` for anything but a well-formed, correctly signed,
unexpired token, without saying which check failed: callers answer all of them alike.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import hashlib
import hmac
from typing import Protocol

DEFAULT_LINK_SECONDS = 7 * 24 * 3600
"""How long a page link works when the settings do not say: a week, long enough for a postmortem."""

_CONTEXT = b"chatops-incident-page\n"
"""Signed before the payload, so a signature made with the same key for another purpose never fits."""


@dataclasses.dataclass(frozen=True)
class LinkClaim:
    """What a valid token says: which incident, signed at which generation, until when."""

    incident_id: str
    generation: int
    expires_at: int


class LinkGenerations(Protocol):
    """Where an incident's link generation is kept (Redis in production)."""

    def generation(self, incident_id: str) -> int:
        """The current generation (0 until the links are first revoked)."""
        ...

    def revoke(self, incident_id: str) -> int:
        """Raise the generation, so every link signed before stops working; the new generation."""
        ...


def sign_token(claim: LinkClaim, *, key: bytes) -> str:
    """The token for ``claim``, signed with ``key``."""
    payload = f"{claim.incident_id}:{claim.generation}:{claim.expires_at}".encode()
    return f"{_b64(payload)}.{_b64(_mac(payload, key=key))}"


def read_token(token: str, *, key: bytes, now: float) -> LinkClaim | None:
    """The claim of ``token`` if it is well formed, signed with ``key`` and not expired at ``now``."""
    if not key or len(token) > 512 or token.count(".") != 1:
        return None
    encoded_payload, encoded_mac = token.split(".")
    payload = _unb64(encoded_payload)
    mac = _unb64(encoded_mac)
    if payload is None or mac is None or not hmac.compare_digest(mac, _mac(payload, key=key)):
        return None
    if _b64(payload) != encoded_payload or _b64(mac) != encoded_mac:
        return None  # only the one canonical spelling of a token is valid
    parts = payload.decode("ascii", errors="replace").split(":")
    if len(parts) != 3 or not all(part.isascii() and part.isdigit() for part in parts[1:]):
        return None
    claim = LinkClaim(incident_id=parts[0], generation=int(parts[1]), expires_at=int(parts[2]))
    return claim if claim.incident_id and now < claim.expires_at else None


@dataclasses.dataclass(frozen=True)
class PageLinks:
    """Everything needed to hand out and check page links: the key, the public URL, their lifetime."""

    key: bytes
    base_url: str
    """Where the bot's HTTP side is reached from a browser, as ``https://chatops.example.com``."""
    generations: LinkGenerations
    seconds: int = DEFAULT_LINK_SECONDS

    def url(self, incident_id: str, *, now: float) -> tuple[str, int]:
        """A fresh link to ``incident_id``'s page, and when it expires (unix seconds)."""
        expires_at = int(now) + self.seconds
        claim = LinkClaim(
            incident_id=incident_id,
            generation=self.generations.generation(incident_id),
            expires_at=expires_at,
        )
        return f"{self.base_url.rstrip('/')}/incidents/{sign_token(claim, key=self.key)}", expires_at

    def check(self, token: str, *, now: float) -> str | None:
        """The incident ``token`` opens, or ``None`` when it is bad, expired or revoked."""
        claim = read_token(token, key=self.key, now=now)
        if claim is None or claim.generation != self.generations.generation(claim.incident_id):
            return None
        return claim.incident_id


def _mac(payload: bytes, *, key: bytes) -> bytes:
    return hmac.new(key, _CONTEXT + payload, hashlib.sha256).digest()


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes | None:
    if not text or not text.isascii():
        return None
    try:
        return base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=True)
    except (binascii.Error, ValueError):
        return None
