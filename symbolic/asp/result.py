"""Plain results of a clingo session: strings, tuples and numbers that outlive every clingo handle."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

#: ``sat``: a model was found and the search ended (exhausted, stopped by ``on_model`` or the model
#: count); ``optimal``: an optimization proven optimal; ``unsat``: no answer set exists;
#: ``timeout``: a grounding or solving limit hit (``models`` keeps what was found before);
#: ``error``: clingo refused the program (syntax, unsafe variables, ...) or crashed.
STATUSES = ("sat", "optimal", "unsat", "timeout", "error")


@dataclass(frozen=True)
class AspModel:
    """One answer set, copied while clingo's ``Model`` was still valid.

    Attributes:
        number: Running number of the model in the solve call (1-based, as clingo counts).
        symbols: Shown atoms as clingo prints them (e.g. ``"p(1)"``), sorted; empty when the
            session was asked not to copy them.
        cost: Optimization cost per priority level, highest priority first (empty without
            optimization statements).
        watched: For each atom of the session's ``watch`` list, whether the model contains it
            (shown or not).
        optimality_proven: clingo's flag for this model (set when the model is the proven optimum).
    """

    number: int
    symbols: tuple[str, ...]
    cost: tuple[int, ...]
    watched: tuple[bool, ...] = ()
    optimality_proven: bool = False


@dataclass(frozen=True)
class AspResult:
    """Outcome of one ground-and-solve call of :class:`~symbolic.asp.AspSession`.

    Attributes:
        status: One of :data:`STATUSES`.
        models: Models kept by the session's ``keep`` policy, in the order clingo found them.
        exhausted: clingo searched the whole space (every model enumerated or optimum proven).
        timed_out: ``"ground"`` or ``"solve"`` when that phase ran out of time, else None.
        error: What went wrong when ``status == "error"`` (clingo's first messages), else None.
        messages: clingo's log messages (warnings and errors), in order, capped by the session.
        ground_seconds: Wall-clock seconds of grounding (up to the timeout when it hit).
        solve_seconds: Wall-clock seconds of solving.
        total_seconds: Wall-clock seconds of the whole call, process start-up included.
        n_models: Models clingo reported (all of them, kept or not).
        isolated: Whether grounding and solving ran in a child process.
        stats: A flat selection of clingo's statistics (``summary.*``, solver counters) as floats.
    """

    status: str
    models: tuple[AspModel, ...] = ()
    exhausted: bool = False
    timed_out: str | None = None
    error: str | None = None
    messages: tuple[str, ...] = ()
    ground_seconds: float = 0.0
    solve_seconds: float = 0.0
    total_seconds: float = 0.0
    n_models: int = 0
    isolated: bool = False
    stats: dict[str, float] = field(default_factory=dict)

    @property
    def best(self) -> AspModel | None:
        """The last model found: with optimization, the one of lowest cost; None when there is none."""
        return self.models[-1] if self.models else None

    @property
    def cost(self) -> tuple[int, ...] | None:
        """Cost of :attr:`best` (None without a model)."""
        return self.best.cost if self.best is not None else None

    @property
    def optimality_proven(self) -> bool:
        """A model was found and is optimal: the optimization was exhausted, or there is nothing to
        optimize (no optimization statement, so every model is optimal)."""
        if self.best is None or self.timed_out is not None:
            return False
        return self.status == "optimal" or not self.best.cost

    @property
    def satisfiable(self) -> bool | None:
        """True with a model, False when proven unsatisfiable, None when unknown (timeout/error)."""
        if self.models:
            return True
        return False if self.status == "unsat" else None

    def to_dict(self) -> dict[str, Any]:
        """JSON-serializable form."""
        d = asdict(self)
        d["cost"] = list(self.cost) if self.cost is not None else None
        d["optimality_proven"] = self.optimality_proven
        return d
