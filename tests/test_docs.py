"""The NumPy-only snippet in docs/model-format.md predicts exactly as nnbuilder does."""
import json
import re
from pathlib import Path

import numpy as np
import pytest

from nnbuilder.core.activations import ACTIVATIONS
from nnbuilder.core.features import apply_features
from nnbuilder.core.graph import Graph
from nnbuilder.core.modelfile import ModelDocument, model_to_dict
from nnbuilder.core.network import Network

DOC = Path(__file__).resolve().parents[1] / "docs" / "model-format.md"


@pytest.fixture(scope="module")
def snippet_predict():
    text = DOC.read_text()
    section = text[text.index("## Predicting with NumPy alone"):]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    code = code[:code.index("model = json.load")]  # keep the definitions, not the demo lines
    namespace = {}
    exec(compile(code, str(DOC), "exec"), namespace)
    return namespace["predict"]


def check(graph, snippet_predict, raw):
    net = Network(graph)
    net.init_params(np.random.default_rng(3))
    model = json.loads(json.dumps(model_to_dict(ModelDocument(graph, net.get_weights()))))
    expected = net.predict(apply_features(raw, net.features))
    np.testing.assert_allclose(snippet_predict(model, raw), expected, rtol=1e-12, atol=1e-12)


def test_snippet_on_a_dag_with_features_add_concat_dropout(dag_graph, snippet_predict):
    check(dag_graph, snippet_predict, np.random.default_rng(0).normal(size=(20, 2)))


@pytest.mark.parametrize("act", [a for a in ACTIVATIONS if a != "softmax"])
def test_snippet_for_every_activation(act, snippet_predict):
    g = Graph.chain([3, 5, 2], activation=act, output_activation="linear", loss="l2",
                    features=["x1", "x3", "sin(x2)"])
    check(g, snippet_predict, np.random.default_rng(1).normal(size=(10, 3)))
