"""keras.utils."""
from . import data_utils, np_utils, random_utils  # noqa: F401
from .data_utils import get_file, validate_file  # noqa: F401
from .np_utils import normalize, to_categorical  # noqa: F401
from .random_utils import set_random_seed  # noqa: F401
