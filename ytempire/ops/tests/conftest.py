"""The whole-API fuzz (test_api_fuzz.py) runs after every other test of the session: it is the
slowest, and a unit test names a regression more precisely than a generated request does."""

import pytest


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(session, config, items):
    is_fuzz = [item.nodeid.startswith("ytempire/ops/tests/test_api_fuzz.py") for item in items]
    items[:] = [item for item, fuzz in zip(items, is_fuzz, strict=True) if not fuzz] + [
        item for item, fuzz in zip(items, is_fuzz, strict=True) if fuzz
    ]
