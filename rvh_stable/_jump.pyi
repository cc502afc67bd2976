"""Type stubs of the compiled core; its pure twin is rvh_stable.stable."""

from collections.abc import Iterable
from typing import Any, Final, Literal

IMPLEMENTATION: Final[Literal["cython"]]
MAX_BUCKETS: Final[int]
KERNEL: Final[str]
KERNELS: Final[tuple[str, ...]]

def xxh64(data: bytes | bytearray | memoryview) -> int: ...
def hash_key(
    key: int | str | bytes | bytearray | memoryview, *, hasher: str = ..., seed: int | None = ...
) -> int: ...
def jump_hash(
    key: int | str | bytes | bytearray | memoryview,
    num_buckets: int,
    *,
    hasher: str = ...,
    seed: int | None = ...,
    variant: str = ...,
    algorithm: str = ...,
) -> int: ...
def jump_hash_many(
    keys: Iterable[int | str | bytes | bytearray | memoryview] | Any,
    num_buckets: int,
    *,
    threads: int | None = 1,
    hasher: str = ...,
    seed: int | None = ...,
    variant: str = ...,
    algorithm: str = ...,
) -> Any: ...

class MementoTable:
    size: Final[int]
    live: Final[int]
    up: Final[int]
    def __init__(
        self,
        size: int,
        replacers: dict[int, int],
        names: tuple[str | None, ...],
        *,
        hasher: str = ...,
        seed: int | None = ...,
        down: frozenset[str] = ...,
    ) -> None: ...
    def slot_for(self, key: int | str | bytes | bytearray | memoryview) -> int: ...
    def node_for(self, key: int | str | bytes | bytearray | memoryview) -> str: ...
    def slots_for(self, keys: Any, *, threads: int | None = 1) -> Any: ...
    def nodes_for(self, keys: Any, *, threads: int | None = 1) -> list[str]: ...
