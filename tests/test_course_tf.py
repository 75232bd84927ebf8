"""Every TensorFlow function the course text uses outside tf.data / tf.image / tf.strings,
called the way the course calls it (../shared/seed, sections 2-12)."""
import itertools

import numpy as np
import pytest

import minikeras
from minikeras import tf


def test_version_string():
    assert tf.__version__ == minikeras.__version__
    assert isinstance(tf.__version__, str) and tf.__version__.count(".") == 2


def test_math_add_and_operators_agree():
    a = tf.constant(np.arange(6, dtype=np.float32).reshape(2, 3))
    b = tf.constant(np.ones((2, 3), np.float32))
    np.testing.assert_array_equal(tf.math.add(a, b).numpy(), (a + b).numpy())


def test_custom_activation_sin_plus_x():
    my_activation = lambda x: tf.math.sin(x) + x  # noqa: E731  (the course's own code)
    x = np.linspace(-3, 3, 7).astype(np.float32)
    np.testing.assert_allclose(my_activation(tf.constant(x)).numpy(), np.sin(x) + x, rtol=1e-6)


def test_nn_relu_and_math_maximum():
    x = tf.constant([-1.0, 0.0, 2.0])
    np.testing.assert_array_equal(tf.nn.relu(x).numpy(), [0.0, 0.0, 2.0])
    np.testing.assert_array_equal(tf.math.maximum(0., x - 1.0).numpy(), [0.0, 0.0, 1.0])


def test_random_set_seed_reproducible():
    tf.random.set_seed(0)
    a = tf.random.uniform([3]).numpy()
    tf.random.set_seed(0)
    b = tf.random.uniform([3]).numpy()
    np.testing.assert_array_equal(a, b)


def test_random_uniform_scalar_int_index():
    # section 8: index = tf.random.uniform([], minval=0, maxval=len(all_outputs), dtype=tf.int32)
    all_outputs = tf.stack([tf.ones((2, 3)) * k for k in range(6)])
    index = tf.random.uniform([], minval=0, maxval=len(all_outputs), dtype=tf.int32)
    assert index.shape == () and index.dtype == tf.int32
    assert 0 <= int(index) < 6
    out = all_outputs[index]
    np.testing.assert_array_equal(out.numpy(), np.full((2, 3), int(index), np.float32))


def test_permutations_of_layers_stack():
    outs = {order: tf.constant([float(sum(order))]) for order in itertools.permutations(range(3))}
    stacked = tf.stack(list(outs.values()))
    assert stacked.shape == (6, 1)


def test_config_list_physical_devices():
    gpus = tf.config.list_physical_devices('GPU')
    assert isinstance(gpus, list)
    cpus = tf.config.list_physical_devices('CPU')
    assert len(cpus) == 1 and cpus[0].device_type == 'CPU'


def test_nn_softmax_of_numpy_logits():
    # section 6: np.array([tf.nn.softmax(x) for x in preds]).mean(axis=0)
    preds = [np.random.default_rng(k).normal(size=(5, 10)).astype(np.float32) for k in range(3)]
    final = np.array([tf.nn.softmax(x) for x in preds]).mean(axis=0)
    assert final.shape == (5, 10)
    np.testing.assert_allclose(final.sum(axis=1), 1.0, rtol=1e-5)


@tf.function
def triplet_loss_on_single_triplet(far, near1, near2, delta):
    dist_n1n2 = tf.math.reduce_euclidean_norm(near1 - near2)**2
    dist_n1f = tf.math.reduce_euclidean_norm(near1 - far)**2
    dist_n2f = tf.math.reduce_euclidean_norm(near2 - far)**2
    return tf.math.maximum(0., dist_n1n2 - dist_n1f + delta) \
        + tf.math.maximum(0., dist_n1n2 - dist_n2f + delta)


def test_triplet_loss_checks_from_the_course():
    loss = triplet_loss_on_single_triplet(tf.ones(16), tf.ones(16), tf.zeros(16), 0.5)
    assert isinstance(loss, tf.Tensor)
    assert loss.dtype.is_floating
    assert loss == 17.0
    loss = triplet_loss_on_single_triplet(tf.ones(16), tf.zeros(16), tf.zeros(16), 0.5)
    assert isinstance(loss, tf.Tensor)
    assert loss.dtype.is_floating
    assert loss == 0.0


def _triplet_loss_by_votes(vec1, vec2, vec3, votes1, votes2, votes3, delta):
    loss1 = triplet_loss_on_single_triplet(vec1, vec2, vec3, delta)
    loss2 = triplet_loss_on_single_triplet(vec2, vec1, vec3, delta)
    loss3 = triplet_loss_on_single_triplet(vec3, vec1, vec2, delta)
    return votes1 * loss1 + votes2 * loss2 + votes3 * loss3


def triplet_loss(votes, features, batch_size=4, delta=0.5):
    features = tf.split(features, batch_size, axis=0)
    votes = tf.split(votes, batch_size, axis=0)
    losses = [_triplet_loss_by_votes(f[0], f[1], f[2], v[0], v[1], v[2], delta)
              for f, v in zip(features, votes)]
    return tf.math.reduce_mean(losses)


def triplet_accuracy_on_single_triplet(vec1, vec2, vec3, votes1, votes2, votes3):
    vectors = tf.stack([vec1, vec2, vec3])
    votes = tf.stack([votes1, votes2, votes3])
    indices = tf.argsort(votes, direction='DESCENDING')
    votes = tf.gather(votes, indices, axis=0)
    vectors = tf.gather(vectors, indices, axis=0)
    if votes[0] <= 0.5:
        return np.nan
    far, near1, near2 = vectors[0], vectors[1], vectors[2]
    dist_n1n2 = tf.math.reduce_euclidean_norm(near1 - near2)**2
    dist_n1f = tf.math.reduce_euclidean_norm(near1 - far)**2
    dist_n2f = tf.math.reduce_euclidean_norm(near2 - far)**2
    is_answer_correct = (dist_n1f > dist_n1n2) & (dist_n2f > dist_n1n2)
    return tf.cast(is_answer_correct, tf.float32)


def triplet_accuracy(votes, features, batch_size=4):
    features = tf.split(features, batch_size, axis=0)
    votes = tf.squeeze(votes)
    votes = tf.split(votes, batch_size, axis=0)
    accuracies = [triplet_accuracy_on_single_triplet(f[0], f[1], f[2], v[0], v[1], v[2])
                  for f, v in zip(features, votes)]
    accuracy = tf.experimental.numpy.nanmean(accuracies)
    if tf.math.is_nan(accuracy):
        return 0.5
    return accuracy


def _triplet_batch():
    rng = np.random.default_rng(0)
    features = rng.normal(size=(12, 8)).astype(np.float32)        # 4 triplets of 3 vectors
    votes = np.array([[0.8], [0.1], [0.1], [0.4], [0.3], [0.3],
                      [0.2], [0.7], [0.1], [0.1], [0.1], [0.8]], np.float32)
    return votes, features


def _np_triplet(f, v, delta=0.5):
    def single(far, n1, n2):
        d12 = np.sum((n1 - n2) ** 2)
        return max(0, d12 - np.sum((n1 - far) ** 2) + delta) + max(0, d12 - np.sum((n2 - far) ** 2) + delta)
    return v[0] * single(f[0], f[1], f[2]) + v[1] * single(f[1], f[0], f[2]) + v[2] * single(f[2], f[0], f[1])


def test_triplet_loss_over_a_batch_with_split_and_reduce_mean():
    votes, features = _triplet_batch()
    got = float(triplet_loss(tf.constant(votes), tf.constant(features)))
    want = np.mean([_np_triplet(features[3 * i:3 * i + 3], votes[3 * i:3 * i + 3, 0]) for i in range(4)])
    np.testing.assert_allclose(got, want, rtol=1e-5)


def test_triplet_accuracy_with_argsort_gather_nanmean_is_nan():
    votes, features = _triplet_batch()
    acc = triplet_accuracy(tf.constant(votes), tf.constant(features))
    want = []
    for i in range(4):
        v = votes[3 * i:3 * i + 3, 0]
        f = features[3 * i:3 * i + 3]
        order = np.argsort(-v, kind="stable")
        if v[order[0]] <= 0.5:
            continue
        far, n1, n2 = f[order]
        d12 = np.sum((n1 - n2) ** 2)
        want.append(float(np.sum((n1 - far) ** 2) > d12 and np.sum((n2 - far) ** 2) > d12))
    np.testing.assert_allclose(float(acc), np.mean(want), rtol=1e-6)
    # all triplets ambiguous -> nanmean is NaN -> 0.5
    flat = np.full((12, 1), 1 / 3, np.float32)
    assert triplet_accuracy(tf.constant(flat), tf.constant(features)) == 0.5


def test_l2_normalize_in_a_lambda():
    scale = 10.0
    fn = lambda x: scale * tf.math.l2_normalize(x, axis=1)  # noqa: E731
    x = np.random.default_rng(1).normal(size=(4, 5)).astype(np.float32)
    got = fn(tf.constant(x)).numpy()
    np.testing.assert_allclose(got, scale * x / np.linalg.norm(x, axis=1, keepdims=True), rtol=1e-5)


def test_one_hot_of_a_label():
    # section 10: tf.one_hot(image_dict['label'], depth=3)
    label = tf.constant(2, dtype=tf.int64)
    np.testing.assert_array_equal(tf.one_hot(label, depth=3).numpy(), [0.0, 0.0, 1.0])


def test_ones_zeros_cast_squeeze_dtypes():
    assert tf.ones(16).shape == (16,) and tf.zeros(16).dtype == tf.float32
    assert tf.cast(tf.constant([1.7, -1.7]), tf.int32).numpy().tolist() == [1, -1]
    assert tf.squeeze(tf.zeros((3, 1))).shape == (3,)
    assert tf.uint8.name == "uint8" and tf.int64.is_integer and tf.float32.is_floating


def test_gradient_tape_and_function_together():
    w = tf.Variable(2.0)

    @tf.function
    def step(x):
        with tf.GradientTape() as tape:
            loss = (w * x - 1.0) ** 2
        g = tape.gradient(loss, w)
        w.assign_sub(0.1 * g)
        return loss

    losses = [float(step(tf.constant(1.0))) for _ in range(20)]
    assert losses[-1] < losses[0] * 1e-3


def test_print_and_while_loop_and_cond(capsys):
    @tf.function
    def count(n):
        i = tf.constant(0)
        i = tf.while_loop(lambda i: i < n, lambda i: i + 1, i)
        tf.print("counted", i)
        return tf.cond(i > 3, lambda: i * 10, lambda: i)

    assert int(count(tf.constant(5))) == 50
    assert int(count(tf.constant(2))) == 2
    err = capsys.readouterr().err
    assert "counted 5" in err and "counted 2" in err


def test_python_bool_on_traced_tensor_suggests_cond():
    @tf.function
    def f(x):
        if x > 0:
            return x
        return -x

    with pytest.raises(TypeError, match="tf.cond"):
        f(tf.constant(1.0))


def test_indexing_with_a_traced_random_index():
    # section 8's static-graph call: output = all_outputs[index] with a random int32 index
    all_outputs = tf.stack([tf.ones((2, 3)) * k for k in range(6)])

    @tf.function
    def pick():
        index = tf.random.uniform([], minval=0, maxval=len(all_outputs), dtype=tf.int32)
        return index, all_outputs[index], all_outputs[:, -1][index - 6]

    seen = set()
    for _ in range(40):
        index, out, last = pick()
        k = int(index)
        seen.add(k)
        np.testing.assert_array_equal(out.numpy(), np.full((2, 3), k, np.float32))
        np.testing.assert_array_equal(last.numpy(), np.full(3, k, np.float32))
    assert len(seen) > 1          # a fresh index at every replay
