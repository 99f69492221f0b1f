"""Errors of the possibilistic engine: each message names the tensor, rule or attribute at fault."""

from __future__ import annotations


class PossibilisticError(ValueError):
    """Base class of the engine's input errors (a ``ValueError``)."""


class DistributionError(PossibilisticError):
    """A probability distribution does not sum to 1, or a possibility distribution's max is not 1."""


class RangeError(PossibilisticError):
    """A degree outside [0, 1], or NaN, where the min–max kernels need possibility degrees."""


class ShapeError(PossibilisticError):
    """Tensors whose shapes do not fit together (names the tensor and both shapes)."""


class DomainError(PossibilisticError):
    """A rule or a label mentions a value outside its attribute's declared domain."""


class RuleError(PossibilisticError):
    """A rule is malformed: empty premise, empty condition or conclusion, bad parameters."""


class NotFittedError(PossibilisticError, AttributeError):
    """An estimator is used before :meth:`fit` (mirrors scikit-learn's ``NotFittedError``)."""
