"""tf.experimental."""
from . import numpy  # noqa: F401
from ...data.dataset import Optional  # noqa: E402,F401  (tf.experimental.Optional)
