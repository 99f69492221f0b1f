"""The evolutionary loop: DEAP primitives and operators, gplearn-compatible settings.

One generation follows gplearn's recipe so the two engines can be compared at equal settings:
each offspring comes from a tournament winner by crossover (probability ``p_crossover``),
subtree mutation, hoist (shrink) mutation, point mutation, or plain reproduction. Selection uses
the parsimony-penalised fitness ``raw + parsimony_coefficient * length``; the hall of fame and the
reported best program use the raw fitness. ``generations`` counts evaluated populations, the
random initial one included (gplearn's meaning).

No class is registered in DEAP's global ``creator``: :class:`Individual` and :class:`FitnessMin`
are ordinary module-level classes, so individuals pickle and repeated runs in one process (a
notebook) never warn about classes being created twice.
"""

from __future__ import annotations

import math
import os
import random
import time
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from deap import base, gp, tools

from symbolic.gp.parallel import BACKENDS, Mapper
from symbolic.gp.primitives import DEFAULT_FUNCTIONS, Code, build_pset, check_function_set, code_to_string, tree_to_code


class FitnessMin(base.Fitness):
    """Single-objective fitness, lower is better (log loss, error)."""

    weights = (-1.0,)


class Individual(gp.PrimitiveTree):
    """A program tree with its fitness (what ``creator.create("Individual", ...)`` would make)."""

    def __init__(self, content: Any) -> None:
        super().__init__(content)
        self.fitness = FitnessMin()
        self.h: int | None = None  # cached height (DEAP recomputes it on every access)

    def get_height(self) -> int:
        """The tree height, computed once."""
        if self.h is None:
            self.h = self.height
        return self.h


@dataclass
class GPConfig:
    """Settings of one search. Defaults follow gplearn where gplearn has one.

    Attributes:
        population_size: Programs per generation.
        generations: Evaluated populations, the random initial one included.
        tournament_size: Aspirants per tournament.
        function_set: Primitive names (see :data:`symbolic.gp.primitives.PRIMITIVES`).
        init_depth: (min, max) height of the initial ramped half-and-half trees.
        const_range: Range of ephemeral random constants, or None for none.
        parsimony_coefficient: Length penalty used in selection only.
        p_crossover, p_subtree_mutation, p_hoist_mutation, p_point_mutation: Operator
            probabilities; the remainder is reproduction.
        p_point_replace: Probability that point mutation replaces each node.
        max_height: Static height limit (Koza's 17) applied to every variation.
        hall_of_fame: How many distinct best programs to keep.
        cache: Reuse the fitness of a program already seen in this run (same code, same data).
        n_jobs: Evaluation workers (1 = in process, -1 = all cores).
        backend: ``process`` (default pool) or ``ray``; ignored when ``n_jobs == 1``.
        seed: Seed of the run (None draws one); the same seed reproduces the run exactly.
    """

    population_size: int = 500
    generations: int = 20
    tournament_size: int = 20
    function_set: tuple[str, ...] = DEFAULT_FUNCTIONS
    init_depth: tuple[int, int] = (2, 6)
    const_range: tuple[float, float] | None = (-1.0, 1.0)
    parsimony_coefficient: float = 0.001
    p_crossover: float = 0.9
    p_subtree_mutation: float = 0.01
    p_hoist_mutation: float = 0.01
    p_point_mutation: float = 0.01
    p_point_replace: float = 0.05
    max_height: int = 17
    hall_of_fame: int = 10
    cache: bool = True
    n_jobs: int | None = 1
    backend: str = "process"
    seed: int | None = None

    def validate(self) -> GPConfig:
        """Check every setting; raise ValueError naming the first bad one."""
        self.function_set = check_function_set(self.function_set)
        ints = {"population_size": 2, "generations": 1, "tournament_size": 1, "max_height": 1, "hall_of_fame": 1}
        for name, low in ints.items():
            value = getattr(self, name)
            if not isinstance(value, int | np.integer) or value < low:
                raise ValueError(f"GPConfig.{name} must be an integer >= {low}, got {value!r}")
        if self.tournament_size > self.population_size:
            raise ValueError(f"tournament_size {self.tournament_size} exceeds population_size {self.population_size}")
        lo, hi = self.init_depth
        if not (0 <= lo <= hi <= self.max_height):
            raise ValueError(f"init_depth {self.init_depth} must satisfy 0 <= min <= max <= max_height")
        probs = [self.p_crossover, self.p_subtree_mutation, self.p_hoist_mutation, self.p_point_mutation]
        if any(p < 0 for p in probs) or sum(probs) > 1 + 1e-12:
            raise ValueError(f"operator probabilities {probs} must be >= 0 and sum to at most 1")
        if not 0 <= self.p_point_replace <= 1:
            raise ValueError(f"p_point_replace must be in [0, 1], got {self.p_point_replace}")
        if self.parsimony_coefficient < 0 or not math.isfinite(self.parsimony_coefficient):
            raise ValueError(f"parsimony_coefficient must be finite and >= 0, got {self.parsimony_coefficient}")
        if self.backend not in BACKENDS:
            raise ValueError(f"backend {self.backend!r} is not one of {BACKENDS}")
        return self


@dataclass
class Program:
    """A found program as plain data (no DEAP objects): prefix code, text, fitness, size."""

    code: Code
    fitness: float
    length: int
    height: int

    @property
    def text(self) -> str:
        """The program as nested calls, e.g. ``mul(cos(X0), X0)``."""
        return code_to_string(self.code)

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form."""
        return {"program": self.text, "fitness": self.fitness, "length": self.length, "height": self.height}


@dataclass
class GPResult:
    """Outcome of :func:`run_gp`.

    Attributes:
        best: Best program by raw fitness over the whole run (hall of fame head).
        hall_of_fame: Distinct best programs, best first.
        final_best: Best program of the last generation (what gplearn reports).
        history: One dict per generation: min/median/mean fitness, mean length and height,
            programs evaluated, cache hits, invalid programs, seconds.
        time_s: Wall time of the search (pool start included).
        n_evaluations: Programs actually evaluated (cache hits excluded).
        config: The settings used.
    """

    best: Program
    hall_of_fame: list[Program]
    final_best: Program
    history: list[dict[str, float]]
    time_s: float
    n_evaluations: int
    config: dict[str, Any] = field(default_factory=dict)


def _clone(ind: Individual) -> Individual:
    # Nodes are immutable (an ephemeral is replaced, never edited), so a shallow copy is a full copy.
    new = Individual(ind)
    new.h = ind.h
    if ind.fitness.valid:
        new.fitness.wvalues = ind.fitness.wvalues
    return new


def _koza_node(ind: Individual) -> int:
    """A crossover point as in Koza and gplearn: a function node with probability 0.9, else a leaf."""
    if len(ind) == 1:
        return 0
    want_leaf = random.random() >= 0.9
    nodes = [i for i, node in enumerate(ind) if (node.arity == 0) == want_leaf]
    return random.choice(nodes) if nodes else random.randrange(len(ind))


def _crossover(parent: Individual, donor: Individual) -> tuple[Individual]:
    """gplearn's crossover: a subtree of ``parent`` (root allowed) is replaced by a subtree of ``donor``."""
    target = parent.searchSubtree(_koza_node(parent))
    source = donor.searchSubtree(_koza_node(donor))
    child = Individual(parent[:target.start] + donor[source] + parent[target.stop:])
    return (child,)


def _subtree_mutation(parent: Individual, expr: Any) -> tuple[Individual]:
    """gplearn's subtree mutation: crossover with a freshly generated random program."""
    return _crossover(parent, Individual(expr()))


def _hoist_mutation(parent: Individual) -> tuple[Individual]:
    """gplearn's hoist mutation: a subtree is replaced by one of its own subtrees (fights bloat)."""
    outer = parent.searchSubtree(_koza_node(parent))
    sub = Individual(parent[outer])
    inner = sub.searchSubtree(_koza_node(sub))
    return (Individual(parent[:outer.start] + sub[inner] + parent[outer.stop:]),)


def _point_mutation(ind: Individual, pset: gp.PrimitiveSet, prob: float) -> tuple[Individual]:
    """gplearn's point mutation: each node is replaced, with probability ``prob``, by a random node
    of the same arity (on a copy: the parent stays in the population)."""
    ind = Individual(ind)
    for i, node in enumerate(ind):
        if random.random() >= prob:
            continue
        if node.arity == 0:
            term = random.choice(pset.terminals[node.ret])
            ind[i] = term() if isinstance(term, gp.MetaEphemeral) else term
        else:
            ind[i] = random.choice([p for p in pset.primitives[node.ret] if p.arity == node.arity])
    return (ind,)


def make_toolbox(pset: gp.PrimitiveSet, config: GPConfig) -> base.Toolbox:
    """The DEAP toolbox of a run: generators, variation operators with static height limits."""
    tb = base.Toolbox()
    lo, hi = config.init_depth
    tb.register("expr", gp.genHalfAndHalf, pset=pset, min_=lo, max_=hi)
    tb.register("individual", lambda: Individual(tb.expr()))
    tb.register("clone", _clone)
    tb.register("mate", _crossover)
    tb.register("mut_subtree", _subtree_mutation, expr=tb.expr)
    tb.register("mut_hoist", _hoist_mutation)
    tb.register("mut_point", _point_mutation, pset=pset, prob=config.p_point_replace)
    for name in ("mate", "mut_subtree", "mut_hoist", "mut_point"):
        tb.decorate(name, _height_limit(config.max_height))
    return tb


def _height_limit(max_height: int) -> Any:
    """Koza's static height limit (like ``gp.staticLimit``): a child taller than ``max_height`` is
    replaced by ``None``, and the caller keeps the parent. Unlike ``gp.staticLimit`` it does not
    deep-copy the inputs first, since these operators never modify them."""
    def decorator(func: Any) -> Any:
        def wrapper(*args: Any, **kwargs: Any) -> tuple:
            return tuple(None if child.get_height() > max_height else child for child in func(*args, **kwargs))
        return wrapper
    return decorator


def _stats(fit: np.ndarray, lengths: np.ndarray, heights: np.ndarray) -> dict[str, float]:
    finite = fit[np.isfinite(fit)]
    row = {"min": float(finite.min()) if finite.size else math.inf,
           "median": float(np.median(finite)) if finite.size else math.inf,
           "mean": float(finite.mean()) if finite.size else math.inf,
           "invalid": int((~np.isfinite(fit)).sum()),
           "length_mean": float(lengths.mean()), "height_mean": float(heights.mean())}
    return row


def run_gp(task: Any, config: GPConfig, n_features: int | None) -> GPResult:
    """Evolve programs that minimise ``task(code)``.

    Args:
        task: A fitness task (see :mod:`symbolic.gp.fitness`); picklable for parallel backends.
        config: Search settings (validated here).
        n_features: Input columns ``X0..``; ``None`` for univariate programs of ``x``.

    Returns:
        A :class:`GPResult` with plain-data programs (safe to pickle and to send between processes).
    """
    config.validate()
    seed = config.seed if config.seed is not None else int.from_bytes(os.urandom(4), "little")
    saved_state = random.getstate()
    random.seed(seed)  # DEAP's generators and operators draw from the `random` module
    rng = np.random.default_rng(seed)
    t0 = time.perf_counter()
    try:
        pset = build_pset(n_features, config.function_set, config.const_range)
        tb = make_toolbox(pset, config)
        hof = tools.HallOfFame(config.hall_of_fame)
        cache: dict[Code, float] = {}
        history: list[dict[str, float]] = []
        n_eval = 0
        P = config.population_size
        cum = np.cumsum([config.p_crossover, config.p_subtree_mutation, config.p_hoist_mutation,
                         config.p_point_mutation])
        with Mapper(task, config.backend, config.n_jobs) as mapper:
            tb.register("map", mapper.map)
            pop = [tb.individual() for _ in range(P)]
            for gen in range(config.generations):
                tg = time.perf_counter()
                if gen > 0:
                    pop = _next_generation(pop, tb, rng, config, cum)
                todo = [ind for ind in pop if not ind.fitness.valid]
                codes = [tree_to_code(ind) for ind in todo]
                missing = list(dict.fromkeys(c for c in codes if c not in cache)) if config.cache else codes
                values = mapper.evaluate(missing)
                n_eval += len(missing)
                fresh = dict(zip(missing, values, strict=True))
                for ind, code in zip(todo, codes, strict=True):
                    value = fresh[code] if code in fresh else cache[code]
                    ind.fitness.values = (value,)
                if config.cache:
                    cache.update(fresh)
                    if len(cache) > 200_000:  # long runs: keep memory bounded
                        cache.clear()
                hof.update([ind for ind in pop if math.isfinite(ind.fitness.values[0])] or pop[:1])
                fit = np.array([ind.fitness.values[0] for ind in pop])
                lengths = np.array([len(ind) for ind in pop])
                heights = np.array([ind.get_height() for ind in pop])
                row = {"gen": gen, **_stats(fit, lengths, heights), "evaluated": len(missing),
                       "cache_hits": len(todo) - len(missing), "best_so_far": float(hof[0].fitness.values[0]),
                       "time_s": time.perf_counter() - tg}
                history.append(row)
        final_ind = pop[int(np.argmin(fit))]
    finally:
        random.setstate(saved_state)
    elapsed = time.perf_counter() - t0

    def to_program(ind: Individual) -> Program:
        return Program(code=tree_to_code(ind), fitness=float(ind.fitness.values[0]), length=len(ind),
                       height=ind.height)  # HOF entries are deep copies; recompute

    cfg = asdict(config)
    cfg["seed"] = seed
    return GPResult(best=to_program(hof[0]), hall_of_fame=[to_program(i) for i in hof],
                    final_best=to_program(final_ind), history=history, time_s=elapsed,
                    n_evaluations=n_eval, config=cfg)


def _next_generation(pop: list[Individual], tb: base.Toolbox, rng: np.random.Generator, config: GPConfig,
                     cum: np.ndarray) -> list[Individual]:
    P = len(pop)
    raw = np.array([ind.fitness.values[0] for ind in pop])
    penalized = raw + config.parsimony_coefficient * np.array([len(ind) for ind in pop])
    k = config.tournament_size
    # Vectorized tournaments: two winners per offspring (the second is only used as a crossover donor).
    aspirants = rng.integers(0, P, size=(2 * P, k))
    winners = aspirants[np.arange(2 * P), np.argmin(penalized[aspirants], axis=1)]
    ops = np.searchsorted(cum, rng.random(P), side="right")
    out: list[Individual] = []
    for i in range(P):
        op = ops[i]
        parent = pop[winners[i]] if op < 4 else tb.clone(pop[winners[i]])  # operators build new trees
        if op == 0:
            (child,) = tb.mate(parent, pop[winners[P + i]])
        elif op == 1:
            (child,) = tb.mut_subtree(parent)
        elif op == 2:
            (child,) = tb.mut_hoist(parent)
        elif op == 3:
            (child,) = tb.mut_point(parent)
        else:
            out.append(parent)  # reproduction keeps its fitness
            continue
        if child is None:  # the height limit refused the child: the parent is reproduced instead
            out.append(tb.clone(parent))
            continue
        out.append(child)
    return out
