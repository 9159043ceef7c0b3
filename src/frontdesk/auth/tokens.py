"""Our own JWTs. The algorithm is pinned: a token claiming ``none`` or RS256 is refused outright."""

from __future__ import annotations

import uuid
from collections import OrderedDict
from datetime import datetime, timedelta
from typing import Any

import jwt

from frontdesk.config import Settings
from frontdesk.kit.errors import Unauthorized

ALGORITHM = "HS256"
ISSUER = "frontdesk"


def issue_access_token(
    settings: Settings, *, user_id: uuid.UUID, session_id: uuid.UUID, now: datetime
) -> tuple[str, int]:
    ttl = settings.access_token_minutes * 60
    claims = {
        "iss": ISSUER,
        "sub": str(user_id),
        "sid": str(session_id),
        "typ": "access",
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(seconds=ttl)).timestamp()),
    }
    return jwt.encode(claims, settings.signing_key, algorithm=ALGORITHM), ttl


def is_ours(token: str) -> bool:
    if token in _VERIFIED:
        return True
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        return False
    return claims.get("iss") == ISSUER and header.get("alg") == ALGORITHM


# Verifying a signature is the costly part of every authenticated request, and a client sends the
# same token many times. The cache holds only tokens whose signature checked out, keyed by the whole
# token and the key that verified it; expiry and revocation are still judged on every use.
_VERIFIED: OrderedDict[str, tuple[str, dict[str, Any]]] = OrderedDict()
_VERIFIED_MAX = 4096


def _verify(key: str, token: str) -> dict[str, Any]:
    hit = _VERIFIED.get(token)
    if hit is not None and hit[0] == key:
        _VERIFIED.move_to_end(token)
        return dict(hit[1])
    claims: dict[str, Any] = jwt.decode(
        token,
        key,
        algorithms=[ALGORITHM],
        issuer=ISSUER,
        options={"require": ["exp", "iat", "sub", "typ"], "verify_exp": False, "verify_iat": False},
    )
    _VERIFIED[token] = (key, claims)
    if len(_VERIFIED) > _VERIFIED_MAX:
        _VERIFIED.popitem(last=False)
    return dict(claims)


def decode_access_token(settings: Settings, token: str, *, now: datetime) -> dict[str, Any]:
    try:
        claims = _verify(settings.signing_key, token)
    except jwt.PyJWTError as exc:
        raise Unauthorized("The access token is not valid.", code="token_invalid") from exc
    for name in ("exp", "iat"):
        # Signed by us, yet a number only in name: refuse it rather than trust it.
        if not isinstance(claims[name], int) or isinstance(claims[name], bool):
            raise Unauthorized("The access token is not valid.", code="token_invalid")
    # Expiry is judged against the runtime's clock so tests can move time.
    if claims["exp"] <= int(now.timestamp()):
        raise Unauthorized("The access token has expired; refresh it.", code="token_expired")
    if claims.get("typ") != "access":
        raise Unauthorized("This token cannot be used to call the API.", code="token_invalid")
    return claims
