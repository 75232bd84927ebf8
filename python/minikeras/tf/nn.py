"""tf.nn."""
from ..engine.api.nn import *  # noqa: F401,F403
from ..engine.api.reduce import moments  # noqa: F401
from ..engine.api.index import in_top_k, top_k  # noqa: F401
from ..engine.api.pool import *  # noqa: F401,F403  (pooling, fused_batch_norm, batch_normalization)
from ..engine.api.conv import (  # noqa: F401,E402
    atrous_conv2d, atrous_conv2d_transpose, conv1d, conv1d_transpose, conv2d, conv2d_transpose,
    conv_transpose, convolution, depthwise_conv2d, depthwise_conv2d_backprop_filter,
    depthwise_conv2d_backprop_input, separable_conv2d)
