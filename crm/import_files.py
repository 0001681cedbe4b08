"""Reading the files of a contact import: CSV or XLSX, as rows of text.

A file is read twice: once at upload, whole, to check it can be read at all
and to learn its shape (encoding, columns, a few sample rows, how many rows),
then by the import run, streamed, from where the last run stopped. Both reads
go through ``open_rows`` so they see exactly the same rows.
"""

import codecs
import csv
import datetime
import io
import re
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.core.files import File

from crm.models import ImportFormat

MAX_UPLOAD_BYTES = 50 * 1024 * 1024
SAMPLE_ROWS = 5
MAX_HEADER_LENGTH = 100

# Excel saves "Unicode text" as UTF-16 with a byte-order mark; a BOM settles the encoding.
_BYTE_ORDER_MARKS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
# Without a BOM: UTF-8, else Windows-1252, which Excel on Windows writes for "CSV (Comma delimited)".
_ENCODINGS_WITHOUT_BOM = ("utf-8", "cp1252")
_DELIMITERS = (",", ";", "\t", "|")
_ZIP_MAGIC = b"PK\x03\x04"
_OLD_EXCEL_MAGIC = b"\xd0\xcf\x11\xe0"
# An email, or a run of seven digits or more: a row of data, not column names.
_LOOKS_LIKE_DATA = re.compile(r"@|\d[\d\s().+-]{5,}\d")


@dataclass(frozen=True)
class FileShape:
    file_format: str
    encoding: str
    delimiter: str
    headers: list[str]
    sample_rows: list[list[str]]
    total_rows: int


def _file_error(message: str) -> ValidationError:
    return ValidationError({"file": [message]})


def file_too_large(name: str) -> ValidationError:
    limit = MAX_UPLOAD_BYTES // 1024 // 1024
    return _file_error(f"“{name}” is larger than {limit} MB, the most one import takes. Split it into smaller files.")


def file_shape(upload: File) -> FileShape:
    """Check an uploaded file can be imported and describe it; raises a ValidationError naming the file."""
    name = upload.name or "The file"
    if upload.size > MAX_UPLOAD_BYTES:
        raise file_too_large(name)
    if not upload.size:
        raise _file_error(f"“{name}” is empty.")
    if _file_format(upload, name) == ImportFormat.XLSX:
        return _scan(upload, name, file_format=ImportFormat.XLSX, encoding="", delimiter="")
    return _scan_csv(upload, name)


def _file_format(upload: File, name: str) -> str:
    upload.seek(0)
    magic = upload.read(4)
    upload.seek(0)
    if magic == _ZIP_MAGIC:
        return ImportFormat.XLSX
    if magic == _OLD_EXCEL_MAGIC:
        raise _file_error(f"“{name}” is an old Excel .xls file: save it as .xlsx or CSV UTF-8 and upload it again.")
    if name.lower().endswith((".xlsx", ".xlsm")):
        raise _file_error(f"“{name}” is not a valid Excel workbook.")
    return ImportFormat.CSV


def _scan_csv(upload: File, name: str) -> FileShape:
    head = upload.read(4)
    upload.seek(0)
    encodings = [encoding for bom, encoding in _BYTE_ORDER_MARKS if head.startswith(bom)][:1]
    for encoding in encodings or _ENCODINGS_WITHOUT_BOM:
        try:
            delimiter = _delimiter_of(upload, encoding)
            return _scan(upload, name, file_format=ImportFormat.CSV, encoding=encoding, delimiter=delimiter)
        except UnicodeDecodeError:
            upload.seek(0)
    raise _file_error(
        f"“{name}” is not UTF-8 text, nor any encoding we recognise. In Excel, use Save As → “CSV UTF-8”, "
        "then upload it again."
    )


def _delimiter_of(upload: File, encoding: str) -> str:
    """The likeliest separator is the one the header line uses most; a one-column file has none."""
    with _text(upload, encoding) as text:
        first_line = text.readline()
    upload.seek(0)
    counts = {delimiter: first_line.count(delimiter) for delimiter in _DELIMITERS}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


def _scan(upload: File, name: str, *, file_format: str, encoding: str, delimiter: str) -> FileShape:
    samples: list[list[str]] = []
    last_filled, rows_read = 0, -1
    with open_rows(upload, file_format=file_format, encoding=encoding, delimiter=delimiter) as rows:
        try:
            headers = headers_of(next(rows, []), name)
            rows_read = 0
            for rows_read, row in enumerate(rows, start=1):
                if any(cell.strip() for cell in row):
                    last_filled = rows_read
                    if len(samples) < SAMPLE_ROWS:
                        samples.append(_padded(row, len(headers)))
        except csv.Error as error:
            # Row numbers as a spreadsheet shows them: the header is row 1, the one that failed is the next.
            raise _file_error(f"Row {rows_read + 2} of “{name}” cannot be read: {error}.") from error
    upload.seek(0)
    # Trailing blank rows (Excel keeps formatted empty ones) are not rows to import.
    return FileShape(file_format, encoding, delimiter, headers, samples, last_filled)


def headers_of(cells: list[str], name: str) -> list[str]:
    """The column names, each unique (a second “Phone” becomes “Phone (2)”) so a mapping can name it."""
    cells = [" ".join(cell.split())[:MAX_HEADER_LENGTH] for cell in cells]
    while cells and not cells[-1]:
        cells.pop()
    if not cells:
        raise _file_error(f"“{name}” has no header row: its first row must name the columns (First name, Email, ...).")
    if any(_LOOKS_LIKE_DATA.search(cell) for cell in cells):
        raise _file_error(
            f"The first row of “{name}” looks like a contact, not column names: add a header row "
            "(First name, Email, ...) above the data."
        )
    headers: list[str] = []
    taken: set[str] = set()
    for position, cell in enumerate(cells, start=1):
        header, copy = cell or f"Column {position}", 1
        while header.lower() in taken:
            copy += 1
            header = f"{cell or f'Column {position}'} ({copy})"
        taken.add(header.lower())
        headers.append(header)
    return headers


def _padded(row: list[str], width: int) -> list[str]:
    return (row + [""] * (width - len(row)))[:width]


@contextmanager
def open_rows(binary: IO[bytes], *, file_format: str, encoding: str, delimiter: str) -> Iterator[Iterator[list[str]]]:
    """The file's rows as lists of text, header first, read as it is consumed."""
    if file_format == ImportFormat.XLSX:
        with _worksheet_rows(binary) as rows:
            yield rows
        return
    with _text(binary, encoding) as text:
        # No database text can hold a NUL character; only a damaged file has them.
        yield csv.reader((line.replace("\x00", "") for line in text), delimiter=delimiter)


@contextmanager
def _text(binary: IO[bytes], encoding: str) -> Iterator[io.TextIOWrapper]:
    text = io.TextIOWrapper(binary, encoding=encoding, newline="")
    try:
        yield text
    finally:
        text.detach()  # the caller still owns the file (an upload is saved after it is read)


@contextmanager
def _worksheet_rows(binary: IO[bytes]) -> Iterator[Iterator[list[str]]]:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        # data_only: a formula cell gives the value Excel showed, not its formula.
        workbook = openpyxl.load_workbook(binary, read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, ValueError, OSError) as error:
        raise _file_error(f"“{getattr(binary, 'name', 'The file')}” is not an Excel workbook we can read.") from error
    try:
        yield _sheet_rows(workbook.worksheets[0])
    finally:
        workbook.close()


def _sheet_rows(sheet) -> Iterator[list[str]]:
    try:
        for values in sheet.iter_rows(values_only=True):
            yield [_cell_text(value) for value in values]
    except (zipfile.BadZipFile, KeyError, ValueError, SyntaxError) as error:  # SyntaxError: broken sheet XML
        raise _file_error(f"The workbook is damaged and cannot be read to the end: {error}.") from error


def _cell_text(value: Any) -> str:
    """A spreadsheet cell as the text a person would type: 3125550123, not 3125550123.0."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.datetime):
        return value.date().isoformat() if value.time() == datetime.time() else value.isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)
