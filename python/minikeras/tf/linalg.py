"""tf.linalg."""
from ..engine.api.matmul import einsum, matmul, matvec, tensordot  # noqa: F401
from ..engine.api.index import eye  # noqa: F401
from ..engine.api.reduce import norm  # noqa: F401
from ..engine.api.nn import l2_normalize  # noqa: F401
from ..engine.api.optim import global_norm  # noqa: F401
