"""Plain, serializable result of an abduction solver (no solver-owned handles)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

#: Status values: a proven optimum; a feasible solution without proof (time limit / heuristic);
#: proven infeasible; nothing found within the limit.
STATUSES = ("optimal", "feasible", "infeasible", "unknown")


@dataclass(frozen=True)
class AbductionResult:
    """Outcome of one solve.

    Attributes:
        solver: Solver name, e.g. ``"ip-cbc"``, ``"ip-highs"``, ``"asp"``, ``"heuristic"``.
        status: One of ``optimal``, ``feasible``, ``infeasible``, ``unknown``.
        objective: Coverage of the returned explanation (None when there is none).
        secondary: Tie-break objective value (None when tie-breaking is off or no solution).
        chosen: Indices of the accepted atoms (the chosen predictions), sorted.
        n_inconsistent: Accepted atoms that are inconsistent.
        optimal: Whether optimality is proven (for every objective level optimised).
        solve_time: Wall-clock seconds of the whole call (building the model included).
        stats: Solver statistics as plain numbers/strings.
    """

    solver: str
    status: str
    objective: int | None
    secondary: int | None
    chosen: tuple[int, ...]
    n_inconsistent: int
    optimal: bool
    solve_time: float
    stats: dict[str, Any] = field(default_factory=dict)

    @property
    def n_chosen(self) -> int:
        return len(self.chosen)

    @property
    def inconsistency_rate(self) -> float:
        return self.n_inconsistent / self.n_chosen if self.chosen else 0.0

    @property
    def feasible(self) -> bool:
        """Whether an explanation was returned."""
        return self.status in ("optimal", "feasible")

    def mask(self, n_atoms: int) -> np.ndarray:
        """The accepted atoms as a boolean mask of length ``n_atoms``."""
        out = np.zeros(n_atoms, dtype=bool)
        if self.chosen:
            out[np.asarray(self.chosen, dtype=np.int64)] = True
        return out

    def to_dict(self, with_chosen: bool = False) -> dict[str, Any]:
        """JSON-serializable form (the chosen atom list only on request: it can be long)."""
        d = asdict(self)
        d["n_chosen"] = self.n_chosen
        d["inconsistency_rate"] = self.inconsistency_rate
        if not with_chosen:
            d.pop("chosen")
        else:
            d["chosen"] = list(self.chosen)
        return d
