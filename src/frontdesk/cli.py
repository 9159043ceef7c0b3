"""The ``frontdesk`` command: serve, worker, migrate, create-org, create-user, create-operator, demo."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import getpass
import secrets
import signal
import sys
from collections.abc import Callable

from frontdesk.config import Settings

DEMO_ORG = "Demo Company"
DEMO_EMAIL = "owner@demo.frontdesk.test"


def _settings(args: argparse.Namespace) -> Settings:
    overrides = {}
    if getattr(args, "database_url", None):
        overrides["database_url"] = args.database_url
    return Settings(**overrides)


def cmd_migrate(args: argparse.Namespace) -> int:
    from frontdesk.kit.migrate import upgrade

    settings = _settings(args)
    print(f"Migrating {_safe_url(settings.database_url)} to {args.revision} ...", flush=True)
    upgrade(settings.database_url, args.revision)
    print("Migrations done.", flush=True)
    return 0


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def cmd_serve(args: argparse.Namespace, *, on_ready: Callable[[], None] | None = None) -> int:
    import uvicorn

    from frontdesk.app import create_app

    settings = _settings(args)
    if args.migrate:
        cmd_migrate(argparse.Namespace(revision="head", database_url=settings.database_url))
    host = args.host or settings.host
    port = args.port or settings.port
    app = create_app(settings, on_ready=on_ready)
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_level="warning",
        proxy_headers=settings.trust_forwarded_for,
        ws_max_size=1_048_576,
        timeout_graceful_shutdown=10,
    )
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    from frontdesk.kit.logging import configure_logging
    from frontdesk.kit.runtime import Runtime

    settings = _settings(args)
    configure_logging(settings.log_level, settings.log_json)
    if not settings.redis_url:
        print(
            "frontdesk worker needs FRONTDESK_REDIS_URL: in embedded mode `serve` runs the jobs itself.",
            file=sys.stderr,
        )
        return 2

    async def main() -> None:
        runtime = Runtime(settings, role="worker")
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(sig, stop.set)
        await runtime.start(sweep=True, receive=True)
        print(
            f"Frontdesk worker running: sweeping due jobs and taking them from Redis list {settings.job_queue!r}.",
            flush=True,
        )
        await stop.wait()
        # Jobs already running get a bounded time to finish; the rest run again after their lease.
        await runtime.stop()
        print("Frontdesk worker stopped.", flush=True)

    asyncio.run(main())
    return 0


async def _with_runtime(settings: Settings, fn):
    from frontdesk.kit.db import transaction
    from frontdesk.kit.runtime import Runtime

    runtime = Runtime(settings, role="cli")
    try:
        async with transaction(runtime.sessionmaker) as session:
            result = await fn(session)
        # Mail queued by the command is delivered by the next serve or worker: it is a job row.
        return result
    finally:
        await runtime.stop()


def _password(args: argparse.Namespace) -> str:
    if args.password:
        return str(args.password)
    if not sys.stdin.isatty():
        return sys.stdin.readline().strip()
    return getpass.getpass("Password: ")


def cmd_create_org(args: argparse.Namespace) -> int:
    from frontdesk.orgs.service import create_organization
    from frontdesk.users.repository import get_by_email

    async def run(session):
        owner = await get_by_email(session, args.owner_email) if args.owner_email else None
        if args.owner_email and owner is None:
            raise SystemExit(f"No user with email {args.owner_email}; create it first with create-user.")
        org = await create_organization(session, name=args.name, owner=owner, timezone=args.timezone)
        return org

    org = asyncio.run(_with_runtime(_settings(args), run))
    print(f"Created organization {org.name!r} ({org.slug}, id {org.id}).")
    return 0


def cmd_create_user(args: argparse.Namespace, *, operator: bool = False) -> int:
    from frontdesk.auth.service import create_user
    from frontdesk.orgs.models import Membership, Organization

    password = _password(args)
    if len(password) < 10:
        print("The password needs at least 10 characters.", file=sys.stderr)
        return 2

    async def run(session):
        from sqlalchemy import select

        user = await create_user(
            session,
            email=args.email,
            name=args.name or args.email.split("@")[0],
            password=password,
            is_operator=operator,
        )
        if getattr(args, "org", None):
            org = await session.scalar(select(Organization).where(Organization.slug == args.org))
            if org is None:
                raise SystemExit(f"No organization with slug {args.org!r}.")
            session.add(Membership(organization_id=org.id, user_id=user.id, role=args.role))
        return user

    user = asyncio.run(_with_runtime(_settings(args), run))
    kind = "operator" if operator else "user"
    print(f"Created {kind} {user.email} (id {user.id}).")
    return 0


def cmd_grant_operator(args: argparse.Namespace) -> int:
    """Make an existing account an operator, or (``--revoke``) an ordinary user again."""
    from frontdesk.audit.service import record
    from frontdesk.kit.errors import NotFound
    from frontdesk.users.repository import get_by_email

    async def run(session):
        user = await get_by_email(session, args.email)
        if user is None:
            raise NotFound(f"No user with email {args.email}.")
        user.is_operator = not args.revoke
        record(
            session,
            "operator.revoked" if args.revoke else "operator.granted",
            organization_id=None,
            actor_label="cli",
            target_type="user",
            target_id=user.id,
        )
        return user

    user = asyncio.run(_with_runtime(_settings(args), run))
    print(f"{user.email} is {'no longer' if args.revoke else 'now'} an installation operator.")
    return 0


def ensure_demo(settings: Settings) -> tuple[str, str, bool]:
    """Create the demo organization and its owner once; return the login and whether it is new."""
    from frontdesk.auth.dependencies import user_subject
    from frontdesk.auth.service import create_user
    from frontdesk.authz.service import require
    from frontdesk.demo import add_demo_content
    from frontdesk.inboxes.schemas import InboxCreate
    from frontdesk.inboxes.service import create_inbox
    from frontdesk.orgs.service import create_organization
    from frontdesk.users.repository import get_by_email

    cred_file = settings.data_dir / "demo-login.txt"

    async def run(session):
        if await get_by_email(session, DEMO_EMAIL) is not None:
            return None
        password = secrets.token_urlsafe(12)
        user = await create_user(session, email=DEMO_EMAIL, name="Demo Owner", password=password)
        org = await create_organization(session, name=DEMO_ORG, owner=user)
        await session.flush()
        # The owner creates the demo's website inbox through the same service the settings page uses.
        owner = await user_subject(session, user.id, selected=org.id, ip=None, via="cli")
        inbox = await create_inbox(
            session,
            require(owner, "inboxes.manage"),
            owner,
            InboxCreate(
                name="Website",
                channel="web",
                greeting="Hi! Ask us anything: our assistant answers at once, and a person when you need one.",
            ),
        )
        await add_demo_content(session, owner, inbox.id)
        return password

    password = asyncio.run(_with_runtime(settings, run))
    if password is not None:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        cred_file.write_text(f"{DEMO_EMAIL}\n{password}\n")
        cred_file.chmod(0o600)
        return DEMO_EMAIL, password, True
    if cred_file.exists():
        lines = cred_file.read_text().splitlines()
        return lines[0], lines[1] if len(lines) > 1 else "(see var/demo-login.txt)", False
    return DEMO_EMAIL, "(changed since the first run)", False


def cmd_demo(args: argparse.Namespace) -> int:
    settings = _settings(args)
    cmd_migrate(argparse.Namespace(revision="head", database_url=settings.database_url))
    email, password, created = ensure_demo(settings)
    host = args.host or settings.host
    port = args.port or settings.port
    url = f"http://{host}:{port}"
    banner = "\n".join(
        [
            "",
            "  Frontdesk is running" + (" with a new demo organization." if created else "."),
            f"  Open       {url}/login",
            f"  Email      {email}",
            f"  Password   {password}",
            f"  API docs   {url}/docs",
            "  Stop with Ctrl+C.",
            "",
        ]
    )
    return cmd_serve(
        argparse.Namespace(host=host, port=port, migrate=False, database_url=None),
        on_ready=lambda: print(banner, flush=True),
    )


def cmd_whatsapp_sandbox(args: argparse.Namespace) -> int:
    """A local fake of Meta's Graph API: point FRONTDESK_WHATSAPP_GRAPH_URL at it and chat as a customer."""
    import uvicorn

    from frontdesk.channels.whatsapp.sandbox import Sandbox, http_deliver

    settings = _settings(args)
    target = (args.frontdesk_url or settings.public_url).rstrip("/") + "/api/v1/channels/whatsapp/webhook"
    base = f"http://{args.host}:{args.port}"
    sandbox = Sandbox(base_url=base, deliver=http_deliver(target))
    print(f"WhatsApp sandbox on {base} (be the customer there); webhooks go to {target}.", flush=True)
    print(f"  FRONTDESK_WHATSAPP_GRAPH_URL={base}", flush=True)
    print(
        f"  inbox settings: phone number id {sandbox.phone_number_id}, WABA {sandbox.waba_id}, "
        f"token {sandbox.access_token}, app secret {sandbox.app_secret}",
        flush=True,
    )
    uvicorn.run(sandbox.app(), host=args.host, port=args.port, log_level="warning")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="frontdesk", description="Self-hosted AI front desk.")
    parser.add_argument("--database-url", help="Overrides FRONTDESK_DATABASE_URL.")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("serve", help="Run the web server (and, embedded, the background jobs).")
    p.add_argument("--host")
    p.add_argument("--port", type=int)
    p.add_argument("--migrate", action="store_true", help="Apply migrations first.")
    p.set_defaults(fn=cmd_serve)

    p = sub.add_parser("worker", help="Run background jobs from Redis (distributed mode).")
    p.set_defaults(fn=cmd_worker)

    p = sub.add_parser("migrate", help="Apply database migrations, printing each step.")
    p.add_argument("revision", nargs="?", default="head")
    p.set_defaults(fn=cmd_migrate)

    p = sub.add_parser("create-org", help="Create an organization.")
    p.add_argument("name")
    p.add_argument("--owner-email", help="An existing user who becomes its owner.")
    p.add_argument("--timezone", default="UTC")
    p.set_defaults(fn=cmd_create_org)

    for name, operator in (("create-user", False), ("create-operator", True)):
        p = sub.add_parser(name, help="Create an installation operator." if operator else "Create a user.")
        p.add_argument("email")
        p.add_argument("--name")
        p.add_argument("--password", help="Read from standard input (or asked) when left out.")
        if not operator:
            p.add_argument("--org", help="Slug of an organization to join.")
            p.add_argument("--role", default="agent", choices=["owner", "admin", "agent", "viewer"])
        p.set_defaults(fn=lambda a, op=operator: cmd_create_user(a, operator=op))

    p = sub.add_parser("grant-operator", help="Make an existing user an installation operator.")
    p.add_argument("email")
    p.add_argument("--revoke", action="store_true", help="Take the operator role away instead.")
    p.set_defaults(fn=cmd_grant_operator)

    p = sub.add_parser("demo", help="Migrate, create the demo organization once, print the login, serve.")
    p.add_argument("--host")
    p.add_argument("--port", type=int)
    p.set_defaults(fn=cmd_demo)

    p = sub.add_parser("whatsapp-sandbox", help="Run a local fake WhatsApp Graph API for demos (dev only).")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8090)
    p.add_argument("--frontdesk-url", help="Where Frontdesk listens (default: FRONTDESK_PUBLIC_URL).")
    p.set_defaults(fn=cmd_whatsapp_sandbox)
    return parser


def main(argv: list[str] | None = None) -> int:
    from frontdesk.kit.errors import FrontdeskError

    args = build_parser().parse_args(argv)
    try:
        return int(args.fn(args) or 0)
    except FrontdeskError as exc:
        print(f"frontdesk: {exc.message}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
