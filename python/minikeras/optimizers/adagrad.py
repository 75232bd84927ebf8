"""Adagrad and Adadelta with tf.keras 2.5's formulas."""
from .. import _core
from .optimizer import EPSILON, Optimizer, _buf

C = _core.ops


class Adagrad(Optimizer):
    """Adagrad (tf ApplyAdagradV2): accum += g^2;  var -= lr g / (sqrt(accum) + epsilon)."""

    _HAS_AGGREGATE_GRAD = True

    def __init__(self, learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7,
                 name="Adagrad", **kwargs):
        if initial_accumulator_value < 0.0:
            raise ValueError("initial_accumulator_value must be non-negative: %s" %
                             initial_accumulator_value)
        if epsilon is None:
            epsilon = EPSILON
        super().__init__(name, **kwargs)
        self._set_hyper("learning_rate", kwargs.get("lr", learning_rate))
        self._set_hyper("decay", self._initial_decay)
        self._initial_accumulator_value = initial_accumulator_value
        self.epsilon = epsilon or EPSILON

    def _create_slots(self, var_list):
        for var in var_list:
            self.add_slot(var, "accumulator", float(self._initial_accumulator_value))

    def _resource_apply_dense(self, grad, var, apply_state):
        C["adagrad_update"](_buf(var), _buf(self.get_slot(var, "accumulator")), grad,
                            apply_state["lr"], floats=(float(self.epsilon),))

    def get_config(self):
        config = super().get_config()
        config.update({
            "learning_rate": self._serialize_hyperparameter("learning_rate"),
            "decay": self._initial_decay,
            "initial_accumulator_value": self._initial_accumulator_value,
            "epsilon": self.epsilon,
        })
        return config


class Adadelta(Optimizer):
    """Adadelta (tf ApplyAdadelta): accum = rho accum + (1 - rho) g^2
        update = sqrt(accum_var + eps) / sqrt(accum + eps) * g;  var -= lr * update
        accum_var = rho accum_var + (1 - rho) update^2"""

    _HAS_AGGREGATE_GRAD = True

    def __init__(self, learning_rate=0.001, rho=0.95, epsilon=1e-7, name="Adadelta", **kwargs):
        super().__init__(name, **kwargs)
        self._set_hyper("learning_rate", kwargs.get("lr", learning_rate))
        self._set_hyper("decay", self._initial_decay)
        self._set_hyper("rho", rho)
        self.epsilon = epsilon or EPSILON

    def _create_slots(self, var_list):
        for v in var_list:
            self.add_slot(v, "accum_grad")
        for v in var_list:
            self.add_slot(v, "accum_var")

    def _resource_apply_dense(self, grad, var, apply_state):
        C["adadelta_update"](_buf(var), _buf(self.get_slot(var, "accum_grad")),
                             _buf(self.get_slot(var, "accum_var")), grad, apply_state["lr"],
                             floats=(self._hyper_float("rho"), float(self.epsilon)))

    def get_config(self):
        config = super().get_config()
        config.update({
            "learning_rate": self._serialize_hyperparameter("learning_rate"),
            "decay": self._initial_decay,
            "rho": self._serialize_hyperparameter("rho"),
            "epsilon": self.epsilon,
        })
        return config
