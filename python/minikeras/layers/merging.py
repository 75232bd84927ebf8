"""Merging layers (tf.keras 2.5): Add, Subtract, Multiply, Average, Maximum, Minimum,
Concatenate, Dot, and the functional forms add, subtract, multiply, average,
maximum, minimum, concatenate, dot.

Elementwise merges broadcast like tf.keras's _Merge: the batch sizes must agree,
the other dimensions broadcast from the right (1 against n), and inputs of lower
rank are expanded at axis 1 until all ranks agree."""
from .. import _core
from ..engine.tensor import TensorShape
from ..engine.api import matmul as _mm
from ..engine.api import nn as _nn
from ..engine.api import reduce as _red
from ..engine.api import shape as _sh
from .base import Layer

C = _core.ops


def _as_tuple(shape):
    """TensorShape / list / None -> a tuple of dims (None for unknown rank)."""
    if shape is None:
        return None
    if isinstance(shape, TensorShape):
        return None if shape.rank is None else tuple(shape.as_list())
    return tuple(shape)


def _shape_list(input_shape):
    """The input shapes of a merge layer as a list of tuples (or None)."""
    if isinstance(input_shape, TensorShape) or not isinstance(input_shape, (list, tuple)):
        return None
    if input_shape and all(d is None or isinstance(d, int) for d in input_shape):
        return None   # a single shape, not a list of shapes
    return [_as_tuple(s) for s in input_shape]


class _Merge(Layer):
    """Generic merge layer for elementwise merge functions."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        self._reshape_required = False

    def _merge_function(self, inputs):
        raise NotImplementedError

    def _compute_elemwise_op_output_shape(self, shape1, shape2):
        """The broadcast shape of two shapes without their batch dimension."""
        if None in [shape1, shape2]:
            return None
        if len(shape1) < len(shape2):
            return self._compute_elemwise_op_output_shape(shape2, shape1)
        if not shape2:
            return shape1
        output_shape = list(shape1[:-len(shape2)])
        for i, j in zip(shape1[-len(shape2):], shape2):
            if i is None or j is None:
                output_shape.append(None)
            elif i == 1:
                output_shape.append(j)
            elif j == 1:
                output_shape.append(i)
            else:
                if i != j:
                    raise ValueError("Operands could not be broadcast together with shapes "
                                     + str(shape1) + " " + str(shape2))
                output_shape.append(i)
        return tuple(output_shape)

    def build(self, input_shape):
        # Used purely for shape validation.
        shapes = _shape_list(input_shape)
        if shapes is None or not isinstance(shapes[0], tuple):
            raise ValueError("A merge layer should be called on a list of inputs.")
        if len(shapes) < 2:
            raise ValueError("A merge layer should be called on a list of at least 2 inputs. "
                             f"Got {len(shapes)} inputs.")
        batch_sizes = {s[0] for s in shapes if s} - {None}
        if len(batch_sizes) > 1:
            raise ValueError("Can not merge tensors with different batch sizes. Got tensors with "
                             f"shapes : {shapes}")
        output_shape = None if shapes[0] is None else shapes[0][1:]
        for i in range(1, len(shapes)):
            shape = None if shapes[i] is None else shapes[i][1:]
            output_shape = self._compute_elemwise_op_output_shape(output_shape, shape)
        # inputs of different ranks are reshaped to be broadcastable
        if None not in shapes and len(set(map(len, shapes))) == 1:
            self._reshape_required = False
        else:
            self._reshape_required = True
        self.built = True

    def call(self, inputs):
        if not isinstance(inputs, (list, tuple)):
            raise ValueError("A merge layer should be called on a list of inputs.")
        if self._reshape_required:
            max_ndim = max(x.ndim for x in inputs)
            reshaped = []
            for x in inputs:
                for _ in range(max_ndim - x.ndim):
                    x = _sh.expand_dims(x, axis=1)
                reshaped.append(x)
            return self._merge_function(reshaped)
        return self._merge_function(inputs)

    def compute_output_shape(self, input_shape):
        shapes = _shape_list(input_shape)
        if shapes is None:
            raise ValueError("A merge layer should be called on a list of inputs.")
        output_shape = None if shapes[0] is None else shapes[0][1:]
        for i in range(1, len(shapes)):
            shape = None if shapes[i] is None else shapes[i][1:]
            output_shape = self._compute_elemwise_op_output_shape(output_shape, shape)
        if output_shape is None:
            return TensorShape(None)
        batch_sizes = {s[0] for s in shapes if s is not None} - {None}
        if len(batch_sizes) == 1:
            output_shape = (list(batch_sizes)[0],) + tuple(output_shape)
        else:
            output_shape = (None,) + tuple(output_shape)
        return TensorShape(output_shape)

    def compute_mask(self, inputs, mask=None):
        if mask is None:
            return None
        if not isinstance(mask, (tuple, list)):
            raise ValueError(f"`mask` should be a list. Received: mask={mask}")
        if not isinstance(inputs, (tuple, list)):
            raise ValueError(f"`inputs` should be a list. Received: inputs={inputs}")
        if len(mask) != len(inputs):
            raise ValueError("The lists `inputs` and `mask` should have the same length.")
        if all(m is None for m in mask):
            return None
        masks = [_sh.expand_dims(m, axis=0) for m in mask if m is not None]
        return _red.reduce_all(_sh.concat(masks, axis=0), axis=0, keepdims=False)


class Add(_Merge):
    """The elementwise sum of a list of inputs (of the same shape, or broadcastable)."""

    def _merge_function(self, inputs):
        output = inputs[0]
        for i in range(1, len(inputs)):
            output = C["add"](output, inputs[i])
        return output


class Subtract(_Merge):
    """inputs[0] - inputs[1] (exactly two inputs)."""

    def build(self, input_shape):
        super().build(input_shape)
        if len(input_shape) != 2:
            raise ValueError("A `Subtract` layer should be called on exactly 2 inputs")

    def _merge_function(self, inputs):
        if len(inputs) != 2:
            raise ValueError("A `Subtract` layer should be called on exactly 2 inputs")
        return C["subtract"](inputs[0], inputs[1])


class Multiply(_Merge):
    """The elementwise product of a list of inputs."""

    def _merge_function(self, inputs):
        output = inputs[0]
        for i in range(1, len(inputs)):
            output = C["multiply"](output, inputs[i])
        return output


class Average(_Merge):
    """The elementwise mean of a list of inputs."""

    def _merge_function(self, inputs):
        output = inputs[0]
        for i in range(1, len(inputs)):
            output = C["add"](output, inputs[i])
        return C["divide"](output, _core.scalar(float(len(inputs)), output._dtype_id))


class Maximum(_Merge):
    """The elementwise maximum of a list of inputs."""

    def _merge_function(self, inputs):
        output = inputs[0]
        for i in range(1, len(inputs)):
            output = C["maximum"](output, inputs[i])
        return output


class Minimum(_Merge):
    """The elementwise minimum of a list of inputs."""

    def _merge_function(self, inputs):
        output = inputs[0]
        for i in range(1, len(inputs)):
            output = C["minimum"](output, inputs[i])
        return output


class Concatenate(_Merge):
    """Concatenate a list of inputs along `axis` (all other dimensions must match)."""

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = axis
        self.supports_masking = True
        self._reshape_required = False

    def build(self, input_shape):
        # Used purely for shape validation.
        shapes = _shape_list(input_shape)
        if shapes is None or not isinstance(shapes[0], tuple) or len(shapes) < 2:
            raise ValueError("A `Concatenate` layer should be called on a list of at least 2 "
                             "inputs")
        self.built = True
        if all(shape is None for shape in shapes):
            return
        reduced_inputs_shapes = [list(shape) for shape in shapes]
        shape_set = set()
        err_msg = ("A `Concatenate` layer requires inputs with matching shapes except for the "
                   f"concat axis. Got inputs shapes: {shapes}")
        for i in range(len(reduced_inputs_shapes)):
            try:
                del reduced_inputs_shapes[i][self.axis]
            except IndexError:
                raise ValueError(err_msg) from None
            shape_set.add(tuple(reduced_inputs_shapes[i]))
        if len(shape_set) != 1:
            # all the shapes must have the same rank
            ranks = set(len(shape) for shape in shape_set)
            if len(ranks) != 1:
                raise ValueError(err_msg)
            (rank,) = ranks
            for axis in range(rank):
                # unknown (None) dimensions are checked when the layer runs
                unique_dims = set(shape[axis] for shape in shape_set if shape[axis] is not None)
                if len(unique_dims) > 1:
                    raise ValueError(err_msg)

    def _merge_function(self, inputs):
        return _sh.concat(list(inputs), axis=self.axis)

    def compute_output_shape(self, input_shape):
        shapes = _shape_list(input_shape)
        if shapes is None or not isinstance(shapes[0], tuple):
            raise ValueError("A `Concatenate` layer should be called on a list of inputs.")
        output_shape = list(shapes[0])
        for shape in shapes[1:]:
            if output_shape[self.axis] is None or shape[self.axis] is None:
                output_shape[self.axis] = None
                break
            output_shape[self.axis] += shape[self.axis]
        return TensorShape(output_shape)

    def compute_mask(self, inputs, mask=None):
        if mask is None:
            return None
        if not isinstance(mask, (tuple, list)):
            raise ValueError(f"`mask` should be a list. Received mask={mask}")
        if not isinstance(inputs, (tuple, list)):
            raise ValueError(f"`inputs` should be a list. Received: inputs={inputs}")
        if len(mask) != len(inputs):
            raise ValueError("The lists `inputs` and `mask` should have the same length. "
                             f"Received: inputs={inputs} of length {len(inputs)}, and "
                             f"mask={mask} of length {len(mask)}")
        if all(m is None for m in mask):
            return None
        from ..engine.api import index as _ix
        masks = []
        for input_i, mask_i in zip(inputs, mask):
            if mask_i is None:
                masks.append(_ix.ones_like(input_i, dtype="bool"))
            elif mask_i.ndim < input_i.ndim:
                masks.append(_sh.expand_dims(mask_i, axis=-1))
            else:
                masks.append(mask_i)
        concatenated = _sh.concat(masks, axis=self.axis)
        return _red.reduce_all(concatenated, axis=-1, keepdims=False)

    def get_config(self):
        config = {"axis": self.axis}
        base = super().get_config()
        return dict(list(base.items()) + list(config.items()))


def _batch_dot(x, y, axes):
    """keras.backend.batch_dot for the axes Dot resolved (non-negative, not the batch axis):
    contracts x's axes[0] with y's axes[1] for each sample; the result has x's remaining
    dimensions then y's; a result of rank 1 gets a trailing axis of size 1."""
    x_ndim, y_ndim = x.ndim, y.ndim
    if x_ndim < 2 or y_ndim < 2:
        raise ValueError(f"Cannot do batch_dot on inputs with rank < 2. Received inputs with "
                         f"shapes {tuple(x._shape)} and {tuple(y._shape)}.")
    a0, a1 = axes
    if a0 == 0 or a1 == 0:
        raise ValueError("Cannot perform batch_dot over axis 0. If your inputs are not batched, "
                         "add a dummy batch dimension to your inputs using K.expand_dims(x, 0)")
    if x._shape[0] != y._shape[0]:
        raise ValueError(f"Cannot do batch_dot on inputs with different batch sizes. Received "
                         f"inputs with shapes {tuple(x._shape)} and {tuple(y._shape)}.")
    if x._shape[a0] != y._shape[a1]:
        raise ValueError(f"Cannot do batch_dot on inputs with shapes {tuple(x._shape)} and "
                         f"{tuple(y._shape)} with axes={list(axes)}. x.shape[{a0}] != "
                         f"y.shape[{a1}] ({x._shape[a0]} != {y._shape[a1]}).")
    letters = "bcdefghijklmnopqrstuvwxyz"
    xs = ["a"] + [letters[i] for i in range(x_ndim - 1)]
    ys = ["a"] + [letters[x_ndim - 1 + i] for i in range(y_ndim - 1)]
    ys[a1] = xs[a0]
    out = [c for i, c in enumerate(xs) if i != a0] + [c for i, c in enumerate(ys) if i not in (0, a1)]
    result = _mm.einsum("".join(xs) + "," + "".join(ys) + "->" + "".join(out), x, y)
    if result.ndim == 1:
        result = _sh.expand_dims(result, 1)
    return result


class Dot(_Merge):
    """Per-sample dot product of two inputs along `axes` (an int or a pair); with
    normalize=True the inputs are L2-normalised along those axes first (cosine similarity)."""

    def __init__(self, axes, normalize=False, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(axes, int):
            if not isinstance(axes, (list, tuple)):
                raise TypeError("Invalid type for `axes` - should be a list or an int.")
            if len(axes) != 2:
                raise ValueError("Invalid format for `axes` - should contain two elements.")
            if not isinstance(axes[0], int) or not isinstance(axes[1], int):
                raise ValueError('Invalid format for `axes` - list elements should be "int".')
        self.axes = axes
        self.normalize = normalize
        self.supports_masking = True
        self._reshape_required = False

    def build(self, input_shape):
        # Used purely for shape validation.
        shapes = _shape_list(input_shape)
        if shapes is None or not isinstance(shapes[0], tuple) or len(shapes) != 2:
            raise ValueError("A `Dot` layer should be called on a list of 2 inputs.")
        self.built = True
        shape1, shape2 = shapes
        if shape1 is None or shape2 is None:
            return
        if isinstance(self.axes, int):
            if self.axes < 0:
                axes = [self.axes % len(shape1), self.axes % len(shape2)]
            else:
                axes = [self.axes] * 2
        else:
            axes = self.axes
        if shape1[axes[0]] != shape2[axes[1]]:
            raise ValueError(f"Dimension incompatibility {shape1[axes[0]]} != {shape2[axes[1]]}. "
                             f"Layer shapes: {shape1}, {shape2}. Chosen axes: {axes[0]}, {axes[1]}")

    def _merge_function(self, inputs):
        if len(inputs) != 2:
            raise ValueError("A `Dot` layer should be called on exactly 2 inputs")
        x1, x2 = inputs
        if isinstance(self.axes, int):
            if self.axes < 0:
                axes = [self.axes % x1.ndim, self.axes % x2.ndim]
            else:
                axes = [self.axes] * 2
        else:
            axes = []
            for i in range(len(self.axes)):
                if self.axes[i] < 0:
                    axes.append(self.axes[i] % inputs[i].ndim)
                else:
                    axes.append(self.axes[i])
        if self.normalize:
            x1 = _nn.l2_normalize(x1, axis=axes[0])
            x2 = _nn.l2_normalize(x2, axis=axes[1])
        return _batch_dot(x1, x2, axes)

    def compute_output_shape(self, input_shape):
        shapes = _shape_list(input_shape)
        if shapes is None or len(shapes) != 2:
            raise ValueError("A `Dot` layer should be called on a list of 2 inputs.")
        shape1 = list(shapes[0])
        shape2 = list(shapes[1])
        if isinstance(self.axes, int):
            if self.axes < 0:
                axes = [self.axes % len(shape1), self.axes % len(shape2)]
            else:
                axes = [self.axes] * 2
        else:
            axes = self.axes
        shape1.pop(axes[0])
        shape2.pop(axes[1])
        shape2.pop(0)
        output_shape = shape1 + shape2
        if len(output_shape) == 1:
            output_shape += [1]
        return TensorShape(output_shape)

    def compute_mask(self, inputs, mask=None):
        return None

    def get_config(self):
        config = {"axes": self.axes, "normalize": self.normalize}
        base = super().get_config()
        return dict(list(base.items()) + list(config.items()))


# ---- functional interfaces ------------------------------------------------------------------

def add(inputs, **kwargs):
    """Functional interface to the `Add` layer."""
    return Add(**kwargs)(inputs)


def subtract(inputs, **kwargs):
    """Functional interface to the `Subtract` layer."""
    return Subtract(**kwargs)(inputs)


def multiply(inputs, **kwargs):
    """Functional interface to the `Multiply` layer."""
    return Multiply(**kwargs)(inputs)


def average(inputs, **kwargs):
    """Functional interface to the `Average` layer."""
    return Average(**kwargs)(inputs)


def maximum(inputs, **kwargs):
    """Functional interface to the `Maximum` layer."""
    return Maximum(**kwargs)(inputs)


def minimum(inputs, **kwargs):
    """Functional interface to the `Minimum` layer."""
    return Minimum(**kwargs)(inputs)


def concatenate(inputs, axis=-1, **kwargs):
    """Functional interface to the `Concatenate` layer."""
    return Concatenate(axis=axis, **kwargs)(inputs)


def dot(inputs, axes, normalize=False, **kwargs):
    """Functional interface to the `Dot` layer."""
    return Dot(axes=axes, normalize=normalize, **kwargs)(inputs)


__all__ = ["Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate", "Dot",
           "add", "subtract", "multiply", "average", "maximum", "minimum", "concatenate", "dot"]
