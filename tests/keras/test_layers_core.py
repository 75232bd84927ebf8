"""Keras core: backend, activations, initializers, Layer base class, core layers."""
import numpy as np
import pytest

from minikeras import activations, backend, initializers, layers, tf
from minikeras.engine.api import random as _random
from minikeras.layers import InputSpec, Layer


@pytest.fixture(autouse=True)
def _fresh_session():
    backend.clear_session()
    backend.set_floatx("float32")
    yield
    backend.set_floatx("float32")


def np_softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


# ---- backend -----------------------------------------------------------------------------

def test_floatx_epsilon_and_errors():
    assert backend.floatx() == "float32"
    assert backend.epsilon() == 1e-7
    backend.set_floatx("float64")
    assert backend.floatx() == "float64"
    with pytest.raises(ValueError):
        backend.set_floatx("int32")
    assert backend.image_data_format() == "channels_last"


def test_unique_names_and_clear_session():
    assert [layers.Dense(1).name for _ in range(3)] == ["dense", "dense_1", "dense_2"]
    assert layers.Flatten().name == "flatten"
    assert layers.Dense(1, name="head").name == "head"
    assert layers.Dense(1).name == "dense_3"
    assert backend.get_uid("input") == 1 and backend.get_uid("input") == 2
    backend.clear_session()
    assert layers.Dense(1).name == "dense"
    assert layers.Input((3,)).name == "input_1"
    assert layers.Input((3,)).node.layer.name == "input_2"
    assert backend.to_snake_case("BatchNormalization") == "batch_normalization"
    assert backend.to_snake_case("Conv2D") == "conv2d"
    assert backend.to_snake_case("MyModel") == "my_model"


def test_backend_math_helpers():
    x = np.arange(6, dtype="float32").reshape(2, 3)
    np.testing.assert_allclose(backend.sum(x, axis=1).numpy(), x.sum(1))
    np.testing.assert_allclose(backend.mean(x).numpy(), x.mean())
    np.testing.assert_allclose(backend.clip(x, 1, 4).numpy(), np.clip(x, 1, 4))
    v = backend.variable(np.ones((2, 2)))
    assert v.dtype == tf.float32
    backend.set_value(v, np.zeros((2, 2)))
    np.testing.assert_array_equal(backend.get_value(v), np.zeros((2, 2)))
    assert backend.int_shape(layers.Input((4, 5))) == (None, 4, 5)
    assert backend.is_keras_tensor(layers.Input((2,)))
    assert not backend.is_keras_tensor(tf.constant([1.0]))


# ---- activations -------------------------------------------------------------------------

def test_activation_functions_match_numpy():
    x = np.linspace(-3, 3, 13, dtype="float32").reshape(1, 13)
    sig = 1 / (1 + np.exp(-x))
    expected = {
        "relu": np.maximum(x, 0), "sigmoid": sig, "tanh": np.tanh(x),
        "softmax": np_softmax(x), "elu": np.where(x > 0, x, np.exp(x) - 1),
        "selu": 1.0507009873554805 * np.where(x > 0, x, 1.6732632423543772 * (np.exp(x) - 1)),
        "softplus": np.log1p(np.exp(x)), "softsign": x / (1 + np.abs(x)), "swish": x * sig,
        "exponential": np.exp(x), "hard_sigmoid": np.clip(0.2 * x + 0.5, 0, 1), "linear": x,
    }
    for name, want in expected.items():
        fn = activations.get(name)
        assert fn is getattr(activations, name)
        np.testing.assert_allclose(np.asarray(fn(tf.constant(x))), want, rtol=1e-5, atol=1e-6,
                                   err_msg=name)
    from math import erf
    gelu = np.array([[0.5 * v * (1 + erf(v / np.sqrt(2))) for v in x[0]]])
    np.testing.assert_allclose(activations.gelu(tf.constant(x)).numpy(), gelu, rtol=1e-4, atol=1e-5)


def test_relu_options_and_elu_alpha():
    x = np.array([-3., -1., 0., 0.5, 2., 7.], dtype="float32")
    t = tf.constant(x)
    np.testing.assert_allclose(activations.relu(t, alpha=0.1).numpy(), np.where(x > 0, x, 0.1 * x),
                               rtol=1e-6)
    np.testing.assert_allclose(activations.relu(t, max_value=6.).numpy(), np.clip(x, 0, 6))
    np.testing.assert_allclose(activations.relu(t, max_value=1.5).numpy(), np.clip(x, 0, 1.5))
    np.testing.assert_allclose(activations.relu(t, threshold=1.).numpy(), np.where(x > 1, x, 0))
    np.testing.assert_allclose(activations.relu(t, alpha=0.5, max_value=5., threshold=1.).numpy(),
                               np.where(x > 1, np.minimum(x, 5), 0) - 0.5 * np.maximum(1 - x, 0),
                               rtol=1e-6)
    np.testing.assert_allclose(activations.elu(t, alpha=0.5).numpy(),
                               np.where(x > 0, x, 0.5 * (np.exp(x) - 1)), rtol=1e-5, atol=1e-6)


def test_activations_get_serialize_errors():
    assert activations.get(None) is activations.linear
    f = lambda x: x * 2  # noqa: E731
    assert activations.get(f) is f
    assert activations.get(tf.nn.relu) is tf.nn.relu
    assert activations.serialize(activations.relu) == "relu"
    assert activations.serialize(tf.nn.relu) == "relu"
    with pytest.raises(ValueError, match="Unknown activation function"):
        activations.get("no_such_thing")
    with pytest.raises(TypeError):
        activations.get(3)
    with pytest.raises(ValueError, match="1D"):
        activations.softmax(tf.constant([1., 2.]))
    x = np.random.rand(2, 3, 4).astype("float32")
    np.testing.assert_allclose(activations.softmax(tf.constant(x), axis=1).numpy(),
                               np_softmax(x, axis=1), rtol=1e-5)


# ---- initializers --------------------------------------------------------------------------

def test_initializer_distributions():
    _random.set_seed(1)
    w = initializers.GlorotUniform()((200, 300)).numpy()
    limit = np.sqrt(6 / 500)
    assert w.dtype == np.float32 and w.shape == (200, 300)
    assert np.abs(w).max() <= limit and np.abs(w).max() > 0.95 * limit
    np.testing.assert_allclose(w.std(), limit / np.sqrt(3), rtol=0.03)
    w = initializers.HeNormal()((400, 300)).numpy()
    np.testing.assert_allclose(w.std(), np.sqrt(2 / 400), rtol=0.05)
    assert np.abs(w).max() <= 2 * np.sqrt(2 / 400) / .87962566103423978 + 1e-6
    w = initializers.LecunUniform()((100, 50)).numpy()
    assert np.abs(w).max() <= np.sqrt(3 / 100)
    w = initializers.RandomNormal(mean=1.0, stddev=0.1)((100, 100)).numpy()
    np.testing.assert_allclose([w.mean(), w.std()], [1.0, 0.1], rtol=0.03)
    w = initializers.RandomUniform(-1, 2)((10000,)).numpy()
    assert w.min() >= -1 and w.max() < 2
    w = initializers.TruncatedNormal(stddev=1.)((10000,)).numpy()
    assert np.abs(w).max() <= 2.0
    w = initializers.VarianceScaling(2., "fan_out", "untruncated_normal")((3, 3, 30, 400)).numpy()
    np.testing.assert_allclose(w.std(), np.sqrt(2 / 3600), rtol=0.05)


def test_initializer_constant_orthogonal_identity_dtypes():
    assert initializers.Zeros()((2, 3)).numpy().sum() == 0
    np.testing.assert_array_equal(initializers.Ones()((2,), dtype="float64").numpy(), [1., 1.])
    assert initializers.Ones()((2,), dtype="float64").dtype == tf.float64
    np.testing.assert_array_equal(initializers.Constant(3)((2, 2)).numpy(), np.full((2, 2), 3.))
    q = initializers.Orthogonal()((6, 4)).numpy()
    np.testing.assert_allclose(q.T @ q, np.eye(4), atol=1e-5)
    q = initializers.Orthogonal(gain=2.)((3, 5)).numpy()
    np.testing.assert_allclose(q @ q.T, 4 * np.eye(3), atol=1e-5)
    np.testing.assert_array_equal(initializers.Identity(gain=3)((2, 3)).numpy(), 3 * np.eye(2, 3))
    backend.set_floatx("float16")
    assert initializers.GlorotUniform()((3, 3)).dtype == tf.float16
    with pytest.raises(ValueError):
        initializers.GlorotNormal()((2, 2), dtype="int32")
    with pytest.raises(ValueError):
        initializers.VarianceScaling(mode="fan_sideways")


def test_initializer_seeds_get_and_config():
    _random.set_seed(7)
    a = initializers.GlorotUniform()((5, 5)).numpy()
    _random.set_seed(7)
    b = initializers.GlorotUniform()((5, 5)).numpy()
    np.testing.assert_array_equal(a, b)
    c = initializers.GlorotUniform()((5, 5)).numpy()
    assert not np.array_equal(b, c)
    assert isinstance(initializers.get("glorot_uniform"), initializers.GlorotUniform)
    assert isinstance(initializers.get("GlorotUniform"), initializers.GlorotUniform)
    assert isinstance(initializers.get("he_normal"), initializers.HeNormal)
    assert isinstance(initializers.get("zeros"), initializers.Zeros)
    init = initializers.get({"class_name": "RandomNormal", "config": {"mean": 1., "stddev": 2.,
                                                                      "seed": None}})
    assert (init.mean, init.stddev) == (1., 2.)
    assert initializers.serialize(initializers.GlorotUniform()) == \
        {"class_name": "GlorotUniform", "config": {"seed": None}}
    assert initializers.VarianceScaling().get_config() == \
        {"scale": 1.0, "mode": "fan_in", "distribution": "truncated_normal", "seed": None}
    with pytest.raises(ValueError):
        initializers.get("nope")


# ---- Dense -----------------------------------------------------------------------------------

def test_dense_forward_matches_numpy():
    layer = layers.Dense(4, activation="relu")
    x = np.random.RandomState(0).randn(5, 3).astype("float32")
    y = layer(x).numpy()
    W, b = layer.get_weights()
    assert W.shape == (3, 4) and b.shape == (4,)
    np.testing.assert_array_equal(b, np.zeros(4))
    assert np.abs(W).max() <= np.sqrt(6 / 7)
    np.testing.assert_allclose(y, np.maximum(x @ W, 0), rtol=1e-5, atol=1e-6)
    sm = layers.Dense(3, "softmax")
    np.testing.assert_allclose(sm(x).numpy(), np_softmax(x @ sm.get_weights()[0]), rtol=1e-5)
    assert [w.name for w in layer.weights] == ["dense/kernel:0", "dense/bias:0"]
    assert layer.kernel.trainable and layer.built


def test_dense_rank3_no_bias_dtypes_and_initializers():
    layer = layers.Dense(2, use_bias=False, kernel_initializer="ones")
    x = np.arange(24, dtype="float64").reshape(2, 3, 4)
    y = layer(x)
    assert y.dtype == tf.float32 and y.shape == (2, 3, 2)
    np.testing.assert_allclose(y.numpy(), np.repeat(x.sum(-1, keepdims=True), 2, -1))
    assert len(layer.weights) == 1 and layer.bias is None and layer.count_params() == 8
    d64 = layers.Dense(2, dtype="float64", bias_initializer=initializers.Constant(0.5))
    y = d64(np.ones((1, 3), dtype="float32"))
    assert y.dtype == tf.float64 and d64.kernel.dtype == tf.float64
    np.testing.assert_allclose(d64.bias.numpy(), [0.5, 0.5])
    with pytest.raises(ValueError, match="positive integer"):
        layers.Dense(-1)
    with pytest.raises(TypeError, match="Keyword argument not understood"):
        layers.Dense(3, foo=1)


def test_dense_input_spec_error_and_build():
    layer = layers.Dense(100)
    assert layer.get_weights() == []
    layer.build((20,))
    assert [w.shape for w in layer.get_weights()] == [(20, 100), (100,)]
    with pytest.raises(ValueError, match="expected axis -1 of input shape to have value 20 but "
                                         r"received input with shape \(1, 30\)"):
        layer(np.zeros((1, 30)))
    with pytest.raises(ValueError, match="min_ndim=2, found ndim=1"):
        layers.Dense(3)(np.zeros(4))
    with pytest.raises(ValueError, match="should be defined"):
        layers.Dense(3).build((None, None))


def test_set_weights_zeroing_biases_and_errors():
    layer = layers.Dense(5, bias_initializer="ones")
    layer(np.ones((1, 3)))
    W, b = layer.get_weights()
    layer.set_weights((W, np.zeros_like(b)))
    np.testing.assert_array_equal(layer.bias.numpy(), np.zeros(5))
    np.testing.assert_array_equal(layer.kernel.numpy(), W)
    with pytest.raises(ValueError, match="expecting 2 weights"):
        layer.set_weights([W])
    with pytest.raises(ValueError, match=r"Layer weight shape \(3, 5\) not compatible with provided "
                                         r"weight shape \(5, 3\)"):
        layer.set_weights([W.T, b])
    layer.set_weights([np.ones((3, 5), dtype="float64"), b])
    assert layer.kernel.dtype == tf.float32 and layer.kernel.numpy().sum() == 15


def test_dense_config_roundtrip():
    layer = layers.Dense(7, activation="tanh", use_bias=False, name="d", input_shape=(3,))
    config = layer.get_config()
    assert config["units"] == 7 and config["activation"] == "tanh" and config["name"] == "d"
    assert config["kernel_initializer"] == {"class_name": "GlorotUniform", "config": {"seed": None}}
    assert config["bias_initializer"] == {"class_name": "Zeros", "config": {}}
    assert config["batch_input_shape"] == (None, 3)
    assert config["dtype"] == "float32" and config["trainable"] is True
    clone = layers.Dense.from_config(config)
    assert clone.units == 7 and clone.activation is activations.tanh and not clone.use_bias
    again = layers.deserialize(layers.serialize(layer))
    assert type(again) is layers.Dense and again.get_config() == config


def test_regularizers_and_constraints_as_callables():
    def l2(w):
        return tf.reduce_sum(tf.square(w)) * 0.01
    layer = layers.Dense(3, kernel_regularizer=l2, bias_regularizer=l2, activity_regularizer=l2,
                         kernel_constraint=lambda w: w)
    x = np.ones((4, 2), dtype="float32")
    y = layer(x)
    assert layer.kernel.constraint is layer.kernel_constraint
    losses = layer.losses
    assert len(losses) == 3
    k = layer.kernel.numpy()
    # eager (activity) losses first, then the weight regularizers, as tf.keras
    np.testing.assert_allclose(losses[0].numpy(), 0.01 * (y.numpy() ** 2).sum() / 4, rtol=1e-5)
    np.testing.assert_allclose(losses[1].numpy(), 0.01 * (k ** 2).sum(), rtol=1e-5)
    assert float(losses[2]) == 0.0
    layer(x)
    assert len(layer.losses) == 3        # activity losses are reset by each outer call


# ---- other core layers -----------------------------------------------------------------------

def test_activation_flatten_reshape_permute_repeat():
    x = np.random.RandomState(1).randn(2, 3, 4).astype("float32")
    np.testing.assert_allclose(layers.Activation("relu")(x).numpy(), np.maximum(x, 0))
    np.testing.assert_allclose(layers.Activation(tf.nn.sigmoid)(x).numpy(), 1 / (1 + np.exp(-x)),
                               rtol=1e-5)
    np.testing.assert_array_equal(layers.Flatten()(x).numpy(), x.reshape(2, -1))
    assert layers.Flatten()(np.zeros(3)).shape == (3, 1)
    assert layers.Flatten().compute_output_shape((None, 3, 4)) == (None, 12)
    np.testing.assert_array_equal(layers.Reshape((4, 3))(x).numpy(), x.reshape(2, 4, 3))
    np.testing.assert_array_equal(layers.Reshape((-1, 2))(x).numpy(), x.reshape(2, 6, 2))
    assert layers.Reshape((-1, 2)).compute_output_shape((None, 3, 4)) == (None, 6, 2)
    with pytest.raises(ValueError, match="total size of new array must be unchanged"):
        layers.Reshape((5,))(x)
    np.testing.assert_array_equal(layers.Permute((2, 1))(x).numpy(), x.transpose(0, 2, 1))
    with pytest.raises(ValueError, match="Invalid permutation"):
        layers.Permute((0, 1))
    v = x[:, 0, :]
    out = layers.RepeatVector(3)(v).numpy()
    assert out.shape == (2, 3, 4)
    np.testing.assert_array_equal(out, np.repeat(v[:, None, :], 3, 1))


def test_lambda_layer():
    layer = layers.Lambda(lambda x: x / 255)
    np.testing.assert_allclose(layer(np.full((1, 2), 255.)).numpy(), [[1., 1.]])
    scale = layers.Lambda(lambda x, k: x * k, arguments={"k": 3.})
    np.testing.assert_allclose(scale(np.ones((1, 2), "float32")).numpy(), [[3., 3.]])
    seen = []
    tl = layers.Lambda(lambda x, training=None: seen.append(training) or x)
    tl(np.ones((1, 1)))
    tl(np.ones((1, 1)), training=True)
    assert seen == [None, True]
    config = layer.get_config()
    assert config["function_type"] == "lambda"
    clone = layers.Lambda.from_config(config)
    np.testing.assert_allclose(clone(np.full((1, 1), 51.)).numpy(), [[0.2]])
    x = layers.Input((3,))
    y = layers.Lambda(lambda t: tf.reduce_sum(t, axis=1, keepdims=True))(x)
    assert y.shape == (None, 1)


def test_dropout_course_and_scaling():
    layer = layers.Dropout(0.999)
    np.testing.assert_array_equal(layer(np.ones((1, 5))).numpy(), np.ones((1, 5)))
    _random.set_seed(0)
    np.testing.assert_array_equal(layer(np.ones((1, 5)), training=True).numpy(), np.zeros((1, 5)))
    half = layers.Dropout(0.5)
    y = half(np.ones((100, 100), "float32"), training=True).numpy()
    assert set(np.unique(y)) <= {0.0, 2.0}
    assert abs((y == 0).mean() - 0.5) < 0.03
    y = layers.Dropout(0.5, noise_shape=(None, 1))(np.ones((50, 4), "float32"), training=True).numpy()
    assert all(len(set(row)) == 1 for row in y)
    with pytest.raises(ValueError, match="Invalid value 1.5"):
        layers.Dropout(1.5)
    assert layers.Dropout(0.3, seed=1).get_config()["rate"] == 0.3


# ---- Layer base class ------------------------------------------------------------------------

class Linear(Layer):
    def __init__(self, units=4, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.w = self.add_weight("w", shape=(input_shape[-1], self.units), initializer="ones")
        self.b = self.add_weight("b", shape=(self.units,), initializer="zeros", trainable=False)

    def call(self, inputs):
        return tf.matmul(inputs, self.w) + self.b


class Block(Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.parts = [Linear(3), Linear(2)]
        self.extra = {"head": layers.Dense(1)}
        self.scale = tf.Variable(2.0, name="scale")
        self.seen_training = []

    def call(self, inputs, training=None):
        self.seen_training.append(training)
        x = self.parts[1](self.parts[0](inputs))
        return self.extra["head"](layers.Dropout(0.0)(x)) * self.scale


def test_custom_layer_weights_and_tracking():
    lin = Linear(4)
    y = lin(np.ones((2, 3), "float32"))
    np.testing.assert_allclose(y.numpy(), np.full((2, 4), 3.))
    assert [w.name for w in lin.weights] == ["linear/w:0", "linear/b:0"]
    assert len(lin.trainable_weights) == 1 and len(lin.non_trainable_weights) == 1
    assert lin.count_params() == 16
    block = Block()
    block(np.ones((2, 5), "float32"))
    assert [type(l).__name__ for l in block._flatten_layers(include_self=False)] == \
        ["Linear", "Linear", "Dense"]
    names = [w.name for w in block.trainable_weights]
    assert names[0] == "scale:0" and len(names) == 5
    assert len(block.non_trainable_weights) == 2
    assert len(block.weights) == 7
    block.trainable = False
    assert not block.parts[0].trainable and not block.extra["head"].trainable
    assert block.trainable_weights == [] and len(block.non_trainable_weights) == 7
    with pytest.raises(ValueError, match="isn't built"):
        Linear().count_params()


def test_training_flag_propagation_and_kwargs():
    block = Block()
    x = np.ones((1, 5), "float32")
    block(x)
    block(x, training=True)
    block(x, training=False)
    assert block.seen_training == [None, True, False]

    class Outer(Layer):
        def __init__(self):
            super().__init__()
            self.inner = Block()

        def call(self, inputs, scale=1.0):
            return self.inner(inputs) * scale
    outer = Outer()
    out = outer(x, training=True, scale=0.0)
    assert outer.inner.seen_training == [True]
    assert out.numpy().sum() == 0


def test_input_casting_and_float16_floatx():
    lin = Linear(2)
    assert lin(np.ones((1, 3))).dtype == tf.float32          # float64 numpy -> float32
    backend.set_floatx("float16")
    dense = layers.Dense(3)
    y = dense(np.ones((2, 4)))
    assert dense.dtype == "float16" and dense.kernel.dtype == tf.float16 and y.dtype == tf.float16
    assert layers.Input((2,)).dtype == tf.float16
    ints = layers.Lambda(lambda t: t)(np.arange(3))
    assert ints.dtype == tf.int64 or ints.dtype == tf.int32


def test_input_spec_and_repr():
    spec = InputSpec(ndim=3, axes={-1: 4})
    assert repr(spec) == "InputSpec(ndim=3, axes={-1: 4})"
    assert InputSpec(shape=(None, 3)).ndim == 2

    class Needs3D(Layer):
        def __init__(self):
            super().__init__()
            self.input_spec = InputSpec(ndim=3)
    with pytest.raises(ValueError, match="expected ndim=3, found ndim=2"):
        Needs3D()(np.zeros((1, 2)))
    with pytest.raises(TypeError):
        Needs3D().input_spec = 3


def test_add_loss_forms():
    class L(Layer):
        def call(self, inputs):
            self.add_loss(tf.reduce_sum(inputs))
            return inputs
    layer = L()
    layer.add_loss(lambda: tf.constant(2.0))
    layer(np.ones((2, 2), "float32"))
    assert sorted(float(v) for v in layer.losses) == [2.0, 4.0]
    layer(np.ones((1, 1), "float32"))
    assert sorted(float(v) for v in layer.losses) == [1.0, 2.0]


def test_custom_objects_and_registry():
    from minikeras import utils

    class Scaled(Layer):
        pass
    assert layers.get_registered_object("Dense") is layers.Dense
    with utils.custom_object_scope({"Thing": Scaled}):
        assert layers.get_registered_object("Thing") is Scaled
    assert layers.get_registered_object("Thing") is None
    cfg = layers.serialize(layers.Activation("relu", name="act"))
    assert cfg == {"class_name": "Activation", "config": {"name": "act", "trainable": True,
                                                          "dtype": "float32", "activation": "relu"}}
    with pytest.raises(ValueError, match="Unknown layer: Nope"):
        layers.deserialize({"class_name": "Nope", "config": {}})
