"""Import a test-only reference implementation (pyfixest, statsmodels, wildboottest).

``reference("pyfixest")`` returns the module. When it is not installed the calling test module
is skipped, unless the environment variable ``REQUIRE_REFERENCES=1`` is set (CI): then the
collection fails, so a missing reference can never turn a comparison into a silent skip.
"""

from __future__ import annotations

import importlib
import os

import pytest


def reference(name: str):
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        message = f"reference implementation {name!r} is not installed ({exc})"
        if os.environ.get("REQUIRE_REFERENCES") == "1":
            pytest.fail(f"{message}; REQUIRE_REFERENCES=1 demands it", pytrace=False)
        pytest.skip(message, allow_module_level=True)
