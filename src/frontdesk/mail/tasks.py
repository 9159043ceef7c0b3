"""Delivering queued email through aiosmtplib, or logging it when no SMTP server is configured."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from email.message import EmailMessage

import aiosmtplib
import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.kit.db import transaction
from frontdesk.kit.jobs import JobContext, PermanentJobError, job_handler
from frontdesk.mail.models import FAILED, LOGGED, PENDING, SENT, MailMessage

log = structlog.get_logger("frontdesk.mail")

# (filename, "maintype/subtype", content, extra Content-Type parameters)
Attachment = tuple[str, str, bytes, dict[str, str]]
AttachmentLoader = Callable[[AsyncSession, MailMessage], Awaitable[list[Attachment]]]
# Domains whose mails carry files (meeting invitations carry an .ics) register a loader per mail kind.
_attachment_loaders: dict[str, AttachmentLoader] = {}


def attachments_for(kind: str) -> Callable[[AttachmentLoader], AttachmentLoader]:
    def register(fn: AttachmentLoader) -> AttachmentLoader:
        _attachment_loaders[kind] = fn
        return fn

    return register


@job_handler("mail.send")
async def send_mail(ctx: JobContext) -> None:
    runtime = ctx.runtime
    settings = runtime.settings
    mail_id = uuid.UUID(ctx.payload["mail_id"])
    async with transaction(runtime.sessionmaker) as session:
        message = await session.get(MailMessage, mail_id)
        if message is None or message.status != PENDING:
            return  # already delivered by an earlier attempt, or deleted with its organization
        to, subject, text, html = message.to_address, message.subject, message.body_text, message.body_html
        loader = _attachment_loaders.get(message.kind)
        files = await loader(session, message) if loader is not None else []

    if not settings.smtp_host:
        # Development and first installs: the mail is readable in the log and in the outbox.
        log.info("mail_logged", to=to, subject=subject, body=text)
        status, error = LOGGED, None
    else:
        email = EmailMessage()
        email["From"] = settings.mail_from
        email["To"] = to
        email["Subject"] = subject
        email["Message-ID"] = f"<{mail_id}@frontdesk>"
        email.set_content(text)
        if html:
            email.add_alternative(html, subtype="html")
        for filename, content_type, data, params in files:
            maintype, subtype = content_type.split("/", 1)
            email.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename, params=params)
        try:
            await aiosmtplib.send(
                email,
                hostname=settings.smtp_host,
                port=settings.smtp_port,
                username=settings.smtp_username,
                password=settings.smtp_password.get_secret_value() if settings.smtp_password else None,
                start_tls=settings.smtp_starttls and not settings.smtp_use_tls,
                use_tls=settings.smtp_use_tls,
                timeout=settings.smtp_timeout_seconds,
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            await _finish(ctx, mail_id, FAILED, f"recipient refused: {exc}")
            raise PermanentJobError(str(exc)) from exc
        status, error = SENT, None
        log.info("mail_sent", to=to, subject=subject)
    await _finish(ctx, mail_id, status, error)


async def _finish(ctx: JobContext, mail_id: uuid.UUID, status: str, error: str | None) -> None:
    async with transaction(ctx.runtime.sessionmaker) as session:
        message = await session.get(MailMessage, mail_id)
        if message is not None:
            message.status = status
            message.error = error
            message.sent_at = ctx.runtime.clock.now()
