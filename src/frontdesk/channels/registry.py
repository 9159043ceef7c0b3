"""The explicit registry of channel kinds. A new channel adds one line here."""

from __future__ import annotations

from frontdesk.channels.base import Capabilities, Channel, ChannelKind, PushChannel
from frontdesk.channels.whatsapp.channel import WhatsAppChannel
from frontdesk.inboxes.models import Inbox
from frontdesk.kit.errors import ValidationFailed
from frontdesk.kit.runtime import Runtime


class WebChannel(PushChannel):
    kind = ChannelKind.WEB


class ApiChannel(PushChannel):
    kind = ChannelKind.API


REGISTRY: dict[ChannelKind, type[PushChannel] | type[WhatsAppChannel]] = {
    ChannelKind.WEB: WebChannel,
    ChannelKind.API: ApiChannel,
    ChannelKind.WHATSAPP: WhatsAppChannel,
}


def available_kinds() -> list[str]:
    return [k.value for k in REGISTRY]


def channel_for(runtime: Runtime, inbox: Inbox) -> Channel:
    try:
        factory = REGISTRY[ChannelKind(inbox.channel)]
    except (ValueError, KeyError):
        raise ValidationFailed(f"Channel {inbox.channel!r} is not available.", code="channel_unavailable") from None
    return factory(runtime, inbox)


def capabilities(kind: str) -> Capabilities:
    return REGISTRY[ChannelKind(kind)].capabilities
