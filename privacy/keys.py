"""The pseudonymisation master key: where it comes from and how purpose keys are derived from it.

NHS numbers have fewer than 10^9 valid values, so an unkeyed or publicly salted hash is reversible by
enumeration. vrlake therefore pseudonymises only with keyed functions (HMAC-SHA256, keyed Bloom filters) whose
secret lives outside the lake: in an environment variable injected by the platform, or in Azure Key Vault.

Guarantees of this module:

* ``PseudonymisationKey`` never reveals its secret through ``repr``, ``str``, ``format`` or pickling.
* Nothing here logs key material; the only key-derived value ever shown is a short one-way fingerprint.
* Every use of the key goes through ``derive_key`` (HKDF-SHA256), so linkage tokens, Bloom filters and each
  Level 3 release use unrelated keys: a leak or a join in one purpose says nothing about another.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import logging
import os
import re
from collections.abc import Callable, Mapping
from typing import Any, NoReturn

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

logger = logging.getLogger(__name__)

# Environment variables read by load_master_key (names only; values are never logged).
ENV_KEY = "VRLAKE_PSEUDONYMISATION_KEY"
ENV_KEYVAULT_URL = "VRLAKE_KEYVAULT_URL"
ENV_KEYVAULT_SECRET_NAME = "VRLAKE_KEYVAULT_SECRET_NAME"
ENV_DEMO_MODE = "VRLAKE_DEMO_MODE"

MIN_KEY_BYTES = 32
# 32 random bytes almost surely hold 25+ distinct values; fewer than 16 means a placeholder such as
# "0000..." or a repeated pattern, which would make every token guessable.
MIN_DISTINCT_KEY_BYTES = 16
DERIVED_KEY_BYTES = 32

# Purposes for derive_key. The "-v1" suffix lets a future scheme change derive new keys without ambiguity.
LINKAGE = "linkage-token-v1"
BLOOM = "bloom-filter-v1"
RELEASE_PREFIX = "release-pseudonym-v1:"
FINGERPRINT = "key-fingerprint-v1"

# A fixed, non-secret HKDF salt: it separates vrlake's derivations from any other use of the same secret.
_HKDF_SALT = b"vrlake/hkdf/v1"

# The demo key is deliberately public (it is in the source code), so data pseudonymised with it is NOT
# protected: anyone can recompute every token. It exists only so the synthetic demo runs without setup.
# The ASCII text "VRLAKE-PUBLIC-DEMO-KEY-NOT-SECRET" (33 bytes), hex-encoded.
DEMO_KEY_HEX = "56524c414b452d5055424c49432d44454d4f2d4b45592d4e4f542d534543524554"
DEMO_WARNING = (
    "vrlake is running in DEMO MODE with the published demo pseudonymisation key. Data pseudonymised with it "
    "is NOT protected: anyone can recompute its tokens. Use it only with synthetic data; set "
    f"{ENV_KEY} or {ENV_KEYVAULT_URL} + {ENV_KEYVAULT_SECRET_NAME} for real data."
)

MISSING_KEY_MESSAGE = (
    "No pseudonymisation key is configured, and vrlake refuses to ingest without a key: identifiers would "
    "otherwise reach the lake unprotected or protected by a guessable secret.\n"
    "Configure one of:\n"
    f"  1. {ENV_KEY}=<secret of at least {MIN_KEY_BYTES} random bytes, hex or base64>, e.g. generate one with\n"
    '     python -c "import secrets; print(secrets.token_hex(32))" and keep it outside the lake;\n'
    f"  2. {ENV_KEYVAULT_URL}=https://<vault>.vault.azure.net/ and {ENV_KEYVAULT_SECRET_NAME}=<secret name>\n"
    "     (read with Azure DefaultAzureCredential: managed identity, workload identity or `az login`);\n"
    f"  3. for the synthetic demo only: {ENV_DEMO_MODE}=1 (uses a published key; offers NO protection).\n"
    "Keep the same key for the life of the lake: a different key produces different tokens, so records "
    "pseudonymised with the old key no longer link."
)

_HEX_RE = re.compile(r"^(?:[0-9a-fA-F]{2})+$")


class MissingKeyError(RuntimeError):
    """No pseudonymisation key is configured; the message says how to configure one."""


class InvalidKeyError(ValueError):
    """A key was supplied but cannot be used (wrong encoding or too short). Never includes the key itself."""


class PseudonymisationKey:
    """The master secret for pseudonymisation.

    Guarantees: ``repr``/``str``/``format`` show only a one-way fingerprint and the source, never the secret;
    pickling is refused so the secret cannot leak into run storage, caches or logs of a scheduler (load the
    key in the process that uses it). Comparison is constant-time. Use ``derive_key`` to get purpose keys;
    the raw secret is reachable only through the deliberately awkward ``_reveal`` used by ``derive_key``.
    """

    __slots__ = ("_secret", "is_demo", "source")

    def __init__(self, secret: bytes, *, source: str, is_demo: bool = False) -> None:
        if not isinstance(secret, bytes | bytearray):
            raise TypeError("PseudonymisationKey needs bytes")
        if len(secret) < MIN_KEY_BYTES:
            raise InvalidKeyError(
                f"the pseudonymisation key from {source} is {len(secret)} bytes; at least {MIN_KEY_BYTES} "
                "random bytes are required"
            )
        if len(set(secret)) < MIN_DISTINCT_KEY_BYTES:
            raise InvalidKeyError(
                f"the pseudonymisation key from {source} is not random (too few distinct byte values): "
                'generate one with python -c "import secrets; print(secrets.token_hex(32))"'
            )
        self._secret = bytes(secret)
        self.source = source
        self.is_demo = is_demo

    def _reveal(self) -> bytes:
        return self._secret

    @property
    def fingerprint(self) -> str:
        """A short, one-way identifier of the key (16 hex chars), safe to log to tell keys apart."""
        return derive_key(self, FINGERPRINT)[:8].hex()

    def __repr__(self) -> str:
        demo = ", DEMO (not protected)" if self.is_demo else ""
        return f"PseudonymisationKey(<redacted>, fingerprint={self.fingerprint}, source={self.source}{demo})"

    __str__ = __repr__

    def __format__(self, format_spec: str) -> str:
        return repr(self)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PseudonymisationKey):
            return NotImplemented
        return hmac.compare_digest(self._secret, other._secret)

    def __hash__(self) -> int:
        return hash(self.fingerprint)

    def __reduce__(self) -> NoReturn:
        raise TypeError(
            "PseudonymisationKey cannot be pickled: the secret must not be serialised into run storage or "
            "caches. Load it with load_master_key() in the process that needs it."
        )

    def __copy__(self) -> PseudonymisationKey:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> PseudonymisationKey:
        return self


def parse_key_material(text: str, *, source: str) -> bytes:
    """Decode a key given as hex (tried first) or base64 (standard or URL-safe, padding optional).

    A string of an even number of hex digits is always read as hex, because a hex string is also valid
    base64 and reading it as base64 would silently produce a different key. Errors never echo the value.
    """
    text = text.strip()
    if not text:
        raise InvalidKeyError(f"the pseudonymisation key from {source} is empty")
    if _HEX_RE.fullmatch(text):
        decoded = bytes.fromhex(text)
    else:
        normalised = text.replace("-", "+").replace("_", "/")
        normalised += "=" * (-len(normalised) % 4)
        try:
            decoded = base64.b64decode(normalised, validate=True)
        except (binascii.Error, ValueError):
            raise InvalidKeyError(
                f"the pseudonymisation key from {source} is neither hex nor base64; give at least "
                f"{MIN_KEY_BYTES} random bytes encoded as hex (64+ hex digits) or base64"
            ) from None
    if len(decoded) < MIN_KEY_BYTES:
        raise InvalidKeyError(
            f"the pseudonymisation key from {source} decodes to {len(decoded)} bytes; at least "
            f'{MIN_KEY_BYTES} random bytes are required (e.g. python -c "import secrets; '
            'print(secrets.token_hex(32))")'
        )
    return decoded


SecretFetcher = Callable[[str, str], str]
"""(vault_url, secret_name) -> secret value. Injected in tests; the default uses Azure Key Vault."""


def _fetch_from_key_vault(vault_url: str, secret_name: str) -> str:
    # Imported lazily: the Azure SDK is slow to import and only deployments that use Key Vault need it.
    from azure.identity import DefaultAzureCredential
    from azure.keyvault.secrets import SecretClient

    client = SecretClient(vault_url=vault_url, credential=DefaultAzureCredential())
    value = client.get_secret(secret_name).value
    if value is None:
        raise InvalidKeyError(f"Key Vault secret {secret_name!r} at {vault_url} has no value")
    return value


def load_master_key(
    env: Mapping[str, str], *, fetch_secret: SecretFetcher | None = None
) -> PseudonymisationKey:
    """Load the master key from configuration, in this order of precedence.

    1. ``VRLAKE_PSEUDONYMISATION_KEY``: hex or base64, at least 32 bytes.
    2. ``VRLAKE_KEYVAULT_URL`` + ``VRLAKE_KEYVAULT_SECRET_NAME``: the secret (hex or base64) from Azure Key
       Vault through ``DefaultAzureCredential``.
    3. ``VRLAKE_DEMO_MODE=1``: the published demo key, with a loud warning that it protects nothing.

    Raises ``MissingKeyError`` (plain-English instructions) when none is configured and ``InvalidKeyError``
    when a configured key is unusable. Never logs or echoes key material. ``env`` is passed in (rather than
    read from ``os.environ``) so callers decide where configuration comes from and tests need no patching.
    """
    raw = env.get(ENV_KEY, "").strip()
    if raw:
        return PseudonymisationKey(parse_key_material(raw, source=ENV_KEY), source=ENV_KEY)

    vault_url = env.get(ENV_KEYVAULT_URL, "").strip()
    secret_name = env.get(ENV_KEYVAULT_SECRET_NAME, "").strip()
    if vault_url and secret_name:
        fetch = fetch_secret or _fetch_from_key_vault
        source = f"Azure Key Vault secret {secret_name!r} at {vault_url}"
        return PseudonymisationKey(
            parse_key_material(fetch(vault_url, secret_name), source=source), source=source
        )
    if vault_url or secret_name:
        raise MissingKeyError(
            f"Key Vault is half configured: set both {ENV_KEYVAULT_URL} and {ENV_KEYVAULT_SECRET_NAME}.\n\n"
            + MISSING_KEY_MESSAGE
        )

    if env.get(ENV_DEMO_MODE, "").strip() == "1":
        logger.warning(DEMO_WARNING)
        return PseudonymisationKey(bytes.fromhex(DEMO_KEY_HEX), source="published demo key", is_demo=True)

    raise MissingKeyError(MISSING_KEY_MESSAGE)


def derive_key(master: PseudonymisationKey, purpose: str) -> bytes:
    """Derive a 32-byte key for one purpose with HKDF-SHA256 (RFC 5869), ``info`` = the purpose string.

    Deterministic per (master, purpose); keys for different purposes are computationally unrelated, so
    tokens made for one purpose cannot be matched against another. The result is secret: never log it.
    """
    if not isinstance(master, PseudonymisationKey):
        raise TypeError("derive_key needs a PseudonymisationKey (load it with load_master_key)")
    if not purpose:
        raise ValueError("purpose must be a non-empty string")
    hkdf = HKDF(algorithm=hashes.SHA256(), length=DERIVED_KEY_BYTES, salt=_HKDF_SALT, info=purpose.encode())
    return hkdf.derive(master._reveal())


def release_key(master: PseudonymisationKey, release_id: str) -> bytes:
    """The key for Level 3 pseudonyms of one release: different releases get unrelated pseudonyms.

    ``release_id`` must be stable and unique per release (e.g. ``"2026-11-navigator-cohort"``); reusing an id
    reproduces the same pseudonyms, which is what makes re-issuing a release consistent.
    """
    if not release_id or not release_id.strip():
        raise ValueError("release_id must be a non-empty string")
    return derive_key(master, RELEASE_PREFIX + release_id)


def load_master_key_from_environment() -> PseudonymisationKey:
    """`load_master_key` from this process's environment: how a worker process loads the key its parent uses.

    Module level, so that it can be sent to another process by name; a worker inherits its parent's environment,
    so the key is found where the parent found it and never passes between the processes.
    """
    return load_master_key(os.environ)
