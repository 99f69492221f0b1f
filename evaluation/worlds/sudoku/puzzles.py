"""Visual Sudoku puzzle classification data in the manner of ViSudo-PC (Augustine et al., NeSy 2022).

The generator follows linqs/visual-sudoku-puzzle-classification, "simple" strategy, MNIST digits:
the labels are the first ``size`` digits (0..size−1); a valid puzzle is filled row by row with random
admissible labels (restarting on a dead end); an invalid puzzle is a fresh valid one corrupted either
by swapping cells or by replacing cells with other labels, one change for sure and each further change
with probability ``corruption_chance`` (at most 10), redrawn until the result is really invalid.
Every cell gets an image of its label drawn from one MNIST split, without replacement until the
digit's images run out (then a new pass starts: 100 9×9 puzzles need about 900 images per digit), so
the train / valid / test puzzles use the train / valid / test images (no overlap). 9×9 grids come from
a shuffled base pattern (see ``_shuffled_grid``). Ten seeded splits.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

import numpy as np

MAX_CORRUPTIONS = 10


@dataclass(frozen=True)
class PuzzleSet:
    """Puzzles of one split.

    Attributes:
        cells: Cell labels (n, size, size).
        images: Image indices into the MNIST split (n, size, size).
        valid: 1 for a valid puzzle, 0 for a corrupted one (n,).
        notes: How each invalid puzzle was corrupted (``swap(2)``, ``replace(1)``), "" for valid ones.
    """

    cells: np.ndarray
    images: np.ndarray
    valid: np.ndarray
    notes: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.valid)


def is_valid(grid: np.ndarray) -> bool:
    """True when no row, column or box holds a label twice."""
    size = grid.shape[0]
    box = math.isqrt(size)
    for i in range(size):
        if len(set(grid[i].tolist())) != size or len(set(grid[:, i].tolist())) != size:
            return False
    for r in range(0, size, box):
        for c in range(0, size, box):
            if len(set(grid[r:r + box, c:c + box].ravel().tolist())) != size:
                return False
    return True


def _valid_grid(size: int, rng: random.Random) -> np.ndarray:
    box = math.isqrt(size)
    if size > 4:
        return _shuffled_grid(size, box, rng)
    while True:
        grid = np.full((size, size), -1, dtype=np.int64)
        options = [[set(range(size)) for _ in range(size)] for _ in range(size)]
        ok = True
        for r in range(size):
            for c in range(size):
                if not options[r][c]:
                    ok = False
                    break
                v = rng.choice(sorted(options[r][c]))
                grid[r, c] = v
                options[r][c] = set()
                for i in range(size):
                    options[i][c].discard(v)
                    options[r][i].discard(v)
                br, bc = r // box * box, c // box * box
                for i in range(br, br + box):
                    for j in range(bc, bc + box):
                        options[i][j].discard(v)
            if not ok:
                break
        if ok:
            return grid


def _shuffled_grid(size: int, box: int, rng: random.Random) -> np.ndarray:
    # Filling a 9×9 grid cell by cell without backtracking (what ViSudo-PC does) almost always hits a
    # dead end, so 9×9 grids come from the base pattern with shuffled digits, rows within bands,
    # columns within stacks, bands and stacks (every such grid is valid).
    def axis() -> list[int]:
        bands = list(range(box))
        rng.shuffle(bands)
        out = []
        for band in bands:
            inner = list(range(box))
            rng.shuffle(inner)
            out += [band * box + i for i in inner]
        return out

    digits = list(range(size))
    rng.shuffle(digits)
    rows, cols = axis(), axis()
    base = [[(box * (r % box) + r // box + c) % size for c in range(size)] for r in range(size)]
    return np.array([[digits[base[r][c]] for c in cols] for r in rows], dtype=np.int64)


def _rand_cell(size: int, rng: random.Random, seen: set) -> tuple[int, int]:
    while True:
        cell = (rng.randrange(size), rng.randrange(size))
        if cell not in seen:
            return cell


def _corrupt(grid: np.ndarray, rng: random.Random, chance: float) -> tuple[np.ndarray, str]:
    size = grid.shape[0]
    by_swap = rng.randrange(2) == 0
    while True:
        g = grid.copy()
        seen: set = set()
        count = 0
        limit = min(MAX_CORRUPTIONS, size * size // 2 if by_swap else size * size)
        while count < limit and (count == 0 or rng.random() < chance):
            count += 1
            a = _rand_cell(size, rng, seen)
            seen.add(a)
            if by_swap:
                b = _rand_cell(size, rng, seen)
                seen.add(b)
                g[a], g[b] = g[b], g[a]
            else:
                old = g[a]
                new = old
                while new == old:
                    new = rng.randrange(size)
                g[a] = new
        if not is_valid(g):
            return g, f"{'swap' if by_swap else 'replace'}({count})"


def make_puzzles(labels: np.ndarray, size: int, n_valid: int, n_invalid: int, seed: int,
                 corruption_chance: float = 0.5) -> PuzzleSet:
    """Generate ``n_valid`` valid and ``n_invalid`` invalid puzzles from one MNIST split.

    Args:
        labels: Digit labels of the split's images (N,).
        size: 4 or 9.
        n_valid, n_invalid: Puzzle counts.
        seed: Generator seed.
        corruption_chance: Probability of each further corruption step.

    Raises:
        ValueError: for a bad size or chance, or when the split lacks images of some digit.
    """
    if size not in (4, 9):
        raise ValueError(f"Sudoku size must be 4 or 9, got {size!r}")
    if not 0.0 <= corruption_chance <= 1.0:
        raise ValueError(f"corruption_chance must be in [0, 1], got {corruption_chance}")
    if n_valid < 0 or n_invalid < 0 or n_valid + n_invalid == 0:
        raise ValueError(f"need a positive number of puzzles, got {n_valid} valid and {n_invalid} invalid")
    rng = random.Random(seed)
    grids, flags, notes = [], [], []
    for _ in range(n_valid):
        grids.append(_valid_grid(size, rng))
        flags.append(1)
        notes.append("")
    for _ in range(n_invalid):
        g, note = _corrupt(_valid_grid(size, rng), rng, corruption_chance)
        grids.append(g)
        flags.append(0)
        notes.append(note)
    order = list(range(len(grids)))
    rng.shuffle(order)
    cells = np.stack([grids[i] for i in order])
    valid = np.array([flags[i] for i in order], dtype=np.int64)
    notes_t = tuple(notes[i] for i in order)
    # Images: per label, a seeded queue of the split's images of that label, consumed without reuse.
    labels = np.asarray(labels)
    nprng = np.random.default_rng(seed)
    pools = {d: np.flatnonzero(labels == d) for d in range(size)}
    for d in range(size):
        if len(pools[d]) == 0:
            raise ValueError(f"the split has no images of digit {d}")
    queues: dict[int, list] = {d: [] for d in range(size)}
    images = np.empty_like(cells)
    flat_c, flat_i = cells.reshape(-1), images.reshape(-1)
    for pos, d in enumerate(flat_c):
        q = queues[int(d)]
        if not q:  # all images of d used: start a new pass (only 9×9 at 100 puzzles needs this)
            q.extend(nprng.permutation(pools[int(d)]).tolist())
        flat_i[pos] = q.pop()
    return PuzzleSet(cells=cells, images=images, valid=valid, notes=notes_t)


def make_split(splits, size: int, split: int, corruption_chance: float = 0.5, n_train: int = 100,
               n_eval: int = 50) -> dict[str, PuzzleSet]:
    """One of the 10 seeded splits: train (n_train + n_train), valid and test (n_eval + n_eval) each.

    Args:
        splits: MNIST :class:`perception.datasets.Splits`.
        size: 4 or 9.
        split: Split number 0..9 (the seed).
    """
    if not 0 <= split <= 9:
        raise ValueError(f"split must be in 0..9, got {split}")
    base = 42 + 1000 * split
    return {
        "train": make_puzzles(splits.train[1], size, n_train, n_train, base, corruption_chance),
        "valid": make_puzzles(splits.valid[1], size, n_eval, n_eval, base + 1, corruption_chance),
        "test": make_puzzles(splits.test[1], size, n_eval, n_eval, base + 2, corruption_chance),
    }
