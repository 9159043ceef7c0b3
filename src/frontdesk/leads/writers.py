"""Writing leads to xlsx and CSV one row at a time, with spreadsheet formula injection neutralised.

Both writers hold one row in memory at a time: openpyxl's write-only mode streams each row to a
temporary file (and stores strings inline, so no shared-strings table grows with the file), and the
CSV writer writes straight to disk.

Injection: a cell starting with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage return) is read as a
formula by spreadsheet programs. In CSV such values get a leading apostrophe, the usual defence, since
CSV has no types. In xlsx the value is kept as written (a phone number stays ``+4915...``) but stored
as a text cell with Excel's quote-prefix flag, so no spreadsheet program treats it as a formula.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

DANGEROUS_STARTS = ("=", "+", "-", "@", "\t", "\r")
DATE_FORMAT = "yyyy-mm-dd hh:mm"


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    width: int
    kind: str = "text"  # text | number | datetime


COLUMNS: tuple[Column, ...] = (
    Column("name", "Name", 24),
    Column("email", "Email", 30),
    Column("phone", "Phone", 18),
    Column("company", "Company", 24),
    Column("need", "Need", 40),
    Column("budget", "Budget", 14),
    Column("timeframe", "Time frame", 16),
    Column("status", "Status", 14),
    Column("owner", "Owner", 20),
    Column("score", "Score", 8, "number"),
    Column("source", "Source", 12),
    Column("next_follow_up_at", "Next follow-up", 18, "datetime"),
    Column("created_at", "Created", 18, "datetime"),
    Column("updated_at", "Updated", 18, "datetime"),
    Column("notes", "Notes", 40),
    Column("id", "Lead ID", 38),
)


def neutralise_csv(value: str) -> str:
    return "'" + value if value.startswith(DANGEROUS_STARTS) else value


def local_naive(value: datetime | None, zone: ZoneInfo) -> datetime | None:
    """Spreadsheets have no time zones: dates are written as the organization's wall-clock time."""
    if value is None:
        return None
    return value.astimezone(zone).replace(tzinfo=None, microsecond=0)


class CsvWriter:
    def __init__(self, path: Path, zone: ZoneInfo, columns: Sequence[Column] = COLUMNS) -> None:
        self.zone = zone
        self.columns = columns
        # utf-8-sig: Excel opens a BOM-marked CSV as UTF-8 instead of the machine's legacy code page.
        self._file: IO[str] = path.open("w", encoding="utf-8-sig", newline="")
        self._csv = csv.writer(self._file)
        self._csv.writerow([c.header for c in columns])

    def write(self, row: dict[str, Any]) -> None:
        out: list[Any] = []
        for col in self.columns:
            value = row.get(col.key)
            if value is None:
                out.append("")
            elif col.kind == "datetime":
                local = value.astimezone(self.zone).replace(microsecond=0)
                out.append(local.isoformat())
            elif col.kind == "number":
                out.append(value)
            else:
                out.append(neutralise_csv(str(value)))
        self._csv.writerow(out)

    def close(self) -> None:
        self._file.close()

    def abort(self) -> None:
        self._file.close()


class XlsxWriter:
    def __init__(
        self,
        path: Path,
        zone: ZoneInfo,
        columns: Sequence[Column] = COLUMNS,
        *,
        title: str = "Leads",
        before: list[list[Any]] | None = None,
    ) -> None:
        self.path = path
        self.zone = zone
        self.columns = columns
        self.rows = 0
        self._wb = Workbook(write_only=True)
        if before:
            # A summary sheet first (daily reports): a few rows, written before the big one.
            summary = self._wb.create_sheet("Summary")
            summary.column_dimensions["A"].width = 28
            summary.column_dimensions["B"].width = 14
            for n, line in enumerate(before):
                cells = [self._cell(summary, v, bold=(n == 0)) for v in line]
                summary.append(cells)
        self._ws = self._wb.create_sheet(title)
        # Column widths and the frozen header must be set before the first row in write-only mode.
        for i, col in enumerate(columns, start=1):
            self._ws.column_dimensions[get_column_letter(i)].width = col.width
        self._ws.freeze_panes = "A2"
        header_font = Font(bold=True, color="FFFFFF")
        header_fill = PatternFill("solid", fgColor="305496")
        header = []
        for col in columns:
            cell = WriteOnlyCell(self._ws, value=col.header)
            cell.font = header_font
            cell.fill = header_fill
            cell.alignment = Alignment(vertical="center")
            header.append(cell)
        self._ws.append(header)

    def _cell(self, ws: Any, value: Any, *, bold: bool = False) -> Any:
        cell = self._text(value, ws) if isinstance(value, str) else value
        if not hasattr(cell, "font"):
            cell = WriteOnlyCell(ws, value=value)
        if bold:
            cell.font = Font(bold=True)
        return cell

    def _text(self, value: str, ws: Any = None) -> Any:
        if not value.startswith(DANGEROUS_STARTS):
            return value
        cell = WriteOnlyCell(ws if ws is not None else self._ws, value=value)
        # openpyxl reads a leading "=" as a formula; force a text cell and mark it as typed text.
        cell.data_type = "s"
        cell.quotePrefix = True
        return cell

    def write(self, row: dict[str, Any]) -> None:
        out: list[Any] = []
        for col in self.columns:
            value = row.get(col.key)
            if value is None:
                out.append(None)
            elif col.kind == "datetime":
                cell = WriteOnlyCell(self._ws, value=local_naive(value, self.zone))
                cell.number_format = DATE_FORMAT
                out.append(cell)
            elif col.kind == "number":
                out.append(value)
            else:
                out.append(self._text(str(value)))
        self._ws.append(out)
        self.rows += 1

    def close(self) -> None:
        last = get_column_letter(len(self.columns))
        self._ws.auto_filter.ref = f"A1:{last}{self.rows + 1}"
        self._wb.save(str(self.path))

    def abort(self) -> None:
        self._wb.close()


def open_writer(fmt: str, path: Path, zone: ZoneInfo, **kwargs: Any) -> CsvWriter | XlsxWriter:
    if fmt == "csv":
        return CsvWriter(path, zone)
    return XlsxWriter(path, zone, **kwargs)
