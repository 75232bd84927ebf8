"""Preprocessing layers (tf.keras 2.5 `layers.experimental.preprocessing`): Rescaling,
Resizing, CenterCrop, Normalization (with `adapt`), RandomCrop, RandomFlip, RandomRotation,
RandomZoom, RandomTranslation, RandomContrast, RandomHeight, RandomWidth, and RandomBrightness
(tf.keras 2.9's API).  All are exported both as `layers.X` (their names from tf.keras 2.6 on)
and as `layers.experimental.preprocessing.X`.

The Random* layers act only when training: `fit` and `training=True` apply them; `predict`,
`evaluate` and `training=False` return the inputs unchanged (RandomCrop: resized to the
shorter side and centre-cropped).  As in tf.keras 2.5, their `call` defaults to
`training=True`: a bare call with no `training` anywhere (`layer(x)`, or a Sequential of them
called as `model(x)`) augments, as TensorFlow's data-augmentation tutorial relies on.
The random draws use the framework's random ops (`tf.random.uniform`, with the layer's
`seed` as the op seed), so they are recorded into the traced train step of `fit` and give
new values at every step; `tf.random.set_seed` makes them repeatable.  Images are (height, width, channels) or (batch, height, width,
channels); the random transforms draw one value per image, except RandomCrop, RandomContrast,
RandomHeight and RandomWidth, which (as tf.keras 2.5) draw one value per batch."""
import numbers
import sys
import types

import numpy as np

from .. import _core
from .. import backend
from ..engine import dtypes as _dt
from ..engine.tensor import TensorShape, convert_to_tensor
from ..engine.api import elementwise as _ew
from ..engine.api import index as _ix
from ..engine.api import random as _rnd
from ..engine.api import reduce as _red
from ..engine.api import shape as _sh
from .base import Layer, InputSpec

C = _core.ops
_F32 = _dt.float32

H_AXIS = -3
W_AXIS = -2


# ---- helpers -----------------------------------------------------------------------------

def _training(training):
    if isinstance(training, _core.TensorBase):
        training = bool(training)     # eager only; a traced call passes a Python bool
    return bool(training)


def _s(v, dtype_id):
    return _core.scalar(float(v), dtype_id)


def _image_api():
    from ..engine.api import image as _img   # imageops helper's module
    return _img


def _to_tensor(x):
    if isinstance(x, _core.TensorBase):
        return x
    if hasattr(x, "_as_tensor"):
        return x._as_tensor()
    return convert_to_tensor(x)


def _batched(inputs, layer):
    """(4-D images, was_unbatched) from 3-D or 4-D inputs."""
    if inputs.ndim == 4:
        return inputs, False
    if inputs.ndim == 3:
        return _sh.expand_dims(inputs, 0), True
    raise ValueError(f"Layer {layer.name}: expected 3-D (height, width, channels) or 4-D "
                     f"(batch, height, width, channels) images, got shape {list(inputs._shape)}")


def _unbatch(x, unbatched):
    return _sh.squeeze(x, [0]) if unbatched else x


def _uniform(shape, lo, hi, seed):
    return _rnd.uniform(list(shape), minval=float(lo), maxval=float(hi), dtype=_F32, seed=seed)


def _column(x, n):
    """[n, 1] float32 from a [n] / [n, 1] tensor or a Python number."""
    if isinstance(x, _core.TensorBase):
        return C["reshape"](x, ints=(n, 1))
    return _ix.fill([n, 1], np.float32(x))


def _matrix(cols, n):
    """[n, 8] float32 projective transforms from eight columns (tensors or numbers)."""
    return _sh.concat([_column(c, n) for c in cols], axis=1)


def check_fill_mode_and_interpolation(fill_mode, interpolation):
    if fill_mode not in {"reflect", "wrap", "constant", "nearest"}:
        raise NotImplementedError(
            f"Unknown `fill_mode` {fill_mode}. Only `reflect`, `wrap`, `constant` and `nearest` "
            "are supported.")
    if interpolation not in {"nearest", "bilinear"}:
        raise NotImplementedError(
            f"Unknown `interpolation` {interpolation}. Only `nearest` and `bilinear` are "
            "supported.")


_RESIZE_METHODS = ("bilinear", "nearest", "bicubic", "area", "lanczos3", "lanczos5", "gaussian",
                   "mitchellcubic")


def get_interpolation(interpolation):
    interpolation = interpolation.lower()
    if interpolation not in _RESIZE_METHODS:
        raise NotImplementedError(
            f"Value not recognized for `interpolation`: {interpolation}. Supported values are: "
            f"{list(_RESIZE_METHODS)}")
    return interpolation


def _resize(images, size, method="bilinear"):
    return _image_api().resize(images, [int(size[0]), int(size[1])], method=method)


def transform(images, transforms, fill_mode="reflect", fill_value=0.0, interpolation="bilinear",
              output_shape=None, name=None):
    """Apply [N, 8] (or [1, 8]) projective transforms mapping OUTPUT (x, y) to INPUT points
    (ImageProjectiveTransformV3) to a batch of images."""
    return _image_api().transform(images, transforms, interpolation=interpolation,
                                  fill_mode=fill_mode, fill_value=fill_value,
                                  output_shape=output_shape)


def get_rotation_matrix(angles, image_height, image_width, name=None):
    """[N, 8] transforms rotating each image by `angles` ([N] radians, counter-clockwise)
    about its centre."""
    angles = _to_tensor(angles)
    if angles._dtype_id != _F32._id:
        angles = C["cast"](angles, ints=(_F32._id,))
    n = angles._shape[0]
    cos, sin = C["cos"](angles), C["sin"](angles)
    w1, h1 = float(image_width) - 1.0, float(image_height) - 1.0
    f = _F32._id
    # x_offset = ((w-1) - (cos*(w-1) - sin*(h-1))) / 2
    # y_offset = ((h-1) - (sin*(w-1) + cos*(h-1))) / 2
    x_off = C["multiply"](C["subtract"](_s(w1, f), C["subtract"](C["multiply"](cos, _s(w1, f)),
                                                                 C["multiply"](sin, _s(h1, f)))),
                          _s(0.5, f))
    y_off = C["multiply"](C["subtract"](_s(h1, f), C["add"](C["multiply"](sin, _s(w1, f)),
                                                            C["multiply"](cos, _s(h1, f)))),
                          _s(0.5, f))
    return _matrix([cos, C["negative"](sin), x_off, sin, cos, y_off, 0.0, 0.0], n)


def get_translation_matrix(translations, name=None):
    """[N, 8] transforms shifting each image by translations[i] = [dx, dy] pixels."""
    translations = _to_tensor(translations)
    n = translations._shape[0]
    dx = C["negative"](_sh.strided_slice(translations, [0, 0], [n, 1], [1, 1]))
    dy = C["negative"](_sh.strided_slice(translations, [0, 1], [n, 2], [1, 1]))
    return _matrix([1.0, 0.0, dx, 0.0, 1.0, dy, 0.0, 0.0], n)


def get_zoom_matrix(zooms, image_height, image_width, name=None):
    """[N, 8] transforms zooming each image by zooms[i] = [zx, zy] about its centre
    (zoom > 1 shows a larger area: the image shrinks)."""
    zooms = _to_tensor(zooms)
    n = zooms._shape[0]
    f = _F32._id
    zx = _sh.strided_slice(zooms, [0, 0], [n, 1], [1, 1])
    zy = _sh.strided_slice(zooms, [0, 1], [n, 2], [1, 1])
    x_off = C["multiply"](_s((float(image_width) - 1.0) / 2.0, f), C["subtract"](_s(1.0, f), zx))
    y_off = C["multiply"](_s((float(image_height) - 1.0) / 2.0, f), C["subtract"](_s(1.0, f), zy))
    return _matrix([zx, 0.0, x_off, 0.0, zy, y_off, 0.0, 0.0], n)


def _crop(images, top, left, height, width):
    """images[..., top:top+height, left:left+width, :] with static offsets (3-D or 4-D)."""
    shape = list(images._shape)
    begin = [0] * len(shape)
    end = list(shape)
    begin[-3], begin[-2] = top, left
    end[-3], end[-2] = top + height, left + width
    return _sh.strided_slice(images, begin, end, [1] * len(shape))


def _check_crop(layer, images, height, width):
    ih, iw = images._shape[-3], images._shape[-2]
    if ih < height:
        raise _core.InvalidArgumentError(
            f"{type(layer).__name__} {layer.name}: the crop height {height} should not be "
            f"greater than input height {ih} (input shape {list(images._shape)}).")
    if iw < width:
        raise _core.InvalidArgumentError(
            f"{type(layer).__name__} {layer.name}: the crop width {width} should not be "
            f"greater than input width {iw} (input shape {list(images._shape)}).")


def _image_output_shape(input_shape, height, width):
    shape = TensorShape(input_shape).as_list()
    shape[-3], shape[-2] = height, width
    return TensorShape(shape)


def _cast_like(x, dtype_id):
    return x if x._dtype_id == dtype_id else C["cast"](x, ints=(dtype_id,))


def _float_image(x):
    """A float32 view of images for arithmetic (float16/float64 cast; ints as values)."""
    return x if x._dtype_id == _F32._id else C["cast"](x, ints=(_F32._id,))


def _get_config(layer, config):
    base = Layer.get_config(layer)
    return dict(list(base.items()) + list(config.items()))


# ---- Rescaling ---------------------------------------------------------------------------

class Rescaling(Layer):
    """`inputs * scale + offset`, computed in the layer's dtype (float32 unless set):
    integer inputs (uint8 images) are cast first. E.g. `Rescaling(1/255)` maps [0, 255] to
    [0, 1], `Rescaling(1/127.5, offset=-1)` maps it to [-1, 1]."""

    def __init__(self, scale, offset=0.0, name=None, **kwargs):
        super().__init__(name=name, **kwargs)
        self.scale = scale
        self.offset = offset

    def call(self, inputs):
        dtype = self._compute_dtype_object
        if inputs._dtype_id != dtype._id:
            inputs = _ew.cast(inputs, dtype)
        scale = _core.scalar(float(self.scale), dtype._id)
        offset = _core.scalar(float(self.offset), dtype._id)
        return C["add"](C["multiply"](inputs, scale), offset)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = {"scale": self.scale, "offset": self.offset}
        base = super().get_config()
        return dict(list(base.items()) + list(config.items()))


# ---- Resizing / CenterCrop ---------------------------------------------------------------

def _smart_crop_box(ih, iw, height, width):
    """(top, left, crop_h, crop_w): the largest centred box of the target aspect ratio
    (keras.preprocessing.image.smart_resize's float32 arithmetic)."""
    crop_h = int(np.float32(iw * height) / np.float32(width))
    crop_w = int(np.float32(ih * width) / np.float32(height))
    crop_h, crop_w = min(ih, crop_h), min(iw, crop_w)
    top = int(np.float32(ih - crop_h) / np.float32(2))
    left = int(np.float32(iw - crop_w) / np.float32(2))
    return top, left, crop_h, crop_w


class Resizing(Layer):
    """Resize images to (height, width) with tf.image.resize (`interpolation`: bilinear,
    nearest, bicubic, area, lanczos3, lanczos5, gaussian, mitchellcubic).
    `crop_to_aspect_ratio=True` (tf.keras 2.6) first centre-crops the largest box of the
    target aspect ratio, so the image is not distorted."""

    def __init__(self, height, width, interpolation="bilinear", crop_to_aspect_ratio=False,
                 name=None, **kwargs):
        self.target_height = height
        self.target_width = width
        self.interpolation = interpolation
        self.crop_to_aspect_ratio = crop_to_aspect_ratio
        self._interpolation_method = get_interpolation(interpolation)
        super().__init__(name=name, **kwargs)

    def call(self, inputs):
        images, unbatched = _batched(inputs, self)
        if self.crop_to_aspect_ratio:
            top, left, ch, cw = _smart_crop_box(images._shape[1], images._shape[2],
                                                self.target_height, self.target_width)
            images = _crop(images, top, left, ch, cw)
        out = _resize(images, [self.target_height, self.target_width],
                      method=self._interpolation_method)
        return _unbatch(out, unbatched)

    def compute_output_shape(self, input_shape):
        return _image_output_shape(input_shape, self.target_height, self.target_width)

    def _output_dtype(self, input_dtype):
        if self._interpolation_method == "nearest" and input_dtype is not None:
            return super()._output_dtype(input_dtype)
        return _F32 if input_dtype is None or not input_dtype.is_floating else \
            super()._output_dtype(input_dtype)

    def get_config(self):
        return _get_config(self, {"height": self.target_height, "width": self.target_width,
                                  "interpolation": self.interpolation,
                                  "crop_to_aspect_ratio": self.crop_to_aspect_ratio})


class CenterCrop(Layer):
    """Crop the central (height, width) portion of the images; when the size difference is
    odd the extra row/column is dropped at the bottom/right (offset (ih - height) // 2)."""

    def __init__(self, height, width, name=None, **kwargs):
        self.target_height = height
        self.target_width = width
        super().__init__(name=name, **kwargs)

    def call(self, inputs):
        if inputs.ndim not in (3, 4):
            _batched(inputs, self)
        _check_crop(self, inputs, self.target_height, self.target_width)
        top = (inputs._shape[-3] - self.target_height) // 2
        left = (inputs._shape[-2] - self.target_width) // 2
        return _crop(inputs, top, left, self.target_height, self.target_width)

    def compute_output_shape(self, input_shape):
        return _image_output_shape(input_shape, self.target_height, self.target_width)

    def get_config(self):
        return _get_config(self, {"height": self.target_height, "width": self.target_width})


# ---- RandomCrop --------------------------------------------------------------------------

class RandomCrop(Layer):
    """Randomly crop the images to (height, width) while training: one crop location for
    the whole batch (tf.keras 2.5).  At inference the images are resized (bilinear) so that
    the shorter side matches, then centre-cropped."""

    def __init__(self, height, width, seed=None, name=None, **kwargs):
        self.height = height
        self.width = width
        self.seed = seed
        super().__init__(name=name, **kwargs)

    def call(self, inputs, training=True):
        if inputs.ndim not in (3, 4):
            _batched(inputs, self)
        if _training(training):
            return self._random_crop(inputs)
        return self._resize_and_center_crop(inputs)

    def _random_crop(self, inputs):
        _check_crop(self, inputs, self.height, self.width)
        ih, iw = inputs._shape[-3], inputs._shape[-2]
        # one draw per dimension of the input (the batch and channel offsets are always 0)
        u = _uniform([inputs.ndim], 0.0, 1.0, self.seed)
        out = inputs
        for axis, size, limit in ((inputs.ndim - 3, self.height, ih - self.height + 1),
                                  (inputs.ndim - 2, self.width, iw - self.width + 1)):
            if limit == 1:
                continue
            ui = _sh.strided_slice(u, [axis], [axis + 1], [1])
            off = C["cast"](C["floor"](C["multiply"](ui, _s(limit, _F32._id))),
                            ints=(_dt.int32._id,))
            off = C["minimum"](off, _core.scalar(limit - 1, _dt.int32._id))
            idx = C["add"](off, _ix.range(size, dtype=_dt.int32))
            out = _ix.gather(out, idx, axis=axis)
        return out

    def _resize_and_center_crop(self, inputs):
        ih, iw = inputs._shape[-3], inputs._shape[-2]
        if ih / iw > self.height / self.width:
            rh, rw = int(np.float64(self.width) * ih / iw), self.width
        else:
            rh, rw = self.height, int(np.float64(self.height) * iw / ih)
        if (rh, rw) == (ih, iw) == (self.height, self.width):
            # tf.image.resize to the same size returns the values as float32
            return inputs if _dt.ALL[inputs._dtype_id].is_floating else \
                C["cast"](inputs, ints=(_F32._id,))
        images, unbatched = _batched(inputs, self)
        resized = _resize(images, [rh, rw])
        top = int((rh - self.height) / 2)
        left = int((rw - self.width) / 2)
        if top < 0 or left < 0:
            raise _core.InvalidArgumentError(
                f"RandomCrop {self.name}: cannot centre-crop {self.height}x{self.width} from the "
                f"resized {rh}x{rw} images (input shape {list(inputs._shape)})")
        out = _crop(resized, top, left, self.height, self.width)
        return _unbatch(out, unbatched)

    def compute_output_shape(self, input_shape):
        return _image_output_shape(input_shape, self.height, self.width)

    def get_config(self):
        return _get_config(self, {"height": self.height, "width": self.width, "seed": self.seed})


# ---- RandomFlip --------------------------------------------------------------------------

HORIZONTAL = "horizontal"
VERTICAL = "vertical"
HORIZONTAL_AND_VERTICAL = "horizontal_and_vertical"


class RandomFlip(Layer):
    """Flip each image left-right ('horizontal'), top-bottom ('vertical') or both
    (independently, each with probability 1/2) while training."""

    def __init__(self, mode=HORIZONTAL_AND_VERTICAL, seed=None, name=None, **kwargs):
        super().__init__(name=name, **kwargs)
        self.mode = mode
        if mode == HORIZONTAL:
            self.horizontal, self.vertical = True, False
        elif mode == VERTICAL:
            self.horizontal, self.vertical = False, True
        elif mode == HORIZONTAL_AND_VERTICAL:
            self.horizontal, self.vertical = True, True
        else:
            raise ValueError(f"RandomFlip layer {name} received an unknown mode argument {mode}")
        self.seed = seed

    def _flip(self, x, axis):
        """tf.image.random_flip_left_right / up_down: each image of a batch flips when its
        uniform draw rounds to 1; a single image flips when its draw is below 0.5."""
        flipped = _sh.reverse(x, [axis])
        if x.ndim == 4:
            u = _uniform([x._shape[0]], 0.0, 1.0, self.seed)
            cond = C["reshape"](C["greater"](u, _s(0.5, _F32._id)), ints=(x._shape[0], 1, 1, 1))
        else:
            u = _uniform([], 0.0, 1.0, self.seed)
            cond = C["less"](u, _s(0.5, _F32._id))
        return _ew.where(cond, flipped, x)

    def call(self, inputs, training=True):
        if inputs.ndim not in (3, 4):
            _batched(inputs, self)
        if not _training(training):
            return inputs
        out = inputs
        if self.horizontal:
            out = self._flip(out, out.ndim - 2)
        if self.vertical:
            out = self._flip(out, out.ndim - 3)
        return out

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return _get_config(self, {"mode": self.mode, "seed": self.seed})


# ---- affine random layers ----------------------------------------------------------------

def _factor_bounds(factor, name, symmetric=True):
    if isinstance(factor, (tuple, list)):
        return factor[0], factor[1]
    return (-factor if symmetric else factor), factor


class _RandomTransform(Layer):
    """Common body of RandomRotation / RandomTranslation / RandomZoom: draw [N, 8]
    transforms and apply them with ImageProjectiveTransformV3 semantics."""

    def _setup(self, fill_mode, interpolation, seed, fill_value):
        check_fill_mode_and_interpolation(fill_mode, interpolation)
        self.fill_mode = fill_mode
        self.fill_value = fill_value
        self.interpolation = interpolation
        self.seed = seed

    def call(self, inputs, training=True):
        if not _training(training):
            if inputs.ndim not in (3, 4):
                _batched(inputs, self)
            return inputs
        images, unbatched = _batched(inputs, self)
        n, h, w = images._shape[0], images._shape[1], images._shape[2]
        transforms = self._transforms(n, h, w)
        out = transform(images, transforms, fill_mode=self.fill_mode,
                        fill_value=self.fill_value, interpolation=self.interpolation)
        return _unbatch(out, unbatched)

    def compute_output_shape(self, input_shape):
        return input_shape


class RandomRotation(_RandomTransform):
    """Rotate each image by a random angle in [lower, upper] * 2*pi while training
    (factor=f gives [-f, f]; positive angles rotate counter-clockwise)."""

    def __init__(self, factor, fill_mode="reflect", interpolation="bilinear", seed=None,
                 name=None, fill_value=0.0, **kwargs):
        self.factor = factor
        self.lower, self.upper = _factor_bounds(factor, "factor")
        if self.upper < self.lower:
            raise ValueError(f"Factor cannot have negative values, got {factor}")
        self._setup(fill_mode, interpolation, seed, fill_value)
        super().__init__(name=name, **kwargs)

    def _transforms(self, n, h, w):
        angles = _uniform([n], self.lower * 2.0 * np.pi, self.upper * 2.0 * np.pi, self.seed)
        return get_rotation_matrix(angles, h, w)

    def get_config(self):
        return _get_config(self, {"factor": self.factor, "fill_mode": self.fill_mode,
                                  "fill_value": self.fill_value,
                                  "interpolation": self.interpolation, "seed": self.seed})


class RandomTranslation(_RandomTransform):
    """Shift each image by a random fraction of its height in [lower, upper] (height_factor=f
    gives [-f, f]) and of its width likewise, while training."""

    def __init__(self, height_factor, width_factor, fill_mode="reflect",
                 interpolation="bilinear", seed=None, name=None, fill_value=0.0, **kwargs):
        self.height_factor = height_factor
        self.height_lower, self.height_upper = _factor_bounds(height_factor, "height_factor")
        if self.height_upper < self.height_lower:
            raise ValueError("`height_factor` cannot have upper bound less than lower bound, "
                             f"got {height_factor}")
        if abs(self.height_lower) > 1. or abs(self.height_upper) > 1.:
            raise ValueError("`height_factor` must have values between [-1, 1], "
                             f"got {height_factor}")
        self.width_factor = width_factor
        self.width_lower, self.width_upper = _factor_bounds(width_factor, "width_factor")
        if self.width_upper < self.width_lower:
            raise ValueError("`width_factor` cannot have upper bound less than lower bound, "
                             f"got {width_factor}")
        if abs(self.width_lower) > 1. or abs(self.width_upper) > 1.:
            raise ValueError(f"`width_factor` must have values between [-1, 1], got {width_factor}")
        self._setup(fill_mode, interpolation, seed, fill_value)
        super().__init__(name=name, **kwargs)

    def _transforms(self, n, h, w):
        f = _F32._id
        ht = C["multiply"](_uniform([n, 1], self.height_lower, self.height_upper, self.seed),
                           _s(h, f))
        wt = C["multiply"](_uniform([n, 1], self.width_lower, self.width_upper, self.seed),
                           _s(w, f))
        return get_translation_matrix(_sh.concat([wt, ht], axis=1))

    def get_config(self):
        return _get_config(self, {"height_factor": self.height_factor,
                                  "width_factor": self.width_factor,
                                  "fill_mode": self.fill_mode, "fill_value": self.fill_value,
                                  "interpolation": self.interpolation, "seed": self.seed})


class RandomZoom(_RandomTransform):
    """Zoom each image by a random factor while training: height_factor=f draws the
    vertical zoom 1 + [-f, f] (positive values zoom out, negative zoom in); width_factor
    likewise, or the same zoom as the height when None (aspect ratio kept)."""

    def __init__(self, height_factor, width_factor=None, fill_mode="reflect",
                 interpolation="bilinear", seed=None, name=None, fill_value=0.0, **kwargs):
        self.height_factor = height_factor
        self.height_lower, self.height_upper = _factor_bounds(height_factor, "height_factor")
        if abs(self.height_lower) > 1. or abs(self.height_upper) > 1.:
            raise ValueError("`height_factor` must have values between [-1, 1], "
                             f"got {height_factor}")
        self.width_factor = width_factor
        if width_factor is not None:
            self.width_lower, self.width_upper = _factor_bounds(width_factor, "width_factor")
            if self.width_lower < -1. or self.width_upper < -1.:
                raise ValueError("`width_factor` must have values larger than -1, "
                                 f"got {width_factor}")
        self._setup(fill_mode, interpolation, seed, fill_value)
        super().__init__(name=name, **kwargs)

    def _transforms(self, n, h, w):
        hz = _uniform([n, 1], 1. + self.height_lower, 1. + self.height_upper, self.seed)
        if self.width_factor is not None:
            wz = _uniform([n, 1], 1. + self.width_lower, 1. + self.width_upper, self.seed)
        else:
            wz = hz
        return get_zoom_matrix(_sh.concat([wz, hz], axis=1), h, w)

    def get_config(self):
        return _get_config(self, {"height_factor": self.height_factor,
                                  "width_factor": self.width_factor,
                                  "fill_mode": self.fill_mode, "fill_value": self.fill_value,
                                  "interpolation": self.interpolation, "seed": self.seed})


# ---- RandomContrast / RandomBrightness ---------------------------------------------------

def _adjust_contrast(images, factor):
    """tf.image.adjust_contrast: per image and channel, (x - mean) * factor + mean, computed
    in float32; integer images go through convert_image_dtype (x / max, back with a
    saturating * (max + 0.5))."""
    dtype = _dt.ALL[images._dtype_id]
    x = _float_image(images)
    if dtype.is_integer:
        x = C["multiply"](x, _s(1.0 / dtype.max, _F32._id))
    mean = _red.reduce_mean(x, axis=[x.ndim - 3, x.ndim - 2], keepdims=True)
    out = C["add"](C["multiply"](C["subtract"](x, mean), factor), mean)
    if dtype.is_integer:
        out = C["multiply"](out, _s(dtype.max + 0.5, _F32._id))
        return _ew.saturate_cast(out, dtype)
    return _cast_like(out, images._dtype_id)


class RandomContrast(Layer):
    """Adjust the contrast of the images by a random factor in [1 - lower, 1 + upper]
    while training (one factor for the batch, as tf.image.random_contrast): for each
    channel, `(x - mean) * factor + mean` with the image's channel mean."""

    def __init__(self, factor, seed=None, name=None, **kwargs):
        self.factor = factor
        if isinstance(factor, (tuple, list)):
            self.lower, self.upper = factor[0], factor[1]
        else:
            self.lower = self.upper = factor
        if self.lower < 0. or self.upper < 0. or self.lower > 1.:
            raise ValueError("Factor cannot have negative values or greater than 1.0, "
                             f"got {factor}")
        self.seed = seed
        super().__init__(name=name, **kwargs)

    def call(self, inputs, training=True):
        if inputs.ndim not in (3, 4):
            _batched(inputs, self)
        if not _training(training):
            return inputs
        factor = _uniform([], 1. - self.lower, 1. + self.upper, self.seed)
        return _adjust_contrast(inputs, factor)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return _get_config(self, {"factor": self.factor, "seed": self.seed})


class RandomBrightness(Layer):
    """tf.keras 2.9's RandomBrightness: add to each image a random delta drawn in
    [factor_low, factor_high] * (value_range[1] - value_range[0]) and clip the result to
    value_range.  factor=f gives [-f, f] (|f| <= 1).  Outputs are in the layer's dtype
    (float32).  When called on its own, `training` defaults to True (as tf.keras 2.9)."""

    _FACTOR_VALIDATION_ERROR = ("The `factor` argument should be a number (or a list of two "
                                "numbers) in the range [-1.0, 1.0]. ")
    _VALUE_RANGE_VALIDATION_ERROR = "The `value_range` argument should be a list of two numbers. "

    def __init__(self, factor, value_range=(0, 255), seed=None, **kwargs):
        super().__init__(**kwargs)
        self._set_factor(factor)
        self._set_value_range(value_range)
        self._seed = seed

    def _set_value_range(self, value_range):
        if not isinstance(value_range, (tuple, list)):
            raise ValueError(self._VALUE_RANGE_VALIDATION_ERROR + f"Got {value_range}")
        if len(value_range) != 2:
            raise ValueError(self._VALUE_RANGE_VALIDATION_ERROR + f"Got {value_range}")
        self._value_range = sorted(value_range)

    def _set_factor(self, factor):
        if isinstance(factor, (tuple, list)):
            if len(factor) != 2:
                raise ValueError(self._FACTOR_VALIDATION_ERROR + f"Got {factor}")
            self._check_factor_range(factor[0])
            self._check_factor_range(factor[1])
            self._factor = sorted(factor)
        elif isinstance(factor, numbers.Real):
            self._check_factor_range(factor)
            factor = abs(factor)
            self._factor = [-factor, factor]
        else:
            raise ValueError(self._FACTOR_VALIDATION_ERROR + f"Got {factor}")

    def _check_factor_range(self, input_number):
        if input_number > 1.0 or input_number < -1.0:
            raise ValueError(self._FACTOR_VALIDATION_ERROR + f"Got {input_number}")

    def call(self, inputs, training=True):
        dtype = self._compute_dtype_object
        if inputs._dtype_id != dtype._id:
            inputs = C["cast"](inputs, ints=(dtype._id,))
        if not _training(training):
            return inputs
        return self._brightness_adjust(inputs)

    def _brightness_adjust(self, images):
        rank = images.ndim
        if rank == 3:
            shape = [1, 1, 1]
        elif rank == 4:
            shape = [images._shape[0], 1, 1, 1]
        else:
            raise ValueError(f"Expected the input image to be rank 3 or 4. Got "
                             f"inputs.shape = {TensorShape(images._shape)}")
        delta = _uniform(shape, self._factor[0], self._factor[1], self._seed)
        delta = C["multiply"](delta, _s(self._value_range[1] - self._value_range[0], _F32._id))
        delta = _cast_like(delta, images._dtype_id)
        out = C["add"](images, delta)
        return _ew.clip_by_value(out, _s(self._value_range[0], out._dtype_id),
                                 _s(self._value_range[1], out._dtype_id))

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return _get_config(self, {"factor": self._factor, "value_range": self._value_range,
                                  "seed": self._seed})


# ---- RandomHeight / RandomWidth ----------------------------------------------------------

def _not_traceable(what):
    from ..engine.function import not_traceable
    not_traceable(what)


class _RandomResize(Layer):
    """RandomHeight / RandomWidth: resize the batch along one axis by a random factor in
    1 + [lower, upper] while training (one factor per batch).  The output shape depends on
    the draw, so a traced train step that uses them runs eagerly."""

    _axis = None  # -3 (height) or -2 (width)

    def __init__(self, factor, interpolation="bilinear", seed=None, name=None, **kwargs):
        self.factor = factor
        if isinstance(factor, (tuple, list)):
            lower, upper = factor[0], factor[1]
        else:
            lower, upper = -factor, factor
        what = "height" if self._axis == H_AXIS else "width"
        setattr(self, f"{what}_lower", lower)
        setattr(self, f"{what}_upper", upper)
        self._lower, self._upper = lower, upper
        if upper < lower:
            raise ValueError("`factor` cannot have upper bound less than lower bound, "
                             f"got {factor}")
        if lower < -1. or upper < -1.:
            raise ValueError(f"`factor` must have values larger than -1, got {factor}")
        self.interpolation = interpolation
        self._interpolation_method = get_interpolation(interpolation)
        self.seed = seed
        super().__init__(name=name, **kwargs)

    def call(self, inputs, training=True):
        if inputs.ndim not in (3, 4):
            _batched(inputs, self)
        if not _training(training):
            return inputs
        _not_traceable(type(self).__name__)
        f = _uniform([], 1.0 + self._lower, 1.0 + self._upper, self.seed)
        images, unbatched = _batched(inputs, self)
        size = [images._shape[1], images._shape[2]]
        k = 0 if self._axis == H_AXIS else 1
        size[k] = int(np.float32(f.numpy()) * np.float32(size[k]))
        out = _resize(images, size, method=self._interpolation_method)
        return _unbatch(out, unbatched)

    def compute_output_shape(self, input_shape):
        shape = TensorShape(input_shape).as_list()
        shape[self._axis] = None
        return TensorShape(shape)

    def get_config(self):
        return _get_config(self, {"factor": self.factor, "interpolation": self.interpolation,
                                  "seed": self.seed})


class RandomHeight(_RandomResize):
    """Resize the batch's height by a random factor while training (factor=f: 1 + [-f, f])."""
    _axis = H_AXIS


class RandomWidth(_RandomResize):
    """Resize the batch's width by a random factor while training (factor=f: 1 + [-f, f])."""
    _axis = W_AXIS


# ---- PreprocessingLayer / Normalization ----------------------------------------------------

class PreprocessingLayer(Layer):
    """Base of the preprocessing layers that learn state from data with `adapt`
    (tf.keras 2.5's layers.experimental.preprocessing.PreprocessingLayer): subclasses
    implement update_state(batch), reset_state() and finalize_state()."""

    _is_adapted = False

    @property
    def is_adapted(self):
        return self._is_adapted

    def update_state(self, data):
        raise NotImplementedError

    def reset_state(self):
        pass

    def finalize_state(self):
        pass

    def adapt(self, data, batch_size=None, steps=None, reset_state=True):
        """Feed `data` to update_state: a numpy array / tensor / list (split into batches of
        `batch_size`, default 32), or any iterable of batches (tf.data.Dataset, generator);
        `steps` limits the number of batches."""
        from ..engine.function import current_graph
        if current_graph() is not None:
            raise RuntimeError("Detected a call to `PreprocessingLayer.adapt` inside a "
                               "`tf.function`. `PreprocessingLayer.adapt is a high-level "
                               "endpoint that manages its own `tf.function`. Please move the call "
                               "to `PreprocessingLayer.adapt` outside of all enclosing "
                               "`tf.function`s.")
        self._check_adaptable()
        if self.built and reset_state:
            self.reset_state()
        if isinstance(data, dict):
            raise ValueError(f"{type(self).__name__}.adapt takes a single array, tensor or "
                             "dataset of features, got a dict")
        if isinstance(data, (np.ndarray, list, tuple, numbers.Number)) or \
                isinstance(data, _core.TensorBase) or hasattr(data, "_as_tensor"):
            arr = _as_ndarray(data)
            if arr.ndim == 0:
                arr = arr.reshape(1)
            n = arr.shape[0]
            bs = 32 if batch_size is None else int(batch_size)
            if steps is not None:
                n = min(n, int(steps) * bs)
            if n == 0:
                raise ValueError(f"{type(self).__name__}.adapt: the data is empty")
            # the batches only change the rounding of merged statistics: merge big chunks
            chunk = bs if batch_size is not None else max(bs, 1 << 16)
            for i in range(0, n, chunk):
                self.update_state(arr[i:min(i + chunk, n)])
        else:
            if batch_size is not None:
                raise ValueError("The `batch_size` argument must not be specified when using a "
                                 "dataset or a generator as input")
            seen = 0
            for batch in data:
                if steps is not None and seen >= int(steps):
                    break
                if isinstance(batch, tuple) and len(batch) == 1:
                    batch = batch[0]
                self.update_state(batch)
                seen += 1
            if seen == 0:
                raise ValueError(f"{type(self).__name__}.adapt: the dataset yielded no batches")
        self.finalize_state()
        self._is_adapted = True

    def _check_adaptable(self):
        pass


# ---- Normalization -----------------------------------------------------------------------

def _as_ndarray(x):
    if isinstance(x, _core.TensorBase) or hasattr(x, "numpy"):
        return np.asarray(x.numpy())
    return np.asarray(x)


class Normalization(PreprocessingLayer):
    """Feature-wise normalization `(x - mean) / sqrt(variance)` (the denominator at least
    backend.epsilon()).  `axis` (int, tuple or None) names the axes that keep their own
    statistics (default -1: per feature / channel); the others are reduced.  The statistics
    are either given (mean=, variance=: broadcast, no weights) or learned by `adapt(data)`
    into the non-trainable weights mean, variance (shape of the kept axes) and count (int64
    scalar)."""

    def __init__(self, axis=-1, mean=None, variance=None, **kwargs):
        super().__init__(**kwargs)
        if axis is None:
            axis = ()
        elif isinstance(axis, int):
            axis = (axis,)
        else:
            axis = tuple(axis)
        if 0 in axis:
            raise ValueError("The argument 'axis' may not be 0.")
        self.axis = axis
        if hasattr(mean, "assign") or hasattr(variance, "assign"):
            raise ValueError("Normalization does not support passing a Variable for the `mean` "
                             "or `variance` init arg.")
        if mean is not None and variance is not None:
            mean = _as_ndarray(mean)
            variance = _as_ndarray(variance)
        elif mean is not None or variance is not None:
            raise ValueError("When setting values directly, both `mean` and `variance` must be "
                             f"set. Got mean: {mean} and variance: {variance}")
        self.mean_val = mean
        self.variance_val = variance

    def build(self, input_shape):
        input_shape = TensorShape(input_shape).as_list()
        if len(input_shape) == 1:
            input_shape = input_shape + [1]
        ndim = len(input_shape)
        if any(a < 1 - ndim or a >= ndim for a in self.axis):
            raise ValueError(f"All `axis` values must be in the range [1 - ndim, ndim - 1]. "
                             f"Found ndim: `{ndim}`, axis: {self.axis}")
        self._keep_axis = sorted([d if d >= 0 else d + ndim for d in self.axis])
        for d in self._keep_axis:
            if input_shape[d] is None:
                raise ValueError("All `axis` values to be kept must have known shape. Got axis: "
                                 f"{self.axis}, input shape: {input_shape}, with unknown axis at "
                                 f"index: {d}")
        self._reduce_axis = [d for d in range(ndim) if d not in self._keep_axis]
        self._broadcast_shape = [input_shape[d] if d in self._keep_axis else 1 for d in range(ndim)]
        shape = tuple(input_shape[d] for d in self._keep_axis)
        self._mean_and_var_shape = shape
        if self.mean_val is None:
            self.adapt_mean = self.add_weight(name="mean", shape=shape, dtype=self.dtype,
                                              initializer="zeros", trainable=False)
            self.adapt_variance = self.add_weight(name="variance", shape=shape, dtype=self.dtype,
                                                  initializer="ones", trainable=False)
            self.count = self.add_weight(name="count", shape=(), dtype=_dt.int64,
                                         initializer="zeros", trainable=False)
        else:
            dtype = self._compute_dtype_object.as_numpy_dtype
            mean = (self.mean_val * np.ones(shape)).reshape(self._broadcast_shape)
            variance = (self.variance_val * np.ones(shape)).reshape(self._broadcast_shape)
            self._mean_t = convert_to_tensor(mean.astype(dtype))
            self._denom_t = convert_to_tensor(
                np.maximum(np.sqrt(variance.astype(dtype)), backend.epsilon()).astype(dtype))
        self.built = True

    @property
    def mean(self):
        if self.mean_val is not None:
            return self._mean_t
        return _sh.reshape(self.adapt_mean._value, self._broadcast_shape)

    @property
    def variance(self):
        if self.mean_val is not None:
            return convert_to_tensor(
                (self.variance_val * np.ones(self._mean_and_var_shape)).reshape(
                    self._broadcast_shape).astype(self._compute_dtype_object.as_numpy_dtype))
        return _sh.reshape(self.adapt_variance._value, self._broadcast_shape)

    def _standardize_inputs(self, inputs):
        if inputs.ndim == 0:
            inputs = C["reshape"](inputs, ints=(1, 1))
        elif inputs.ndim == 1:
            inputs = _sh.expand_dims(inputs, 1)
        dtype = self._compute_dtype_object
        if inputs._dtype_id != dtype._id:
            inputs = C["cast"](inputs, ints=(dtype._id,))
        return inputs

    def call(self, inputs):
        inputs = self._standardize_inputs(_to_tensor(inputs))
        dt = inputs._dtype_id
        if self.mean_val is not None:
            return C["divide"](C["subtract"](inputs, self._mean_t), self._denom_t)
        mean = _cast_like(C["reshape"](self.adapt_mean._value,
                                       ints=tuple(self._broadcast_shape)), dt)
        var = _cast_like(C["reshape"](self.adapt_variance._value,
                                      ints=tuple(self._broadcast_shape)), dt)
        denom = C["maximum"](C["sqrt"](var), _s(backend.epsilon(), dt))
        return C["divide"](C["subtract"](inputs, mean), denom)

    def compute_output_shape(self, input_shape):
        return input_shape

    # -- adapt ---------------------------------------------------------------------------------
    def reset_state(self):
        if self.mean_val is not None or not self.built:
            return
        self.adapt_mean.assign(np.zeros(self.adapt_mean.shape.as_list(),
                                        self.adapt_mean.dtype.as_numpy_dtype))
        self.adapt_variance.assign(np.ones(self.adapt_variance.shape.as_list(),
                                           self.adapt_variance.dtype.as_numpy_dtype))
        self.count.assign(np.int64(0))

    def update_state(self, data):
        """Merge one batch's statistics into mean / variance / count (Chan's parallel
        formula, computed in float64)."""
        if self.mean_val is not None:
            raise ValueError("Cannot `adapt` a Normalization layer that is initialized with "
                             f"static `mean` and `variance`, you passed mean {self.mean_val} "
                             f"and variance {self.variance_val}.")
        data = _as_ndarray(data)
        if data.ndim == 0:
            data = data.reshape(1, 1)
        elif data.ndim == 1:
            data = data[:, None]
        if not self.built:
            self._maybe_build(data)
        data = data.astype(np.float64, copy=False)
        keep = [data.shape[d] for d in self._keep_axis] \
            if data.ndim == len(self._broadcast_shape) else None
        if keep is None or tuple(keep) != tuple(self._mean_and_var_shape):
            raise ValueError(f"Normalization {self.name}: adapt data of shape {list(data.shape)} "
                             f"does not match the layer's kept axes {self.axis} of shape "
                             f"{list(self._mean_and_var_shape)}")
        axes = tuple(self._reduce_axis)
        batch_count = int(np.prod([data.shape[d] for d in axes], dtype=np.int64))
        if batch_count == 0:
            return
        batch_mean = data.mean(axis=axes)
        batch_var = data.var(axis=axes)
        old_count = int(self.count.numpy())
        old_mean = self.adapt_mean.numpy().astype(np.float64)
        old_var = self.adapt_variance.numpy().astype(np.float64)
        total = old_count + batch_count
        bw = batch_count / total
        ew = 1.0 - bw
        total_mean = old_mean * ew + batch_mean * bw
        total_var = ((old_var + (old_mean - total_mean) ** 2) * ew
                     + (batch_var + (batch_mean - total_mean) ** 2) * bw)
        np_dtype = self.adapt_mean.dtype.as_numpy_dtype
        self.adapt_mean.assign(np.asarray(total_mean, np_dtype).reshape(old_mean.shape))
        self.adapt_variance.assign(np.asarray(total_var, np_dtype).reshape(old_var.shape))
        self.count.assign(np.int64(total))

    def _check_adaptable(self):
        if self.mean_val is not None:
            self.update_state(np.zeros((1,)))   # raises the tf.keras error

    def get_config(self):
        def to_list(v):
            if isinstance(v, np.ndarray):
                return v.tolist()
            return v
        return _get_config(self, {"axis": self.axis, "mean": to_list(self.mean_val),
                                  "variance": to_list(self.variance_val)})


# layers.experimental.preprocessing.<name>, as tf.keras 2.5 spells it; registered as modules
# so that `from minikeras.layers.experimental import preprocessing` works too
_PKG = __name__.rsplit(".", 1)[0]                 # minikeras.layers
preprocessing = types.ModuleType(_PKG + ".experimental.preprocessing",
                                 "tf.keras 2.5's layers.experimental.preprocessing")
for _name, _obj in dict(
        Rescaling=Rescaling, Resizing=Resizing, CenterCrop=CenterCrop,
        Normalization=Normalization, PreprocessingLayer=PreprocessingLayer,
        RandomCrop=RandomCrop, RandomFlip=RandomFlip,
        RandomRotation=RandomRotation, RandomZoom=RandomZoom,
        RandomTranslation=RandomTranslation, RandomContrast=RandomContrast,
        RandomBrightness=RandomBrightness, RandomHeight=RandomHeight,
        RandomWidth=RandomWidth).items():
    setattr(preprocessing, _name, _obj)
experimental = types.ModuleType(_PKG + ".experimental", "tf.keras 2.5's layers.experimental")
experimental.preprocessing = preprocessing
sys.modules.setdefault(experimental.__name__, experimental)
sys.modules.setdefault(preprocessing.__name__, preprocessing)

__all__ = ["Rescaling", "Resizing", "CenterCrop", "Normalization", "RandomCrop", "RandomFlip",
           "RandomRotation", "RandomZoom", "RandomTranslation", "RandomContrast",
           "RandomBrightness", "RandomHeight", "RandomWidth"]
