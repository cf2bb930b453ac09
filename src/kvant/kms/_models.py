"""ETSI GS QKD 014 V1.1.1 (2019-02) data formats, section 6, as pydantic models.

Field names are the standard's, verbatim (``key_ID``, ``master_SAE_ID``, ...). Requests accept
unknown extension members as the standard allows (``extension_optional``), answer 400 for an
``extension_mandatory`` member the KME does not support (section 6.2), and ``number``/``size``
default to 1 and the KME's ``key_size`` (section 6.2, Table 8).

Also the KME-to-KME messages of Kvant (not part of ETSI 014): the master KME's key assignment
notice and a trusted-node relay hop.
"""

# ruff: noqa: N815  (the field names are the standard's, verbatim)
from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "AssignNotice",
    "AssignedKey",
    "ErrorBody",
    "Key",
    "KeyContainer",
    "KeyIDs",
    "KeyIdRef",
    "KeyRequest",
    "RelayCommit",
    "RelayCommitResult",
    "RelayHop",
    "RelayResult",
    "Status",
]

_EXTENSIONS = ConfigDict(extra="allow")
_STRICT = ConfigDict(extra="forbid")


class Status(BaseModel):
    """Status data format (ETSI GS QKD 014 section 6.1, Table 5)."""

    model_config = _EXTENSIONS

    source_KME_ID: str
    target_KME_ID: str
    master_SAE_ID: str
    slave_SAE_ID: str
    key_size: int
    stored_key_count: int
    max_key_count: int
    max_key_per_request: int
    max_key_size: int
    min_key_size: int
    max_SAE_ID_count: int
    status_extension: dict[str, Any] | None = None


class KeyRequest(BaseModel):
    """Key request data format (section 6.2, Table 8): the body of ``POST enc_keys``."""

    model_config = _EXTENSIONS

    number: int | None = Field(default=None, description="Number of keys (default 1).")
    size: int | None = Field(default=None, description="Key size in bits (default key_size).")
    additional_slave_SAE_IDs: list[str] | None = None
    extension_mandatory: list[dict[str, Any]] | None = None
    extension_optional: list[dict[str, Any]] | None = None


class Key(BaseModel):
    """One key of a key container (section 6.3, Table 11)."""

    key_ID: str
    key_ID_extension: dict[str, Any] | None = None
    key: str = Field(description="Key material, base64 (RFC 4648).")
    key_extension: dict[str, Any] | None = None


class KeyContainer(BaseModel):
    """Key container data format (section 6.3, Table 10): the answer of enc_keys and dec_keys."""

    keys: list[Key]
    key_container_extension: dict[str, Any] | None = None


class KeyIdRef(BaseModel):
    """One entry of a key IDs request (section 6.4, Table 13)."""

    model_config = _EXTENSIONS

    key_ID: str
    key_ID_extension: dict[str, Any] | None = None


class KeyIDs(BaseModel):
    """Key IDs data format (section 6.4, Table 12): the body of ``POST dec_keys``."""

    model_config = _EXTENSIONS

    key_IDs: list[KeyIdRef]
    key_IDs_extension: dict[str, Any] | None = None


class ErrorBody(BaseModel):
    """Error data format (section 6.5, Table 14)."""

    message: str
    details: list[dict[str, Any]] | None = None


class AssignedKey(BaseModel):
    """One key formed by the master KME: its key_ID and the unit ids, in order."""

    model_config = _STRICT

    key_ID: str
    unit_IDs: list[str] = Field(min_length=1, max_length=4096)


class AssignNotice(BaseModel):
    """Master KME -> slave KME: these units form these keys for (master SAE, slave SAE)."""

    model_config = _STRICT

    master_SAE_ID: str
    slave_SAE_ID: str
    keys: list[AssignedKey] = Field(min_length=1, max_length=65536)


class RelayHop(BaseModel):
    """One trusted-node relay hop (Kvant KME-to-KME).

    ``unit_IDs`` name the link-key units of the hop's link used as the one-time pad;
    ``payload`` is the relayed key XOR that pad (base64), or None on the first hop, where the
    relayed key *is* the first link's key.
    """

    model_config = _STRICT

    relay_ID: str
    origin_KME_ID: str
    destination_KME_ID: str
    route: list[str] = Field(min_length=1, max_length=64)
    size: int = Field(gt=0)
    unit_IDs: list[str] = Field(min_length=1, max_length=4096)
    payload: str | None = None


class RelayResult(BaseModel):
    """The answer of a relay hop: the ids the new end-to-end units were stored under."""

    relay_ID: str
    unit_IDs: list[str]


class RelayCommit(BaseModel):
    """The origin of a relay has stored the relayed units (Kvant KME-to-KME): the destination
    may put them in its pool (until then they are pending there, outside it)."""

    model_config = _STRICT

    relay_ID: str
    unit_IDs: list[str] = Field(min_length=1, max_length=4096)


class RelayCommitResult(BaseModel):
    """The answer of a relay commit: how many pending units joined the pool (0 on a retry)."""

    relay_ID: str
    committed: int
