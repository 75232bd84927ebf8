"""keras.Input / InputLayer: the entry points of functional models; KerasTensor."""
from .. import backend
from ..engine import dtypes as _dt
from ..engine.tensor import TensorShape
from .base import Layer
from .node import KerasTensor, Node

__all__ = ["InputLayer", "Input", "KerasTensor"]


class InputLayer(Layer):
    """A layer with no computation whose output is the model's input KerasTensor."""

    def __init__(self, input_shape=None, batch_size=None, dtype=None, input_tensor=None,
                 sparse=None, name=None, ragged=None, type_spec=None, **kwargs):
        if "batch_input_shape" in kwargs:
            batch_input_shape = kwargs.pop("batch_input_shape")
            if input_shape and batch_input_shape:
                raise ValueError("Only provide the input_shape OR batch_input_shape argument to "
                                 "InputLayer, not both at the same time.")
            if batch_input_shape:
                batch_size = batch_input_shape[0]
                input_shape = batch_input_shape[1:]
        if kwargs:
            raise ValueError("Unrecognized keyword arguments:", kwargs.keys())
        if sparse or ragged:
            raise ValueError("minikeras supports dense inputs only (sparse/ragged=True given).")
        if not name:
            prefix = "input"
            name = prefix + "_" + str(backend.get_uid(prefix))
        if not dtype:
            dtype = backend.floatx() if input_tensor is None else input_tensor.dtype.name
        elif input_tensor is not None and input_tensor.dtype != dtype:
            raise ValueError(f"`input_tensor.dtype` differs from `dtype`: {input_tensor.dtype} vs. "
                             f"{dtype}")
        super().__init__(dtype=dtype, name=name)
        self.built = True
        self.sparse = False
        self.ragged = False
        self.batch_size = batch_size
        self.supports_masking = True
        if isinstance(input_shape, TensorShape):
            input_shape = tuple(input_shape.as_list())
        elif isinstance(input_shape, int):
            input_shape = (input_shape,)
        if input_tensor is None:
            if input_shape is not None:
                batch_input_shape = (batch_size,) + tuple(input_shape)
            else:
                batch_input_shape = None
            input_tensor = KerasTensor(batch_input_shape, _dt.as_dtype(dtype), name=self.name)
            self.is_placeholder = True
            self._batch_input_shape = batch_input_shape
        else:
            if not isinstance(input_tensor, KerasTensor):
                raise ValueError("You should not pass a non-symbolic tensor as `input_tensor` to "
                                 "an InputLayer in minikeras.")
            self.is_placeholder = False
            self._batch_input_shape = tuple(input_tensor.shape.as_list())
        Node(self, outputs=input_tensor)

    def call(self, inputs):
        return inputs

    def get_config(self):
        return {"batch_input_shape": self._batch_input_shape, "dtype": self.dtype,
                "sparse": self.sparse, "ragged": self.ragged, "name": self.name}


def Input(shape=None, batch_size=None, name=None, dtype=None, sparse=None, tensor=None,  # noqa: N802
          ragged=None, type_spec=None, **kwargs):
    """A symbolic input of a functional model: `keras.Input(shape=(50,))` is a KerasTensor
    of shape (None, 50)."""
    if sparse and ragged:
        raise ValueError("Cannot set both sparse and ragged to True in a Keras input.")
    config = {"name": name, "dtype": dtype, "sparse": sparse, "ragged": ragged,
              "input_tensor": tensor, "type_spec": type_spec}
    batch_input_shape = kwargs.pop("batch_input_shape", kwargs.pop("batch_shape", None))
    if shape is not None and batch_input_shape is not None:
        raise ValueError("Only provide the `shape` OR `batch_shape` argument to Input, not both at "
                         "the same time.")
    if batch_input_shape is None and shape is None and tensor is None and type_spec is None:
        raise ValueError("Please provide to Input a `shape` or a `tensor` or a `type_spec` argument. "
                         "Note that `shape` does not include the batch dimension.")
    if kwargs:
        raise ValueError("Unrecognized keyword arguments:", kwargs.keys())
    if batch_input_shape:
        config["batch_input_shape"] = tuple(batch_input_shape)
    else:
        if isinstance(shape, int):
            shape = (shape,)
        config.update({"batch_size": batch_size, "input_shape": shape})
    layer = InputLayer(**config)
    outputs = layer._inbound_nodes[0].outputs
    if isinstance(outputs, list) and len(outputs) == 1:
        return outputs[0]
    return outputs
