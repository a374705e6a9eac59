"""Data files cut into line-aligned chunks: every line once, overlong ones read through."""

from __future__ import annotations

from collections.abc import Iterable
from itertools import cycle

from hypothesis import example, given, settings
from hypothesis import strategies as st

from trust_signals.ingest.chunks import line_chunks

MAX_BYTES = 8


def lines_of(chunks: Iterable[bytes | None]) -> list[bytes | None]:
    """The lines the chunks stand for, None for each overlong one."""
    return [line for chunk in chunks for line in ([None] if chunk is None else chunk.split(b"\n"))]


def reads_of(data: bytes, sizes: list[int]) -> list[bytes]:
    """`data` cut into reads of the given sizes, taken in turn over and over."""
    reads, start = [], 0
    for size in cycle(sizes):
        if start >= len(data):
            return reads
        reads.append(data[start : start + size])
        start += size
    raise AssertionError("unreachable: cycle never ends")


@settings(max_examples=300)
@given(
    st.lists(st.integers(0, 3 * MAX_BYTES), max_size=12),
    st.booleans(),
    st.lists(st.integers(1, MAX_BYTES), min_size=1, max_size=5),
)
# An overlong line ending in a read that holds more lines after it.
@example(lengths=[10, 1, 1], final_newline=False, sizes=[6, 8])
def test_every_line_comes_once_in_order_and_overlong_ones_as_none(
    lengths: list[int], final_newline: bool, sizes: list[int]
) -> None:
    data = b"\n".join(bytes([97 + n % 26]) * length for n, length in enumerate(lengths))
    data += b"\n" if final_newline else b""

    chunks = list(line_chunks(reads_of(data, sizes), MAX_BYTES))

    lines = data.split(b"\n")
    if lines[-1] == b"":  # a final newline ends the last line, it starts none
        lines.pop()
    assert lines_of(chunks) == [None if len(line) > MAX_BYTES else line for line in lines]


def test_a_line_of_exactly_the_limit_is_kept_one_byte_more_is_not() -> None:
    data = b"x" * MAX_BYTES + b"\n" + b"y" * (MAX_BYTES + 1) + b"\nz"

    chunks = list(line_chunks(reads_of(data, [3]), MAX_BYTES))

    assert lines_of(chunks) == [b"x" * MAX_BYTES, None, b"z"]


def test_an_overlong_line_is_never_held_whole() -> None:
    reads = [b"{", *[b"x" * MAX_BYTES] * 1000, b"}\n{}"]

    chunks = list(line_chunks(reads, MAX_BYTES))

    assert chunks == [None, b"{}"]
