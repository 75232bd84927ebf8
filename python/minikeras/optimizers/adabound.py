"""AdaBound / AMSBound (Luo et al., ICLR 2019) with the formulas of keras-adabound, the
package the course imports (`from keras_adabound import AdaBound`)."""
import struct

from .. import _core
from .optimizer import EPSILON, Optimizer, _buf

C = _core.ops


def _bits(x):
    return struct.unpack("<q", struct.pack("<d", float(x)))[0]


class AdaBound(Optimizer):
    """Adam whose per-element step is clipped into bounds that converge to SGD's final_lr:
        t = iterations + 1;  lr_t = lr * sqrt(1 - beta_2^t) / (1 - beta_1^t)
        final = final_lr * lr / base_lr   (base_lr: the initial learning rate)
        lower = final * (1 - 1 / (gamma t + 1));  upper = final * (1 + 1 / (gamma t))
        g += weight_decay * var;  m = beta_1 m + (1 - beta_1) g;  v = beta_2 v + (1 - beta_2) g^2
        var -= clip(lr_t / (sqrt(v) + epsilon), lower, upper) * m
    amsgrad=True (alias amsbound) uses vhat = max(vhat, v) in the root.  epsilon=None means
    keras.backend.epsilon() (1e-7), as keras-adabound."""

    _HAS_AGGREGATE_GRAD = True

    def __init__(self, learning_rate=0.001, final_lr=0.1, base_lr=None, beta_1=0.9,
                 beta_2=0.999, gamma=1e-3, epsilon=None, weight_decay=0.0, amsgrad=False,
                 amsbound=None, name="AdaBound", **kwargs):
        learning_rate = kwargs.get("lr", learning_rate)
        super().__init__(name, **kwargs)
        self._set_hyper("learning_rate", learning_rate)
        self._set_hyper("decay", self._initial_decay)
        self._set_hyper("final_lr", final_lr)
        self._set_hyper("beta_1", beta_1)
        self._set_hyper("beta_2", beta_2)
        self._set_hyper("gamma", gamma)
        if base_lr is None:
            if not isinstance(learning_rate, (int, float)):
                raise ValueError("AdaBound needs `base_lr` when learning_rate is not a number")
            base_lr = learning_rate
        self.base_lr = float(base_lr)
        self.epsilon = EPSILON if epsilon is None else epsilon
        self.weight_decay = weight_decay
        self.amsgrad = bool(amsgrad if amsbound is None else amsbound)

    @property
    def amsbound(self):
        return self.amsgrad

    def _create_slots(self, var_list):
        for var in var_list:
            self.add_slot(var, "m")
        for var in var_list:
            self.add_slot(var, "v")
        if self.amsgrad:
            for var in var_list:
                self.add_slot(var, "vhat")

    def _resource_apply_dense(self, grad, var, apply_state):
        slots = [_buf(self.get_slot(var, "m")), _buf(self.get_slot(var, "v"))]
        if self.amsgrad:
            slots.append(_buf(self.get_slot(var, "vhat")))
        ratio = self._hyper_float("final_lr") / self.base_lr
        C["adabound_update"](_buf(var), *slots, grad, apply_state["lr"], apply_state["iter"],
                             floats=(self._hyper_float("beta_1"), self._hyper_float("beta_2"),
                                     float(self.epsilon), self._hyper_float("gamma")),
                             ints=(_bits(ratio), _bits(self.weight_decay)))

    def get_config(self):
        config = super().get_config()
        config.update({
            "learning_rate": self._serialize_hyperparameter("learning_rate"),
            "final_lr": self._serialize_hyperparameter("final_lr"),
            "base_lr": self.base_lr,
            "beta_1": self._serialize_hyperparameter("beta_1"),
            "beta_2": self._serialize_hyperparameter("beta_2"),
            "gamma": self._serialize_hyperparameter("gamma"),
            "decay": self._initial_decay,
            "weight_decay": self.weight_decay,
            "epsilon": self.epsilon,
            "amsgrad": self.amsgrad,
        })
        return config
