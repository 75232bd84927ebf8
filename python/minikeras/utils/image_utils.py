"""Image file helpers over Pillow (tf.keras 2.5 keras.preprocessing.image utilities):
load_img, img_to_array, array_to_img, save_img.

Pillow is imported on first use so that `import minikeras` stays light."""
import io
import os
import pathlib
import warnings

import numpy as np

__all__ = ["load_img", "img_to_array", "array_to_img", "save_img"]

_PIL = None


def _pil():
    """(PIL.Image, PIL.ImageEnhance), imported on first use."""
    global _PIL
    if _PIL is None:
        try:
            from PIL import Image, ImageEnhance
        except ImportError as e:  # pragma: no cover
            raise ImportError("Could not import PIL.Image. The use of `load_img` requires "
                              "PIL (Pillow).") from e
        _PIL = (Image, ImageEnhance)
    return _PIL


def _interpolation_methods():
    Image = _pil()[0]
    R = Image.Resampling
    return {"nearest": R.NEAREST, "bilinear": R.BILINEAR, "bicubic": R.BICUBIC,
            "hamming": R.HAMMING, "box": R.BOX, "lanczos": R.LANCZOS}


def _floatx():
    from .. import backend
    return backend.floatx()


def _data_format(data_format):
    if data_format is None:
        from .. import backend
        data_format = backend.image_data_format()
    if data_format not in {"channels_first", "channels_last"}:
        raise ValueError(f"Invalid data_format: {data_format}")
    return data_format


def load_img(path, grayscale=False, color_mode="rgb", target_size=None,
             interpolation="nearest", draft=False):
    """Loads an image into PIL format.

    path: a path (str, bytes, pathlib.Path) or an io.BytesIO. color_mode: 'grayscale',
    'rgb' or 'rgba'. target_size: None (original size) or (height, width).
    interpolation: 'nearest', 'bilinear', 'bicubic', 'hamming', 'box' or 'lanczos'.

    draft (minikeras extension, default False as in tf.keras): for JPEG files with a
    target_size, let the JPEG decoder downscale by a power of two (Pillow's draft mode,
    never below target_size) before the final resize.  Much faster for large photos; the
    pixels differ slightly from a full decode followed by the resize."""
    if grayscale is True:
        warnings.warn('grayscale is deprecated. Please use color_mode = "grayscale"')
        color_mode = "grayscale"
    Image = _pil()[0]
    if isinstance(path, io.BytesIO):
        img = Image.open(path)
    elif isinstance(path, (pathlib.Path, bytes, str)):
        if isinstance(path, pathlib.Path):
            path = str(path.resolve())
        with open(path, "rb") as f:
            img = Image.open(io.BytesIO(f.read()))
    else:
        raise TypeError(f"path should be path-like or io.BytesIO, not {type(path)}")
    if color_mode not in ("grayscale", "rgb", "rgba"):
        raise ValueError('color_mode must be "grayscale", "rgb", or "rgba"')
    if draft and target_size is not None and img.format == "JPEG":
        mode = "L" if color_mode == "grayscale" else "RGB"
        try:
            img.draft(mode, (int(target_size[1]), int(target_size[0])))
        except Exception:  # pragma: no cover - draft is only an optimisation
            pass
    if color_mode == "grayscale":
        # if image is not already an 8-bit, 16-bit or 32-bit grayscale image
        # convert it to an 8-bit grayscale image.
        if img.mode not in ("L", "I;16", "I"):
            img = img.convert("L")
    elif color_mode == "rgba":
        if img.mode != "RGBA":
            img = img.convert("RGBA")
    elif color_mode == "rgb":
        if img.mode != "RGB":
            img = img.convert("RGB")
    if target_size is not None:
        width_height_tuple = (int(target_size[1]), int(target_size[0]))
        if img.size != width_height_tuple:
            methods = _interpolation_methods()
            if interpolation not in methods:
                raise ValueError(
                    "Invalid interpolation method {} specified. Supported methods are {}".format(
                        interpolation, ", ".join(methods.keys())))
            img = img.resize(width_height_tuple, methods[interpolation])
    return img


def img_to_array(img, data_format=None, dtype=None):
    """Converts a PIL Image instance to a Numpy array (rank 3; floatx by default)."""
    data_format = _data_format(data_format)
    if dtype is None:
        dtype = _floatx()
    # Numpy array x has format (height, width, channel) or (channel, height, width)
    # but original PIL image has format (width, height, channel)
    x = np.asarray(img, dtype=dtype)
    if len(x.shape) == 3:
        if data_format == "channels_first":
            x = x.transpose(2, 0, 1)
    elif len(x.shape) == 2:
        if data_format == "channels_first":
            x = x.reshape((1, x.shape[0], x.shape[1]))
        else:
            x = x.reshape((x.shape[0], x.shape[1], 1))
    else:
        raise ValueError(f"Unsupported image shape: {x.shape}")
    return x


def array_to_img(x, data_format=None, scale=True, dtype=None):
    """Converts a 3D Numpy array to a PIL Image instance.  scale=True maps the array's
    min..max onto 0..255 (as tf.keras)."""
    Image = _pil()[0]
    data_format = _data_format(data_format)
    if dtype is None:
        dtype = _floatx()
    x = np.asarray(x, dtype=dtype)
    if x.ndim != 3:
        raise ValueError("Expected image array to have rank 3 (single image). "
                         f"Got array with shape: {x.shape}")
    if data_format == "channels_first":
        x = x.transpose(1, 2, 0)
    if scale:
        x = x - np.min(x)
        x_max = np.max(x)
        if x_max != 0:
            x /= x_max
        x *= 255
    if x.shape[2] == 4:
        return Image.fromarray(x.astype("uint8"), "RGBA")
    if x.shape[2] == 3:
        return Image.fromarray(x.astype("uint8"), "RGB")
    if x.shape[2] == 1:
        if np.max(x) > 255:
            # 32-bit signed integer grayscale image. PIL mode "I"
            return Image.fromarray(x[:, :, 0].astype("int32"), "I")
        return Image.fromarray(x[:, :, 0].astype("uint8"), "L")
    raise ValueError(f"Unsupported channel number: {x.shape[2]}")


def save_img(path, x, data_format=None, file_format=None, scale=True, **kwargs):
    """Saves an image stored as a Numpy array to a path or file object."""
    img = array_to_img(x, data_format=data_format, scale=scale)
    if img.mode == "RGBA" and (file_format == "jpg" or file_format == "jpeg"):
        warnings.warn("The JPG format does not support RGBA images, converting to RGB.")
        img = img.convert("RGB")
    if file_format == "jpg":
        file_format = "jpeg"
    img.save(os.fspath(path) if isinstance(path, os.PathLike) else path,
             format=file_format, **kwargs)
