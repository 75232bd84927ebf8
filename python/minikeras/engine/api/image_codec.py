"""Image codecs: tf.io / tf.image decode_jpeg, decode_png, decode_image, encode_jpeg,
encode_png, on Pillow (libjpeg-turbo, libpng/zlib; decoding releases the GIL, so Dataset.map
worker threads decode in parallel).

As in TensorFlow, the decoders take one scalar string (the file's bytes) and return a
uint8 tensor [height, width, channels]; decode_jpeg / decode_png also decode the other
formats (JPEG, PNG, GIF, BMP are told apart by their magic bytes), decode_image returns
[frames, h, w, c] for animated GIFs when expand_animations.

Differences from TensorFlow's values:
- decode_jpeg: TF's default dct_method '' means libjpeg's INTEGER_FAST (IFAST) with fancy
  upsampling; Pillow cannot combine those two, so the default here decodes with
  INTEGER_ACCURATE (ISLOW) and fancy upsampling -- identical to TF's
  dct_method='INTEGER_ACCURATE', and within a few levels of TF's default on natural images.
  fancy_upscaling=False gives IFAST without fancy upsampling, exactly TF's
  (dct_method '' / 'INTEGER_FAST', fancy_upscaling=False).
- channels=1 from a colour JPEG is libjpeg's own grayscale output (the Y plane), as TF's.
- PNG colour -> gray uses libpng's fixed-point 0.299/0.587 formula, as TF's (identical)."""
import io as _io

import numpy as np

from ... import _core
from .. import dtypes as _dt
from ..function import not_traceable
from ..strings import StringTensor, scalar_bytes
from ..tensor import convert_to_tensor

_Err = _core.InvalidArgumentError
_from_buffer = _core.from_buffer

__all__ = ["decode_jpeg", "decode_png", "decode_image", "decode_gif", "decode_bmp",
           "encode_jpeg", "encode_png", "is_jpeg", "extract_jpeg_shape"]

_Image = None


def _pil():
    global _Image
    if _Image is None:
        from PIL import Image, ImageFile  # noqa: F401  (lazy: import minikeras stays light)
        Image.init()
        _Image = Image
    return _Image


def _format(data):
    if data[:3] == b"\xff\xd8\xff":
        return "JPEG"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "PNG"
    if data[:4] == b"GIF8":
        return "GIF"
    if data[:2] == b"BM":
        return "BMP"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    return None


def _gray_601(rgb):
    """libpng's png_set_rgb_to_gray(0.299, 0.587) on [.., 3] data, as TF's PNG decoder:
    coefficients 29900 * 32768 // 100000 = 9797 and 19234, blue 32768 - both; the sum is
    truncated (libpng's "historical approach"), gray pixels pass unchanged."""
    r = rgb[..., 0].astype(np.uint32)
    g = rgb[..., 1].astype(np.uint32)
    b = rgb[..., 2].astype(np.uint32)
    return ((9797 * r + 19234 * g + 3737 * b) >> 15).astype(rgb.dtype)


def _to_tensor(a):
    return _from_buffer(a if a.flags.c_contiguous else np.ascontiguousarray(a))


def _convert_channels(a, have, channels, op, maxval):
    """[h, w, have] array -> [h, w, channels] as libpng's transformations do."""
    if channels == 0 or channels == have:
        return a
    color = a[..., :3] if have >= 3 else a[..., :1]
    alpha = a[..., have - 1:] if have in (2, 4) else None
    if channels in (1, 2):
        g = _gray_601(color)[..., None] if have >= 3 else color
        if channels == 1:
            return g
        al = alpha if alpha is not None else np.full(g.shape, maxval, a.dtype)
        return np.concatenate([g, al], axis=-1)
    c = color if have >= 3 else np.repeat(color, 3, axis=-1)
    if channels == 3:
        return c
    al = alpha if alpha is not None else np.full(c.shape[:-1] + (1,), maxval, a.dtype)
    return np.concatenate([c, al], axis=-1)


_SOF = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}


def _jpeg_header(d):
    """(height, width, components) from the first SOF marker, or None."""
    i, n = 2, len(d)
    while i + 4 <= n:
        if d[i] != 0xFF:
            return None
        m = d[i + 1]
        if m == 0xFF:
            i += 1
            continue
        if m == 0x01 or 0xD0 <= m <= 0xD8:
            i += 2
            continue
        if m in _SOF:
            if i + 10 > n:
                return None
            return (d[i + 5] << 8) | d[i + 6], (d[i + 7] << 8) | d[i + 8], d[i + 9]
        if m == 0xDA:
            return None
        i += 2 + ((d[i + 2] << 8) | d[i + 3])
    return None


def _jpeg_fast(data, channels, ratio, fancy):
    """Decode straight through Pillow's libjpeg decoder object (no Image.open header parse
    in Python): ~40% less time for small images.  None when the file needs the general path
    (CMYK, odd headers, truncated data)."""
    hdr = _jpeg_header(data)
    if hdr is None or hdr[2] not in (1, 3) or hdr[0] == 0 or hdr[1] == 0:
        return None
    h, w, comps = hdr
    mode = "L" if channels == 1 or (channels == 0 and comps == 1) else "RGB"
    if ratio > 1:
        h, w = -(-h // ratio), -(-w // ratio)
    Image = _pil()
    im = Image.new(mode, (w, h))
    dec = Image._getdecoder(mode, "jpeg", (mode, ""), (ratio, 0 if fancy else 1))
    try:
        dec.setimage(im.im, (0, 0, w, h))
        n, err = dec.decode(data)
    finally:
        dec.cleanup()
    if n >= 0 or err < 0:
        return None
    return np.frombuffer(im.tobytes(), dtype=np.uint8).reshape(h, w, 1 if mode == "L" else 3)


def _jpeg(data, channels, ratio, fancy, dct_method, op):
    try:
        a = _jpeg_fast(data, channels, ratio, fancy)
    except Exception:  # noqa: BLE001  (fall back to the general path, which reports errors)
        a = None
    if a is not None:
        return a
    Image = _pil()
    try:
        img = Image.open(_io.BytesIO(data), formats=("JPEG",))
        mode = img.mode
        if channels == 1 and mode != "L":
            img.draft("L", None if ratio == 1 else
                      (max(1, img.size[0] // ratio), max(1, img.size[1] // ratio)))
        elif ratio > 1:
            img.draft(mode, (max(1, img.size[0] // ratio), max(1, img.size[1] // ratio)))
        if not fancy:
            scale = img.decoderconfig[0] if img.decoderconfig else 1
            img.decoderconfig = (scale, 1)     # libjpeg: IFAST DCT, no fancy upsampling
        img.load()
    except Exception as e:  # noqa: BLE001  (PIL raises OSError, SyntaxError, ValueError ...)
        raise _Err(f"{op}: jpeg::Uncompress failed. Invalid JPEG data or crop window.") from None
    mode = img.mode
    if mode not in ("L", "RGB"):
        img = img.convert("RGB" if channels != 1 else "L")
        mode = img.mode
    if channels == 3 and mode == "L":
        img = img.convert("RGB")
        mode = "RGB"
    w, h = img.size
    c = 1 if mode == "L" else 3
    return np.frombuffer(img.tobytes(), dtype=np.uint8).reshape(h, w, c)


def _pil_generic(data, channels, bits16, op, fmt, frames=False):
    """PNG / GIF / BMP / WebP through Pillow -> uint8 or uint16 [h, w, c] (or a list of
    frames)."""
    Image = _pil()
    try:
        img = Image.open(_io.BytesIO(data), formats=(fmt,))
        img.load()
    except Exception as e:  # noqa: BLE001
        raise _Err(f"{op}: Invalid {fmt} data, size {len(data)} ({e})") from None
    if frames:
        out = []
        n = getattr(img, "n_frames", 1)
        for i in range(n):
            img.seek(i)
            out.append(_pil_frame(img.convert("RGBA" if channels == 4 else "RGB"), channels, bits16))
        return out
    return _pil_frame(img, channels, bits16)


def _pil_frame(img, channels, bits16):
    mode = img.mode
    if mode == "P":
        img = img.convert("RGBA" if "transparency" in img.info else "RGB")
    elif mode == "1":
        img = img.convert("L")
    elif mode in ("CMYK", "YCbCr", "LAB", "HSV"):
        img = img.convert("RGB")
    elif mode == "PA":
        img = img.convert("RGBA")
    elif mode in ("RGBa", "La"):
        img = img.convert("RGBA" if mode == "RGBa" else "LA")
    elif mode == "F":
        img = img.convert("I")
    mode = img.mode
    if mode in ("I;16", "I;16B", "I;16L", "I"):     # 16-bit gray
        a = np.asarray(img)
        a = np.clip(a, 0, 65535).astype(np.uint16)[..., None]
        maxval = 65535
        if not bits16:
            a = (a >> 8).astype(np.uint8)
            maxval = 255
    else:
        w, h = img.size
        c = len(mode)         # L, LA, RGB, RGBA
        a = np.frombuffer(img.tobytes(), dtype=np.uint8).reshape(h, w, c)
        maxval = 255
        if "transparency" in img.info and mode in ("L", "RGB") and channels in (0, 2, 4):
            img = img.convert("LA" if mode == "L" else "RGBA")
            c = len(img.mode)
            a = np.frombuffer(img.tobytes(), dtype=np.uint8).reshape(h, w, c)
        if bits16:
            a = a.astype(np.uint16) * 257
            maxval = 65535
    return _convert_channels(a, a.shape[-1], channels, "decode", maxval)


def _decode(contents, channels, op, kind, ratio=1, fancy=True, dct_method="", dtype=_dt.uint8,
            expand_animations=True):
    data = scalar_bytes(contents, op)
    if not data:
        raise _Err(f"{op}: Input is empty.")
    channels = 0 if channels is None else int(channels)
    if channels not in (0, 1, 3, 4):
        raise _Err(f"{op}: `channels` must be 0, 1, 3 or 4 but got {channels}")
    dtype = _dt.as_dtype(dtype)
    fmt = _format(data)
    if fmt is None:
        raise _Err(f"{op}: Unknown image file format. One of JPEG, PNG, GIF, BMP required.")
    if fmt == "BMP" and kind not in ("image", "bmp"):
        raise _Err(f"{op}: Trying to decode BMP format using a wrong op. Use `decode_bmp` or "
                   f"`decode_image` instead. Op used: {op}")
    if kind == "bmp" and fmt != "BMP":
        raise _Err(f"{op}: Trying to decode {fmt} format using DecodeBmp op. Use "
                   f"`decode_{fmt.lower()}` or `decode_image` instead.")
    if fmt == "JPEG":
        if channels == 4:
            raise _Err(f"{op}: JPEG does not support 4 channels")
        a = _jpeg(data, channels, ratio, fancy, dct_method, op)
        bits16 = False
    elif fmt == "GIF":
        if channels not in (0, 3):
            raise _Err(f"{op}: channels must be 0 or 3 for GIF, got {channels}")
        frames = _pil_generic(data, 3, False, op, fmt, frames=True)
        if kind in ("jpeg", "png") and len(frames) != 1:
            raise _Err(f"{op}: Got {len(frames)} frames, but animated gifs can only be decoded "
                       f"by tf.io.decode_gif or tf.io.decode_image")
        if kind == "gif" or (kind == "image" and expand_animations):
            a = np.stack(frames)
        else:
            a = frames[0]
        bits16 = False
    else:
        bits16 = dtype != _dt.uint8 and fmt == "PNG"
        a = _pil_generic(data, channels, bits16, op, fmt)
        bits16 = a.dtype == np.uint16
    if dtype == _dt.uint8:
        return _to_tensor(a)
    if dtype == _dt.float32:
        scale = 1.0 / (65535.0 if bits16 else 255.0)
        return _to_tensor((a.astype(np.float32) * np.float32(scale)).astype(np.float32))
    if dtype.name == "uint16":
        raise TypeError(f"{op}: uint16 tensors are not supported by minikeras; use dtype=tf.uint8 "
                        f"or tf.float32")
    raise _Err(f"{op}: `dtype` must be uint8, uint16 or float32, got {dtype.name}")


def decode_jpeg(contents, channels=0, ratio=1, fancy_upscaling=True, try_recover_truncated=False,
                acceptable_fraction=1, dct_method="", name=None):
    """tf.io.decode_jpeg: uint8 [height, width, channels] (channels 0: as in the file)."""
    not_traceable("tf.io.decode_jpeg")
    ratio = int(ratio)
    if ratio not in (1, 2, 4, 8):
        raise _Err(f"DecodeJpeg: ratio must be 1, 2, 4, or 8, got {ratio}")
    if dct_method not in ("", "INTEGER_FAST", "INTEGER_ACCURATE"):
        raise _Err("DecodeJpeg: dct_method must be one of {'', 'INTEGER_FAST', 'INTEGER_ACCURATE'}")
    if int(channels) not in (0, 1, 3):
        raise _Err(f"DecodeJpeg: channels must be 0, 1, or 3, got {channels}")
    return _decode(contents, channels, "DecodeJpeg", "jpeg", ratio, bool(fancy_upscaling), dct_method)


def decode_png(contents, channels=0, dtype=_dt.uint8, name=None):
    """tf.io.decode_png: uint8 [height, width, channels] (channels 0: as in the file; 2 for
    gray+alpha)."""
    not_traceable("tf.io.decode_png")
    return _decode(contents, channels, "DecodePng", "png", dtype=dtype)


def decode_gif(contents, name=None):
    """tf.io.decode_gif: uint8 [frames, height, width, 3]."""
    not_traceable("tf.io.decode_gif")
    return _decode(contents, 0, "DecodeGif", "gif")


def decode_bmp(contents, channels=0, name=None):
    not_traceable("tf.io.decode_bmp")
    return _decode(contents, channels, "DecodeBmp", "bmp")


def decode_image(contents, channels=None, dtype=_dt.uint8, name=None, expand_animations=True):
    """tf.io.decode_image: any of JPEG, PNG, GIF, BMP; dtype uint8 or float32 (scaled to
    [0, 1]); animated GIFs give [frames, h, w, 3] when expand_animations."""
    not_traceable("tf.io.decode_image")
    return _decode(contents, channels, "DecodeImage", "image", dtype=dtype,
                   expand_animations=expand_animations)


def is_jpeg(contents, name=None):
    not_traceable("tf.io.is_jpeg")
    return convert_to_tensor(_format(scalar_bytes(contents, "is_jpeg")) == "JPEG")


def extract_jpeg_shape(contents, output_type=_dt.int32, name=None):
    not_traceable("tf.io.extract_jpeg_shape")
    data = scalar_bytes(contents, "ExtractJpegShape")
    try:
        img = _pil().open(_io.BytesIO(data), formats=("JPEG",))
    except Exception as e:  # noqa: BLE001
        raise _Err(f"ExtractJpegShape: Invalid JPEG data ({e})") from None
    c = 1 if img.mode == "L" else (4 if img.mode == "CMYK" else 3)
    return convert_to_tensor(np.array([img.size[1], img.size[0], c],
                                      dtype=_dt.as_dtype(output_type).as_numpy_dtype))


# ---- encoders -------------------------------------------------------------------------

def _image_array(image, op):
    t = image if isinstance(image, _core.TensorBase) else convert_to_tensor(image)
    if t.dtype != _dt.uint8:
        raise TypeError(f"{op}: Value passed to parameter 'image' has DataType {t.dtype.name} not "
                        f"in list of allowed values: uint8")
    a = t.numpy()
    if a.ndim != 3:
        raise _Err(f"{op}: image must be 3-dimensional, got shape [{','.join(map(str, a.shape))}]")
    return a


def _wrap_bytes(b):
    out = np.empty((), dtype=object)
    out[()] = b
    return StringTensor(out)


def encode_jpeg(image, format="", quality=95, progressive=False, optimize_size=False,  # noqa: A002
                chroma_downsampling=True, density_unit="in", x_density=300, y_density=300,
                xmp_metadata="", name=None):
    """tf.io.encode_jpeg: uint8 [h, w, 1 or 3] -> JPEG bytes (scalar string tensor)."""
    not_traceable("tf.io.encode_jpeg")
    a = _image_array(image, "EncodeJpeg")
    c = a.shape[2]
    if format not in ("", "grayscale", "rgb"):
        raise _Err(f"EncodeJpeg: format must be '', 'grayscale' or 'rgb', got {format!r}")
    if format == "grayscale" and c != 1 or format == "rgb" and c != 3 or c not in (1, 3):
        raise _Err(f"EncodeJpeg: image must have 1 or 3 channels (matching format {format!r}), "
                   f"got {c}")
    if not 0 <= int(quality) <= 100:
        raise _Err(f"EncodeJpeg: quality must be in [0,100], got {quality}")
    Image = _pil()
    img = Image.fromarray(np.ascontiguousarray(a[..., 0] if c == 1 else a))
    buf = _io.BytesIO()
    kw = dict(quality=int(quality), progressive=bool(progressive), optimize=bool(optimize_size),
              subsampling=(2 if chroma_downsampling else 0))
    if density_unit in ("in", "cm"):
        kw["dpi"] = (int(x_density), int(y_density)) if density_unit == "in" else \
            (int(round(x_density * 2.54)), int(round(y_density * 2.54)))
    img.save(buf, "JPEG", **kw)
    return _wrap_bytes(buf.getvalue())


def encode_png(image, compression=-1, name=None):
    """tf.io.encode_png: uint8 [h, w, 1..4] -> PNG bytes (scalar string tensor)."""
    not_traceable("tf.io.encode_png")
    a = _image_array(image, "EncodePng")
    c = a.shape[2]
    if c not in (1, 2, 3, 4):
        raise _Err(f"EncodePng: image must have 1, 2, 3 or 4 channels, got {c}")
    if not -1 <= int(compression) <= 9:
        raise _Err(f"EncodePng: compression should be in [-1,9], got {compression}")
    Image = _pil()
    img = Image.fromarray(np.ascontiguousarray(a[..., 0] if c == 1 else a))   # L, LA, RGB, RGBA
    buf = _io.BytesIO()
    img.save(buf, "PNG", compress_level=6 if int(compression) < 0 else int(compression))
    return _wrap_bytes(buf.getvalue())
