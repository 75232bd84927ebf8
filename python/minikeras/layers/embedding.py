"""keras.layers.Embedding (tf.keras 2.5): integer indices -> dense vectors (tf.gather)."""
from .. import _core
from .. import constraints
from .. import initializers
from .. import regularizers
from ..engine.tensor import TensorShape
from ..engine import dtypes as _dt
from ..engine.api import index as _ix
from .base import Layer

C = _core.ops


class Embedding(Layer):
    """Maps each index in [0, input_dim) to a row of the (input_dim, output_dim) matrix
    `embeddings`; inputs (batch, ...) -> outputs (batch, ..., output_dim).  Non-integer
    inputs are cast to int32.  With mask_zero=True index 0 is padding: compute_mask gives
    `inputs != 0`."""

    def __init__(self, input_dim, output_dim, embeddings_initializer="uniform",
                 embeddings_regularizer=None, activity_regularizer=None,
                 embeddings_constraint=None, mask_zero=False, input_length=None, **kwargs):
        if "input_shape" not in kwargs:
            if input_length:
                kwargs["input_shape"] = (input_length,)
            else:
                kwargs["input_shape"] = (None,)
        if input_dim <= 0 or output_dim <= 0:
            raise ValueError("Both `input_dim` and `output_dim` should be positive, found "
                             f"input_dim {input_dim} and output_dim {output_dim}")
        # floating inputs are indices: they are not cast to the layer's dtype
        kwargs["autocast"] = False
        super().__init__(**kwargs)
        self.input_dim = input_dim
        self.output_dim = output_dim
        self.embeddings_initializer = initializers.get(embeddings_initializer)
        self.embeddings_regularizer = regularizers.get(embeddings_regularizer)
        self.activity_regularizer = regularizers.get(activity_regularizer)
        self.embeddings_constraint = constraints.get(embeddings_constraint)
        self.mask_zero = mask_zero
        self.supports_masking = mask_zero
        self.input_length = input_length

    def build(self, input_shape=None):
        self.embeddings = self.add_weight(shape=(self.input_dim, self.output_dim),
                                          initializer=self.embeddings_initializer,
                                          name="embeddings",
                                          regularizer=self.embeddings_regularizer,
                                          constraint=self.embeddings_constraint,
                                          experimental_autocast=False)
        self.built = True

    def compute_mask(self, inputs, mask=None):
        if not self.mask_zero:
            return None
        inputs = inputs._as_tensor() if hasattr(inputs, "_as_tensor") and \
            not isinstance(inputs, _core.TensorBase) else inputs
        return C["not_equal"](inputs, _core.scalar(0, inputs._dtype_id))

    def compute_output_shape(self, input_shape):
        input_shape = tuple(TensorShape(input_shape).as_list())
        if self.input_length is None:
            return TensorShape(input_shape + (self.output_dim,))
        # input_length can be a tuple if the input is 3D or higher
        if isinstance(self.input_length, (list, tuple)):
            in_lens = list(self.input_length)
        else:
            in_lens = [self.input_length]
        if len(in_lens) != len(input_shape) - 1:
            raise ValueError(f'"input_length" is {self.input_length}, but received input has '
                             f"shape {input_shape}")
        for i, (s1, s2) in enumerate(zip(in_lens, input_shape[1:])):
            if s1 is not None and s2 is not None and s1 != s2:
                raise ValueError(f'"input_length" is {self.input_length}, but received input has '
                                 f"shape {input_shape}")
            elif s1 is None:
                in_lens[i] = s2
        return TensorShape((input_shape[0],) + tuple(in_lens) + (self.output_dim,))

    def _output_dtype(self, input_dtype):
        return self._compute_dtype_object

    def call(self, inputs):
        dtype = inputs.dtype.name
        if dtype not in ("int32", "int64"):
            inputs = C["cast"](inputs, ints=(_dt.int32._id,))
        out = _ix.gather(self.embeddings._value, inputs)
        if self._compute_dtype_object._id != out._dtype_id:
            # cast the output rather than the table (same result, faster)
            out = C["cast"](out, ints=(self._compute_dtype_object._id,))
        return out

    def get_config(self):
        config = {
            "input_dim": self.input_dim,
            "output_dim": self.output_dim,
            "embeddings_initializer": initializers.serialize(self.embeddings_initializer),
            "embeddings_regularizer": regularizers.serialize(self.embeddings_regularizer),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            "embeddings_constraint": constraints.serialize(self.embeddings_constraint),
            "mask_zero": self.mask_zero,
            "input_length": self.input_length,
        }
        base = super().get_config()
        return dict(list(base.items()) + list(config.items()))


__all__ = ["Embedding"]
