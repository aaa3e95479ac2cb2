"""The bundled model with int8 weights, derived here from the verified fp32 files.

onnxruntime's dynamic quantisation (weights to int8, activations quantised per run) made a
query's model run about 3x and an article's (run alone) about 3.7x faster on our CPU, at a
cosine of about 0.95 to the fp32 vector, with search quality unchanged (bench/semantic.py
measures both; figures in README). The variant is derived once, on the first load, from the bundled files
after their hashes are checked, and kept under DATA_DIR/models: written to a temporary file
beside its final name and renamed into place, so a reader never sees half a file and two
processes deriving it at once both end with the same complete one. The derivation is
byte-for-byte reproducible with the locked onnx and onnxruntime, so its sha256 is pinned and
checked on every load like the bundled files'; a kept file that does not match is derived
again.
"""

import logging
import os
import shutil
import tempfile
from pathlib import Path
from typing import Final

from app.embeddings.assets import (
    BUNDLED_NAME,
    ModelFiles,
    ModelFilesError,
    sha256_of,
    verified_bundled,
)

logger = logging.getLogger(__name__)

#: sha256 of the int8 variant as onnxruntime 1.32.0 with onnx 1.23.2 derive it.
INT8_SHA256: Final = "358b28b1348abc94ba3068e46147c29d5934e0ec12d80b1d7cd28ffa4094fd40"
INT8_FILE: Final = "model-int8.onnx"


def int8_path(data_dir: Path) -> Path:
    """Where the int8 variant is kept."""
    return data_dir / "models" / BUNDLED_NAME / INT8_FILE


def verified_int8(data_dir: Path, bundled: Path | None = None) -> ModelFiles:
    """The int8 variant's files (derived first if it is not kept yet, or kept damaged),
    with the bundled tokenizer; raises ModelFilesError."""
    fp32 = verified_bundled(bundled)
    target = int8_path(data_dir)
    if target.is_file():
        actual = sha256_of(target)
        if actual != INT8_SHA256:
            logger.warning(
                "kept int8 model does not match its hash; deriving it again",
                extra={"path": str(target), "sha256": actual},
            )
            derive_int8(fp32.model, target)
    else:
        derive_int8(fp32.model, target)
    return ModelFiles(
        model=target, tokenizer=fp32.tokenizer, model_id=f"{BUNDLED_NAME}-int8@{INT8_SHA256[:12]}"
    )


def derive_int8(fp32_model: Path, target: Path) -> None:
    """Quantise the fp32 model's weights to int8 into `target`, atomically. The result is
    checked against INT8_SHA256 before it takes the final name."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    target.parent.mkdir(parents=True, exist_ok=True)
    logger.info("deriving the int8 embedding model", extra={"path": str(target)})
    with tempfile.TemporaryDirectory(prefix=".int8-", dir=target.parent) as work:
        source = Path(work) / "fp32"
        source.mkdir()
        # Copies, not links: onnx refuses external data (model.onnx_data) reached through a
        # hard link, and the bundled folder is the package's, not ours to write beside.
        for path in (fp32_model, fp32_model.with_name(fp32_model.name + "_data")):
            shutil.copyfile(path, source / path.name)
        written = Path(work) / INT8_FILE
        hint = _DropHint()  # onnxruntime suggests a pre-processing pass on the root logger
        logging.getLogger().addFilter(hint)
        try:
            quantize_dynamic(source / fp32_model.name, written, weight_type=QuantType.QInt8)
        finally:
            logging.getLogger().removeFilter(hint)
        actual = sha256_of(written)
        if actual != INT8_SHA256:
            raise ModelFilesError(
                f"the int8 model derived from the bundled one has sha256 {actual}, expected "
                f"{INT8_SHA256} (onnx or onnxruntime other than the locked versions?); "
                "refusing to load it (EMBEDDING_PRECISION=fp32 runs the bundled model as is)"
            )
        with written.open("rb") as file:
            os.fsync(file.fileno())
        written.replace(target)
    directory = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


class _DropHint(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return "pre-processing before quantization" not in record.getMessage()
