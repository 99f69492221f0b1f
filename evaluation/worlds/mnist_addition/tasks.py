"""MNIST-Add-k examples: two k-digit numbers drawn from one MNIST split, each example using 2k images.

As in the Π-NeSy code, the images of a split are shuffled (seeded) and consumed without replacement,
2k per example, so a split of N images gives ⌊N / 2k⌋ examples (50,000 train images → 25,000 examples
at k = 1, 250 at k = 100).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from symbolic.possibilistic.rulebases import sum_digits

VALID_K = (1, 2, 4, 15, 100)


@dataclass(frozen=True)
class AdditionSet:
    """Addition examples of one split.

    Attributes:
        index: Image indices into the split, (n, 2, k): [:, 0] the first number, [:, 1] the second,
            position 0 = units.
        a, b: The operands' digits (n, k), units first.
        sum_digits: Digits of a + b, (n, k+1), units first (the last is the leading 0/1).
    """

    index: np.ndarray
    a: np.ndarray
    b: np.ndarray
    sum_digits: np.ndarray

    def __len__(self) -> int:
        return len(self.index)

    def numbers(self) -> tuple[list[int], list[int], list[int]]:
        """The operands and the sum as Python integers (exact for any k)."""
        def to_int(d: np.ndarray) -> list[int]:
            return [int("".join(map(str, row[::-1]))) for row in d]
        return to_int(self.a), to_int(self.b), to_int(self.sum_digits)

    def gather(self, per_image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per-image rows (e.g. probabilities (N, 10)) arranged as (n, k, ...) for each operand."""
        return per_image[self.index[:, 0]], per_image[self.index[:, 1]]


def make_addition_set(labels: np.ndarray, k: int, seed: int, limit: int | None = None) -> AdditionSet:
    """Build the k-digit addition examples of one split.

    Args:
        labels: Digit labels of the split's images, (N,).
        k: Digits per operand (≥ 1).
        seed: Shuffling seed.
        limit: Keep at most this many examples (None: all ⌊N / 2k⌋).

    Raises:
        ValueError: when k < 1, labels are not digits, or the split is too small for one example.
    """
    labels = np.asarray(labels)
    if not isinstance(k, int | np.integer) or k < 1:
        raise ValueError(f"MNIST-Add: k must be a positive integer, got {k!r}")
    if labels.ndim != 1 or (labels.size and (labels.min() < 0 or labels.max() > 9)):
        raise ValueError(f"labels must be a 1-D array of digits 0..9, got shape {labels.shape}")
    n = len(labels) // (2 * k)
    if n == 0:
        raise ValueError(f"MNIST-Add-{k}: a split of {len(labels)} images is too small for one example "
                         f"(each needs {2 * k})")
    if limit is not None:
        if limit < 1:
            raise ValueError(f"limit must be >= 1, got {limit}")
        n = min(n, limit)
    order = np.random.default_rng(seed).permutation(len(labels))[: n * 2 * k]
    index = order.reshape(n, 2, k)
    a, b = labels[index[:, 0]], labels[index[:, 1]]
    digits, _ = sum_digits(a, b)
    return AdditionSet(index=index, a=a, b=b, sum_digits=digits.numpy())
