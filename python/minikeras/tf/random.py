"""tf.random."""
from ..engine.api.random import *  # noqa: F401,F403
