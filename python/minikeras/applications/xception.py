"""Xception V1 (tf.keras 2.5 keras/applications/xception.py): same layers, names and
arguments; 'imagenet' weights are downloaded with keras.utils.get_file.

Reference: [Xception: Deep Learning with Depthwise Separable Convolutions](
https://arxiv.org/abs/1610.02357) (CVPR 2017)."""
from .. import backend
from .. import layers
from ..utils import data_utils
from . import imagenet_utils

__all__ = ["Xception", "preprocess_input", "decode_predictions"]

# Module-level so that tests can point the download at a local server.
BASE_WEIGHTS_PATH = "https://storage.googleapis.com/tensorflow/keras-applications/xception/"
WEIGHTS_FILES = {
    True: ("xception_weights_tf_dim_ordering_tf_kernels.h5",
           "0a58e3b7378bc2990ea3b43d5981f1f6"),
    False: ("xception_weights_tf_dim_ordering_tf_kernels_notop.h5",
            "b0042744bf5b25fce3cb969f33bebb97"),
}
TF_WEIGHTS_PATH = BASE_WEIGHTS_PATH + WEIGHTS_FILES[True][0]
TF_WEIGHTS_PATH_NO_TOP = BASE_WEIGHTS_PATH + WEIGHTS_FILES[False][0]


def Xception(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,  # noqa: N802
             pooling=None, classes=1000, classifier_activation="softmax"):
    """Instantiates the Xception architecture (default input 299x299x3, at least 71x71).

    include_top: include the GlobalAveragePooling2D 'avg_pool' + Dense 'predictions' top.
    weights: None (random initialization), 'imagenet', or the path of a weights file.
    input_tensor: optional Keras tensor (output of layers.Input()) used as the image input.
    input_shape: only with include_top=False; 3 channels, height and width >= 71.
    pooling: None (4D output), 'avg' or 'max' (2D output); only with include_top=False.
    classes: number of classes of the top (1000 with imagenet weights).
    classifier_activation: activation of the top layer (None or 'softmax' with weights)."""
    if not imagenet_utils.weights_exist(weights):
        raise ValueError("The `weights` argument should be either "
                         "`None` (random initialization), `imagenet` "
                         "(pre-training on ImageNet), "
                         "or the path to the weights file to be loaded.")
    if weights == "imagenet" and include_top and classes != 1000:
        raise ValueError('If using `weights` as `"imagenet"` with `include_top`'
                         " as true, `classes` should be 1000")

    input_shape = imagenet_utils.obtain_input_shape(
        input_shape, default_size=299, min_size=71,
        data_format=backend.image_data_format(), require_flatten=include_top, weights=weights)

    if input_tensor is None:
        img_input = layers.Input(shape=input_shape)
    else:
        if not backend.is_keras_tensor(input_tensor):
            img_input = layers.Input(tensor=input_tensor, shape=input_shape)
        else:
            img_input = input_tensor

    channel_axis = 1 if backend.image_data_format() == "channels_first" else -1

    def conv_bn(x, filters, kernel, strides=(1, 1), name=None, padding="valid"):
        x = layers.Conv2D(filters, kernel, strides=strides, padding=padding, use_bias=False,
                          name=name)(x)
        return layers.BatchNormalization(axis=channel_axis,
                                         name=None if name is None else name + "_bn")(x)

    def sep_bn(x, filters, name):
        x = layers.SeparableConv2D(filters, (3, 3), padding="same", use_bias=False, name=name)(x)
        return layers.BatchNormalization(axis=channel_axis, name=name + "_bn")(x)

    x = conv_bn(img_input, 32, (3, 3), strides=(2, 2), name="block1_conv1")
    x = layers.Activation("relu", name="block1_conv1_act")(x)
    x = conv_bn(x, 64, (3, 3), name="block1_conv2")
    x = layers.Activation("relu", name="block1_conv2_act")(x)

    # Entry flow: blocks 2-4 (block 2 starts without a ReLU).
    for block, filters in ((2, 128), (3, 256), (4, 728)):
        residual = conv_bn(x, filters, (1, 1), strides=(2, 2), padding="same")
        prefix = f"block{block}"
        if block != 2:
            x = layers.Activation("relu", name=prefix + "_sepconv1_act")(x)
        x = sep_bn(x, filters, prefix + "_sepconv1")
        x = layers.Activation("relu", name=prefix + "_sepconv2_act")(x)
        x = sep_bn(x, filters, prefix + "_sepconv2")
        x = layers.MaxPooling2D((3, 3), strides=(2, 2), padding="same",
                                name=prefix + "_pool")(x)
        x = layers.add([x, residual])

    # Middle flow: blocks 5-12.
    for i in range(8):
        residual = x
        prefix = "block" + str(i + 5)
        for k in (1, 2, 3):
            x = layers.Activation("relu", name=f"{prefix}_sepconv{k}_act")(x)
            x = sep_bn(x, 728, f"{prefix}_sepconv{k}")
        x = layers.add([x, residual])

    # Exit flow.
    residual = conv_bn(x, 1024, (1, 1), strides=(2, 2), padding="same")
    x = layers.Activation("relu", name="block13_sepconv1_act")(x)
    x = sep_bn(x, 728, "block13_sepconv1")
    x = layers.Activation("relu", name="block13_sepconv2_act")(x)
    x = sep_bn(x, 1024, "block13_sepconv2")
    x = layers.MaxPooling2D((3, 3), strides=(2, 2), padding="same", name="block13_pool")(x)
    x = layers.add([x, residual])

    x = sep_bn(x, 1536, "block14_sepconv1")
    x = layers.Activation("relu", name="block14_sepconv1_act")(x)
    x = sep_bn(x, 2048, "block14_sepconv2")
    x = layers.Activation("relu", name="block14_sepconv2_act")(x)

    if include_top:
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
        imagenet_utils.validate_activation(classifier_activation, weights)
        x = layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
    else:
        if pooling == "avg":
            x = layers.GlobalAveragePooling2D()(x)
        elif pooling == "max":
            x = layers.GlobalMaxPooling2D()(x)

    if input_tensor is not None:
        inputs = imagenet_utils.get_source_inputs(input_tensor)
    else:
        inputs = img_input
    from ..models import Model
    model = Model(inputs, x, name="xception")

    if weights == "imagenet":
        fname, file_hash = WEIGHTS_FILES[bool(include_top)]
        weights_path = data_utils.get_file(fname, BASE_WEIGHTS_PATH + fname,
                                           cache_subdir="models", file_hash=file_hash)
        model.load_weights(weights_path)
    elif weights is not None:
        model.load_weights(weights)
    return model


def preprocess_input(x, data_format=None):
    """Scales input pixels from [0, 255] to [-1, 1] ('tf' mode)."""
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="tf")


def decode_predictions(preds, top=5):
    return imagenet_utils.decode_predictions(preds, top=top)
