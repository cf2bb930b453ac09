"""Standard circuits: GHZ, QFT, Bell pairs; used by the demo, tests and benchmarks.

>>> from kvant.circuit.library import ghz, qft
>>> ghz(3).count_ops()
{'h': 1, 'cx': 2}
>>> qft(3).count_ops()
{'h': 3, 'cp': 3, 'swap': 1}
"""

from kvant.circuit.library._standard import bell_pair, ghz, qft

__all__ = ["bell_pair", "ghz", "qft"]
