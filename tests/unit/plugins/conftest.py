"""Fixtures of the Edge sizing and module tests (helpers in module_utils/edge_testlib.py)."""

import importlib.util
from pathlib import Path

import pytest

_SPEC = importlib.util.spec_from_file_location(
    "edge_testlib", Path(__file__).resolve().parent / "module_utils" / "edge_testlib.py")
testlib = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(testlib)


@pytest.fixture
def inventory():
    """Factory: options -> validate options with a fitting inventory filled in."""
    return testlib.make_inventory


@pytest.fixture(scope="session")
def module_runner():
    """run_module (session-scoped, so hypothesis tests may use it)."""
    return testlib.run_module
