"""``@name`` in a private note tells that teammate.

A mention is matched against the organization's members by the part of the email before the ``@``
(``@maria.lopez``), or by the first name or the whole name with spaces left out (``@maria``,
``@marialopez``), ignoring case. A first name two members share mentions neither: guessing would
tell the wrong person about a private note.
"""

from __future__ import annotations

import re
import uuid
from collections import defaultdict

from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.conversations.models import Conversation
from frontdesk.messages.models import Message
from frontdesk.notifications import repository
from frontdesk.notifications.service import notify

_MENTION = re.compile(r"(?<![\w@.])@([\w][\w.\-]{0,63})", re.UNICODE)


def mentioned_handles(text: str) -> set[str]:
    return {m.rstrip(".-").lower() for m in _MENTION.findall(text or "")}


async def notify_mentions(
    session: AsyncSession, conv: Conversation, note: Message, author_id: uuid.UUID | None
) -> list[uuid.UUID]:
    handles = mentioned_handles(note.content)
    if not handles:
        return []
    by_handle: dict[str, set[uuid.UUID]] = defaultdict(set)
    for user_id, _role, email, name in await repository.recipients(session, conv.organization_id, None):
        keys = {email.split("@", 1)[0].lower()}
        if name:
            words = name.lower().split()
            keys |= {words[0], "".join(words)}
        for key in keys:
            by_handle[key].add(user_id)
    chosen = {next(iter(ids)) for h in handles if len(ids := by_handle.get(h, set())) == 1}
    chosen.discard(author_id)
    if not chosen:
        return []
    await notify(
        session,
        organization_id=conv.organization_id,
        user_ids=sorted(chosen),
        kind="mention",
        title=f"{note.sender_name or 'A teammate'} mentioned you in a note",
        body=note.content[:300],
        link=f"/app/inbox/{conv.id}",
        data={"conversation_id": str(conv.id), "message_id": str(note.id)},
    )
    return sorted(chosen)
