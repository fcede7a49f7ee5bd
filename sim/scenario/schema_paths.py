"""Where a scenario field lives in the schema, and how to say what is wrong with it.

The loader's messages name the file, the field path, the value and what is allowed. This
module walks the schema's types to find the model behind a dotted path (through mappings of
procedures or channels, optional sub-models and the ``kind``-tagged channel union), tells
whether a ``--set`` path exists, and turns a pydantic error into one readable line naming
the source (file, parent file, or ``--set``) that wrote the offending value.
"""

from __future__ import annotations

import datetime as dt
import reprlib
import types
from collections.abc import Mapping, Sequence
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel

from sim.scenario.frozen import Refused
from sim.scenario.schema import Scenario
from sim.scenario.suggest import did_you_mean

Layer = tuple[str, Mapping[str, Any]]
"""One source of fields, lowest priority first: its name (a file, ``FILE --set``) and mapping."""


def _repr_limits() -> reprlib.Repr:
    r = reprlib.Repr()  # keyword arguments only from Python 3.12
    r.maxlevel, r.maxlist, r.maxtuple, r.maxdict, r.maxstring, r.maxother = 3, 15, 15, 6, 80, 80
    return r


_REPR = _repr_limits()


def unsettable(path: Sequence[str], data: Any) -> str | None:
    """Why ``path`` cannot be set in a scenario mapping like ``data``; None if it can."""
    tp: Any = Scenario
    node: Any = data
    for depth, key in enumerate(path):
        where = ".".join(path[:depth]) or "top level"
        if not _is_mapping_type(tp):
            return f"{where} is not a mapping of fields; set it whole with --set {where}=..."
        known = _settable_keys(tp, node)
        if known is not None and key not in known:
            return (f"unknown key '{key}' in {where} (known: {', '.join(known) or 'none'})"
                    f"{did_you_mean(key, known)}")
        tp = child_type(_member(tp, node), key)
        node = node.get(key) if isinstance(node, Mapping) else None
    return None


def _is_mapping_type(tp: Any) -> bool:
    """Whether values of type ``tp`` are mappings (models, unions of models, dicts)."""
    return bool(tagged_models(tp)) or _is_model(_unwrap(tp)) or get_origin(_unwrap(tp)) is dict


def _settable_keys(tp: Any, node: Any) -> tuple[str, ...] | None:
    """Keys a mapping of type ``tp`` (now holding ``node``) may take; None means any key.

    Fields of models; for a mapping of named models (``procedures``, ``channels``), the names
    already in ``node``: an override changes an entry, it does not invent one.
    """
    members = tagged_models(tp)
    if members:
        kind = node.get("kind") if isinstance(node, Mapping) else None
        chosen = [members[kind]] if isinstance(kind, str) and kind in members else members.values()
        return tuple(sorted({f for m in chosen for f in m.model_fields}))
    tp = _unwrap(tp)
    if _is_model(tp):
        return tuple(tp.model_fields)
    if get_origin(tp) is dict:
        value = get_args(tp)[1]
        if not (_is_model(_unwrap(value)) or tagged_models(value)):
            return None
        return tuple(str(k) for k in node) if isinstance(node, Mapping) else ()
    return None


# --- the one door -----------------------------------------------------------------------------


def format_problem(err: Mapping[str, Any], source: str, layers: Sequence[Layer]) -> str:
    """One problem as ``SOURCE: field.path = value: what is allowed``."""
    path, tp = _readable(err["loc"])
    kind, value = err["type"], err.get("input")
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        field = str(err.get("ctx", {}).get("discriminator", "kind")).strip("'\"")
        path = [*path, field]
        value = err.get("ctx", {}).get("tag")
        allowed = ", ".join(repr(t) for t in sorted(tagged_models(tp)))
        msg = f"{'unknown' if value is not None else 'missing'} {field} (allowed: {allowed})"
    elif kind == "extra_forbidden":
        known = _settable_keys(_readable(err["loc"][:-1])[1], None) or ()
        hint = did_you_mean(str(err["loc"][-1]), known)
        msg = f"unknown field (allowed: {', '.join(known)}){hint}"
    elif isinstance(value, Refused):
        msg = value.reason
    else:
        msg = err["msg"].removeprefix("Value error, ")
    where = _origin(path, layers, source)
    if not path and kind == "value_error":
        return f"{where}: {msg}"
    hidden = isinstance(value, Mapping) or kind in ("missing", "union_tag_not_found")
    shown = "" if hidden else f" = {show_value(value)}"
    return f"{where}: {'.'.join(path) or '(top level)'}{shown}: {msg}"


def show_value(value: Any) -> str:
    """A short, readable rendering of a bad value."""
    if isinstance(value, dt.date):
        return value.isoformat()
    return _REPR.repr(value)


def _readable(loc: Sequence[Any]) -> tuple[list[str], Any]:
    """The field path of a pydantic error location as written in a file, and its type.

    Pydantic inserts the tag of a discriminated union (``channels.online.waitlist.x``);
    a file never writes it, so it is dropped (``channels.online.x``).
    """
    tp: Any = Scenario
    path = []
    for key in loc:
        members = tagged_models(tp)
        if isinstance(key, str) and key in members:
            tp = members[key]
            continue
        path.append(str(key))
        tp = child_type(tp, key)
    return path, tp


def _origin(path: Sequence[str], layers: Sequence[Layer], default: str) -> str:
    """The layer whose value the merged mapping holds at ``path`` (``default`` if none).

    Layers are searched from the last one down: the first that wrote ``path``, or a list or
    value on the way to it (those replace, they do not merge), owns it; otherwise the layer
    that wrote the longest part of ``path``.
    """
    best, best_depth = default, 0
    for name, data in reversed(layers):
        depth, owns = _written(data, path)
        if owns:
            return name
        if depth > best_depth:
            best, best_depth = name, depth
    return best


def _written(data: Any, path: Sequence[str]) -> tuple[int, bool]:
    """How many keys of ``path`` a layer wrote, and whether it owns the value at ``path``."""
    node = data
    for depth, key in enumerate(path):
        if not isinstance(node, Mapping):
            return depth, True
        if key not in node:
            return depth, False
        node = node[key]
    return len(path), True


# --- walking the schema's types ---------------------------------------------------------------


def _is_model(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def _unwrap(tp: Any) -> Any:
    """``tp`` without ``Annotated[...]`` and without ``| None``."""
    while True:
        if get_origin(tp) is Annotated:
            tp = get_args(tp)[0]
            continue
        if get_origin(tp) in (Union, types.UnionType):
            args = [a for a in get_args(tp) if a is not type(None)]
            if len(args) == 1:
                tp = args[0]
                continue
        return tp


def tagged_models(tp: Any) -> dict[str, type[BaseModel]]:
    """Members of a union of models told apart by their ``kind``, by tag; {} otherwise."""
    tp = _unwrap(tp)
    if get_origin(tp) not in (Union, types.UnionType):
        return {}
    members = [a for a in get_args(tp) if _is_model(a) and "kind" in a.model_fields]
    return {str(m.model_fields["kind"].default): m for m in members}


def _member(tp: Any, node: Any) -> Any:
    """The union member ``node`` selects by its ``kind`` (``tp`` itself if not a union)."""
    members = tagged_models(tp)
    if not members:
        return tp
    kind = node.get("kind") if isinstance(node, Mapping) else None
    return members.get(kind) if isinstance(kind, str) and kind in members else tp


def child_type(tp: Any, key: Any) -> Any:
    """The type of ``key`` inside a value of type ``tp`` (None if unknown)."""
    members = tagged_models(tp)
    if members:
        found = [m for m in members.values() if str(key) in m.model_fields]
        return child_type(found[0], key) if found else None
    tp = _unwrap(tp)
    if _is_model(tp):
        field = tp.model_fields.get(str(key))
        return field.annotation if field else None
    if get_origin(tp) is dict:
        return get_args(tp)[1]
    if get_origin(tp) in (tuple, list):
        return get_args(tp)[0]
    return None


# --- entry points -----------------------------------------------------------------------------
