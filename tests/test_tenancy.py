"""The tenancy walk: every route, called by organization B with organization A's real ids, neither
reveals nor changes anything of A's.

How it works (see docs/tenancy.md):

* ``world`` builds organization A through the API (an owner, an agent who joined by invitation, a
  pending invitation, an API key, and the audit events and mail all that produced), and organization
  B (its owner and an API key). Every id, email and name of A's goes into ``World.secrets``.
* ``CASES`` holds one entry per (method, path) with how to build its body and query; path parameters
  are filled from ``PARAMS`` by name, always with A's ids.
* Each case is run as B several ways ("passes"): B's bearer token, B's token with A's organization
  in ``X-Organization-Id``, and B's API key (pages: B's cookies). A response must not be a 5xx, must
  be a refusal where the path carries A's ids, and must never contain one of A's secrets.
* Afterwards A's state is read back as A: nothing B did may have changed it.
* ``test_every_route_is_walked_or_allow_listed`` fails when a route is neither in ``CASES`` nor in
  ``PUBLIC`` (or when an entry names a route that no longer exists).
"""

from __future__ import annotations

import asyncio
import json
import string
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import httpx
import pytest
import websockets
from fastapi import FastAPI

from tests.conftest import Account, join, sign_up

# ---------------------------------------------------------------- the table

Kind = Literal["api", "page", "form", "ws"]
Builder = Callable[["World"], Any]

# What a refusal of another tenant's id may look like.
REFUSED = frozenset({401, 403, 404})
NOT_YOURS = frozenset({403, 404})
OPERATOR_ONLY = frozenset({403})
# How a WebSocket says the same: our 44xx mirrors of 401/403/404, or the standard policy violation.
WS_REFUSALS = frozenset({4401, 4403, 4404, 1008})


@dataclass(frozen=True)
class Case:
    method: str  # an HTTP method, or "WS" for a WebSocket route
    path: str  # exactly as registered, e.g. "/api/v1/members/{membership_id}"
    body: Builder | None = None  # JSON body (api) or form fields (form), built from the world
    query: Builder | None = None  # query parameters, built from the world
    kind: Kind = "api"
    expect: frozenset[int] | None = None  # allowed statuses for B; None: the default for the path
    needs_subject: bool = True  # False for routes that answer anyone (their bodies are still checked)
    last: bool = False  # runs after every other case (it ends B's session)
    runner: str = "http"  # for kind="ws": the name of its runner in WS_RUNNERS

    @property
    def key(self) -> tuple[str, str]:
        return (self.method, self.path)

    @property
    def params(self) -> list[str]:
        return [name for _, name, _, _ in string.Formatter().parse(self.path) if name]


def _invite(prefix: str) -> Builder:
    return lambda w: {"email": f"{prefix}-{uuid.uuid4().hex[:8]}@example.com", "role": "viewer"}


def _wrong_password_form() -> dict[str, str]:
    return {"current_password": "not it at all", "new_password": "x" * 12, "password_confirm": "x" * 12}


def _api_message(customer: str) -> dict[str, Any]:
    return {"contact": {"external_id": customer, "name": customer}, "content": "hello from " + customer}


CASES: list[Case] = [
    # ---- auth and the current user
    Case("GET", "/api/v1/me"),
    Case("POST", "/api/v1/me/password", body=lambda w: {"current_password": "not it at all", "new_password": "x" * 12}),
    Case("POST", "/api/v1/auth/logout", body=lambda w: {"refresh_token": w.a.refresh_token}, last=True),
    # ---- authz
    Case("GET", "/api/v1/roles"),
    Case("GET", "/api/v1/permissions/check", query=lambda w: {"permission": "members.manage"}),
    # ---- the organization and its members
    Case("GET", "/api/v1/organization"),
    Case("PATCH", "/api/v1/organization", body=lambda w: {"name": w.b_org_name}),
    Case("GET", "/api/v1/members"),
    Case("PATCH", "/api/v1/members/{membership_id}", body=lambda w: {"role": "viewer"}),
    Case("DELETE", "/api/v1/members/{membership_id}"),
    # ---- invitations
    Case("GET", "/api/v1/invitations", query=lambda w: {"status": "all"}),
    Case("POST", "/api/v1/invitations", body=_invite("b-invites")),
    Case("DELETE", "/api/v1/invitations/{invitation_id}"),
    # ---- API keys
    Case("GET", "/api/v1/api-keys"),
    Case("POST", "/api/v1/api-keys", body=lambda w: {"name": "b key", "scopes": ["org.read"]}),
    Case("DELETE", "/api/v1/api-keys/{key_id}"),
    # ---- audit and mail: filters naming A's people must not reach A's rows
    Case("GET", "/api/v1/audit-events", query=lambda w: {"actor": w.a.email}),
    Case("GET", "/api/v1/mail/outbox"),
    # ---- the owners' grant of content access to operators (acts on B's own organization)
    Case("GET", "/api/v1/organization/operator-access"),
    Case("POST", "/api/v1/organization/operator-access", body=lambda w: {"hours": 1}),
    Case("DELETE", "/api/v1/organization/operator-access"),
    # ---- installation operators: B is not one
    Case("GET", "/api/v1/operator/organizations", query=lambda w: {"q": w.a_org_name}),
    Case("POST", "/api/v1/operator/organizations", body=lambda w: {"name": "Hijack", "owner_email": w.b.email}),
    Case("GET", "/api/v1/operator/organizations/{org_id}"),
    Case("POST", "/api/v1/operator/organizations/{org_id}/suspend", body=lambda w: {"reason": "b says so"}),
    Case("POST", "/api/v1/operator/organizations/{org_id}/unsuspend", body=lambda w: {"reason": "b says so"}),
    Case("DELETE", "/api/v1/operator/organizations/{org_id}", query=lambda w: {"confirm": w.a_org_slug}),
    Case("GET", "/api/v1/operator/usage"),
    Case("GET", "/api/v1/operator/health"),
    Case("GET", "/api/v1/operator/audit-events"),
    Case("GET", "/api/v1/operator/mail"),
    # ---- real time
    Case("WS", "/api/v1/realtime", kind="ws", runner="realtime"),
    # ---- system: open to anyone, so prove they name no tenant
    Case("GET", "/health", needs_subject=False),
    Case("GET", "/health/ready", needs_subject=False),
    Case("GET", "/metrics", needs_subject=False),
    # ---- single sign-on: open to anyone (not configured here, so it refuses), and names no tenant
    Case("GET", "/auth/oidc/config", needs_subject=False),
    Case("GET", "/auth/oidc/login", needs_subject=False),
    # ---- web pages, with B's cookies (public pages too: signed in, they must not show A either)
    Case("GET", "/", kind="page"),
    Case("GET", "/login", kind="page"),
    Case("GET", "/register", kind="page"),
    Case("GET", "/forgot-password", kind="page"),
    Case("GET", "/reset-password", kind="page", query=lambda w: {"token": "not-a-real-token"}),
    Case("GET", "/accept-invite", kind="page", query=lambda w: {"token": "not-a-real-token"}),
    Case("POST", "/logout", kind="form", last=True),
    Case("GET", "/app", kind="page"),
    Case("GET", "/app/account", kind="page"),
    Case("POST", "/app/account/password", kind="form", body=lambda w: _wrong_password_form()),
    Case("POST", "/app/switch-org", kind="form", body=lambda w: {"organization_id": w.a.organization_id}),
    Case("GET", "/app/settings", kind="page"),
    Case("GET", "/app/settings/organization", kind="page"),
    Case("POST", "/app/settings/organization", kind="form", body=lambda w: {"name": w.b_org_name, "timezone": "UTC"}),
    Case("GET", "/app/settings/members", kind="page"),
    Case("POST", "/app/settings/members/{membership_id}/role", kind="form", body=lambda w: {"role": "viewer"}),
    Case("POST", "/app/settings/members/{membership_id}/remove", kind="form"),
    Case("GET", "/app/settings/invitations", kind="page", query=lambda w: {"status": "all"}),
    Case("POST", "/app/settings/invitations", kind="form", body=_invite("b-page-invites")),
    Case("POST", "/app/settings/invitations/{invitation_id}/revoke", kind="form"),
    Case("GET", "/app/settings/roles", kind="page"),
    Case("GET", "/app/settings/api-keys", kind="page"),
    Case("POST", "/app/settings/api-keys", kind="form", body=lambda w: {"name": "b page key", "scopes": "org.read"}),
    Case("POST", "/app/settings/api-keys/{key_id}/revoke", kind="form"),
    Case("GET", "/app/settings/audit", kind="page", query=lambda w: {"actor": w.a.email}),
    Case("GET", "/app/settings/outbox", kind="page"),
    Case("GET", "/app/inbox", kind="page"),
    Case("GET", "/app/inbox/session", kind="page"),
    Case("GET", "/app/inbox/{conversation_id}", kind="page"),
    Case("GET", "/app/team", kind="page"),
    Case("GET", "/app/settings/canned-responses", kind="page"),
    Case("POST", "/app/settings/canned-responses", kind="form", body=lambda w: {"shortcut": "bpage", "content": "b"}),
    Case(
        "POST",
        "/app/settings/canned-responses/{canned_id}",
        kind="form",
        body=lambda w: {"shortcut": "hijack", "content": "changed by b"},
    ),
    Case("POST", "/app/settings/canned-responses/{canned_id}/delete", kind="form"),
    Case("GET", "/app/settings/inboxes", kind="page"),
    Case("POST", "/app/settings/inboxes", kind="form", body=lambda w: {"name": "b page inbox", "channel": "web"}),
    Case("GET", "/app/settings/inboxes/{inbox_id}", kind="page"),
    Case("POST", "/app/settings/inboxes/{inbox_id}", kind="form", body=lambda w: {"name": "renamed by b"}),
    Case("POST", "/app/settings/inboxes/{inbox_id}/rotate-token", kind="form"),
    Case("POST", "/app/settings/inboxes/{inbox_id}/identity-secret", kind="form"),
    Case("POST", "/app/settings/inboxes/{inbox_id}/delete", kind="form"),
    Case("GET", "/app/settings/teams", kind="page"),
    Case("POST", "/app/settings/teams", kind="form", body=lambda w: {"name": "b page team"}),
    Case("POST", "/app/settings/teams/{team_id}", kind="form", body=lambda w: {"name": "renamed by b"}),
    Case("POST", "/app/settings/teams/{team_id}/delete", kind="form"),
    Case("POST", "/app/settings/teams/{team_id}/members", kind="form", body=lambda w: {"user_id": w.b.user_id}),
    Case("POST", "/app/settings/teams/{team_id}/members/{user_id}/remove", kind="form"),
    Case("GET", "/app/settings/webhooks", kind="page"),
    Case(
        "POST",
        "/app/settings/webhooks",
        kind="form",
        body=lambda w: {"url": "http://127.0.0.1:9/b-page-hook", "events": "contact.created"},
    ),
    Case("GET", "/app/settings/webhooks/{webhook_id}", kind="page", query=lambda w: {"status": "all"}),
    Case("POST", "/app/settings/webhooks/{webhook_id}", kind="form", body=lambda w: {"description": "changed by b"}),
    Case("POST", "/app/settings/webhooks/{webhook_id}/pause", kind="form"),
    Case("POST", "/app/settings/webhooks/{webhook_id}/resume", kind="form"),
    Case("POST", "/app/settings/webhooks/{webhook_id}/rotate-secret", kind="form"),
    Case("POST", "/app/settings/webhooks/{webhook_id}/test", kind="form"),
    Case("POST", "/app/settings/webhooks/{webhook_id}/delete", kind="form"),
    # ---- inboxes and teams
    Case("GET", "/api/v1/inboxes"),
    Case("POST", "/api/v1/inboxes", body=lambda w: {"name": "b inbox", "channel": "api"}),
    Case("GET", "/api/v1/inboxes/{inbox_id}"),
    Case("PATCH", "/api/v1/inboxes/{inbox_id}", body=lambda w: {"name": "renamed by b"}),
    Case("DELETE", "/api/v1/inboxes/{inbox_id}"),
    Case("POST", "/api/v1/inboxes/{inbox_id}/rotate-token"),
    Case("POST", "/api/v1/inboxes/{inbox_id}/identity-secret"),
    Case("GET", "/api/v1/inboxes/{inbox_id}/snippet"),
    Case("GET", "/api/v1/inboxes/{inbox_id}/status"),
    Case("GET", "/api/v1/teams"),
    # A team of B's that names A's agent: the reference must be refused, not quietly accepted.
    Case(
        "POST",
        "/api/v1/teams",
        body=lambda w: {"name": "b team", "member_ids": [w.a_member.user_id]},
        expect=frozenset({400, 403, 404, 422}),
    ),
    Case("GET", "/api/v1/teams/{team_id}"),
    Case("PATCH", "/api/v1/teams/{team_id}", body=lambda w: {"name": "renamed by b"}),
    Case("DELETE", "/api/v1/teams/{team_id}"),
    Case("POST", "/api/v1/teams/{team_id}/members", body=lambda w: {"user_id": w.b.user_id}),
    Case("DELETE", "/api/v1/teams/{team_id}/members/{user_id}"),
    # ---- the API channel
    Case("POST", "/api/v1/inboxes/{inbox_id}/messages", body=lambda w: _api_message("b-customer")),
    Case("GET", "/api/v1/inboxes/{inbox_id}/conversations/{conversation_id}/messages"),
    Case("WS", "/api/v1/inboxes/{inbox_id}/ws", kind="ws", runner="api_channel"),
    # ---- contacts
    Case("GET", "/api/v1/contacts", query=lambda w: {"q": w.a_contact_name}),
    Case("POST", "/api/v1/contacts", body=lambda w: {"name": "b contact"}),
    Case("GET", "/api/v1/contacts/{contact_id}"),
    Case("PATCH", "/api/v1/contacts/{contact_id}", body=lambda w: {"name": "renamed by b"}),
    Case("GET", "/api/v1/contacts/{contact_id}/conversations"),
    Case("GET", "/api/v1/contacts/{contact_id}/attributes"),
    Case("PATCH", "/api/v1/contacts/{contact_id}/attributes", body=lambda w: {"plan": {"value": "stolen"}}),
    Case("GET", "/api/v1/contacts/{contact_id}/attributes/{key}"),
    Case("PUT", "/api/v1/contacts/{contact_id}/attributes/{key}", body=lambda w: {"value": "stolen"}),
    Case("DELETE", "/api/v1/contacts/{contact_id}/attributes/{key}"),
    # ---- webhooks
    Case("GET", "/api/v1/webhooks/events"),
    Case("GET", "/api/v1/webhooks"),
    Case(
        "POST",
        "/api/v1/webhooks",
        body=lambda w: {"url": "http://127.0.0.1:9/b-hook", "events": ["contact.created"], "active": False},
    ),
    Case("GET", "/api/v1/webhooks/{webhook_id}"),
    Case("PATCH", "/api/v1/webhooks/{webhook_id}", body=lambda w: {"description": "changed by b"}),
    Case("DELETE", "/api/v1/webhooks/{webhook_id}"),
    Case("POST", "/api/v1/webhooks/{webhook_id}/rotate-secret"),
    Case("POST", "/api/v1/webhooks/{webhook_id}/test"),
    Case("GET", "/api/v1/webhooks/{webhook_id}/deliveries"),
    # ---- conversations, messages and canned responses
    Case("GET", "/api/v1/conversations", query=lambda w: {"q": f"Alpha Customer {w.tag}"}),
    Case("GET", "/api/v1/conversations/counts"),
    Case("GET", "/api/v1/conversations/{conversation_id}"),
    Case("PATCH", "/api/v1/conversations/{conversation_id}", body=lambda w: {"unassign": True}),
    Case("GET", "/api/v1/conversations/{conversation_id}/messages"),
    Case("POST", "/api/v1/conversations/{conversation_id}/messages", body=lambda w: {"content": "b writes in"}),
    Case("POST", "/api/v1/conversations/{conversation_id}/take-over"),
    Case("POST", "/api/v1/conversations/{conversation_id}/hand-back"),
    Case("POST", "/api/v1/conversations/{conversation_id}/escalate", body=lambda w: {"reason": "b says so"}),
    Case("POST", "/api/v1/conversations/{conversation_id}/read"),
    Case("PATCH", "/api/v1/messages/{message_id}", body=lambda w: {"content": "b rewrites history"}),
    Case("DELETE", "/api/v1/messages/{message_id}"),
    Case("GET", "/api/v1/canned-responses", query=lambda w: {"q": "alpha"}),
    Case("POST", "/api/v1/canned-responses", body=lambda w: {"shortcut": "bshort", "content": "b canned"}),
    Case("PATCH", "/api/v1/canned-responses/{canned_response_id}", body=lambda w: {"content": "b edit"}),
    Case("DELETE", "/api/v1/canned-responses/{canned_response_id}"),
    Case("GET", "/api/v1/csat"),
    # ---- agents: presence, shifts and working hours list only B's people
    Case("GET", "/api/v1/agents/presence"),
    Case("PUT", "/api/v1/agents/me/presence", body=lambda w: {"status": "online"}),
    Case("POST", "/api/v1/agents/me/heartbeat"),
    Case("GET", "/api/v1/agents/shifts"),
    Case("GET", "/api/v1/agents/working-hours"),
]

# Routes the walk does not call, each with the reason. Keep this short: anything that takes an id or
# reads tenant data belongs in CASES.
PUBLIC: dict[tuple[str, str], str] = {
    ("POST", "/api/v1/auth/register"): "creates a new account and organization; takes no ids",
    ("POST", "/api/v1/auth/login"): "email and password are the credential",
    ("POST", "/api/v1/auth/refresh"): "the refresh token is the credential (reuse detection is tested in tests/auth)",
    ("POST", "/api/v1/auth/password-reset"): "answers the same for every address; mails only the address's owner",
    ("POST", "/api/v1/auth/password-reset/confirm"): "the emailed token is the credential",
    ("GET", "/api/v1/invitations/lookup"): "the invitation token is the credential; shows only what the link grants",
    ("POST", "/api/v1/invitations/accept"): "the invitation token is the credential",
    ("GET", "/auth/oidc/callback"): "the identity provider's code and our state cookie are the credential",
    ("POST", "/login"): "the sign-in form: email and password are the credential",
    ("POST", "/register"): "the sign-up form: creates a new account and organization",
    ("POST", "/forgot-password"): "answers the same for every address",
    ("POST", "/reset-password"): "the emailed token is the credential",
    ("POST", "/accept-invite"): "the invitation token is the credential",
    # The website widget: the inbox's public token (published on the business's site by design) and the
    # visitor's own session token are the credentials; staff credentials play no part in these routes.
    ("GET", "/widget.js"): "the widget script: static, the same for everyone",
    ("GET", "/widget/demo"): "a demo page for an inbox token; shows only what the public token already grants",
    ("OPTIONS", "/api/v1/widget/{token}/{rest:path}"): "CORS preflight: answers no data",
    ("POST", "/api/v1/widget/{token}/session"): "the visitor credential: starts or resumes a visitor session",
    ("GET", "/api/v1/widget/{token}/messages"): "visitor credential",
    ("POST", "/api/v1/widget/{token}/messages"): "visitor credential",
    ("POST", "/api/v1/widget/{token}/attachments"): "visitor credential",
    ("POST", "/api/v1/widget/{token}/prechat"): "visitor credential",
    ("POST", "/api/v1/widget/{token}/attributes"): "visitor credential",
    ("POST", "/api/v1/widget/{token}/csat"): "visitor credential",
    ("POST", "/api/v1/widget/{token}/read"): "visitor credential",
    ("WS", "/api/v1/widget/{token}/ws"): "visitor credential",
    ("GET", "/api/v1/widget/files/{organization_id}/{file_id}"): "the URL's signature is the credential",
}

# Framework routes that are not ours to walk.
IGNORED_PATHS = {"/static", "/docs", "/openapi.json", "/docs/oauth2-redirect"}


# ---------------------------------------------------------------- the world


@dataclass
class World:
    a: Account
    a_member: Account
    b: Account
    tag: str
    a_org_name: str
    a_org_slug: str
    b_org_name: str
    a_key: str  # A's key with org.read
    a_integration_key: str  # A's key for the API channel
    b_key: str  # B's key with every scope a key may carry
    ids: dict[str, str] = field(default_factory=dict)  # A's ids, by what they are
    secrets: set[str] = field(default_factory=set)  # A's ids, emails and names: never in B's answers
    # (url read as A, text it must still contain) after the walk: what B tried to change is unchanged.
    intact: list[tuple[str, str]] = field(default_factory=list)
    a_contact_name: str = "no contact seeded"

    def keep(self, *values: Any) -> None:
        self.secrets |= {str(v) for v in values if v not in (None, "")}

    def leaks(self, text: str, *, supplied: str = "") -> list[str]:
        """A's secrets in ``text``, except those the caller itself sent (an echo of its input is no leak)."""
        low, sent = text.lower(), supplied.lower()
        return sorted(s for s in self.secrets if s.lower() in low and s.lower() not in sent)


# Path parameter name -> A's value for it. A new route with a new parameter name needs a line here
# (and, for a new kind of resource, a seeder below that creates one in A).
PARAMS: dict[str, Callable[[World], str]] = {
    "membership_id": lambda w: w.ids["member_membership"],
    "invitation_id": lambda w: w.ids["invitation"],
    "key_id": lambda w: w.ids["api_key"],
    "org_id": lambda w: w.a.organization_id,
    "organization_id": lambda w: w.a.organization_id,
    "user_id": lambda w: w.a_member.user_id,
    "inbox_id": lambda w: w.ids["inbox"],
    "team_id": lambda w: w.ids["team"],
    "conversation_id": lambda w: w.ids["conversation"],
    "contact_id": lambda w: w.ids["contact"],
    "key": lambda w: w.ids["attribute_key"],
    "webhook_id": lambda w: w.ids["webhook"],
    "message_id": lambda w: w.ids["message"],
    "canned_response_id": lambda w: w.ids["canned_response"],
    "canned_id": lambda w: w.ids["canned_response"],
}


async def _ok(r: httpx.Response, status: int = 200) -> Any:
    assert r.status_code == status, f"{r.request.method} {r.request.url}: {r.status_code} {r.text}"
    return r.json() if r.content else None


async def _create(client: httpx.AsyncClient, path: str, headers: dict[str, str], body: Any) -> Any:
    return await _ok(await client.post(path, headers=headers, json=body), 201)


# Seeders create one of each kind of resource in A, through the API, when the route that creates it
# exists. Each records the ids (for PARAMS), the secrets, and what must still read the same afterwards.
Seed = Callable[[httpx.AsyncClient, World], Awaitable[None]]
SEEDERS: list[tuple[tuple[str, str], Seed]] = []


def seeder(method: str, path: str) -> Callable[[Seed], Seed]:
    def register(fn: Seed) -> Seed:
        SEEDERS.append(((method, path), fn))
        return fn

    return register


@seeder("POST", "/api/v1/inboxes")
async def seed_inbox(client: httpx.AsyncClient, w: World) -> None:
    inbox = await _create(client, "/api/v1/inboxes", w.a.headers, {"name": f"Alpha Inbox {w.tag}", "channel": "api"})
    w.ids["inbox"] = inbox["id"]
    w.keep(inbox["id"], inbox["name"], inbox.get("public_token"))
    w.intact.append((f"/api/v1/inboxes/{inbox['id']}", inbox["public_token"] or inbox["name"]))


@seeder("POST", "/api/v1/inboxes/{inbox_id}/messages")
async def seed_conversation(client: httpx.AsyncClient, w: World) -> None:
    body = {
        "contact": {
            "external_id": f"alpha-customer-{w.tag}",
            "name": f"Alpha Customer {w.tag}",
            "email": f"alpha-customer-{w.tag}@example.com",
        },
        "content": f"Alpha private question {w.tag}",
    }
    created = await _create(
        client, f"/api/v1/inboxes/{w.ids['inbox']}/messages", {"X-API-Key": w.a_integration_key}, body
    )
    w.ids |= {"conversation": created["conversation_id"], "message": created["message"]["id"]}
    w.keep(created["conversation_id"], created["contact_id"], created["message"]["id"], body["content"])
    w.keep(*body["contact"].values())
    w.intact.append(
        (f"/api/v1/inboxes/{w.ids['inbox']}/conversations/{created['conversation_id']}/messages", body["content"])
    )


@seeder("POST", "/api/v1/conversations/{conversation_id}/messages")
async def seed_private_note(client: httpx.AsyncClient, w: World) -> None:
    body = {"content": f"Alpha private note {w.tag}", "private": True}
    note = await _create(client, f"/api/v1/conversations/{w.ids['conversation']}/messages", w.a.headers, body)
    w.ids["message"] = note["id"]
    w.keep(note["id"], body["content"])
    w.intact.append((f"/api/v1/conversations/{w.ids['conversation']}/messages", body["content"]))


@seeder("POST", "/api/v1/canned-responses")
async def seed_canned_response(client: httpx.AsyncClient, w: World) -> None:
    body = {"shortcut": f"alpha{w.tag}", "content": f"Alpha canned answer {w.tag}"}
    canned = await _create(client, "/api/v1/canned-responses", w.a.headers, body)
    w.ids["canned_response"] = canned["id"]
    w.keep(canned["id"], body["shortcut"], body["content"])
    w.intact.append(("/api/v1/canned-responses", body["content"]))


@seeder("POST", "/api/v1/contacts")
async def seed_contact(client: httpx.AsyncClient, w: World) -> None:
    body = {
        "name": f"Alpha Contact {w.tag}",
        "email": f"alpha-contact-{w.tag}@example.com",
        "attributes": {"plan": {"value": f"alpha-plan-{w.tag}"}},
    }
    contact = await _create(client, "/api/v1/contacts", w.a.headers, body)
    w.ids |= {"contact": contact["id"], "attribute_key": "plan"}
    w.a_contact_name = body["name"]
    w.keep(contact["id"], body["name"], body["email"], f"alpha-plan-{w.tag}")
    w.intact += [
        (f"/api/v1/contacts/{contact['id']}", body["name"]),
        (f"/api/v1/contacts/{contact['id']}/attributes/plan", f"alpha-plan-{w.tag}"),
    ]


@seeder("POST", "/api/v1/teams")
async def seed_team(client: httpx.AsyncClient, w: World) -> None:
    body = {"name": f"Alpha Team {w.tag}", "member_ids": [w.a_member.user_id]}
    team = await _create(client, "/api/v1/teams", w.a.headers, body)
    w.ids["team"] = team["id"]
    w.keep(team["id"], team["name"])
    w.intact.append((f"/api/v1/teams/{team['id']}", w.a_member.user_id))


@seeder("POST", "/api/v1/webhooks")
async def seed_webhook(client: httpx.AsyncClient, w: World) -> None:
    body = {
        "url": f"http://127.0.0.1:9/alpha-hook-{w.tag}",
        "events": ["contact.created"],
        "active": False,  # never delivered: nothing listens there
        "description": f"Alpha hook {w.tag}",
    }
    hook = await _create(client, "/api/v1/webhooks", w.a.headers, body)
    w.ids["webhook"] = hook["id"]
    w.keep(hook["id"], body["url"], body["description"], hook.get("secret"))
    w.intact.append((f"/api/v1/webhooks/{hook['id']}", body["description"]))


@seeder("PUT", "/api/v1/agents/me/presence")
async def seed_presence(client: httpx.AsyncClient, w: World) -> None:
    await _ok(await client.put("/api/v1/agents/me/presence", headers=w.a_member.headers, json={"status": "online"}))


async def build_world(client: httpx.AsyncClient, registered: set[tuple[str, str]]) -> World:
    from frontdesk.authz.permissions import API_KEY_GRANTABLE

    tag = uuid.uuid4().hex[:8]
    a = await sign_up(client, org=f"Alpha Tenancy {tag}")
    a_member = await join(client, a, "agent")
    invited = await _create(
        client, "/api/v1/invitations", a.headers, {"email": f"pending-{tag}@example.com", "role": "viewer"}
    )
    key = await _create(client, "/api/v1/api-keys", a.headers, {"name": f"alpha-key-{tag}", "scopes": ["org.read"]})
    integration = await _create(
        client,
        "/api/v1/api-keys",
        a.headers,
        {"name": f"alpha-integration-{tag}", "scopes": ["conversations.read", "conversations.reply", "org.read"]},
    )
    b = await sign_up(client, org=f"Beta Tenancy {tag}")
    b_key = await _create(client, "/api/v1/api-keys", b.headers, {"name": "b all", "scopes": sorted(API_KEY_GRANTABLE)})
    org = await _ok(await client.get("/api/v1/organization", headers=a.headers))
    w = World(
        a=a,
        a_member=a_member,
        b=b,
        tag=tag,
        a_org_name=org["name"],
        a_org_slug=org["slug"],
        b_org_name=f"Beta renamed {tag}",
        a_key=key["key"],
        a_integration_key=integration["key"],
        b_key=b_key["key"],
        ids={"invitation": invited["id"], "api_key": key["id"]},
    )
    w.keep(a.organization_id, org["name"], org["slug"], a.email, a_member.email, a.user_id, a_member.user_id)
    w.keep(invited["id"], invited["email"], key["id"], key["name"], key["prefix"], key["key"])
    w.keep(integration["id"], integration["name"], integration["prefix"], integration["key"])
    for route, seed in SEEDERS:
        if route in registered:
            await seed(client, w)
    # Read last, so they include what the seeders' work left behind.
    members = await _ok(await client.get("/api/v1/members", headers=a.headers))
    events = await _ok(await client.get("/api/v1/audit-events", headers=a.headers, params={"per_page": 200}))
    mail = await _ok(await client.get("/api/v1/mail/outbox", headers=a.headers))
    assert events["items"], "A's actions should have left audit events"
    w.ids["member_membership"] = next(m["id"] for m in members if m["email"] == a_member.email)
    w.keep(*(m["id"] for m in members), *(m["name"] for m in members if len(m["name"]) >= 6))
    w.keep(*(e["id"] for e in events["items"]), *(m["id"] for m in mail["items"]))
    return w


# ---------------------------------------------------------------- running a case


@dataclass
class Pass:
    name: str
    headers: dict[str, str]


def _passes(case: Case, w: World) -> list[Pass]:
    if case.kind in ("page", "form"):
        cookie = f"fd_access={w.b.access_token}; fd_csrf=x; fd_org="
        return [
            Pass("b-cookie", {"Cookie": cookie + w.b.organization_id, "X-CSRF-Token": "x"}),
            Pass("b-cookie-a-org", {"Cookie": cookie + w.a.organization_id, "X-CSRF-Token": "x"}),
        ]
    return [
        Pass("b-token", w.b.headers),
        Pass(
            "b-token-a-org", {"Authorization": f"Bearer {w.b.access_token}", "X-Organization-Id": w.a.organization_id}
        ),
        Pass("b-api-key", {"X-API-Key": w.b_key}),
    ]


def _url(case: Case, w: World) -> str:
    values = {}
    for name in case.params:
        if name not in PARAMS:
            raise LookupError(f"no A id known for path parameter {{{name}}}: add it to PARAMS in {__file__}")
        try:
            values[name] = PARAMS[name](w)
        except KeyError as exc:
            raise LookupError(f"A has no {exc} for {{{name}}}: add a seeder that creates one") from None
    return case.path.format(**values)


def _expected(case: Case, p: Pass) -> frozenset[int] | None:
    if case.kind != "api":
        return case.expect  # pages answer HTML; what matters is what they show
    if p.name == "b-token-a-org" and case.needs_subject:
        return REFUSED  # B's token naming A's organization
    if case.expect is not None:
        return case.expect
    if case.path.startswith("/api/v1/operator/"):
        return OPERATOR_ONLY
    if case.params:
        return NOT_YOURS if p.name == "b-token" else REFUSED
    return None


async def run_http_case(client: httpx.AsyncClient, case: Case, w: World) -> list[str]:
    try:
        url = _url(case, w)
    except LookupError as exc:
        return [f"{case.method} {case.path}: {exc}"]
    problems: list[str] = []
    for p in _passes(case, w):
        client.cookies.clear()
        kwargs: dict[str, Any] = {"headers": p.headers}
        query = case.query(w) if case.query else {}
        body = case.body(w) if case.body else None
        if query:
            kwargs["params"] = query
        if case.kind == "form":
            kwargs["data"] = {**(body or {}), "csrf_token": "x"}
        elif body is not None:
            kwargs["json"] = body
        r = await client.request(case.method, url, **kwargs)
        where = f"{case.method} {case.path} [{p.name}] -> {r.status_code}"
        if r.status_code >= 500:
            problems.append(f"{where}: server error {r.text[:300]}")
            continue
        allowed = _expected(case, p)
        if allowed is not None and r.status_code not in allowed:
            problems.append(f"{where}: expected one of {sorted(allowed)}; body {r.text[:300]}")
        supplied = " ".join([url, json.dumps(query), json.dumps(body)])
        if leaked := w.leaks(r.text + " " + r.headers.get("location", ""), supplied=supplied):
            problems.append(f"{where}: response contains A's {leaked}")
        if case.kind == "api" and 400 <= r.status_code < 500:
            try:
                err = r.json()
            except ValueError:
                err = None
            if not (isinstance(err, dict) and "code" in err and "message" in err):
                problems.append(f"{where}: a refusal without a JSON {{code, message}}: {r.text[:200]}")
    return problems


async def _recv(ws: Any, timeout: float = 5.0) -> dict[str, Any]:
    return json.loads(await asyncio.wait_for(ws.recv(), timeout=timeout))  # type: ignore[no-any-return]


async def _expect_refused(ws: Any, w: World, where: str) -> list[str]:
    problems = []
    first = await _recv(ws)
    if first.get("type") != "error" or w.leaks(json.dumps(first)):
        problems.append(f"{where}: answered {first}")
    try:
        await asyncio.wait_for(ws.recv(), timeout=5)
        problems.append(f"{where}: the socket stayed open")
    except websockets.ConnectionClosed as closed:
        if closed.rcvd is None or closed.rcvd.code not in WS_REFUSALS:
            problems.append(f"{where}: closed with {closed.rcvd}")
    return problems


async def ws_realtime(client: httpx.AsyncClient, case: Case, w: World, live_server: str) -> list[str]:
    """B cannot pick A's organization for its stream, and B's stream never carries A's events."""
    url = live_server.replace("http://", "ws://") + case.path
    async with websockets.connect(f"{url}?organization_id={w.a.organization_id}") as ws:
        await ws.send(json.dumps({"type": "auth", "token": w.b.access_token}))
        problems = await _expect_refused(ws, w, f"WS {case.path} [b-selects-a-org]")
    async with websockets.connect(url) as a_ws, websockets.connect(url) as b_ws:
        await a_ws.send(json.dumps({"type": "auth", "token": w.a.access_token}))
        await b_ws.send(json.dumps({"type": "auth", "token": w.b.access_token}))
        assert (await _recv(a_ws))["type"] == "ready"
        ready = await _recv(b_ws)
        if ready.get("type") != "ready" or w.leaks(json.dumps(ready)):
            problems.append(f"WS {case.path} [b-stream]: ready message {ready}")
        for role in ("viewer", "agent"):
            r = await client.patch(
                f"/api/v1/members/{w.ids['member_membership']}", headers=w.a.headers, json={"role": role}
            )
            assert r.status_code == 200, r.text
            while (seen := await _recv(a_ws))["type"] != "member.updated":
                pass
        # A's socket has the events, so the bus has fanned them out; B's next message must be its pong.
        await b_ws.send(json.dumps({"type": "ping"}))
        while (msg := await _recv(b_ws))["type"] != "pong":
            problems.append(f"WS {case.path} [b-stream]: B received {msg}")
        assert seen["type"] == "member.updated"
    return problems


async def ws_api_channel(client: httpx.AsyncClient, case: Case, w: World, live_server: str) -> list[str]:
    """B's API key cannot follow A's inbox; A's own key can (so the refusal is about tenancy)."""
    url = live_server.replace("http://", "ws://") + _url(case, w)
    async with websockets.connect(url) as ws:
        await ws.send(json.dumps({"type": "auth", "api_key": w.b_key}))
        problems = await _expect_refused(ws, w, f"WS {case.path} [b-api-key]")
    async with websockets.connect(url) as ws:
        await ws.send(json.dumps({"type": "auth", "api_key": w.a_integration_key}))
        assert (await _recv(ws))["type"] == "ready"
    return problems


WsRunner = Callable[[httpx.AsyncClient, Case, World, str], Awaitable[list[str]]]
WS_RUNNERS: dict[str, WsRunner] = {"realtime": ws_realtime, "api_channel": ws_api_channel}


async def check_a_is_intact(client: httpx.AsyncClient, w: World) -> list[str]:
    problems = []
    client.cookies.clear()
    org = await _ok(await client.get("/api/v1/organization", headers=w.a.headers))
    if (org["name"], org["status"]) != (w.a_org_name, "active"):
        problems.append(f"A's organization changed: {org}")
    roles = {m["email"]: m["role"] for m in await _ok(await client.get("/api/v1/members", headers=w.a.headers))}
    if roles != {w.a.email: "owner", w.a_member.email: "agent"}:
        problems.append(f"A's members changed: {roles}")
    keys = await _ok(await client.get("/api/v1/api-keys", headers=w.a.headers))
    if [k["revoked_at"] for k in keys if k["id"] == w.ids["api_key"]] != [None]:
        problems.append(f"A's API key changed: {keys}")
    if (await client.get("/api/v1/organization", headers={"X-API-Key": w.a_key})).status_code != 200:
        problems.append("A's API key stopped working")
    invitations = await _ok(await client.get("/api/v1/invitations", headers=w.a.headers))
    if [i["status"] for i in invitations if i["id"] == w.ids["invitation"]] != ["pending"]:
        problems.append(f"A's invitation changed: {invitations}")
    for url, text in w.intact:
        headers = {"X-API-Key": w.a_integration_key} if "/conversations/" in url else w.a.headers
        r = await client.get(url, headers=headers)
        if r.status_code != 200 or text not in r.text:
            problems.append(f"A's {url} changed: {r.status_code} {r.text[:200]}")
    refreshed = await client.post("/api/v1/auth/refresh", json={"refresh_token": w.a.refresh_token})
    if refreshed.status_code != 200:
        problems.append(f"A's session was ended by B: {refreshed.text}")
    return problems


# ---------------------------------------------------------------- the tests


def registered_routes(app: FastAPI) -> set[tuple[str, str]]:
    """Every (method, path) the app answers, with WebSocket routes as ("WS", path)."""
    try:
        from fastapi.routing import iter_route_contexts

        routes: list[Any] = list(iter_route_contexts(app.routes))
    except ImportError:  # FastAPI before included routers were kept apart
        routes = list(app.routes)
    found: set[tuple[str, str]] = set()
    for route in routes:
        path = getattr(route, "path", None)
        if path is None or path in IGNORED_PATHS:
            continue
        methods = getattr(route, "methods", None)
        if methods:
            found |= {(m, path) for m in methods if not (m == "HEAD" and "GET" in methods)}
        elif "websocket" in type(getattr(route, "route", route)).__name__.lower():
            found.add(("WS", path))
        else:
            found.add(("?", path))
    return found


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    # A's webhook points at 127.0.0.1 (inactive, never delivered): the SSRF guard would refuse it.
    return {"allow_private_network_targets": True}


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_every_route_is_walked_or_allow_listed(app: FastAPI) -> None:
    registered = registered_routes(app)
    walked = {c.key for c in CASES}
    assert len(walked) == len(CASES), "two CASES entries for the same route"
    assert not walked & PUBLIC.keys(), "a route is both walked and allow-listed"
    uncovered = sorted(registered - walked - PUBLIC.keys())
    stale = sorted((walked | PUBLIC.keys()) - registered)
    message = []
    if uncovered:
        print("\nRoutes neither walked nor allow-listed:\n" + "\n".join(f"  {m} {p}" for m, p in uncovered))
        message.append(f"add these to CASES (or, with a reason, PUBLIC) in tests/test_tenancy.py: {uncovered}")
    if stale:
        message.append(f"these entries name routes that do not exist: {stale}")
    assert not message, "\n".join(message)
    unknown = sorted({n for c in CASES for n in c.params} - PARAMS.keys())
    assert not unknown, f"path parameters with no A id in PARAMS: {unknown}"
    runners = sorted({c.runner for c in CASES if c.kind == "ws"} - WS_RUNNERS.keys())
    assert not runners, f"WebSocket cases name unknown runners: {runners}"


async def test_organization_b_reaches_nothing_of_organization_a(
    app: FastAPI, client: httpx.AsyncClient, live_server: str
) -> None:
    registered = registered_routes(app)
    w = await build_world(client, registered)
    problems: list[str] = []
    ran = 0
    for case in sorted(CASES, key=lambda c: c.last):
        if case.key not in registered:
            continue  # reported by the coverage test
        if case.kind == "ws":
            problems += await WS_RUNNERS[case.runner](client, case, w, live_server)
        else:
            problems += await run_http_case(client, case, w)
        ran += 1
    problems += await check_a_is_intact(client, w)
    assert ran >= 40, f"only {ran} routes walked"
    assert not problems, f"{len(problems)} tenancy problems:\n" + "\n".join(problems)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_the_walk_notices_a_leak(app: FastAPI, client: httpx.AsyncClient) -> None:
    """The checks are only as good as their failures: pointed at A's own data, they must complain."""
    w = await build_world(client, registered_routes(app))
    w_as_a = replace(w, b=w.a, b_key=w.a_key)
    problems = await run_http_case(client, Case("GET", "/api/v1/members"), w_as_a)
    assert any("contains A's" in p for p in problems), problems
    # An id route that succeeds is flagged by its status alone.
    patch = Case("PATCH", "/api/v1/members/{membership_id}", body=lambda _: {"role": "agent"})
    problems = await run_http_case(client, patch, w_as_a)
    assert any("expected one of [403, 404]" in p for p in problems), problems
    # Echoing back an id the caller sent is not a leak; anything else of A's is.
    assert w.leaks(f"no such member {w.a.user_id}", supplied=f"/x/{w.a.user_id}") == []
    leaked = w.leaks(f"{w.a.user_id} {w.a.email}", supplied=f"/x/{w.a.user_id}")
    assert w.a.email in leaked and w.a.user_id not in leaked


# The later domains keep their entries beside this file; they are merged last, so their seeders run
# after the core ones they build on (an inbox, a conversation).
from tests.tenancy_cases import extend  # noqa: E402

extend(CASES, PUBLIC, PARAMS)
