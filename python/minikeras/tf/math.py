"""tf.math."""
from ..engine.api.elementwise import *  # noqa: F401,F403
from ..engine.api.elementwise import abs, pow, round  # noqa: F401,A004
from ..engine.api.matmul import matmul  # noqa: F401
from ..engine.api.index import in_top_k, top_k, unsorted_segment_sum  # noqa: F401
from ..engine.api.reduce import *  # noqa: F401,F403
from ..engine.api.nn import l2_normalize, log_sigmoid, log_softmax, softmax, softplus, softsign  # noqa: F401
