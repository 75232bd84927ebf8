"""String tensors, tf.strings, tf.io (files, gfile), image codecs, py_function (issue 5)."""
import io
import pickle

import numpy as np
import pytest
from PIL import Image

from minikeras import tf
from minikeras.engine import strings as mks
from minikeras.engine.api import image_codec as ic

Err = tf.errors.InvalidArgumentError


def _decode_jpeg():
    return tf.image.decode_jpeg if hasattr(tf, "image") and hasattr(tf.image, "decode_jpeg") \
        else tf.io.decode_jpeg


def _jpeg_bytes(a, **kw):
    b = io.BytesIO()
    Image.fromarray(a).save(b, "JPEG", **kw)
    return b.getvalue()


def _png_bytes(a):
    b = io.BytesIO()
    Image.fromarray(a).save(b, "PNG")
    return b.getvalue()


def _smooth(h, w, seed=0):
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w]
    a = np.stack([x * 255 // max(w - 1, 1), y * 255 // max(h - 1, 1), (x + y) * 127 // (h + w)], -1)
    return np.clip(a + rng.integers(-3, 4, a.shape), 0, 255).astype(np.uint8)


# ---- string tensors -----------------------------------------------------------------

def test_constant_dtype_shape_numpy():
    s = tf.constant("abc")
    assert s.dtype == tf.string and s.dtype.name == "string" and repr(s.dtype) == "tf.string"
    assert s.shape == () and s.ndim == 0
    assert s.numpy() == b"abc" and type(s.numpy()) is bytes
    v = tf.constant(["a", b"bc"])
    assert v.shape == (2,) and v.dtype == tf.string
    n = v.numpy()
    assert n.dtype == object and list(n) == [b"a", b"bc"]
    m = tf.constant([["x", "y"], ["z", "w"]])
    assert m.shape == (2, 2) and m.numpy()[1, 0] == b"z"
    assert tf.convert_to_tensor("q").numpy() == b"q"
    assert tf.convert_to_tensor(np.array(["u", "vv"])).numpy().tolist() == [b"u", b"vv"]
    assert tf.convert_to_tensor(np.array([b"u", b"v"], dtype=object)).shape == (2,)
    assert tf.convert_to_tensor(v) is v
    assert tf.constant("é").numpy() == "é".encode("utf-8")
    assert tf.constant("z", shape=[2, 3]).numpy().tolist() == [[b"z"] * 3] * 2
    assert tf.constant(["a", "b"], dtype=tf.string).shape == (2,)
    assert tf.as_dtype("string") == tf.string and tf.as_dtype(np.object_) == tf.string
    assert tf.is_tensor(v)
    assert isinstance(v.shape, tf.TensorShape)
    with pytest.raises((TypeError, ValueError)):
        tf.constant(["a", 1])
    with pytest.raises(ValueError):
        tf.convert_to_tensor(v, dtype=tf.float32)
    # numeric conversion unchanged
    assert tf.constant([1, 2]).dtype == tf.int32


def test_reprs():
    s = tf.constant("abc")
    assert repr(s) == "<tf.Tensor: shape=(), dtype=string, numpy=b'abc'>"
    assert str(s) == "tf.Tensor(b'abc', shape=(), dtype=string)"
    v = tf.constant(["a", "b"])
    assert repr(v) == "<tf.Tensor: shape=(2,), dtype=string, numpy=array([b'a', b'b'], dtype=object)>"
    assert str(v) == "tf.Tensor([b'a' b'b'], shape=(2,), dtype=string)"
    m = tf.constant([["a", "b"], ["c", "d"]])
    assert str(m) == "tf.Tensor(\n[[b'a' b'b']\n [b'c' b'd']], shape=(2, 2), dtype=string)"


def test_add_broadcasting():
    s = tf.constant("b")
    assert ("a" + s).numpy() == b"ab"
    assert (s + "c").numpy() == b"bc"
    assert (b"x" + s + b"y").numpy() == b"xby"
    v = tf.constant(["1", "22"])
    assert ("dir/" + v + ".jpg").numpy().tolist() == [b"dir/1.jpg", b"dir/22.jpg"]
    col = tf.constant([["p"], ["q"]])
    assert (col + v).numpy().tolist() == [[b"p1", b"p22"], [b"q1", b"q22"]]
    assert (v + v).numpy().tolist() == [b"11", b"2222"]
    with pytest.raises(Err):
        v + tf.constant(["a", "b", "c"])
    with pytest.raises(Err, match="string tensor but is a int32 tensor"):
        s + 1
    assert (s == 1) is False


def test_indexing_eq_len_iter_hash_bool():
    v = tf.constant(["a", "b", "c"])
    assert v[1].numpy() == b"b" and v[-1].numpy() == b"c"
    assert v[1:].numpy().tolist() == [b"b", b"c"]
    assert v[tf.constant(0)].numpy() == b"a"
    assert v[None].shape == (1, 3)
    with pytest.raises(Err):
        v[3]
    m = tf.constant([["a", "b"], ["c", "d"]])
    assert m[1, 0].numpy() == b"c" and m[:, 1].numpy().tolist() == [b"b", b"d"]
    assert m[..., 0].numpy().tolist() == [b"a", b"c"]
    eq = v == "b"
    assert eq.dtype == tf.bool and eq.numpy().tolist() == [False, True, False]
    assert (v != tf.constant(["a", "x", "c"])).numpy().tolist() == [False, True, False]
    assert bool(tf.constant("a") == "a")
    assert (v == None) is False  # noqa: E711
    assert len(v) == 3
    assert [x.numpy() for x in v] == [b"a", b"b", b"c"]
    with pytest.raises(TypeError):
        len(tf.constant("a"))
    with pytest.raises(TypeError):
        iter(tf.constant("a")).__next__()
    with pytest.raises(TypeError):
        hash(v)
    assert {v.ref(): 1}[v.ref()] == 1
    assert bool(tf.constant("a")) and not bool(tf.constant(""))
    with pytest.raises(ValueError):
        bool(v)
    assert pickle.loads(pickle.dumps(v)).numpy().tolist() == [b"a", b"b", b"c"]


def test_generic_shape_functions():
    v = tf.constant(["a", "b", "c", "d"])
    a, b = tf.constant("x"), tf.constant("y")
    assert tf.stack([a, b]).numpy().tolist() == [b"x", b"y"]
    assert tf.stack(["x", "y"]).numpy().tolist() == [b"x", b"y"]
    assert tf.stack([v, v], axis=1).shape == (4, 2)
    assert tf.concat([v, tf.constant(["e"])], 0).numpy().tolist() == [b"a", b"b", b"c", b"d", b"e"]
    r = tf.reshape(v, [2, -1])
    assert r.shape == (2, 2) and r.numpy()[1, 1] == b"d"
    with pytest.raises(Err):
        tf.reshape(v, [3])
    assert tf.gather(v, [3, 0]).numpy().tolist() == [b"d", b"a"]
    assert tf.gather(v, tf.constant([[1], [2]])).shape == (2, 1)
    with pytest.raises(Err):
        tf.gather(v, [4])
    assert tf.shape(r).numpy().tolist() == [2, 2]
    assert int(tf.size(v)) == 4 and int(tf.rank(r)) == 2
    assert tf.identity(v) is v
    assert tf.expand_dims(v, -1).shape == (4, 1)
    assert tf.squeeze(tf.expand_dims(v, 0)).shape == (4,)
    parts = tf.unstack(r)
    assert len(parts) == 2 and parts[1].numpy().tolist() == [b"c", b"d"]
    assert [p.numpy().tolist() for p in tf.unstack(r, axis=1)] == [[b"a", b"c"], [b"b", b"d"]]
    # helpers for tf.data
    assert mks.is_string_tensor(v) and not mks.is_string_tensor(tf.constant(1))
    arr = np.array([b"p", b"q"], dtype=object)
    t = mks.string_tensor(arr)
    assert t.numpy().tolist() == [b"p", b"q"]
    assert mks.string_tensor(np.array(["s"])).numpy().tolist() == [b"s"]
    assert mks.stack([t, t]).shape == (2, 2)


# ---- tf.strings -----------------------------------------------------------------------

def test_as_string_formats():
    f = tf.strings.as_string
    assert f(tf.constant(7, tf.int64)).numpy() == b"7"
    assert f(tf.constant([1, -22])).numpy().tolist() == [b"1", b"-22"]
    assert f(3.5).numpy() == b"3.500000"
    assert f(tf.constant(3.14159), precision=2).numpy() == b"3.14"
    assert f(tf.constant(1234.5), scientific=True).numpy() == b"1.234500e+03"
    assert f(tf.constant(0.0001), shortest=True).numpy() == b"0.0001"
    assert f(tf.constant(1e20), shortest=True).numpy() == b"1e+20"
    assert f(tf.constant(5), width=3).numpy() == b"  5"
    assert f(tf.constant(5), width=3, fill="0").numpy() == b"005"
    assert f(tf.constant(5), width=3, fill="-").numpy() == b"5  "
    assert f(tf.constant([True, False])).numpy().tolist() == [b"true", b"false"]
    assert f(np.uint8(200)).numpy() == b"200"
    assert f(tf.constant(2.5, tf.float64), precision=1, width=6, fill="0").numpy() == b"0002.5"
    with pytest.raises(Err):
        f(tf.constant(1.0), scientific=True, shortest=True)
    with pytest.raises(Err):
        f(tf.constant(1), precision=2)
    with pytest.raises(Err):
        f(tf.constant(1), fill="ab")


def test_string_functions():
    s = tf.strings
    assert s.join(["a", tf.constant("b"), "c"], separator="-").numpy() == b"a-b-c"
    assert s.join([tf.constant(["x", "y"]), "1"]).numpy().tolist() == [b"x1", b"y1"]
    assert s.length(tf.constant(["ab", "", "é"])).numpy().tolist() == [2, 0, 2]
    assert s.length("é", unit="UTF8_CHAR").numpy() == 1
    assert s.length("abc").dtype == tf.int32
    assert s.lower("AbC").numpy() == b"abc" and s.upper(["ab"]).numpy().tolist() == [b"AB"]
    assert s.strip("  a b \n").numpy() == b"a b"
    assert s.regex_full_match(["abc", "abd"], "ab[c]").numpy().tolist() == [True, False]
    assert s.regex_replace("a1b22", r"\d+", "#").numpy() == b"a#b#"
    assert s.regex_replace("a1b22", r"\d", "#", replace_global=False).numpy() == b"a#b22"
    assert s.regex_replace("ab", r"(a)(b)", r"\2\1").numpy() == b"ba"
    assert s.split("a b  c").numpy().tolist() == [b"a", b"b", b"c"]
    assert s.split("a,,b", sep=",").numpy().tolist() == [b"a", b"", b"b"]
    assert s.split("a,b,c", sep=",", maxsplit=1).numpy().tolist() == [b"a", b"b,c"]
    with pytest.raises(NotImplementedError):
        s.split(["a b"])
    assert s.substr("hello", 1, 3).numpy() == b"ell"
    assert s.substr("hello", -3, 10).numpy() == b"llo"
    assert s.substr(["hello", "world"], [0, 1], 2).numpy().tolist() == [b"he", b"or"]
    with pytest.raises(Err):
        s.substr("abc", 5, 1)
    x = s.to_number(["1.5", "-2"])
    assert x.dtype == tf.float32 and x.numpy().tolist() == [1.5, -2.0]
    assert s.to_number("42", out_type=tf.int64).numpy() == 42
    with pytest.raises(Err, match="StringToNumberOp could not correctly convert string: abc"):
        s.to_number("abc")
    with pytest.raises(Err):
        s.to_number("1.5", out_type=tf.int32)
    assert s.reduce_join(tf.constant([["a", "b"], ["c", "d"]]), axis=1).numpy().tolist() == [b"ab", b"cd"]
    assert s.reduce_join(tf.constant([["a", "b"], ["c", "d"]]), axis=0, separator=",").numpy().tolist() \
        == [b"a,c", b"b,d"]
    assert s.reduce_join(["a", "b", "c"]).numpy() == b"abc"
    assert s.reduce_join([["a", "b"]], axis=1, keepdims=True).shape == (1, 1)
    assert s.bytes_split("abc").numpy().tolist() == [b"a", b"b", b"c"]
    assert s.format("x={} y={}", [tf.constant(3), tf.constant([1.5, 2.0])]).numpy() == b"x=3 y=[1.5 2]"


# ---- files ---------------------------------------------------------------------------

def test_read_write_gfile(tmp_path):
    p = tmp_path / "sub" / "f.bin"
    tf.io.write_file(str(p), tf.constant(b"\x00\x01data"))
    assert tf.io.read_file(str(p)).numpy() == b"\x00\x01data"
    assert tf.io.read_file(tf.constant(str(p))).dtype == tf.string
    missing = str(tmp_path / "nope.jpg")
    with pytest.raises(tf.errors.NotFoundError, match="nope.jpg"):
        tf.io.read_file(missing)
    g = tf.io.gfile
    assert g.exists(str(p)) and not g.exists(missing)
    g.makedirs(str(tmp_path / "a" / "b"))
    assert g.isdir(str(tmp_path / "a" / "b"))
    assert sorted(g.listdir(str(tmp_path))) == ["a", "sub"]
    assert g.glob(str(tmp_path / "sub" / "*.bin")) == [str(p)]
    with g.GFile(str(tmp_path / "t.txt"), "w") as fh:
        fh.write("line1\nline2\n")
    with g.GFile(str(tmp_path / "t.txt")) as fh:
        assert fh.read() == "line1\nline2\n"
    assert g.GFile(str(tmp_path / "t.txt")).size() == 12
    assert tf.io.matching_files(str(tmp_path / "*.txt")).numpy().tolist() == [str(tmp_path / "t.txt").encode()]


def test_fec_pipeline_lines(tmp_path):
    d = tmp_path / "images_cropped"
    d.mkdir()
    imgs = {}
    for i in (3, 17, 250):
        a = _smooth(112, 112, seed=i)
        Image.fromarray(a).save(d / f"{i}.jpg", quality=95)
        imgs[i] = a
    prefix = str(d) + "/"
    for i, a in imgs.items():
        id_ = tf.constant(i, tf.int64)
        path = prefix + tf.strings.as_string(id_) + ".jpg"
        assert path.numpy() == f"{prefix}{i}.jpg".encode()
        image = _decode_jpeg()(tf.io.read_file(path), channels=3)
        assert image.dtype == tf.uint8 and image.shape == (112, 112, 3)
        ref = np.asarray(Image.open(d / f"{i}.jpg").convert("RGB"))
        np.testing.assert_array_equal(image.numpy(), ref)      # Pillow's libjpeg-turbo, same settings
        assert np.abs(image.numpy().astype(int) - a).mean() < 2.0


# ---- codecs --------------------------------------------------------------------------

def test_png_round_trip_and_channels():
    rgb = _smooth(20, 30)
    for c in (1, 2, 3, 4):
        a = rgb[..., :1] if c == 1 else (np.concatenate([rgb[..., :1], rgb[..., 2:]], -1)
                                         if c == 2 else (rgb if c == 3 else
                                                         np.concatenate([rgb, rgb[..., :1]], -1)))
        enc = tf.io.encode_png(tf.constant(a))
        assert enc.dtype == tf.string and enc.numpy()[:4] == b"\x89PNG"
        back = tf.io.decode_png(enc)
        assert back.shape == a.shape
        np.testing.assert_array_equal(back.numpy(), a)
    rgba = np.concatenate([rgb, np.full(rgb.shape[:2] + (1,), 7, np.uint8)], -1)
    data = _png_bytes(rgba)
    np.testing.assert_array_equal(tf.io.decode_png(data, channels=3).numpy(), rgb)   # alpha dropped
    gray = tf.io.decode_png(_png_bytes(rgb), channels=1).numpy()
    r, g, b = (rgb[..., k].astype(np.int64) for k in range(3))
    np.testing.assert_array_equal(gray[..., 0], (9797 * r + 19234 * g + 3737 * b) >> 15)   # libpng, as TF
    g3 = tf.io.decode_png(_png_bytes(rgb[..., 0]), channels=3).numpy()
    np.testing.assert_array_equal(g3, np.repeat(rgb[..., :1], 3, -1))
    g4 = tf.io.decode_png(_png_bytes(rgb[..., 0]), channels=4).numpy()
    assert (g4[..., 3] == 255).all()
    f = tf.io.decode_image(data, dtype=tf.float32)
    assert f.dtype == tf.float32 and f.shape == (20, 30, 4)
    np.testing.assert_allclose(f.numpy(), rgba / 255.0, rtol=1e-6)
    # decode_png / decode_jpeg decode each other's formats, as in TensorFlow
    assert tf.io.decode_jpeg(data).shape == (20, 30, 4)


def test_jpeg_round_trip_and_channels():
    rgb = _smooth(48, 64)
    enc = tf.io.encode_jpeg(tf.constant(rgb), quality=95)
    assert enc.numpy()[:3] == b"\xff\xd8\xff"
    dec = tf.io.decode_jpeg(enc)
    assert dec.shape == (48, 64, 3) and dec.dtype == tf.uint8
    assert np.abs(dec.numpy().astype(int) - rgb).mean() < 2.0
    g = tf.io.decode_jpeg(enc, channels=1)
    assert g.shape == (48, 64, 1)
    # libjpeg's grayscale output (the Y plane), as TF's channels=1
    y = 0.299 * rgb[..., 0] + 0.587 * rgb[..., 1] + 0.114 * rgb[..., 2]
    assert np.abs(g.numpy()[..., 0] - y).mean() < 2.0
    gray_jpeg = _jpeg_bytes(rgb[..., 1])
    g0 = tf.io.decode_jpeg(gray_jpeg)
    assert g0.shape == (48, 64, 1)
    g3 = tf.io.decode_jpeg(gray_jpeg, channels=3).numpy()
    np.testing.assert_array_equal(g3, np.repeat(g0.numpy(), 3, -1))
    # ratio: libjpeg DCT scaling, sizes rounded up
    assert tf.io.decode_jpeg(enc, ratio=2).shape == (24, 32, 3)
    assert tf.io.decode_jpeg(_jpeg_bytes(_smooth(50, 33)), ratio=4).shape == (13, 9, 3)
    im = Image.open(io.BytesIO(enc.numpy()))
    im.draft("RGB", (32, 24))
    np.testing.assert_array_equal(tf.io.decode_jpeg(enc, ratio=2).numpy(), np.asarray(im))
    # fancy_upscaling=False: Pillow's draft decode (IFAST, no fancy upsampling), as TF's
    nf = tf.io.decode_jpeg(enc, fancy_upscaling=False)
    assert nf.shape == (48, 64, 3) and np.abs(nf.numpy().astype(int) - rgb).mean() < 3.0
    # CMYK and progressive files take the general path
    cm = io.BytesIO()
    Image.fromarray(rgb).convert("CMYK").save(cm, "JPEG")
    assert tf.io.decode_jpeg(cm.getvalue()).shape == (48, 64, 3)
    pj = _jpeg_bytes(rgb, progressive=True)
    np.testing.assert_array_equal(tf.io.decode_jpeg(pj).numpy(), np.asarray(Image.open(io.BytesIO(pj))))
    # grayscale encode, decode_image
    e1 = tf.io.encode_jpeg(tf.constant(rgb[..., :1]))
    assert tf.io.decode_image(e1).shape == (48, 64, 1)
    assert tf.io.decode_image(e1, channels=3).shape == (48, 64, 3)


def test_codec_errors():
    with pytest.raises(Err, match="DecodeJpeg"):
        tf.io.decode_jpeg(b"\xff\xd8\xff\xe0 definitely not a jpeg")
    with pytest.raises(Err, match="Unknown image file format"):
        tf.io.decode_jpeg(b"hello")
    with pytest.raises(Err, match="empty"):
        tf.io.decode_png(b"")
    with pytest.raises(Err, match="DecodePng"):
        tf.io.decode_png(b"\x89PNG\r\n\x1a\nbroken")
    with pytest.raises(Err):
        tf.io.decode_jpeg(_jpeg_bytes(_smooth(8, 8)), channels=2)
    with pytest.raises(Err):
        tf.io.decode_jpeg(_jpeg_bytes(_smooth(8, 8)), ratio=3)
    with pytest.raises(Err):
        tf.io.decode_jpeg(tf.constant([b"a", b"b"]))       # scalar only, as TF
    with pytest.raises(TypeError):
        tf.io.encode_png(tf.constant(np.zeros((2, 2, 3), np.float32)))
    with pytest.raises(Err):
        tf.io.encode_jpeg(tf.constant(np.zeros((2, 2, 4), np.uint8)))
    trunc = _jpeg_bytes(_smooth(64, 64))[:200]
    with pytest.raises(Err):
        tf.io.decode_jpeg(trunc)


# ---- py_function / numpy_function / tf.function ----------------------------------------

def test_py_function_numpy_function():
    seen = {}

    def f(x, y):
        seen["types"] = (type(x), type(y))
        return x * 2, y.numpy().decode() + "!"

    a, b = tf.py_function(f, [tf.constant([1.0, 2.0]), tf.constant("hi")], [tf.float32, tf.string])
    assert seen["types"][0] is type(tf.constant(1.0)) and seen["types"][1] is mks.StringTensor
    assert a.numpy().tolist() == [2.0, 4.0] and b.numpy() == b"hi!"
    one = tf.py_function(lambda x: x + 1, [tf.constant(1)], tf.int32)
    assert one.numpy() == 2
    lst = tf.py_function(lambda x: [x], [tf.constant(1.0)], [tf.float32])
    assert isinstance(lst, list) and len(lst) == 1
    cast = tf.py_function(lambda: np.array([1.5]), [], tf.float32)
    assert cast.dtype == tf.float32

    def g(x, s):
        assert isinstance(x, np.ndarray) and isinstance(s, bytes)
        return (x + 1).astype(np.int64), np.array([s, s], dtype=object)

    n, s = tf.numpy_function(g, [tf.constant([1, 2]), tf.constant("z")], [tf.int64, tf.string])
    assert n.dtype == tf.int64 and n.numpy().tolist() == [2, 3]
    assert s.numpy().tolist() == [b"z", b"z"]
    with pytest.raises(ZeroDivisionError):
        tf.py_function(lambda: 1 / 0, [], tf.float32)


def test_tf_function_falls_back_to_eager(tmp_path):
    p = tmp_path / "9.jpg"
    Image.fromarray(_smooth(16, 16)).save(p)
    prefix = str(tmp_path) + "/"

    @tf.function
    def load(i):
        path = prefix + tf.strings.as_string(i) + ".jpg"
        return tf.cast(tf.io.decode_jpeg(tf.io.read_file(path), channels=3), tf.float32) / 255.0

    for _ in range(3):
        x = load(tf.constant(9, tf.int64))
        assert x.shape == (16, 16, 3) and x.dtype == tf.float32
    np.testing.assert_allclose(x.numpy(), np.asarray(Image.open(p)) / 255.0, rtol=1e-6)

    @tf.function
    def name(i):
        return tf.strings.join(["id", tf.strings.as_string(i)], separator="_")

    assert name(tf.constant(1)).numpy() == b"id_1"
    assert name(tf.constant(2)).numpy() == b"id_2"     # not a stale replay

    @tf.function
    def pyf(x):
        return tf.py_function(lambda v: v * 3, [x], tf.float32) + 1.0

    assert pyf(tf.constant(1.0)).numpy() == 4.0
    assert pyf(tf.constant(2.0)).numpy() == 7.0


def test_decode_fast_path_matches_general_path():
    rng = np.random.default_rng(3)
    a = rng.integers(0, 255, (37, 53, 3), dtype=np.uint8)
    for data in (_jpeg_bytes(a), _jpeg_bytes(a[..., 0]), _jpeg_bytes(a, subsampling=0)):
        for ch in (0, 1, 3):
            for r in (1, 2, 8):
                for fancy in (True, False):
                    fast = ic._jpeg_fast(data, ch, r, fancy)
                    assert fast is not None
                    orig = ic._jpeg_fast
                    ic._jpeg_fast = lambda *args: None
                    try:
                        slow = ic._jpeg(data, ch, r, fancy, "", "DecodeJpeg")
                    finally:
                        ic._jpeg_fast = orig
                    np.testing.assert_array_equal(fast, slow)


def test_gif_bmp_and_helpers():
    rng = np.random.default_rng(4)
    a = rng.integers(0, 255, (9, 13, 3), dtype=np.uint8)
    b = io.BytesIO()
    Image.fromarray(a).save(b, "BMP")
    bmp = b.getvalue()
    np.testing.assert_array_equal(tf.io.decode_image(bmp).numpy(), a)
    np.testing.assert_array_equal(tf.io.decode_bmp(bmp).numpy(), a)
    assert tf.io.decode_image(bmp, channels=4).shape == (9, 13, 4)
    with pytest.raises(Err, match="BMP"):
        tf.io.decode_jpeg(bmp)
    frames = [Image.fromarray(rng.integers(0, 255, (9, 13, 3), dtype=np.uint8)).convert("P")
              for _ in range(3)]
    g = io.BytesIO()
    frames[0].save(g, "GIF", save_all=True, append_images=frames[1:])
    gif = g.getvalue()
    anim = tf.io.decode_image(gif)
    assert anim.shape == (3, 9, 13, 3)
    np.testing.assert_array_equal(anim.numpy()[1], np.asarray(frames[1].convert("RGB")))
    assert tf.io.decode_image(gif, expand_animations=False).shape == (9, 13, 3)
    assert tf.io.decode_gif(gif).shape == (3, 9, 13, 3)
    with pytest.raises(Err, match="3 frames"):
        tf.io.decode_png(gif)
    f = tf.io.decode_image(gif, dtype=tf.float32).numpy()
    np.testing.assert_array_equal(f, anim.numpy().astype(np.float32) * np.float32(1 / 255))
    j = _jpeg_bytes(_smooth(10, 20))
    assert bool(tf.io.is_jpeg(j)) and not bool(tf.io.is_jpeg(bmp))
    assert tf.io.extract_jpeg_shape(j).numpy().tolist() == [10, 20, 3]
