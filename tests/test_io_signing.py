"""Signed model files (issue 22): to_json(key=) signs, from_json(key=) and load(key=) accept
only the unchanged document signed with that key, and the key is never shown.

emkit.light.from_json(key=) shares the verification (emkit._signing): each refusal is
checked for both readers, ``read`` below."""

import hashlib
import hmac
import json
import logging
import warnings

import numpy as np
import pytest
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from emkit import HMMEM, EMImputer, GaussianMixtureEM, SemiSupervisedEM, light
from emkit.io import from_json, load, save, to_json

RNG = np.random.default_rng(0)
X = RNG.normal(size=(40, 2)) + np.repeat([[0.0, 0.0], [5.0, 5.0]], 20, axis=0)
X_MISSING = np.where(RNG.random(X.shape) < 0.1, np.nan, X)
Y = np.where(RNG.random(40) < 0.5, np.repeat([0, 1], 20), -1)
KEY = b"k3y-that-must-never-be-shown-9f1c"
OTHER_KEY = b"another-key-also-never-shown-77aa"


def fitted():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return [
            (GaussianMixtureEM(2, covariance_type="full", random_state=0).fit(X), X),
            (HMMEM(2, random_state=0).fit(X), X),
            (
                EMImputer(n_components=2, add_indicator=True, random_state=0).fit(X_MISSING),
                X_MISSING,
            ),
            (SemiSupervisedEM(random_state=0).fit(X, Y), X),
        ]


MODELS = fitted()
GM = MODELS[0][0]
# Both readers of signed documents: the estimators' and the NumPy-only predictor's.
READERS = pytest.mark.parametrize("read", [from_json, light.from_json], ids=["io", "light"])


def canonical(document):
    return json.dumps(
        document, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False
    )


def outputs(model, data):
    if hasattr(model, "transform"):  # an imputer
        return [model.transform(data)]
    values = [model.predict_proba(data), model.predict(data)]
    if hasattr(model, "score_samples") and not hasattr(model, "classes_"):  # a mixture
        values.append(model.score_samples(data))
    if hasattr(model, "transmat_"):  # an HMM
        values.append(model.score(data))
    return values


@pytest.mark.parametrize("model, data", MODELS, ids=lambda v: type(v).__name__)
def test_signing_does_not_change_what_loads(model, data):
    unsigned = from_json(to_json(model))
    signed = to_json(model, key=KEY)
    for loaded in (from_json(signed, key=KEY), from_json(signed)):  # without a key too
        assert json.loads(to_json(loaded)) == json.loads(to_json(model))  # keys sorted
        for expected, got in zip(outputs(unsigned, data), outputs(loaded, data), strict=True):
            np.testing.assert_array_equal(got, expected)
    unsigned = light.from_json(to_json(model))
    for loaded in (light.from_json(signed, key=KEY), light.from_json(signed)):
        for expected, got in zip(outputs(unsigned, data), outputs(loaded, data), strict=True):
            np.testing.assert_array_equal(got, expected)


def test_the_signature_is_the_hmac_of_the_canonical_content():
    text = to_json(GM, key=KEY)
    document = json.loads(text)
    signature = document.pop("signature")
    assert json.loads(to_json(GM)) == document  # the same content as unsigned
    assert signature["algorithm"] == "HMAC-SHA256"
    expected = hmac.new(KEY, canonical(document).encode("ascii"), hashlib.sha256).hexdigest()
    assert signature["value"] == expected
    assert text == canonical({**document, "signature": signature})  # written canonically


def test_a_str_key_is_its_utf8_bytes_and_bytearray_is_bytes():
    text = to_json(GM, key="clé secrète")
    from_json(text, key="clé secrète".encode())
    from_json(to_json(GM, key=bytearray(KEY)), key=KEY)


def small_signed_file() -> bytes:
    one = GaussianMixtureEM(1, covariance_type="spherical", random_state=0).fit(X[:, :1])
    return to_json(one, key=KEY).encode("ascii")


@READERS
@pytest.mark.parametrize("mask", [0x01, 0x20, 0x80])
def test_a_byte_flipped_anywhere_is_refused(mask, read):
    # Every position: the signature, the content, and the structure (brackets, quotes,
    # colons, commas); a flip may leave invalid JSON or UTF-8: a ValueError all the same.
    data = small_signed_file()
    read(data, key=KEY)
    assert len(data) < 2000
    for position in range(len(data)):
        flipped = bytearray(data)
        flipped[position] ^= mask
        with pytest.raises(ValueError, match=r"^model file: ") as error:
            read(bytes(flipped), key=KEY)
        assert KEY.decode() not in str(error.value)


@READERS
def test_a_byte_order_mark_in_front_is_accepted(read):
    signed = to_json(GM, key=KEY).encode()
    expected = read(signed, key=KEY).predict_proba(X)
    np.testing.assert_array_equal(
        read(b"\xef\xbb\xbf" + signed, key=KEY).predict_proba(X), expected
    )
    with pytest.raises(ValueError, match="signed with a different key"):
        read(b"\xef\xbb\xbf" + signed, key=OTHER_KEY)


@READERS
def test_whitespace_and_reformatting_are_refused(read):
    text = to_json(GM, key=KEY)
    document = json.loads(text)
    for changed in (
        json.dumps(document, indent=1),
        json.dumps(document, sort_keys=True),  # the default separators, with spaces
        text[:-1] + " }",
        " " + text,
        text + "\n",
    ):
        with pytest.raises(ValueError, match="tampered: not the text to_json signed"):
            read(changed, key=KEY)
        read(changed)  # without a key, only the content is checked


def resigned(change):
    """The signed document with its content changed and its signature kept."""
    document = json.loads(to_json(GM, key=KEY))
    change(document)
    return canonical(document)


@pytest.mark.parametrize(
    "text, key, match",
    [
        (to_json(GM), KEY, "unsigned, and a key was given"),
        (to_json(GM, key=OTHER_KEY), KEY, "signed with a different key"),
        (
            resigned(lambda d: d["attributes"]["means_"]["array"].__setitem__(0, 0.5)),
            KEY,
            "tampered: its content does not match its signature",
        ),
        (
            resigned(lambda d: d["params"].__setitem__("n_init", 2)),
            KEY,
            "tampered: its content does not match its signature",
        ),
        (resigned(lambda d: d.pop("version")), KEY, "does not match its signature"),
        (resigned(lambda d: d.__setitem__("extra", 1)), KEY, "does not match its signature"),
        (resigned(lambda d: d["signature"].pop("key_id")), KEY, "signature is not one"),
        (resigned(lambda d: d.__setitem__("signature", "x")), KEY, "signature is not one"),
        (
            resigned(lambda d: d["signature"].__setitem__("algorithm", "none")),
            KEY,
            "signature is not one",
        ),
        (
            resigned(lambda d: d["signature"].__setitem__("value", "é" * 64)),
            KEY,
            "does not match its signature",
        ),
        (resigned(lambda d: d.__setitem__("signature", None)), KEY, "unsigned"),
        ("[1, 2]", KEY, "not an emkit model"),
        ("{", KEY, "not valid JSON"),
    ],
)
@READERS
def test_unsigned_wrongly_keyed_and_tampered_files_are_refused_saying_which(
    text, key, match, read
):
    with pytest.raises(ValueError, match=match) as error:
        read(text, key=key)
    assert KEY.decode() not in str(error.value) and OTHER_KEY.decode() not in str(error.value)


@pytest.mark.parametrize("key", [1, 1.5, ["k"], object(), memoryview(b"k"), True])
def test_keys_of_another_type_are_refused_naming_key(key, tmp_path):
    path = tmp_path / "m.json"
    path.write_text(to_json(GM))
    for call in (
        lambda: to_json(GM, key=key),
        lambda: from_json(to_json(GM), key=key),
        lambda: load(path, key=key),
        lambda: save(GM, tmp_path / "m.skops", key=key),
        lambda: light.from_json(to_json(GM), key=key),
    ):
        with pytest.raises(
            TypeError, match=f"^key must be str or bytes, got {type(key).__name__}"
        ):
            call()
    assert not (tmp_path / "m.skops").exists()


@pytest.mark.parametrize("key", ["", b"", bytearray()])
def test_empty_keys_are_refused(key):
    with pytest.raises(ValueError, match=r"^key must not be empty"):
        to_json(GM, key=key)
    for read in (from_json, light.from_json):
        with pytest.raises(ValueError, match=r"^key must not be empty"):
            read(to_json(GM, key=KEY), key=key)


def test_load_verifies_json_and_refuses_skops_files_given_a_key(tmp_path):
    path = tmp_path / "m.json"
    path.write_bytes(b"\xef\xbb\xbf" + to_json(GM, key=KEY).encode())  # a byte order mark
    np.testing.assert_array_equal(load(path, key=KEY).predict_proba(X), GM.predict_proba(X))
    with pytest.raises(ValueError, match="signed with a different key"):
        load(path, key=OTHER_KEY)
    pipeline = make_pipeline(StandardScaler(), GaussianMixtureEM(2, random_state=0)).fit(X)
    with pytest.raises(ValueError, match="save cannot sign: skops' files are not signed"):
        save(pipeline, tmp_path / "p.skops", key=KEY)
    assert not (tmp_path / "p.skops").exists()
    save(pipeline, tmp_path / "p.skops")
    with pytest.raises(ValueError, match=r"unsigned \(skops' format, which is never signed\)"):
        load(tmp_path / "p.skops", key=KEY)


@READERS
def test_the_key_is_never_shown(caplog, recwarn, read):
    caplog.set_level(logging.DEBUG)
    messages = []
    signed = to_json(GM, key=KEY)
    for text, key in [
        (signed, OTHER_KEY),
        (to_json(GM), KEY),
        (signed.replace('"n_init":1', '"n_init":2'), KEY),
        (signed[:-3], KEY),
    ]:
        with pytest.raises(ValueError) as error:
            read(text, key=key)
        messages += [str(error.value), repr(error.value)]
    loaded = read(signed, key=KEY)
    shown = "\n".join(
        [*messages, caplog.text, *(str(w.message) for w in recwarn), repr(loaded), signed]
    )
    for secret in (KEY, OTHER_KEY):
        assert secret.decode() not in shown and secret.hex() not in shown
        assert repr(secret) not in shown
