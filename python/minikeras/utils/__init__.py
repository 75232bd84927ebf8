"""keras.utils."""
from .summary import print_summary, count_params  # noqa: F401
