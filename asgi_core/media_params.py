"""Header values with parameters: ``type/subtype; name=value; name*=UTF-8''...``.

Used for a request's ``Content-Type`` and a multipart part's
``Content-Disposition``. No regex with backtracking: one left-to-right scan,
linear in the value's length (hostile values are megabytes of ``;`` or ``\\``).

Rules:

1. Media type and parameter names are lowercased; the first occurrence of a
   name wins and the duplicated names are reported (the multipart parser
   refuses a duplicated ``name`` / ``filename``).
2. Quoted strings: a backslash escapes only ``"`` and ``\\`` (COMPAT: browsers
   and Go's ``mime.ParseMediaType``); an unterminated string runs to the end.
3. ``name*=`` (RFC 8187) is decoded (UTF-8 or ISO-8859-1 only) and used only
   when the plain ``name`` is absent; RFC 2231 continuations are ignored.
"""

from __future__ import annotations

from typing import Final
from urllib.parse import unquote_to_bytes

__all__ = ["parse_options_header", "parse_params", "quality"]

# SPEC: RFC 9110 §5.6.4 quoted-pair = "\" ( HTAB / SP / VCHAR / obs-text ).
# COMPAT: browsers never escape inside quoted strings (WHATWG HTML percent-
# encodes `"`, CR and LF instead), and old clients send Windows paths like
# "C:\dir\a.txt" unescaped. So, like Go's mime.ParseMediaType, a backslash
# is an escape only before `"` or `\`; before anything else it is literal.
_ESCAPABLE: Final = frozenset('"\\')
_OWS: Final = " \t"
# SPEC: RFC 8187 §3.2.1 ext-value = charset "'" [ language ] "'" value-chars
_EXT_CHARSETS: Final = {"utf-8": "utf-8", "iso-8859-1": "latin-1"}


def _read_quoted(text: str, pos: int) -> tuple[str, int]:
    """Unescape the quoted string opened just before ``pos``; return it and the index after it.

    An unterminated string runs to the end of ``text``. Linear: ``quote`` is
    searched again only once ``pos`` has passed it; each backslash is seen once.
    """
    end = len(text)
    out: list[str] = []
    quote = text.find('"', pos)
    if quote < 0:
        quote = end
    while True:
        slash = text.find("\\", pos, quote)
        if slash < 0:
            out.append(text[pos:quote])
            return "".join(out), min(quote + 1, end)
        out.append(text[pos:slash])
        if slash + 1 < end and text[slash + 1] in _ESCAPABLE:
            out.append(text[slash + 1])
            pos = slash + 2
            if pos > quote:  # the escaped character was the quote we had found
                quote = text.find('"', pos)
                if quote < 0:
                    quote = end
        else:
            out.append("\\")
            pos = slash + 1


def _decode_ext_value(value: str) -> str | None:
    """Decode an RFC 8187 ``ext-value``; ``None`` if malformed or of an unknown charset."""
    charset, sep, rest = value.partition("'")
    _language, sep2, encoded = rest.partition("'")
    codec = _EXT_CHARSETS.get(charset.strip().lower())
    if not sep or not sep2 or codec is None:
        return None
    return unquote_to_bytes(encoded).decode(codec, "replace")


def parse_params(text: str) -> tuple[str, dict[str, str], set[str]]:
    """Split ``type/subtype; k=v; ...`` into (media type, params, duplicated names).

    Names are lowercased. The first occurrence of a name wins. An extended
    parameter ``k*=`` (RFC 8187) fills ``k`` only when no plain ``k`` is
    present (the plain one is authoritative). Parameters without ``=`` and
    RFC 2231 continuations (``k*0=``) are ignored.
    """
    end = len(text)
    semi = text.find(";")
    if semi < 0:
        return text.strip(_OWS).lower(), {}, set()
    media_type = text[:semi].strip(_OWS).lower()
    params: dict[str, str] = {}
    extended: dict[str, str] = {}
    duplicated: set[str] = set()
    pos = semi
    while pos < end:
        pos += 1  # past ';'
        next_semi = text.find(";", pos)
        if next_semi < 0:
            next_semi = end
        equals = text.find("=", pos, next_semi)
        if equals < 0:
            pos = next_semi  # a bare token: not a parameter
            continue
        name = text[pos:equals].strip(_OWS).lower()
        pos = equals + 1
        while pos < end and text[pos] in _OWS:
            pos += 1
        if pos < end and text[pos] == '"':
            value, pos = _read_quoted(text, pos + 1)
            next_semi = text.find(";", pos)  # the quoted value may hold ';'
            pos = end if next_semi < 0 else next_semi
        else:
            value = text[pos:next_semi].strip(_OWS)
            pos = next_semi
        if not name:
            continue
        if name.endswith("*"):
            target = extended
            name = name[:-1]
        else:
            target = params
        if name in target:
            duplicated.add(name)
        else:
            target[name] = value
    for name, raw in extended.items():
        if name not in params:
            decoded = _decode_ext_value(raw)
            if decoded is not None:
                params[name] = decoded
    return media_type, params, duplicated


def parse_options_header(value: str | bytes) -> tuple[str, dict[str, str]]:
    """Parse a header value like ``Content-Type`` into its media type and parameters.

    Linear in the length of ``value`` (no backtracking regex). Quoted strings
    are unescaped. ``name*=`` / ``filename*=`` (RFC 8187) are decoded but
    never override a plain ``name`` / ``filename``: they are only used when
    the plain parameter is absent.

    Args:
        value: the header value; bytes are decoded as latin-1 (RFC 9110 §5.5).

    Returns:
        The lowercased media type (or disposition type) and a dict of
        parameters keyed by lowercased name.
    """
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    media_type, params, _ = parse_params(text)
    return media_type, params


def quality(params: str, invalid: float) -> float:
    """The ``q`` weight among the ``;``-separated ``params`` of one ``Accept*`` item (RFC 9110 §12.4.2).

    1.0 when there is none; ``invalid`` when its value is not a number (the
    callers differ: a malformed weight refuses gzip but still counts as HTML).
    """
    weight = 1.0
    for param in params.split(";"):
        name, _, value = param.partition("=")
        if name.strip().lower() == "q":
            try:
                weight = float(value.strip())
            except ValueError:
                weight = invalid
    return weight
