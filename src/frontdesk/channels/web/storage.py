"""Files visitors attach in the widget: checked, stored on disk, and served at signed, expiring URLs.

The stored message keeps the file's canonical path (no signature), because a signature that expires
must not be frozen into a row. Whoever shows the message to someone signs the path at that moment
(:func:`signed_attachments`), so a link pasted elsewhere stops working after :data:`URL_TTL_SECONDS`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from frontdesk.config import Settings
from frontdesk.kit.errors import Forbidden, Gone, NotFound, PayloadTooLarge, ValidationFailed

# How large an attachment may be is the ``attachment_max_bytes`` setting; the app gives the upload
# route a body limit to match (``upload_body_limit``).
URL_TTL_SECONDS = 24 * 3600
# Room for the multipart boundaries, headers and the caption around the file itself.
MULTIPART_OVERHEAD = 16 * 1024
FILES_PREFIX = "/api/v1/widget/files"

# What a visitor may send: the type we store and serve is decided by the bytes, never by the browser's
# word, so an HTML page renamed to .png cannot be served back as HTML from our origin.
ALLOWED: dict[str, str] = {
    "image/png": "png",
    "image/jpeg": "jpg",
    "image/gif": "gif",
    "image/webp": "webp",
    "application/pdf": "pdf",
    "text/plain": "txt",
    "text/csv": "csv",
}
IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})
_TEXT_EXTENSIONS = {"txt": "text/plain", "csv": "text/csv"}
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._ -]+")


@dataclass(frozen=True)
class StoredFile:
    id: str
    name: str
    content_type: str
    size: int

    def as_attachment(self, organization_id: uuid.UUID) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "content_type": self.content_type,
            "size": self.size,
            "url": f"{FILES_PREFIX}/{organization_id}/{self.id}",
        }


def sniff(head: bytes, filename: str) -> str | None:
    """The content type the first bytes prove, or None when the file is not one we accept."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if ext in _TEXT_EXTENSIONS and b"\x00" not in head:
        try:
            # A multi-byte character may be cut at the end of the sample.
            head.decode("utf-8")
        except UnicodeDecodeError as exc:
            if exc.start < len(head) - 4:
                return None
        return _TEXT_EXTENSIONS[ext]
    return None


def clean_name(filename: str, content_type: str) -> str:
    base = Path(filename.replace("\\", "/")).name
    base = _SAFE_NAME.sub("_", base).strip(" .")[:120] or "file"
    ext = ALLOWED[content_type]
    if not base.lower().endswith("." + ext) and not (ext == "jpg" and base.lower().endswith(".jpeg")):
        base = f"{base}.{ext}"
    return base


def upload_body_limit(settings: Settings) -> int:
    """The request body limit on upload routes: the attachment limit plus multipart framing."""
    return max(settings.max_body_bytes, settings.attachment_max_bytes + MULTIPART_OVERHEAD)


def effective_limit(settings: Settings) -> int:
    """What a visitor can actually send: the request body limit applies first, multipart framing included.

    Telling the widget the real figure lets it refuse a file before uploading it, with a clear message,
    instead of the upload being cut off by the body limit.
    """
    return max(0, min(settings.attachment_max_bytes, upload_body_limit(settings) - MULTIPART_OVERHEAD))


def _dir(settings: Settings, organization_id: uuid.UUID) -> Path:
    return Path(settings.data_dir) / "uploads" / str(organization_id)


async def save(
    settings: Settings, organization_id: uuid.UUID, *, filename: str, declared_type: str, chunks: Any
) -> StoredFile:
    """Write the upload to disk while counting; refuse it as soon as it is too large or not allowed.

    ``chunks`` is an async iterator of bytes. The declared type only has to agree with what the bytes
    are, give or take the browser's usual vagueness about text files.
    """
    limit = settings.attachment_max_bytes
    file_id = uuid.uuid4().hex
    folder = _dir(settings, organization_id)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / file_id
    partial = folder / f"{file_id}.part"
    size = 0
    content_type: str | None = None
    try:
        with partial.open("wb") as out:
            async for chunk in chunks:
                if content_type is None:
                    content_type = sniff(chunk[:512], filename)
                    if content_type is None:
                        raise ValidationFailed(
                            "This kind of file cannot be sent here. Send an image (PNG, JPEG, GIF, WebP), "
                            "a PDF, or a text or CSV file.",
                            code="attachment_type_not_allowed",
                            details={"allowed": sorted(ALLOWED)},
                        )
                size += len(chunk)
                if size > limit:
                    raise PayloadTooLarge(
                        f"The file is larger than {limit / (1024 * 1024):g} MB.",
                        code="attachment_too_large",
                        details={"limit": limit},
                    )
                out.write(chunk)
        if content_type is None or size == 0:
            raise ValidationFailed("The file is empty.", code="attachment_empty")
        declared = declared_type.split(";")[0].strip().lower()
        if declared in IMAGE_TYPES | {"application/pdf"} and declared != content_type:
            raise ValidationFailed("The file's contents do not match its type.", code="attachment_type_mismatch")
        name = clean_name(filename, content_type)
        meta = {"name": name, "content_type": content_type, "size": size}
        (folder / f"{file_id}.json").write_text(json.dumps(meta))
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)
    return StoredFile(id=file_id, name=name, content_type=content_type, size=size)


def discard(settings: Settings, organization_id: uuid.UUID, file_id: str) -> None:
    """Remove a stored file whose message was never written (the transaction failed)."""
    folder = _dir(settings, organization_id)
    for path in (folder / file_id, folder / f"{file_id}.json"):
        path.unlink(missing_ok=True)


# ---------------------------------------------------------------- signed URLs


def _signature(settings: Settings, path: str, expires: int) -> str:
    message = f"widget-file\x00{path}\x00{expires}".encode()
    digest = hmac.new(settings.signing_key.encode(), message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:18]).decode()


def sign(settings: Settings, path: str, now: float, ttl: int = URL_TTL_SECONDS) -> str:
    """``path`` with an expiry and a signature; only paths under :data:`FILES_PREFIX` are signed."""
    if not path.startswith(FILES_PREFIX + "/"):
        return path
    base = path.split("?", 1)[0]
    expires = int(now) + ttl
    return f"{base}?exp={expires}&sig={_signature(settings, base, expires)}"


def signed_attachments(settings: Settings, attachments: list[dict[str, Any]], now: float) -> list[dict[str, Any]]:
    out = []
    for item in attachments:
        url = item.get("url")
        out.append({**item, "url": sign(settings, url, now)} if isinstance(url, str) else dict(item))
    return out


def open_signed(
    settings: Settings, organization_id: uuid.UUID, file_id: str, *, exp: int, sig: str, now: float
) -> tuple[Path, dict[str, Any]]:
    """The file behind a signed URL, with its metadata; refuses a forged, altered or expired link."""
    if not re.fullmatch(r"[0-9a-f]{32}", file_id):
        raise NotFound("No such file.")
    path = f"{FILES_PREFIX}/{organization_id}/{file_id}"
    if not hmac.compare_digest(_signature(settings, path, exp), sig):
        raise Forbidden("This file link is not valid.", code="invalid_file_link")
    if exp < now:
        raise Gone("This file link has expired; reopen the conversation for a fresh one.", code="file_link_expired")
    folder = _dir(settings, organization_id)
    try:
        meta = json.loads((folder / f"{file_id}.json").read_text())
    except (OSError, ValueError):
        raise NotFound("No such file.") from None
    target = folder / file_id
    if not target.is_file():
        raise NotFound("No such file.")
    return target, meta
