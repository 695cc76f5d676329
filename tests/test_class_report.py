"""The per-class numbers beside the confusion matrix and the rows a
classifier misses, checked against scikit-learn and plain NumPy; the first
layer's weights as images against the weight matrix."""
import numpy as np
from sklearn.metrics import confusion_matrix as sk_confusion, precision_recall_fscore_support

from nnbuilder.core.engine.traindata import TrainData
from nnbuilder.core.model.graph import Graph
from nnbuilder.core.run.classreport import (class_report, class_scores, first_layer, image_side,
                                             weight_images)


def data(labels_test, k, labels_train=None):
    n = len(labels_test)
    X = np.arange(n, dtype=float)[:, None]
    tr = np.zeros(0, dtype=int) if labels_train is None else np.asarray(labels_train)
    return TrainData(np.zeros((len(tr), 1)), np.zeros((len(tr), k)), X, np.zeros((n, k)), "classification",
                     tr, np.asarray(labels_test), k)


def test_scores_and_mistakes_match_scikit_learn_for_ten_classes():
    rng = np.random.default_rng(3)
    k, n = 10, 2000
    labels = rng.integers(0, k, n)
    outputs = rng.normal(size=(n, k))
    outputs[np.arange(n), labels] += rng.normal(1.0, 1.5, n)  # right more often than not
    outputs[:, 7] = -99  # class 7 never predicted: its precision is 0, not NaN
    rep = class_report(lambda X: outputs[X[:, 0].astype(int)], data(labels, k))
    pred = outputs.argmax(axis=1)
    np.testing.assert_array_equal(rep.confusion, sk_confusion(labels, pred, labels=range(k)))
    p, r, f, s = precision_recall_fscore_support(labels, pred, labels=range(k), zero_division=0)
    np.testing.assert_allclose(rep.precision, p)
    np.testing.assert_allclose(rep.recall, r)
    np.testing.assert_allclose(rep.f1, f)
    np.testing.assert_array_equal(rep.support, s)
    assert rep.precision[7] == 0 and rep.subset == "test"
    wrong = np.flatnonzero(pred != labels)
    assert len(wrong) > 1000 and rep.n_mistakes == len(wrong)
    wrong = wrong[:1000]  # the first MAX_LISTED listed
    np.testing.assert_array_equal(rep.mistakes, wrong)
    np.testing.assert_array_equal(rep.true, labels[wrong])
    np.testing.assert_array_equal(rep.predicted, pred[wrong])
    every = class_report(lambda X: outputs[X[:, 0].astype(int)], data(labels, k), limit=None)
    np.testing.assert_array_equal(every.mistakes, np.flatnonzero(pred != labels))


def test_one_output_classifier_uses_its_threshold_and_without_test_rows_the_training_rows():
    labels = np.array([0, 1, 1, 0, 1])
    outputs = np.array([[0.1], [0.9], [0.4], [0.7], [0.6]])
    d = data(np.zeros(0, dtype=int), 2, labels_train=labels)
    d.X_train = np.arange(5, dtype=float)[:, None]
    rep = class_report(lambda X: outputs[X[:, 0].astype(int)], d)
    assert rep.subset == "train"
    np.testing.assert_array_equal(rep.mistakes, [2, 3])
    np.testing.assert_array_equal(rep.confusion, [[1, 1], [1, 2]])
    # hand-computed: class 1 precision 2/3, recall 2/3
    np.testing.assert_allclose(class_scores(rep.confusion)[0], [0.5, 2 / 3])


def test_square_images_from_sixteen_inputs():
    assert [image_side(n) for n in (784, 64, 16, 9, 2, 30, 0)] == [28, 8, 4, None, None, None, None]


def test_weight_images_put_each_weight_at_its_pixel_row_by_row():
    rng = np.random.default_rng(0)
    W = rng.normal(size=(64, 5))
    images = weight_images(W, [f"x{i + 1}" for i in range(64)], 8)
    assert images.shape == (5, 8, 8)
    for u in range(5):
        for r in range(8):
            for c in range(8):
                assert images[u, r, c] == W[r * 8 + c, u]
    # features in another order, one derived: each weight at its own column's pixel
    images = weight_images(W[:3], ["x10", "x1^2", "x2"], 8)
    assert images[0, 1, 1] == W[0, 0] and images[0, 0, 1] == W[2, 0]
    assert np.isnan(images[0, 0, 0]) and np.isnan(images).sum() == 5 * 62


def test_first_layer_is_the_weighted_node_the_input_feeds():
    g = Graph.chain([64, 8, 3, 10])
    first = first_layer(g)
    assert g.inputs_of(first) == [g.nodes_of_type("input")[0].id] and g.nodes[first].type == "dense"
