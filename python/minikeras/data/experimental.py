"""tf.data.experimental: the parts minikeras models."""
from .dataset import (AUTOTUNE, INFINITE as INFINITE_CARDINALITY, UNKNOWN as  # noqa: F401
                      UNKNOWN_CARDINALITY, DatasetV2 as _Dataset)


def cardinality(dataset):
    """The number of elements of `dataset` as an int64 tensor (-1 infinite, -2 unknown)."""
    return dataset.cardinality()


def assert_cardinality(expected_cardinality):
    def apply(dataset):
        return _AssertCardinality(dataset, int(expected_cardinality))
    return apply


def enumerate_dataset(start=0):
    return lambda dataset: dataset.enumerate(start)


def get_single_element(dataset):
    return dataset.get_single_element()


class _AssertCardinality(_Dataset):
    def __init__(self, dataset, n):
        super().__init__((dataset,))
        self._input = dataset
        self._n = n

    def _compute_spec(self):
        return self._input.element_spec

    def _cardinality(self):
        return self._n

    def _make_iter(self):
        return self._input._make_iter()


__all__ = ["AUTOTUNE", "INFINITE_CARDINALITY", "UNKNOWN_CARDINALITY", "cardinality",
           "assert_cardinality", "enumerate_dataset", "get_single_element"]
