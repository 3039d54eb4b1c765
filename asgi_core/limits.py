"""Default limits on client input, shared by every parser in ``asgi_core``.

Rules:

* Every limit is on by default. A default is a module-level ``Final``
  constant named ``DEFAULT_<WHAT>``, so one place documents it and tests can
  import it.
* A group of limits that one parser takes is a frozen dataclass (e.g.
  ``FormLimits``), built once at startup and passed in; parsers never read
  globals at request time.
* ``None`` means "unlimited" and is only the default where a limit would
  break normal use (e.g. the size of an uploaded file, which goes to disk).
* Going over a size or count limit raises ``PayloadTooLargeError`` (413) or,
  for a head, ``RequestHeaderFieldsTooLargeError`` (431); the message names
  the limit and the setting that raises it.

To add a limit: add a ``DEFAULT_*`` constant here with a comment saying what
it bounds and why the value, then (if it belongs to a group) a field on the
group's dataclass whose default is that constant.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from .exceptions import FerruleError

__all__ = [
    "DEFAULT_FORM_MAX_FIELDS",
    "DEFAULT_FORM_MAX_FIELD_SIZE",
    "DEFAULT_FORM_MAX_FILES",
    "DEFAULT_FORM_MAX_FILE_SIZE",
    "DEFAULT_FORM_MAX_HEADERS_PER_PART",
    "DEFAULT_FORM_MAX_PARTS",
    "DEFAULT_FORM_MAX_PART_HEADER_BYTES",
    "DEFAULT_FORM_MAX_URLENCODED_SIZE",
    "DEFAULT_FORM_SPOOL_MAX_SIZE",
    "MAX_MULTIPART_BOUNDARY_LENGTH",
    "FormLimits",
    "LimitConfigError",
]

# --- forms (asgi_core.forms, asgi_core.multipart) ---------------------------

#: Non-file fields in one form (urlencoded pairs or multipart parts without a
#: filename). Starlette's default; enough for any hand-written HTML form.
DEFAULT_FORM_MAX_FIELDS: Final = 1000
#: File parts in one multipart form.
DEFAULT_FORM_MAX_FILES: Final = 1000
#: Parts of any kind in one multipart body (fields + files).
DEFAULT_FORM_MAX_PARTS: Final = 2000
#: Bytes in one part's head (its header lines, CRLFs included); the same
#: value h11 uses for a whole request head.
DEFAULT_FORM_MAX_PART_HEADER_BYTES: Final = 16 * 1024
#: Header lines in one part's head; real clients send 1 to 3.
DEFAULT_FORM_MAX_HEADERS_PER_PART: Final = 32
#: Bytes in one non-file multipart field: it is kept in memory as ``str``.
DEFAULT_FORM_MAX_FIELD_SIZE: Final = 1024 * 1024
#: Bytes in one uploaded file. Files are spooled to disk, so the default is
#: unlimited; set it (and the server's body limit) for public endpoints.
DEFAULT_FORM_MAX_FILE_SIZE: Final[int | None] = None
#: Bytes of an uploaded file kept in memory before it rolls over to a
#: temporary file on disk.
DEFAULT_FORM_SPOOL_MAX_SIZE: Final = 1024 * 1024
#: Bytes in a whole ``application/x-www-form-urlencoded`` body: it is read
#: into memory before it is split.
DEFAULT_FORM_MAX_URLENCODED_SIZE: Final = 1024 * 1024
#: Characters in a multipart boundary. RFC 2046 §5.1.1 allows 1 to 70; we
#: accept up to 200 to tolerate non-conforming clients. Not configurable:
#: the parser keeps a buffer tail of this size.
MAX_MULTIPART_BOUNDARY_LENGTH: Final = 200


@dataclass(frozen=True, slots=True)
class FormLimits:
    """Limits applied while parsing a form body.

    Every field's default is the ``DEFAULT_FORM_*`` constant of this module.
    Build one at startup and pass it to ``Request.form(limits=...)`` or
    ``parse_form``; it is immutable, so sharing it between requests is safe.

    Attributes:
        max_fields: non-file fields per form (413 above it).
        max_files: file parts per form (413).
        max_parts: multipart parts of any kind (413).
        max_part_header_bytes: bytes in one part's head (431).
        max_headers_per_part: header lines in one part's head (431).
        max_field_size: bytes in one non-file field (413).
        max_file_size: bytes in one uploaded file, ``None`` for no limit (413).
        spool_max_size: bytes of an upload kept in memory before it goes to
            disk; 0 sends every upload straight to disk.
        max_urlencoded_size: bytes in a urlencoded body (413).
    """

    max_fields: int = DEFAULT_FORM_MAX_FIELDS
    max_files: int = DEFAULT_FORM_MAX_FILES
    max_parts: int = DEFAULT_FORM_MAX_PARTS
    max_part_header_bytes: int = DEFAULT_FORM_MAX_PART_HEADER_BYTES
    max_headers_per_part: int = DEFAULT_FORM_MAX_HEADERS_PER_PART
    max_field_size: int = DEFAULT_FORM_MAX_FIELD_SIZE
    max_file_size: int | None = DEFAULT_FORM_MAX_FILE_SIZE
    spool_max_size: int = DEFAULT_FORM_SPOOL_MAX_SIZE
    max_urlencoded_size: int = DEFAULT_FORM_MAX_URLENCODED_SIZE

    def __post_init__(self) -> None:
        for name in (
            "max_fields",
            "max_files",
            "max_parts",
            "max_part_header_bytes",
            "max_headers_per_part",
            "max_field_size",
            "spool_max_size",
            "max_urlencoded_size",
        ):
            _check_non_negative(name, getattr(self, name))
        if self.max_file_size is not None:
            _check_non_negative("max_file_size", self.max_file_size)


class LimitConfigError(FerruleError, ValueError):
    """A limit was configured with a value it cannot take."""


def _check_non_negative(name: str, value: object) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise LimitConfigError(
            f"FormLimits.{name} must be an int >= 0, got {value!r}: a limit counts "
            "bytes or items; pass a whole number (0 forbids the item; for "
            "max_file_size, None means unlimited)"
        )
