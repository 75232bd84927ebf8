"""RMSprop with tf.keras 2.5's formulas."""
import numbers

import numpy as np

from .. import _core
from .optimizer import EPSILON, Optimizer, _buf

C = _core.ops


class RMSprop(Optimizer):
    """RMSprop as tf.keras 2.5:
      without momentum: ms = rho ms + (1 - rho) g^2;  var -= lr g / (sqrt(ms) + eps)
                        (centered: mg = rho mg + (1 - rho) g, denominator sqrt(ms - mg^2) + eps)
      with momentum (tf ApplyRMSProp / ApplyCenteredRMSProp, epsilon INSIDE the root):
                        mom = momentum mom + lr g / sqrt(ms [- mg^2] + eps);  var -= mom"""

    _HAS_AGGREGATE_GRAD = True

    def __init__(self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False,
                 name="RMSprop", **kwargs):
        super().__init__(name, **kwargs)
        self._set_hyper("learning_rate", kwargs.get("lr", learning_rate))
        self._set_hyper("decay", self._initial_decay)
        self._set_hyper("rho", rho)
        self._momentum = False
        if callable(momentum) or not isinstance(momentum, numbers.Number) or momentum > 0:
            self._momentum = True
        if isinstance(momentum, (int, float)) and (momentum < 0 or momentum > 1):
            raise ValueError("`momentum` must be between [0, 1].")
        self._set_hyper("momentum", momentum)
        self.epsilon = epsilon or EPSILON
        self.centered = centered

    def _create_slots(self, var_list):
        for var in var_list:
            self.add_slot(var, "rms")
        if self._momentum:
            for var in var_list:
                self.add_slot(var, "momentum")
        if self.centered:
            for var in var_list:
                self.add_slot(var, "mg")

    def _resource_apply_dense(self, grad, var, apply_state):
        slots = [_buf(self.get_slot(var, "rms"))]
        if self._momentum:
            slots.append(_buf(self.get_slot(var, "momentum")))
        if self.centered:
            slots.append(_buf(self.get_slot(var, "mg")))
        C["rmsprop_update"](_buf(var), *slots, grad, apply_state["lr"],
                            floats=(self._hyper_float("rho"), self._hyper_float("momentum"),
                                    float(self.epsilon)),
                            ints=(int(self._momentum), int(bool(self.centered))))

    def set_weights(self, weights):
        # Keras 1 RMSprop weights had no iteration count at their head
        if len(self.weights) == len(weights) + 1:
            weights = [np.array(0)] + list(weights)
        super().set_weights(weights)

    def get_config(self):
        config = super().get_config()
        config.update({
            "learning_rate": self._serialize_hyperparameter("learning_rate"),
            "decay": self._initial_decay,
            "rho": self._serialize_hyperparameter("rho"),
            "momentum": self._serialize_hyperparameter("momentum"),
            "epsilon": self.epsilon,
            "centered": self.centered,
        })
        return config


RMSProp = RMSprop
