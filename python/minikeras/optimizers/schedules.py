"""keras.optimizers.schedules: learning-rate schedules, callables of the step composed
from ops (so an optimizer evaluates them inside a traced train step at every replay).
Formulas are tf.keras 2.5's."""
import math

from .. import _core
from ..engine import dtypes as _dt
from ..engine.tensor import convert_to_tensor

C = _core.ops

__all__ = ["LearningRateSchedule", "ExponentialDecay", "PiecewiseConstantDecay",
           "PolynomialDecay", "InverseTimeDecay", "CosineDecay", "CosineDecayRestarts",
           "serialize", "deserialize"]


def _float(x, dtype=None):
    """x as a float tensor (Python numbers -> float32, tensors cast to `dtype` if given)."""
    t = convert_to_tensor(x)
    want = dtype._id if dtype is not None else (
        t._dtype_id if _dt.ALL[t._dtype_id].is_floating else _dt.float32._id)
    return t if t._dtype_id == want else C["cast"](t, ints=(want,))


def _s(v, t):
    """A scalar constant of t's dtype."""
    return _core.scalar(float(v), t._dtype_id)


class LearningRateSchedule:
    """Base class: a serializable callable step -> learning rate."""

    def __call__(self, step):
        raise NotImplementedError("Learning rate schedule must override __call__")

    def get_config(self):
        raise NotImplementedError("Learning rate schedule must override get_config")

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class ExponentialDecay(LearningRateSchedule):
    """initial_learning_rate * decay_rate ^ (step / decay_steps)  (floored when staircase)."""

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False, name=None):
        super().__init__()
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.decay_rate = decay_rate
        self.staircase = staircase
        self.name = name

    def __call__(self, step):
        lr = _float(self.initial_learning_rate)
        dt = lr.dtype
        p = C["divide"](_float(step, dt), _float(self.decay_steps, dt))
        if self.staircase:
            p = C["floor"](p)
        return C["multiply"](lr, C["pow"](_float(self.decay_rate, dt), p))

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate,
                "decay_steps": self.decay_steps, "decay_rate": self.decay_rate,
                "staircase": self.staircase, "name": self.name}


class PiecewiseConstantDecay(LearningRateSchedule):
    """values[0] while step <= boundaries[0], values[i] while boundaries[i-1] < step <=
    boundaries[i], values[-1] after the last boundary."""

    def __init__(self, boundaries, values, name=None):
        super().__init__()
        if len(boundaries) != len(values) - 1:
            raise ValueError("The length of boundaries should be 1 less than the length of values")
        self.boundaries = boundaries
        self.values = values
        self.name = name

    def __call__(self, step):
        x = convert_to_tensor(step)
        values = [convert_to_tensor(v) for v in self.values]
        vdt = values[0]._dtype_id
        values = [v if v._dtype_id == vdt else C["cast"](v, ints=(vdt,)) for v in values]
        out = values[0]
        for b, v in zip(self.boundaries, values[1:]):
            bt = convert_to_tensor(b)
            if bt._dtype_id != x._dtype_id:
                bt = C["cast"](bt, ints=(x._dtype_id,))
            out = C["where"](C["greater"](x, bt), v, out)
        return out

    def get_config(self):
        return {"boundaries": self.boundaries, "values": self.values, "name": self.name}


class PolynomialDecay(LearningRateSchedule):
    """(initial - end) * (1 - min(step, decay_steps) / decay_steps) ^ power + end; with cycle
    decay_steps is multiplied by ceil(step / decay_steps) (1 at step 0)."""

    def __init__(self, initial_learning_rate, decay_steps, end_learning_rate=0.0001, power=1.0,
                 cycle=False, name=None):
        super().__init__()
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.end_learning_rate = end_learning_rate
        self.power = power
        self.cycle = cycle
        self.name = name

    def __call__(self, step):
        lr = _float(self.initial_learning_rate)
        dt = lr.dtype
        end = _float(self.end_learning_rate, dt)
        power = _float(self.power, dt)
        gs = _float(step, dt)
        ds = _float(self.decay_steps, dt)
        if self.cycle:
            mult = C["where"](C["equal"](gs, _s(0, gs)), _s(1, gs), C["ceil"](C["divide"](gs, ds)))
            ds = C["multiply"](ds, mult)
        else:
            gs = C["minimum"](gs, ds)
        p = C["divide"](gs, ds)
        return C["add"](C["multiply"](C["subtract"](lr, end),
                                      C["pow"](C["subtract"](_s(1, p), p), power)), end)

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate,
                "decay_steps": self.decay_steps, "end_learning_rate": self.end_learning_rate,
                "power": self.power, "cycle": self.cycle, "name": self.name}


class InverseTimeDecay(LearningRateSchedule):
    """initial_learning_rate / (1 + decay_rate * step / decay_steps)  (floored when staircase)."""

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False, name=None):
        super().__init__()
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.decay_rate = decay_rate
        self.staircase = staircase
        self.name = name

    def __call__(self, step):
        lr = _float(self.initial_learning_rate)
        dt = lr.dtype
        p = C["divide"](_float(step, dt), _float(self.decay_steps, dt))
        if self.staircase:
            p = C["floor"](p)
        denom = C["add"](_s(1, lr), C["multiply"](_float(self.decay_rate, dt), p))
        return C["divide"](lr, denom)

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate,
                "decay_steps": self.decay_steps, "decay_rate": self.decay_rate,
                "staircase": self.staircase, "name": self.name}


class CosineDecay(LearningRateSchedule):
    """initial * ((1 - alpha) * c + alpha),
    c = 0.5 * (1 + cos(pi * min(step, decay_steps) / decay_steps))."""

    def __init__(self, initial_learning_rate, decay_steps, alpha=0.0, name=None):
        super().__init__()
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.alpha = alpha
        self.name = name

    def __call__(self, step):
        lr = _float(self.initial_learning_rate)
        dt = lr.dtype
        ds = _float(self.decay_steps, dt)
        gs = C["minimum"](_float(step, dt), ds)
        frac = C["divide"](gs, ds)
        cosd = C["multiply"](_s(0.5, lr), C["add"](_s(1, lr), C["cos"](C["multiply"](
            _s(math.pi, lr), frac))))
        decayed = C["add"](C["multiply"](_s(1 - self.alpha, lr), cosd), _s(self.alpha, lr))
        return C["multiply"](lr, decayed)

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate,
                "decay_steps": self.decay_steps, "alpha": self.alpha, "name": self.name}


class CosineDecayRestarts(LearningRateSchedule):
    """Cosine decay with warm restarts (SGDR): periods grow by t_mul, peaks shrink by m_mul."""

    def __init__(self, initial_learning_rate, first_decay_steps, t_mul=2.0, m_mul=1.0, alpha=0.0,
                 name=None):
        super().__init__()
        self.initial_learning_rate = initial_learning_rate
        self.first_decay_steps = first_decay_steps
        self._t_mul = t_mul
        self._m_mul = m_mul
        self.alpha = alpha
        self.name = name

    def __call__(self, step):
        lr = _float(self.initial_learning_rate)
        dt = lr.dtype
        frac = C["divide"](_float(step, dt), _float(self.first_decay_steps, dt))
        t_mul = float(self._t_mul)
        if t_mul == 1.0:
            i_restart = C["floor"](frac)
            frac = C["subtract"](frac, i_restart)
        else:
            i_restart = C["floor"](C["divide"](
                C["log"](C["subtract"](_s(1, frac), C["multiply"](frac, _s(1 - t_mul, frac)))),
                _s(math.log(t_mul), frac)))
            tpow = C["pow"](_s(t_mul, frac), i_restart)
            sum_r = C["divide"](C["subtract"](_s(1, frac), tpow), _s(1 - t_mul, frac))
            frac = C["divide"](C["subtract"](frac, sum_r), tpow)
        m_fac = C["pow"](_s(self._m_mul, frac), i_restart)
        cosd = C["multiply"](C["multiply"](_s(0.5, lr), m_fac), C["add"](_s(1, lr), C["cos"](
            C["multiply"](_s(math.pi, lr), frac))))
        decayed = C["add"](C["multiply"](_s(1 - self.alpha, lr), cosd), _s(self.alpha, lr))
        return C["multiply"](lr, decayed)

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate,
                "first_decay_steps": self.first_decay_steps, "t_mul": self._t_mul,
                "m_mul": self._m_mul, "alpha": self.alpha, "name": self.name}


_SCHEDULES = {c.__name__: c for c in (ExponentialDecay, PiecewiseConstantDecay, PolynomialDecay,
                                      InverseTimeDecay, CosineDecay, CosineDecayRestarts)}


def serialize(learning_rate_schedule):
    return {"class_name": learning_rate_schedule.__class__.__name__,
            "config": learning_rate_schedule.get_config()}


def deserialize(config, custom_objects=None):
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"Improper config format: {config}")
    name = config["class_name"]
    cls = (custom_objects or {}).get(name) or _SCHEDULES.get(name)
    if cls is None:
        raise ValueError("Unknown decay: " + str(name))
    return cls.from_config(config.get("config", {}))
