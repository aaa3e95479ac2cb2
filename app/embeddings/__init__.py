"""Text embeddings on a local ONNX model, for semantic search and related articles."""
