"""tf.data: input pipelines (Dataset, AUTOTUNE, experimental)."""
from .dataset import (AUTOTUNE, Dataset, DatasetV2, Options, OwnedIterator,  # noqa: F401
                      TextLineDataset,
                      INFINITE as INFINITE_CARDINALITY, UNKNOWN as UNKNOWN_CARDINALITY)
from . import experimental  # noqa: F401

Iterator = OwnedIterator
DatasetSpec = None   # not modelled

__all__ = ["AUTOTUNE", "Dataset", "TextLineDataset", "Options", "Iterator", "INFINITE_CARDINALITY",
           "UNKNOWN_CARDINALITY", "experimental"]
