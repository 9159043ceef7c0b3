"""Customers' media, fetched through the Graph API into Frontdesk's own file storage.

Files land where the widget's attachments live (``data_dir/uploads/<org>/``) with the same metadata
file, so the same signed, expiring URLs serve them. Meta's media URLs expire within minutes and need
the access token, so keeping a link would not do.
"""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

import structlog

from frontdesk.channels.web.storage import FILES_PREFIX
from frontdesk.channels.whatsapp.client import WhatsAppConfig, graph

if TYPE_CHECKING:
    from frontdesk.kit.runtime import Runtime

log = structlog.get_logger("frontdesk.whatsapp")

_EXT = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/webp": "webp",
    "audio/ogg": "ogg",
    "audio/mpeg": "mp3",
    "audio/mp4": "m4a",
    "audio/aac": "aac",
    "video/mp4": "mp4",
    "video/3gpp": "3gp",
    "application/pdf": "pdf",
}
_SAFE = re.compile(r"[^A-Za-z0-9._ -]+")


class MediaTooLarge(Exception):
    pass


def _name(ref: dict[str, Any], content_type: str) -> str:
    given = _SAFE.sub("_", Path(str(ref.get("filename") or "").replace("\\", "/")).name).strip(" .")[:120]
    if given:
        return given
    return f"{ref.get('kind') or 'file'}.{_EXT.get(content_type, 'bin')}"


async def download(
    runtime: Runtime, config: WhatsAppConfig, organization_id: uuid.UUID, ref: dict[str, Any]
) -> dict[str, Any]:
    """Fetch one media id; returns the attachment to store, or a placeholder saying why it is missing.

    Raises for failures worth a retry of the whole delivery (the Graph API down), never for a file
    that is simply too large.
    """
    limit = runtime.settings.whatsapp_media_max_bytes
    content_type = str(ref.get("mime_type") or "application/octet-stream").split(";")[0].strip().lower()
    name = _name(ref, content_type)
    folder = Path(runtime.settings.data_dir) / "uploads" / str(organization_id)
    folder.mkdir(parents=True, exist_ok=True)
    file_id = uuid.uuid4().hex
    partial = folder / f"{file_id}.part"
    size = 0
    try:
        async with graph(runtime, config) as wa:
            info = await wa.api.get_media_url(str(ref["media_id"]))
            declared = int(info.get("file_size") or 0)
            if declared > limit:
                raise MediaTooLarge
            session = wa.api._session
            async with session.stream("GET", str(info["url"])) as response:
                response.raise_for_status()
                with partial.open("wb") as out:
                    async for chunk in response.aiter_bytes():
                        size += len(chunk)
                        if size > limit:
                            raise MediaTooLarge
                        out.write(chunk)
        (folder / f"{file_id}.json").write_text(json.dumps({"name": name, "content_type": content_type, "size": size}))
        partial.replace(folder / file_id)
    except MediaTooLarge:
        log.info("whatsapp_media_too_large", media_id=str(ref.get("media_id")), limit=limit)
        return {"name": name, "content_type": content_type, "size": 0, "error": "too_large", "limit": limit}
    finally:
        partial.unlink(missing_ok=True)
    return {
        "id": file_id,
        "name": name,
        "content_type": content_type,
        "size": size,
        "url": f"{FILES_PREFIX}/{organization_id}/{file_id}",
    }
