"""tf.dtypes."""
from ..engine.dtypes import (DType, as_dtype, bool, double, float16, float32, float64,  # noqa: F401,A004
                             half, int32, int64, uint8)
from ..engine.api.elementwise import cast, saturate_cast  # noqa: F401
from ..engine.dtypes import string  # noqa: F401,E402
