"""tf.image."""
from ..engine.api.image import *  # noqa: F401,F403
from ..engine.api.image import __all__ as _api_all

__all__ = [n for n in _api_all if n != "transform"]

# ---- decode/encode (strings helper: engine/api/image_codec.py) -------------------------
# tf.image.decode_jpeg / decode_png / decode_image / encode_jpeg / encode_png live in
# engine/api/image_codec.py; they join this namespace here once that module exists.
try:
    from ..engine.api import image_codec as _codec
    for _n in getattr(_codec, "__all__", [n for n in dir(_codec) if not n.startswith("_")]):
        globals()[_n] = getattr(_codec, _n)
        __all__.append(_n)
    del _n, _codec
except ImportError:  # pragma: no cover - before the strings helper's module lands
    pass
