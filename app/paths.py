"""Well-known locations relative to the project checkout."""

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
#: Real news corpora kept beside the checkout for tests and benchmarks; absent on users' machines.
SHARED_DATA = PROJECT_ROOT.parent / "shared" / "data"
