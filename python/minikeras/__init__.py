"""minikeras: a deep-learning library for teaching computer vision.

    import minikeras as keras
    from minikeras import tf
    from minikeras import Model, Sequential, layers

A C core (tensors, kernels on OpenBLAS, an autodiff tape, traced graphs replayed
in C) under a TensorFlow-style function namespace and the Keras API."""
__version__ = "0.1.0"

from . import tf  # noqa: E402,F401
from . import datasets, losses, metrics, optimizers, utils  # noqa: E402,F401
