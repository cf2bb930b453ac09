"""One QKD link: optics Monte Carlo, the BB84 family, key-rate theory, attacks, and the
post-processing that turns detections into secret keys.

``kvant.qkd.keyrate`` holds the formulas (GLLP, decoy bounds, Lim et al. finite keys, PLOB);
this package re-exports the configuration, the Monte Carlo, the end-to-end link analysis and
the post-processing stages (sifting, estimation, Cascade and LDPC reconciliation,
verification, Toeplitz privacy amplification, Wegman-Carter authentication) with the
:class:`Pipeline` that composes them.
"""

from kvant.qkd import keyrate
from kvant.qkd._attacks import Attack, InterceptResend, PhotonNumberSplitting, attack_from_dict
from kvant.qkd._authentication import KeyPool, Message, WegmanCarterAuthenticator
from kvant.qkd._cascade import CascadePass, CascadeReconciler, cascade_passes, pass_order
from kvant.qkd._channel import ExpectedStatistics, expected_statistics, outcome_table
from kvant.qkd._classical import ClassicalChannel
from kvant.qkd._config import DetectorConfig, FibreConfig, LinkConfig, SourceConfig
from kvant.qkd._detections import Detections, Tally
from kvant.qkd._estimation import (
    ParameterEstimate,
    QberEstimate,
    estimate_parameters,
    qber_upper_bound,
)
from kvant.qkd._keyblock import EpsilonBudget, KeyBlock, Leakage
from kvant.qkd._ldpc import LdpcReconciler
from kvant.qkd._ldpc_codes import LdpcCode, code_family
from kvant.qkd._link import LinkReport, model_link, run_link
from kvant.qkd._montecarlo import DEFAULT_BLOCK_PULSES, iter_detections, simulate_tally
from kvant.qkd._pipeline import Pipeline, PipelineConfig, reconciler_by_name
from kvant.qkd._protocols import PROTOCOLS, protocol_source
from kvant.qkd._reconcile import Reconciler, ReconciliationResult, reconciliation_efficiency
from kvant.qkd._sifting import SiftedKey, sift
from kvant.qkd._toeplitz import amplify_privacy, toeplitz_hash, toeplitz_matrix
from kvant.qkd._verification import VerificationResult, verify_keys

__all__ = [
    "DEFAULT_BLOCK_PULSES",
    "PROTOCOLS",
    "Attack",
    "CascadePass",
    "CascadeReconciler",
    "ClassicalChannel",
    "Detections",
    "DetectorConfig",
    "EpsilonBudget",
    "ExpectedStatistics",
    "FibreConfig",
    "InterceptResend",
    "KeyBlock",
    "KeyPool",
    "LdpcCode",
    "LdpcReconciler",
    "Leakage",
    "LinkConfig",
    "LinkReport",
    "Message",
    "ParameterEstimate",
    "PhotonNumberSplitting",
    "Pipeline",
    "PipelineConfig",
    "QberEstimate",
    "Reconciler",
    "ReconciliationResult",
    "SiftedKey",
    "SourceConfig",
    "Tally",
    "VerificationResult",
    "WegmanCarterAuthenticator",
    "amplify_privacy",
    "attack_from_dict",
    "cascade_passes",
    "code_family",
    "estimate_parameters",
    "expected_statistics",
    "iter_detections",
    "keyrate",
    "model_link",
    "outcome_table",
    "pass_order",
    "protocol_source",
    "qber_upper_bound",
    "reconciler_by_name",
    "reconciliation_efficiency",
    "run_link",
    "sift",
    "simulate_tally",
    "toeplitz_hash",
    "toeplitz_matrix",
    "verify_keys",
]
