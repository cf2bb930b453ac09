"""Fuzzing of the KME API from its committed OpenAPI document (Schemathesis), over mutual TLS.

Every generated request (valid and invalid bodies, paths, queries) must get an answer below 500:
the API answers 400/401/503 with an ETSI error body, never a server crash.
"""

from __future__ import annotations

from pathlib import Path

import requests
import schemathesis
from hypothesis import HealthCheck, settings

from kvant.kms import LoopbackNetwork

SCHEMA = schemathesis.openapi.from_path(
    str(Path(__file__).parents[2] / "docs" / "kms-openapi.json")
)

SESSIONS: dict[str, requests.Session] = {}


@SCHEMA.parametrize()
@settings(
    max_examples=20,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_no_request_makes_the_kme_fail(case: schemathesis.Case, kms_net: LoopbackNetwork) -> None:
    certs = kms_net.root / "certs"
    role = "kme-a" if case.path.startswith("/kme/") else "sae-1"
    response = case.call(
        base_url=kms_net.url("kme-b"),
        session=SESSIONS.setdefault(role, requests.Session()),  # keep-alive across examples
        timeout=30,
        verify=str(certs / "ca.pem"),
        cert=(str(certs / f"{role}.pem"), str(certs / f"{role}.key")),
    )
    assert response.status_code < 500, (case.method, case.path, response.text)
    if response.status_code >= 400:
        assert "message" in response.json()
