"""tf.linalg."""
from ..engine.api.matmul import einsum, matmul, matvec, tensordot  # noqa: F401
from ..engine.api.index import eye  # noqa: F401
