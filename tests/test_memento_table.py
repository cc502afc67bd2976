"""Both cores' MementoTable refuse a table that would send keys nowhere.

rvh_stable.Router builds only valid tables; a table given directly (or by a
Router whose bookkeeping broke) is checked by ``_rules.check_memento`` in both
cores, and each case below is refused with its whole message.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import pytest

SIZE_RANGE = "size must be an int in [0, 2147483647], got"
NOT_A_HISTORY = "replacers: not the replacers of a history of removals"
NAME_RULE = "must be None for a removed bucket and a str for a working one"

INVALID: list[tuple[tuple[Any, ...], type[Exception], str]] = [
    # size
    ((-1, {}, ()), ValueError, f"{SIZE_RANGE} -1"),
    ((2**31, {}, ()), ValueError, f"{SIZE_RANGE} 2147483648"),
    ((3.0, {}, ("a", "b", "c")), ValueError, f"{SIZE_RANGE} 3.0"),
    ((True, {}, ("a",)), ValueError, f"{SIZE_RANGE} True"),
    # replacers that are not a dict, or not of ints
    ((3, [], ("a", "b", "c")), TypeError, "replacers must be a dict, got list"),
    ((3, None, ("a", "b", "c")), TypeError, "replacers must be a dict, got NoneType"),
    ((3, {0: 2.0}, (None, "b", "c")), TypeError, "replacers must map int buckets to int replacers"),
    (
        (4, {True: 3}, ("a", None, "c", "d")),
        TypeError,
        "replacers must map int buckets to int replacers",
    ),
    # buckets and replacers out of range
    ((3, {5: 2}, ("a", "b", "c")), ValueError, "replacers: bucket 5 -> 2 is outside [0, size=3)"),
    ((3, {0: 3}, (None, "b", "c")), ValueError, "replacers: bucket 0 -> 3 is outside [0, size=3)"),
    ((3, {-1: 2}, ("a", "b", "c")), ValueError, "replacers: bucket -1 -> 2 is outside [0, size=3)"),
    # replacers no history of removals gives: the first removal's replacer is
    # size - 1, the second's size - 2, ...; removing the last bucket first is a
    # shrink, never a replacer entry
    ((4, {0: 1}, (None, "b", "c", "d")), ValueError, NOT_A_HISTORY),
    ((4, {0: 2}, (None, "b", "c", "d")), ValueError, NOT_A_HISTORY),
    ((4, {3: 3}, ("a", "b", "c", None)), ValueError, NOT_A_HISTORY),
    ((4, {0: 3, 1: 3}, (None, None, "c", "d")), ValueError, NOT_A_HISTORY),
    ((4, {0: 3, 1: 1}, (None, None, "c", "d")), ValueError, NOT_A_HISTORY),
    # names that do not match the table
    ((3, {}, ["a", "b", "c"]), ValueError, "names must be a tuple of size (3) entries"),
    ((3, {}, ("a", "b")), ValueError, "names must be a tuple of size (3) entries"),
    ((3, {}, ("a", "b", "c", "d")), ValueError, "names must be a tuple of size (3) entries"),
    ((4, {1: 3}, ("a", "x", "c", "d")), ValueError, f"names[1] {NAME_RULE}"),
    ((4, {1: 3}, ("a", None, None, "d")), ValueError, f"names[2] {NAME_RULE}"),
    ((4, {1: 3}, ("a", None, b"c", "d")), ValueError, f"names[2] {NAME_RULE}"),
    ((2, {}, ("a", 7)), ValueError, f"names[1] {NAME_RULE}"),
]


@pytest.mark.parametrize(("args", "kind", "message"), INVALID, ids=lambda v: None)
def test_invalid_tables_are_refused(
    core: ModuleType, args: tuple[Any, ...], kind: type[Exception], message: str
) -> None:
    with pytest.raises(kind) as info:
        core.MementoTable(*args)
    assert type(info.value) is kind and str(info.value) == message


@pytest.mark.parametrize(
    "args",
    [
        (0, {}, ()),
        (1, {}, ("a",)),
        (4, {1: 3}, ("a", None, "c", "d")),
        (4, {1: 3, 3: 2}, ("a", None, "c", None)),
        (4, {3: 2, 0: 1, 1: 3}, (None, None, "c", None)),
    ],
)
def test_tables_of_a_history_are_taken(core: ModuleType, args: tuple[Any, ...]) -> None:
    # The other side of the cases above: a table some history of removals
    # gives is taken, and every key lands on a working bucket.
    table = core.MementoTable(*args)
    size, replacers, names = args
    assert table.live == size - len(replacers)
    if table.live:
        slots = table.slots_for(range(2000))
        assert set(slots) == {b for b in range(size) if b not in replacers}
        assert table.nodes_for(range(5)) == [names[s] for s in slots[:5]]


def test_down_must_name_nodes_of_the_table(core: ModuleType) -> None:
    names = ("a", None, "c")
    with pytest.raises(TypeError) as info:
        core.MementoTable(3, {1: 2}, names, down={"a"})
    assert str(info.value) == "down must be a frozenset of node names, got set"
    with pytest.raises(ValueError) as error:
        core.MementoTable(3, {1: 2}, names, down=frozenset({"b"}))
    assert str(error.value) == "down: 'b' is not the name of a node in the table"
