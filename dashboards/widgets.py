"""Editor widgets that start at a scenario's value and remember what the visitor set.

Each widget's key is ``ed.<base scenario>.<dotted field>`` (:func:`levers.widget_key`): its
first value is the base scenario's, set through the session state (never through ``value=``,
so a URL preset or a value kept from another page wins), and a number input offers the range
the schema declares (:func:`levers.widget_range`), widened only to hold the base's own value.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import levers
import streamlit as st
from pydantic import BaseModel


class LeverWidgets:
    """Widgets for the levers of one base scenario (``base`` is its library label)."""

    def __init__(self, base: str) -> None:
        self.base = base

    def key(self, path: str) -> str:
        return levers.widget_key(self.base, path)

    def number(self, label: str, path: str, model: type[BaseModel], field: str, value: float,
               step: float = 1.0, integer: bool = False, help: str | None = None) -> Any:
        """A number input for a schema field, bounded by the schema, starting at ``value``."""
        cast = int if integer else float
        low, high = levers.widget_range(model, field, step)
        current = st.session_state.setdefault(self.key(path), cast(value))
        low = None if low is None else min(cast(low), current)
        high = None if high is None else max(cast(high), current)
        shown = None if integer else f"%.{max(levers.decimals(step), levers.decimals(value))}f"
        return st.number_input(label, min_value=low, max_value=high, step=cast(step),
                               format=shown, key=self.key(path),
                               help=help or model.model_fields[field].description)

    def choice(self, label: str, path: str, options: dict[str, str], value: str,
               help: str | None = None) -> str:
        """A select box over ``options`` (value -> text shown), starting at ``value``."""
        st.session_state.setdefault(self.key(path),
                                    value if value in options else next(iter(options)))
        return str(st.selectbox(label, list(options), format_func=options.__getitem__,
                                key=self.key(path), help=help))

    def switch(self, label: str, path: str, value: bool, help: str | None = None) -> bool:
        st.session_state.setdefault(self.key(path), bool(value))
        return bool(st.toggle(label, key=self.key(path), help=help))

    def day(self, label: str, path: str, value: dt.date) -> dt.date:
        st.session_state.setdefault(self.key(path), value)
        return st.date_input(label, key=self.key(path))  # type: ignore[return-value]
