"""Bounds on JSON that users send: how deep it nests and how big it is.

Python's ``json`` module recurses once per level of nesting, so a body nested a
few thousand levels deep raises ``RecursionError`` inside the parser, and a value
nested a few hundred deep parses but then overflows the stack later (rendering a
detail page, copying a job's config into a run). Every parser and form field
that reads user JSON checks the text with :func:`check_text` *before* handing it
to ``json.loads``; validators on the model fields check already-parsed values
with :func:`check_depth`. Neither recurses, so neither can overflow itself.

Pure Python, no Django: the parsers raise ``ParseError`` and the validators
``ValidationError`` from :class:`JSONLimitError`.
"""

from __future__ import annotations

import json

# Deeper than any config, metadata or settings object this product uses (those are
# two or three levels), far below where the stdlib parser runs out of stack.
MAX_JSON_DEPTH = 32
# A request body wraps field values: the body object, and a list of them in bulk calls.
MAX_JSON_BODY_DEPTH = MAX_JSON_DEPTH + 2
# One JSON value typed into a field (a job config, a template's metadata).
MAX_JSON_VALUE_BYTES = 256 * 1024
# A whole request body: Django's own default for form posts
# (DATA_UPLOAD_MAX_MEMORY_SIZE, 2.5 MiB), applied to JSON bodies too.
MAX_JSON_BODY_BYTES = 2_621_440


class JSONLimitError(ValueError):
    """The JSON is nested too deeply or too big; the message says which."""


def too_deep_message(max_depth: int = MAX_JSON_DEPTH) -> str:
    return f"JSON is nested too deeply: at most {max_depth} levels of objects and lists."


def too_big_message(size: int, max_bytes: int) -> str:
    return f"JSON is too large: {size} bytes; the limit is {max_bytes}."


def text_depth(text: str, *, stop_after: int | None = None) -> int:
    """The deepest nesting of ``{``/``[`` in JSON ``text``, ignoring brackets in strings.

    A linear scan with no recursion; it does not validate the JSON (the parser
    does that afterwards). Returns early once the depth passes ``stop_after``.
    """
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > deepest:
                deepest = depth
                if stop_after is not None and deepest > stop_after:
                    return deepest
        elif char in "]}":
            depth -= 1
    return deepest


def check_text(
    text: str | bytes,
    *,
    max_depth: int = MAX_JSON_DEPTH,
    max_bytes: int | None = MAX_JSON_VALUE_BYTES,
) -> None:
    """Raise :class:`JSONLimitError` if JSON ``text`` is too big or nests too deeply."""
    if max_bytes is not None:
        size = len(text) if isinstance(text, bytes) else len(text.encode("utf-8", "replace"))
        if size > max_bytes:
            raise JSONLimitError(too_big_message(size, max_bytes))
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    if text_depth(text, stop_after=max_depth) > max_depth:
        raise JSONLimitError(too_deep_message(max_depth))


def loads_bounded(
    text: str | bytes,
    *,
    max_depth: int = MAX_JSON_DEPTH,
    max_bytes: int | None = MAX_JSON_VALUE_BYTES,
    **kwargs,
):
    """``json.loads`` that refuses over-deep or over-large input with JSONLimitError.

    Other malformed JSON raises ``json.JSONDecodeError`` as usual.
    """
    check_text(text, max_depth=max_depth, max_bytes=max_bytes)
    try:
        return json.loads(text, **kwargs)
    except RecursionError:  # cannot happen after the scan; never let it be a 500
        raise JSONLimitError(too_deep_message(max_depth)) from None


def value_depth(value, *, stop_after: int | None = None) -> int:
    """How deeply lists and dicts nest in ``value`` (a scalar is 0), without recursion."""
    deepest = 0
    stack = [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, (list, tuple)):
            children = item
        else:
            continue
        if level > deepest:
            deepest = level
            if stop_after is not None and deepest > stop_after:
                return deepest
        stack.extend((child, level + 1) for child in children)
    return deepest


def check_depth(value, *, max_depth: int = MAX_JSON_DEPTH) -> None:
    """Raise :class:`JSONLimitError` if ``value`` nests deeper than ``max_depth``."""
    if value_depth(value, stop_after=max_depth) > max_depth:
        raise JSONLimitError(too_deep_message(max_depth))
