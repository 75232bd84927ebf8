"""tf.linalg."""
from ..engine.api.matmul import einsum, matmul, matvec, tensordot  # noqa: F401
