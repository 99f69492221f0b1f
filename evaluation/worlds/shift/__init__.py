"""Distribution-shift world: condition-specific classifiers and shifted test sets (see :mod:`.world`)."""

from evaluation.worlds.shift.world import (
    CACHE_VERSION,
    MODEL_NAMES,
    TEST_SHIFTS,
    TRAIN_CONDITIONS,
    ShiftWorld,
    cache_dir,
)

__all__ = ["CACHE_VERSION", "MODEL_NAMES", "TEST_SHIFTS", "TRAIN_CONDITIONS", "ShiftWorld", "cache_dir"]
