"""Keys as the command line takes them: text, or integers with ``--int-key``.

The command line never validates a key itself: an integer that is spelled
right but out of range gets the core's own message.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from typing import TypeAlias

from . import _common
from ._common import CliError, show

Key: TypeAlias = int | str

#: What --int-key accepts: an optional sign, then decimal digits or 0x and hex
#: digits.  Stricter than int(), which would also take spaces, underscores and
#: non-ASCII digits.
_INT_TEXT = re.compile(r"([+-]?)(?:0[xX]([0-9a-fA-F]+)|([0-9]+))")

#: Decimal integers with more significant digits than this are not converted:
#: it is int()'s default limit (CPython refuses longer ones, as the conversion
#: takes quadratic time), and anything past 20 digits is out of every range
#: the core accepts anyway.  Hex digits convert in linear time: no limit.
MAX_DECIMAL_DIGITS = 4300


class HugeInt(Exception):
    """A decimal integer with too many digits to convert (see MAX_DECIMAL_DIGITS).

    It is an integer, out of range: it gets the core's range error, with the
    value described by its number of digits, as the core describes a large
    int by its number of bits.
    """

    def __init__(self, negative: bool, digits: int) -> None:
        super().__init__(negative, digits)
        self.shown = f"{'-' if negative else ''}<an int of {digits} decimal digits>"
        # A value the core can show (it describes ints over 256 bits by their
        # size, without str()), and out of range wherever this one is.
        self.stand_in = (-1 if negative else 1) * 10**MAX_DECIMAL_DIGITS

    def reason(self, check: Callable[[int], object]) -> str:
        """The error ``check`` raises for this value: its rule, this value's description."""
        try:
            check(self.stand_in)
        except (ValueError, TypeError) as exc:
            rule, got, _ = str(exc).rpartition(", got ")
            return f"{rule}{got}{self.shown}" if got else str(exc)
        return f"got {self.shown}"  # not reached: no core takes a 4301-digit int


def parse_int(text: str) -> int | None:
    """The integer ``text`` spells (decimal, or 0x hex; optional sign), or None.

    Raises HugeInt for a decimal of more than MAX_DECIMAL_DIGITS significant
    digits; leading zeros do not count ("000...042" is 42 however long).
    """
    match = _INT_TEXT.fullmatch(text)
    if match is None:
        return None
    sign, hex_digits, decimal = match.groups()
    negative = sign == "-"
    if hex_digits is not None:
        value = int(hex_digits, 16)
    else:
        digits = decimal.lstrip("0") or "0"
        if len(digits) > MAX_DECIMAL_DIGITS:
            raise HugeInt(negative, len(digits))
        try:
            value = int(digits)
        except ValueError:  # a lower limit, set with sys.set_int_max_str_digits()
            raise HugeInt(negative, len(digits)) from None
    return -value if negative else value


def int_key_error(text: str) -> str:
    return f"key must be an integer (decimal, or hex with 0x) with --int-key, got {show(text)}"


def check_key(value: int) -> object:
    """Hash ``value`` alone: the core's error for it, if it is not a valid key."""
    return _common.core.jump_hash(value, 1)


def parse_keys(lines: list[str], first: int, int_key: bool) -> tuple[list[Key], CliError | None]:
    """The keys of ``lines``; with --int-key, those before the first bad one and its error."""
    if not int_key:
        return list(lines), None
    keys: list[Key] = []
    for text in lines:
        try:
            value = parse_int(text)
        except HugeInt as huge:
            return keys, CliError(f"line {first + len(keys)}: {huge.reason(check_key)}")
        if value is None:
            return keys, CliError(f"line {first + len(keys)}: {int_key_error(text)}")
        keys.append(value)
    return keys, None


def as_typed(arg: str) -> str:
    """A command-line argument as the UTF-8 bytes that were typed, whatever the locale.

    On POSIX, Python decodes argv with the locale's encoding: under LC_ALL=C
    "ключ" arrives as surrogate escapes of its bytes (which the core refuses),
    under a Latin-1 locale as other characters.  os.fsencode() undoes that
    decoding, giving back the bytes, which are then read as UTF-8, as the
    input is.  Bytes that are not UTF-8 stay surrogate escapes, as Python
    gives them in a UTF-8 locale, and the core refuses them with its own
    message.  A str that the locale cannot encode did not come from it (a
    caller of main() passed text): it is kept.  Windows passes argv as
    Unicode: nothing to undo.
    """
    if os.name == "nt":
        return arg
    try:
        typed = os.fsencode(arg)
    except UnicodeEncodeError:
        return arg
    return typed.decode("utf-8", "surrogateescape")
