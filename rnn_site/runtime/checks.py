"""Argument checks shared by every runtime class: one rule, one message, one error type each.

Every public entry point checks its arguments here before touching a graph, so a wrong value
raises a typed error (a subclass of `RnnSiteError`, and of `ValueError`) that says what was
wrong and what is accepted, instead of numpy's or onnxruntime's own exception from deep inside.
The rules, in one place:

- an integer is an ``int`` or numpy integer, never a ``bool`` (``True`` is not a count);
- a number is an ``int``, ``float`` or numpy number, never a ``bool`` or a string, and finite;
  integers too large for a float are refused, not left to raise ``OverflowError``;
- a random seed is ``None`` or an integer from 0 to ``MAX_SEED``;
- text is a ``str``: ``bytes`` are refused with a hint to decode them first.

Renamed arguments go through `renamed`, which warns (``DeprecationWarning``) for one release.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from rnn_site.runtime.errors import (
    InvalidArgumentError,
    InvalidBeamError,
    InvalidLengthError,
    InvalidSeedError,
    InvalidTemperatureError,
    InvalidTextError,
)

#: Largest random seed accepted (numpy takes more, but a seed is a label, not a number to grow).
MAX_SEED = 2**63 - 1
#: Largest temperature accepted: far above any useful value (10 is already near-uniform).
MAX_TEMPERATURE = 1e6

MISSING: Any = object()


def is_integer(value: object) -> bool:
    """True for ``int`` and numpy integers, False for ``bool`` (a flag is not a count)."""
    return not isinstance(value, bool | np.bool_) and isinstance(value, int | np.integer)


def check_int(
    value: object,
    name: str,
    minimum: int,
    maximum: int,
    error: type[InvalidArgumentError] = InvalidLengthError,
) -> int:
    """`value` as an ``int`` within [minimum, maximum], or `error` saying what is accepted."""
    if not is_integer(value):
        raise error(f"{name} must be an integer, got {_typed(value)}")
    number = int(value)  # type: ignore[call-overload]
    if not minimum <= number <= maximum:
        raise error(f"{name} must be between {minimum:,} and {maximum:,}, got {_show(number)}")
    return number


def check_number(
    value: object,
    name: str,
    minimum: float = -math.inf,
    maximum: float = math.inf,
    error: type[InvalidArgumentError] = InvalidArgumentError,
) -> float:
    """`value` as a finite ``float`` within [minimum, maximum], or `error`.

    Strings and bools are refused (``"0.5"`` is text, ``True`` a flag); an integer too large for
    a float is out of range rather than an ``OverflowError``.
    """
    if isinstance(value, bool | np.bool_) or not isinstance(value, int | float | np.number):
        raise error(f"{name} must be a number, got {_typed(value)}")
    if isinstance(value, np.complexfloating):
        raise error(f"{name} must be a real number, got {_show(value)}")
    try:
        number = float(value)
    except OverflowError:
        number = math.inf if value > 0 else -math.inf
    if not math.isfinite(number) or not minimum <= number <= maximum:
        raise error(
            f"{name} must be a finite number from {minimum:g} to {maximum:g}, got {_show(value)}"
        )
    return number


def check_temperature(value: object) -> float:
    """A sampling temperature: a finite number from 0 (greedy) to `MAX_TEMPERATURE`."""
    if isinstance(value, bool | np.bool_) or not isinstance(value, int | float | np.number):
        raise InvalidTemperatureError(f"temperature must be a number ≥ 0, got {_typed(value)}")
    try:
        number = float(value)
    except OverflowError:
        number = math.inf
    if not math.isfinite(number) or not 0 <= number <= MAX_TEMPERATURE:
        raise InvalidTemperatureError(
            f"temperature must be a finite number ≥ 0 (0 = greedy) and at most "
            f"{MAX_TEMPERATURE:g}, got {_show(value)}"
        )
    return number


def check_seed(value: object) -> int | None:
    """A random seed: ``None`` (fresh randomness) or an integer from 0 to `MAX_SEED`."""
    if value is None:
        return None
    if not is_integer(value):
        raise InvalidSeedError(
            f"seed must be None or an integer from 0 to 2**63 - 1, got {_typed(value)}"
        )
    number = int(value)  # type: ignore[call-overload]
    if not 0 <= number <= MAX_SEED:
        raise InvalidSeedError(f"seed must be an integer from 0 to 2**63 - 1, got {_show(number)}")
    return number


def check_beam_width(value: object, maximum: int) -> int:
    """A beam width: an integer from 1 (greedy) to `maximum`."""
    if not is_integer(value):
        raise InvalidBeamError(f"beam_width must be an integer, got {_typed(value)}")
    number = int(value)  # type: ignore[call-overload]
    if not 1 <= number <= maximum:
        raise InvalidBeamError(
            f"beam_width must be between 1 (greedy) and {maximum}, got {_show(number)}"
        )
    return number


def check_text(value: object, name: str, max_chars: int) -> str:
    """`value` as a ``str`` of at most `max_chars` characters (InvalidTextError otherwise).

    The length is checked before any work, so an absurd input costs nothing.
    """
    if not isinstance(value, str):
        hint = "; decode bytes first" if isinstance(value, bytes | bytearray) else ""
        raise InvalidTextError(f"{name} must be a str, got {type(value).__name__}{hint}")
    if len(value) > max_chars:
        raise InvalidLengthError(
            f"{name} has {len(value):,} characters; at most {max_chars:,} are accepted"
        )
    return value


def check_choice(value: object, name: str, choices: tuple[str, ...]) -> str:
    """One of `choices` (strings), or InvalidArgumentError listing them."""
    if not isinstance(value, str) or value not in choices:
        quoted = [repr(c) for c in choices]
        listed = " or ".join([", ".join(quoted[:-1]), quoted[-1]]) if len(quoted) > 1 else quoted[0]
        raise InvalidArgumentError(f"{name} must be {listed}, got {_show(value)}")
    return value


def renamed(old: str, old_value: Any, new: str, new_value: Any, default: Any) -> Any:
    """The value of an argument renamed from `old` to `new`, warning when `old` was used.

    `old_value` is `MISSING` when the caller did not pass the old name. Passing both is an
    error. The old names are listed in CHANGELOG.md and go away after one release.
    """
    if old_value is MISSING:
        return new_value
    if new_value is not default:
        raise InvalidArgumentError(f"pass {new}= only ({old}= is its old name)")
    warnings.warn(
        f"{old}= is deprecated and will be removed in the next release; use {new}=",
        DeprecationWarning,
        stacklevel=3,
    )
    return old_value


def _typed(value: object) -> str:
    """'float 2.5', 'str \'5\'', 'a list': the type of a wrong value, and the value if short."""
    shown = _show(value)
    return shown if shown.startswith("a") and " " in shown else f"{type(value).__name__} {shown}"


def _show(value: object) -> str:
    """A short repr for messages: huge ints and long strings are cut, not printed whole."""
    if is_integer(value) and abs(int(value)) >= 10**20:  # type: ignore[call-overload]
        return f"an integer of {len(str(abs(int(value))))} digits"  # type: ignore[call-overload]
    if isinstance(value, float | int | np.number | bool | type(None)):
        return repr(value)
    if isinstance(value, str | bytes):
        text = repr(value)
        return text if len(text) <= 40 else text[:37] + "..."
    return f"a {type(value).__name__}"
