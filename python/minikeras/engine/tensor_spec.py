"""tf.TensorSpec: the shape and dtype of a tensor (used by tf.data's element_spec,
from_generator's output_signature and tf.function's input_signature)."""
from .dtypes import as_dtype, float32
from .tensor import TensorShape


def _as_shape(shape):
    if isinstance(shape, TensorShape):
        return shape
    if shape is None:
        return TensorShape(None)
    if isinstance(shape, int):
        return TensorShape([shape])
    return TensorShape(list(shape))


def _as_dtype(dtype):
    return float32 if dtype is None else as_dtype(dtype)


class TensorSpec:
    """Describes a tensor: TensorSpec(shape, dtype=tf.float32, name=None)."""

    __slots__ = ("_shape", "_dtype", "_name")

    def __init__(self, shape, dtype=float32, name=None):
        self._shape = _as_shape(shape)
        self._dtype = _as_dtype(dtype)
        self._name = name

    @classmethod
    def from_spec(cls, spec, name=None):
        return cls(spec.shape, spec.dtype, spec.name if name is None else name)

    @classmethod
    def from_tensor(cls, tensor, name=None):
        return cls(tensor.shape, tensor.dtype, name)

    @property
    def shape(self):
        return self._shape

    @property
    def dtype(self):
        return self._dtype

    @property
    def name(self):
        return self._name

    @property
    def value_type(self):
        from .tensor import Tensor
        return Tensor

    def is_compatible_with(self, spec_or_tensor):
        other = spec_or_tensor
        if other.dtype != self._dtype:
            return False
        return _shapes_compatible(self._shape, _as_shape(other.shape))

    def most_specific_compatible_type(self, other):
        if other.dtype != self._dtype:
            raise ValueError(f"No TypeSpec is compatible with both {self} and {other}")
        return TensorSpec(most_specific_shape(self._shape, _as_shape(other.shape)), self._dtype)

    def __eq__(self, other):
        return (isinstance(other, TensorSpec) and self._shape == other._shape and
                self._dtype == other._dtype and self._name == other._name)

    def __ne__(self, other):
        return not self == other

    def __hash__(self):
        return hash((self._shape, self._dtype, self._name))

    def __repr__(self):
        return f"TensorSpec(shape={self._shape}, dtype={self._dtype!r}, name={self._name!r})"

    def __reduce__(self):
        return TensorSpec, (self._shape.dims, self._dtype, self._name)


def _shapes_compatible(a, b):
    if a.rank is None or b.rank is None:
        return True
    if a.rank != b.rank:
        return False
    return all(x is None or y is None or x == y for x, y in zip(a.dims, b.dims))


def most_specific_shape(a, b):
    """The most specific shape compatible with both (unequal dims become None)."""
    if a.rank is None or b.rank is None or a.rank != b.rank:
        return TensorShape(None)
    return TensorShape([x if x == y else None for x, y in zip(a.dims, b.dims)])
