"""keras.applications: Xception and EfficientNetB0-B7 (tf.keras 2.5 architectures, layer names,
arguments and 'imagenet' weight files)."""
from . import efficientnet, imagenet_utils, xception  # noqa: F401
from .efficientnet import (EfficientNetB0, EfficientNetB1, EfficientNetB2,  # noqa: F401
                           EfficientNetB3, EfficientNetB4, EfficientNetB5, EfficientNetB6,
                           EfficientNetB7)
from .xception import Xception  # noqa: F401

__all__ = ["Xception", "EfficientNetB0", "EfficientNetB1", "EfficientNetB2", "EfficientNetB3",
           "EfficientNetB4", "EfficientNetB5", "EfficientNetB6", "EfficientNetB7",
           "efficientnet", "imagenet_utils", "xception"]
