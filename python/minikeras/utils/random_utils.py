"""keras.utils.set_random_seed: one call seeds Python's `random`, numpy and minikeras' tf.random."""
import random

import numpy as np

__all__ = ["set_random_seed"]


def set_random_seed(seed):
    """Sets the seed of Python's `random`, `np.random` and `tf.random` (tf.random.set_seed).

    After it, the same program gives the same weights, shuffles and dropout masks."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise ValueError("Expected `seed` argument to be an integer. Received: seed=%r (of type %s)"
                         % (seed, type(seed)))
    seed = int(seed)
    random.seed(seed)
    np.random.seed(seed % (2 ** 32))
    from minikeras import tf
    tf.random.set_seed(seed)
