"""What a run's snapshots say to the person watching: each event, divergence,
stop and error once, in words. The window's status bar, its loss plot's
divergence mark and its error dialog show these; nothing here knows them.

A :class:`Narrator` belongs to one run (the window's RunState holds it), so a
new run says everything afresh.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..engine.optimizers import OPTIMIZERS
from ..engine.trainer import EXPLODE_FACTOR

__all__ = ["Said", "Narrator", "STOPPED", "NOTE_AFTER_EPOCHS", "STAYS", "why_diverged", "went_back"]

#: What is said when a run stops by itself, by stop reason (the optimizer's
#: note on that reason, if it has one, instead; it stays).
STOPPED = {"max_epochs": "reached the maximum epochs", "loss_target": "reached the loss target",
           "converged": "converged"}
#: Epochs after which a running run hears the optimizer's note on "max_epochs"
#: (the perceptron on XOR without an epoch limit would run on without a word).
NOTE_AFTER_EPOCHS = 100
STAYS = 0  # a message's time on screen: until the next one
BRIEF = 8000  # milliseconds


def why_diverged(d: dict) -> str:
    """Why a run diverged, from a trainer's divergence record ``d``. An
    explosion quotes the rule's bound and where it comes from: 10 times the
    loss the run started from (the curve's first point), or, when larger, 10
    times that of the network with every weight 0, the start said beside it
    (the bound, not the start, is what the restored weights are under)."""
    if d.get("reason") != "exploded":
        return "the loss or a weight became NaN or infinite"
    start, ref = d.get("start_loss"), d.get("reference") or 0.0
    bound = d.get("bound") or EXPLODE_FACTOR * ref
    if start is not None and start >= ref:
        than = f"{EXPLODE_FACTOR:g} times the loss it started from ({start:.4g})"
    else:
        began = "" if start is None else f" (it started from {start:.4g})"
        than = f"{EXPLODE_FACTOR:g} times {ref:.4g}, the loss of the network with every weight 0{began}"
    return f"the loss rose to {d.get('loss') or 0:.4g} at epoch {d['epoch']:,}, above {bound:.4g}: {than}"


def went_back(d: dict) -> str:
    """Which weights a divergence went back to: the last epoch end whose loss was within the rule's bound."""
    restored, bound = d.get("restored_loss"), d.get("bound")
    if restored is None or "restored_step" not in d:
        return "went back to the last good weights"
    under = (f", the last epoch end within {bound:.4g}" if bound is not None and d.get("reason") == "exploded"
             else "")
    return f"went back to the weights of step {d['restored_step']:,} (loss {restored:.4g}){under}"


@dataclass(frozen=True)
class Said:
    """One thing to tell: ``text`` for ``ms`` milliseconds (:data:`STAYS`: until
    the next message); with ``mark`` at ``epoch`` the loss plot marks a
    divergence: the loss it rose to there (``peak``, the number the text
    quotes; None when not finite) and the loss of the weights restored
    (``restored``); with ``details`` the error's full text goes in a dialog."""

    text: str
    ms: int = BRIEF
    mark: str | None = None
    epoch: float | None = None
    details: str | None = None
    peak: float | None = None
    restored: float | None = None


@dataclass
class Narrator:
    """Reads one run's snapshots in order and says what is new in each."""

    said: set = field(default_factory=set)  # keys of what was said already
    since: tuple = (-1, "", 0)  # (generation, optimizer, epoch) the run was first seen with

    def read(self, snap, generation: int) -> list[Said]:
        """What ``snap`` (a LiveSnapshot of run ``generation``) tells that was not told before."""
        out = [Said(msg) for msg in snap.events]
        seen = self.said
        d = snap.divergence
        if d and ("div", d["step"]) not in seen:
            seen.add(("div", d["step"]))
            why = f": {why_diverged(d)}" if d.get("reason") in ("non-finite", "exploded") else ""
            restored = d.get("restored_loss")
            back = went_back(d)
            out.append(Said(f"Training diverged at step {d['step']:,} with learning rate {d['lr']:g}{why}; "
                            f"{back} and paused. Try a smaller learning rate.", STAYS,
                            mark=f"diverged (lr {d['lr']:g})", epoch=float(d["epoch"]), peak=d.get("loss"),
                            restored=restored))
        notes = OPTIMIZERS[snap.config.optimizer].stop_notes
        if snap.stop_reason in STOPPED and not snap.running and ("stop", snap.step) not in seen:
            seen.add(("stop", snap.step))
            note = notes.get(snap.stop_reason)
            if note:  # the lecture's point stays until the next message
                out.append(Said(f"Stopped after {snap.epoch:,} epoch{'s' * (snap.epoch != 1)}, {note}", STAYS))
            else:
                out.append(Said(f"Stopped: {STOPPED[snap.stop_reason]}"))
        if self.since[:2] != (generation, snap.config.optimizer):
            self.since = (generation, snap.config.optimizer, snap.epoch)
        elif snap.running and "max_epochs" in notes and "note" not in seen and \
                snap.epoch - self.since[2] >= NOTE_AFTER_EPOCHS:
            seen.add("note")  # a long run (or one without a limit) hears it once and goes on
            out.append(Said(f"After {snap.epoch:,} epochs, {notes['max_epochs']}", STAYS))
        # The worker's error stays on its snapshots until Play or Step: said once
        # per try (each try forgets it, :meth:`try_again`), not once per snapshot.
        if snap.error and ("err", snap.error) not in seen:
            seen.add(("err", snap.error))
            out.append(Said("Training stopped by an error (details in the dialog)", STAYS, details=snap.error))
        return out

    def try_again(self) -> None:
        """Play or Step after an error: the same error, if it comes again, is said again."""
        self.said = {k for k in self.said if not (isinstance(k, tuple) and k[0] == "err")}
