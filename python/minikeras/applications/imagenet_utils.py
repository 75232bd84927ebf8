"""Helpers shared by keras.applications (tf.keras 2.5 keras/applications/imagenet_utils.py):
input-shape validation, padding for strided 'valid' convolutions, classifier-activation
validation and the 'caffe' / 'tf' / 'torch' preprocess_input modes.

decode_predictions downloads the ImageNet class index through keras.utils.get_file."""
import warnings

import numpy as np

from .. import backend

__all__ = ["preprocess_input", "obtain_input_shape", "correct_pad", "validate_activation",
           "get_source_inputs", "decode_predictions"]

_IMAGENET_MEAN = [103.939, 116.779, 123.68]


def _preprocess_numpy_input(x, data_format, mode):
    if not issubclass(x.dtype.type, np.floating):
        x = x.astype(backend.floatx(), copy=False)
    if mode == "tf":
        x /= 127.5
        x -= 1.
        return x
    if mode == "torch":
        x /= 255.
        mean = [0.485, 0.456, 0.406]
        std = [0.229, 0.224, 0.225]
    else:
        if data_format == "channels_first":
            x = x[:, ::-1, ...] if x.ndim == 4 else x[::-1, ...]
        else:
            x = x[..., ::-1]
        mean = _IMAGENET_MEAN
        std = None
    shape = [1] * x.ndim
    if data_format == "channels_first":
        shape[-3] = 3
    else:
        shape[-1] = 3
    x -= np.asarray(mean, x.dtype).reshape(shape)
    if std is not None:
        x /= np.asarray(std, x.dtype).reshape(shape)
    return x


def _preprocess_symbolic_input(x, data_format, mode):
    from ..tf import reverse, constant, cast
    if not x.dtype.is_floating:
        x = cast(x, backend.floatx())
    if mode == "tf":
        return x / 127.5 - 1.
    if mode == "torch":
        x = x / 255.
        mean = [0.485, 0.456, 0.406]
        std = [0.229, 0.224, 0.225]
    else:
        if data_format == "channels_first":
            x = reverse(x, [1] if len(x.shape) == 4 else [0])
        else:
            x = reverse(x, [-1])
        mean = _IMAGENET_MEAN
        std = None
    shape = [1] * len(x.shape)
    if data_format == "channels_first":
        shape[-3] = 3
    else:
        shape[-1] = 3
    x = x - constant(np.asarray(mean, np.float32).reshape(shape), dtype=x.dtype)
    if std is not None:
        x = x / constant(np.asarray(std, np.float32).reshape(shape), dtype=x.dtype)
    return x


def preprocess_input(x, data_format=None, mode="caffe"):
    """Preprocesses a tensor or numpy array encoding a batch of images.

    mode 'caffe': RGB -> BGR, then subtract the ImageNet channel means (no scaling);
    'tf': scale to [-1, 1]; 'torch': scale to [0, 1], then normalize each channel with the
    ImageNet mean and std.  Numpy float input is modified in place (as tf.keras)."""
    if mode not in {"caffe", "tf", "torch"}:
        raise ValueError("Unknown mode " + str(mode))
    if data_format is None:
        data_format = backend.image_data_format()
    elif data_format not in {"channels_first", "channels_last"}:
        raise ValueError("Unknown data_format " + str(data_format))
    if isinstance(x, np.ndarray):
        return _preprocess_numpy_input(x, data_format=data_format, mode=mode)
    if isinstance(x, (list, tuple, int, float)):
        return _preprocess_numpy_input(np.asarray(x), data_format=data_format, mode=mode)
    return _preprocess_symbolic_input(x, data_format=data_format, mode=mode)


CLASS_INDEX = None
CLASS_INDEX_PATH = ("https://storage.googleapis.com/download.tensorflow.org/data/"
                    "imagenet_class_index.json")
CLASS_INDEX_HASH = "c2c37ea517e94d9795004a39431a14cb"


def decode_predictions(preds, top=5):
    """[(class_id, class_name, score), ...] of the `top` classes of each row of a (samples,
    1000) prediction; the ImageNet class index is downloaded once (keras.utils.get_file,
    cached as ~/.keras/models/imagenet_class_index.json), as tf.keras does."""
    global CLASS_INDEX
    import json
    preds = np.asarray(preds)
    if preds.ndim != 2 or preds.shape[1] != 1000:
        raise ValueError("`decode_predictions` expects a batch of predictions (i.e. a 2D array "
                         "of shape (samples, 1000)). Found array with shape: " + str(preds.shape))
    if CLASS_INDEX is None:
        from ..utils.data_utils import get_file
        fpath = get_file("imagenet_class_index.json", CLASS_INDEX_PATH, cache_subdir="models",
                         file_hash=CLASS_INDEX_HASH)
        with open(fpath) as f:
            CLASS_INDEX = json.load(f)
    results = []
    for pred in preds:
        top_indices = pred.argsort()[-top:][::-1]
        result = [tuple(CLASS_INDEX[str(i)]) + (pred[i],) for i in top_indices]
        result.sort(key=lambda x: x[2], reverse=True)
        results.append(result)
    return results


def obtain_input_shape(input_shape, default_size, min_size, data_format, require_flatten,
                       weights=None):
    """Validates an application's input shape (tf.keras imagenet_utils.obtain_input_shape)."""
    if weights != "imagenet" and input_shape and len(input_shape) == 3:
        if data_format == "channels_first":
            if input_shape[0] not in {1, 3}:
                warnings.warn("This model usually expects 1 or 3 input channels. However, it was "
                              "passed an input_shape with " + str(input_shape[0]) +
                              " input channels.")
            default_shape = (input_shape[0], default_size, default_size)
        else:
            if input_shape[-1] not in {1, 3}:
                warnings.warn("This model usually expects 1 or 3 input channels. However, it was "
                              "passed an input_shape with " + str(input_shape[-1]) +
                              " input channels.")
            default_shape = (default_size, default_size, input_shape[-1])
    else:
        if data_format == "channels_first":
            default_shape = (3, default_size, default_size)
        else:
            default_shape = (default_size, default_size, 3)
    if weights == "imagenet" and require_flatten:
        if input_shape is not None:
            if tuple(input_shape) != default_shape:
                raise ValueError("When setting `include_top=True` and loading `imagenet` "
                                 "weights, `input_shape` should be " + str(default_shape) + ".")
        return default_shape
    if input_shape:
        input_shape = tuple(input_shape)
        if len(input_shape) != 3:
            raise ValueError("`input_shape` must be a tuple of three integers.")
        if data_format == "channels_first":
            if input_shape[0] != 3 and weights == "imagenet":
                raise ValueError("The input must have 3 channels; Received `input_shape=" +
                                 str(input_shape) + "`")
            dims = input_shape[1:]
        else:
            if input_shape[-1] != 3 and weights == "imagenet":
                raise ValueError("The input must have 3 channels; Received `input_shape=" +
                                 str(input_shape) + "`")
            dims = input_shape[:2]
        if ((dims[0] is not None and dims[0] < min_size) or
                (dims[1] is not None and dims[1] < min_size)):
            raise ValueError("Input size must be at least " + str(min_size) + "x" +
                             str(min_size) + "; Received: input_shape=" + str(input_shape))
    else:
        if require_flatten:
            input_shape = default_shape
        else:
            input_shape = (3, None, None) if data_format == "channels_first" else (None, None, 3)
    if require_flatten and None in input_shape:
        raise ValueError("If `include_top` is True, you should specify a static `input_shape`. "
                         "Received: input_shape=" + str(input_shape))
    return input_shape


def correct_pad(inputs, kernel_size):
    """((top, bottom), (left, right)) zero padding for a 2D convolution with downsampling."""
    img_dim = 2 if backend.image_data_format() == "channels_first" else 1
    input_size = tuple(inputs.shape)[img_dim:(img_dim + 2)]
    if isinstance(kernel_size, int):
        kernel_size = (kernel_size, kernel_size)
    if input_size[0] is None:
        adjust = (1, 1)
    else:
        adjust = (1 - input_size[0] % 2, 1 - input_size[1] % 2)
    correct = (kernel_size[0] // 2, kernel_size[1] // 2)
    return ((correct[0] - adjust[0], correct[0]), (correct[1] - adjust[1], correct[1]))


def validate_activation(classifier_activation, weights):
    """Only None and softmax are allowed as the top activation with pretrained weights."""
    if weights is None:
        return
    from .. import activations
    classifier_activation = activations.get(classifier_activation)
    if classifier_activation not in {activations.get("softmax"), activations.get(None)}:
        raise ValueError("Only `None` and `softmax` activations are allowed for the "
                         "`classifier_activation` argument when using pretrained weights, "
                         "with `include_top=True`; Received: classifier_activation="
                         + str(classifier_activation))


def get_source_inputs(tensor):
    """The input tensors a symbolic tensor was computed from (keras layer_utils)."""
    history = getattr(tensor, "_keras_history", None)
    if history is None:
        return [tensor]
    node = history.node
    if node is None or node.is_input or not node.keras_inputs:
        return [tensor]
    out = []
    for x in node.keras_inputs:
        for s in get_source_inputs(x):
            if not any(s is t for t in out):
                out.append(s)
    return out


def weights_exist(weights):
    import os
    return weights in {"imagenet", None} or (isinstance(weights, (str, os.PathLike))
                                             and os.path.exists(weights))
