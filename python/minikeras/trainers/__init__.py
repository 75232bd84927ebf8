"""Training machinery of keras.Model: the Trainer mixin (compile / fit / evaluate /
predict), data adapters (keras.utils.Sequence), compile containers."""
from .compile_utils import LossesContainer, MetricsContainer  # noqa: F401
from .data_adapters import Sequence  # noqa: F401
from .epoch_iterator import EpochIterator  # noqa: F401
from .trainer import Trainer  # noqa: F401

__all__ = ["Trainer", "Sequence", "EpochIterator", "LossesContainer", "MetricsContainer"]
