"""SGD with optional (Nesterov) momentum: tf.keras 2.5 formulas (ApplyKerasMomentum)."""
import numbers

from .. import _core
from .optimizer import Optimizer, _buf

C = _core.ops


class SGD(Optimizer):
    """Gradient descent: var -= lr * g; with momentum m:
    accum = m * accum - lr * g;  var += accum  (nesterov: var += m * accum - lr * g)."""

    _HAS_AGGREGATE_GRAD = True

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, name="SGD", **kwargs):
        super().__init__(name, **kwargs)
        self._set_hyper("learning_rate", kwargs.get("lr", learning_rate))
        self._set_hyper("decay", self._initial_decay)
        self._momentum = False
        if callable(momentum) or not isinstance(momentum, numbers.Number) or momentum > 0:
            self._momentum = True
        if isinstance(momentum, (int, float)) and (momentum < 0 or momentum > 1):
            raise ValueError("`momentum` must be between [0, 1].")
        self._set_hyper("momentum", momentum)
        self.nesterov = nesterov

    def _create_slots(self, var_list):
        if self._momentum:
            for var in var_list:
                self.add_slot(var, "momentum")

    def _resource_apply_dense(self, grad, var, apply_state):
        if self._momentum:
            C["sgd_update"](_buf(var), _buf(self.get_slot(var, "momentum")), grad,
                            apply_state["lr"], floats=(self._hyper_float("momentum"),),
                            ints=(int(bool(self.nesterov)),))
        else:
            C["sgd_update"](_buf(var), grad, apply_state["lr"])

    def get_config(self):
        config = super().get_config()
        config.update({
            "learning_rate": self._serialize_hyperparameter("learning_rate"),
            "decay": self._initial_decay,
            "momentum": self._serialize_hyperparameter("momentum"),
            "nesterov": self.nesterov,
        })
        return config
