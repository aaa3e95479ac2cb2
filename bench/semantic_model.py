"""The query model's side of bench/semantic.py: fp32 against int8, and onnxruntime's session
options, each timed one query at a time, interleaved."""

import random
import statistics
import time
from typing import Any

import numpy as np

from app.embeddings.model import TextEmbedder


def p50(values: list[float]) -> float:
    """The median of `values` (seconds), in milliseconds."""
    return statistics.median(values) * 1000


def precision_comparison(
    embedders: dict[str, TextEmbedder], queries: list[str], texts: list[str]
) -> dict[str, Any]:
    """The bundled model's fp32 and int8 variants on one core each, interleaved: a query's
    model run (p50), documents per second (batches of 8, alternating), and the cosine of the
    two variants' vectors for the same text."""
    rng = random.Random(3)
    names = list(embedders)
    runs: dict[str, list[float]] = {name: [] for name in names}
    for q in queries:
        rng.shuffle(names)
        for name in names:
            embedder = embedders[name]
            tokens = embedder.tokens(q)
            started = time.perf_counter()
            embedder.embed_tokens(tokens)
            runs[name].append(time.perf_counter() - started)
    seconds = dict.fromkeys(names, 0.0)
    doc_vectors: dict[str, list[Any]] = {name: [] for name in names}
    for start in range(0, len(texts), 8):
        rng.shuffle(names)
        for name in names:
            started = time.perf_counter()
            doc_vectors[name].append(embedders[name].embed(texts[start : start + 8]))
            seconds[name] += time.perf_counter() - started
    fp32 = next(n for n in names if "int8" not in n)
    int8 = next(n for n in names if "int8" in n)
    query_cosines = [
        float(embedders[fp32].embed([q])[0] @ embedders[int8].embed([q])[0]) for q in queries
    ]
    doc_cosines = (np.vstack(doc_vectors[fp32]) * np.vstack(doc_vectors[int8])).sum(axis=1)
    return {
        "queries": len(queries),
        "query_model_run_p50_ms": {name: round(p50(runs[name]), 2) for name in sorted(names)},
        "query_model_run_int8_speedup": round(p50(runs[fp32]) / p50(runs[int8]), 2),
        "documents": len(texts),
        "docs_per_second_one_core": {
            name: round(len(texts) / seconds[name], 1) for name in sorted(names)
        },
        "docs_int8_speedup": round(seconds[fp32] / seconds[int8], 2),
        "cosine_int8_to_fp32": {
            "queries_median": round(statistics.median(query_cosines), 3),
            "queries_min": round(min(query_cosines), 3),
            "documents_median": round(float(np.median(doc_cosines)), 3),
            "documents_min": round(float(doc_cosines.min()), 3),
        },
    }


def session_options(embedder: TextEmbedder, queries: list[str]) -> dict[str, float]:
    """A query's model run (p50 ms) under other onnxruntime session options than the
    model's own (one intra-op thread, full graph optimisation), interleaved per query."""
    import onnxruntime as ort

    level = ort.GraphOptimizationLevel

    def session(threads: int, optimisation: Any, spinning: bool = True) -> Any:
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.graph_optimization_level = optimisation
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        if not spinning:
            options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        model = str(embedder.model_path)
        return ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])

    sessions = {
        "as_shipped": None,
        "basic_optimisation": session(1, level.ORT_ENABLE_BASIC),
        "no_optimisation": session(1, level.ORT_DISABLE_ALL),
        "no_spinning": session(1, level.ORT_ENABLE_ALL, spinning=False),
        "two_threads": session(2, level.ORT_ENABLE_ALL),
    }
    times: dict[str, list[float]] = {name: [] for name in sessions}
    order = list(sessions.items())
    rng = random.Random(5)
    for q in queries:
        ids = np.array([embedder.tokens(q)], dtype=np.int64)
        feed = {"input_ids": ids, "attention_mask": np.ones_like(ids)}
        feed["token_type_ids"] = np.zeros_like(ids)
        rng.shuffle(order)
        for name, other in order:
            started = time.perf_counter()
            if other is None:
                embedder.embed_tokens(embedder.tokens(q))
            else:
                other.run(["last_hidden_state"], feed)
            times[name].append(time.perf_counter() - started)
    return {name: round(p50(values), 2) for name, values in times.items()}
