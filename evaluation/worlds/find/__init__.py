"""FIND (Schwettmann et al., NeurIPS 2023): function-interpretation black boxes and their scorers.

- :mod:`.numeric`: 1,000 numeric functions (16 families, compositions; clean, noisy, corrupted, MLP).
- :mod:`.mlp`: the 1->64->1 networks that serve the MLP variant (trained together, cached).
- :mod:`.strings`: 1,000 string functions (about 70 operations and their compositions).
- :mod:`.neurons`: synthetic entity (200) and relation (75) neurons computed by a local model, and
  :class:`~.neurons.NeuronBox`, their (asynchronous) ``run`` tool.
- :mod:`.world`: :class:`FunctionBox`, the ``run`` tool an interpreter probes a function with.
- :mod:`.scoring`: numeric NMSE < 0.1, string exact match, corrupted-interval IoU, description unit tests.

The functions are regenerated from their seed (the released data set is a Zenodo archive without a
licence; only its published design is followed).
"""

from evaluation.worlds.find.neurons import (
    EntityNeuron,
    NeuronBox,
    RelationNeuron,
    generate_entities,
    generate_relations,
)
from evaluation.worlds.find.numeric import NumericFunction, generate_numeric, variant_counts
from evaluation.worlds.find.strings import StringFunction, generate_strings
from evaluation.worlds.find.world import FunctionBox

__all__ = ["EntityNeuron", "FunctionBox", "NeuronBox", "NumericFunction", "RelationNeuron", "StringFunction",
           "generate_entities", "generate_numeric", "generate_relations", "generate_strings", "variant_counts"]
