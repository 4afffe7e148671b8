"""Model documents: their envelope, and HMAC-SHA256 signatures over their canonical
JSON, with the standard library.

One source for ``emkit.io`` (``to_json(key=)``, ``from_json(key=)``, ``load``)
and ``emkit.light`` (``from_json(key=)``), so that both refuse the same files
with the same messages (``read_document``). Keep this module free of NumPy, scikit-learn, scipy
and numba imports: ``emkit.light`` imports it.

A signed document is the canonical serialisation (``canonical``) of the
content plus a ``"signature"`` entry: the algorithm, a key id (which tells a
wrong key from tampering and says no more of the key than a signature does),
and the HMAC of the canonical content. The key is never shown.
"""

from __future__ import annotations

import hashlib
import hmac
import json

SIGNATURE_ALGORITHM = "HMAC-SHA256"
FORMAT = "emkit-model"
VERSION = 1
_BYTE_ORDER_MARK = b"\xef\xbb\xbf"


def key_bytes(key: str | bytes | None) -> bytes | None:
    """The key as bytes (a str as UTF-8), checked; None for no key. Never shown."""
    if key is None:
        return None
    if not isinstance(key, (str, bytes, bytearray)):
        raise TypeError(f"key must be str or bytes, got {type(key).__name__}.")
    key = key.encode("utf-8") if isinstance(key, str) else bytes(key)
    if not key:
        raise ValueError("key must not be empty.")
    return key


def canonical(document: dict) -> str:
    """The one serialisation of a document that is signed and that a signed file holds."""
    return json.dumps(
        document, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False
    )


def _mac(key: bytes, message: bytes) -> str:
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def _key_id(key: bytes) -> str:
    """Tells a wrong key from tampering; says no more of the key than a signature does."""
    return _mac(key, b"emkit model key id")[:16]


def signed(document: dict, key: bytes) -> str:
    """The signed document's text: canonical, with its ``"signature"`` entry."""
    signature = {
        "algorithm": SIGNATURE_ALGORITHM,
        "key_id": _key_id(key),
        "value": _mac(key, canonical(document).encode("ascii")),
    }
    return canonical({**document, "signature": signature})


def _same(text: str, expected: str) -> bool:
    return hmac.compare_digest(text.encode("utf-8"), expected.encode("utf-8"))


def verify(text: str | bytes | bytearray, document: dict, key: bytes) -> None:
    """Refuse a document that is unsigned, signed with another key, or changed since.

    ``document`` is ``text`` parsed; the messages say which, and never show the key.
    """
    signature = document.get("signature")
    if signature is None:
        raise ValueError(
            "model file: unsigned, and a key was given: only a model signed with that key "
            "(to_json(model, key=...)) is accepted."
        )
    names = ("algorithm", "key_id", "value")
    if not (
        isinstance(signature, dict)
        and set(signature) == set(names)
        and all(isinstance(signature[name], str) for name in names)
        and signature["algorithm"] == SIGNATURE_ALGORITHM
    ):
        raise ValueError("model file: tampered: its signature is not one to_json writes.")
    if not _same(signature["key_id"], _key_id(key)):
        raise ValueError("model file: signed with a different key than the one given.")
    content = {name: value for name, value in document.items() if name != "signature"}
    try:
        canonical_content, whole = canonical(content), canonical(document)
    except (RecursionError, ValueError):
        raise ValueError("model file: tampered: its content cannot be serialised.") from None
    if not _same(signature["value"], _mac(key, canonical_content.encode("ascii"))):
        raise ValueError("model file: tampered: its content does not match its signature.")
    # json.loads takes bytes that start with a byte order mark (as some editors write)
    written = text.encode("utf-8") if isinstance(text, str) else bytes(text)
    written = written.removeprefix(_BYTE_ORDER_MARK)
    if not hmac.compare_digest(written, whole.encode("ascii")):
        raise ValueError(
            "model file: tampered: not the text to_json signed (a signed file must be kept "
            "byte for byte as written, not reformatted)."
        )


def _refuse_constant(name: str):
    raise ValueError(f"model file: {name} is not allowed in a model file.")


def read_document(
    text: str | bytes | bytearray, key: bytes | None, kinds, reader: str
) -> tuple[str, dict, dict]:
    """The kind, parameters and attributes of a model document, its envelope checked
    (and its signature, with ``key``); ``kinds`` are those ``reader`` reads."""
    try:
        document = json.loads(text, parse_constant=_refuse_constant)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ValueError(f"model file: not valid JSON ({error}).") from None
    except RecursionError:
        raise ValueError("model file: nested too deeply to be an emkit model.") from None
    if key is not None and isinstance(document, dict):
        verify(text, document, key)
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ValueError(f'model file: not an emkit model (no "format": "{FORMAT}").')
    version = document.get("version")
    if type(version) is not int or not 1 <= version <= VERSION:  # not True either
        raise ValueError(
            f"model file: format version {version!r} is not supported; this emkit reads "
            f"versions 1 to {VERSION}."
        )
    kind = document.get("kind")
    if not isinstance(kind, str) or kind not in kinds:
        raise ValueError(f"model file: unknown kind {kind!r}; {reader} reads {', '.join(kinds)}.")
    params, attributes = document.get("params"), document.get("attributes")
    if not isinstance(params, dict) or not isinstance(attributes, dict):
        raise ValueError("model file: 'params' and 'attributes' must be JSON objects.")
    return kind, params, attributes
