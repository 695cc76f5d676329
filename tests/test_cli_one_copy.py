"""`nnbuilder train` holds the table once while it trains (issue 20): once
its features are made, the table's rows it read are let go of; the model it
writes still names the columns and classes."""
import gc
import json
import weakref

import numpy as np

from nnbuilder.cli import main
from nnbuilder.core.engine.traindata import TrainData
from nnbuilder.core.engine.trainer import Trainer
from nnbuilder.core.files.modelfile import load_model


def test_train_lets_go_of_the_table_once_its_features_are_made(tmp_path, monkeypatch, capsys):
    rng = np.random.default_rng(3)
    X = rng.normal(size=(300, 4))
    csv = tmp_path / "d.csv"
    csv.write_text("a,b,c,d,kind\n" + "".join(
        ",".join(map(repr, r)) + (",yes\n" if r[0] + r[1] > 0 else ",no\n") for r in X.tolist()))
    model, out = tmp_path / "m.json", tmp_path / "t.json"
    assert main(["new", "4-3-1", "-o", str(model)]) == 0

    tables, alive_while_training = [], []
    made = TrainData.from_dataset.__func__

    def from_dataset(cls, ds, *args, **kw):
        tables.extend(weakref.ref(a) for a in (ds.X, ds.X.base) if a is not None)
        return made(cls, ds, *args, **kw)

    run = Trainer.run

    def training(self, *args, **kw):
        gc.collect()
        alive_while_training.append(sum(r() is not None for r in tables))
        return run(self, *args, **kw)

    monkeypatch.setattr(TrainData, "from_dataset", classmethod(from_dataset))
    monkeypatch.setattr(Trainer, "run", training)
    capsys.readouterr()
    assert main(["train", str(model), "--data", str(csv), "--target", "kind", "--epochs", "3",
                 "--json", "-o", str(out)]) == 0
    assert json.loads(capsys.readouterr().out)["epochs"] == 3
    assert tables and alive_while_training and set(alive_while_training) == {0}  # neither the rows nor their matrix
    trained = load_model(out)
    assert trained.columns == ["a", "b", "c", "d"] and trained.labels == ["no", "yes"]

