"""The inputs fit / evaluate / predict accept, turned into streams of batches
(tf.keras 2.5 data_adapter, without tf.data):

- numpy arrays / tensors, or lists / tuples / dicts of them (several inputs or outputs),
  or lists of Python scalars: ArrayDataAdapter (batch_size, shuffle, sample_weight,
  class_weight);
- keras.utils.Sequence (defined here): SequenceAdapter (len(seq) batches, order shuffled
  with Python's `random` when shuffle=True, seq.on_epoch_end() after each epoch);
- Python generators / iterators (anything with __next__): GeneratorDataAdapter;
- anything else with __iter__ yielding (x, y[, sample_weight]) batches (tf.data.Dataset
  ...): IterableDataAdapter (a fresh iterator every epoch unless steps_per_epoch says
  otherwise).

Every batch comes out as a tuple (x,), (x, y) or (x, y, sample_weight) of tensors, with
floating numpy data cast to floatx (float32) as tf.keras does."""
import math
import random

import numpy as np

from .. import tf
from .compile_utils import flatten, map_structure

__all__ = ["Sequence", "unpack_x_y_sample_weight", "pack_x_y_sample_weight",
           "train_validation_split", "expand_1d", "select_data_adapter", "ArrayDataAdapter",
           "SequenceAdapter", "GeneratorDataAdapter", "IterableDataAdapter"]


class Sequence:
    """Base object for fitting to a sequence of data, such as a dataset
    (keras.utils.Sequence).  Implement __getitem__(index) -> a complete batch and
    __len__() -> the number of batches; optionally on_epoch_end()."""

    def __getitem__(self, index):
        raise NotImplementedError

    def __len__(self):
        raise NotImplementedError

    def on_epoch_end(self):
        """Called at the end of every epoch."""

    def __iter__(self):
        """Yields the batches of the Sequence, in order."""
        for item in (self[i] for i in range(len(self))):
            yield item


# ---- (x, y, sample_weight) ----------------------------------------------------------------

def unpack_x_y_sample_weight(data):
    """(x,), (x, y) or (x, y, sample_weight) -> x, y, sample_weight."""
    if isinstance(data, list):
        data = tuple(data)
    if not isinstance(data, tuple):
        return data, None, None
    if len(data) == 1:
        return data[0], None, None
    if len(data) == 2:
        return data[0], data[1], None
    if len(data) == 3:
        return data[0], data[1], data[2]
    raise ValueError("Data is expected to be in format `x`, `(x,)`, `(x, y)`, or "
                     f"`(x, y, sample_weight)`, found: {data}")


def pack_x_y_sample_weight(x, y=None, sample_weight=None):
    if y is None:
        if not isinstance(x, (tuple, list)):
            return x
        return (x,)
    if sample_weight is None:
        return (x, y)
    return (x, y, sample_weight)


def _list_to_tuple(x):
    if isinstance(x, list):
        return tuple(_list_to_tuple(v) for v in x)
    if isinstance(x, tuple) and not hasattr(x, "_fields"):
        return tuple(_list_to_tuple(v) for v in x)
    if isinstance(x, dict):
        return type(x)((k, _list_to_tuple(v)) for k, v in x.items())
    return x


def _floatx():
    try:
        from .. import backend
        return backend.floatx()
    except (ImportError, AttributeError):
        return "float32"


def _convert_leaf(x):
    """numpy floating -> floatx tensor; other numpy -> tensor of its dtype; tensors as is."""
    if x is None or tf.is_tensor(x):
        return x
    if hasattr(x, "_as_tensor"):         # variables
        return x._as_tensor()
    if isinstance(x, np.ndarray):
        if np.issubdtype(x.dtype, np.floating):
            x = x.astype(_floatx(), copy=False)
        return tf.convert_to_tensor(x)
    if isinstance(x, (int, float, bool, np.generic)):
        return tf.convert_to_tensor(np.asarray(x, dtype=_floatx() if isinstance(x, float) else None))
    if isinstance(x, str):
        return x
    return tf.convert_to_tensor(x)


def standardize_batch(data):
    """A batch from any source -> a tuple (x,) / (x, y) / (x, y, sw) of tensors."""
    x, y, sw = unpack_x_y_sample_weight(data)
    data = pack_x_y_sample_weight(x, y, sw)
    data = _list_to_tuple(data)
    if not isinstance(data, tuple):
        data = (data,)
    return map_structure(_convert_leaf, data)


def expand_1d(data):
    """Rank-1 tensors -> rank 2 (tf.keras data_adapter.expand_1d)."""
    def one(t):
        if tf.is_tensor(t) and t.ndim == 1:
            return tf.expand_dims(t, -1)
        return t
    return map_structure(one, data)


# ---- arrays ------------------------------------------------------------------------------------

def _is_array_like(x):
    return isinstance(x, np.ndarray) or tf.is_tensor(x) or hasattr(x, "_as_tensor") or (
        hasattr(x, "__array__") and hasattr(x, "shape") and not hasattr(x, "__next__"))


def _is_scalar_list(x):
    return isinstance(x, (list, tuple)) and len(x) > 0 and all(
        isinstance(v, (int, float, bool, np.generic)) or
        (isinstance(v, (list, tuple)) and _is_scalar_list(v)) for v in x)


def _is_array_structure(x):
    if x is None:
        return True
    if _is_array_like(x):
        return True
    if _is_scalar_list(x):
        return True
    if isinstance(x, dict):
        return all(_is_array_structure(v) for v in x.values())
    if isinstance(x, (list, tuple)):
        return len(x) > 0 and all(_is_array_structure(v) for v in x)
    return False


def _to_numpy_structure(x):
    """Array leaves as numpy arrays (floating numpy cast to floatx; tensors keep dtype)."""
    if x is None:
        return None
    if _is_scalar_list(x):
        return _numpy_leaf(np.asarray(x))
    if isinstance(x, dict):
        return type(x)((k, _to_numpy_structure(v)) for k, v in x.items())
    if isinstance(x, (list, tuple)):
        return tuple(_to_numpy_structure(v) for v in x)
    return _numpy_leaf(x)


def _numpy_leaf(x):
    if tf.is_tensor(x) or hasattr(x, "_as_tensor"):
        return np.asarray(x)
    a = np.asarray(x)
    if np.issubdtype(a.dtype, np.floating):
        a = a.astype(_floatx(), copy=False)
    return a


def _num_samples(label, struct):
    return [int(a.shape[0]) for a in flatten(struct) if a is not None]


def _check_cardinality(x, y, sw):
    sizes = {}
    for label, s in (("x", x), ("y", y), ("sample_weight", sw)):
        if s is None:
            continue
        n = _num_samples(label, s)
        if n:
            sizes[label] = n
    all_sizes = set(v for vs in sizes.values() for v in vs)
    if len(all_sizes) > 1:
        msg = "Data cardinality is ambiguous:\n"
        for label, ns in sizes.items():
            msg += "  {} sizes: {}\n".format(label, ", ".join(str(n) for n in ns))
        msg += "Make sure all arrays contain the same number of samples."
        raise ValueError(msg)
    return all_sizes.pop() if all_sizes else 0


def _slice(struct, index):
    if struct is None:
        return None
    return map_structure(lambda a: None if a is None else a[index], struct)


def train_validation_split(arrays, validation_split):
    """Split (x, y, sample_weight) at floor(n * (1 - validation_split)): the first part
    trains, the rest validates; done before any shuffling."""
    flat = [a for a in flatten(arrays) if a is not None]
    if not all(_is_array_like(a) or _is_scalar_list(a) for a in flat):
        types = sorted({type(a).__name__ for a in flat if not _is_array_like(a)})
        raise ValueError("`validation_split` is only supported for Tensors or NumPy arrays, "
                         f"found following types in the input: {types}")
    arrays = _to_numpy_structure(arrays)
    n = _check_cardinality(*arrays)
    split_at = int(math.floor(n * (1.0 - validation_split)))
    if split_at == 0 or split_at == n:
        raise ValueError(
            f"Training data contains {n} samples, which is not sufficient to split it into a "
            f"validation and training set as specified by `validation_split={validation_split}`. "
            "Either provide more data, or a different value for the `validation_split` argument.")
    train = tuple(_slice(a, slice(0, split_at)) for a in arrays)
    val = tuple(_slice(a, slice(split_at, None)) for a in arrays)
    return train, val


def _class_weight_fn(class_weight):
    ids = sorted(class_weight.keys())
    if ids != list(range(len(ids))):
        raise ValueError("Expected `class_weight` to be a dict with keys from 0 to one less than "
                         f"the number of classes, found {class_weight}")
    table = np.asarray([class_weight[int(c)] for c in ids], dtype=np.float32)

    def apply(y, sw):
        if isinstance(y, (list, tuple, dict)):
            raise ValueError("`class_weight` is only supported for Models with a single output.")
        yv = np.asarray(y)
        if yv.ndim > 2:
            raise ValueError("`class_weight` not supported for 3+ dimensional targets.")
        if yv.ndim == 2 and yv.shape[1] > 1:
            classes = np.argmax(yv, axis=1)
        else:
            classes = yv.reshape(-1).astype(np.int64)
        cw = table[classes]
        if sw is not None:
            swv = np.asarray(sw)
            if swv.ndim == 1:
                swv = swv[:, None]
            return swv.astype(np.float32) * cw[:, None]
        return cw
    return apply


class DataAdapter:
    """A source of batches.  get_iterator(passes) -> an iterator of standardized batches;
    num_batches: batches per pass (None when unknown)."""

    num_batches = None

    def __init__(self, steps=None):
        self._user_steps = steps

    def should_recreate_iterator(self):
        return self._user_steps is None or self.num_batches == self._user_steps

    def on_epoch_end(self):
        pass

    def _with_class_weight(self, it, class_weight):
        if not class_weight:
            return it
        fn = _class_weight_fn(class_weight)

        def gen():
            for batch in it:
                x, y, sw = unpack_x_y_sample_weight(batch)
                if y is None:
                    yield batch
                    continue
                yield standardize_batch((x, y, fn(y, sw)))
        return gen()


def _permutation(n):
    """A random permutation of range(n) drawn from the tf.random global generator: tf.keras shuffles
    with tf.random.shuffle, so after tf.random.set_seed(s) a program's fit() calls see the same
    batch orders on every run."""
    from ..engine.api import random as _rnd
    with tf.device("/CPU:0"):    # the same Philox draws on either device; the CPU's is faster here
        return np.asarray(_rnd.shuffle(np.arange(n, dtype=np.int64)))


class ArrayDataAdapter(DataAdapter):
    """Batches sliced out of in-memory arrays."""

    def __init__(self, x, y=None, sample_weight=None, batch_size=None, steps=None, shuffle=False,
                 class_weight=None, **kwargs):
        super().__init__(steps)
        self._x, self._y, self._sw = (_to_numpy_structure(x), _to_numpy_structure(y),
                                      _to_numpy_structure(sample_weight))
        self._size = _check_cardinality(self._x, self._y, self._sw)
        if batch_size is None:
            batch_size = 32 if steps is None else max(1, int(math.ceil(self._size / steps)))
        self._batch_size = int(batch_size)
        self._shuffle = shuffle
        self._class_weight = class_weight
        self.num_batches = int(math.ceil(self._size / self._batch_size)) if self._size else 0
        self._on_device = self._upload() if not class_weight else None

    # Arrays that fit comfortably are copied to the GPU once, when ops run there: a batch is
    # then a slice (or, shuffled, a gather) on the GPU instead of a host-to-device copy per
    # step -- the copies of a 1024 x 784 float32 batch cost more than the course MLP's step.
    _DEVICE_BYTES_MAX = 1 << 30

    def _upload(self):
        from ..engine import device as dev
        if dev.current() != dev.GPU or not self._size:
            return None
        leaves = [a for s in (self._x, self._y, self._sw) if s is not None for a in flatten(s)]
        if any(a is None or a.dtype == object or a.dtype.kind in "USV" for a in leaves):
            return None
        if sum(a.nbytes for a in leaves) > self._DEVICE_BYTES_MAX:
            return None
        from .. import _core
        to_gpu = lambda a: _core.ops["to_device"](_convert_leaf(a), ints=(dev.GPU,))  # noqa: E731
        up = lambda s: None if s is None else map_structure(to_gpu, s)  # noqa: E731
        return up(self._x), up(self._y), up(self._sw)

    @property
    def batch_size(self):
        return self._batch_size

    def _pass(self):
        n, bs = self._size, self._batch_size
        if self._shuffle == "batch":
            order = np.arange(n)
            chunks = [order[i:i + bs] for i in range(0, n, bs)]
            chunks = [chunks[i] for i in _permutation(len(chunks))]
            order = np.concatenate(chunks) if chunks else order
        elif self._shuffle:
            order = _permutation(n)
        else:
            order = None
        if self._on_device is not None:
            yield from self._device_pass(order)
            return
        for start in range(0, n, bs):
            idx = slice(start, min(n, start + bs)) if order is None else order[start:start + bs]
            data = pack_x_y_sample_weight(_slice(self._x, idx), _slice(self._y, idx),
                                          _slice(self._sw, idx))
            yield standardize_batch(data)

    def _device_pass(self, order):
        n, bs = self._size, self._batch_size
        x, y, sw = self._on_device
        with tf.device("/GPU:0"):
            order_t = None if order is None else tf.constant(np.asarray(order, np.int32))
            for start in range(0, n, bs):
                stop = min(n, start + bs)
                if order_t is None:
                    take = lambda t: t[start:stop]  # noqa: E731
                else:
                    idx = order_t[start:stop]
                    take = lambda t: tf.gather(t, idx)  # noqa: E731
                sl = lambda s: None if s is None else map_structure(take, s)  # noqa: E731
                yield standardize_batch(pack_x_y_sample_weight(sl(x), sl(y), sl(sw)))

    def get_iterator(self, passes=1):
        def gen():
            for _ in range(max(1, passes)):
                yield from self._pass()
        return self._with_class_weight(gen(), self._class_weight)


class SequenceAdapter(DataAdapter):
    """Batches seq[i] of a keras.utils.Sequence."""

    def __init__(self, x, steps=None, shuffle=False, class_weight=None, **kwargs):
        super().__init__(steps)
        self._seq = x
        self._shuffle = shuffle
        self.workers = 1             # set by EpochIterator from fit's workers / max_queue_size
        self.max_queue_size = 10
        self._class_weight = class_weight
        self.num_batches = len(x)

    def should_recreate_iterator(self):
        return True

    def get_iterator(self, passes=1):
        seq = self._seq

        def gen():
            order = list(range(len(seq)))
            if self._shuffle:
                random.shuffle(order)
            if self.workers > 1:     # seq[i] computed ahead on threads, in order
                from .prefetch import ordered_map
                for batch in ordered_map(seq.__getitem__, order, self.workers,
                                         self.max_queue_size):
                    yield standardize_batch(batch)
                return
            for i in order:
                yield standardize_batch(seq[i])
        return self._with_class_weight(gen(), self._class_weight)

    def on_epoch_end(self):
        self._seq.on_epoch_end()


class GeneratorDataAdapter(DataAdapter):
    """Batches next(generator): the same iterator goes on across epochs."""

    def __init__(self, x, steps=None, class_weight=None, **kwargs):
        super().__init__(steps)
        self._gen = x
        self._class_weight = class_weight
        self.num_batches = None

    def should_recreate_iterator(self):
        return False

    def get_iterator(self, passes=1):
        gen = self._gen

        def it():
            while True:
                try:
                    batch = next(gen)
                except StopIteration:
                    return
                yield standardize_batch(batch)
        return self._with_class_weight(it(), self._class_weight)


class IterableDataAdapter(DataAdapter):
    """Batches of iter(x) for any other iterable (tf.data.Dataset ...)."""

    def __init__(self, x, steps=None, class_weight=None, **kwargs):
        super().__init__(steps)
        self._iterable = x
        self._class_weight = class_weight
        n = None
        try:
            n = len(x)
        except TypeError:
            n = None
        if n is not None and n < 0:
            n = None
        self.num_batches = n

    def get_iterator(self, passes=1):
        def it():
            for batch in self._iterable:
                yield standardize_batch(batch)
        return self._with_class_weight(it(), self._class_weight)


def _is_generator_like(x):
    return hasattr(x, "__next__") and not isinstance(x, Sequence)


def select_data_adapter(x, y=None, sample_weight=None, batch_size=None, steps=None,
                        shuffle=False, class_weight=None):
    """The adapter for `x` (and y / sample_weight, only for arrays)."""
    if isinstance(x, Sequence) or (hasattr(x, "__getitem__") and hasattr(x, "__len__") and
                                   hasattr(x, "on_epoch_end") and not _is_array_structure(x)):
        cls = SequenceAdapter
    elif _is_generator_like(x):
        cls = GeneratorDataAdapter
    elif _is_array_structure(x) and _is_array_structure(y) and _is_array_structure(sample_weight):
        if x is None:
            raise ValueError("Expect x to be a non-empty array or dataset.")
        return ArrayDataAdapter(x, y, sample_weight, batch_size=batch_size, steps=steps,
                                shuffle=shuffle, class_weight=class_weight)
    elif hasattr(x, "__iter__") and not isinstance(x, (str, bytes, dict, list, tuple)):
        cls = IterableDataAdapter
    else:
        raise ValueError(f"Failed to find data adapter that can handle input: "
                         f"{_type_name(x)}, {_type_name(y)}")
    if y is not None:
        raise ValueError("`y` argument is not supported when using a generator, a Sequence or "
                         "a dataset as input (it yields the targets itself).")
    if sample_weight is not None:
        raise ValueError("`sample_weight` argument is not supported when using a generator, a "
                         "Sequence or a dataset as input.")
    return cls(x, steps=steps, shuffle=shuffle, class_weight=class_weight)


def _type_name(x):
    if isinstance(x, (list, tuple)):
        return "(" + ", ".join(_type_name(v) for v in x) + ")"
    if isinstance(x, dict):
        return "{" + ", ".join(f"{k!r}: {_type_name(v)}" for k, v in x.items()) + "}"
    return f"<class '{type(x).__module__}.{type(x).__name__}'>" if x is not None else \
        "<class 'NoneType'>"

