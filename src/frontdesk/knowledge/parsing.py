"""Reading import files into rows: CSV, JSON, Markdown (front matter or first heading) and zips of them.

Parsing happens at upload, so a file that cannot be read at all is refused there with a clear code;
what is wrong with single rows is left to the import job, which reports it per row. Each row is a
plain dict of the article's fields as found, plus ``_file`` (inside a zip) and ``_row``:

* CSV: the spreadsheet row, the header being row 1;
* JSON: the item's position in the list, from 1;
* Markdown: always 1 (one article per file).

A row that stands for a whole file that could not be read (inside a zip) has ``_error`` and row 0.
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from pathlib import PurePosixPath
from typing import Any

from frontdesk.kit.errors import PayloadTooLarge, ValidationFailed
from frontdesk.knowledge.text import csv_uncell

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
MAX_ROWS = 20_000
MAX_ZIP_ENTRIES = 2_000
MAX_ZIP_UNPACKED_BYTES = 100 * 1024 * 1024
FORMATS = ("csv", "json", "md", "zip")

Row = dict[str, Any]

# Header names people use, to ours. Lower-cased, spaces and dashes as underscores.
ALIASES = {
    "title": "title",
    "name": "title",
    "question": "title",
    "body": "body",
    "content": "body",
    "answer": "body",
    "text": "body",
    "tags": "tags",
    "tag": "tags",
    "labels": "tags",
    "source_url": "source_url",
    "source": "source_url",
    "url": "source_url",
    "link": "source_url",
    "example_questions": "example_questions",
    "questions": "example_questions",
    "examples": "example_questions",
    "collection": "collection",
    "collection_name": "collection",
    "id": "id",
    "article_id": "id",
}


def format_of(filename: str, declared: str | None = None) -> str:
    if declared:
        if declared not in FORMATS:
            raise ValidationFailed(
                f"Unknown import format {declared!r}.", code="invalid_format", details={"allowed": list(FORMATS)}
            )
        return declared
    suffix = PurePosixPath(filename.lower()).suffix.lstrip(".")
    fmt = {"markdown": "md", "txt": "md"}.get(suffix, suffix)
    if fmt not in FORMATS:
        raise ValidationFailed(
            "Upload a .csv, .json, .md or .zip file.", code="unsupported_file_type", details={"allowed": list(FORMATS)}
        )
    return fmt


def parse(filename: str, data: bytes, fmt: str) -> list[Row]:
    if len(data) > MAX_UPLOAD_BYTES:
        raise PayloadTooLarge(f"Import files are limited to {MAX_UPLOAD_BYTES // (1024 * 1024)} MB.")
    rows = _zip(data) if fmt == "zip" else _single(filename, _decode(data), fmt, in_zip=False)
    if len(rows) > MAX_ROWS:
        raise ValidationFailed(f"At most {MAX_ROWS:,} rows per import.", code="too_many_rows")
    if not rows:
        raise ValidationFailed("The file holds no articles.", code="empty_import")
    return rows


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationFailed("The file is not UTF-8 text.", code="invalid_encoding") from None


def _single(filename: str, text: str, fmt: str, *, in_zip: bool) -> list[Row]:
    if fmt == "csv":
        return _csv(text)
    if fmt == "json":
        return _json(text)
    return [_markdown(filename, text)]


# ---------------------------------------------------------------- CSV


def _key(header: str) -> str:
    name = re.sub(r"[\s\-]+", "_", header.strip().lower())
    return ALIASES.get(name, name)


def _csv(text: str) -> list[Row]:
    # The delimiter is whichever of , ; or tab the header line uses most (spreadsheets in some locales
    # write semicolons); the sniffer of the csv module guesses wrong on bodies full of quotes and commas.
    header_line = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=header_line.count)
    reader = csv.reader(io.StringIO(text), csv.excel, delimiter=delimiter)
    try:
        header = next(reader, None)
        if header is None:
            raise ValidationFailed("The CSV file is empty.", code="empty_import")
        keys = [_key(h) for h in header]
        if "title" not in keys:
            raise ValidationFailed(
                "The CSV file needs a 'title' column.", code="missing_column", details={"column": "title"}
            )
        rows: list[Row] = []
        for number, record in enumerate(reader, start=2):
            if not any(cell.strip() for cell in record):
                continue
            row: Row = {"_row": number}
            for key, value in zip(keys, record, strict=False):
                if key and key not in row:
                    row[key] = csv_uncell(value)
            rows.append(row)
            if len(rows) > MAX_ROWS:
                break
    except csv.Error as exc:
        raise ValidationFailed(f"The CSV file cannot be read: {exc}", code="invalid_csv") from None
    return rows


# ---------------------------------------------------------------- JSON


def _json(text: str) -> list[Row]:
    try:
        loaded = json.loads(text)
    except ValueError as exc:
        raise ValidationFailed(f"The JSON file cannot be read: {exc}", code="invalid_json") from None
    items: Any = loaded
    collections: dict[str, str] = {}
    if isinstance(loaded, dict):
        # Our own export: {"collections": [...], "articles": [...]}; or {"articles": [...]}.
        items = loaded.get("articles")
        for c in loaded.get("collections") or []:
            if isinstance(c, dict) and isinstance(c.get("id"), str) and isinstance(c.get("name"), str):
                collections[c["id"]] = c["name"]
    if not isinstance(items, list):
        raise ValidationFailed(
            "The JSON file must be a list of articles, or an object with an 'articles' list.", code="invalid_json"
        )
    rows: list[Row] = []
    for number, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            rows.append({"_row": number, "_error": "Each article must be a JSON object.", "_field": None})
            continue
        row: Row = {"_row": number}
        for raw_key, value in item.items():
            key = _key(str(raw_key))
            if key not in row:
                row[key] = value
        if "collection" not in row and isinstance(item.get("collection_id"), str):
            name = collections.get(item["collection_id"])
            if name:
                row["collection"] = name
        rows.append(row)
    return rows


# ---------------------------------------------------------------- Markdown

_FRONT = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|\Z)", re.DOTALL)
_HEADING = re.compile(r"^[ \t]{0,3}#[ \t]+(.+?)[ \t#]*$", re.MULTILINE)


def _scalar(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    return value


def front_matter(block: str) -> dict[str, Any]:
    """The small YAML subset front matter uses: ``key: value``, ``key: [a, b]`` and ``- item`` lists."""
    meta: dict[str, Any] = {}
    current: str | None = None
    for line in block.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        stripped = line.strip()
        if stripped.startswith("- ") and current is not None:
            existing = meta.get(current)
            items = existing if isinstance(existing, list) else []
            items.append(_scalar(stripped[2:]))
            meta[current] = items
            continue
        key, sep, value = line.partition(":")
        if not sep:
            continue
        current = _key(key)
        value = value.strip()
        if value.startswith("[") and value.endswith("]"):
            meta[current] = [_scalar(v) for v in value[1:-1].split(",") if v.strip()]
        elif value:
            meta[current] = _scalar(value)
        else:
            meta[current] = []
    return meta


def _markdown(filename: str, text: str) -> Row:
    row: Row = {"_row": 1}
    body = text
    match = _FRONT.match(text)
    if match:
        row.update(front_matter(match.group(1)))
        body = text[match.end() :]
    if not row.get("title"):
        heading = _HEADING.search(body)
        if heading and not body[: heading.start()].strip():
            row["title"] = heading.group(1).strip()
            body = body[heading.end() :]
        else:
            row["title"] = PurePosixPath(filename).stem.replace("-", " ").replace("_", " ").strip()
    row["body"] = body.strip("\n")
    return row


# ---------------------------------------------------------------- zip


def _zip(data: bytes) -> list[Row]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = [i for i in archive.infolist() if not i.is_dir()]
    except (zipfile.BadZipFile, ValueError, OSError):
        raise ValidationFailed("The zip file cannot be read.", code="invalid_zip") from None
    infos = [i for i in infos if not _hidden(i.filename)]
    if len(infos) > MAX_ZIP_ENTRIES:
        raise ValidationFailed(f"At most {MAX_ZIP_ENTRIES:,} files per zip.", code="too_many_files")
    if sum(i.file_size for i in infos) > MAX_ZIP_UNPACKED_BYTES:
        raise PayloadTooLarge(f"The zip unpacks to more than {MAX_ZIP_UNPACKED_BYTES // (1024 * 1024)} MB.")
    rows: list[Row] = []
    unpacked = 0
    for info in sorted(infos, key=lambda i: i.filename):
        name = info.filename
        try:
            fmt = format_of(name)
            if fmt == "zip":
                raise ValidationFailed("Zips inside a zip are not read.", code="nested_zip")
            with archive.open(info) as handle:
                # Read at most what the header declared (+1): a lying header cannot unpack a bomb.
                content = handle.read(info.file_size + 1)
            unpacked += len(content)
            if len(content) > info.file_size or unpacked > MAX_ZIP_UNPACKED_BYTES:
                raise ValidationFailed("The file is larger than the zip says.", code="invalid_zip")
            found = _single(name, _decode(content), fmt, in_zip=True)
        except ValidationFailed as exc:
            rows.append({"_file": name, "_row": 0, "_error": exc.message, "_field": None})
            continue
        except (zipfile.BadZipFile, RuntimeError, OSError, EOFError) as exc:  # encrypted or corrupt entry
            rows.append({"_file": name, "_row": 0, "_error": f"The file cannot be read: {exc}", "_field": None})
            continue
        for row in found:
            row["_file"] = name
        rows.extend(found)
        if len(rows) > MAX_ROWS:
            break
    return rows


def _hidden(name: str) -> bool:
    parts = PurePosixPath(name).parts
    return any(p.startswith(".") or p == "__MACOSX" for p in parts)
