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


def _fmt(shape):
    return "[" + ",".join(str(d) for d in shape) + "]"


def _cast(x, dtype_id):
    return x if x._dtype_id == dtype_id else C["cast"](x, ints=(dtype_id,))


def _size2(size, what="size"):
    """size -> (h, w) Python ints (a list/tuple/array/1-D int tensor of 2 elements)."""
    if isinstance(size, _core.TensorBase) or hasattr(size, "_as_tensor"):
        t = _t(size)
        if t._traced:
            raise TypeError(f"'{what}' must be known while a graph is traced; pass a Python list")
        size = np.asarray(t)
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
        fill_value = float(np.asarray(_t(fill_value)))
    out = C["image_projective_transform"](x, t, ints=(oh, ow, _INTERP[interp], _FILL[fm]),
                                          floats=(float(fill_value),))
    return _unbatch(out, batch)
