"""The C JPEG decoder (csrc/kernels/codec.c, libjpeg-turbo) gives TensorFlow's pixels.

tests/data/jpeg_tf_reference.npz holds two small JPEGs written here with Pillow from a
synthetic pattern (colour 4:2:0 and grayscale) and what tf.io.decode_jpeg of TensorFlow 2.21
returned for them for every channels x ratio x fancy_upscaling x dct_method setting."""
import pathlib
import threading

import numpy as np
import pytest

from minikeras import _core, tf

REF = pathlib.Path(__file__).parent / "data" / "jpeg_tf_reference.npz"
needs_c = pytest.mark.skipif("decode_jpeg" not in _core.ops, reason="no C decoder")


def _c_built():
    try:
        _core.ops["decode_jpeg"](_core.from_buffer(np.frombuffer(b"x", np.uint8)), ints=(3, 1, 1, 0))
    except ValueError as e:
        return "built without libjpeg" not in str(e)
    return True


@needs_c
def test_every_setting_matches_tensorflow():
    if not _c_built():
        pytest.skip("minikeras built without libjpeg (Pillow decodes)")
    ref = np.load(REF)
    checked = 0
    for key in ref.files:
        if key in ("color", "gray"):
            continue
        name, ch, r, f, dct = key.split("_", 4)
        got = tf.io.decode_jpeg(ref[name].tobytes(), channels=int(ch[1:]), ratio=int(r[1:]),
                                fancy_upscaling=f == "f1",
                                dct_method="" if dct == "default" else dct).numpy()
        np.testing.assert_array_equal(got, ref[key], err_msg=key)
        checked += 1
    assert checked == 72


@needs_c
def test_threads_decode_the_same_pixels():
    ref = np.load(REF)
    data = ref["color"].tobytes()
    want = tf.io.decode_jpeg(data, channels=3).numpy()
    results, errors = [], []

    def work():
        try:
            for _ in range(50):
                results.append(tf.io.decode_jpeg(data, channels=3).numpy())
        except Exception as e:  # noqa: BLE001
            errors.append(e)
    ts = [threading.Thread(target=work) for _ in range(4)]
    [t.start() for t in ts]
    [t.join() for t in ts]
    assert not errors and len(results) == 200
    for r in results:
        np.testing.assert_array_equal(r, want)


@needs_c
def test_op_errors_name_the_op():
    op = _core.ops["decode_jpeg"]
    data = np.load(REF)["color"]
    if _c_built():      # a truncated file: libjpeg's fake end-of-image is refused, as TF does
        with pytest.raises(tf.errors.InvalidArgumentError, match="decode_jpeg: .*Invalid JPEG"):
            op(_core.from_buffer(data[: len(data) // 2].copy()), ints=(3, 1, 1, 0))
    with pytest.raises(tf.errors.InvalidArgumentError, match="decode_jpeg: ratio must be"):
        op(_core.from_buffer(data.copy()), ints=(3, 3, 1, 0))
    with pytest.raises(tf.errors.InvalidArgumentError, match="decode_jpeg: contents must be"):
        op(_core.from_buffer(np.zeros(4, np.float32)), ints=(3, 1, 1, 0))
    # through the public function: TF's message, whichever decoder runs
    with pytest.raises(tf.errors.InvalidArgumentError, match="Invalid JPEG data"):
        tf.io.decode_jpeg(data[: len(data) // 2].tobytes())
