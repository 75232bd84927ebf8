"""Convolution layers (tf.keras 2.5): Conv1D, Conv2D, Conv2DTranspose, DepthwiseConv2D,
SeparableConv1D, SeparableConv2D and their Convolution* aliases.

They run the C conv family directly (csrc/kernels/conv.c: NHWC, HWIO kernels):
channels_first inputs are transposed in and out, Conv1D runs as a 2-D convolution
of height 1, 'causal' padding is a left pad followed by a 'valid' convolution."""
import numpy as np

from .. import _core
from .. import activations
from .. import initializers
from ..engine.tensor import TensorShape
from ..engine.api import shape as _sh
from .base import (Layer, InputSpec, _get_constraint, _get_regularizer, serialize_keras_object)

C = _core.ops

__all__ = ["Conv1D", "Conv2D", "Conv2DTranspose", "DepthwiseConv2D", "SeparableConv1D",
           "SeparableConv2D", "Convolution1D", "Convolution2D", "Convolution2DTranspose",
           "SeparableConvolution1D", "SeparableConvolution2D"]


from ..utils.conv_utils import (conv_output_length, deconv_output_length,  # noqa: E402,F401
                                normalize_data_format, normalize_padding, normalize_tuple)


def _ser(x):
    return serialize_keras_object(x)


# ---- Conv base -----------------------------------------------------------------------------

class Conv(Layer):
    """N-D convolution base (rank 1 or 2): kernel kernel_size + (in // groups, filters)."""

    def __init__(self, rank, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, groups=1, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, trainable=True, name=None,
                 conv_op=None, **kwargs):
        super().__init__(trainable=trainable, name=name, activity_regularizer=activity_regularizer,
                         **kwargs)
        self.rank = rank
        if isinstance(filters, float):
            filters = int(filters)
        self.filters = filters
        self.groups = groups or 1
        self.kernel_size = normalize_tuple(kernel_size, rank, "kernel_size")
        self.strides = normalize_tuple(strides, rank, "strides")
        self.padding = normalize_padding(padding)
        self.data_format = normalize_data_format(data_format)
        self.dilation_rate = normalize_tuple(dilation_rate, rank, "dilation_rate")
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = _get_regularizer(kernel_regularizer)
        self.bias_regularizer = _get_regularizer(bias_regularizer)
        self.kernel_constraint = _get_constraint(kernel_constraint)
        self.bias_constraint = _get_constraint(bias_constraint)
        self.input_spec = InputSpec(min_ndim=rank + 2)
        self._validate_init()
        self._is_causal = self.padding == "causal"
        self._channels_first = self.data_format == "channels_first"

    def _validate_init(self):
        if self.filters is not None and self.filters % self.groups != 0:
            raise ValueError(f"The number of filters must be evenly divisible by the number of "
                             f"groups. Received: groups={self.groups}, filters={self.filters}")
        if not all(self.kernel_size):
            raise ValueError(f"The argument `kernel_size` cannot contain 0(s). Received: "
                             f"{(self.kernel_size,)}")
        if self.padding == "causal" and not isinstance(self, (Conv1D, SeparableConv1D)):
            raise ValueError("Causal padding is only supported for `Conv1D` and `SeparableConv1D`.")

    def _channel_axis(self):
        return 1 if self._channels_first else -1

    def _input_channel(self, input_shape):
        ch = input_shape[self._channel_axis()]
        if ch is None:
            raise ValueError(f"The channel dimension of the inputs should be defined. The input_shape "
                             f"received is {input_shape}, where axis {self._channel_axis()} (0-based) "
                             f"is the channel dimension, which found to be `None`.")
        return int(ch)

    def build(self, input_shape):
        input_shape = TensorShape(input_shape)
        input_channel = self._input_channel(input_shape)
        if input_channel % self.groups != 0:
            raise ValueError(f"The number of input channels must be evenly divisible by the number of "
                             f"groups. Received groups={self.groups}, but the input has "
                             f"{input_channel} channels (full input shape is {input_shape}).")
        kernel_shape = self.kernel_size + (input_channel // self.groups, self.filters)
        self.kernel = self.add_weight(name="kernel", shape=kernel_shape,
                                      initializer=self.kernel_initializer,
                                      regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint, trainable=True,
                                      dtype=self.dtype)
        if self.use_bias:
            self.bias = self.add_weight(name="bias", shape=(self.filters,),
                                        initializer=self.bias_initializer,
                                        regularizer=self.bias_regularizer,
                                        constraint=self.bias_constraint, trainable=True,
                                        dtype=self.dtype)
        else:
            self.bias = None
        ax = self._channel_axis() % (self.rank + 2)
        self.input_spec = InputSpec(min_ndim=self.rank + 2, axes={ax: input_channel})
        self.built = True

    # -- running ----------------------------------------------------------------------
    def _cast_in(self, inputs):
        if inputs._dtype_id != self._compute_dtype_object._id:
            inputs = C["cast"](inputs, ints=(self._compute_dtype_object._id,))
        return inputs

    def _w(self, var, like):
        w = var._value
        if w._dtype_id != like._dtype_id:
            w = C["cast"](w, ints=(like._dtype_id,))
        return w

    def _ints(self, padding=None):
        padding = padding or self.padding
        s = self.strides if self.rank == 2 else (1,) + self.strides
        d = self.dilation_rate if self.rank == 2 else (1,) + self.dilation_rate
        return (s[0], s[1], d[0], d[1], 1 if padding == "same" else 0)

    def _to_nhwc(self, x):
        """Layer input -> 4-D NHWC (and what _from_nhwc needs to undo it)."""
        batch = None
        nd = self.rank + 2
        if x.ndim > nd:      # extra leading batch dimensions
            batch = tuple(x._shape[:x.ndim - nd + 1])
            x = C["reshape"](x, ints=(int(np.prod(batch, dtype=np.int64)),) + tuple(x._shape[-nd + 1:]))
        if self.rank == 1:
            if self._channels_first:
                x = C["transpose"](x, ints=(0, 2, 1))
            x = C["reshape"](x, ints=(x._shape[0], 1, x._shape[1], x._shape[2]))
        elif self._channels_first:
            x = C["transpose"](x, ints=(0, 2, 3, 1))
        return x, batch

    def _from_nhwc(self, y, batch):
        if self.rank == 1:
            y = C["reshape"](y, ints=(y._shape[0], y._shape[2], y._shape[3]))
            if self._channels_first:
                y = C["transpose"](y, ints=(0, 2, 1))
        elif self._channels_first:
            y = C["transpose"](y, ints=(0, 3, 1, 2))
        if batch is not None:
            y = C["reshape"](y, ints=batch + tuple(y._shape[1:]))
        return y

    def _causal_pad(self, x):
        """x is NHWC with H == 1: pad the width on the left by dilation * (kernel - 1)."""
        left = self.dilation_rate[-1] * (self.kernel_size[-1] - 1)
        return _sh.pad(x, [[0, 0], [0, 0], [left, 0], [0, 0]]) if left else x

    def _kernel4(self, kernel):
        if self.rank == 1:
            return C["reshape"](kernel, ints=(1,) + tuple(kernel._shape))
        return kernel

    def _fused(self, op, x, kernel, ints):
        """op(x, kernel[, bias]) with the bias and a relu activation fused into the C op;
        any other activation runs after it."""
        ins = (x, kernel, self._w(self.bias, x)) if self.use_bias else (x, kernel)
        act = self.activation
        relu = act is activations.relu
        y = C[op](*ins, ints=ints + (1 if relu else 0,))
        if act is not None and act is not activations.linear and not relu:
            y = act(y)
        return y

    def _bias_act(self, y):
        if self.use_bias:
            y = C["add"](y, self._w(self.bias, y))
        if self.activation is not None and self.activation is not activations.linear:
            y = self.activation(y)
        return y

    def call(self, inputs):
        x, batch = self._to_nhwc(self._cast_in(inputs))
        kernel = self._kernel4(self._w(self.kernel, x))
        padding = self.padding
        if self._is_causal:
            x = self._causal_pad(x)
            padding = "valid"
        # bias and activation in NHWC (channels last), before transposing back
        return self._from_nhwc(self._fused("conv2d", x, kernel, self._ints(padding)), batch)

    def _output_dtype(self, input_dtype):
        return self._compute_dtype_object

    def _spatial_output_shape(self, spatial):
        return [conv_output_length(length, self.kernel_size[i], padding=self.padding,
                                   stride=self.strides[i], dilation=self.dilation_rate[i])
                for i, length in enumerate(spatial)]

    def _out_channels(self, input_shape):
        return self.filters

    def compute_output_shape(self, input_shape):
        input_shape = TensorShape(input_shape).as_list()
        batch_rank = len(input_shape) - self.rank - 1
        ch = self._out_channels(input_shape)
        if self._channels_first:
            return TensorShape(input_shape[:batch_rank] + [ch] +
                               self._spatial_output_shape(input_shape[batch_rank + 1:]))
        return TensorShape(input_shape[:batch_rank] +
                           self._spatial_output_shape(input_shape[batch_rank:-1]) + [ch])

    def get_config(self):
        config = {
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "data_format": self.data_format,
            "dilation_rate": self.dilation_rate,
            "groups": self.groups,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": _ser(self.kernel_regularizer),
            "bias_regularizer": _ser(self.bias_regularizer),
            "activity_regularizer": _ser(self.activity_regularizer),
            "kernel_constraint": _ser(self.kernel_constraint),
            "bias_constraint": _ser(self.bias_constraint),
        }
        base_config = super().get_config()
        return dict(list(base_config.items()) + list(config.items()))


class Conv1D(Conv):
    """1-D convolution: (batch, steps, channels) -> (batch, new_steps, filters)."""

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format="channels_last",
                 dilation_rate=1, groups=1, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(rank=1, filters=filters, kernel_size=kernel_size, strides=strides,
                         padding=padding, data_format=data_format, dilation_rate=dilation_rate,
                         groups=groups, activation=activations.get(activation), use_bias=use_bias,
                         kernel_initializer=initializers.get(kernel_initializer),
                         bias_initializer=initializers.get(bias_initializer),
                         kernel_regularizer=kernel_regularizer, bias_regularizer=bias_regularizer,
                         activity_regularizer=activity_regularizer,
                         kernel_constraint=kernel_constraint, bias_constraint=bias_constraint,
                         **kwargs)


class Conv2D(Conv):
    """2-D convolution: (batch, rows, cols, channels) -> (batch, new_rows, new_cols, filters)."""

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid", data_format=None,
                 dilation_rate=(1, 1), groups=1, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(rank=2, filters=filters, kernel_size=kernel_size, strides=strides,
                         padding=padding, data_format=data_format, dilation_rate=dilation_rate,
                         groups=groups, activation=activations.get(activation), use_bias=use_bias,
                         kernel_initializer=initializers.get(kernel_initializer),
                         bias_initializer=initializers.get(bias_initializer),
                         kernel_regularizer=kernel_regularizer, bias_regularizer=bias_regularizer,
                         activity_regularizer=activity_regularizer,
                         kernel_constraint=kernel_constraint, bias_constraint=bias_constraint,
                         **kwargs)


class Conv2DTranspose(Conv2D):
    """Transposed 2-D convolution: kernel (kh, kw, filters, in_channels)."""

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid", output_padding=None,
                 data_format=None, dilation_rate=(1, 1), activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(filters=filters, kernel_size=kernel_size, strides=strides, padding=padding,
                         data_format=data_format, dilation_rate=dilation_rate,
                         activation=activations.get(activation), use_bias=use_bias,
                         kernel_initializer=initializers.get(kernel_initializer),
                         bias_initializer=initializers.get(bias_initializer),
                         kernel_regularizer=kernel_regularizer, bias_regularizer=bias_regularizer,
                         activity_regularizer=activity_regularizer,
                         kernel_constraint=kernel_constraint, bias_constraint=bias_constraint,
                         **kwargs)
        self.output_padding = output_padding
        if self.output_padding is not None:
            self.output_padding = normalize_tuple(self.output_padding, 2, "output_padding")
            for stride, out_pad in zip(self.strides, self.output_padding):
                if out_pad >= stride:
                    raise ValueError(f"Stride {self.strides} must be greater than output padding "
                                     f"{self.output_padding}")

    def build(self, input_shape):
        input_shape = TensorShape(input_shape)
        if len(input_shape) != 4:
            raise ValueError(f"Inputs should have rank 4. Received input_shape={input_shape}.")
        input_dim = self._input_channel(input_shape)
        self.input_spec = InputSpec(ndim=4, axes={1 if self._channels_first else 3: input_dim})
        kernel_shape = self.kernel_size + (self.filters, input_dim)
        self.kernel = self.add_weight(name="kernel", shape=kernel_shape,
                                      initializer=self.kernel_initializer,
                                      regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint, trainable=True,
                                      dtype=self.dtype)
        if self.use_bias:
            self.bias = self.add_weight(name="bias", shape=(self.filters,),
                                        initializer=self.bias_initializer,
                                        regularizer=self.bias_regularizer,
                                        constraint=self.bias_constraint, trainable=True,
                                        dtype=self.dtype)
        else:
            self.bias = None
        self.built = True

    def _out_len(self, i, length):
        op = None if self.output_padding is None else self.output_padding[i]
        return deconv_output_length(length, self.kernel_size[i], padding=self.padding,
                                    output_padding=op, stride=self.strides[i],
                                    dilation=self.dilation_rate[i])

    def call(self, inputs):
        x, batch = self._to_nhwc(self._cast_in(inputs))
        kernel = self._w(self.kernel, x)
        n, h, w, _ = x._shape
        oh, ow = self._out_len(0, h), self._out_len(1, w)
        y = C["conv2d_backprop_input"](x, kernel, ints=self._ints() + (oh, ow, self.filters))
        return self._from_nhwc(self._bias_act(y), batch)

    def _spatial_output_shape(self, spatial):
        return [self._out_len(i, length) for i, length in enumerate(spatial)]

    def get_config(self):
        config = super().get_config()
        config["output_padding"] = self.output_padding
        return config


class DepthwiseConv2D(Conv2D):
    """Depthwise 2-D convolution: depthwise_kernel (kh, kw, in, depth_multiplier)."""

    def __init__(self, kernel_size, strides=(1, 1), padding="valid", depth_multiplier=1,
                 data_format=None, dilation_rate=(1, 1), activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", bias_initializer="zeros",
                 depthwise_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 depthwise_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(filters=None, kernel_size=kernel_size, strides=strides, padding=padding,
                         data_format=data_format, dilation_rate=dilation_rate, activation=activation,
                         use_bias=use_bias, bias_regularizer=bias_regularizer,
                         activity_regularizer=activity_regularizer, bias_constraint=bias_constraint,
                         **kwargs)
        self.depth_multiplier = depth_multiplier
        self.depthwise_initializer = initializers.get(depthwise_initializer)
        self.depthwise_regularizer = _get_regularizer(depthwise_regularizer)
        self.depthwise_constraint = _get_constraint(depthwise_constraint)
        self.bias_initializer = initializers.get(bias_initializer)

    def build(self, input_shape):
        input_shape = TensorShape(input_shape)
        if len(input_shape) < 4:
            raise ValueError(f"Inputs to `DepthwiseConv2D` should have rank 4. Received input shape: "
                             f"{input_shape}")
        if input_shape[self._channel_axis()] is None:
            raise ValueError("The channel dimension of the inputs to `DepthwiseConv2D` should be "
                             "defined. Found `None`.")
        input_dim = int(input_shape[self._channel_axis()])
        self.depthwise_kernel = self.add_weight(
            shape=self.kernel_size + (input_dim, self.depth_multiplier),
            initializer=self.depthwise_initializer, name="depthwise_kernel",
            regularizer=self.depthwise_regularizer, constraint=self.depthwise_constraint,
            trainable=True, dtype=self.dtype)
        if self.use_bias:
            self.bias = self.add_weight(shape=(input_dim * self.depth_multiplier,),
                                        initializer=self.bias_initializer, name="bias",
                                        regularizer=self.bias_regularizer,
                                        constraint=self.bias_constraint, trainable=True,
                                        dtype=self.dtype)
        else:
            self.bias = None
        self.input_spec = InputSpec(ndim=4, axes={self._channel_axis() % 4: input_dim})
        self.built = True

    def call(self, inputs):
        x, batch = self._to_nhwc(self._cast_in(inputs))
        y = self._fused("depthwise_conv2d", x, self._w(self.depthwise_kernel, x), self._ints())
        return self._from_nhwc(y, batch)

    def _out_channels(self, input_shape):
        ch = input_shape[self._channel_axis()]
        return None if ch is None else ch * self.depth_multiplier

    def get_config(self):
        config = super().get_config()
        config.pop("filters")
        config.pop("kernel_initializer")
        config.pop("kernel_regularizer")
        config.pop("kernel_constraint")
        config["depth_multiplier"] = self.depth_multiplier
        config["depthwise_initializer"] = initializers.serialize(self.depthwise_initializer)
        config["depthwise_regularizer"] = _ser(self.depthwise_regularizer)
        config["depthwise_constraint"] = _ser(self.depthwise_constraint)
        return config


class SeparableConv(Conv):
    """Depthwise convolution then a pointwise (1x1) one: depthwise_kernel
    kernel_size + (in, depth_multiplier), pointwise_kernel (1,)*rank + (in * dm, filters)."""

    def __init__(self, rank, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, depth_multiplier=1, activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", pointwise_initializer="glorot_uniform",
                 bias_initializer="zeros", depthwise_regularizer=None, pointwise_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, depthwise_constraint=None,
                 pointwise_constraint=None, bias_constraint=None, trainable=True, name=None,
                 **kwargs):
        super().__init__(rank=rank, filters=filters, kernel_size=kernel_size, strides=strides,
                         padding=padding, data_format=data_format, dilation_rate=dilation_rate,
                         activation=activations.get(activation), use_bias=use_bias,
                         bias_initializer=initializers.get(bias_initializer),
                         bias_regularizer=bias_regularizer,
                         activity_regularizer=activity_regularizer,
                         bias_constraint=bias_constraint, trainable=trainable, name=name, **kwargs)
        self.depth_multiplier = depth_multiplier
        self.depthwise_initializer = initializers.get(depthwise_initializer)
        self.pointwise_initializer = initializers.get(pointwise_initializer)
        self.depthwise_regularizer = _get_regularizer(depthwise_regularizer)
        self.pointwise_regularizer = _get_regularizer(pointwise_regularizer)
        self.depthwise_constraint = _get_constraint(depthwise_constraint)
        self.pointwise_constraint = _get_constraint(pointwise_constraint)

    def build(self, input_shape):
        input_shape = TensorShape(input_shape)
        input_dim = self._input_channel(input_shape)
        self.input_spec = InputSpec(ndim=self.rank + 2,
                                    axes={self._channel_axis() % (self.rank + 2): input_dim})
        self.depthwise_kernel = self.add_weight(
            name="depthwise_kernel", shape=self.kernel_size + (input_dim, self.depth_multiplier),
            initializer=self.depthwise_initializer, regularizer=self.depthwise_regularizer,
            constraint=self.depthwise_constraint, trainable=True, dtype=self.dtype)
        self.pointwise_kernel = self.add_weight(
            name="pointwise_kernel",
            shape=(1,) * self.rank + (self.depth_multiplier * input_dim, self.filters),
            initializer=self.pointwise_initializer, regularizer=self.pointwise_regularizer,
            constraint=self.pointwise_constraint, trainable=True, dtype=self.dtype)
        if self.use_bias:
            self.bias = self.add_weight(name="bias", shape=(self.filters,),
                                        initializer=self.bias_initializer,
                                        regularizer=self.bias_regularizer,
                                        constraint=self.bias_constraint, trainable=True,
                                        dtype=self.dtype)
        else:
            self.bias = None
        self.built = True

    def call(self, inputs):
        x, batch = self._to_nhwc(self._cast_in(inputs))
        dk = self._kernel4(self._w(self.depthwise_kernel, x))
        pk = self._kernel4(self._w(self.pointwise_kernel, x))
        padding = self.padding
        if self._is_causal:
            x = self._causal_pad(x)
            padding = "valid"
        y = C["depthwise_conv2d"](x, dk, ints=self._ints(padding))
        return self._from_nhwc(self._fused("conv2d", y, pk, (1, 1, 1, 1, 0)), batch)

    def get_config(self):
        # tf.keras 2.5: Conv's config (kernel_* and groups included) updated by these keys
        config = super().get_config()
        config.update({
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "data_format": self.data_format,
            "depth_multiplier": self.depth_multiplier,
            "dilation_rate": self.dilation_rate,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "depthwise_initializer": initializers.serialize(self.depthwise_initializer),
            "pointwise_initializer": initializers.serialize(self.pointwise_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "depthwise_regularizer": _ser(self.depthwise_regularizer),
            "pointwise_regularizer": _ser(self.pointwise_regularizer),
            "bias_regularizer": _ser(self.bias_regularizer),
            "activity_regularizer": _ser(self.activity_regularizer),
            "depthwise_constraint": _ser(self.depthwise_constraint),
            "pointwise_constraint": _ser(self.pointwise_constraint),
            "bias_constraint": _ser(self.bias_constraint),
        })
        return config


class SeparableConv1D(SeparableConv):
    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, depth_multiplier=1, activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", pointwise_initializer="glorot_uniform",
                 bias_initializer="zeros", depthwise_regularizer=None, pointwise_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, depthwise_constraint=None,
                 pointwise_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(rank=1, filters=filters, kernel_size=kernel_size, strides=strides,
                         padding=padding, data_format=data_format, dilation_rate=dilation_rate,
                         depth_multiplier=depth_multiplier, activation=activation, use_bias=use_bias,
                         depthwise_initializer=depthwise_initializer,
                         pointwise_initializer=pointwise_initializer,
                         bias_initializer=bias_initializer,
                         depthwise_regularizer=depthwise_regularizer,
                         pointwise_regularizer=pointwise_regularizer,
                         bias_regularizer=bias_regularizer, activity_regularizer=activity_regularizer,
                         depthwise_constraint=depthwise_constraint,
                         pointwise_constraint=pointwise_constraint, bias_constraint=bias_constraint,
                         **kwargs)


class SeparableConv2D(SeparableConv):
    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid", data_format=None,
                 dilation_rate=(1, 1), depth_multiplier=1, activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", pointwise_initializer="glorot_uniform",
                 bias_initializer="zeros", depthwise_regularizer=None, pointwise_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, depthwise_constraint=None,
                 pointwise_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(rank=2, filters=filters, kernel_size=kernel_size, strides=strides,
                         padding=padding, data_format=data_format, dilation_rate=dilation_rate,
                         depth_multiplier=depth_multiplier, activation=activation, use_bias=use_bias,
                         depthwise_initializer=depthwise_initializer,
                         pointwise_initializer=pointwise_initializer,
                         bias_initializer=bias_initializer,
                         depthwise_regularizer=depthwise_regularizer,
                         pointwise_regularizer=pointwise_regularizer,
                         bias_regularizer=bias_regularizer, activity_regularizer=activity_regularizer,
                         depthwise_constraint=depthwise_constraint,
                         pointwise_constraint=pointwise_constraint, bias_constraint=bias_constraint,
                         **kwargs)


Convolution1D = Conv1D
Convolution2D = Conv2D
Convolution2DTranspose = Conv2DTranspose
SeparableConvolution1D = SeparableConv1D
SeparableConvolution2D = SeparableConv2D
