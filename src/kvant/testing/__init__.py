"""Reusable checks for every engine: random circuits, a dense reference, agreement asserts.

>>> from kvant.testing import assert_engines_agree, random_circuit
>>> assert_engines_agree(random_circuit(4, 6, seed=11))
"""

from kvant.testing._assertions import assert_counts_match, assert_engines_agree, state_fidelity
from kvant.testing._dense import (
    DENSE_MAX_QUBITS,
    dense_distribution,
    dense_unitary,
    embed_little_endian,
)
from kvant.testing._random import random_circuit, random_state_vector, random_unitary

__all__ = [
    "DENSE_MAX_QUBITS",
    "assert_counts_match",
    "assert_engines_agree",
    "dense_distribution",
    "dense_unitary",
    "embed_little_endian",
    "random_circuit",
    "random_state_vector",
    "random_unitary",
    "state_fidelity",
]
