"""keras.utils."""
from .summary import print_summary, count_params  # noqa: F401
from .np_utils import to_categorical, normalize  # noqa: F401
from .data_utils import get_file, validate_file  # noqa: F401
from .random_utils import set_random_seed  # noqa: F401
from ..layers.base import (get_registered_object, get_custom_objects,  # noqa: F401,E402
                           custom_object_scope, CustomObjectScope, register_keras_serializable)
from .progbar import Progbar  # noqa: F401,E402
from ..trainers.data_adapters import Sequence  # noqa: F401,E402
from .image_utils import array_to_img, img_to_array, load_img, save_img  # noqa: F401,E402
from .image_dataset import image_dataset_from_directory  # noqa: F401,E402  (tfdata)
