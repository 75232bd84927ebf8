"""keras.utils.Progbar, character for character against tf.keras 2.5's output, with a fake
clock and a StringIO stdout."""
import sys

import pytest

from minikeras.utils import progbar as progbar_module
from minikeras.utils.progbar import Progbar


class FakeClock:
    def __init__(self, t=1000.0):
        self.t = t

    def time(self):
        return self.t


class Out:
    """What was written to stdout (pytest's capsys), as a growing string."""

    def __init__(self, capsys):
        self.capsys = capsys
        self.text = ""

    def getvalue(self):
        self.text += self.capsys.readouterr().out
        return self.text

    def clear(self):
        self.getvalue()
        self.text = ""


@pytest.fixture
def env(monkeypatch, capsys):
    clock = FakeClock()
    monkeypatch.setattr(progbar_module, "time", clock)
    return clock, Out(capsys)


def test_dynamic_display_rule(env):
    # 'posix' is imported on every POSIX system, so tf.keras 2.5 always redraws in place there
    assert Progbar(10)._dynamic_display == ("posix" in sys.modules)


def test_verbose1_running_and_final_lines(env):
    clock, out = env
    bar = Progbar(10)
    bar._dynamic_display = True
    clock.t += 0.1
    bar.update(1, [("loss", 0.5)])
    first = "\r 1/10 [==>...........................] - ETA: 0s - loss: 0.5000"
    assert out.getvalue() == first
    clock.t += 0.9
    bar.update(10, [("loss", 0.3)], finalize=True)
    width = len(first) - 1
    # loss averaged over steps: (0.5 * 1 + 0.3 * 9) / 10 = 0.32
    final = "10/10 [==============================] - 1s 100ms/step - loss: 0.3200\n"
    assert out.getvalue() == first + "\b" * width + "\r" + final


def test_stateful_metrics_shown_as_given(env):
    clock, out = env
    bar = Progbar(4, stateful_metrics=["accuracy"])
    bar._dynamic_display = True
    clock.t += 2.0
    bar.update(2, [("accuracy", 0.25), ("loss", 1.0)])
    clock.t += 2.0
    bar.update(4, [("accuracy", 0.75), ("loss", 3.0)])
    text = out.getvalue()
    assert text.endswith("4/4 [==============================] - 4s 1s/step - accuracy: 0.7500"
                         " - loss: 2.0000\n")


def test_throttle_skips_fast_updates_but_not_the_last(env):
    clock, out = env
    bar = Progbar(3)
    bar._dynamic_display = True
    clock.t += 0.1
    bar.update(1)
    n = len(out.getvalue())
    clock.t += 0.01
    bar.update(2)                       # within 0.05 s of the previous draw: skipped
    assert len(out.getvalue()) == n
    clock.t += 0.01
    bar.update(3)                       # final: always drawn
    assert out.getvalue().endswith("3/3 [==============================] - 0s 10ms/step\n")


def test_non_dynamic_display_uses_newlines_and_pads(env):
    clock, out = env
    bar = Progbar(2)
    bar._dynamic_display = False
    clock.t += 0.5
    bar.update(1, [("loss", 12.0)])
    clock.t += 0.5
    bar.update(2, [("loss", 10.0)])
    assert out.getvalue() == (
        "\n1/2 [==============>...............] - ETA: 0s - loss: 12.0000"
        "\n2/2 [==============================] - 1s 500ms/step - loss: 11.0000\n")


def test_padding_when_line_shrinks(env):
    clock, out = env
    bar = Progbar(2)
    bar._dynamic_display = True
    clock.t += 1.0
    bar.update(1, [("a", 123456.0)])
    first = out.getvalue()
    clock.t += 100.0
    bar.update(2, [("a", -123454.0)], finalize=False)
    line2 = out.getvalue()[len(first):]
    assert line2.startswith("\b" * (len(first) - 1) + "\r")
    body = line2[len(first):]
    # shorter text is padded with spaces to the previous width
    assert len(body) == len(first) - 1
    assert body.rstrip(" ") == "2/2 [==============================] - ETA: 0s - a: 1.0000"


def test_small_values_use_exponent_format(env):
    clock, out = env
    bar = Progbar(1)
    clock.t += 0.002
    bar.update(1, [("loss", 0.0005), ("neg", -0.0002), ("big", -2.5)])
    assert out.getvalue().endswith(
        "1/1 [==============================] - 0s 2ms/step - loss: 5.0000e-04"
        " - neg: -2.0000e-04 - big: -2.5000\n")


def test_time_units(env):
    clock, out = env
    bar = Progbar(1)
    clock.t += 0.0000123
    bar.update(1)
    assert out.getvalue().endswith("- 0s 12us/step\n")
    out.clear()
    bar = Progbar(1, unit_name="sample")
    clock.t += 3.4
    bar.update(1)
    assert out.getvalue().endswith("1/1 [==============================] - 3s 3s/sample\n")


def test_eta_formats(env):
    clock, out = env
    bar = Progbar(10000)
    clock.t += 2.0
    bar.update(1)
    # first step took 2 s: ETA = 2 * 9999 s = 5:33:18
    assert "1/10000 [..............................] - ETA: 5:33:18" in out.getvalue()
    out.clear()
    bar = Progbar(100)
    clock.t += 1.0
    bar.update(1)
    assert out.getvalue().endswith("  1/100 [..............................] - ETA: 1:39")


def test_step_duration_ignores_first_step(env):
    clock, out = env
    bar = Progbar(3)
    clock.t += 5.0
    bar.update(1)           # slow first step (tracing)
    clock.t += 0.2
    bar.update(2)
    clock.t += 0.2
    bar.update(3)
    assert out.getvalue().endswith("3/3 [==============================] - 5s 200ms/step\n")


def test_unknown_target(env):
    clock, out = env
    bar = Progbar(None)
    clock.t += 0.5
    bar.update(5, [("loss", 1.0)])
    assert out.getvalue() == "\r      5/Unknown - 0s 100ms/step - loss: 1.0000"


def test_verbose2_single_line(env):
    clock, out = env
    bar = Progbar(59, verbose=2, stateful_metrics=["loss", "accuracy"])
    clock.t += 0.3
    bar.update(30, [("loss", 0.9), ("accuracy", 0.5)])
    assert out.getvalue() == ""
    clock.t += 0.9
    bar.update(59, [("loss", 0.4663), ("accuracy", 0.873)])
    assert out.getvalue() == "59/59 - 1s - loss: 0.4663 - accuracy: 0.8730\n"


def test_verbose0_prints_nothing(env):
    clock, out = env
    bar = Progbar(5, verbose=0)
    for i in range(1, 6):
        clock.t += 1
        bar.update(i, [("loss", 1.0)])
    assert out.getvalue() == ""


def test_add_and_running_average(env):
    clock, out = env
    bar = Progbar(6, verbose=2)
    bar.add(2, [("loss", 1.0)])
    bar.add(4, [("loss", 4.0)])
    clock.t += 1
    # (1*2 + 4*4) / 6 = 3.0
    assert out.getvalue() == "6/6 - 0s - loss: 3.0000\n"
