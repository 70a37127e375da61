"""pydantic's errors said in the words of the scenario format, with "did you mean".

pydantic reports what its models expected ("Input should be a valid dictionary or instance
of ProbeSpec", "String should match pattern '^[a-z]...$'"); a scenario's author wrote YAML
keys and values, and reads them back: "probe: expected a mapping of keys such as enabled,
interval (got 5)". This module turns each error into such a message, and is the one place
that knows the shape of pydantic's errors (their ``type``, ``loc``, ``ctx`` and ``input``).

A key or a value that is close to a known one (one edit away, or close by
``difflib.get_close_matches``) gets a suggestion; a required key that is "missing" next to
an unknown key close to it is reported as the typo it is, at the typo's line.
"""

from __future__ import annotations

import datetime
import difflib
import re
import types
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel

from rdssim.durations import shown

PathKey = tuple[str | int, ...]

MAX_SUGGESTIONS = 3
MAX_LISTED_KEYS = 60
"""A mapping's keys listed in full (TimingsSpec has the most, about 50)."""


# -- suggestions -----------------------------------------------------------------------------
def _folded(word: str) -> str:
    return word.lower().replace("-", "_")


def _one_edit(a: str, b: str) -> bool:
    """Whether ``a`` becomes ``b`` by inserting, deleting or replacing one character, or by
    swapping two neighbours (what one slip of a finger does)."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        if len(diff) == 1:
            return True
        return (
            len(diff) == 2
            and diff[1] == diff[0] + 1
            and a[diff[0]] == b[diff[1]]
            and a[diff[1]] == b[diff[0]]
        )
    short, long = (a, b) if len(a) < len(b) else (b, a)
    return any(long[:i] + long[i + 1 :] == short for i in range(len(long)))


def close_matches(word: str, choices: Iterable[str], n: int = MAX_SUGGESTIONS) -> list[str]:
    """The choices ``word`` is probably a typo of, closest first: those one edit away
    (ignoring case, and ``-`` for ``_``), then difflib's close matches."""
    by_folded: dict[str, str] = {}
    for choice in choices:
        by_folded.setdefault(_folded(choice), choice)
    folded = _folded(word)
    if folded in by_folded:
        # Only the case or a dash differs; or it is one of the choices, and no typo.
        return [by_folded[folded]] if by_folded[folded] != word else []

    def ratio(candidate: str) -> float:
        return difflib.SequenceMatcher(None, folded, candidate).ratio()

    # One slip of a finger is what a typo nearly always is: those alone, when there are any.
    ordered = sorted((f for f in by_folded if _one_edit(folded, f)), key=ratio, reverse=True)
    if not ordered:
        ordered = difflib.get_close_matches(folded, list(by_folded), n=n, cutoff=0.6)
        # The closest, and any others as close (dns_cach: dns_cache, not also dns_cache_for).
        ordered = [f for f in ordered if ratio(f) >= ratio(ordered[0]) - 0.05] if ordered else []
    return [by_folded[f] for f in ordered[:n]]


def _or(words: Sequence[str]) -> str:
    quoted = [repr(w) for w in words]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " or " + quoted[-1]


def did_you_mean(
    word: object, choices: Iterable[str], *, notes: Mapping[str, str] = {}, only_one: bool = False
) -> str:
    """``"; did you mean 'x'?"`` when ``word`` is close to a choice, else ``""``; ``notes``
    adds a word after a choice (``(required)``); ``only_one``: nothing unless one choice is
    close (db-9 is as close to db-1 as to db-2: a guess would be noise)."""
    if not isinstance(word, str):
        return ""
    found = close_matches(word, choices)
    if not found or (only_one and len(found) > 1):
        return ""
    parts = [f"{w!r}" + (f" ({notes[w]})" if w in notes else "") for w in found]
    listed = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " or " + parts[-1]
    return f"; did you mean {listed}?"


def not_found(text: str, word: object, choices: Iterable[str], known: str) -> str:
    """``text`` (``no instance named 'primry'``) with the one close choice suggested, then
    the ``known`` ones."""
    suggestion = did_you_mean(word, choices, only_one=True)
    return f"{text}{suggestion} (known: {known})" if suggestion else f"{text}; known: {known}"


# -- the schema at a key path ----------------------------------------------------------------
def _bare(tp: Any) -> Any:
    """``tp`` without Annotated metadata and without ``| None``."""
    while True:
        origin = get_origin(tp)
        if origin is Annotated:
            tp = get_args(tp)[0]
        elif origin in (Union, types.UnionType):
            members = [a for a in get_args(tp) if a is not type(None)]
            if len(members) != 1:
                return tp
            tp = members[0]
        else:
            return tp


def _is_model(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def model_keys(model: type[BaseModel]) -> dict[str, bool]:
    """The YAML keys of ``model`` (aliases where it has them), each with whether it is
    required, in the model's order."""
    from rdssim.scenario.schema import Scenario

    keys = {(f.alias or name): f.is_required() for name, f in model.model_fields.items()}
    if model is Scenario:
        # ``variant`` is set by the loader; the file has ``variants``.
        keys.pop("variant", None)
        keys["variants"] = False
    return keys


def type_at(loc: Sequence[str | int], root: Any = None) -> Any:
    """The (bare) type of the value at ``loc`` of a scenario, None where the schema has no
    such key. Any list index and any mapping key will do."""
    from rdssim.scenario.schema import Scenario

    tp: Any = Scenario if root is None else root
    for step in loc:
        tp = _bare(tp)
        origin = get_origin(tp)
        if _is_model(tp):
            fields = {(f.alias or name): f for name, f in tp.model_fields.items()}
            if not isinstance(step, str) or step not in fields:
                return None
            tp = fields[step].annotation
        elif origin is list:
            tp = get_args(tp)[0]
        elif origin is dict:
            tp = get_args(tp)[1]
        else:
            return None
    return _bare(tp)


def keys_at(loc: Sequence[str | int]) -> dict[str, bool] | None:
    """The keys of the mapping at ``loc`` (required or not); None if it is not a model."""
    tp = type_at(loc)
    return model_keys(tp) if _is_model(tp) else None


def _choices(tp: Any) -> list[str]:
    return [str(a) for a in get_args(tp)] if get_origin(tp) is Literal else []


def unknown_key(loc: Sequence[str | int], missing: Iterable[str] = ()) -> str:
    """The message for the unknown key at ``loc``: a suggestion of the keys it is close to
    (the ``missing`` ones first), else the keys that are known there."""
    key = loc[-1]
    keys = keys_at(loc[:-1])
    if keys is None:
        return f"unknown key {key!r} (typos are errors, not ignored)"
    missing = set(missing)
    found = close_matches(str(key), keys)
    # A key close to a missing required one is that one, misspelt. (One close to a key that
    # is given is not ruled out: a variant's overrides meet the base's keys.)
    found = [k for k in found if k in missing] or found
    if found:
        notes = {k: "required" for k in found if k in missing}
        return f"unknown key {key!r}" + did_you_mean(str(key), found, notes=notes)
    listed = list(keys)
    if len(listed) > MAX_LISTED_KEYS:
        listed = [*listed[:MAX_LISTED_KEYS], "..."]
    return f"unknown key {key!r}; the keys here are {', '.join(listed)}"


# -- pydantic's errors, in words -------------------------------------------------------------
# What the string patterns of rdssim.scenario.schema mean (tests check every pattern is here).
PATTERNS = {
    r"^[a-z][a-z0-9-]{0,62}$": (
        "a name of lowercase letters, digits and dashes, starting with a letter (db-1)"
    ),
    r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$": (
        "a name of letters, digits, '_', '-' and '.', not a path (multi_az_failover)"
    ),
    r"^\d+(\.\d+)*$": 'a version number such as "8.0" or "16.3"',
    r"^[a-z0-9][a-z0-9-]{0,39}$": (
        "an AZ or Region name of lowercase letters, digits and dashes (us-east-1a)"
    ),
    r"^(mon|tue|wed|thu|fri|sat|sun):([01][0-9]|2[0-3]):[0-5][0-9]$": (
        "a weekday and a UTC time as day:hh:mm (sun:05:00)"
    ),
}


def _number(value: Any) -> str:
    """A bound as people read it: 1,000,000 and 0.25, not 1000000.0 and 2.5e-01."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        value = int(value)
    return f"{value:,}" if isinstance(value, int) else f"{value:g}"


def got(value: Any) -> str:
    """A value as the YAML author wrote it: true, not True; nothing, not None."""
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime.date):
        # YAML reads 2024-01-01 as a date: say so, not datetime.date(2024, 1, 1).
        if isinstance(value, datetime.datetime):
            return f"the date {value.isoformat(sep=' ')}"
        return f"the date {value.isoformat()}"
    if isinstance(value, bytes):
        return "binary data"
    if isinstance(value, set | frozenset):
        return "a set"
    return shown(value)


def _plural(count: int, word: str) -> str:
    return f"{count:,} {word}" + ("" if count == 1 else "s")


def _a_mapping(tp: Any) -> str:
    if _is_model(tp):
        keys = model_keys(tp)
        # The required keys first: they are what a mapping here must hold.
        ordered = sorted(keys, key=lambda k: not keys[k])[:4]
        more = ", ..." if len(keys) > len(ordered) else ""
        return f"a mapping of keys such as {', '.join(ordered)}{more}"
    return "a mapping of keys to values"


def _quoted_number(value: Any, kind: type) -> bool:
    if not isinstance(value, str):
        return False
    try:
        kind(value.strip())
    except ValueError:
        return False
    return True


_BOUNDS = {
    "greater_than_equal": ("at least", "ge"),
    "greater_than": ("more than", "gt"),
    "less_than_equal": ("at most", "le"),
    "less_than": ("less than", "lt"),
}


def describe(error: Mapping[str, Any], loc: Sequence[str | int] | None = None) -> str:
    """One pydantic error (an item of ``ValidationError.errors()``) in plain words; ``loc``
    is where it is (default: its own ``loc``)."""
    kind = error["type"]
    loc = tuple(error["loc"]) if loc is None else tuple(loc)
    context = error.get("ctx") or {}
    value = error.get("input")
    message = _describe(kind, loc, context, value, error)
    if message is not None:
        return message
    return _sanitised(str(error.get("msg", "")), value)


def _describe(
    kind: str,
    loc: PathKey,
    context: Mapping[str, Any],
    value: Any,
    error: Mapping[str, Any],
) -> str | None:
    if kind == "extra_forbidden":
        return unknown_key(loc)
    if kind == "missing":
        return "required key is missing"
    if kind == "literal_error":
        choices = _choices(type_at(loc)) or re.findall(r"'([^']*)'", str(context.get("expected")))
        expected = _or(choices) if choices else str(context.get("expected", "another value"))
        return f"expected {expected} (got {got(value)})" + did_you_mean(value, choices)
    if kind in _BOUNDS:
        words, key = _BOUNDS[kind]
        return f"expected {words} {_number(context[key])} (got {got(value)})"
    if kind == "string_pattern_mismatch":
        form = PATTERNS.get(str(context.get("pattern")))
        if form is None:
            return f"not in the form this key takes (got {got(value)}); see docs/scenario-format.md"
        return f"expected {form} (got {got(value)})"
    if kind in ("string_too_long", "string_too_short"):
        limit = context.get("max_length" if kind == "string_too_long" else "min_length", 0)
        words = "at most" if kind == "string_too_long" else "at least"
        size = f" (got {len(value):,})" if isinstance(value, str) else ""
        return f"expected {words} {_plural(limit, 'character')}{size}"
    if kind in ("too_long", "too_short"):
        limit = context.get("max_length" if kind == "too_long" else "min_length", 0)
        words = "at most" if kind == "too_long" else "at least"
        noun = (
            ("entry", "entries") if context.get("field_type") == "Dictionary" else ("item", "items")
        )
        text = f"expected {words} {limit:,} {noun[0] if limit == 1 else noun[1]}"
        actual = context.get("actual_length")
        if actual is None and isinstance(value, list | dict):
            actual = len(value)
        if actual is not None:
            text += f" (got {actual:,})"
        return text
    if kind in ("model_type", "model_attributes_type", "dict_type", "mapping_type"):
        return f"expected {_a_mapping(type_at(loc))} (got {got(value)})"
    if kind in ("list_type", "tuple_type", "set_type", "iterable_type"):
        text = f"expected a list (got {got(value)})"
        if isinstance(value, dict):
            text += "; write each item on its own line starting with '- '"
        return text
    if kind in ("int_type", "int_parsing", "int_from_float"):
        if _quoted_number(value, int):
            return f"expected a whole number, not text (got {got(value)}): write it without quotes"
        return f"expected a whole number (got {got(value)})"
    if kind in ("float_type", "float_parsing"):
        if _quoted_number(value, float):
            return f"expected a number, not text (got {got(value)}): write it without quotes"
        return f"expected a number (got {got(value)})"
    if kind in ("bool_type", "bool_parsing"):
        if isinstance(value, str) and value.strip().lower() in ("true", "false"):
            return f"expected true or false, not text (got {got(value)}): write it without quotes"
        return f"expected true or false (got {got(value)})"
    if kind in ("string_type", "string_sub_type", "string_unicode"):
        quote = (
            "; quote it to make it text" if isinstance(value, int | float | datetime.date) else ""
        )
        return f"expected text (got {got(value)}){quote}"
    if kind == "finite_number":
        return f"expected a finite number (got {got(value)})"
    if kind == "invalid_key":
        return f"expected a name as the key (got {got(value)})"
    if kind == "union_tag_invalid":
        tags = re.findall(r"'([^']*)'", str(context.get("expected_tags", "")))
        tag = context.get("tag")
        return f"expected {_or(tags)} (got {got(tag)})" + did_you_mean(tag, tags)
    if kind == "union_tag_not_found":
        return f"required key {context.get('discriminator', '')!s} is missing".replace("  ", " ")
    if kind in ("value_error", "assertion_error"):
        message = str(error.get("msg", ""))
        message = message.removeprefix("Value error, ").removeprefix("Assertion failed, ")
        if value is None or isinstance(value, datetime.date | bytes | set):
            # The validators of rdssim quote a value as Python shows it.
            message = message.replace(f"got {shown(value)}", f"got {got(value)}")
        return message
    return None


# Words of pydantic's that no message may carry: its phrasing and the models' class names.
_PYDANTIC = [
    (re.compile(r"^Input should be\b"), "expected"),
    (re.compile(r"\bInput should be\b"), "expected"),
    (re.compile(r"\bor instance of \w+"), ""),
    (re.compile(r"\ba valid dictionary\b"), "a mapping"),
    (re.compile(r"\ba valid (\w+)"), r"a \1"),
    (re.compile(r"\b\w+Spec\b"), "this key's mapping"),
]


def _sanitised(message: str, value: Any) -> str:
    """A message of a kind this module does not know, stripped of pydantic's phrasing."""
    for pattern, words in _PYDANTIC:
        message = pattern.sub(words, message)
    message = message[0].lower() + message[1:] if message else "not a value this key takes"
    if "got" not in message:
        message += f" (got {got(value)})"
    return message


# -- all the errors of one validation ----------------------------------------------------------
@dataclass(frozen=True)
class Problem:
    """One error of a validation, located and in words."""

    loc: PathKey
    message: str
    kind: str


def _clean_loc(loc: Sequence[Any]) -> PathKey:
    """A pydantic ``loc`` as a key path: an error in a mapping's key (``regions.LAB.[key]``)
    is at the key's own path (``regions.LAB``)."""
    return tuple(step for step in loc if step != "[key]")


def problems(errors: Sequence[Mapping[str, Any]]) -> list[Problem]:
    """Every error of one validation (``ValidationError.errors()``), in words: a required key
    missing beside an unknown key close to it is one problem, the typo, at the typo's place;
    missing keys come last (what is wrong beside them is more often the cause)."""
    raw = [(tuple(e["loc"]), e) for e in errors]
    missing: dict[PathKey, set[str]] = {}
    unknown: dict[PathKey, list[str]] = {}
    for loc, error in raw:
        if loc and isinstance(loc[-1], str):
            if error["type"] == "missing":
                missing.setdefault(loc[:-1], set()).add(loc[-1])
            elif error["type"] == "extra_forbidden":
                unknown.setdefault(loc[:-1], []).append(loc[-1])
    # Which unknown key stands for which missing one: the closest, one to one.
    typo_of: dict[PathKey, PathKey] = {}  # missing key's loc -> unknown key's loc
    for parent, names in unknown.items():
        for name in names:
            match = close_matches(name, missing.get(parent, ()), n=1)
            if match and (*parent, match[0]) not in typo_of:
                typo_of[(*parent, match[0])] = (*parent, name)
    out: list[Problem] = []
    done: set[PathKey] = set()
    for loc, error in raw:
        kind = error["type"]
        if kind in ("missing", "extra_forbidden"):
            if kind == "missing" and loc in typo_of:
                loc, kind = typo_of[loc], "extra_forbidden"
            if kind == "extra_forbidden":
                if loc in done:
                    continue
                done.add(loc)
                message = unknown_key(loc, missing.get(loc[:-1], ()))
                out.append(Problem(loc, message, kind))
                continue
        where = _clean_loc(loc)
        if kind == "invalid_key" and where:
            where = (*where[:-1], str(where[-1]))  # the key as the file has it
        out.append(Problem(where, describe(error, _clean_loc(loc)), kind))
    # A missing key says least: an unknown key or a bad value beside it is likely its cause.
    return sorted(out, key=lambda problem: problem.kind == "missing")
