"""minikeras: a deep-learning library for teaching computer vision.

    import minikeras as keras
    from minikeras import tf
    from minikeras import Model, Sequential, layers

A C core (tensors, kernels on OpenBLAS, an autodiff tape, traced graphs replayed
in C) under a TensorFlow-style function namespace and the Keras API."""
__version__ = "0.1.0"

import os as _os  # noqa: E402

# OpenMP threads sleep after a short spin: on a shared 2-core machine a spinning team loses
# whole time slices to other processes (fit epochs 8x slower).  libgomp reads this when
# _core loads; a user's own setting wins.
_os.environ.setdefault("GOMP_SPINCOUNT", "1000")

from . import tf  # noqa: E402,F401
from . import backend, activations, initializers, layers, models, utils  # noqa: E402,F401
from . import callbacks, constraints, datasets, losses, metrics, optimizers, preprocessing, regularizers, saving, trainers  # noqa: E402,F401
from .models import Model, Sequential  # noqa: E402,F401
from .layers import Input  # noqa: E402,F401

# keras.applications (Xception, EfficientNetB0-B7)
from . import applications  # noqa: E402,F401
