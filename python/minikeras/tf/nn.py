"""tf.nn."""
from ..engine.api.nn import *  # noqa: F401,F403
from ..engine.api.reduce import moments  # noqa: F401
from ..engine.api.index import in_top_k, top_k  # noqa: F401
from ..engine.api.pool import *  # noqa: F401,F403  (pooling, fused_batch_norm, batch_normalization)
