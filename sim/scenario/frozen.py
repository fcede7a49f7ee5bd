"""The base of every scenario sub-model: frozen, strict about unknown fields, and about what
counts as a number or a date.

Pydantic's lax mode reads ``true`` as 1 and an integer such as ``20210104`` as a timestamp;
a scenario file that says ``front_office_etp: true`` or ``start: 20210104`` is a mistake,
so both are refused, with a message saying what is expected. Infinity and NaN are refused
too: ``patience: .inf`` is not "never" (the schema says ``null`` for that).
"""

from __future__ import annotations

import datetime as dt
import types
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel, ConfigDict, model_validator


class Refused:
    """A value the field's own validation will reject, with the reason to give instead of
    pydantic's (:func:`sim.scenario.schema_paths.format_problem` shows both)."""

    __slots__ = ("reason", "value")

    def __init__(self, value: Any, reason: str):
        self.value, self.reason = value, reason

    def __repr__(self) -> str:
        return str(self.value).lower() if isinstance(self.value, bool) else repr(self.value)


class Frozen(BaseModel):
    """Frozen, strict base: unknown fields are errors, instances never change."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    @model_validator(mode="before")
    @classmethod
    def _no_lax_numbers_or_dates(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        out = None
        for name, value in data.items():
            field = cls.model_fields.get(name)
            fixed = value if field is None else _refuse(field.annotation, value)
            if fixed is not value:
                out = dict(data) if out is None else out
                out[name] = fixed
        return data if out is None else out


def _refuse(annotation: Any, value: Any) -> Any:
    """``value``, or a :class:`Refused` where a boolean stands for a number or a number for
    a date (inside tuples and mappings of numbers too)."""
    kinds = _kinds(annotation)
    if isinstance(value, bool) and kinds & {int, float} and bool not in kinds:
        return Refused(value, "expected a number, not true or false")
    if isinstance(value, int | float) and not isinstance(value, bool) and dt.date in kinds:
        return Refused(value, "expected a date written YYYY-MM-DD, not a number")
    inner = _inner(annotation)
    if not inner & {int, float}:
        return value
    if isinstance(value, list | tuple) and any(isinstance(v, bool) for v in value):
        return [_refuse(float, v) for v in value]
    if isinstance(value, dict) and any(isinstance(v, bool) for v in value.values()):
        return {k: _refuse(float, v) for k, v in value.items()}
    return value


def _kinds(annotation: Any) -> set[Any]:
    """The plain types a field may hold: ``float | None`` gives {float, NoneType}."""
    if get_origin(annotation) in (Union, types.UnionType):
        return {k for arg in get_args(annotation) for k in _kinds(arg)}
    return {annotation} if isinstance(annotation, type) else set()


def _inner(annotation: Any) -> set[Any]:
    """The plain types inside a tuple, list or mapping field (``tuple[float, ...]``)."""
    if get_origin(annotation) in (Union, types.UnionType):
        return {k for arg in get_args(annotation) for k in _inner(arg)}
    if get_origin(annotation) in (tuple, list, dict):
        return {a for a in get_args(annotation) if isinstance(a, type)}
    return set()
