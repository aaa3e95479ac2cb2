"""Importing spaCy without its command line.

``spacy/__init__.py`` imports ``spacy.cli.info``, and with it the whole command-line
package: typer, weasel, requests, jinja2, rich, pygments and more, about 20 MiB in every
process that runs the model, for commands we never call. `import_spacy` imports spaCy with
a stand-in for that package, then takes the stand-in away again: ``import spacy.cli`` still
imports the real one when something asks for it, and ``spacy.info`` still works.
"""

from __future__ import annotations

import sys
import threading
from types import ModuleType
from typing import Any

_lock = threading.Lock()
_STAND_IN_NAMES = ("spacy.cli", "spacy.cli.info")


def _info(*args: Any, **kwargs: Any) -> Any:
    """``spacy.info``, imported from the real command-line package when called."""
    from spacy.cli.info import info

    return info(*args, **kwargs)


def _stand_ins() -> dict[str, ModuleType]:
    package = ModuleType("spacy.cli")
    info = ModuleType("spacy.cli.info")
    info.info = _info  # type: ignore[attr-defined]
    package.info = info  # type: ignore[attr-defined]
    return {"spacy.cli": package, "spacy.cli.info": info}


def import_spacy() -> ModuleType:
    """The ``spacy`` module, imported without ``spacy.cli`` if it isn't imported yet."""
    with _lock:
        if "spacy" in sys.modules:
            return sys.modules["spacy"]
        stand_ins = _stand_ins()
        for name, module in stand_ins.items():
            sys.modules.setdefault(name, module)
        try:
            import spacy
        finally:
            for name in _STAND_IN_NAMES:
                if sys.modules.get(name) is stand_ins[name]:
                    del sys.modules[name]
            loaded = sys.modules.get("spacy")
            if loaded is not None and getattr(loaded, "cli", None) is stand_ins["spacy.cli"]:
                del loaded.cli
        return spacy
