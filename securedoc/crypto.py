"""Encryption, decryption, signing and verification on bytes: the only module that touches AES
and Ed25519.

Three algorithms, all from the ``cryptography`` package, nothing home-made:

* AES-GCM (authenticated; what encrypted seals use, with a 256-bit key and a random 96-bit nonce);
* AES-CBC with PKCS#7 padding (unauthenticated; the legacy form, read for compatibility);
* Ed25519 (RFC 8032; what signed seals use: deterministic signatures, checked with a public key).

Every decryption failure raises :class:`~securedoc.errors.DecryptionFailed` with the same message,
whatever went wrong (wrong key, modified tag, bad padding): callers cannot tell the cases apart,
so neither can anyone watching them.
"""

from __future__ import annotations

import os

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from .errors import DecryptionFailed, SignatureInvalid

__all__ = [
    "GCM_NONCE_SIZE",
    "GCM_TAG_SIZE",
    "CBC_IV_SIZE",
    "AES_KEY_SIZES",
    "random_bytes",
    "gcm_encrypt",
    "gcm_decrypt",
    "cbc_encrypt",
    "cbc_decrypt",
    "ED25519_KEY_SIZE",
    "ED25519_SIGNATURE_SIZE",
    "ed25519_public",
    "ed25519_generate",
    "ed25519_sign",
    "ed25519_verify",
]

GCM_NONCE_SIZE = 12
GCM_TAG_SIZE = 16
CBC_IV_SIZE = 16
AES_KEY_SIZES = (16, 24, 32)

ED25519_KEY_SIZE = 32
ED25519_SIGNATURE_SIZE = 64

_FAILED = "the seal does not decrypt with this key: the key is wrong or the seal was changed"


def random_bytes(size: int) -> bytes:
    """Bytes from the operating system's CSPRNG (nonces, IVs, keys)."""
    return os.urandom(size)


def _check_key(key: bytes) -> None:
    if len(key) not in AES_KEY_SIZES:
        # Only the length, never the key.
        raise ValueError(f"an AES key has 16, 24 or 32 bytes, not {len(key)}")


def gcm_encrypt(key: bytes, nonce: bytes, plaintext: bytes, aad: bytes) -> tuple[bytes, bytes]:
    """AES-GCM: returns ``(ciphertext, tag)``; the tag is 16 bytes."""
    _check_key(key)
    sealed = AESGCM(key).encrypt(nonce, plaintext, aad)
    return sealed[:-GCM_TAG_SIZE], sealed[-GCM_TAG_SIZE:]


def gcm_decrypt(key: bytes, nonce: bytes, ciphertext: bytes, tag: bytes, aad: bytes) -> bytes:
    """AES-GCM: the plaintext, or :class:`DecryptionFailed` if anything does not authenticate."""
    _check_key(key)
    if len(tag) != GCM_TAG_SIZE:
        raise DecryptionFailed(_FAILED)
    try:
        return AESGCM(key).decrypt(nonce, ciphertext + tag, aad)
    except (InvalidTag, ValueError):
        # ValueError: a nonce length the library does not accept. Same answer as a bad tag.
        raise DecryptionFailed(_FAILED) from None


def cbc_encrypt(key: bytes, iv: bytes, plaintext: bytes) -> bytes:
    """AES-CBC with PKCS#7 padding (unauthenticated: the legacy form only)."""
    from cryptography.hazmat.primitives import padding  # legacy form only: imported when used

    _check_key(key)
    padder = padding.PKCS7(128).padder()
    padded = padder.update(plaintext) + padder.finalize()
    encryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
    return encryptor.update(padded) + encryptor.finalize()


def cbc_decrypt(key: bytes, iv: bytes, ciphertext: bytes) -> bytes:
    """AES-CBC with PKCS#7 padding: the plaintext, or :class:`DecryptionFailed`.

    Bad length, bad padding and a wrong key all give the same error. The padding check is the
    library's constant-time one. Note that CBC has no integrity: a wrong key or a modified
    ciphertext still "decrypts" whenever the padding happens to be valid, so callers must treat
    the plaintext as untrusted.
    """
    from cryptography.hazmat.primitives import padding

    _check_key(key)
    if len(iv) != CBC_IV_SIZE or not ciphertext or len(ciphertext) % 16:
        raise DecryptionFailed(_FAILED)
    decryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).decryptor()
    padded = decryptor.update(ciphertext) + decryptor.finalize()
    unpadder = padding.PKCS7(128).unpadder()
    try:
        return unpadder.update(padded) + unpadder.finalize()
    except ValueError:
        raise DecryptionFailed(_FAILED) from None


# Ed25519 is imported where used: a run that meets no signed seal does not pay for it at start-up.

_BAD_SIGNATURE = "the signature does not verify with this key: the key is wrong or the signed data was changed"


def ed25519_generate() -> bytes:
    """A new Ed25519 private key: its 32-byte seed (RFC 8032 section 5.1.5), from the OS CSPRNG."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    return Ed25519PrivateKey.generate().private_bytes_raw()


def ed25519_public(seed: bytes) -> bytes:
    """The 32-byte public key of an Ed25519 private key seed."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    if len(seed) != ED25519_KEY_SIZE:
        raise ValueError(f"an Ed25519 private key has {ED25519_KEY_SIZE} bytes, not {len(seed)}")
    return Ed25519PrivateKey.from_private_bytes(seed).public_key().public_bytes_raw()


def ed25519_sign(seed: bytes, message: bytes) -> bytes:
    """The 64-byte Ed25519 signature of ``message`` (deterministic: same key and message, same bytes)."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    if len(seed) != ED25519_KEY_SIZE:
        raise ValueError(f"an Ed25519 private key has {ED25519_KEY_SIZE} bytes, not {len(seed)}")
    return Ed25519PrivateKey.from_private_bytes(seed).sign(message)


def ed25519_verify(public: bytes, signature: bytes, message: bytes) -> None:
    """Check an Ed25519 signature; :class:`SignatureInvalid` if it does not verify, whatever the reason
    (wrong length, a public key that is not a curve point, a non-canonical S, a changed message)."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    if len(signature) != ED25519_SIGNATURE_SIZE or len(public) != ED25519_KEY_SIZE:
        raise SignatureInvalid(_BAD_SIGNATURE)
    try:
        Ed25519PublicKey.from_public_bytes(public).verify(signature, message)
    except (InvalidSignature, ValueError):
        raise SignatureInvalid(_BAD_SIGNATURE) from None
