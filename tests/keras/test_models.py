"""Keras models: Sequential, functional Model, subclassed Model (the course's examples)."""
import json

import numpy as np
import pytest

from minikeras import backend, layers, tf
from minikeras.engine.api import random as _random
from minikeras.layers import Input
from minikeras.layers.node import KerasTensor, SymbolicTensorError, dispatch_on_keras_tensors
from minikeras.models import Functional, Model, Sequential


@pytest.fixture(autouse=True)
def _fresh_session():
    backend.clear_session()
    backend.set_floatx("float32")
    yield
    backend.set_floatx("float32")


def _concat(xs):
    if hasattr(layers, "Concatenate"):
        return layers.Concatenate()(xs)
    return layers.Lambda(lambda t: tf.concat(t, -1))(xs)


# ---- Sequential ------------------------------------------------------------------------------

def test_course_first_model_both_ways():
    m1 = Sequential([layers.InputLayer(input_shape=(50,)), layers.Dense(100, "relu"),
                     layers.Dense(100, "relu"), layers.Dense(10, "softmax")])
    m2 = Sequential([layers.Dense(100, "relu", input_shape=(50,)), layers.Dense(100, "relu"),
                     layers.Dense(10, "softmax")])
    for m in (m1, m2):
        assert m.built and len(m.layers) == 3
        assert all(type(l) is layers.Dense for l in m.layers)
        assert m.count_params() == 16210
        out = m(np.zeros((64, 50))).numpy()
        assert out.shape == (64, 10)
        np.testing.assert_allclose(out.sum(1), np.ones(64), rtol=1e-5)
        assert m.input.shape == (None, 50) and m.output.shape == (None, 10)
        assert len(m.get_weights()) == 6
    assert [m1.name, m2.name] == ["sequential", "sequential_1"]
    assert m2.inputs[0].node.layer.name == "dense_3_input"


def test_dropout_model_training_flag():
    model = Sequential([layers.Dropout(0.999)])
    np.testing.assert_array_equal(model(np.ones((1, 5))).numpy(), [[1., 1., 1., 1., 1.]])
    _random.set_seed(0)
    np.testing.assert_array_equal(model(np.ones((1, 5)), training=True).numpy(), np.zeros((1, 5)))


def test_deferred_build_and_summary_error():
    model = Sequential([layers.Dense(300), layers.Dense(200), layers.Dense(100)])
    assert not model.built
    with pytest.raises(ValueError, match=r"^This model has not yet been built\. Build the model "
                                         r"first by calling `build\(\)` or by calling the model on "
                                         r"a batch of data\.$"):
        model.summary()
    with pytest.raises(ValueError, match="Weights for model"):
        model.get_weights()
    model(np.zeros((2, 400)))
    assert model.built and model.count_params() == 200600
    model.build((None, 400))
    assert model.count_params() == 200600


def test_exercise_3_1_and_build():
    model = Sequential([layers.InputLayer(400), layers.Dense(300), layers.Dense(200),
                        layers.Dense(100)])
    assert model.count_params() == 200600
    m = Sequential([layers.Dense(300), layers.Dense(200), layers.Dense(100)])
    m.build((None, 400))
    assert m.count_params() == 200600 and m.output_shape == (None, 100)


def test_exercise_4_2_flatten_dense():
    model = Sequential([layers.Flatten(), layers.Dense(100, "relu"), layers.Dense(10, "softmax")])
    assert model(np.zeros((2, 256, 256, 3))).numpy().shape == (2, 10)
    assert model.layers[1].count_params() == 19660900
    assert model(np.zeros((3, 256, 256, 3))).shape == (3, 10)
    assert model.layers[1].output_shape == (None, 100)


def test_add_pop_nested_and_unique_names():
    model = Sequential()
    model.add(Input(shape=(16,)))
    model.add(layers.Dense(8))
    model.add(layers.Dense(4))
    assert len(model.layers) == 2 and model.output_shape == (None, 4)
    model.pop()
    assert len(model.layers) == 1 and model.output_shape == (None, 8)
    with pytest.raises(ValueError, match="unique names"):
        model.add(layers.Dense(3, name=model.layers[0].name))
    with pytest.raises(TypeError):
        model.add("dense")
    inner = Sequential([layers.Dense(5, input_shape=(3,)), layers.Dense(2)])
    outer = Sequential([inner, layers.Dense(1)])
    assert outer.built and outer.count_params() == 20 + 12 + 3
    assert outer(np.ones((4, 3))).shape == (4, 1)
    assert outer.layers[-1].input.shape == (None, 2)
    lazy = Sequential([Sequential([layers.Dense(4), layers.Dense(3)]), layers.Dense(1)])
    assert lazy(np.ones((2, 6))).shape == (2, 1) and lazy.count_params() == 28 + 15 + 4
    with pytest.raises(TypeError, match="no layers"):
        Sequential().pop()


def test_exercise_4_3_float16_and_layer_reuse():
    backend.set_floatx("float16")
    _random.set_seed(0)
    model = Sequential([
        layers.Lambda(lambda x: x / 255),
        layers.Dense(1000, "relu", use_bias=False),
        layers.Dense(1000, "relu", use_bias=False),
        layers.Dense(1),
    ])
    y1 = model(np.ones((1, 10)))
    assert y1.dtype == tf.float16 and y1.shape == (1, 1)
    assert all(w.dtype == tf.float16 for w in model.weights)
    model_new = Sequential(model.layers[1:] + model.layers[:1])
    y2 = model_new(np.ones((1, 10)))
    assert y2.dtype == tf.float16
    np.testing.assert_allclose(float(y1), float(y2), rtol=1e-2)
    backend.set_floatx("float32")
    lin = Sequential(model.layers[1:3])
    assert lin(np.ones((1, 10))).dtype == tf.float16    # layers keep the dtype they were made with


def test_trainable_recursion():
    model = Sequential([layers.Dense(100, "relu"), layers.Dense(10)])
    assert model.layers[0].trainable is True
    model.trainable = False
    assert model.layers[0].trainable is False and model.layers[1].trainable is False
    model(np.zeros((1, 3)))
    assert model.trainable_weights == [] and len(model.non_trainable_weights) == 4
    model.trainable = True
    model.layers[1].trainable = False
    assert len(model.trainable_weights) == 2 and len(model.non_trainable_weights) == 2
    assert [w.name.split("/")[-1] for w in model.weights] == ["kernel:0", "bias:0"] * 2
    outer = Sequential([model, layers.Dense(1)])
    outer.trainable = False
    assert not model.layers[0].trainable


# ---- functional ------------------------------------------------------------------------------

def test_functional_course_model_and_names():
    input = Input(shape=(50,))
    assert isinstance(input, KerasTensor) and input.shape == (None, 50)
    assert input.dtype == tf.float32
    assert repr(input) == "<KerasTensor: shape=(None, 50) dtype=float32 (created by layer 'input_1')>"
    output1 = layers.Dense(100, "relu")(input)
    output2 = layers.Dense(100, "relu")(output1)
    output3 = layers.Dense(10, "softmax")(output2)
    model = Model(inputs=input, outputs=output3)
    assert type(model) is Functional and isinstance(model, Model)
    assert model.name == "model" and Model(input, output2).name == "model_1"
    assert [l.name for l in model.layers] == ["input_1", "dense", "dense_1", "dense_2"]
    assert model.count_params() == 16210
    assert model.get_layer("dense_1") is model.layers[2] and model.get_layer(index=3).units == 10
    with pytest.raises(ValueError, match="No such layer: nope"):
        model.get_layer("nope")
    x = np.random.rand(3, 50)
    w = model.get_weights()
    ref = np.maximum(np.maximum(x @ w[0] + w[1], 0) @ w[2] + w[3], 0) @ w[4] + w[5]
    e = np.exp(ref - ref.max(1, keepdims=True))
    np.testing.assert_allclose(model(x).numpy(), e / e.sum(1, keepdims=True), rtol=1e-4, atol=1e-6)
    assert model.input_names == ["input_1"] and model.output_names == ["dense_2"]


def test_skip_connection_operators_and_multi_output():
    input = Input(shape=(50,))
    out1 = layers.Dense(1000, "relu")(input)
    out2 = layers.Dense(1000, "relu")(out1)
    out3 = layers.Dense(1)(out2)
    out4 = layers.Dense(1)(input)
    output = out3 + out4
    assert output.shape == (None, 1)
    assert output.node.layer.name == "tf.__operators__.add"
    assert type(output.node.layer).__name__ == "TFOpLambda"
    model = Model(inputs=input, outputs=output)
    x = np.random.rand(4, 50).astype("float32")
    a = model.layers[3](model.layers[2](model.layers[1](x)))
    np.testing.assert_allclose(model(x).numpy(), (a + model.get_layer("dense_3")(x)).numpy(),
                               rtol=1e-5)
    model2 = Model(inputs=input, outputs=[output, out3])
    res = model2(x)
    assert isinstance(res, list) and [r.shape for r in res] == [(4, 1), (4, 1)]
    np.testing.assert_allclose(res[1].numpy(), a.numpy(), rtol=1e-6)
    # other operators
    y = (2 * out3 - out4) / 4 + (-out3) ** 2
    z = out2[:, :3]
    assert y.shape == (None, 1) and z.shape == (None, 3)
    assert type(z.node.layer).__name__ == "SlicingOpLambda"
    m3 = Model(input, [y, z])
    r1, r2 = m3(x)
    o3 = a.numpy()
    o4 = model.get_layer("dense_3")(x).numpy()
    np.testing.assert_allclose(r1.numpy(), (2 * o3 - o4) / 4 + o3 ** 2, rtol=1e-4, atol=1e-6)
    assert r2.shape == (4, 3)


def test_tf_functions_on_keras_tensors():
    x = Input(shape=(3,))
    # the tf namespace dispatches by itself (engine/symbolic.py), C builtins included
    y0 = tf.nn.relu(x)
    assert y0.node.layer.name == "tf.nn.relu" and y0.shape == (None, 3)
    s = tf.math.add(y0, x)
    assert s.node.layer.name.startswith("tf.math.add") and s.shape == (None, 3)
    with pytest.raises(SymbolicTensorError):
        np.asarray(x)
    relu = dispatch_on_keras_tensors(tf.nn.relu, "tf.nn.relu")
    y = relu(x)
    assert y.node.layer.name == "tf.nn.relu_1" and y.shape == (None, 3)
    add = dispatch_on_keras_tensors(tf.math.add, "tf.math.add")
    z = add(y, x)
    model = Model(x, z)
    v = np.array([[-1., 2., -3.]], "float32")
    np.testing.assert_allclose(model(v).numpy(), np.maximum(v, 0) + v)
    np.testing.assert_allclose(relu(tf.constant(v)).numpy(), np.maximum(v, 0))
    assert model.get_config()["layers"][1]["config"]["function"] == "tf.nn.relu"


def test_exercise_3_2_dense_concat():
    input = Input(shape=(1000,))
    output = input
    for _ in range(4):
        output = _concat([output, layers.Dense(1000, "relu")(output)])
    model = Model(inputs=input, outputs=output)
    assert output.shape == (None, 5000)
    assert model.count_params() == 10004000


def test_combined_style_and_model_as_layer():
    input = Input(shape=(50,))
    branch1 = Sequential([layers.Dense(30, "relu"), layers.Dense(30, "relu"), layers.Dense(1)])
    branch2 = layers.Dense(1)
    output = branch1(input) + branch2(input)
    model = Model(inputs=input, outputs=output)
    assert [l.name for l in model.layers] == ["input_1", "sequential", "dense_3",
                                               "tf.__operators__.add"]
    x = np.random.rand(2, 50).astype("float32")
    np.testing.assert_allclose(model(x).numpy(), (branch1(x) + branch2(x)).numpy(), rtol=1e-5)
    assert branch1.input.shape == (None, 50)
    inp2 = Input(shape=(50,))
    head = layers.Dense(2)(model(inp2))
    big = Model(inp2, head)
    assert len(big.trainable_weights) == len(model.trainable_weights) + 2
    np.testing.assert_allclose(big(x).numpy(), big.layers[-1](model(x)).numpy(), rtol=1e-5)


def test_submodel_shares_weights():
    model = Sequential([layers.InputLayer(400), layers.Dense(300), layers.Dense(200),
                        layers.Dense(100)])
    input_data = np.random.rand(8, 400)
    l1, l2, l3 = model.layers
    layer2_output = l2(l1(input_data)).numpy()
    submodel = Model(inputs=model.input, outputs=model.layers[1].output)
    np.testing.assert_allclose(submodel(input_data).numpy(), layer2_output, rtol=1e-6)
    assert submodel.layers[1] is l1 and submodel.count_params() == 180500
    l1.set_weights([np.zeros((400, 300)), np.ones(300)])
    np.testing.assert_allclose(submodel(input_data).numpy(), l2(np.ones((8, 300))).numpy(),
                               rtol=1e-5)


def test_multiple_and_dict_inputs_and_errors():
    a = Input(shape=(2,), name="a")
    b = Input(shape=(3,), name="b")
    out = layers.Dense(1)(_concat([a, b]))
    model = Model(inputs=[a, b], outputs=out)
    xa, xb = np.ones((4, 2)), np.ones((4, 3))
    r1 = model([xa, xb]).numpy()
    r2 = model({"b": xb, "a": xa}).numpy()
    np.testing.assert_allclose(r1, r2)
    dmodel = Model(inputs={"a": a, "b": b}, outputs={"out": out})
    r3 = dmodel({"a": xa, "b": xb})
    assert isinstance(r3, dict) and np.allclose(r3["out"].numpy(), r1)
    with pytest.raises(ValueError, match="expects 2 input"):
        model(xa)
    c = Input(shape=(2,))
    with pytest.raises(ValueError, match="Graph disconnected"):
        Model(inputs=c, outputs=out)
    with pytest.raises(ValueError, match="must come from `tf.keras.Input`"):
        Model(inputs=np.ones(3), outputs=out)
    np.testing.assert_allclose(model([xa, xb[:, :, None].squeeze(-1)]).numpy(), r1)


def test_functional_config_roundtrip_and_json():
    inp = Input(shape=(8,))
    x = layers.Dense(4, "relu")(inp)
    x = layers.Dropout(0.2)(x)
    y = layers.Dense(2)(x)
    z = layers.Reshape((2, 1))(y)
    model = Model(inp, [y, z], name="net")
    config = model.get_config()
    assert config["input_layers"] == [["input_1", 0, 0]]
    assert config["output_layers"] == [["dense_1", 0, 0], ["reshape", 0, 0]]
    assert config["layers"][1]["inbound_nodes"] == [[["input_1", 0, 0, {}]]]
    json.loads(model.to_json())
    clone = Model.from_config(config)
    assert clone.name == "net" and [l.name for l in clone.layers] == [l.name for l in model.layers]
    clone.set_weights(model.get_weights())
    v = np.random.rand(3, 8).astype("float32")
    for a, b in zip(model(v), clone(v)):
        np.testing.assert_allclose(a.numpy(), b.numpy())
    seq = Sequential([layers.Dense(3, input_shape=(4,)), layers.Dense(2, activation="tanh")])
    sc = seq.get_config()
    assert [l["class_name"] for l in sc["layers"]] == ["InputLayer", "Dense", "Dense"]
    seq2 = Sequential.from_config(sc)
    seq2.set_weights(seq.get_weights())
    w = np.random.rand(2, 4)
    np.testing.assert_allclose(seq(w).numpy(), seq2(w).numpy())
    ops_model = Model(inp, y * 2 + 1)
    again = Model.from_config(ops_model.get_config())
    again.set_weights(ops_model.get_weights())
    np.testing.assert_allclose(again(v).numpy(), ops_model(v).numpy(), rtol=1e-6)


def test_training_flag_reaches_layers_in_functional_model():
    inp = Input(shape=(5,))
    out = layers.Dropout(0.999)(inp)
    model = Model(inp, out)
    x = np.ones((2, 5))
    np.testing.assert_array_equal(model(x).numpy(), np.ones((2, 5)))
    _random.set_seed(0)
    assert (model(x, training=True).numpy() == 0).mean() > 0.5
    always = Model(inp, layers.Dropout(0.999)(inp, training=True))
    assert (always(x).numpy() == 0).mean() > 0.5


def test_gradients_and_tf_function():
    inp = Input(shape=(4,))
    model = Model(inp, layers.Dense(1)(layers.Dense(3, "tanh")(inp)))
    x = np.random.rand(5, 4).astype("float32")
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(tf.square(model(x)))
    grads = tape.gradient(loss, model.trainable_variables)
    assert [g.shape for g in grads] == [(4, 3), (3,), (3, 1), (1,)]
    f = tf.function(lambda t: model(t, training=True))
    np.testing.assert_allclose(f(x).numpy(), model(x).numpy(), rtol=1e-6)
    model.layers[-1].set_weights([np.ones((3, 1)), np.zeros(1)])
    np.testing.assert_allclose(f(x).numpy(), model(x).numpy(), rtol=1e-6)


# ---- subclassed ---------------------------------------------------------------------------

class CustomModel(Model):
    def __init__(self):
        super(CustomModel, self).__init__()
        self.hidden_layers = [layers.Dense(64, "relu") for _ in range(2)]
        self.head = layers.Dense(10, "softmax")

    def call(self, input, training=None, order=None):
        output = input
        order = order or np.random.choice(range(2), 2, replace=False)
        for layer_idx in order:
            output = self.hidden_layers[layer_idx](output)
        return self.head(output)


def test_subclassed_model_course():
    model = CustomModel()
    assert model.name == "custom_model" and not model.built
    assert [l.name for l in model.layers] == ["dense", "dense_1", "dense_2"]
    with pytest.raises(ValueError, match="not yet been built"):
        model.summary()
    X = np.random.rand(6, 64)
    preds1 = model(X, order=[0, 1]).numpy()
    preds2 = model(X, order=[1, 0]).numpy()
    assert preds1.shape == (6, 10) and not np.array_equal(preds1, preds2)
    assert len(model.trainable_variables) == 6 and model.built
    assert model.trainable_variables[0].name == "custom_model/dense/kernel:0"
    assert model(X, training=True).shape == (6, 10)
    model.trainable = False
    assert model.trainable_variables == [] and not model.head.trainable


def test_subclassed_build_and_functional_subclass():
    class Net(Model):
        def __init__(self):
            super().__init__(name="net")
            self.d = layers.Dense(3)

        def call(self, x):
            return self.d(x)
    net = Net()
    net.build((None, 7))
    assert net.built and net.count_params() == 24
    with pytest.raises(NotImplementedError):
        Model()(np.ones((1, 1)))

    class Wrapped(Model):
        pass
    inp = Input(shape=(2,))
    w = Wrapped(inputs=inp, outputs=layers.Dense(1)(inp))
    assert w.name == "wrapped" and w(np.ones((3, 2))).shape == (3, 1)


def test_layer_output_attributes_and_multiple_nodes():
    d = layers.Dense(4)
    with pytest.raises(AttributeError, match="is not connected"):
        d.input
    a, b = Input(shape=(3,)), Input(shape=(3,))
    ya, yb = d(a), d(b)
    assert d.input is a and d.output is ya and d.get_output_at(1) is yb
    assert d.input_shape == (None, 3) and d.output_shape == (None, 4)
    assert ya._keras_history.node_index == 0 and yb._keras_history.node_index == 1
    with pytest.raises(TypeError):
        bool(ya)
    with pytest.raises(TypeError):
        len(ya)


def test_op_layer_config_with_slices_and_constants():
    inp = Input(shape=(6,))
    out = (1 - inp[:, 1:4]) * 3
    model = Model(inp, out)
    config = json.loads(json.dumps(model.get_config()))
    clone = Model.from_config(config)
    v = np.random.rand(2, 6).astype("float32")
    np.testing.assert_allclose(clone(v).numpy(), (1 - v[:, 1:4]) * 3, rtol=1e-6)


def test_shared_layer_and_mixed_operands():
    a, b = Input(shape=(3,)), Input(shape=(3,))
    shared = layers.Dense(2)
    out = shared(a) - shared(b)
    model = Model([a, b], out)
    assert [l.name for l in model.layers].count("dense") == 1 and model.count_params() == 8
    lines = []
    model.summary(print_fn=lines.append)
    assert any(l.startswith("dense (Dense)") and "input_1[0][0]" in l for l in lines)
    assert any(l.strip() == "input_2[0][0]" for l in lines)
    xa, xb = np.random.rand(2, 3), np.random.rand(2, 3)
    np.testing.assert_allclose(model([xa, xb]).numpy(), (shared(xa) - shared(xb)).numpy(), rtol=1e-5)
    x = Input(shape=(3,))
    v = tf.Variable([2., 2., 2.])
    outs = [tf.constant([1., 2., 3.]) + x, np.ones(3, "float32") * x, v * x,
            x @ tf.constant(np.ones((3, 2), "float32"))]
    res = Model(x, outs)(np.ones((1, 3), "float32"))
    np.testing.assert_allclose(res[0].numpy(), [[2., 3., 4.]])
    np.testing.assert_allclose(res[1].numpy(), [[1., 1., 1.]])
    np.testing.assert_allclose(res[2].numpy(), [[2., 2., 2.]])
    np.testing.assert_allclose(res[3].numpy(), [[3., 3.]])


def test_building_inside_tf_function_keeps_weights_out_of_the_graph():
    model = Sequential([layers.Dense(3), layers.Dropout(0.5), layers.Dense(2)])
    x = np.ones((4, 5), "float32")
    f = tf.function(lambda t: model(t, training=True))
    f(x)
    model.layers[0].set_weights([np.ones((5, 3)), np.zeros(3)])
    model.layers[2].set_weights([np.ones((3, 2)), np.zeros(2)])
    r1, r2 = f(x).numpy(), f(x).numpy()
    assert set(np.unique(r1)) <= {0., 10., 20., 30.} and set(np.unique(r2)) <= {0., 10., 20., 30.}
    np.testing.assert_allclose(tf.function(lambda t: model(t))(x).numpy(), np.full((4, 2), 15.))
