"""Random sequences of what a user does, through the window's public actions:
add, delete, connect, change parameters, rename, change training settings,
undo, redo, train, step, reset (with a new seed too), new, open, import, paint. After every action the diagram mirrors the graph;
nothing raises; undoing everything gives back the document as it was when it
was created or opened."""
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test
from PySide6.QtWidgets import QApplication

from nnbuilder.core.data.datasets import load_csv
from nnbuilder.core.model.graph import NODE_TYPES

EXAMPLES = sorted((Path(__file__).resolve().parents[1] / "resources" / "examples").glob("*.json"))
PARAMS = {"units": st.integers(1, 12), "activation": st.sampled_from(["relu", "tanh", "sigmoid", "linear"]),
          "rate": st.sampled_from([0.0, 0.2, 0.5])}


def document_state(doc) -> dict:
    return {"graph": doc.graph.to_dict(), "dataset": doc.dataset, "training": doc.training, "seed": doc.seed}


def test_random_user_sessions_keep_the_diagram_true_and_undo_complete(qtbot, make_window, tmp_path):
    w = make_window()
    csv = tmp_path / "table.csv"
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3)).round(3)
    np.savetxt(csv, np.c_[X, (X[:, 0] > 0).astype(int)], delimiter=",", header="a,b,c,y",
               comments="", fmt="%g")

    steps = []  # actions in each session

    class UserSession(RuleBasedStateMachine):
        def __init__(self):
            super().__init__()
            steps.append(0)
            w.act_new.trigger()
            self.start = document_state(w.document)
            self.doc = w.document

        def settle(self):
            steps[-1] += 1
            QApplication.processEvents()
            if w.document is not self.doc:  # New or Open: a new undo history starts
                self.doc, self.start = w.document, document_state(w.document)

        def node_ids(self):
            return sorted(w.document.graph.nodes)

        @rule(node_type=st.sampled_from(NODE_TYPES))
        def add(self, node_type):
            w.palette_list.addRequested.emit(node_type)
            self.settle()

        @rule(pick=st.integers(0, 1000))
        def delete(self, pick):
            ids = self.node_ids()
            if ids:
                w.select_node(ids[pick % len(ids)])
                w.act_delete.trigger()
            self.settle()

        @rule(a=st.integers(0, 1000), b=st.integers(0, 1000))
        def connect(self, a, b):
            ids = self.node_ids()
            if len(ids) >= 2:
                w.document.connect(ids[a % len(ids)], ids[b % len(ids)])
            self.settle()

        @rule(pick=st.integers(0, 1000), name=st.sampled_from(sorted(PARAMS)), data=st.data())
        def set_param(self, pick, name, data):
            ids = [n for n in self.node_ids() if name in w.document.graph.nodes[n].params]
            if ids:
                w.document.set_params(ids[pick % len(ids)], mergeable=False, **{name: data.draw(PARAMS[name])})
            self.settle()

        @rule(pick=st.integers(0, 1000), name=st.sampled_from(["a", "b", "Dense 1", ""]))
        def rename(self, pick, name):
            ids = self.node_ids()
            if ids:
                w.document.rename(ids[pick % len(ids)], name)
            self.settle()

        @rule(setting=st.sampled_from(["lr", "batch", "optimizer", "max_epochs"]), value=st.integers(0, 3))
        def training_setting(self, setting, value):
            panel = w.training_panel
            {"lr": lambda: panel.lr.setValue([0.01, 0.03, 0.1, 2000.0][value]),  # 2000: refused
             "batch": lambda: panel.batch.setValue([1, 10, 25, 10][value]),
             "optimizer": lambda: panel.optimizer.setCurrentText(["sgd", "adam", "rmsprop", "perceptron"][value]),
             "max_epochs": lambda: panel.max_epochs.setValue(value * 5)}[setting]()
            self.settle()

        @rule()
        def reset_with_a_new_seed(self):
            w.run.reset(new_seed=True)
            self.settle()

        @rule()
        def undo(self):
            w.act_undo.trigger()
            self.settle()

        @rule()
        def redo(self):
            w.act_redo.trigger()
            self.settle()

        @rule(action=st.sampled_from(["play", "step", "reset"]))
        def train(self, action):
            {"play": w.run.toggle_play, "step": w.run.step, "reset": w.run.reset}[action]()
            worker = w.run.worker
            if worker is not None:  # it took the command: the window drew a snapshot past it
                sent = worker.sent
                qtbot.waitUntil(lambda: w.run.worker is not worker or (
                    w.drawn is not None and w.drawn is w.run.snapshot and w.drawn.applied >= sent), timeout=15000)
            if w.run.running:
                w.run.toggle_play()
            self.settle()

        @rule()
        def new(self):
            w.act_new.trigger()
            self.settle()

        @rule(pick=st.integers(0, len(EXAMPLES) - 1))
        def open(self, pick):
            assert w.files.open_file(str(EXAMPLES[pick]), ask_to_save=False)
            self.settle()

        @rule(fit=st.booleans())
        def import_table(self, fit):
            w.data.import_dataset({"csv": str(csv), "target": "y"}, load_csv(str(csv), "y"), fit, False)
            self.settle()

        @rule(x=st.floats(-5, 5), y=st.floats(-5, 5), remove=st.booleans(), cls=st.integers(0, 5))
        def paint(self, x, y, remove, cls):
            if "points" not in w.document.dataset:
                w.training_panel.dataset.setCurrentText("painted")
            w.data.paint(x, y, remove, cls)
            self.settle()

        @invariant()
        def diagram_mirrors_the_graph(self):
            g = w.document.graph
            assert set(w.scene.node_items) == set(g.nodes)
            assert set(w.scene.edge_items) == {(e.source, e.target) for e in g.edges}
            assert not w.errors, w.errors

        @invariant()
        def panel_shows_the_documents_settings(self):
            cfg, panel = w.document.training, w.training_panel
            assert (panel.lr.value(), panel.batch.value(), panel.optimizer.currentText(),
                    panel.max_epochs.value() or None) == (cfg.lr, cfg.batch_size, cfg.optimizer, cfg.max_epochs)

        def teardown(self):
            stack = w.document.undo_stack
            while stack.canUndo():
                stack.undo()
            QApplication.processEvents()
            assert document_state(w.document) == self.start
            w.run.shutdown()

    run_state_machine_as_test(UserSession, settings=settings(
        max_examples=3, stateful_step_count=300, deadline=None, database=None, derandomize=True,
        suppress_health_check=list(HealthCheck)))
    print("actions per session:", steps)
    assert max(steps) >= 250  # at least one long session was played
