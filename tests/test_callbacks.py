"""The callback_data grammar: round trips, the 64-byte limit, and anything else refused."""

from __future__ import annotations

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from bot import callbacks
from bot.callbacks import ButtonData


def test_round_trip() -> None:
    data = callbacks.encode(8_123_456_789_012_345, 42, "p.wrong_variant")
    assert callbacks.decode(data) == ButtonData(8_123_456_789_012_345, 42, "p.wrong_variant")


def test_longest_possible_data_fits_telegram() -> None:
    data = callbacks.encode(2**52, 10**9 - 1, "p." + "x" * 29)
    assert len(data.encode()) <= callbacks.MAX_BYTES


@pytest.mark.parametrize("choice", ["", "Да", "p x", "p:x", "x" * 40])
def test_encode_refuses_what_decode_would_not_read(choice: str) -> None:
    with pytest.raises(ValueError, match="cannot encode"):
        callbacks.encode(1, 1, choice)


@pytest.mark.parametrize(
    "data",
    [
        None,
        "",
        "v1",
        "v1:1:2",
        "v0:1:2:yes",
        "v1:-1:2:yes",
        "v1:1:2:yes:extra",
        "v1:1:2:YES",
        "v1:1:2:yes\n",
        "😀",
    ],
)
def test_decode_refuses_anything_else(data: str | None) -> None:
    assert callbacks.decode(data) is None


@given(
    st.integers(-5, 10**17),
    st.integers(-5, 10**10),
    st.one_of(st.text(max_size=40), st.from_regex(r"[a-z][a-z0-9_.]{0,34}", fullmatch=True)),
)
@example(10**16 - 1, 1, "yes")
@example(10**16, 1, "yes")
@example(-1, 1, "yes")
@example(0, 0, "yes")
@example(1, 10**9 - 1, "yes")
@example(1, 10**9, "yes")
@example(1, -1, "yes")
def test_encode_accepts_exactly_what_decode_reads(owner: int, seq: int, choice: str) -> None:
    raw = f"v1:{owner}:{seq}:{choice}"
    parsed = callbacks.decode(raw)
    if parsed is None:
        with pytest.raises(ValueError, match="cannot encode"):
            callbacks.encode(owner, seq, choice)
    else:
        assert callbacks.encode(owner, seq, choice) == raw
        assert parsed == ButtonData(owner, seq, choice)
        assert len(raw.encode()) <= callbacks.MAX_BYTES


@pytest.mark.parametrize(("owner", "seq"), [(True, 1), (1, False), (5.0, 1), (1, 2.0), ("1", 1)])
def test_encode_takes_whole_numbers_only(owner: object, seq: object) -> None:
    with pytest.raises(ValueError, match="cannot encode"):
        callbacks.encode(owner, seq, "yes")  # type: ignore[arg-type]
