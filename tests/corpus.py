"""Access to the real news corpora beside the checkout; tests using them skip when absent."""

import pytest

from app.paths import SHARED_DATA

requires_corpus = pytest.mark.skipif(
    not SHARED_DATA.is_dir(),
    reason=f"corpus directory {SHARED_DATA} is absent (it ships beside the repository, not in it)",
)
