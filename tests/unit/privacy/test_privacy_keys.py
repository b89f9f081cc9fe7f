"""Master key loading, redaction and purpose-key derivation."""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import logging
import pickle

import pytest

from privacy.keys import (
    BLOOM,
    DEMO_KEY_HEX,
    ENV_DEMO_MODE,
    ENV_KEY,
    ENV_KEYVAULT_SECRET_NAME,
    ENV_KEYVAULT_URL,
    LINKAGE,
    InvalidKeyError,
    MissingKeyError,
    PseudonymisationKey,
    derive_key,
    load_master_key,
    release_key,
)

SECRET = bytes(range(100, 140))  # 40 bytes


def _renderings(secret: bytes) -> list[str]:
    return [
        secret.hex(),
        secret.hex().upper(),
        base64.b64encode(secret).decode(),
        base64.urlsafe_b64encode(secret).decode().rstrip("="),
        repr(secret),
        secret[:8].hex(),
    ]


def test_repr_str_and_format_never_reveal_the_secret() -> None:
    key = PseudonymisationKey(SECRET, source="test")
    for shown in (repr(key), str(key), f"{key}", f"{key!r}", f"{key:>10}", repr([key]), repr({"k": key})):
        assert "<redacted>" in shown
        for rendering in _renderings(SECRET):
            assert rendering not in shown


def test_logging_a_key_does_not_reveal_it(caplog: pytest.LogCaptureFixture) -> None:
    key = PseudonymisationKey(SECRET, source="test")
    with caplog.at_level(logging.DEBUG):
        logging.getLogger("test").info("using %s / %r", key, key)
    for rendering in _renderings(SECRET):
        assert rendering not in caplog.text


def test_pickling_a_key_is_refused() -> None:
    with pytest.raises(TypeError, match="cannot be pickled"):
        pickle.dumps(PseudonymisationKey(SECRET, source="test"))


def test_copies_are_the_same_object_rather_than_pickled() -> None:
    key = PseudonymisationKey(SECRET, source="test")
    assert copy.deepcopy(key) is key
    assert copy.copy(key) is key


def test_equality_and_fingerprint() -> None:
    a = PseudonymisationKey(SECRET, source="a")
    b = PseudonymisationKey(SECRET, source="b")
    c = PseudonymisationKey(SECRET[::-1], source="c")
    assert a == b and a != c
    assert a.fingerprint == b.fingerprint != c.fingerprint
    assert len(a.fingerprint) == 16


def test_short_secret_is_rejected() -> None:
    with pytest.raises(InvalidKeyError, match="at least 32"):
        PseudonymisationKey(b"x" * 31, source="test")


@pytest.mark.parametrize(
    "encoded",
    [
        SECRET.hex(),
        SECRET.hex().upper(),
        f"  {SECRET.hex()}\n",
        base64.b64encode(SECRET).decode(),
        base64.urlsafe_b64encode(SECRET).decode().rstrip("="),
    ],
)
def test_env_key_accepts_hex_and_base64(encoded: str) -> None:
    assert load_master_key({ENV_KEY: encoded}) == PseudonymisationKey(SECRET, source="x")


def test_hex_is_preferred_over_base64_for_ambiguous_strings() -> None:
    # 64 hex digits are also valid base64; reading them as base64 would silently change the key.
    digits = bytes(range(0xA0, 0xC0)).hex()
    assert load_master_key({ENV_KEY: digits}) == PseudonymisationKey(bytes(range(0xA0, 0xC0)), source="x")


@pytest.mark.parametrize("placeholder", ["00" * 32, "zz" * 40, "changeme" * 6])
def test_placeholder_keys_are_rejected(placeholder: str) -> None:
    with pytest.raises(InvalidKeyError, match="not random"):
        load_master_key({ENV_KEY: placeholder})


@pytest.mark.parametrize("bad", ["00" * 31, base64.b64encode(bytes(range(20))).decode(), "not a key!!"])
def test_unusable_env_key_gives_a_clear_error_without_echoing_it(bad: str) -> None:
    with pytest.raises(InvalidKeyError) as error:
        load_master_key({ENV_KEY: bad})
    assert ENV_KEY in str(error.value)
    assert bad not in str(error.value)


def test_no_configuration_refuses_with_instructions() -> None:
    with pytest.raises(MissingKeyError) as error:
        load_master_key({})
    message = str(error.value)
    assert "vrlake refuses to ingest without a key" in message
    for variable in (ENV_KEY, ENV_KEYVAULT_URL, ENV_KEYVAULT_SECRET_NAME, ENV_DEMO_MODE):
        assert variable in message


@pytest.mark.parametrize("value", ["0", "true", "yes", ""])
def test_demo_mode_needs_exactly_1(value: str) -> None:
    with pytest.raises(MissingKeyError):
        load_master_key({ENV_DEMO_MODE: value})


def test_demo_mode_uses_the_published_key_with_a_loud_warning(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        key = load_master_key({ENV_DEMO_MODE: "1"})
    assert key.is_demo
    assert key == PseudonymisationKey(bytes.fromhex(DEMO_KEY_HEX), source="x")
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings and "NOT protected" in warnings[0].getMessage()
    assert "DEMO" in repr(key)


def test_env_key_takes_precedence_over_key_vault_and_demo() -> None:
    def fail(url: str, name: str) -> str:
        raise AssertionError("Key Vault must not be called when the env key is set")

    env = {
        ENV_KEY: SECRET.hex(),
        ENV_KEYVAULT_URL: "https://v.vault.azure.net/",
        ENV_KEYVAULT_SECRET_NAME: "k",
        ENV_DEMO_MODE: "1",
    }
    key = load_master_key(env, fetch_secret=fail)
    assert key == PseudonymisationKey(SECRET, source="x") and not key.is_demo


def test_key_vault_secret_is_fetched_and_parsed() -> None:
    calls: list[tuple[str, str]] = []

    def fetch(url: str, name: str) -> str:
        calls.append((url, name))
        return base64.b64encode(SECRET).decode()

    env = {ENV_KEYVAULT_URL: "https://v.vault.azure.net/", ENV_KEYVAULT_SECRET_NAME: "vrlake-key"}
    key = load_master_key(env, fetch_secret=fetch)
    assert calls == [("https://v.vault.azure.net/", "vrlake-key")]
    assert key == PseudonymisationKey(SECRET, source="x")
    assert "vrlake-key" in key.source


def test_half_configured_key_vault_is_an_error_not_a_fallback_to_demo() -> None:
    with pytest.raises(MissingKeyError, match="half configured"):
        load_master_key({ENV_KEYVAULT_URL: "https://v.vault.azure.net/", ENV_DEMO_MODE: "1"})


def _rfc5869_hkdf_sha256(ikm: bytes, salt: bytes, info: bytes, length: int) -> bytes:
    prk = hmac.new(salt, ikm, hashlib.sha256).digest()
    okm, block, counter = b"", b"", 1
    while len(okm) < length:
        block = hmac.new(prk, block + info + bytes([counter]), hashlib.sha256).digest()
        okm += block
        counter += 1
    return okm[:length]


def test_derive_key_is_hkdf_sha256_with_the_purpose_as_info() -> None:
    key = PseudonymisationKey(SECRET, source="test")
    expected = _rfc5869_hkdf_sha256(SECRET, b"vrlake/hkdf/v1", LINKAGE.encode(), 32)
    assert derive_key(key, LINKAGE) == expected


def test_derived_keys_are_deterministic_and_distinct_per_purpose_and_release() -> None:
    key = PseudonymisationKey(SECRET, source="test")
    derived = {
        derive_key(key, LINKAGE),
        derive_key(key, BLOOM),
        release_key(key, "2026-11-a"),
        release_key(key, "2026-11-b"),
        SECRET[:32],
    }
    assert len(derived) == 5
    assert derive_key(key, LINKAGE) == derive_key(PseudonymisationKey(SECRET, source="again"), LINKAGE)
    assert release_key(key, "2026-11-a") == release_key(key, "2026-11-a")


def test_release_key_needs_an_id() -> None:
    with pytest.raises(ValueError):
        release_key(PseudonymisationKey(SECRET, source="test"), " ")


def test_derive_key_rejects_raw_bytes() -> None:
    with pytest.raises(TypeError):
        derive_key(SECRET, LINKAGE)  # type: ignore[arg-type]
