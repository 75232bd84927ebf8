"""keras.layers."""
from .base import Layer, InputSpec, get_registered_object
from .input_layer import Input, InputLayer
from .core import (Activation, Dense, Dropout, Flatten, Lambda, Permute, RepeatVector, Reshape,
                   TFOpLambda, SlicingOpLambda)


def serialize(layer):
    """{'class_name': ..., 'config': layer.get_config()}."""
    return {"class_name": type(layer).__name__, "config": layer.get_config()}


def deserialize(config, custom_objects=None):
    """A layer (or model) from {'class_name': ..., 'config': ...}."""
    import inspect
    from .. import models  # noqa: F401  (registers Model, Functional, Sequential)
    class_name = config["class_name"]
    cls = get_registered_object(class_name, custom_objects)
    if cls is None:
        raise ValueError(f"Unknown layer: {class_name}. Please ensure this object is passed to the "
                         "`custom_objects` argument. See https://www.tensorflow.org/guide/keras/"
                         "save_and_serialize#registering_the_custom_object for details.")
    cfg = config.get("config", {})
    if "custom_objects" in inspect.signature(cls.from_config).parameters:
        return cls.from_config(cfg, custom_objects=custom_objects)
    return cls.from_config(cfg)


__all__ = ["Layer", "InputSpec", "Input", "InputLayer", "Dense", "Activation", "Flatten", "Reshape",
           "Permute", "RepeatVector", "Lambda", "Dropout", "serialize", "deserialize"]

# layers2: advanced activations, normalization, merging, noise, embedding
from .activation import ELU, LeakyReLU, PReLU, ReLU, Softmax, ThresholdedReLU  # noqa: E402
from .normalization import BatchNormalization, LayerNormalization  # noqa: E402
from .merging import (Add, Average, Concatenate, Dot, Maximum, Minimum, Multiply,  # noqa: E402
                      Subtract, add, average, concatenate, dot, maximum, minimum, multiply,
                      subtract)
from .noise import AlphaDropout, GaussianDropout, GaussianNoise  # noqa: E402
from .embedding import Embedding  # noqa: E402

__all__ += ["ReLU", "LeakyReLU", "PReLU", "ELU", "Softmax", "ThresholdedReLU",
            "BatchNormalization", "LayerNormalization", "Add", "Subtract", "Multiply", "Average",
            "Maximum", "Minimum", "Concatenate", "Dot", "add", "subtract", "multiply", "average",
            "maximum", "minimum", "concatenate", "dot", "GaussianNoise", "GaussianDropout",
            "AlphaDropout", "Embedding"]

# notebooks: preprocessing (tf.keras 2.5 layers.experimental.preprocessing.Rescaling)
from .preprocessing import Rescaling, experimental  # noqa: E402

__all__ += ["Rescaling", "experimental"]

# prelayers (issue 5): tf.keras 2.5 preprocessing layers (also under experimental.preprocessing)
from .preprocessing import (CenterCrop, Normalization, RandomBrightness,  # noqa: E402
                            RandomContrast, RandomCrop, RandomFlip, RandomHeight,
                            RandomRotation, RandomTranslation, RandomWidth, RandomZoom,
                            Resizing)

__all__ += ["Resizing", "CenterCrop", "Normalization", "RandomCrop", "RandomFlip",
            "RandomRotation", "RandomZoom", "RandomTranslation", "RandomContrast",
            "RandomBrightness", "RandomHeight", "RandomWidth"]

# convops (issue 5): convolution layers
from .convolutional import (Conv1D, Conv2D, Conv2DTranspose, Convolution1D,  # noqa: E402
                            Convolution2D, Convolution2DTranspose, DepthwiseConv2D,
                            SeparableConv1D, SeparableConv2D, SeparableConvolution1D,
                            SeparableConvolution2D)

__all__ += ["Conv1D", "Conv2D", "Conv2DTranspose", "DepthwiseConv2D", "SeparableConv1D",
            "SeparableConv2D", "Convolution1D", "Convolution2D", "Convolution2DTranspose",
            "SeparableConvolution1D", "SeparableConvolution2D"]

# poolnorm: pooling and reshaping layers (issue 5)
from .pooling import (AveragePooling1D, AveragePooling2D, AvgPool1D, AvgPool2D,  # noqa: E402
                      GlobalAveragePooling1D, GlobalAveragePooling2D, GlobalAvgPool1D,
                      GlobalAvgPool2D, GlobalMaxPool1D, GlobalMaxPool2D, GlobalMaxPooling1D,
                      GlobalMaxPooling2D, MaxPool1D, MaxPool2D, MaxPooling1D, MaxPooling2D)
from .reshaping import (Cropping1D, Cropping2D, SpatialDropout1D, SpatialDropout2D,  # noqa: E402
                        UpSampling1D, UpSampling2D, ZeroPadding1D, ZeroPadding2D)

__all__ += ["MaxPooling1D", "MaxPooling2D", "AveragePooling1D", "AveragePooling2D",
            "GlobalMaxPooling1D", "GlobalMaxPooling2D", "GlobalAveragePooling1D",
            "GlobalAveragePooling2D", "MaxPool1D", "MaxPool2D", "AvgPool1D", "AvgPool2D",
            "GlobalMaxPool1D", "GlobalMaxPool2D", "GlobalAvgPool1D", "GlobalAvgPool2D",
            "ZeroPadding1D", "ZeroPadding2D", "Cropping1D", "Cropping2D", "UpSampling1D",
            "UpSampling2D", "SpatialDropout1D", "SpatialDropout2D"]
