"""What a run's snapshots say, headless: each thing once, in the lecture's words,
from real trainer snapshots (a diverging run, a perceptron that converges)."""
from nnbuilder.core.engine.config import TrainConfig
from nnbuilder.core.data.datasets import make_dataset
from nnbuilder.core.model.graph import Graph
from nnbuilder.core.run.narration import STAYS, Narrator
from nnbuilder.core.engine.network import Network
from nnbuilder.core.run.snapshot import build_snapshot, error_snapshot
from nnbuilder.core.engine.traindata import TrainData
from nnbuilder.core.engine.trainer import Trainer


def trained(graph, dataset, steps, **cfg):
    net = Network(graph)
    trainer = Trainer(net, TrainData.from_dataset(dataset, net, 1.0, 0), TrainConfig(**cfg), seed=0)
    trainer.run(steps)
    return trainer


def snapshot_of(trainer, serial, **status):
    status = {"serial": serial, "generation": 0, "elapsed": 1.0, "steps_per_sec": 1.0,
              "running": False, "rows": [], **status}
    return build_snapshot(trainer, **status)


def test_a_divergence_is_said_once_with_the_numbers_of_the_run_and_marked_where_it_happened():
    g = Graph.chain([2, 8, 1])
    t = trained(g, make_dataset("circle", samples=200, seed=0), 2000, lr=100.0, batch_size=200)
    d = t.divergence
    assert d is not None  # lr 100 on circle explodes (the trainer's own rule, tested in test_training)
    narrator = Narrator()
    said = narrator.read(snapshot_of(t, 1), 0)
    marks = [s for s in said if s.mark]
    assert len(marks) == 1 and marks[0].epoch == float(d["epoch"]) and "lr 100" in marks[0].mark
    assert marks[0].ms == STAYS and f"step {d['step']:,}" in marks[0].text
    # The next snapshots of the same run say nothing more about it.
    assert narrator.read(snapshot_of(t, 2), 0) == [] and narrator.read(snapshot_of(t, 3), 0) == []


def test_a_worker_error_is_said_once_per_try_not_once_per_snapshot():
    narrator = Narrator()
    snaps = [error_snapshot("Traceback: boom") for _ in range(3)]
    first = narrator.read(snaps[0], 0)
    assert [s.details for s in first] == ["Traceback: boom"]
    assert narrator.read(snaps[1], 0) == []  # a setting typed while paused: a new snapshot, no new dialog
    narrator.try_again()  # Play or Step
    assert [s.details for s in narrator.read(snaps[2], 0)] == ["Traceback: boom"]


def test_the_perceptron_converging_says_the_optimizers_note_and_it_stays():
    g = Graph.chain([2, 1], output_activation="step", loss="l2")
    t = trained(g, make_dataset("and"), 400, optimizer="perceptron", lr=1.0, batch_size=1)
    assert t.stop_reason == "converged"
    said = Narrator().read(snapshot_of(t, 1), 0)
    assert len(said) == 1 and said[0].ms == STAYS
    assert said[0].text.startswith(f"Stopped after {t.epoch:,} epoch") and "converged" in said[0].text
