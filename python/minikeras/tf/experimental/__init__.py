"""tf.experimental."""
from . import numpy  # noqa: F401
