"""model.summary() in tf.keras 2.5's exact layout."""
import numpy as np
import pytest

from minikeras import backend, layers
from minikeras.models import Model, Sequential
from minikeras.utils import count_params, print_summary


@pytest.fixture(autouse=True)
def _fresh_session():
    backend.clear_session()
    yield


COURSE_SUMMARY = '''\
Model: "sequential"
_________________________________________________________________
Layer (type)                 Output Shape              Param #   
=================================================================
dense (Dense)                (None, 100)               5100      
_________________________________________________________________
dense_1 (Dense)              (None, 100)               10100     
_________________________________________________________________
dense_2 (Dense)              (None, 10)                1010      
=================================================================
Total params: 16,210
Trainable params: 16,210
Non-trainable params: 0
_________________________________________________________________
'''


def _summary(model, **kwargs):
    lines = []
    model.summary(print_fn=lines.append, **kwargs)
    return "\n".join(lines) + "\n"


def test_course_first_model_summary_exact(capsys):
    model = Sequential([
        layers.InputLayer(input_shape=(50,)),
        layers.Dense(100, "relu"),
        layers.Dense(100, "relu"),
        layers.Dense(10, "softmax"),
    ])
    assert _summary(model) == COURSE_SUMMARY
    model.summary()
    assert capsys.readouterr().out == COURSE_SUMMARY
    backend.clear_session()
    model = Sequential([layers.Dense(100, "relu", input_shape=(50,)), layers.Dense(100, "relu"),
                        layers.Dense(10, "softmax")])
    assert _summary(model) == COURSE_SUMMARY
    assert all(len(line) == 65 for line in COURSE_SUMMARY.splitlines()[1:10])


def test_functional_summary_with_connections_exact():
    inp = layers.Input(shape=(50,))
    out1 = layers.Dense(10, "relu")(inp)
    out3 = layers.Dense(1)(out1)
    out4 = layers.Dense(1)(inp)
    model = Model(inp, out3 + out4)
    expected = [
        'Model: "model"',
        "_" * 98,
        "Layer (type)                    Output Shape         Param #     Connected to                     ",
        "=" * 98,
        "input_1 (InputLayer)            [(None, 50)]         0                                            ",
        "_" * 98,
        "dense (Dense)                   (None, 10)           510         input_1[0][0]                    ",
        "_" * 98,
        "dense_1 (Dense)                 (None, 1)            11          dense[0][0]                      ",
        "_" * 98,
        "dense_2 (Dense)                 (None, 1)            51          input_1[0][0]                    ",
        "_" * 98,
        "tf.__operators__.add (TFOpLambd (None, 1)            0           dense_1[0][0]                    ",
        "                                                                 dense_2[0][0]                    ",
        "=" * 98,
        "Total params: 572",
        "Trainable params: 572",
        "Non-trainable params: 0",
        "_" * 98,
    ]
    assert _summary(model) == "\n".join(expected) + "\n"


def test_sequential_like_functional_keeps_short_layout():
    inp = layers.Input(shape=(50,))
    hidden = layers.Dense(100, "relu")(inp)
    out = layers.Dense(10, "softmax")(hidden)
    text = _summary(Model(inp, out))
    lines = text.splitlines()
    assert lines[0] == 'Model: "model"' and len(lines[1]) == 65
    assert lines[4] == "input_1 (InputLayer)         [(None, 50)]              0         "
    assert lines[6] == "dense (Dense)                (None, 100)               5100      "
    assert "Total params: 6,110" in lines


def test_subclassed_multiple_and_unused_and_nonbuilt_layer():
    class Net(Model):
        def __init__(self):
            super().__init__()
            self.a = layers.Dense(4)
            self.unused = layers.Dense(3)

        def call(self, x):
            return self.a(x)
    net = Net()
    net(np.ones((1, 2)))
    lines = _summary(net).splitlines()
    assert lines[0] == 'Model: "net"'
    assert lines[4] == "dense (Dense)                multiple                  12        "
    assert lines[6] == "dense_1 (Dense)              multiple                  0 (unused)"
    assert lines[-4:-1] == ["Total params: 12", "Trainable params: 12", "Non-trainable params: 0"]


def test_nested_model_rows_non_trainable_and_big_counts():
    inner = Sequential([layers.Dense(1000, input_shape=(1000,)), layers.Dense(1000)], name="inner")
    outer = Sequential([inner, layers.Dense(10)])
    inner.trainable = False
    lines = _summary(outer).splitlines()
    assert lines[4] == "inner (Sequential)           (None, 1000)              2002000   "
    assert lines[-4:-1] == ["Total params: 2,012,010", "Trainable params: 10,010",
                            "Non-trainable params: 2,002,000"]


def test_line_length_positions_and_truncation():
    model = Sequential([layers.Dense(3, input_shape=(2,), name="a_very_long_layer_name_indeed")])
    lines = _summary(model, line_length=40, positions=[.5, .8, 1.]).splitlines()
    assert lines[1] == "_" * 40
    assert lines[2] == "Layer (type)        Output Shap Param # "
    assert lines[4] == "a_very_long_layer_n (None, 3)   9       "
    lines = _summary(model, positions=[20, 40, 50]).splitlines()
    assert lines[2] == "Layer (type)        Output Shape        Param #   "
    assert print_summary is not None and count_params(model.weights) == 9
