"""tf.errors: the exception classes raised by the core."""
from .. import _core

InvalidArgumentError = _core.InvalidArgumentError
ResourceExhaustedError = _core.ResourceExhaustedError


class OperatorNotAllowedInGraphError(TypeError):
    """A Python operation on a traced tensor's value."""


OpError = Exception


class NotFoundError(OpError):
    """A file or other resource was not found (tf.io.read_file of a missing path)."""
