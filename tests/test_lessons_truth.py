"""Lessons that tell the truth (issue 18, point 6): every lesson step whose
text states an outcome (it stays, it fails, it converges, it diverges, it
reaches ...) is played here with the step's own network, data, settings and
seed, headless (the model file the window sets up, the run the window's
worker starts from it), and the outcome is checked, with numbers computed
independently in plain NumPy where the text gives them. The table is keyed
by the lesson files: a step that states an outcome and has no test here
fails :func:`test_every_step_that_states_an_outcome_is_played_here`."""
import math
import re
from dataclasses import replace

import numpy as np
import pytest

from nnbuilder.core.teaching.lesson_play import RUN_CHECKS, fresh_weights, play, step_model, step_trainer
from nnbuilder.core.data.datasets import dataset_from_spec
from nnbuilder.core.teaching.lessons import CHECKS, check_results, lesson_entries

LESSONS = {e.id: e.lesson for e in lesson_entries()}
#: Words with which a step's text or task tells what will happen.
OUTCOME = re.compile(r"\b(stays?|stuck|stall\w*|fails?|never|converge\w*|diverge\w*|separat\w*|reach\w*|"
                     r"stops?|settles?|falls?|dies|die|dead|flat\w*|overshoot\w*|explodes?|fewer|"
                     r"gets? past|(?-i:learns)|jumps?|moves?)\b", re.I)
#: How long a student trains a step without an epoch limit before giving up (the tests stop as soon as
#: the step's checks hold, as the lesson panel does).
PATIENCE = 500
LN2 = math.log(2)

CLAIMS = {}  # (lesson id, step title) -> the test of what its text says


def claim(lesson_id, title):
    def register(f):
        CLAIMS[(lesson_id, title)] = f
        return f
    return register


def step(lesson_id, title):
    """(lesson, index, the step's model file as the window sets it up)."""
    lesson = LESSONS[lesson_id]
    index = next(i for i, s in enumerate(lesson.steps) if s.title == title)
    return lesson, index, step_model(lesson, index)


def run_checks(lesson, index):
    return {k: v for k, v in lesson.steps[index].check.items() if k in RUN_CHECKS}


def outputs(trainer):
    """The network's outputs for the training rows, with the rows (as the trainer holds them)."""
    return trainer.network.evaluate(trainer.data.X_train, trainer.data.Y_train)[1], trainer.data.X_train


# ------------------------------------------------------------ the table
def test_every_step_that_states_an_outcome_is_played_here():
    missing = [(lid, s.title) for lid, lesson in LESSONS.items() for s in lesson.steps
               if (OUTCOME.search(s.text + " " + (s.task or "")) or set(s.check) & set(RUN_CHECKS))
               and (lid, s.title) not in CLAIMS]
    assert not missing, f"steps that state an outcome without a test of it here: {missing}"
    steps = {(lid, s.title) for lid, lesson in LESSONS.items() for s in lesson.steps}
    assert set(CLAIMS) <= steps, set(CLAIMS) - steps


def test_a_step_that_trains_starts_from_weights_it_fixes():
    """A step that waits for a run to do something starts from the network's own weights, a
    reset or a seed: what happens in it does not hang on what the student did before."""
    for lid, lesson in LESSONS.items():
        for i, s in enumerate(lesson.steps):
            if set(s.check) & set(RUN_CHECKS) - {"steps_at_least"}:
                assert fresh_weights(lesson, i), (lid, s.title)


def test_no_step_sets_up_a_network_the_app_warns_about_except_the_step_unit():
    """Only the step unit's 'zero gradient' warning, which the lessons are about; never a
    warning that tells the student to undo what the step set (hinge with tanh: 'use linear')."""
    for lid, lesson in LESSONS.items():
        for i, s in enumerate(lesson.steps):
            for p in step_model(lesson, i).graph.validate():
                assert "the step activation has zero gradient" in str(p), (lid, s.title, str(p))


# ---------------------------------------------------------- 01 perceptron
def step_unit(x, W, b):
    """The perceptron's output, written out: 1 when w·x + b > 0, else 0."""
    return (np.asarray(x, float) @ np.asarray(W, float) + b > 0).astype(float)


CHECK_ALL = CHECKS["classifies_all"].says(True)
CORNERS = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], float)


@claim("01-perceptron", "A unit that computes AND")
def _(lesson, i, doc):
    W, b = doc.weights["output"]["W"][:, 0], doc.weights["output"]["b"][0]
    assert list(W) == [1, 1] and b == -1.5
    np.testing.assert_array_equal(step_unit(CORNERS, W, b), [0, 0, 0, 1])  # only (1, 1) gets past the line
    assert CORNERS[3] @ W + b == 0.5
    out, X = outputs(step_trainer(doc))
    np.testing.assert_array_equal(out[:, 0], step_unit(X, W, b))  # the app's unit is that one
    rows = dataset_from_spec(doc.dataset).X
    assert lesson.steps[i].check == {"sample_selected": 4} and list(rows[3]) == [1, 1]  # row 4 is (1, 1)


@claim("01-perceptron", "Make it compute OR")
def _(lesson, i, doc):
    t = step_trainer(doc)
    out, X = outputs(t)
    target = t.data.labels_train
    np.testing.assert_array_equal(target, X.max(axis=1))  # the data is OR
    assert (out[:, 0] != target).any()  # as loaded (AND's weights) it is not done
    for w, right in ((2.0, True), (1.5, False), (1.4, False)):  # "each weight has to be larger than 1.5"
        np.testing.assert_array_equal(step_unit(X, [w, w], -1.5) == target, [True] * 4 if right else
                                      [True, False, False, True])
        for row in (0, 1):  # double-click a weight line, type w
            t.set_weight("output", row, 0, w)
        facts = play(doc, {"classifies_all": True}, 0, t)[1]
        assert check_results({"classifies_all": True}, facts) == [(CHECK_ALL, right)]
        out, _ = outputs(t)
        assert bool((out[:, 0] == target).all()) is right


@claim("01-perceptron", "Let the perceptron rule learn AND")
@claim("01-perceptron", "…and OR")
def _(lesson, i, doc):
    if doc.dataset["name"] == "and":
        # "gradient descent gets no signal from a step": sgd leaves the weights where they are
        sgd = step_model(lesson, i)
        sgd.training.optimizer = "sgd"
        t = step_trainer(sgd)
        before = t.network.theta.copy()
        play(sgd, {}, 10, t)
        np.testing.assert_array_equal(t.network.theta, before)
        # "a sample that is already right changes nothing": from the hand-set AND weights, no step moves
        right = step_model(lesson, 0)
        right.training = doc.training
        t = step_trainer(right)
        before = t.network.theta.copy()
        _, facts = play(right, {}, doc.training.max_epochs, t)
        assert facts.stop_reason == "converged" and facts.epoch == 1
        np.testing.assert_array_equal(t.network.theta, before)
    t, facts = play(doc, run_checks(lesson, i), doc.training.max_epochs)
    assert facts.stop_reason == "converged" and facts.epoch < doc.training.max_epochs  # it stops by itself
    out, X = outputs(t)
    target = X.min(axis=1) if doc.dataset["name"] == "and" else X.max(axis=1)
    np.testing.assert_array_equal(out[:, 0], target)  # an epoch without a mistake
    W, b = t.network.get_weights()["output"]["W"][:, 0], t.network.get_weights()["output"]["b"][0]
    np.testing.assert_array_equal(step_unit(X, W, b), target)  # the line, recomputed: right everywhere
    assert all(check_results(lesson.steps[i].check, facts)[k][1] for k in range(len(lesson.steps[i].check)))


# ----------------------------------------------------------------- 02 XOR
@claim("02-xor", "One unit cannot do XOR")
def _(lesson, i, doc):
    t, facts = play(doc, run_checks(lesson, i), doc.training.max_epochs)
    assert facts.stop_reason == "max_epochs" and facts.epoch == 100  # it never stops on its own
    acc = t.history.column("train_metric")[1:]
    assert len(acc) == 100 and (acc < 1).all()  # every epoch has a mistake
    X = t.data.X_train  # and no line could do better: XOR is not linearly separable
    target = (X[:, 0] != X[:, 1]).astype(float)
    grid = np.linspace(-3, 3, 25)
    best = max((step_unit(X, [w1, w2], b) == target).mean() for w1 in grid for w2 in grid for b in grid)
    assert best == 0.75


@claim("02-xor", "Two hidden units")
def _(lesson, i, doc):
    assert doc.graph.nodes["dense1"].params["units"] == 2
    t, facts = play(doc, run_checks(lesson, i), doc.training.max_epochs)
    assert facts.train_accuracy == 1.0 and facts.stop_reason is None  # before the epoch limit
    out, X = outputs(t)
    np.testing.assert_array_equal(out[:, 0] > 0.5, X[:, 0] != X[:, 1])


@claim("02-xor", "Stuck? Try another seed")
def _(lesson, i, doc):
    assert doc.seed == 9 and doc.graph.nodes["dense1"].params["activation"] == "sigmoid"
    assert doc.training.momentum == 0 and doc.training.max_epochs == 1000
    t, facts = play(doc, {}, doc.training.max_epochs)  # Train, until the run stops by itself
    assert facts.stop_reason == "max_epochs" and facts.epoch == 1000
    acc, loss = t.history.column("train_metric"), t.history.column("train_loss")
    assert (acc[20:] == 0.5).all()  # within 20 epochs two rows right, two wrong, and there it stays
    assert (loss > LN2 / 2).all() and loss[-1] < 0.40  # the loss falls, towards ln 2 / 2, never below
    assert loss[-100] - loss[-1] < 0.02  # the curve has flattened
    out, X = outputs(t)
    wrong = (out[:, 0] > 0.5) != (X[:, 0] != X[:, 1])
    assert wrong.sum() == 2 and (abs(out[wrong, 0] - 0.5) < 0.05).all()  # undecided, near 0.5
    y = (X[:, 0] != X[:, 1]).astype(float)  # the loss, recomputed: mean binary cross-entropy
    p = out[:, 0]
    assert -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)) == pytest.approx(loss[-1], rel=1e-9)
    # Another seed (Shift+Reset draws one; 3 here) reaches 1: the step's check holds.
    doc.seed = 3
    _, facts = play(doc, run_checks(lesson, i), doc.training.max_epochs)
    assert facts.train_accuracy == 1.0
    assert all(ok for _, ok in check_results(lesson.steps[i].check, replace(facts, start_seed=9)))


# ---------------------------------------------------------- 03 activations
def hidden_weights(t):
    w = t.network.get_weights()
    return {n: (w[n]["W"].copy(), w[n]["b"].copy()) for n in ("dense1", "dense2")}


def dead(t, node):
    """Units of ``node`` that output 0 for every training row, counted from its outputs."""
    return int((np.abs(t.network.activations(t.data.X_train)[node]).max(axis=0) == 0).sum())


@claim("03-activations", "Step: no slope, no learning")
def _(lesson, i, doc):
    t = step_trainer(doc)
    before = hidden_weights(t)
    t, facts = play(doc, run_checks(lesson, i), PATIENCE, t)
    assert facts.epoch == 30
    after = hidden_weights(t)
    for n in before:  # the hidden weights never move: their maps never change
        np.testing.assert_array_equal(before[n][0], after[n][0])
        np.testing.assert_array_equal(before[n][1], after[n][1])
    assert (abs(t.history.column("train_loss")[1:] - LN2) < 0.01).all()  # the loss stays near 0.69


@claim("03-activations", "Sigmoid: a smooth step")
def _(lesson, i, doc):
    _, facts = play(doc, run_checks(lesson, i), PATIENCE)
    assert facts.test_accuracy >= 0.95


def relu_like(lesson, i, doc):
    """The ReLU step's run and the leaky one's start from the same weights at the same rate."""
    relu = step_model(lesson, i - 1) if doc.graph.nodes["dense1"].params["activation"] != "relu" else doc
    a, b = step_trainer(relu), step_trainer(doc)
    assert relu.training.to_dict() == doc.training.to_dict() and relu.seed == doc.seed
    for n, (W, bias) in hidden_weights(a).items():
        np.testing.assert_array_equal(W, hidden_weights(b)[n][0])
        np.testing.assert_array_equal(bias, hidden_weights(b)[n][1])


@claim("03-activations", "ReLU, and dead units")
def _(lesson, i, doc):
    assert doc.training.lr == 3
    t, facts = play(doc, {}, 100)  # soon, and for good
    assert dead(t, "dense2") == doc.graph.nodes["dense2"].params["units"]
    acc = t.history.column("train_metric")[5:]
    assert (abs(acc - 0.5) < 0.05).all()  # stuck near 0.5
    _, facts = play(doc, run_checks(lesson, i), PATIENCE)
    assert facts.dead_units >= 1 and facts.epoch <= 2


@claim("03-activations", "Leaky ReLU and its slope")
def _(lesson, i, doc):
    relu_like(lesson, i, doc)  # one change at a time: only the activation differs from the ReLU step
    assert {n: doc.graph.nodes[n].params["alpha"] for n in ("dense1", "dense2")} == {"dense1": 0.01,
                                                                                      "dense2": 0.01}
    t, facts = play(doc, {"test_accuracy_at_least": 0.95}, PATIENCE)
    assert facts.test_accuracy >= 0.95 and facts.epoch <= 10 and not facts.diverged  # within a few epochs
    assert dead(t, "dense1") == dead(t, "dense2") == 0  # no unit dies
    fresh = step_model(lesson, i)  # the slope set to 0.1, Reset (the same starting weights), Train
    fresh.graph.set_params("dense2", alpha=0.1)
    t, facts = play(fresh, run_checks(lesson, i), PATIENCE)
    assert facts.test_accuracy >= 0.95 and not facts.diverged
    assert dead(t, "dense1") == dead(t, "dense2") == 0
    assert all(ok for _, ok in check_results(lesson.steps[i].check, facts))


# ----------------------------------------------------------------- 04 losses
@claim("04-losses", "L2: the squared error")
@claim("04-losses", "L1: the absolute error")
@claim("04-losses", "Hinge: right by a margin")
def _(lesson, i, doc):
    first = step_model(lesson, 0)
    np.testing.assert_array_equal(step_trainer(first).network.theta, step_trainer(doc).network.theta)
    _, facts = play(doc, run_checks(lesson, i), PATIENCE)  # "with the same starting weights"
    assert facts.test_accuracy >= 0.95
    if lesson.steps[i].set.get("loss") == "hinge":  # on a raw score, as the text says
        assert doc.graph.nodes["output"].params["activation"] == "linear"


@claim("04-losses", "Zero-one: counting mistakes")
def _(lesson, i, doc):
    t, facts = play(doc, {"test_accuracy_at_least": 0.95}, PATIENCE)  # the hinge step's run
    out, X = outputs(t)
    zero_one = np.mean((out[:, 0] > 0) != (t.data.labels_train == 1))  # a mistake counts 1: averaged
    assert zero_one == pytest.approx(1 - facts.train_accuracy, abs=1e-12)
    # flat almost everywhere: a small step of every weight changes no count, so its gradient is 0
    theta = t.network.theta.copy()
    rng = np.random.default_rng(0)
    for _ in range(5):
        t.network.theta[...] = theta + 1e-7 * rng.standard_normal(theta.shape)
        moved, _ = outputs(t)
        assert np.mean((moved[:, 0] > 0) != (t.data.labels_train == 1)) == zero_one
    t.network.theta[...] = theta


# ------------------------------------------------------- 05 gradient descent
X_TABLE, Y_TABLE = np.array([10, 2, 3.5, 1]), np.array([10.1, 1.9, 3.4, 1.1])
W_BEST = (X_TABLE @ Y_TABLE) / (X_TABLE @ X_TABLE)  # the least-squares w of y = w x: 117.8 / 117.25


def w_path(t, epochs):
    """w after each epoch (full batch: one step each)."""
    path = []
    for _ in range(epochs):
        if t.run(t.steps_to_epoch_end):
            break
        path.append(t.network.get_weights()["output"]["W"][0, 0])
    return np.array(path)


def table(t):
    order = np.argsort(t.data.X_train[:, 0])
    np.testing.assert_array_equal(t.data.X_train[order, 0], np.sort(X_TABLE))
    np.testing.assert_array_equal(t.data.Y_train[order, 0], Y_TABLE[np.argsort(X_TABLE)])


@claim("05-gradient-descent", "The lecture's table")
def _(lesson, i, doc):
    t = step_trainer(doc)
    table(t)
    assert W_BEST == pytest.approx(1.0047, abs=1e-4)
    _, facts = play(doc, run_checks(lesson, i), doc.training.max_epochs, t)
    assert facts.train_loss < 0.01
    _, facts = play(doc, {}, doc.training.max_epochs, t)  # on to the epoch limit: w settles
    assert t.network.get_weights()["output"]["W"][0, 0] == pytest.approx(W_BEST, abs=1e-6)


@claim("05-gradient-descent", "Bigger steps")
def _(lesson, i, doc):
    assert doc.training.lr == 0.05
    slow = play(step_model(lesson, 0), run_checks(lesson, 0), 2000)[1].epoch
    t = step_trainer(doc)
    path = w_path(t, 8)
    side = np.sign(path - W_BEST)
    assert (side[:-1] != side[1:]).sum() >= 3  # it overshoots the best w and swings back
    assert abs(path[-1] - W_BEST) < abs(path[0] - W_BEST)  # ... by a little: it gets there
    _, facts = play(doc, run_checks(lesson, i), doc.training.max_epochs)
    assert facts.train_loss < 0.01 and facts.epoch * 3 <= slow  # far fewer epochs


@claim("05-gradient-descent", "Too large")
def _(lesson, i, doc):
    limit = 2 / np.mean(X_TABLE ** 2)
    assert np.mean(X_TABLE ** 2) == pytest.approx(29.3, abs=0.05) and limit == pytest.approx(0.068, abs=5e-4)
    doc.training.lr = 0.98 * limit  # below the limit: it still settles
    _, facts = play(doc, {}, doc.training.max_epochs)
    assert not facts.diverged and facts.train_loss < 0.01
    doc.training.lr = 1.02 * limit  # past it: w swings further out each time and the run diverges
    t = step_trainer(doc)
    path = w_path(t, 5)
    assert (np.diff(abs(path - W_BEST)) > 0).all() and (np.diff(np.sign(path - W_BEST)) != 0).all()
    _, facts = play(doc, run_checks(lesson, i), doc.training.max_epochs)
    assert facts.diverged and facts.stop_reason == "diverged"


# ----------------------------------------------------------- 06 parameters
@claim("06-parameters", "Lines and biases")
def _(lesson, i, doc):
    assert doc.graph.total_params() == 3 * 3 + 3 + 3 * 2 + 2
    doc.graph.set_params("dense1", units=4)  # the student's edit
    assert 3 * 4 + 4 * 2 == 20 and 4 + 2 == 6
    assert doc.graph.total_params() == 26 == step_trainer(doc).network.theta.size


@claim("06-parameters", "Without biases")
def _(lesson, i, doc):
    doc.graph.set_params("dense1", units=4)  # the first step's edit, then this one's
    doc.graph.set_params("dense1", bias=False)
    assert doc.graph.total_params() == 26 - 4 == 22 == step_trainer(doc).network.theta.size


@claim("06-parameters", "The activation's own parameters: θ = {f, w, b}")
def _(lesson, i, doc):
    """prelu's slopes are parameters: counted (30), and 20 epochs move every one from 0.25."""
    doc.graph.set_params("dense1", units=4)  # the first step's edit, then this one's
    doc.graph.set_params("dense1", activation="prelu")
    assert doc.graph.total_params() == (3 * 4 + 4 + 4) + (4 * 2 + 2) == 30
    t = step_trainer(doc)
    assert t.network.theta.size == 30
    assert np.all(t.network.unflatten_slopes(t.network.theta)["dense1"] == 0.25)
    t.run_epochs(20)
    assert np.all(t.network.unflatten_slopes(t.network.theta)["dense1"] != 0.25)


# ---------------------------------------------------------- 07 chain rule
@claim("07-chain-rule", "One weight, backward")
def _(lesson, i, doc):
    """dL/dw = dL/df df/da da/dw = -(y - y_hat) 1 x for one sample, against the app's loss's own slope."""
    t = step_trainer(doc)
    w0 = t.network.get_weights()["output"]["W"][0, 0]
    for row in range(len(t.data.X_train)):
        x, y = t.data.X_train[row, 0], t.data.Y_train[row, 0]
        formula = -(y - w0 * x) * 1 * x
        h, losses = 1e-6, []
        for sign in (1, -1):
            t.set_weight("output", 0, 0, w0 + sign * h)
            losses.append(t.network.evaluate(t.data.X_train[row:row + 1], t.data.Y_train[row:row + 1])[0])
        t.set_weight("output", 0, 0, w0)
        assert formula == pytest.approx((losses[0] - losses[1]) / (2 * h), rel=1e-6)


@claim("07-chain-rule", "Take the step")
def _(lesson, i, doc):
    t = step_trainer(doc)
    table(t)
    assert t.batch_size == len(X_TABLE)  # the batch is all four rows
    w0 = t.network.get_weights()["output"]["W"][0, 0]
    t.run(1)
    grad = np.mean(-(Y_TABLE - w0 * X_TABLE) * X_TABLE)  # dL/dw = -(y - y_hat) x, averaged over the rows
    assert t.network.get_weights()["output"]["W"][0, 0] == pytest.approx(w0 - doc.training.lr * grad, rel=1e-12)


@claim("07-chain-rule", "A longer chain")
def _(lesson, i, doc):
    """dL/dw for a weight into Dense 1, written out as the text does (sum over the output units of
    dL/df_o df_o/da_o da_o/df_j df_j/da_j da_j/dw), against the loss's own slope (central differences)."""
    t = step_trainer(doc)
    w = t.network.get_weights()
    W1, b1, W2, b2 = w["dense1"]["W"], w["dense1"]["b"], w["output"]["W"], w["output"]["b"]
    x, y = t.data.X_train[1], t.data.Y_train[1, 0]
    f_j = np.tanh(x @ W1 + b1)
    f_o = 1 / (1 + np.exp(-(f_j @ W2 + b2)))
    i_in, j = 0, 1  # the weight from x1 into unit 2 of Dense 1
    chain = sum((-(y / f_o[o]) + (1 - y) / (1 - f_o[o]))  # dL/df_o (binary cross-entropy)
                * f_o[o] * (1 - f_o[o])  # df_o/da_o (sigmoid)
                * W2[j, o]  # da_o/df_j
                * (1 - f_j[j] ** 2)  # df_j/da_j (tanh)
                * x[i_in]  # da_j/dw
                for o in range(W2.shape[1]))
    h, losses = 1e-6, []
    for sign in (1, -1):
        t.set_weight("dense1", i_in, j, W1[i_in, j] + sign * h)
        losses.append(t.network.evaluate(t.data.X_train[1:2], t.data.Y_train[1:2])[0])
    assert chain == pytest.approx((losses[0] - losses[1]) / (2 * h), rel=1e-6)


@pytest.mark.parametrize("key", list(CLAIMS), ids=lambda k: f"{k[0]}: {k[1]}")
def test_the_step_does_what_its_text_says(key):
    CLAIMS[key](*step(*key))
