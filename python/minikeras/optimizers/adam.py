"""Adam, AdamW, Adamax and Nadam with tf.keras 2.5's update formulas (AdamW: Keras 3's
decoupled weight decay)."""
from .. import _core
from .optimizer import EPSILON, Optimizer, _buf

C = _core.ops


class Adam(Optimizer):
    """Adam (tf ApplyAdam):  t = iterations + 1,  lr_t = lr * sqrt(1 - beta_2^t) / (1 - beta_1^t)
        m += (g - m) * (1 - beta_1);  v += (g^2 - v) * (1 - beta_2)
        var -= lr_t * m / (sqrt(v) + epsilon)        (amsgrad: vhat = max(vhat, v) in the root)"""

    _HAS_AGGREGATE_GRAD = True

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 amsgrad=False, name="Adam", **kwargs):
        super().__init__(name, **kwargs)
        self._set_hyper("learning_rate", kwargs.get("lr", learning_rate))
        self._set_hyper("decay", self._initial_decay)
        self._set_hyper("beta_1", beta_1)
        self._set_hyper("beta_2", beta_2)
        self.epsilon = epsilon or EPSILON
        self.amsgrad = amsgrad

    def _create_slots(self, var_list):
        for var in var_list:
            self.add_slot(var, "m")
        for var in var_list:
            self.add_slot(var, "v")
        if self.amsgrad:
            for var in var_list:
                self.add_slot(var, "vhat")

    def _weight_decay(self, var):
        return 0.0

    def _resource_apply_dense(self, grad, var, apply_state):
        slots = [_buf(self.get_slot(var, "m")), _buf(self.get_slot(var, "v"))]
        if self.amsgrad:
            slots.append(_buf(self.get_slot(var, "vhat")))
        C["adam_update"](_buf(var), *slots, grad, apply_state["lr"], apply_state["iter"],
                         floats=(self._hyper_float("beta_1"), self._hyper_float("beta_2"),
                                 float(self.epsilon), self._weight_decay(var)))

    def get_config(self):
        config = super().get_config()
        config.update({
            "learning_rate": self._serialize_hyperparameter("learning_rate"),
            "decay": self._initial_decay,
            "beta_1": self._serialize_hyperparameter("beta_1"),
            "beta_2": self._serialize_hyperparameter("beta_2"),
            "epsilon": self.epsilon,
            "amsgrad": self.amsgrad,
        })
        return config


class AdamW(Adam):
    """Adam with decoupled weight decay (Keras 3's AdamW): before each Adam step
    var -= var * weight_decay * lr  (lr: this step's learning rate, not bias-corrected)."""

    def __init__(self, learning_rate=0.001, weight_decay=0.004, beta_1=0.9, beta_2=0.999,
                 epsilon=1e-7, amsgrad=False, name="AdamW", **kwargs):
        super().__init__(learning_rate=learning_rate, beta_1=beta_1, beta_2=beta_2,
                         epsilon=epsilon, amsgrad=amsgrad, name=name, **kwargs)
        if weight_decay is None or weight_decay < 0:
            raise ValueError("Argument `weight_decay` must be a float >= 0. "
                             f"Received: weight_decay={weight_decay}")
        self.weight_decay = weight_decay
        self._exclude_ids = set()
        self._exclude_names = ()

    def exclude_from_weight_decay(self, var_list=None, var_names=None):
        """Variables (or variables whose name contains one of var_names) that get no decay."""
        if var_list:
            self._exclude_ids.update(id(v) for v in var_list)
        if var_names:
            self._exclude_names = tuple(self._exclude_names) + tuple(var_names)

    def _weight_decay(self, var):
        if id(var) in self._exclude_ids:
            return 0.0
        name = getattr(var, "name", "") or ""
        if any(n in name for n in self._exclude_names):
            return 0.0
        return float(self.weight_decay)

    def get_config(self):
        config = super().get_config()
        config["weight_decay"] = self.weight_decay
        return config


class Adamax(Optimizer):
    """Adamax (tf ApplyAdaMax): m += (g - m) * (1 - beta_1);  v = max(beta_2 * v, |g|)
        var -= lr / (1 - beta_1^t) * m / (v + epsilon)"""

    _HAS_AGGREGATE_GRAD = True

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 name="Adamax", **kwargs):
        super().__init__(name, **kwargs)
        self._set_hyper("learning_rate", kwargs.get("lr", learning_rate))
        self._set_hyper("decay", self._initial_decay)
        self._set_hyper("beta_1", beta_1)
        self._set_hyper("beta_2", beta_2)
        self.epsilon = epsilon or EPSILON

    def _create_slots(self, var_list):
        for var in var_list:
            self.add_slot(var, "m")
        for var in var_list:
            self.add_slot(var, "v")

    def _resource_apply_dense(self, grad, var, apply_state):
        C["adamax_update"](_buf(var), _buf(self.get_slot(var, "m")),
                           _buf(self.get_slot(var, "v")), grad, apply_state["lr"],
                           apply_state["iter"],
                           floats=(self._hyper_float("beta_1"), self._hyper_float("beta_2"),
                                   float(self.epsilon)))

    def get_config(self):
        config = super().get_config()
        config.update({
            "learning_rate": self._serialize_hyperparameter("learning_rate"),
            "decay": self._initial_decay,
            "beta_1": self._serialize_hyperparameter("beta_1"),
            "beta_2": self._serialize_hyperparameter("beta_2"),
            "epsilon": self.epsilon,
        })
        return config


class Nadam(Optimizer):
    """Nesterov Adam as tf.keras 2.5 (momentum schedule mu_t = beta_1 (1 - 0.5 * 0.96^(d t)),
    d = schedule_decay 0.004, cumulative product kept in the 'momentum_cache' weight)."""

    _HAS_AGGREGATE_GRAD = True

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 name="Nadam", **kwargs):
        # Backwards compatibility with keras NAdam optimizer.
        kwargs["decay"] = kwargs.pop("schedule_decay", 0.004)
        learning_rate = kwargs.get("lr", learning_rate)
        super().__init__(name, **kwargs)
        self._set_hyper("learning_rate", learning_rate)
        self._set_hyper("decay", self._initial_decay)
        self._set_hyper("beta_1", beta_1)
        self._set_hyper("beta_2", beta_2)
        self.epsilon = epsilon or EPSILON
        self._m_cache = None

    def _create_slots(self, var_list):
        if self._m_cache is None and var_list:
            dt = var_list[0].dtype
            self._m_cache = self.add_weight("momentum_cache", shape=[], dtype=dt,
                                            initializer="ones", trainable=False)
            self._weights.append(self._m_cache)
        for var in var_list:
            self.add_slot(var, "m")
        for var in var_list:
            self.add_slot(var, "v")

    def _decayed_lr(self, var_dtype="float32"):
        # Nadam's `decay` is the momentum schedule's, not a learning-rate decay
        saved, self._initial_decay = self._initial_decay, 0.0
        try:
            return super()._decayed_lr(var_dtype)
        finally:
            self._initial_decay = saved

    def _prepare(self, var_list):
        state = super()._prepare(var_list)
        C["nadam_cache_update"](_buf(self._m_cache), state["iter"],
                                floats=(self._hyper_float("beta_1"), float(self._initial_decay)))
        return state

    def _resource_apply_dense(self, grad, var, apply_state):
        C["nadam_update"](_buf(var), _buf(self.get_slot(var, "m")),
                          _buf(self.get_slot(var, "v")), grad, apply_state["lr"],
                          apply_state["iter"], _buf(self._m_cache),
                          floats=(self._hyper_float("beta_1"), self._hyper_float("beta_2"),
                                  float(self.epsilon), float(self._initial_decay)))

    def get_config(self):
        config = super().get_config()
        config.update({
            "learning_rate": self._serialize_hyperparameter("learning_rate"),
            "decay": self._initial_decay,
            "beta_1": self._serialize_hyperparameter("beta_1"),
            "beta_2": self._serialize_hyperparameter("beta_2"),
            "epsilon": self.epsilon,
        })
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        if "decay" in config:
            config["schedule_decay"] = config.pop("decay")
        return super().from_config(config, custom_objects)
