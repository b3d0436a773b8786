"""Form data a person or a system sends with a step: checked before anything is changed.

It must be storable as it is: JSON only (no sets, dates or objects), no NaN or infinity, within
the size and nesting limits of the local rules. A violation names the step and the field.
"""

from __future__ import annotations

import json
import math
from typing import Any

from engine.errors import InvalidAction
from engine.model import Rules

FORM_LIMIT_HINT = "keep a step's form to plain text, numbers, true/false, lists and objects"


def check_form_data(where: str, data: dict[str, Any], rules: Rules) -> None:
    """Form data must be storable as it is, before anything is changed: JSON only (no sets,
    dates or objects), no NaN or infinity, within the size and nesting limits."""
    def walk(value: Any, path: str, depth: int) -> None:
        if depth > rules.max_form_depth:
            raise InvalidAction(f"{where}: field “{path}” is nested more than "
                                f"{rules.max_form_depth} levels deep; {FORM_LIMIT_HINT}")
        if isinstance(value, bool) or value is None or isinstance(value, (str, int)):
            return
        if isinstance(value, float):
            if math.isnan(value) or math.isinf(value):
                raise InvalidAction(f"{where}: field “{path}” is {value}, which is not a number "
                                    f"that can be recorded; give a finite number")
            return
        if isinstance(value, (list, tuple)):
            for i, item in enumerate(value):
                walk(item, f"{path}[{i}]", depth + 1)
            return
        if isinstance(value, dict):
            for key, item in value.items():
                if not isinstance(key, str):
                    raise InvalidAction(f"{where}: field “{path}” has a key {key!r} that is not "
                                        f"text")
                walk(item, f"{path}.{key}" if path else key, depth + 1)
            return
        raise InvalidAction(f"{where}: field “{path}” holds a {type(value).__name__}, which cannot "
                            f"be recorded; {FORM_LIMIT_HINT}")

    if not isinstance(data, dict):
        raise InvalidAction(f"{where}: form data must be a set of named fields")
    for key, value in data.items():
        walk(value, str(key), 1)
    size = len(json.dumps(data, ensure_ascii=False, allow_nan=False).encode())
    if size > rules.max_form_bytes:
        raise InvalidAction(f"{where}: the form data is {size:,} bytes; at most "
                            f"{rules.max_form_bytes:,} may be recorded with one step — attach "
                            f"large documents as materials instead")
