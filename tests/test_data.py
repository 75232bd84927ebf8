"""tf.data.Dataset: values, order, element_spec, cardinality, parallel/traced map."""
import os
import threading

import numpy as np
import pytest

from minikeras import tf
from minikeras.data import mapping

Dataset = tf.data.Dataset


def np_list(ds):
    return list(ds.as_numpy_iterator())


def flat_list(ds):
    return [int(v) for v in ds.as_numpy_iterator()]


# ---- sources -------------------------------------------------------------------------------

def test_range_and_batch():
    ds = Dataset.range(8).batch(3)
    out = np_list(ds)
    assert [o.tolist() for o in out] == [[0, 1, 2], [3, 4, 5], [6, 7]]
    assert out[0].dtype == np.int64
    assert [o.tolist() for o in np_list(Dataset.range(8).batch(3, drop_remainder=True))] == \
        [[0, 1, 2], [3, 4, 5]]
    assert flat_list(Dataset.range(2, 10, 3)) == [2, 5, 8]
    assert flat_list(Dataset.range(5, 0, -2)) == [5, 3, 1]
    assert Dataset.range(3, output_type=tf.int32).element_spec.dtype == tf.int32


def test_element_spec_and_repr():
    ds = Dataset.range(8).batch(3)
    assert repr(ds.element_spec) == "TensorSpec(shape=(None,), dtype=tf.int64, name=None)"
    assert repr(ds) == "<BatchDataset shapes: (None,), types: tf.int64>"
    assert repr(Dataset.range(8).batch(3, num_parallel_calls=2)).startswith("<ParallelBatch")
    assert repr(Dataset.range(8).padded_batch(3)).startswith("<PaddedBatchDataset")
    ds2 = Dataset.range(8).batch(3, drop_remainder=True)
    assert ds2.element_spec.shape == (3,)
    x = np.zeros((10, 28, 28), np.float32)
    y = np.zeros(10, np.int64)
    s = Dataset.from_tensor_slices((x, y))
    assert repr(s) == "<TensorSliceDataset shapes: ((28, 28), ()), types: (tf.float32, tf.int64)>"
    assert s.element_spec == (tf.TensorSpec((28, 28), tf.float32), tf.TensorSpec((), tf.int64))
    d = Dataset.from_tensor_slices({"a": [1, 2], "b": [1.0, 2.0]})
    assert repr(d) == "<TensorSliceDataset shapes: {a: (), b: ()}, types: {a: tf.int32, b: tf.float32}>"
    assert repr(Dataset.range(3).map(lambda x: x, num_parallel_calls=2)).startswith(
        "<ParallelMapDataset")
    assert repr(Dataset.range(3).map(lambda x: (x,))) == \
        "<MapDataset shapes: ((),), types: (tf.int64,)>"
    assert repr(tf.TensorSpec([2, None], tf.float32, name="x")) == \
        "TensorSpec(shape=(2, None), dtype=tf.float32, name='x')"


def test_from_tensor_slices_structures():
    x = np.arange(12).reshape(6, 2).astype(np.float32)
    y = np.arange(6)
    out = np_list(Dataset.from_tensor_slices((x, y)))
    assert len(out) == 6
    np.testing.assert_array_equal(out[3][0], x[3])
    assert out[3][1] == 3
    # a list is one tensor
    assert np_list(Dataset.from_tensor_slices([[1, 2], [3, 4]]))[1].tolist() == [3, 4]
    # dicts keep their keys
    d = np_list(Dataset.from_tensor_slices({"b": y, "a": x}))
    assert list(d[0]) == ["b", "a"] and d[2]["b"] == 2
    # tensors
    t = tf.constant([[1.0, 2.0], [3.0, 4.0]])
    assert np_list(Dataset.from_tensor_slices(t))[1].tolist() == [3.0, 4.0]
    with pytest.raises(ValueError):
        Dataset.from_tensor_slices((np.zeros(3), np.zeros(4)))
    with pytest.raises(ValueError):
        Dataset.from_tensor_slices(np.float32(1))


def test_pandas_columns():
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame({"face1": [10, 11, 12], "votes": [0.5, 0.25, 1.0]})
    ds = Dataset.from_tensor_slices((df.face1, df.votes))
    assert ds.element_spec == (tf.TensorSpec((), tf.int64), tf.TensorSpec((), tf.float64))
    out = np_list(ds)
    assert out[1] == (11, 0.25)
    ds = Dataset.from_tensor_slices(dict(df))
    assert np_list(ds)[2]["face1"] == 12
    sub = df[df.face1 > 10]          # non-zero-based index
    assert [v for v, _ in np_list(Dataset.from_tensor_slices((sub.face1, sub.votes)))] == [11, 12]
    np.testing.assert_array_equal(np_list(Dataset.from_tensor_slices(df))[0], [10, 0.5])


def test_from_tensors():
    ds = Dataset.from_tensors(([1, 2, 3], "x" if False else 1.5))
    out = np_list(ds)
    assert len(out) == 1 and out[0][0].tolist() == [1, 2, 3] and out[0][1] == 1.5
    assert len(ds) == 1
    assert ds.element_spec[0].shape == (3,)


def test_zip_and_enumerate():
    a = Dataset.range(1, 4)
    b = Dataset.range(4, 7)
    assert np_list(Dataset.zip((a, b))) == [(1, 4), (2, 5), (3, 6)]
    c = Dataset.range(7, 13)
    assert len(Dataset.zip((a, b, c))) == 3
    z = Dataset.zip({"x": a, "y": (b, c)})
    e = np_list(z)[0]
    assert e["x"] == 1 and e["y"] == (4, 7)
    assert np_list(Dataset.range(3).enumerate(start=5)) == [(5, 0), (6, 1), (7, 2)]
    assert len(Dataset.range(3).enumerate()) == 3
    assert len(Dataset.zip((Dataset.range(3), Dataset.range(2).repeat()))) == 3


def test_from_generator():
    def gen():
        for i in range(4):
            yield i, [1.0] * i

    ds = Dataset.from_generator(gen, output_signature=(
        tf.TensorSpec(shape=(), dtype=tf.int32), tf.TensorSpec(shape=(None,), dtype=tf.float32)))
    out = np_list(ds)
    assert [o[0] for o in out] == [0, 1, 2, 3]
    assert out[2][1].tolist() == [1.0, 1.0] and out[2][1].dtype == np.float32
    assert ds.cardinality().numpy() == tf.data.UNKNOWN_CARDINALITY
    assert repr(ds) == "<FlatMapDataset shapes: ((), (None,)), types: (tf.int32, tf.float32)>"
    with pytest.raises(TypeError, match="length is unknown"):
        len(ds)
    # padded_batch of the ragged component
    pb = np_list(ds.padded_batch(2))
    assert pb[1][1].tolist() == [[1, 1, 0], [1, 1, 1]]
    # output_types / output_shapes and args
    ds2 = Dataset.from_generator(lambda n: iter(range(n)), output_types=tf.int64, args=(3,))
    assert flat_list(ds2) == [0, 1, 2]
    assert ds2.element_spec.shape.rank is None
    ds3 = Dataset.from_generator(lambda: iter([[1, 2], [3, 4]]), output_types=tf.int64,
                                 output_shapes=(2,))
    assert np_list(ds3)[1].tolist() == [3, 4]
    bad = Dataset.from_generator(lambda: iter([[1, 2, 3]]), output_types=tf.int64,
                                 output_shapes=(2,))
    with pytest.raises(ValueError, match="yielded an element of shape"):
        np_list(bad)
    # a fresh generator for every pass
    assert flat_list(ds2.repeat(2)) == [0, 1, 2, 0, 1, 2]


def test_list_files(tmp_path):
    for n in ("b.txt", "a.txt", "c.dat"):
        (tmp_path / n).write_text("x")
    strings = pytest.importorskip("minikeras.engine.strings")
    ds = Dataset.list_files(str(tmp_path / "*.txt"), shuffle=False)
    out = np_list(ds)
    assert out == [str(tmp_path / "a.txt").encode(), str(tmp_path / "b.txt").encode()]
    assert ds.element_spec.dtype == strings.string if hasattr(strings, "string") else True
    shuffled = np_list(Dataset.list_files(str(tmp_path / "*"), seed=3))
    assert sorted(shuffled) == sorted(np_list(Dataset.list_files(str(tmp_path / "*"),
                                                                  shuffle=False)))
    with pytest.raises(ValueError, match="No files matched pattern"):
        Dataset.list_files(str(tmp_path / "*.none"))


# ---- cardinality -----------------------------------------------------------------------------

def test_cardinality_and_len():
    ds = Dataset.range(42)
    assert ds.cardinality().numpy() == 42 and len(ds) == 42
    assert ds.cardinality().dtype == tf.int64
    inf = ds.repeat()
    assert inf.cardinality().numpy() == tf.data.INFINITE_CARDINALITY == -1
    with pytest.raises(TypeError) as e:
        len(inf)
    assert str(e.value) == "The dataset is infinite."
    unk = ds.filter(lambda x: x % 2 == 0)
    assert tf.data.experimental.cardinality(unk).numpy() == tf.data.UNKNOWN_CARDINALITY == -2
    with pytest.raises(TypeError) as e:
        len(unk)
    assert str(e.value) == "The dataset length is unknown."
    assert len(ds.batch(5)) == 9 and len(ds.batch(5, drop_remainder=True)) == 8
    assert len(ds.repeat(3)) == 126 and len(ds.take(5)) == 5 and len(ds.skip(40)) == 2
    assert len(ds.skip(50)) == 0 and len(inf.take(7)) == 7
    assert inf.skip(3).cardinality().numpy() == -1
    assert len(ds.shuffle(10).prefetch(2).cache()) == 42
    assert len(ds.concatenate(Dataset.range(3))) == 45
    assert ds.flat_map(lambda x: Dataset.range(x)).cardinality().numpy() == -2
    assert tf.data.AUTOTUNE == tf.data.experimental.AUTOTUNE == -1
    assert bool(Dataset.range(0)) is True


def test_course_unbatch_cardinality():
    """The course: map -> ((3,160,160,3), (3,)) per element, unbatch().batch(192, True)."""
    n = 25
    ds = Dataset.from_tensor_slices((np.arange(n), np.arange(n), np.arange(n)))

    def triplet(a, b, c):
        img = tf.zeros((4, 4, 3))
        return tf.stack([img, img, img], axis=0), tf.stack([a, b, c], axis=0)
    ds = ds.map(triplet)
    assert ds.element_spec[0].shape == (3, 4, 4, 3) and ds.element_spec[1].shape == (3,)
    ub = ds.unbatch()
    assert len(ub) == 3 * n
    b = ub.batch(16, drop_remainder=True)
    assert len(b) == (3 * n) // 16
    assert b.element_spec[0].shape == (16, 4, 4, 3)
    assert sum(1 for _ in b) == len(b)
    # unknown first dimension -> unknown
    assert Dataset.range(10).batch(3).unbatch().cardinality().numpy() == -2


# ---- transformations ------------------------------------------------------------------------

def test_map_values_and_structures():
    ds = Dataset.range(5).map(lambda x: (x, x * 2))
    assert np_list(ds) == [(i, 2 * i) for i in range(5)]
    ds = Dataset.from_tensor_slices({"a": np.arange(3.0), "b": np.arange(3)}).map(
        lambda d: d["a"] * 2.0 + tf.cast(d["b"], tf.float64))
    assert [float(v) for v in np_list(ds)] == [0.0, 3.0, 6.0]
    # list outputs become tuples, python constants tensors
    ds = Dataset.range(2).map(lambda x: [x, 7])
    assert np_list(ds) == [(0, 7), (1, 7)]
    assert ds.element_spec[1].dtype == tf.int32


def test_map_traced_and_eager_agree():
    calls = []

    def f(x):
        calls.append(1)
        return tf.cast(x, tf.float32) * 0.5 + tf.ones((3,))

    traced = Dataset.range(50).map(f)
    out_t = np_list(traced)
    # traced once per signature: Python ran only while tracing (plus the spec probe)
    assert len(calls) <= 3
    assert traced._fn.traced_count == 1
    tf.config.run_functions_eagerly(True)
    try:
        eager = Dataset.range(50).map(f)
        out_e = np_list(eager)
    finally:
        tf.config.run_functions_eagerly(False)
    assert eager._fn.traced_count == 0
    np.testing.assert_allclose(np.stack(out_t), np.stack(out_e))
    np.testing.assert_allclose(np.stack(out_t), np.arange(50)[:, None] * 0.5 + np.ones(3))


def test_map_falls_back_to_eager():
    def py(x):      # needs the value in Python: not traceable
        v = int(x.numpy())
        return tf.constant([v] * (v % 3 + 1))
    ds = Dataset.range(7).map(py)
    out = np_list(ds)
    assert [o.tolist() for o in out][:4] == [[0], [1, 1], [2, 2, 2], [3]]
    assert ds._fn.eager

    def branch(x):
        if x > 2:       # Python branch on a tensor value
            return x * 10
        return x
    assert flat_list(Dataset.range(5).map(branch)) == [0, 1, 2, 30, 40]

    def bad(x):
        raise RuntimeError("boom")
    with pytest.raises(RuntimeError, match="boom"):
        np_list(Dataset.range(3).map(bad))


def test_map_varying_shapes_retrace_cap():
    ds = Dataset.range(20).map(lambda n: tf.range(n)).map(lambda v: v * 2)
    out = np_list(ds)
    assert [o.tolist() for o in out][5] == [0, 2, 4, 6, 8]
    m = ds._fn
    assert m.traced_count <= mapping.MAX_SIGNATURES


def test_parallel_map_order_matches_serial():
    def f(x):
        y = tf.cast(x, tf.float32)
        return tf.reduce_sum(tf.ones((64, 64)) * y), x
    serial = np_list(Dataset.range(300).map(f))
    par = Dataset.range(300).map(f, num_parallel_calls=4)
    assert np_list(par) == serial
    assert np_list(Dataset.range(300).map(f, num_parallel_calls=tf.data.AUTOTUNE,
                                          deterministic=False)) == serial
    # eager path on threads, order kept
    out = flat_list(Dataset.range(200).map(lambda x: tf.constant(int(x.numpy()) * 3),
                                           num_parallel_calls=3))
    assert out == [3 * i for i in range(200)]
    assert par._fn.traced_count >= 1


def test_parallel_map_uses_threads_and_propagates_errors():
    seen = set()

    def f(x):
        seen.add(threading.get_ident())
        if int(x.numpy()) == 57:
            raise ValueError("bad element")
        return x
    with pytest.raises(ValueError, match="bad element"):
        np_list(Dataset.range(100).map(f, num_parallel_calls=4))
    assert seen - {threading.get_ident()}


def test_filter():
    assert flat_list(Dataset.range(10).filter(lambda x: x % 3 == 0)) == [0, 3, 6, 9]
    ds = Dataset.from_tensor_slices(([1, 2, 3, 4], [5, 6, 7, 8])).filter(lambda a, b: a > 2)
    assert np_list(ds) == [(3, 7), (4, 8)]
    with pytest.raises(ValueError, match="tf.bool"):
        np_list(Dataset.range(3).filter(lambda x: x))


def test_padded_batch():
    ds = Dataset.range(1, 5).map(lambda x: tf.fill([x], x))
    out = np_list(ds.padded_batch(2))
    assert out[0].tolist() == [[1, 0], [2, 2]]
    assert out[1].tolist() == [[3, 3, 3, 0], [4, 4, 4, 4]]
    out = np_list(ds.padded_batch(2, padded_shapes=5, padding_values=np.int64(-1)))
    assert out[0].tolist() == [[1, -1, -1, -1, -1], [2, 2, -1, -1, -1]]
    pb = ds.padded_batch(3, padded_shapes=[None], drop_remainder=True)
    assert pb.element_spec.shape == (3, None) and len(pb) == 1
    with pytest.raises(ValueError, match="smaller"):
        np_list(ds.padded_batch(2, padded_shapes=[2]))


def test_batch_shape_mismatch_error():
    ds = Dataset.range(1, 4).map(lambda x: tf.fill([x], x)).batch(2)
    with pytest.raises(ValueError, match="Cannot batch tensors with different shapes in "
                                         "component 0"):
        np_list(ds)


def test_unbatch_roundtrip():
    x = np.arange(24).reshape(8, 3)
    ds = Dataset.from_tensor_slices(x).batch(3).unbatch()
    np.testing.assert_array_equal(np.stack(np_list(ds)), x)
    ds = Dataset.from_tensor_slices((x, np.arange(8))).batch(5).unbatch()
    out = np_list(ds)
    assert len(out) == 8 and out[6][1] == 6
    assert ds.element_spec[0].shape == (3,)


def test_repeat_take_skip_concatenate():
    assert flat_list(Dataset.range(3).repeat(2)) == [0, 1, 2, 0, 1, 2]
    assert flat_list(Dataset.range(3).repeat().take(7)) == [0, 1, 2, 0, 1, 2, 0]
    assert flat_list(Dataset.range(10).skip(7)) == [7, 8, 9]
    assert flat_list(Dataset.range(10).take(-1)) == list(range(10))
    assert flat_list(Dataset.range(3).concatenate(Dataset.range(10, 12))) == [0, 1, 2, 10, 11]
    assert flat_list(Dataset.range(0).repeat()) == []
    with pytest.raises(TypeError):
        Dataset.range(3).concatenate(Dataset.range(3).map(lambda x: (x, x)))


def test_shuffle_seeds_and_reshuffle():
    ds = Dataset.range(100).shuffle(100, seed=7)
    e1, e2 = flat_list(ds), flat_list(ds)
    assert sorted(e1) == list(range(100)) and e1 != list(range(100))
    assert e1 != e2                     # reshuffled each iteration
    assert flat_list(Dataset.range(100).shuffle(100, seed=7)) == e1   # reproducible
    fixed = Dataset.range(100).shuffle(100, seed=7, reshuffle_each_iteration=False)
    assert flat_list(fixed) == flat_list(fixed)
    # small buffer: elements only move a little (buffer semantics)
    small = flat_list(Dataset.range(50).shuffle(2, seed=1))
    assert sorted(small) == list(range(50)) and small[0] in (0, 1, 2)
    # repeat after shuffle reshuffles per epoch
    two = flat_list(Dataset.range(20).shuffle(20, seed=3).repeat(2))
    assert sorted(two[:20]) == sorted(two[20:]) and two[:20] != two[20:]
    tf.random.set_seed(5)
    a = flat_list(Dataset.range(30).shuffle(30))
    tf.random.set_seed(5)
    b = flat_list(Dataset.range(30).shuffle(30))
    assert a == b


def test_prefetch():
    ds = Dataset.range(100).map(lambda x: x + 1).prefetch(tf.data.AUTOTUNE)
    assert flat_list(ds) == list(range(1, 101))
    assert flat_list(Dataset.range(5).prefetch(0)) == list(range(5))
    it = iter(Dataset.range(10**6).prefetch(3))
    assert int(next(it)) == 0
    del it                              # the producer thread stops

    def bad(x):
        if int(x.numpy()) == 5:
            raise KeyError("late")
        return x
    with pytest.raises(KeyError):
        flat_list(Dataset.range(10).map(bad).prefetch(2))


def test_cache(tmp_path):
    calls = []

    def f(x):
        calls.append(1)
        return tf.constant(int(x.numpy()) + 1)
    ds = Dataset.range(5).map(f).cache()
    assert flat_list(ds) == [1, 2, 3, 4, 5]
    n = len(calls)
    assert flat_list(ds) == [1, 2, 3, 4, 5]
    assert len(calls) == n                 # second pass from the cache
    path = str(tmp_path / "cache")
    ds = Dataset.range(4).map(lambda x: (x, tf.cast(x, tf.float32))).cache(path)
    assert np_list(ds) == [(i, float(i)) for i in range(4)]
    again = Dataset.range(0).map(lambda x: (x, tf.cast(x, tf.float32))).cache(path)
    assert np_list(again) == [(i, float(i)) for i in range(4)]


def test_flat_map_and_interleave_order():
    ds = Dataset.range(1, 4).flat_map(lambda x: Dataset.from_tensors(x).repeat(x))
    assert flat_list(ds) == [1, 2, 2, 3, 3, 3]
    # the tf.data docstring example
    ds = Dataset.range(1, 6).interleave(lambda x: Dataset.from_tensors(x).repeat(6),
                                        cycle_length=2, block_length=4)
    assert flat_list(ds) == [1, 1, 1, 1, 2, 2, 2, 2, 1, 1, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4,
                             3, 3, 4, 4, 5, 5, 5, 5, 5, 5]
    ds = Dataset.range(1, 6).interleave(lambda x: Dataset.from_tensors(x).repeat(x),
                                        cycle_length=3, block_length=1)
    ref = [1, 2, 3, 2, 3, 4, 3, 4, 5, 4, 5, 4, 5, 5, 5]
    assert flat_list(ds) == ref
    par = Dataset.range(1, 6).interleave(lambda x: Dataset.from_tensors(x).repeat(x),
                                         cycle_length=3, num_parallel_calls=3)
    assert flat_list(par) == ref
    assert repr(par).startswith("<ParallelInterleaveDataset")


def test_iterator_and_misc():
    it = iter(Dataset.range(2))
    assert int(it.get_next()) == 0 and int(next(it)) == 1
    with pytest.raises(Exception):
        it.get_next()
    t = next(iter(Dataset.range(3)))
    assert isinstance(t, tf.Tensor) and t.numpy() == 0
    assert int(Dataset.range(5).reduce(np.int64(0), lambda s, x: s + x)) == 10
    assert flat_list(Dataset.range(10).apply(lambda d: d.skip(8))) == [8, 9]
    assert flat_list(Dataset.range(10).shard(3, 1)) == [1, 4, 7]
    assert len(Dataset.range(10).shard(3, 1)) == 3 and len(Dataset.range(10).shard(3, 0)) == 4
    opts = tf.data.Options()
    opts.experimental_deterministic = False
    opts.experimental_distribute.auto_shard_policy = 0
    ds = Dataset.range(3).with_options(opts)
    assert flat_list(ds) == [0, 1, 2] and ds.options().experimental_deterministic is False


def test_string_elements():
    strings = pytest.importorskip("minikeras.engine.strings")
    ds = Dataset.from_tensor_slices(["a", "bb", "ccc"])
    assert np_list(ds) == [b"a", b"bb", b"ccc"]
    assert np_list(ds.batch(2))[0].tolist() == [b"a", b"bb"]
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame({"name": ["x", "y"], "v": [1, 2]})
    out = np_list(Dataset.from_tensor_slices((df.name, df.v)).map(
        lambda n, v: (n, v * 2), num_parallel_calls=2))
    assert out == [(b"x", 2), (b"y", 4)]
    assert strings is not None


def test_benchmark_sanity():
    """The micro-benchmarks' pipelines run (timings: the report)."""
    n = sum(int(b.shape[0]) for b in Dataset.range(5000).map(
        lambda x: x * 2, num_parallel_calls=tf.data.AUTOTUNE).batch(256))
    assert n == 5000
    x = np.random.rand(600, 28, 28).astype(np.float32)
    bs = list(Dataset.from_tensor_slices(x).batch(128))
    assert len(bs) == 5 and bs[-1].shape == (88, 28, 28)
    np.testing.assert_array_equal(bs[1].numpy(), x[128:256])
    assert os.cpu_count() >= 1


def test_course_fec_pipeline(tmp_path):
    """Section 11: ids from a DataFrame -> read + decode JPEG + resize -> triplets ->
    unbatch().batch(3 * b, drop_remainder=True); len() known."""
    pd = pytest.importorskip("pandas")
    if not hasattr(tf, "image") or not hasattr(tf.image, "resize") or \
            not hasattr(tf.image, "decode_jpeg"):
        pytest.skip("needs tf.image.resize and decode_jpeg")
    from PIL import Image
    rng = np.random.RandomState(0)
    d = tmp_path / "images_cropped"
    d.mkdir()
    for i in range(6):
        Image.fromarray((rng.rand(12, 12, 3) * 255).astype(np.uint8)).save(str(d / f"{i}.jpg"))
    n = 10
    df = pd.DataFrame({"face1": rng.randint(0, 6, n), "face2": rng.randint(0, 6, n),
                       "face3": rng.randint(0, 6, n), "votes1": rng.randint(0, 4, n),
                       "votes2": rng.randint(0, 4, n), "votes3": rng.randint(0, 4, n)})
    prefix = str(d) + "/"

    def read_and_resize_image(id):
        path = prefix + tf.strings.as_string(id) + ".jpg"
        image = tf.image.decode_jpeg(tf.io.read_file(path), channels=3)
        return tf.image.resize(image, (16, 16))

    def process_triplet(face1, face2, face3, votes1, votes2, votes3):
        img1 = read_and_resize_image(face1)
        img2 = read_and_resize_image(face2)
        img3 = read_and_resize_image(face3)
        return tf.stack([img1, img2, img3], axis=0), tf.stack([votes1, votes2, votes3], axis=0)

    ds = tf.data.Dataset.from_tensor_slices((df.face1, df.face2, df.face3,
                                             df.votes1, df.votes2, df.votes3))
    ds = ds.map(process_triplet, num_parallel_calls=tf.data.AUTOTUNE)
    batch = next(iter(ds))
    assert type(batch) == tuple and len(batch) == 2
    assert batch[0].shape == (3, 16, 16, 3) and batch[1].shape == (3,)
    assert batch[0].dtype == tf.float32 and batch[1].dtype == tf.int64
    ds = ds.unbatch().batch(3 * 4, drop_remainder=True)
    assert len(ds) == (3 * n) // 12
    out = list(ds)
    assert len(out) == len(ds) and out[0][0].shape == (12, 16, 16, 3)
    # the same images as a serial eager run
    ref = [process_triplet(*[tf.constant(df[c].values[i]) for c in df.columns])
           for i in range(4)]
    np.testing.assert_allclose(out[0][0].numpy()[:3], ref[0][0].numpy(), atol=1e-4)
    np.testing.assert_array_equal(out[0][1].numpy()[3:6], ref[1][1].numpy())


def test_tracing_is_per_thread():
    """A worker thread's eager ops while another thread traces are not recorded into that
    graph (tf.data map workers run while fit traces its step)."""
    import time
    from minikeras import _core
    stop = threading.Event()
    errors = []
    started = threading.Event()

    def worker():
        x = tf.ones((8,))
        while not stop.is_set():
            y = x * 2.0 + 1.0
            started.set()
            try:
                y.numpy()               # raises if y was marked as traced
            except Exception as e:      # noqa: BLE001
                errors.append(e)
                return

    @tf.function
    def f(a):
        time.sleep(0.05)                # the worker runs ops meanwhile
        return a * 3.0

    th = threading.Thread(target=worker)
    th.start()
    started.wait(5)
    try:
        r = f(tf.ones((2,)))
        assert r.numpy().tolist() == [3.0, 3.0]
        g = f.get_concrete_function(tf.ones((2,))).graph
        assert len(g.op_names()) <= 2, g.op_names()
    finally:
        stop.set()
        th.join()
    assert not errors
    assert not _core.is_tracing() if hasattr(_core, "is_tracing") else True


def test_map_spec_unknown_dims():
    ds = Dataset.range(10).batch(3).map(lambda x: (x, tf.reduce_sum(x), tf.reshape(x, (-1, 1))))
    assert [s.shape.as_list() for s in ds.element_spec] == [[None], [], [None, 1]]
    ds = Dataset.range(10).batch(3, drop_remainder=True).map(lambda x: tf.reshape(x, (-1, 1)))
    assert ds.element_spec.shape == (3, 1)
    assert repr(ds) == "<MapDataset shapes: (3, 1), types: tf.int64>"


def test_shuffle_batch_fast_path_same_order():
    x = np.arange(300, dtype=np.float32).reshape(100, 3)
    y = np.arange(100)
    fast = Dataset.from_tensor_slices((x, y)).shuffle(30, seed=4).batch(16)
    slow = Dataset.from_tensor_slices((x, y)).shuffle(30, seed=4).map(lambda a, b: (a, b)).batch(16)
    for (a1, b1), (a2, b2) in zip(np_list(fast), np_list(slow)):
        np.testing.assert_array_equal(a1, a2)
        np.testing.assert_array_equal(b1, b2)
    f1, f2 = np_list(fast), np_list(fast)          # reshuffled per epoch
    assert not all(np.array_equal(p[1], q[1]) for p, q in zip(f1, f2))
    assert sorted(np.concatenate([b for _, b in f1]).tolist()) == list(range(100))
    assert [len(b) for _, b in np_list(Dataset.from_tensor_slices((x, y)).shuffle(
        100, seed=1).batch(16, drop_remainder=True))] == [16] * 6


def test_big_image_batches_match():
    x = np.random.RandomState(0).rand(6, 3, 40, 40, 3).astype(np.float32)
    ds = Dataset.from_tensor_slices(x).map(lambda a: a * 1.0).unbatch().batch(8)
    out = np_list(ds)
    np.testing.assert_array_equal(np.concatenate(out), x.reshape(-1, 40, 40, 3))
    assert [len(o) for o in out] == [8, 8, 2]
    y = np.arange(6 * 2000, dtype=np.int64).reshape(6, 2000)
    ds = Dataset.from_tensor_slices(y).map(lambda a: a + 0).batch(4)
    np.testing.assert_array_equal(np.concatenate(np_list(ds)), y)


def test_text_line_dataset(tmp_path):
    pytest.importorskip("minikeras.engine.strings")
    a = tmp_path / "a.txt"
    a.write_bytes(b"first\nsecond\r\nthird")
    b = tmp_path / "b.txt"
    b.write_text("x\n")
    ds = tf.data.TextLineDataset([str(a), str(b)])
    assert np_list(ds) == [b"first", b"second", b"third", b"x"]
    assert ds.element_spec == tf.TensorSpec((), tf.string)
    assert ds.cardinality().numpy() == -2


def test_map_py_function_runs_eagerly_on_workers():
    if not hasattr(tf, "py_function"):
        pytest.skip("tf.py_function not available")
    ds = Dataset.range(20).map(lambda x: tf.py_function(lambda v: v * 2, [x], tf.int64),
                               num_parallel_calls=3)
    assert flat_list(ds) == [2 * i for i in range(20)]
    assert ds._fn.eager


def test_injected_prefetch_runs_the_map_on_another_thread_in_order():
    import threading
    threads = set()

    def f(x):
        threads.add(threading.get_ident())
        return x * 2
    ds = Dataset.range(50).map(lambda x: tf.py_function(f, [x], tf.int64))
    assert [int(v) for v in ds] == [2 * i for i in range(50)]
    assert threading.get_ident() not in threads          # produced ahead, on a thread
    opts = tf.data.Options()
    opts.experimental_optimization.inject_prefetch = False
    threads.clear()
    assert [int(v) for v in ds.with_options(opts)] == [2 * i for i in range(50)]
    assert threads == {threading.get_ident()}

    def bad(x):
        if int(x) == 7:
            raise ValueError("element 7")
        return x
    with pytest.raises(ValueError, match="element 7"):
        list(Dataset.range(20).map(lambda x: tf.py_function(bad, [x], tf.int64)))


def test_get_next_as_optional():
    it = iter(Dataset.range(2))
    o = it.get_next_as_optional()
    assert bool(o.has_value().numpy()) and int(o.get_value()) == 0
    it.get_next_as_optional()
    end = it.get_next_as_optional()
    assert not bool(end.has_value().numpy())
    with pytest.raises(tf.errors.InvalidArgumentError, match="does not have a value"):
        end.get_value()
