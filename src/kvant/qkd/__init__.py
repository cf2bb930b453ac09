"""One QKD link: optics Monte Carlo, the BB84 family, key-rate theory, attacks.

``kvant.qkd.keyrate`` holds the formulas (GLLP, decoy bounds, Lim et al. finite keys, PLOB);
this package re-exports the configuration, the Monte Carlo and the end-to-end link analysis.
"""

from kvant.qkd import keyrate
from kvant.qkd._attacks import Attack, InterceptResend, PhotonNumberSplitting, attack_from_dict
from kvant.qkd._channel import ExpectedStatistics, expected_statistics, outcome_table
from kvant.qkd._config import DetectorConfig, FibreConfig, LinkConfig, SourceConfig
from kvant.qkd._detections import Detections, Tally
from kvant.qkd._link import LinkReport, model_link, run_link
from kvant.qkd._montecarlo import DEFAULT_BLOCK_PULSES, iter_detections, simulate_tally
from kvant.qkd._protocols import PROTOCOLS, protocol_source

__all__ = [
    "DEFAULT_BLOCK_PULSES",
    "PROTOCOLS",
    "Attack",
    "Detections",
    "DetectorConfig",
    "ExpectedStatistics",
    "FibreConfig",
    "InterceptResend",
    "LinkConfig",
    "LinkReport",
    "PhotonNumberSplitting",
    "SourceConfig",
    "Tally",
    "attack_from_dict",
    "expected_statistics",
    "iter_detections",
    "keyrate",
    "model_link",
    "outcome_table",
    "protocol_source",
    "run_link",
    "simulate_tally",
]
