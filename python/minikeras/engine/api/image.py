"""tf.image over the C image family (csrc/kernels/image.c) and compositions of other ops.

resize follows TensorFlow 2's tf.image.resize (resize_images_v2) kernel by kernel:
half-pixel centres, TF's float arithmetic, float32 output except for 'nearest'.
transform is Keras 2.5's image_preprocessing.transform (ImageProjectiveTransformV3)."""
import numbers

import numpy as np

from ... import _core
from .. import dtypes as _dt
from ..tensor import convert_to_tensor

C = _core.ops
_Err = _core.InvalidArgumentError

__all__ = ["ResizeMethod", "resize", "transform"]


class ResizeMethod:
    """tf.image.ResizeMethod."""
    BILINEAR = "bilinear"
    NEAREST_NEIGHBOR = "nearest"
    BICUBIC = "bicubic"
    AREA = "area"
    LANCZOS3 = "lanczos3"
    LANCZOS5 = "lanczos5"
    GAUSSIAN = "gaussian"
    MITCHELLCUBIC = "mitchellcubic"


# method -> C code (image.c RS_*); antialiased bilinear / bicubic use scale_and_translate kernels
_METHODS = {"bilinear": 0, "nearest": 1, "bicubic": 2, "area": 3, "lanczos3": 4, "lanczos5": 5,
            "gaussian": 6, "mitchellcubic": 7}
_AA = {"bilinear": 8, "bicubic": 9}
_F32, _F64, _F16 = _dt.float32._id, _dt.float64._id, _dt.float16._id


def _t(x):
    if isinstance(x, _core.TensorBase):
        return x
    if hasattr(x, "_as_tensor"):
        return x._as_tensor()
    return convert_to_tensor(x)


def _value(v, what):
    """A tensor argument's value as numpy (Python values pass through np.asarray).  Inside a
    graph being traced a computed value is unknown: the trace falls back to eager."""
    if isinstance(v, _core.TensorBase) or hasattr(v, "_as_tensor"):
        t = _t(v)
        if t._traced:
            from ..function import not_traceable
            not_traceable(f"{what} given as a computed tensor")
            raise TypeError(f"{what} must be known while a graph is traced; pass a Python value")
        return np.asarray(t)
    return np.asarray(v)


def _fmt(shape):
    return "[" + ",".join(str(d) for d in shape) + "]"


def _cast(x, dtype_id):
    return x if x._dtype_id == dtype_id else C["cast"](x, ints=(dtype_id,))


def _size2(size, what="size"):
    """size -> (h, w) Python ints (a list/tuple/array/1-D int tensor of 2 elements)."""
    if type(size) in (tuple, list) and len(size) == 2 and type(size[0]) is int \
            and type(size[1]) is int:
        return size[0], size[1]          # the common case, without a numpy round trip
    if isinstance(size, _core.TensorBase) or hasattr(size, "_as_tensor"):
        size = _value(size, what)
    if hasattr(size, "as_list"):
        size = size.as_list()
    try:
        arr = np.asarray(size)
    except Exception:
        arr = None
    if arr is None or arr.shape != (2,) or (arr.dtype.kind not in "iu" and arr.dtype != object):
        raise ValueError(f"'{what}' must be a 1-D Tensor of 2 elements: new_height, new_width")
    try:
        return int(arr[0]), int(arr[1])
    except (TypeError, ValueError):
        raise ValueError(f"'{what}' must be a 1-D Tensor of 2 elements: new_height, new_width") from None


def _as_batch(images, op):
    """images -> (4-D tensor, was_batch)."""
    x = _t(images)
    if x.ndim == 3:
        return C["reshape"](x, ints=(1,) + tuple(x._shape)), False
    if x.ndim == 4:
        return x, True
    raise ValueError(f"{op}: 'images' must have either 3 or 4 dimensions, got shape {_fmt(x._shape)}")


def _unbatch(x, was_batch):
    return x if was_batch else C["reshape"](x, ints=tuple(x._shape[1:]))


def resize(images, size, method=ResizeMethod.BILINEAR, preserve_aspect_ratio=False,
           antialias=False, name=None):
    """tf.image.resize: [batch,] height, width, channels -> [batch,] new_height, new_width,
    channels.  float32 result (float32 for every input dtype) except with 'nearest', which
    keeps the dtype."""
    x, batch = _as_batch(images, "resize")
    m = method.lower() if isinstance(method, str) else method
    if m not in _METHODS:
        raise ValueError(f"Resize method is not implemented: {method}")
    nh, nw = _size2(size)
    _, h, w, _ = x._shape
    if preserve_aspect_ratio:
        f32 = np.float32
        sf = min(f32(nh) / f32(h), f32(nw) / f32(w))
        nh = int(np.round(f32(sf * f32(h))))
        nw = int(np.round(f32(sf * f32(w))))
    if nh <= 0 or nw <= 0:
        raise _Err(f"resize: output size must be positive, got [{nh},{nw}] for images "
                   f"{_fmt(_t(images)._shape)}")
    code = _METHODS[m]
    if antialias and m in _AA:
        code = _AA[m]
    if code != 1 and x._dtype_id == _F16:
        x = _cast(x, _F32)
    out = C["resize"](x, ints=(nh, nw, code, 1 if antialias else 0))
    if code != 1 and out._dtype_id == _F64:
        out = _cast(out, _F32)   # TF's resize kernels always output float32
    return _unbatch(out, batch)


_INTERP = {"nearest": 0, "bilinear": 1}
_FILL = {"reflect": 0, "wrap": 1, "constant": 2, "nearest": 3}


def transform(images, transforms, interpolation="nearest", fill_mode="reflect", fill_value=0.0,
              output_shape=None, name=None):
    """Projective transforms of a batch of images (ImageProjectiveTransformV3).

    transforms: [8] / [1,8] / [N,8] float32 [a0,a1,a2,b0,b1,b2,c0,c1]: output (x,y) samples
    the input at ((a0 x + a1 y + a2) / k, (b0 x + b1 y + b2) / k), k = c0 x + c1 y + 1.
    Points outside the image follow fill_mode ('reflect', 'wrap', 'constant' with
    fill_value, 'nearest').  images [N,H,W,C] (or [H,W,C]); the dtype is kept."""
    x, batch = _as_batch(images, "transform")
    t = _cast(_t(transforms), _F32)
    if t.ndim == 1:
        t = C["reshape"](t, ints=(1,) + tuple(t._shape))
    if t.ndim != 2 or t._shape[1] != 8:
        raise ValueError(f"transform: transforms should have rank 1 or 2, and 8 columns, "
                         f"got shape {_fmt(t._shape)}")
    interp = str(interpolation).lower()
    fm = str(fill_mode).lower()
    if interp not in _INTERP:
        raise ValueError(f"transform: unknown interpolation {interpolation!r} "
                         "(expected 'nearest' or 'bilinear')")
    if fm not in _FILL:
        raise ValueError(f"transform: unknown fill_mode {fill_mode!r} "
                         "(expected 'reflect', 'wrap', 'constant' or 'nearest')")
    if output_shape is None:
        oh, ow = x._shape[1], x._shape[2]
    else:
        oh, ow = _size2(output_shape, "output_shape")
    if isinstance(fill_value, _core.TensorBase) or hasattr(fill_value, "_as_tensor"):
        fill_value = float(_value(fill_value, "fill_value"))
    out = C["image_projective_transform"](x, t, ints=(oh, ow, _INTERP[interp], _FILL[fm]),
                                          floats=(float(fill_value),))
    return _unbatch(out, batch)


# ============================================================================ the rest of tf.image
# Compositions of public ops (their gradients come from those ops), and the C colour
# kernels (rgb_to_hsv, hsv_to_rgb, adjust_hsv) where composing would be much slower.
from . import random as _random  # noqa: E402
from .elementwise import (abs as _abs, add as _add, cast as _tcast, floordiv as _floordiv,  # noqa: E402
                          maximum as _maximum, multiply as _mul, pow as _pow,
                          saturate_cast as _saturate_cast, subtract as _sub,
                          where as _where, divide as _div, less as _less)
from .index import gather as _gather, range as _range  # noqa: E402
from .matmul import tensordot as _tensordot  # noqa: E402
from .reduce import reduce_mean as _rmean, reduce_std as _rstd, reduce_sum as _rsum  # noqa: E402
from .shape import (concat as _concat, pad as _pad, reverse as _reverse,  # noqa: E402
                    slice as _tslice, tile as _tile, transpose as _transpose)

__all__ += ["flip_left_right", "flip_up_down", "random_flip_left_right", "random_flip_up_down",
            "rot90", "transpose", "crop_to_bounding_box", "pad_to_bounding_box", "central_crop",
            "resize_with_crop_or_pad", "resize_with_pad", "random_crop", "convert_image_dtype",
            "adjust_brightness", "adjust_contrast", "adjust_gamma", "adjust_saturation",
            "adjust_hue", "random_brightness", "random_contrast", "random_saturation",
            "random_hue", "rgb_to_grayscale", "grayscale_to_rgb", "rgb_to_hsv", "hsv_to_rgb",
            "rgb_to_yuv", "yuv_to_rgb", "per_image_standardization", "total_variation",
            "image_gradients"]


def _image(image, op, ranks=(3, 4)):
    x = _t(image)
    if x.ndim not in ranks:
        if ranks == (3, 4):
            raise ValueError(f"{op}: 'image' must be either 3 or 4 dimensions, got shape "
                             f"{_fmt(x._shape)}")
        raise ValueError(f"{op}: 'image' (shape {_fmt(x._shape)}) must be at least three-dimensional.")
    return x


def _image3plus(image, op):
    x = _t(image)
    if x.ndim < 3:
        raise ValueError(f"{op}: 'image' (shape {_fmt(x._shape)}) must be at least three-dimensional.")
    return x


# ---- flips, rotations, crops, pads --------------------------------------------------------
def flip_left_right(image):
    x = _image(image, "flip_left_right")
    return _reverse(x, [x.ndim - 2])


def flip_up_down(image):
    x = _image(image, "flip_up_down")
    return _reverse(x, [x.ndim - 3])


def _random_flip(image, axis_from_end, seed, op):
    x = _image(image, op)
    flipped = _reverse(x, [x.ndim - axis_from_end])
    if x.ndim == 3:
        u = _random.uniform([], 0, 1.0, seed=seed)
    else:
        u = _random.uniform([x._shape[0], 1, 1, 1], 0, 1.0, seed=seed)
    return _where(_less(u, 0.5), flipped, x)


def random_flip_left_right(image, seed=None):
    return _random_flip(image, 2, seed, "random_flip_left_right")


def random_flip_up_down(image, seed=None):
    return _random_flip(image, 3, seed, "random_flip_up_down")


def rot90(image, k=1, name=None):
    """Rotate image(s) counter-clockwise by k * 90 degrees (np.rot90 on the H, W axes)."""
    x = _image(image, "rot90")
    k = int(_value(k, "rot90's k"))
    k %= 4
    h = x.ndim - 3
    perm = list(range(x.ndim))
    perm[h], perm[h + 1] = perm[h + 1], perm[h]
    if k == 0:
        return x
    if k == 1:
        return _transpose(_reverse(x, [h + 1]), perm)
    if k == 2:
        return _reverse(x, [h, h + 1])
    return _reverse(_transpose(x, perm), [h + 1])


def transpose(image, name=None):
    """Swap height and width."""
    x = _image(image, "transpose")
    return _transpose(x, [1, 0, 2] if x.ndim == 3 else [0, 2, 1, 3])


def _dims(x):
    return x._shape[-3], x._shape[-2]


def crop_to_bounding_box(image, offset_height, offset_width, target_height, target_width):
    x = _image(image, "crop_to_bounding_box")
    oh, ow, th, tw = (int(_value(v, "bounding box")) for v in
                      (offset_height, offset_width, target_height, target_width))
    h, w = _dims(x)
    for ok, msg in ((ow >= 0, "offset_width must be >= 0."), (oh >= 0, "offset_height must be >= 0."),
                    (tw > 0, "target_width must be > 0."), (th > 0, "target_height must be > 0."),
                    (w >= tw + ow, "width must be >= target + offset."),
                    (h >= th + oh, "height must be >= target + offset.")):
        if not ok:
            raise ValueError(f"crop_to_bounding_box: {msg} (image shape {_fmt(x._shape)}, offsets "
                             f"[{oh},{ow}], target [{th},{tw}])")
    if x.ndim == 3:
        return _tslice(x, [oh, ow, 0], [th, tw, -1])
    return _tslice(x, [0, oh, ow, 0], [-1, th, tw, -1])


def pad_to_bounding_box(image, offset_height, offset_width, target_height, target_width):
    x = _image(image, "pad_to_bounding_box")
    oh, ow, th, tw = (int(_value(v, "bounding box")) for v in
                      (offset_height, offset_width, target_height, target_width))
    h, w = _dims(x)
    after_h, after_w = th - oh - h, tw - ow - w
    for ok, msg in ((oh >= 0, "offset_height must be >= 0"), (ow >= 0, "offset_width must be >= 0"),
                    (after_w >= 0, "width must be <= target - offset"),
                    (after_h >= 0, "height must be <= target - offset")):
        if not ok:
            raise ValueError(f"pad_to_bounding_box: {msg} (image shape {_fmt(x._shape)}, offsets "
                             f"[{oh},{ow}], target [{th},{tw}])")
    pads = [[oh, after_h], [ow, after_w], [0, 0]]
    if x.ndim == 4:
        pads = [[0, 0]] + pads
    return _pad(x, pads)


def central_crop(image, central_fraction):
    x = _image(image, "central_crop")
    f = float(_value(central_fraction, "central_fraction"))
    if f <= 0.0 or f > 1.0:
        raise ValueError("central_fraction must be within (0, 1]")
    if f == 1.0:
        return x
    h, w = _dims(x)
    hs = int((float(h) - float(h) * f) / 2)
    ws = int((float(w) - float(w) * f) / 2)
    return crop_to_bounding_box(x, hs, ws, h - 2 * hs, w - 2 * ws)


def resize_with_crop_or_pad(image, target_height, target_width):
    x = _image(image, "resize_with_crop_or_pad")
    th, tw = int(_value(target_height, "target_height")), int(_value(target_width, "target_width"))
    if tw <= 0:
        raise ValueError("resize_with_crop_or_pad: target_width must be > 0.")
    if th <= 0:
        raise ValueError("resize_with_crop_or_pad: target_height must be > 0.")
    h, w = _dims(x)
    wd, hd = tw - w, th - h
    x = crop_to_bounding_box(x, max(-hd // 2, 0), max(-wd // 2, 0), min(th, h), min(tw, w))
    return pad_to_bounding_box(x, max(hd // 2, 0), max(wd // 2, 0), th, tw)


def resize_with_pad(image, target_height, target_width, method=ResizeMethod.BILINEAR,
                    antialias=False):
    x = _image(image, "resize_with_pad")
    th, tw = int(_value(target_height, "target_height")), int(_value(target_width, "target_width"))
    if tw <= 0:
        raise ValueError("resize_with_pad: target_width must be > 0.")
    if th <= 0:
        raise ValueError("resize_with_pad: target_height must be > 0.")
    f32 = np.float32
    h, w = _dims(x)
    ratio = max(f32(w) / f32(tw), f32(h) / f32(th))
    rhf, rwf = f32(h) / ratio, f32(w) / f32(ratio)
    rh, rw = int(np.floor(rhf)), int(np.floor(rwf))
    ph = max(0, int(np.floor((f32(th) - rhf) / f32(2))))
    pw = max(0, int(np.floor((f32(tw) - rwf) / f32(2))))
    r = resize(x, [rh, rw], method=method, antialias=antialias)
    return pad_to_bounding_box(r, ph, pw, th, tw)


def random_crop(value, size, seed=None, name=None):
    """A random [size] slice of value (uniform offsets on every axis)."""
    x = _t(value)
    size = [int(s) for s in _value(size, "random_crop's size").reshape(-1)]
    if len(size) != x.ndim:
        raise ValueError(f"random_crop: size must have one entry per dimension of value: "
                         f"value shape {_fmt(x._shape)}, size {_fmt(size)}")
    for n, s in zip(x._shape, size):
        if s > n or s < 0:
            raise _Err(f"random_crop: Need value.shape >= size, got value shape {_fmt(x._shape)} "
                       f"and size {_fmt(size)}")
    for ax, (n, s) in enumerate(zip(x._shape, size)):
        if s == n:
            continue
        off = _random.uniform([], 0, n - s + 1, dtype=_dt.int32, seed=seed)
        idx = _add(_range(s), off)
        x = _gather(x, idx, axis=ax)
    return x


# ---- dtype conversion -----------------------------------------------------------------------
def convert_image_dtype(image, dtype, saturate=False, name=None):
    """TF's rules: ints scale by their max (255 for uint8), floats live in [0, 1]."""
    x = _t(image)
    dtype = _dt.as_dtype(dtype)
    src = x.dtype
    if not (dtype.is_floating or dtype.is_integer):
        raise AttributeError("dtype must be either floating point or integer")
    if not (src.is_floating or src.is_integer):
        raise AttributeError("image dtype must be either floating point or integer")
    if dtype == src:
        return x
    if src.is_integer and dtype.is_integer:
        si, so = int(src.max), int(dtype.max)
        if si > so:
            scaled = _floordiv(x, (si + 1) // (so + 1))
            return _saturate_cast(scaled, dtype) if saturate else _tcast(scaled, dtype)
        c = _saturate_cast(x, dtype) if saturate else _tcast(x, dtype)
        return _mul(c, convert_to_tensor((so + 1) // (si + 1), dtype=dtype))
    if src.is_floating and dtype.is_floating:
        return _tcast(x, dtype)
    if src.is_integer:
        c = _tcast(x, dtype)
        return _mul(c, convert_to_tensor(1.0 / src.max, dtype=dtype))
    scaled = _mul(x, convert_to_tensor(float(dtype.max) + 0.5, dtype=src))
    return _saturate_cast(scaled, dtype) if saturate else _tcast(scaled, dtype)


def _to_float(x):
    """TF's adjust_* pattern: float16/float32 as they are, anything else via float32."""
    if x._dtype_id in (_F16, _F32):
        return x
    return convert_image_dtype(x, _dt.float32)


def _back(y, orig):
    return convert_image_dtype(y, orig, saturate=True)


# ---- colour adjustments ---------------------------------------------------------------------
def adjust_brightness(image, delta):
    x = _t(image)
    f = _to_float(x)
    return _back(_add(f, convert_to_tensor(delta, dtype=f.dtype)), x.dtype)


def adjust_contrast(images, contrast_factor):
    """(x - mean) * contrast_factor + mean, mean per image and channel (over height, width)."""
    x = _image3plus(images, "adjust_contrast")
    f = _to_float(x)
    m = _rmean(f, axis=[-3, -2], keepdims=True)
    cf = convert_to_tensor(contrast_factor, dtype=f.dtype)
    return _back(_add(_mul(_sub(f, m), cf), m), x.dtype)


def adjust_gamma(image, gamma=1, gain=1):
    x = _t(image)
    f = _to_float(x)
    g = gamma
    if isinstance(g, _core.TensorBase) and not g._traced:
        g = float(np.asarray(g))
    if isinstance(g, numbers.Number) and g < 0:
        raise ValueError("Gamma should be a non-negative real number.")
    y = _mul(convert_to_tensor(gain, dtype=f.dtype), _pow(f, convert_to_tensor(gamma, dtype=f.dtype)))
    return _back(y, x.dtype)


def _hsv_op(image, dh, fs, op):
    x = _t(image)
    if x.ndim < 3:
        raise _Err(f"{op}: input must be at least 3-D, got shape {_fmt(x._shape)}")
    if x._shape[-1] != 3:
        raise _Err(f"{op}: input must have 3 channels but instead has {x._shape[-1]} channels "
                   f"(shape {_fmt(x._shape)})")
    f = _to_float(x)
    dh = convert_to_tensor(dh, dtype=f.dtype)
    fs = convert_to_tensor(fs, dtype=f.dtype)
    if dh.ndim or fs.ndim:
        raise _Err(f"{op}: the factor must be a scalar, got shape {_fmt(dh._shape if dh.ndim else fs._shape)}")
    y = C["adjust_hsv"](f, dh, fs)
    return _back(y, x.dtype)


def adjust_saturation(image, saturation_factor, name=None):
    return _hsv_op(image, 0.0, saturation_factor, "adjust_saturation")


def adjust_hue(image, delta, name=None):
    """Rotate the hue by delta (a fraction of the colour circle; it wraps around)."""
    return _hsv_op(image, delta, 1.0, "adjust_hue")


def random_brightness(image, max_delta, seed=None):
    if max_delta < 0:
        raise ValueError("max_delta must be non-negative.")
    delta = _random.uniform([], -max_delta, max_delta, seed=seed)
    return adjust_brightness(image, delta)


def random_contrast(image, lower, upper, seed=None):
    if upper <= lower:
        raise ValueError("upper must be > lower.")
    if lower < 0:
        raise ValueError("lower must be non-negative.")
    factor = _random.uniform([], lower, upper, seed=seed)
    return adjust_contrast(image, factor)


def random_saturation(image, lower, upper, seed=None):
    if upper <= lower:
        raise ValueError("upper must be > lower.")
    if lower < 0:
        raise ValueError("lower must be non-negative.")
    return adjust_saturation(image, _random.uniform([], lower, upper, seed=seed))


def random_hue(image, max_delta, seed=None):
    if max_delta > 0.5:
        raise ValueError("max_delta must be <= 0.5.")
    if max_delta < 0:
        raise ValueError("max_delta must be non-negative.")
    return adjust_hue(image, _random.uniform([], -max_delta, max_delta, seed=seed))


# ---- colour spaces ----------------------------------------------------------------------------
def rgb_to_grayscale(images, name=None):
    x = _t(images)
    f = convert_image_dtype(x, _dt.float32)
    g = _tensordot(f, convert_to_tensor([0.2989, 0.5870, 0.1140], dtype=_dt.float32), [[-1], [-1]]) \
        if x.ndim else None
    g = C["reshape"](g, ints=tuple(g._shape) + (1,))
    return convert_image_dtype(g, x.dtype)


def grayscale_to_rgb(images, name=None):
    x = _t(images)
    if x.ndim < 2 or x._shape[-1] != 1:
        raise ValueError(f"grayscale_to_rgb: images must have a last dimension of size 1 and rank >= 2, "
                         f"got shape {_fmt(x._shape)}")
    return _tile(x, [1] * (x.ndim - 1) + [3])


def rgb_to_hsv(images, name=None):
    """RGB in [0, 1] -> HSV in [0, 1] (float images)."""
    return C["rgb_to_hsv"](_t(images))


def hsv_to_rgb(images, name=None):
    return C["hsv_to_rgb"](_t(images))


_RGB_TO_YUV = [[0.299, -0.14714119, 0.61497538], [0.587, -0.28886916, -0.51496512],
               [0.114, 0.43601035, -0.10001026]]
_YUV_TO_RGB = [[1, 1, 1], [0, -0.394642334, 2.03206185], [1.13988303, -0.58062185, 0]]


def _colour_matmul(images, kernel, op):
    x = _t(images)
    if not x.dtype.is_floating:
        raise TypeError(f"{op}: images must be a float tensor, got {x.dtype.name}")
    if x.ndim < 1 or x._shape[-1] != 3:
        raise ValueError(f"{op}: images must have 3 channels in the last dimension, got shape {_fmt(x._shape)}")
    return _tensordot(x, convert_to_tensor(kernel, dtype=x.dtype), [[x.ndim - 1], [0]])


def rgb_to_yuv(images):
    return _colour_matmul(images, _RGB_TO_YUV, "rgb_to_yuv")


def yuv_to_rgb(images):
    return _colour_matmul(images, _YUV_TO_RGB, "yuv_to_rgb")


# ---- statistics ------------------------------------------------------------------------------
def per_image_standardization(image):
    """(x - mean) / max(stddev, 1/sqrt(num_pixels)) per image, in float32."""
    x = _image3plus(image, "per_image_standardization")
    f = _tcast(x, _dt.float32)
    n = int(np.prod(x._shape[-3:]))
    mean = _rmean(f, axis=[-1, -2, -3], keepdims=True)
    std = _rstd(f, axis=[-1, -2, -3], keepdims=True)
    adj = _maximum(std, convert_to_tensor(float(np.float32(1.0) / np.sqrt(np.float32(max(n, 1)))),
                                          dtype=_dt.float32))
    return _div(_sub(f, mean), adj)


def total_variation(images, name=None):
    x = _t(images)
    if x.ndim == 3:
        d1 = _sub(x[1:, :, :], x[:-1, :, :])
        d2 = _sub(x[:, 1:, :], x[:, :-1, :])
        return _add(_rsum(_abs(d1)), _rsum(_abs(d2)))
    if x.ndim == 4:
        d1 = _sub(x[:, 1:, :, :], x[:, :-1, :, :])
        d2 = _sub(x[:, :, 1:, :], x[:, :, :-1, :])
        return _add(_rsum(_abs(d1), axis=[1, 2, 3]), _rsum(_abs(d2), axis=[1, 2, 3]))
    raise ValueError(f"total_variation: 'images' must be either 3 or 4-dimensional, got shape {_fmt(x._shape)}")


def image_gradients(image):
    x = _t(image)
    if x.ndim != 4:
        raise ValueError(f"image_gradients expects a 4D tensor [batch_size, h, w, d], not {_fmt(x._shape)}.")
    b, h, w, d = x._shape
    dy = _sub(x[:, 1:, :, :], x[:, :-1, :, :])
    dx = _sub(x[:, :, 1:, :], x[:, :, :-1, :])
    dy = _concat([dy, convert_to_tensor(np.zeros((b, 1, w, d), x.dtype.as_numpy_dtype))], 1)
    dx = _concat([dx, convert_to_tensor(np.zeros((b, h, 1, d), x.dtype.as_numpy_dtype))], 2)
    return dy, dx


def extract_patches(images, sizes, strides, rates, padding, name=None):
    """[N,H,W,C] -> [N,OH,OW,kh*kw*C]: each output pixel holds its patch flattened in
    (row, column, channel) order; 'VALID' or 'SAME' (TF's asymmetric zero padding)."""
    x = _t(images)
    if x.ndim != 4:
        raise ValueError(f"extract_patches: images must be 4-D [batch,height,width,depth], got shape "
                         f"{_fmt(x._shape)}")
    vals = []
    for what, v in (("sizes", sizes), ("strides", strides), ("rates", rates)):
        v = [int(a) for a in v]
        if len(v) != 4 or v[0] != 1 or v[3] != 1 or min(v) < 1:
            raise ValueError(f"extract_patches: {what} must be [1, rows, cols, 1] with positive "
                             f"entries, got {v}")
        vals.append(v[1:3])
    (kh, kw), (sh, sw), (rh, rw) = vals
    pad = str(padding).upper()
    if pad not in ("VALID", "SAME"):
        raise ValueError(f"extract_patches: padding must be 'VALID' or 'SAME', got {padding!r}")
    n, h, w, c = x._shape
    ekh, ekw = (kh - 1) * rh + 1, (kw - 1) * rw + 1
    if pad == "SAME":
        oh, ow = -(-h // sh), -(-w // sw)
        ph, pw = max((oh - 1) * sh + ekh - h, 0), max((ow - 1) * sw + ekw - w, 0)
        if ph or pw:
            x = _pad(x, [[0, 0], [ph // 2, ph - ph // 2], [pw // 2, pw - pw // 2], [0, 0]])
    else:
        oh, ow = max((h - ekh) // sh + 1, 0), max((w - ekw) // sw + 1, 0)
    if oh == 0 or ow == 0 or n == 0:
        return convert_to_tensor(np.zeros((n, oh, ow, kh * kw * c), x.dtype.as_numpy_dtype))
    parts = []
    for ky in range(kh):
        for kx in range(kw):
            y0, x0 = ky * rh, kx * rw
            parts.append(x[:, y0:y0 + (oh - 1) * sh + 1:sh, x0:x0 + (ow - 1) * sw + 1:sw, :])
    return parts[0] if len(parts) == 1 else _concat(parts, 3)


__all__.append("extract_patches")


def psnr(a, b, max_val, name=None):
    """Peak signal-to-noise ratio per image: 20 log10(max_val) - 10 log10(mse)."""
    a, b = _t(a), _t(b)
    if tuple(a._shape) != tuple(b._shape):
        raise ValueError(f"psnr: a and b must have the same shape, got {_fmt(a._shape)} and {_fmt(b._shape)}")
    if a.ndim < 3:
        raise ValueError(f"psnr: images must be at least 3-D, got shape {_fmt(a._shape)}")
    fa, fb = convert_image_dtype(a, _dt.float32), convert_image_dtype(b, _dt.float32)
    mv = float(_value(max_val, "max_val"))
    if a.dtype.is_integer:
        mv = mv / float(a.dtype.max)          # TF converts max_val like the images
    d = _sub(fa, fb)
    mse = _rmean(_mul(d, d), axis=[-3, -2, -1])
    from .elementwise import log as _log
    return _sub(convert_to_tensor(float(np.float32(20 * np.log(np.float32(mv)) / np.log(10.0))), dtype=_dt.float32),
                _mul(_log(mse), convert_to_tensor(float(np.float32(10 / np.log(10))), dtype=_dt.float32)))


__all__.append("psnr")
