"""Accepting JWTs minted by a host application's identity service.

When Frontdesk is embedded in another product's dashboard, that product's identity service already
knows who the person is, which tenant they act for and in what role. It signs a JWT; we verify it
and mirror the person, the tenant and the role into our own rows on every request, so that
permissions, audit and tenancy work exactly as for a password sign-in. The host stays the source of
truth: a role changed there is changed here on the next request.

The signature check is shared with OpenID Connect (``auth/oidc.py``): both fetch a JSON Web Key Set
over HTTP and keep it in memory per process for a while.
"""

from __future__ import annotations

import dataclasses
import functools
import ssl
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import httpx
import jwt
import structlog
from email_validator import EmailNotValidError, validate_email
from fastapi import Request
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.audit.service import record
from frontdesk.authz.permissions import Role
from frontdesk.authz.subject import AuthSubject
from frontdesk.kit.db import transaction
from frontdesk.kit.errors import Unauthorized
from frontdesk.kit.events import org_topic, publish_on_commit
from frontdesk.orgs import repository as orgs
from frontdesk.orgs.models import Membership, Organization
from frontdesk.users import repository as users
from frontdesk.users.models import User

if TYPE_CHECKING:
    from frontdesk.config import Settings
    from frontdesk.kit.runtime import Runtime

log = structlog.get_logger("frontdesk.auth.external")

# Clocks on two machines disagree a little; a minute is the usual allowance.
LEEWAY_SECONDS = 60
# How long a fetched key set is trusted before it is fetched again.
JWKS_TTL_SECONDS = 600
# A token naming a key we do not hold makes us fetch the set again, but not more often than this,
# so a stream of tokens with made-up key ids cannot turn us into a load generator against the host.
JWKS_REFETCH_COOLDOWN_SECONDS = 30
HTTP_TIMEOUT_SECONDS = 10.0
MAX_DOCUMENT_BYTES = 512 * 1024

ASYMMETRIC_ALGORITHMS = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
)
SYMMETRIC_ALGORITHMS = frozenset({"HS256", "HS384", "HS512"})
# Which JWK key types may carry each family; an RSA key can never verify an ES256 token and so on.
_KEY_TYPES = {"RS": "RSA", "PS": "RSA", "ES": "EC", "Ed": "OKP"}

ORG_NAME_CLAIM = "org_name"
ROLES = {role.value for role in Role}


class InvalidToken(Exception):
    """Why a token was refused. The reason is a fixed phrase, safe to show to the caller."""


class ProviderUnreachable(Exception):
    """A key set or discovery document could not be fetched or made no sense."""


# ---------------------------------------------------------------- fetching JSON documents


@functools.cache
def _tls_context() -> ssl.SSLContext:
    # Loading the CA bundle takes longer than a whole round trip to a nearby provider; do it once.
    return httpx.create_ssl_context()


def http_client() -> httpx.AsyncClient:
    """A client for calls to identity providers. Their URLs come from the operator's settings, not
    from users, so these calls do not go through the SSRF guard that user-typed URLs get."""
    return httpx.AsyncClient(timeout=HTTP_TIMEOUT_SECONDS, follow_redirects=False, verify=_tls_context())


async def fetch_json(url: str, *, what: str) -> dict[str, Any]:
    try:
        async with http_client() as client:
            response = await client.get(url, headers={"accept": "application/json"})
    except httpx.HTTPError as exc:
        raise ProviderUnreachable(f"{what} could not be fetched from {url}: {exc.__class__.__name__}") from exc
    if response.status_code != 200:
        raise ProviderUnreachable(f"{what} at {url} answered HTTP {response.status_code}")
    if len(response.content) > MAX_DOCUMENT_BYTES:
        raise ProviderUnreachable(f"{what} at {url} is larger than {MAX_DOCUMENT_BYTES} bytes")
    try:
        data = response.json()
    except ValueError as exc:
        raise ProviderUnreachable(f"{what} at {url} is not JSON") from exc
    if not isinstance(data, dict):
        raise ProviderUnreachable(f"{what} at {url} is not a JSON object")
    return data


# ---------------------------------------------------------------- key sets


@dataclass
class _KeySet:
    keys: list[dict[str, Any]]
    fetched_at: float
    # No fetch other than the very first happens before this: neither a forced one for an unknown
    # key id, nor a retry after the host failed to answer (each would otherwise cost every request
    # a full timeout while the host is down).
    next_fetch: float


@dataclass
class JwksCache:
    """Key sets by URL, for this process. Losing it costs one fetch, so it need not be shared."""

    ttl: float = JWKS_TTL_SECONDS
    cooldown: float = JWKS_REFETCH_COOLDOWN_SECONDS
    _sets: dict[str, _KeySet] = field(default_factory=dict)
    _failed_at: dict[str, float] = field(default_factory=dict)

    def clear(self) -> None:
        self._sets.clear()
        self._failed_at.clear()

    async def _fetch(self, url: str, now: float) -> _KeySet:
        entry = self._sets.get(url)
        try:
            document = await fetch_json(url, what="The JSON Web Key Set")
            keys = document.get("keys")
            if not isinstance(keys, list):
                raise ProviderUnreachable(f"The JSON Web Key Set at {url} has no 'keys' list")
        except ProviderUnreachable:
            self._failed_at[url] = now
            if entry is not None:
                entry.next_fetch = now + self.cooldown
            raise
        self._failed_at.pop(url, None)
        entry = _KeySet(keys=[k for k in keys if isinstance(k, dict)], fetched_at=now, next_fetch=now + self.cooldown)
        self._sets[url] = entry
        return entry

    async def key_for(self, url: str, *, kid: str | None, alg: str, now: float) -> jwt.PyJWK:
        entry = self._sets.get(url)
        if entry is None:
            failed = self._failed_at.get(url)
            if failed is not None and now - failed < self.cooldown:
                raise ProviderUnreachable(f"The JSON Web Key Set at {url} failed moments ago")
            entry = await self._fetch(url, now)
        elif now - entry.fetched_at >= self.ttl and now >= entry.next_fetch:
            try:
                entry = await self._fetch(url, now)
            except ProviderUnreachable as exc:
                # A key set that was good a moment ago beats refusing everyone while the host has a
                # hiccup; the fetch is tried again after the cool-down.
                log.warning("jwks_refresh_failed_using_stale", url=url, error=str(exc))
        key = _select(entry.keys, kid=kid, alg=alg)
        if key is None and now >= entry.next_fetch:
            entry = await self._fetch(url, now)
            key = _select(entry.keys, kid=kid, alg=alg)
        if key is None:
            raise InvalidToken("no key in the key set matches the token's key id")
        return key


def _select(keys: list[dict[str, Any]], *, kid: str | None, alg: str) -> jwt.PyJWK | None:
    wanted_kty = _KEY_TYPES.get(alg[:2])
    candidates = []
    for jwk in keys:
        if jwk.get("kty") != wanted_kty or jwk.get("use", "sig") != "sig":
            continue
        if jwk.get("alg") not in (None, alg):
            continue
        if kid is not None and jwk.get("kid") != kid:
            continue
        candidates.append(jwk)
    # Without a key id a token is only accepted when exactly one key could have signed it.
    if len(candidates) != 1:
        return None
    try:
        return jwt.PyJWK(candidates[0], algorithm=alg)
    except (jwt.PyJWTError, ValueError, TypeError, KeyError):
        # A malformed key in the host's set must refuse the token, not crash the request.
        return None


_jwks = JwksCache()


def clear_caches() -> None:
    """Forget every fetched key set and discovery document (tests, or after rotating providers)."""
    _jwks.clear()
    from frontdesk.auth import oidc

    oidc.clear_discovery_cache()


# ---------------------------------------------------------------- verification


async def verify_signed_token(
    token: str,
    *,
    algorithms: frozenset[str],
    issuer: str,
    audience: str,
    now: float,
    jwks_url: str | None = None,
    secret: bytes | None = None,
    require: tuple[str, ...] = ("exp", "sub"),
) -> dict[str, Any]:
    """Verify signature, issuer, audience and times; return the claims or raise :class:`InvalidToken`.

    ``algorithms`` is the allow-list, already narrowed to what the configured keys can verify. The
    key is chosen by the family of the token's algorithm and never by anything else the token says,
    which is what makes HS256-signed-with-the-public-key and ``alg: none`` fail.
    """
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise InvalidToken("the token is not a well-formed JWT") from exc
    alg = header.get("alg")
    if not isinstance(alg, str) or alg not in algorithms:
        raise InvalidToken("the token's signing algorithm is not allowed")
    key: jwt.PyJWK | bytes
    if alg in SYMMETRIC_ALGORITHMS:
        if not secret:
            raise InvalidToken("the token's signing algorithm is not allowed")
        key = secret
    else:
        if not jwks_url:
            raise InvalidToken("the token's signing algorithm is not allowed")
        kid = header.get("kid")
        if kid is not None and not isinstance(kid, str):
            raise InvalidToken("the token's key id is not a string")
        key = await _jwks.key_for(jwks_url, kid=kid, alg=alg, now=now)
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            key,
            algorithms=[alg],
            issuer=issuer,
            audience=audience,
            # Times are judged below against the runtime clock, so tests can move time.
            options={"require": list(require), "verify_exp": False, "verify_nbf": False, "verify_iat": False},
        )
    except jwt.InvalidAudienceError as exc:
        raise InvalidToken("the token is meant for another audience") from exc
    except jwt.InvalidIssuerError as exc:
        raise InvalidToken("the token comes from another issuer") from exc
    except jwt.MissingRequiredClaimError as exc:
        raise InvalidToken(f"the token lacks the '{exc.claim}' claim") from exc
    except jwt.InvalidSignatureError as exc:
        raise InvalidToken("the token's signature does not verify") from exc
    except jwt.PyJWTError as exc:
        raise InvalidToken("the token could not be verified") from exc
    _check_times(claims, now)
    return claims


def _check_times(claims: dict[str, Any], now: float) -> None:
    def number(name: str) -> float | None:
        value = claims.get(name)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise InvalidToken(f"the token's '{name}' claim is not a number")
        return float(value)

    exp, nbf, iat = number("exp"), number("nbf"), number("iat")
    if exp is not None and exp <= now - LEEWAY_SECONDS:
        raise InvalidToken("the token has expired")
    if nbf is not None and nbf > now + LEEWAY_SECONDS:
        raise InvalidToken("the token is not valid yet")
    if iat is not None and iat > now + LEEWAY_SECONDS:
        raise InvalidToken("the token claims to be issued in the future")


# ---------------------------------------------------------------- host application tokens


@dataclass(frozen=True)
class HostConfig:
    issuer: str
    audience: str
    jwks_url: str | None
    secret: bytes | None
    algorithms: frozenset[str]


def host_config(settings: Settings) -> HostConfig | None:
    """The usable configuration, or ``None`` when host-application tokens are off or cannot work."""
    if not settings.external_jwt_issuer or not settings.external_jwt_audience:
        return None
    jwks_url = settings.external_jwt_jwks_url or None
    secret = settings.external_jwt_secret.get_secret_value().encode() if settings.external_jwt_secret else None
    if not jwks_url and not secret:
        return None
    allowed = set(settings.external_jwt_algorithms)
    usable: set[str] = set()
    if jwks_url:
        usable |= allowed & ASYMMETRIC_ALGORITHMS
    if secret:
        usable |= allowed & SYMMETRIC_ALGORITHMS
    if not usable:
        log.error(
            "external_jwt_misconfigured",
            reason="none of FRONTDESK_EXTERNAL_JWT_ALGORITHMS can be verified with the configured key source",
            algorithms=sorted(allowed),
        )
        return None
    return HostConfig(
        issuer=settings.external_jwt_issuer,
        audience=settings.external_jwt_audience,
        jwks_url=jwks_url,
        secret=secret,
        algorithms=frozenset(usable),
    )


@dataclass(frozen=True)
class HostIdentity:
    subject: str
    email: str | None
    email_verified: bool | None
    name: str | None
    org_id: str
    org_name: str | None
    role: str


def claim(claims: dict[str, Any], name: str) -> Any:
    """A claim by exact name (``https://host/org`` style names contain dots), else by dotted path."""
    if name in claims:
        return claims[name]
    value: Any = claims
    for part in name.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def _text(value: Any, limit: int) -> str | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | str):
        text = str(value).strip()
        return text[:limit] if text else None
    return None


def map_role(value: Any, default: str) -> str:
    """One role from the claim: a string, or a list whose highest known role wins."""
    from frontdesk.authz.permissions import ROLE_RANK

    names = value if isinstance(value, list) else [value]
    known = [Role(v.strip().lower()) for v in names if isinstance(v, str) and v.strip().lower() in ROLES]
    if known:
        return max(known, key=lambda r: ROLE_RANK[r]).value
    return default if default in ROLES else Role.VIEWER.value


def normalised_email(value: Any) -> str | None:
    raw = _text(value, 320)
    if raw is None:
        return None
    try:
        return users.normalise_email(validate_email(raw, check_deliverability=False).normalized)
    except EmailNotValidError:
        return None


def identity_from_claims(claims: dict[str, Any], settings: Settings) -> HostIdentity:
    subject = _text(claims.get("sub"), 255)
    if subject is None or len(str(claims.get("sub"))) > 255:
        raise InvalidToken("the token's 'sub' claim is missing or too long")
    org_value = claim(claims, settings.external_jwt_claim_org)
    org_id = _text(org_value, 200)
    if org_id is None or len(str(org_value).strip()) > 200:
        raise InvalidToken(f"the token's '{settings.external_jwt_claim_org}' claim is missing or too long")
    email_raw = claim(claims, settings.external_jwt_claim_email)
    email = normalised_email(email_raw)
    if email_raw is not None and email is None:
        raise InvalidToken(f"the token's '{settings.external_jwt_claim_email}' claim is not an email address")
    verified = claims.get("email_verified")
    return HostIdentity(
        subject=subject,
        email=email,
        email_verified=verified if isinstance(verified, bool) else None,
        name=_text(claim(claims, settings.external_jwt_claim_name), 200),
        org_id=org_id,
        org_name=_text(claims.get(ORG_NAME_CLAIM), 200),
        role=map_role(claim(claims, settings.external_jwt_claim_role), settings.external_jwt_default_role),
    )


async def subject_from_token(request: Request, session: AsyncSession, token: str) -> AuthSubject:
    """Verify a foreign bearer token and bring its person, tenant and role up to date."""
    from frontdesk.auth.dependencies import client_ip, user_subject

    runtime: Runtime = session.info["runtime"]
    config = host_config(runtime.settings)
    if config is None:
        raise Unauthorized("The access token is not valid.", code="token_invalid")
    now = runtime.clock.now().timestamp()
    ip = client_ip(request)
    try:
        claims = await verify_signed_token(
            token,
            algorithms=config.algorithms,
            issuer=config.issuer,
            audience=config.audience,
            now=now,
            jwks_url=config.jwks_url,
            secret=config.secret,
        )
        identity = identity_from_claims(claims, runtime.settings)
        # Mirroring the host's rows is a write, and this request may be a read-only one: do it in a
        # transaction of its own, before the request's session has read anything.
        async with transaction(runtime.sessionmaker) as writer:
            mirrored_user, mirrored_org = await sync_identity(writer, identity, ip=ip)
            user_id, org_id = mirrored_user.id, mirrored_org.id
    except InvalidToken as exc:
        raise Unauthorized(
            f"The access token is not valid: {exc}.", code="token_invalid", details={"reason": str(exc)}
        ) from None
    except ProviderUnreachable as exc:
        log.warning("external_jwks_unavailable", error=str(exc))
        raise Unauthorized(
            "The access token could not be checked: the signing keys are unavailable.",
            code="token_invalid",
            details={"reason": "signing keys unavailable"},
        ) from None
    subject = await user_subject(session, user_id, selected=org_id, ip=ip, via="external")
    # The host vouches for one tenant and one role, nothing more. A person linked by email may also
    # hold other memberships here, or be an installation operator; a token the host minted (or a
    # host user who set that email on their profile) must not carry those.
    return dataclasses.replace(
        subject,
        memberships={org_id: subject.memberships[org_id]},
        suspended=subject.suspended & {org_id},
        is_operator=False,
    )


# ---------------------------------------------------------------- mirroring the host's rows


async def sync_identity(session: AsyncSession, identity: HostIdentity, *, ip: str | None) -> tuple[User, Organization]:
    user = await _sync_user(session, identity, ip=ip)
    org = await _sync_org(session, identity, user, ip=ip)
    await _sync_membership(session, identity, user, org, ip=ip)
    await session.flush()
    return user, org


async def _sync_user(session: AsyncSession, identity: HostIdentity, *, ip: str | None) -> User:
    from frontdesk.auth.service import create_user
    from frontdesk.kit.errors import Conflict

    user = await users.get_by_external_subject(session, identity.subject)
    if user is not None:
        if identity.name and user.name != identity.name:
            user.name = identity.name
        return user
    if identity.email is None:
        raise InvalidToken("the token has no email claim, which is needed the first time a person is seen")
    existing = await users.get_by_email(session, identity.email)
    if existing is not None:
        if existing.external_subject is not None:
            raise InvalidToken("the email belongs to an account linked to another external identity")
        if identity.email_verified is False:
            raise InvalidToken("the email is not verified, so it cannot be linked to an existing account")
        existing.external_subject = identity.subject
        record(
            session,
            "auth.external_linked",
            organization_id=None,
            actor_label=existing.email,
            ip=ip,
            target_type="user",
            target_id=existing.id,
            details={"external_subject": identity.subject},
        )
        return existing
    try:
        async with session.begin_nested():
            user = await create_user(
                session, email=identity.email, name=identity.name or identity.email.split("@")[0], password=None
            )
            user.external_subject = identity.subject
            await session.flush()
    except (IntegrityError, Conflict):
        # A concurrent first request for the same person won; use what it created.
        user = await users.get_by_external_subject(session, identity.subject)
        if user is None:
            raise InvalidToken("the account could not be created; try again") from None
        return user
    record(
        session,
        "auth.external_user_created",
        organization_id=None,
        actor_label=user.email,
        ip=ip,
        target_type="user",
        target_id=user.id,
        details={"external_subject": identity.subject},
    )
    return user


async def _sync_org(session: AsyncSession, identity: HostIdentity, user: User, *, ip: str | None) -> Organization:
    from frontdesk.orgs.service import create_organization

    org = await orgs.get_by_external_id(session, identity.org_id)
    if org is not None:
        return org
    try:
        async with session.begin_nested():
            org = await create_organization(
                session, name=identity.org_name or identity.org_id, owner=None, external_id=identity.org_id
            )
    except IntegrityError:
        org = await orgs.get_by_external_id(session, identity.org_id)
        if org is None:
            raise InvalidToken("the organization could not be created; try again") from None
        return org
    record(
        session,
        "org.created",
        organization_id=org.id,
        actor_label=user.email,
        ip=ip,
        target_type="organization",
        target_id=org.id,
        details={"external_id": identity.org_id, "source": "external_jwt"},
    )
    return org


async def _sync_membership(
    session: AsyncSession, identity: HostIdentity, user: User, org: Organization, *, ip: str | None
) -> None:
    membership = await orgs.membership_of_user(session, org.id, user.id)
    if membership is None:
        try:
            async with session.begin_nested():
                membership = Membership(organization_id=org.id, user_id=user.id, role=identity.role)
                session.add(membership)
                await session.flush()
        except IntegrityError:
            membership = await orgs.membership_of_user(session, org.id, user.id)
            if membership is None:
                raise InvalidToken("the membership could not be created; try again") from None
        else:
            record(
                session,
                "member.joined",
                organization_id=org.id,
                actor_label=user.email,
                ip=ip,
                target_type="membership",
                target_id=membership.id,
                details={"role": identity.role, "source": "external_jwt"},
            )
            return
    if membership.role == identity.role:
        return
    # The host is the source of truth for roles, even when that leaves no owner here.
    old, membership.role = membership.role, identity.role
    record(
        session,
        "member.role_changed",
        organization_id=org.id,
        actor_label=user.email,
        ip=ip,
        target_type="membership",
        target_id=membership.id,
        details={"from": old, "to": identity.role, "source": "external_jwt"},
    )
    publish_on_commit(
        session,
        org_topic(org.id),
        {"type": "member.updated", "membership_id": str(membership.id), "role": identity.role},
    )


__all__ = [
    "HostConfig",
    "HostIdentity",
    "InvalidToken",
    "JwksCache",
    "ProviderUnreachable",
    "clear_caches",
    "fetch_json",
    "host_config",
    "subject_from_token",
    "verify_signed_token",
]
