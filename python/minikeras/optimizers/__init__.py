"""keras.optimizers (tf.keras 2.5): SGD, Adam, RMSprop, Adagrad, Adadelta, Adamax, Nadam,
plus AdamW (Keras 3's) and AdaBound (keras-adabound's), each step one fused C op;
learning-rate schedules in keras.optimizers.schedules."""
from . import schedules
from .adabound import AdaBound
from .adagrad import Adadelta, Adagrad
from .adam import Adam, Adamax, AdamW, Nadam
from .optimizer import Optimizer
from .rmsprop import RMSProp, RMSprop
from .sgd import SGD

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax",
           "Nadam", "AdaBound", "RMSProp", "schedules", "get", "serialize", "deserialize"]

_ALL_CLASSES = {
    "adadelta": Adadelta, "adagrad": Adagrad, "adam": Adam, "adamax": Adamax, "nadam": Nadam,
    "rmsprop": RMSprop, "sgd": SGD, "adamw": AdamW, "adabound": AdaBound,
}


def serialize(optimizer):
    """{'class_name': ..., 'config': optimizer.get_config()}"""
    return {"class_name": optimizer.__class__.__name__, "config": optimizer.get_config()}


def deserialize(config, custom_objects=None):
    """An optimizer from {'class_name', 'config'}; class names are case-insensitive for the
    built-in optimizers ('Adam', 'adam')."""
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError("Improper config format: " + str(config))
    name = config["class_name"]
    custom_objects = custom_objects or {}
    cls = custom_objects.get(name)
    if cls is None:
        cls = _ALL_CLASSES.get(str(name).lower())
    if cls is None:
        raise ValueError("Unknown optimizer: " + str(name))
    cfg = dict(config.get("config") or {})
    if hasattr(cls, "from_config"):
        try:
            return cls.from_config(cfg, custom_objects=custom_objects)
        except TypeError:
            return cls.from_config(cfg)
    return cls(**cfg)


def get(identifier):
    """An optimizer from an instance, a config dict or a name ('adam', 'SGD', ...)."""
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        return deserialize({"class_name": str(identifier), "config": {}})
    raise ValueError("Could not interpret optimizer identifier: {}".format(identifier))
