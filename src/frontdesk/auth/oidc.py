"""Signing in through an OpenID Connect provider: the authorization code flow with PKCE, state and nonce.

Nothing about a sign-in in progress is stored on the server. ``state``, ``nonce`` and the PKCE
verifier travel in a short-lived cookie that we sign with a key derived from the installation's
secret, so any server behind a load balancer can finish a sign-in that another one started, and a
forged or swapped cookie is refused.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode, urlsplit

import httpx
import jwt
import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.audit.service import record
from frontdesk.auth.external import (
    ASYMMETRIC_ALGORITHMS,
    InvalidToken,
    ProviderUnreachable,
    fetch_json,
    http_client,
    normalised_email,
    verify_signed_token,
)
from frontdesk.auth.schemas import TokenPair
from frontdesk.kit.crypto import constant_time_equal
from frontdesk.kit.errors import BadRequest, Conflict, Forbidden, FrontdeskError, NotFound, Unauthorized
from frontdesk.users import repository as users
from frontdesk.users.models import User

if TYPE_CHECKING:
    from frontdesk.config import Settings
    from frontdesk.kit.runtime import Runtime

log = structlog.get_logger("frontdesk.auth.oidc")

STATE_COOKIE = "fd_oidc"
STATE_COOKIE_PATH = "/auth/oidc"
STATE_TTL_SECONDS = 600
STATE_TYP = "frontdesk-oidc-login"
DISCOVERY_TTL_SECONDS = 3600
DEFAULT_LANDING = "/app"


class ProviderError(FrontdeskError):
    """The provider could not be reached or answered nonsense: not the user's fault, not ours either."""

    status_code = 502
    code = "oidc_provider_unavailable"


def enabled(settings: Settings) -> bool:
    return bool(settings.oidc_issuer and settings.oidc_client_id)


def callback_url(settings: Settings) -> str:
    return settings.public_url.rstrip("/") + "/auth/oidc/callback"


def _require_enabled(settings: Settings) -> None:
    if not enabled(settings):
        raise NotFound("Single sign-on is not configured on this server.", code="oidc_disabled")


# ---------------------------------------------------------------- discovery


@dataclass(frozen=True)
class Provider:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    userinfo_endpoint: str | None
    auth_methods: tuple[str, ...]
    signing_algorithms: frozenset[str]


_discovery: dict[str, tuple[Provider, float]] = {}


def clear_discovery_cache() -> None:
    _discovery.clear()


def _url(document: dict[str, Any], name: str, *, required: bool = True) -> str | None:
    value = document.get(name)
    if isinstance(value, str) and urlsplit(value).scheme in ("http", "https"):
        return value
    if required:
        raise ProviderError(f"The identity provider's discovery document has no usable '{name}'.")
    return None


async def discover(settings: Settings, *, now: float) -> Provider:
    issuer = settings.oidc_issuer
    assert issuer
    cached = _discovery.get(issuer)
    if cached is not None and now - cached[1] < DISCOVERY_TTL_SECONDS:
        return cached[0]
    try:
        document = await fetch_json(
            issuer.rstrip("/") + "/.well-known/openid-configuration", what="The OpenID discovery document"
        )
    except ProviderUnreachable as exc:
        log.warning("oidc_discovery_failed", error=str(exc))
        if cached is not None:
            return cached[0]
        raise ProviderError("The identity provider cannot be reached right now. Try again in a minute.") from None
    announced = document.get("issuer")
    # The spec wants the exact string; operators copy issuers with and without the final slash.
    if not isinstance(announced, str) or announced.rstrip("/") != issuer.rstrip("/"):
        raise ProviderError(
            "The identity provider announces a different issuer than the one configured "
            f"(configured {issuer!r}, announced {announced!r})."
        )
    methods = document.get("token_endpoint_auth_methods_supported")
    algorithms = document.get("id_token_signing_alg_values_supported")
    provider = Provider(
        issuer=announced,
        authorization_endpoint=_url(document, "authorization_endpoint") or "",
        token_endpoint=_url(document, "token_endpoint") or "",
        jwks_uri=_url(document, "jwks_uri") or "",
        userinfo_endpoint=_url(document, "userinfo_endpoint", required=False),
        auth_methods=tuple(m for m in methods if isinstance(m, str)) if isinstance(methods, list) else (),
        signing_algorithms=frozenset(a for a in algorithms if isinstance(a, str))
        if isinstance(algorithms, list)
        else frozenset({"RS256"}),
    )
    _discovery[issuer] = (provider, now)
    return provider


# ---------------------------------------------------------------- the signed state cookie


def _state_key(settings: Settings) -> bytes:
    # A key of its own, so a state cookie can never pass for one of our access tokens or vice versa.
    return hmac.new(settings.signing_key.encode(), b"frontdesk/oidc-login-state", hashlib.sha256).digest()


def _seal(settings: Settings, payload: dict[str, str], *, now: float) -> str:
    claims = {**payload, "typ": STATE_TYP, "iat": int(now), "exp": int(now) + STATE_TTL_SECONDS}
    return jwt.encode(claims, _state_key(settings), algorithm="HS256", headers={"typ": STATE_TYP})


def _state_mismatch(message: str) -> BadRequest:
    return BadRequest(message, code="oidc_state_mismatch")


def _unseal(settings: Settings, cookie: str | None, *, now: float) -> dict[str, Any]:
    if not cookie:
        raise _state_mismatch(
            "This sign-in was not started in this browser, or it took too long. Start again from the sign-in page."
        )
    try:
        header = jwt.get_unverified_header(cookie)
        claims: dict[str, Any] = jwt.decode(
            cookie,
            _state_key(settings),
            algorithms=["HS256"],
            options={"require": ["exp", "state", "nonce", "cv"], "verify_exp": False},
        )
    except jwt.PyJWTError:
        raise _state_mismatch("This sign-in could not be matched to this browser. Start again.") from None
    if header.get("typ") != STATE_TYP or claims.get("typ") != STATE_TYP:
        raise _state_mismatch("This sign-in could not be matched to this browser. Start again.")
    if int(claims["exp"]) <= now:
        raise _state_mismatch("This sign-in took too long and has expired. Start again from the sign-in page.")
    return claims


def safe_next(value: str | None) -> str:
    """Only a path on this site: an open redirect after sign-in is a phishing tool."""
    if not value or len(value) > 500 or not value.startswith("/") or value.startswith(("//", "/\\")):
        return DEFAULT_LANDING
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or any(ord(ch) < 32 for ch in value):
        return DEFAULT_LANDING
    return value


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@dataclass(frozen=True)
class LoginStart:
    authorization_url: str
    state_cookie: str


async def begin_login(runtime: Runtime, *, next_path: str | None) -> LoginStart:
    settings = runtime.settings
    _require_enabled(settings)
    now = runtime.clock.now().timestamp()
    provider = await discover(settings, now=now)
    state, nonce = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
    verifier = secrets.token_urlsafe(48)  # 64 characters, inside RFC 7636's 43..128
    challenge = _b64url(hashlib.sha256(verifier.encode()).digest())
    scopes = settings.oidc_scopes.split()
    if "openid" not in scopes:
        scopes.insert(0, "openid")
    query = urlencode(
        {
            "response_type": "code",
            "client_id": settings.oidc_client_id,
            "redirect_uri": callback_url(settings),
            "scope": " ".join(scopes),
            "state": state,
            "nonce": nonce,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
    )
    separator = "&" if "?" in provider.authorization_endpoint else "?"
    cookie = _seal(settings, {"state": state, "nonce": nonce, "cv": verifier, "next": safe_next(next_path)}, now=now)
    return LoginStart(authorization_url=f"{provider.authorization_endpoint}{separator}{query}", state_cookie=cookie)


# ---------------------------------------------------------------- finishing the sign-in


@dataclass(frozen=True)
class LoginResult:
    tokens: TokenPair
    user: User
    organization_id: Any
    next_path: str


def _auth_method(provider: Provider, secret: str | None) -> str:
    if not secret:
        return "none"
    # Discovery's default, when the provider does not say, is client_secret_basic.
    supported = provider.auth_methods or ("client_secret_basic",)
    if "client_secret_basic" in supported:
        return "client_secret_basic"
    if "client_secret_post" in supported:
        return "client_secret_post"
    return "client_secret_basic"


async def _exchange_code(settings: Settings, provider: Provider, *, code: str, verifier: str) -> dict[str, Any]:
    assert settings.oidc_client_id
    secret = settings.oidc_client_secret.get_secret_value() if settings.oidc_client_secret else None
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": callback_url(settings),
        "code_verifier": verifier,
    }
    headers = {"accept": "application/json"}
    method = _auth_method(provider, secret)
    if method == "client_secret_basic":
        assert secret is not None
        # RFC 6749 2.3.1: both parts are form-encoded before they are joined and base64-encoded.
        pair = f"{quote(settings.oidc_client_id, safe='')}:{quote(secret, safe='')}"
        headers["authorization"] = "Basic " + base64.b64encode(pair.encode()).decode()
    else:
        form["client_id"] = settings.oidc_client_id
        if method == "client_secret_post":
            assert secret is not None
            form["client_secret"] = secret
    try:
        async with http_client() as client:
            response = await client.post(provider.token_endpoint, data=form, headers=headers)
    except httpx.HTTPError as exc:
        log.warning("oidc_token_endpoint_unreachable", error=exc.__class__.__name__)
        raise ProviderError("The identity provider cannot be reached right now. Try again in a minute.") from None
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise ProviderError("The identity provider's token endpoint did not answer with JSON.")
    if response.status_code != 200:
        error = str(body.get("error") or f"HTTP {response.status_code}")[:100]
        log.info("oidc_code_rejected", error=error)
        raise BadRequest(
            "The identity provider did not accept this sign-in (the code may be used or expired). Start again.",
            code="oidc_code_rejected",
            details={"error": error},
        )
    if not isinstance(body.get("id_token"), str):
        raise ProviderError("The identity provider's answer has no ID token; is the 'openid' scope allowed?")
    return body


async def _verified_claims(
    settings: Settings, provider: Provider, id_token: str, *, nonce: str, now: float
) -> dict[str, Any]:
    assert settings.oidc_client_id
    # Only public-key signatures: an HS256 ID token would be keyed with our client secret, which the
    # provider's operators also hold, and it widens what a confused configuration could accept.
    algorithms = provider.signing_algorithms & ASYMMETRIC_ALGORITHMS
    if not algorithms:
        raise ProviderError("The identity provider signs ID tokens with no algorithm this server accepts.")
    try:
        claims = await verify_signed_token(
            id_token,
            algorithms=algorithms,
            issuer=provider.issuer,
            audience=settings.oidc_client_id,
            now=now,
            jwks_url=provider.jwks_uri,
            require=("exp", "iat", "sub", "aud", "iss"),
        )
    except ProviderUnreachable as exc:
        log.warning("oidc_jwks_unavailable", error=str(exc))
        raise ProviderError("The identity provider's signing keys cannot be fetched right now.") from None
    except InvalidToken as exc:
        raise Unauthorized(
            f"The identity provider's answer could not be trusted: {exc}.",
            code="oidc_token_invalid",
            details={"reason": str(exc)},
        ) from None
    audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    if len(audiences) > 1 and claims.get("azp") != settings.oidc_client_id:
        raise Unauthorized(
            "The identity provider's answer could not be trusted: it was issued to another party.",
            code="oidc_token_invalid",
        )
    if not isinstance(claims.get("nonce"), str) or not constant_time_equal(claims["nonce"], nonce):
        raise Unauthorized(
            "The identity provider's answer could not be trusted: it belongs to another sign-in.",
            code="oidc_token_invalid",
        )
    sub = claims.get("sub")
    if not isinstance(sub, str) or not sub or len(sub) > 255:
        raise Unauthorized("The identity provider's answer has no usable subject.", code="oidc_token_invalid")
    return claims


async def _userinfo(provider: Provider, access_token: str, *, sub: str) -> dict[str, Any]:
    """Some providers keep email out of the ID token; the userinfo endpoint has it."""
    if not provider.userinfo_endpoint:
        return {}
    try:
        async with http_client() as client:
            response = await client.get(
                provider.userinfo_endpoint,
                headers={"authorization": f"Bearer {access_token}", "accept": "application/json"},
            )
        info = response.json() if response.status_code == 200 else {}
    except (httpx.HTTPError, ValueError):
        return {}
    # A userinfo answer about someone else must not lend its email to this sign-in.
    if not isinstance(info, dict) or info.get("sub") != sub:
        return {}
    return info


def _display_name(claims: dict[str, Any], email: str | None) -> str:
    for candidate in (
        claims.get("name"),
        " ".join(str(claims[k]) for k in ("given_name", "family_name") if isinstance(claims.get(k), str)),
        claims.get("preferred_username"),
    ):
        if isinstance(candidate, str) and candidate.strip():
            return candidate.strip()[:200]
    return (email or "user").split("@")[0][:200]


async def _find_or_create_user(
    session: AsyncSession, settings: Settings, claims: dict[str, Any], *, ip: str | None
) -> User:
    from frontdesk.auth.service import create_user

    sub: str = claims["sub"]
    user = await users.get_by_oidc_subject(session, sub)
    if user is not None:
        return user
    email = normalised_email(claims.get("email"))
    verified = claims.get("email_verified") is True
    if email is not None and verified:
        user = await users.get_by_email(session, email)
        if user is not None:
            if user.oidc_subject is not None:
                raise Conflict(
                    "This email's account is already linked to another single sign-on identity.",
                    code="oidc_account_conflict",
                )
            user.oidc_subject = sub
            record(
                session,
                "auth.oidc_linked",
                organization_id=None,
                actor_label=user.email,
                ip=ip,
                target_type="user",
                target_id=user.id,
            )
            return user
    if not settings.oidc_allow_signup:
        who = f" for {email}" if email else ""
        raise Forbidden(
            f"There is no Frontdesk account{who}. Ask an administrator of your organization to invite you, "
            "then sign in again.",
            code="oidc_no_account",
        )
    if email is None or not verified:
        raise Forbidden(
            "Your identity provider did not confirm your email address, so no account can be created for it.",
            code="oidc_email_unverified",
        )
    user = await create_user(session, email=email, name=_display_name(claims, email), password=None)
    user.oidc_subject = sub
    record(
        session,
        "auth.oidc_signup",
        organization_id=None,
        actor_label=user.email,
        ip=ip,
        target_type="user",
        target_id=user.id,
    )
    return user


async def complete_login(
    session: AsyncSession,
    *,
    code: str | None,
    state: str | None,
    state_cookie: str | None,
    ip: str | None,
    user_agent: str | None,
) -> LoginResult:
    from frontdesk.auth.service import start_session

    runtime: Runtime = session.info["runtime"]
    settings = runtime.settings
    _require_enabled(settings)
    now = runtime.clock.now().timestamp()
    sealed = _unseal(settings, state_cookie, now=now)
    if not state or not constant_time_equal(state, str(sealed["state"])):
        raise _state_mismatch(
            "This answer from the identity provider does not belong to the sign-in this browser started. "
            "Start again from the sign-in page."
        )
    if not code:
        raise BadRequest("The identity provider sent no authorization code.", code="oidc_missing_code")
    provider = await discover(settings, now=now)
    answer = await _exchange_code(settings, provider, code=code, verifier=str(sealed["cv"]))
    claims = await _verified_claims(settings, provider, answer["id_token"], nonce=str(sealed["nonce"]), now=now)
    if "email" not in claims and isinstance(answer.get("access_token"), str):
        info = await _userinfo(provider, answer["access_token"], sub=claims["sub"])
        claims = {**info, **claims, **{k: info[k] for k in ("email", "email_verified") if k in info}}
    user = await _find_or_create_user(session, settings, claims, ip=ip)
    if not user.is_active:
        raise Forbidden("This account is disabled.", code="account_disabled")
    user.last_login_at = runtime.clock.now()
    tokens = await start_session(session, user, ip=ip, user_agent=user_agent)
    record(
        session,
        "auth.oidc_login",
        organization_id=None,
        actor_label=user.email,
        ip=ip,
        target_type="user",
        target_id=user.id,
    )
    memberships = await users.memberships_of(session, user.id)
    only = memberships[0][1].id if len(memberships) == 1 else None
    return LoginResult(tokens=tokens, user=user, organization_id=only, next_path=safe_next(sealed.get("next")))
