"""State (attribute namespace over a dict) and Address."""

from __future__ import annotations

import copy
import pickle

import pytest

from ferrule.asgi_core.state import Address, State


def test_attributes_read_and_write_the_dict_it_wraps() -> None:
    backing: dict[str, object] = {"db": "conn"}
    state = State(backing)
    assert state.db == "conn"
    state.user = "ada"
    assert backing == {"db": "conn", "user": "ada"}
    assert "user" in state and "nope" not in state
    assert sorted(state) == ["db", "user"]
    del state.db
    assert backing == {"user": "ada"}
    assert repr(state) == "State({'user': 'ada'})"


def test_a_fresh_state_owns_a_new_dict() -> None:
    first, second = State(), State()
    first.x = 1
    assert "x" not in second
    assert list(first) == ["x"]


def test_missing_attributes_raise_attribute_error_naming_them() -> None:
    state = State()
    with pytest.raises(AttributeError, match="'State' object has no attribute 'missing'"):
        _ = state.missing
    with pytest.raises(AttributeError, match="missing"):
        del state.missing
    assert getattr(state, "missing", "default") == "default"
    assert not hasattr(state, "missing")


def test_copy_is_independent_and_deepcopy_and_pickle_round_trip() -> None:
    # Regression: copy/deepcopy/pickle recursed forever in __getattr__ (RecursionError).
    state = State({"items": [1, 2]})
    shallow = copy.copy(state)
    shallow.extra = True
    assert "extra" not in state
    assert shallow.items is state.items

    deep = copy.deepcopy(state)
    deep.items.append(3)
    assert state.items == [1, 2] and deep.items == [1, 2, 3]

    restored = pickle.loads(pickle.dumps(state))
    assert isinstance(restored, State)
    assert restored.items == [1, 2]
    restored.more = 1
    assert "more" not in state


def test_address_is_a_named_host_port_pair() -> None:
    address = Address("10.0.0.1", 443)
    host, port = address
    assert (host, port) == (address.host, address.port) == ("10.0.0.1", 443)
    assert address == ("10.0.0.1", 443)
