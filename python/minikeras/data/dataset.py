"""tf.data.Dataset: lazy pipelines of elements (structures of tensors).

Every dataset is a Python object that makes fresh iterators (`iter(ds)`, one per pass /
epoch) and knows its element_spec and cardinality statically where TF does:

- element_spec of map / flat_map / interleave comes from running the function: on zero
  tensors of the input's spec when that spec is fully defined and numeric, otherwise (or
  when that run fails) on the input's first element (pulled from a fresh iterator).  TF
  gets it from the traced graph instead; our shapes are those of that one output, so a
  dimension TF would leave unknown (a decoded image's height) can come out concrete.
- cardinality follows TF 2.5's rules (unbatch of a known cardinality with a known first
  dimension is n * dim; filter / flat_map / interleave / from_generator are unknown).

map runs its function as a C graph replay where it can (data/mapping.py); with
num_parallel_calls it runs on worker threads with order kept; batch stacks each component
with one C op; prefetch fills a bounded queue from a background thread."""
import collections
import itertools
import os
import threading

import numpy as np

from .. import _core
from ..engine import dtypes as _dt
from ..engine.tensor import TensorShape, convert_to_tensor
from ..engine.tensor_spec import TensorSpec
from . import structure as S
from .mapping import MappedFunction, call_with_element

C = _core.ops

AUTOTUNE = -1
INFINITE = -1
UNKNOWN = -2
_INT64_MAX = 2 ** 63 - 1


def _cpu_count():
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def _parallelism(n):
    if n is None:
        return None
    n = int(n)
    if n == AUTOTUNE:
        return _cpu_count()
    if n <= 0:
        raise ValueError(f"num_parallel_calls must be positive or tf.data.AUTOTUNE, got {n}")
    return n


def _int(x):
    if isinstance(x, _core.TensorBase):
        return int(np.asarray(x))
    return int(x)


def _invalid(msg):
    from ..tf import errors
    return errors.InvalidArgumentError(None, None, msg) if _takes3(errors.InvalidArgumentError) \
        else errors.InvalidArgumentError(msg)


def _takes3(cls):
    try:
        cls(None, None, "x")
        return True
    except TypeError:
        return False


def _out_of_range(msg):
    from ..tf import errors
    cls = getattr(errors, "OutOfRangeError", None) or StopIteration
    try:
        return cls(None, None, msg)
    except TypeError:
        return cls(msg)


# ---- stacking ------------------------------------------------------------------------------

def _stack_component(ts, index):
    t0 = ts[0]
    if S.is_string_tensor(t0):
        return S._strings.stack(list(ts))
    s0 = t0._shape
    for i, t in enumerate(ts):
        if t._shape != s0:
            raise _invalid(f"Cannot batch tensors with different shapes in component {index}. "
                           f"First element had shape {list(s0)} and element {i} had shape "
                           f"{list(t._shape)}.")
    # one concat: each row is one memcpy (copies below 2 MB stay on the calling thread,
    # shape.c), into a buffer that is never zero-filled first
    new = (1,) + s0
    if len(ts) == 1:
        return C["reshape"](t0, ints=new)
    return C["concat"](*[C["reshape"](t, ints=new) for t in ts], ints=(0,))


def _stack_elements(elems):
    e0 = elems[0]
    if not isinstance(e0, (tuple, list, dict)):
        return _stack_component(elems, 0)
    flat = [S.flatten(e) for e in elems]
    cols = [_stack_component(col, i) for i, col in enumerate(zip(*flat))]
    return S.pack_as(e0, cols)


# ---- iterator ------------------------------------------------------------------------------

def _inject_prefetch(dataset):
    """TensorFlow (2.10 on) ends every pipeline with a prefetch unless it ends with one or
    options.experimental_optimization.inject_prefetch is False: the pipeline's last stage
    then runs on its own thread while the consumer trains.  We do so where a map / flat_map
    / interleave does real work (a bare range or slice gains nothing from a thread)."""
    if isinstance(dataset, PrefetchDataset):
        return False
    try:
        if dataset.options().experimental_optimization.inject_prefetch is False:
            return False
    except Exception:    # noqa: BLE001
        pass
    seen, stack = set(), [dataset]
    while stack:
        d = stack.pop()
        if id(d) in seen:
            continue
        seen.add(id(d))
        if isinstance(d, PrefetchDataset):
            continue
        if isinstance(d, (MapDataset, FlatMapDataset)):
            return True
        stack.extend(getattr(d, "_inputs", ()))
    return False


class OwnedIterator:
    """iter(dataset): next(it) / it.get_next() give elements; element_spec as the dataset."""

    def __init__(self, dataset):
        self._dataset = dataset
        if _inject_prefetch(dataset):
            self._it = _prefetch(dataset, 2)
        else:
            self._it = dataset._make_iter()

    def __iter__(self):
        return self

    def _next(self):
        # tf.data runs on the CPU, as in TensorFlow: the elements' ops (map functions inlined
        # in this thread) stay there; a model moves a batch to the GPU when it uses it
        prev = _core.set_device_scope(_core.CPU)
        try:
            return next(self._it)
        finally:
            _core.set_device_scope(prev)

    def __next__(self):
        return self._next()

    def next(self):
        return self._next()

    def get_next(self):
        try:
            return self._next()
        except StopIteration:
            raise _out_of_range("End of sequence") from None

    def get_next_as_optional(self):
        """tf.experimental.Optional: the next element, or an empty Optional at the end."""
        try:
            return Optional(self._next(), self._dataset.element_spec)
        except StopIteration:
            return Optional(None, self._dataset.element_spec, has_value=False)

    @property
    def element_spec(self):
        return self._dataset.element_spec

    def close(self):
        close = getattr(self._it, "close", None)
        if close:
            close()

    def __del__(self):
        try:
            self.close()
        except Exception:      # noqa: BLE001
            pass


class Optional:
    """tf.experimental.Optional: has_value() (a bool tensor) and get_value()."""

    def __init__(self, value, element_spec, has_value=True):
        self._value = value
        self._has_value = has_value
        self.element_spec = element_spec

    @staticmethod
    def from_value(value):
        return Optional(value, S.spec_of(value))

    @staticmethod
    def empty(element_spec):
        return Optional(None, element_spec, has_value=False)

    def has_value(self, name=None):
        from ..engine.tensor import constant
        return constant(self._has_value)

    def get_value(self, name=None):
        if not self._has_value:
            raise _invalid("The optional does not have a value")
        return self._value


class _NumpyIterator:
    def __init__(self, dataset):
        self._it = iter(dataset)

    def __iter__(self):
        return self

    def __next__(self):
        return S.map_structure(lambda t: t.numpy(), next(self._it))

    next = __next__

    def __repr__(self):
        return "<tensorflow.python.data.ops.dataset_ops._NumpyIterator object>"


class Options:
    """tf.data.Options: accepted and kept; minikeras picks its own threading."""

    def __init__(self):
        object.__setattr__(self, "_values", {})

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        v = self._values.get(name)
        if v is None:
            v = _OptionGroup()
            self._values[name] = v
        return v

    def __setattr__(self, name, value):
        self._values[name] = value

    def merge(self, options):
        out = Options()
        out._values.update(self._values)
        out._values.update(options._values)
        return out


class _OptionGroup(Options):
    pass


# ---- Dataset -------------------------------------------------------------------------------

class DatasetV2:
    """A lazy sequence of elements (tf.data.Dataset)."""

    _name = "Dataset"

    def __init__(self, inputs=()):
        self._inputs = tuple(inputs)
        self._spec_cache = None
        self._options = None

    # subclasses: _make_iter(), _compute_spec(), _cardinality()
    def _make_iter(self):
        raise NotImplementedError

    def _compute_spec(self):
        raise NotImplementedError

    def _cardinality(self):
        return UNKNOWN

    # -- introspection
    @property
    def element_spec(self):
        if self._spec_cache is None:
            self._spec_cache = self._compute_spec()
        return self._spec_cache

    def cardinality(self):
        return convert_to_tensor(np.int64(self._cardinality()))

    def __len__(self):
        n = self._cardinality()
        if n == INFINITE:
            raise TypeError("The dataset is infinite.")
        if n == UNKNOWN:
            raise TypeError("The dataset length is unknown.")
        return n

    def __bool__(self):
        return True

    __nonzero__ = __bool__

    def __iter__(self):
        return OwnedIterator(self)

    def __repr__(self):
        return S.format_repr(type(self)._name if "_name" in type(self).__dict__ else
                             type(self).__name__, self.element_spec)

    def as_numpy_iterator(self):
        return _NumpyIterator(self)

    def options(self):
        opts = Options()
        for d in self._inputs:
            opts = opts.merge(d.options())
        if self._options is not None:
            opts = opts.merge(self._options)
        return opts

    def with_options(self, options):
        return _OptionsDataset(self, options)

    # -- sources
    @staticmethod
    def from_tensor_slices(tensors, name=None):
        return TensorSliceDataset(tensors)

    @staticmethod
    def from_tensors(tensors, name=None):
        return TensorDataset(tensors)

    @staticmethod
    def range(*args, **kwargs):
        return RangeDataset(*args, **kwargs)

    @staticmethod
    def zip(datasets, name=None):
        return ZipDataset(datasets)

    @staticmethod
    def from_generator(generator, output_types=None, output_shapes=None, args=None,
                       output_signature=None, name=None):
        return _GeneratorDataset(generator, output_types, output_shapes, args, output_signature)

    @staticmethod
    def list_files(file_pattern, shuffle=None, seed=None, name=None):
        patterns = file_pattern
        if S.is_tensor(patterns):
            patterns = patterns.numpy()
        if isinstance(patterns, (str, bytes)):
            patterns = [patterns]
        patterns = [p.decode() if isinstance(p, bytes) else str(p)
                    for p in np.asarray(patterns, dtype=object).reshape(-1)]
        import glob as _glob
        files = []
        for p in patterns:
            files.extend(sorted(_glob.glob(p)))
        if not files:
            raise _invalid("Expected 'tf.Tensor(False, shape=(), dtype=bool)' to be true. "
                           f"Summarized data: b'No files matched pattern: {', '.join(patterns)}'")
        ds = TensorSliceDataset(np.asarray([f.encode() for f in files], dtype=object))
        if shuffle is None:
            shuffle = True
        if shuffle:
            ds = ds.shuffle(len(files), seed=seed)
        return ds

    # -- transformations
    def map(self, map_func, num_parallel_calls=None, deterministic=None, name=None):
        return MapDataset(self, map_func, num_parallel_calls, deterministic)

    def filter(self, predicate, name=None):
        return FilterDataset(self, predicate)

    def batch(self, batch_size, drop_remainder=False, num_parallel_calls=None,
              deterministic=None, name=None):
        ds = BatchDataset(self, batch_size, drop_remainder)
        ds._parallel = num_parallel_calls is not None
        return ds

    def padded_batch(self, batch_size, padded_shapes=None, padding_values=None,
                     drop_remainder=False, name=None):
        return PaddedBatchDataset(self, batch_size, padded_shapes, padding_values,
                                  drop_remainder)

    def unbatch(self, name=None):
        return _UnbatchDataset(self)

    def repeat(self, count=None, name=None):
        return RepeatDataset(self, count)

    def shuffle(self, buffer_size, seed=None, reshuffle_each_iteration=None, name=None):
        return ShuffleDataset(self, buffer_size, seed, reshuffle_each_iteration)

    def prefetch(self, buffer_size, name=None):
        return PrefetchDataset(self, buffer_size)

    def take(self, count, name=None):
        return TakeDataset(self, count)

    def skip(self, count, name=None):
        return SkipDataset(self, count)

    def cache(self, filename="", name=None):
        return CacheDataset(self, filename)

    def enumerate(self, start=0, name=None):
        rng = RangeDataset(start, _INT64_MAX)
        ds = ZipDataset((rng, self))
        return ds

    def concatenate(self, dataset, name=None):
        return ConcatenateDataset(self, dataset)

    def flat_map(self, map_func, name=None):
        return FlatMapDataset(self, map_func)

    def interleave(self, map_func, cycle_length=None, block_length=None,
                   num_parallel_calls=None, deterministic=None, name=None):
        return InterleaveDataset(self, map_func, cycle_length, block_length, num_parallel_calls)

    def shard(self, num_shards, index, name=None):
        num_shards, index = _int(num_shards), _int(index)
        if num_shards <= 0 or not 0 <= index < num_shards:
            raise _invalid(f"Index must be between 0 and {num_shards - 1} (currently index = "
                           f"{index}).")
        return ShardDataset(self, num_shards, index)

    def apply(self, transformation_func):
        ds = transformation_func(self)
        if not isinstance(ds, DatasetV2):
            raise TypeError("`transformation_func` must return a Dataset. Got "
                            f"{type(ds).__name__}.")
        return ds

    def reduce(self, initial_state, reduce_func, name=None):
        state = S.normalize_element(initial_state)
        for elem in self:
            state = S.normalize_element(reduce_func(state, elem))
        return state

    def take_while(self, predicate, name=None):
        return _TakeWhileDataset(self, predicate)

    def unique(self, name=None):
        return _UniqueDataset(self)

    def get_single_element(self, name=None):
        it = iter(self)
        try:
            first = next(it)
        except StopIteration:
            raise _invalid("Dataset was empty.") from None
        try:
            next(it)
        except StopIteration:
            return first
        raise _invalid("Dataset had more than one element.")


Dataset = DatasetV2


# ---- sources -------------------------------------------------------------------------------

class TensorSliceDataset(DatasetV2):
    def __init__(self, tensors):
        super().__init__()
        if isinstance(tensors, DatasetV2):
            raise TypeError("from_tensor_slices: a Dataset is not a tensor")
        if type(tensors).__name__ == "DataFrame":
            tensors = tensors.to_numpy()
        self._tensors = S.normalize_element(tensors, convert_lists=False)
        leaves = S.flatten(self._tensors)
        if not leaves:
            raise ValueError("Unbatching a tensor is only supported for rank >= 1")
        n = None
        for t in leaves:
            if len(t.shape) == 0:
                raise ValueError("Unbatching a tensor is only supported for rank >= 1")
            if n is None:
                n = t.shape[0]
            elif t.shape[0] != n:
                raise ValueError(f"Dimensions {n} and {t.shape[0]} are not compatible")
        self._n = n
        self._leaves = leaves

    def _compute_spec(self):
        return S.map_structure(lambda t: TensorSpec(t.shape[1:], t.dtype), self._tensors)

    def _cardinality(self):
        return self._n

    def _make_iter(self):
        leaves, struct = self._leaves, self._tensors
        rows = [_row_getter(t) for t in leaves]
        if len(leaves) == 1 and not S.is_nested(struct):
            r = rows[0]
            return (r(i) for i in range(self._n))
        if type(struct) is tuple and all(not S.is_nested(v) for v in struct):
            return (tuple([r(i) for r in rows]) for i in range(self._n))
        return (S.pack_as(struct, [r(i) for r in rows]) for i in range(self._n))

    def _numeric(self):
        return all(isinstance(t, _core.TensorBase) for t in self._leaves)

    def _gathered(self, order, batch_size, drop_remainder):
        """Batches of the rows listed by the iterator `order` (one gather per component)."""
        leaves, struct = self._leaves, self._tensors
        nested = S.is_nested(struct)
        gather = C["gather"]
        while True:
            idx = list(itertools.islice(order, batch_size))
            if not idx or (drop_remainder and len(idx) < batch_size):
                return
            it = _core.from_buffer(np.asarray(idx, dtype=np.int64))
            cols = [gather(t, it, ints=(0, 0)) for t in leaves]
            yield S.pack_as(struct, cols) if nested else cols[0]

    def _batches(self, batch_size, drop_remainder):
        """Fast path of .batch(): slices of batch_size rows (one copy each)."""
        leaves, struct = self._leaves, self._tensors
        n = self._n
        for start in range(0, n, batch_size):
            stop = min(n, start + batch_size)
            if drop_remainder and stop - start < batch_size:
                return
            cols = [_copy_rows(t, start, stop) for t in leaves]
            yield S.pack_as(struct, cols) if S.is_nested(struct) else cols[0]


def _row_getter(t):
    """i -> t[i] (a view), with the strided_slice attributes prepared once."""
    if not isinstance(t, _core.TensorBase):
        return t.__getitem__
    tail = []
    for d in t._shape[1:]:
        tail += (0, d, 1)
    tail += (0, 1)       # new-axis mask, shrink mask (dimension 0)
    ss = C["strided_slice"]
    return lambda i: ss(t, ints=[i, i + 1, 1] + tail)


def _unwrap(ds):
    while isinstance(ds, _OptionsDataset):
        ds = ds._input
    return ds


def _copy_rows(t, start, stop):
    r = t[start:stop]
    if isinstance(r, _core.TensorBase) and r._size:
        r = C["copy"](r)
    return r


class TensorDataset(DatasetV2):
    def __init__(self, tensors):
        super().__init__()
        self._tensors = S.normalize_element(tensors, convert_lists=False)

    def _compute_spec(self):
        return S.spec_of(self._tensors)

    def _cardinality(self):
        return 1

    def _make_iter(self):
        return iter((self._tensors,))


class RangeDataset(DatasetV2):
    def __init__(self, *args, output_type=_dt.int64, name=None):
        args = [_int(a) for a in args]
        if len(args) == 1:
            args = [0, args[0], 1]
        elif len(args) == 2:
            args = args + [1]
        elif len(args) != 3:
            raise ValueError(f"Invalid arguments to RangeDataset: {args}")
        if args[2] == 0:
            raise _invalid("step must be a non-zero integer.")
        super().__init__()
        self._range = range(*args)
        self._dtype = _dt.as_dtype(output_type)

    def _compute_spec(self):
        return TensorSpec((), self._dtype)

    def _cardinality(self):
        return len(self._range)

    def _make_iter(self):
        did = self._dtype._id
        scalar = _core.scalar
        return (scalar(i, did) for i in self._range)


class ZipDataset(DatasetV2):
    def __init__(self, datasets):
        for d in S.flatten(datasets):
            if not isinstance(d, DatasetV2):
                raise TypeError(f"Invalid `datasets`. `datasets` is expected to be a (nested) "
                                f"structure of `tf.data.Dataset` objects. Received: {datasets}")
        super().__init__(S.flatten(datasets))
        self._datasets = datasets

    def _compute_spec(self):
        return S.pack_as(self._datasets, [d.element_spec for d in self._inputs])

    def _cardinality(self):
        result = INFINITE
        for d in self._inputs:
            n = d._cardinality()
            if n == UNKNOWN:
                return UNKNOWN
            if n != INFINITE:
                result = n if result == INFINITE else min(result, n)
        return result

    def _make_iter(self):
        its = [d._make_iter() for d in self._inputs]
        struct = self._datasets
        for elems in zip(*its):
            yield S.pack_as(struct, list(elems))


class _GeneratorDataset(DatasetV2):
    _name = "FlatMapDataset"

    def __init__(self, generator, output_types, output_shapes, args, output_signature):
        super().__init__()
        if not callable(generator):
            raise TypeError("`generator` must be a Python callable.")
        if output_signature is not None:
            if output_types is not None:
                raise TypeError("The `output_types` argument can not be used together with the "
                                "`output_signature` argument.")
            if output_shapes is not None:
                raise TypeError("The `output_shapes` argument can not be used together with "
                                "the `output_signature` argument.")
            for s in S.flatten(output_signature):
                if not isinstance(s, TensorSpec):
                    raise TypeError(f"All the elements of `output_signature` must be "
                                    f"`tf.TypeSpec` objects. Got {type(s).__name__}")
            spec = output_signature
        else:
            if output_types is None:
                raise TypeError("To specify the output signature you need to provide either "
                                "the `output_signature` argument or the `output_types` "
                                "argument.")
            if output_shapes is None:
                spec = S.map_structure(lambda t: TensorSpec(None, t), output_types)
            else:
                spec = _map_up_to(output_types, lambda t, s: TensorSpec(s, t), output_types,
                                  output_shapes)
        self._spec = spec
        self._generator = generator
        self._args = args

    def _compute_spec(self):
        return self._spec

    def _make_iter(self):
        args = () if self._args is None else tuple(
            (a.numpy() if S.is_tensor(a) else a) for a in self._args)
        spec = self._spec
        specs = S.flatten(spec)
        for value in self._generator(*args):
            if S.is_nested(spec):
                if isinstance(value, list) and not isinstance(spec, list):
                    value = tuple(value)
                try:
                    leaves = _flatten_up_to(spec, value)
                except (TypeError, ValueError):
                    raise TypeError(f"`generator` yielded an element that did not match the "
                                    f"expected structure. The expected structure was {spec}, "
                                    f"but the yielded element was {value}.") from None
            else:
                leaves = [value]
            out = [_conform(v, s) for v, s in zip(leaves, specs)]
            yield S.pack_as(spec, out)


def _flatten_up_to(shallow, value):
    if isinstance(shallow, dict):
        if not isinstance(value, dict) or set(value) != set(shallow):
            raise TypeError("structure")
        out = []
        for k in S._sorted_keys(shallow):
            out.extend(_flatten_up_to(shallow[k], value[k]))
        return out
    if isinstance(shallow, (tuple, list)):
        if not isinstance(value, (tuple, list)) or len(value) != len(shallow):
            raise TypeError("structure")
        out = []
        for s, v in zip(shallow, value):
            out.extend(_flatten_up_to(s, v))
        return out
    return [value]


def _map_up_to(shallow, fn, *structs):
    flat = [_flatten_up_to(shallow, s) for s in structs]
    return S.pack_as(shallow, [fn(*xs) for xs in zip(*flat)])


def _conform(value, spec):
    dtype = spec.dtype
    if not S.is_string_dtype(dtype):
        if S.is_tensor(value):
            value = value.numpy()
        try:
            a = np.asarray(value, dtype=dtype.as_numpy_dtype)
        except (TypeError, ValueError):
            raise TypeError(f"`generator` yielded an element that could not be converted to the "
                            f"expected type. The expected type was {dtype.name}, but the yielded "
                            f"element was {value}.") from None
        t = convert_to_tensor(a)
    else:
        t = S.to_tensor(value)
    if not _shape_ok(t.shape, spec.shape):
        raise _invalid(f"`generator` yielded an element of shape {_fmt_shape(t.shape)} where an "
                       f"element of shape {_fmt_shape(spec.shape)} was expected.")
    return t


def _fmt_shape(s):
    return str(TensorShape(s))


def _shape_ok(shape, expected):
    if expected.rank is None:
        return True
    if shape.rank != expected.rank:
        return False
    return all(e is None or e == d for d, e in zip(shape, expected))


# ---- transformations ----------------------------------------------------------------------

class _UnaryDataset(DatasetV2):
    def __init__(self, input_dataset):
        super().__init__((input_dataset,))
        self._input = input_dataset

    def _compute_spec(self):
        return self._input.element_spec

    def _cardinality(self):
        return self._input._cardinality()


class _OptionsDataset(_UnaryDataset):
    def __init__(self, input_dataset, options):
        super().__init__(input_dataset)
        self._options = options

    def _make_iter(self):
        return self._input._make_iter()


def _infer_fn_spec(input_dataset, mapped, what="map"):
    """element_spec of fn's output (see the module docstring).  Numeric inputs of known
    ranks: fn traced on zeros of the input spec when it is fully defined (a graph's shapes
    are static); with unknown dimensions, fn run on zeros with those dimensions set to 2 and
    to 3, the output dimensions that differ left unknown.  Otherwise (strings, or a function
    that fails on zeros): fn's output on the first input element, relaxed against the zeros
    output where there is one."""
    try:
        spec_in = input_dataset.element_spec
    except Exception:    # noqa: BLE001
        spec_in = None
    zspec = None
    if spec_in is not None:
        zeros = S.zeros_for_spec(spec_in)
        if zeros is not None:
            probe = MappedFunction(mapped.fn, mapped.convert_lists)
            try:
                zspec = S.spec_of(probe(zeros))
                if probe.traced_count and not probe.eager:
                    return zspec
            except Exception:    # noqa: BLE001
                zspec = None
        else:
            z2, z3 = S.zeros_for_spec(spec_in, 2), S.zeros_for_spec(spec_in, 3)
            if z2 is not None:
                try:
                    return S.relax_specs(S.spec_of(mapped.eager_call(z2)),
                                         S.spec_of(mapped.eager_call(z3)))
                except Exception:    # noqa: BLE001
                    pass
    it = input_dataset._make_iter()
    try:
        first = next(it)
    except StopIteration:
        if zspec is not None:
            return zspec
        raise ValueError(f"Cannot infer the element_spec of {what}'s function: its input "
                         "dataset is empty") from None
    finally:
        close = getattr(it, "close", None)
        if close:
            close()
    spec = S.spec_of(mapped.eager_call(first))
    if zspec is not None:
        try:
            spec = S.relax_specs(spec, zspec)
        except (TypeError, ValueError):
            pass
    return spec


class MapDataset(_UnaryDataset):
    def __init__(self, input_dataset, map_func, num_parallel_calls=None, deterministic=None,
                 trace=True):
        super().__init__(input_dataset)
        self._fn = MappedFunction(map_func, trace=trace)
        self._parallel = _parallelism(num_parallel_calls)
        self._deterministic = deterministic

    def __repr__(self):
        name = "ParallelMapDataset" if self._parallel else "MapDataset"
        return S.format_repr(name, self.element_spec)

    def _compute_spec(self):
        return _infer_fn_spec(self._input, self._fn)

    def _make_iter(self):
        fn = self._fn
        if not self._parallel:
            return (fn(e) for e in self._input._make_iter())
        return _parallel_map(fn, self._input._make_iter(), self._parallel)


_INLINE_COST = 1e-5     # seconds per element under which a parallel map runs inline


def _run_chunk(fn, chunk):
    return [fn.timed(e) for e in chunk]


def _worker_init(omp_threads):
    """A tf.data worker thread: its share of the OpenMP threads; its ops on the CPU."""
    _core.set_num_threads(omp_threads)
    _core.set_device_scope(_core.CPU)


def _parallel_map(fn, it, workers):
    """fn over it on `workers` threads, results in input order.  Elements go to the
    workers in chunks sized so one chunk costs ~0.5 ms (1 for slow functions)."""
    import concurrent.futures    # lazily: it imports logging
    # the kernels' OpenMP teams are per calling thread: split the cores among the workers
    # instead of every worker starting a team as wide as the machine
    omp = max(1, _core.get_num_threads() // workers)
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=workers,
                                                 thread_name_prefix="tf.data-map",
                                                 initializer=_worker_init, initargs=(omp,))
    pending = collections.deque()
    ahead = 2 * workers
    exhausted = False
    inline = False
    try:
        while True:
            cost = fn.cost
            if cost is not None and cost < _INLINE_COST:
                # a tiny function (x * 2): handing elements to threads costs more than it
                # saves (the GIL is held for most of it): drain the chunks in flight, then
                # run the rest inline
                inline = True
            while not inline and not exhausted and len(pending) < ahead:
                size = 1 if cost is None else int(min(64, max(1, 5e-4 / max(cost, 1e-7))))
                chunk = list(itertools.islice(it, size))
                if not chunk:
                    exhausted = True
                    break
                pending.append(pool.submit(_run_chunk, fn, chunk))
            if not pending:
                if inline and not exhausted:
                    for e in it:
                        yield fn(e)
                return
            yield from pending.popleft().result()
    finally:
        for f in pending:
            f.cancel()
        pool.shutdown(wait=False)


class FilterDataset(_UnaryDataset):
    def __init__(self, input_dataset, predicate):
        super().__init__(input_dataset)
        self._fn = MappedFunction(predicate)

    def _cardinality(self):
        n = self._input._cardinality()
        return INFINITE if n == INFINITE else UNKNOWN

    def _make_iter(self):
        fn = self._fn
        for e in self._input._make_iter():
            r = fn(e)
            if S.is_nested(r) or r.dtype != _dt.bool or r._shape != ():
                raise ValueError("Invalid `predicate`. `predicate` must return a `tf.bool` scalar "
                                 f"tensor, but its return type is {S.spec_of(r)}.")
            if bool(r.numpy()):
                yield e


class ShardDataset(_UnaryDataset):
    def __init__(self, input_dataset, num_shards, index):
        super().__init__(input_dataset)
        self._num, self._index = num_shards, index

    def _cardinality(self):
        n = self._input._cardinality()
        if n in (INFINITE, UNKNOWN):
            return n
        return n // self._num + (1 if self._index < n % self._num else 0)

    def _make_iter(self):
        return itertools.islice(self._input._make_iter(), self._index, None, self._num)


class _TakeWhileDataset(FilterDataset):
    def _make_iter(self):
        fn = self._fn
        for e in self._input._make_iter():
            if not bool(fn(e).numpy()):
                return
            yield e


class _UniqueDataset(_UnaryDataset):
    def _cardinality(self):
        n = self._input._cardinality()
        return INFINITE if n == INFINITE else UNKNOWN

    def _make_iter(self):
        seen = set()
        for e in self._input._make_iter():
            v = e.numpy()
            k = v if isinstance(v, bytes) else v.item()
            if k not in seen:
                seen.add(k)
                yield e


def _batch_card(n, batch_size, drop_remainder):
    if n in (INFINITE, UNKNOWN):
        return n
    return n // batch_size if drop_remainder else -(-n // batch_size)


class BatchDataset(_UnaryDataset):
    def __init__(self, input_dataset, batch_size, drop_remainder=False):
        super().__init__(input_dataset)
        self._batch_size = _int(batch_size)
        if self._batch_size <= 0:
            raise _invalid("Batch size must be greater than zero.")
        self._drop = bool(drop_remainder)

    _parallel = False

    def __repr__(self):
        name = "ParallelBatchDataset" if self._parallel else type(self).__name__
        return S.format_repr(name, self.element_spec)

    def _compute_spec(self):
        b = self._batch_size if self._drop else None
        return S.map_structure(lambda s: TensorSpec(TensorShape([b]).concatenate(s.shape)
                                                    if s.shape.rank is not None else None,
                                                    s.dtype), self._input.element_spec)

    def _cardinality(self):
        return _batch_card(self._input._cardinality(), self._batch_size, self._drop)

    def _make_iter(self):
        src = _unwrap(self._input)
        if type(self) is BatchDataset:
            if isinstance(src, TensorSliceDataset):
                return src._batches(self._batch_size, self._drop)
            if isinstance(src, ShuffleDataset):
                slices = _unwrap(src._input)
                if isinstance(slices, TensorSliceDataset) and slices._numeric():
                    # the same shuffle over row indices, then one gather per component
                    order = src._gen(iter(range(slices._n)), src._next_rng())
                    return slices._gathered(order, self._batch_size, self._drop)
        return self._gen(self._input._make_iter())

    def _gen(self, it):
        bs, drop = self._batch_size, self._drop
        while True:
            buf = list(itertools.islice(it, bs))
            if not buf or (drop and len(buf) < bs):
                return
            yield _stack_elements(buf)


class PaddedBatchDataset(BatchDataset):
    def __init__(self, input_dataset, batch_size, padded_shapes=None, padding_values=None,
                 drop_remainder=False):
        super().__init__(input_dataset, batch_size, drop_remainder)
        spec = input_dataset.element_spec
        if padded_shapes is None:
            for s in S.flatten(spec):
                if s.shape.rank is None:
                    raise ValueError("You must provide `padded_shapes` argument because component "
                                     "has unknown rank.")
            padded_shapes = S.map_structure(lambda s: s.shape, spec)
        shapes = _map_up_to(spec, lambda s, p: _as_padded_shape(p, s), spec, padded_shapes)
        self._shapes = S.flatten(shapes)
        if padding_values is None:
            values = [None] * len(self._shapes)
        else:
            values = _flatten_up_to(spec, padding_values)
        self._values = values

    def _compute_spec(self):
        b = self._batch_size if self._drop else None
        flat = [TensorSpec(TensorShape([b]).concatenate(sh), s.dtype)
                for sh, s in zip(self._shapes, S.flatten(self._input.element_spec))]
        return S.pack_as(self._input.element_spec, flat)

    def _gen(self, it):
        bs, drop = self._batch_size, self._drop
        while True:
            buf = list(itertools.islice(it, bs))
            if not buf or (drop and len(buf) < bs):
                return
            flat = [S.flatten(e) for e in buf]
            cols = []
            for i, (shape, value) in enumerate(zip(self._shapes, self._values)):
                cols.append(_pad_stack([f[i] for f in flat], shape, value, i))
            yield S.pack_as(buf[0], cols)


def _as_padded_shape(p, spec):
    if S.is_tensor(p):
        p = p.numpy().tolist()
    if isinstance(p, (int, np.integer)):
        p = [int(p)]
    shape = TensorShape(p)
    if shape.rank is not None and spec.shape.rank is not None and shape.rank != spec.shape.rank:
        raise ValueError(f"The padded shape {shape} is not compatible with the shape "
                         f"{spec.shape} of the corresponding input component.")
    return TensorShape([None if (d is None or d == -1) else d for d in shape])


def _pad_stack(ts, shape, value, index):
    if S.is_string_tensor(ts[0]):
        arrs = [np.asarray(t.numpy(), dtype=object) for t in ts]
        fill = b"" if value is None else (value.numpy() if S.is_tensor(value) else value)
        if isinstance(fill, str):
            fill = fill.encode()
        dtype = object
    else:
        arrs = [np.asarray(t) for t in ts]
        dtype = arrs[0].dtype
        fill = 0 if value is None else (np.asarray(value) if not S.is_tensor(value)
                                        else value.numpy())
    rank = arrs[0].ndim
    target = []
    for d in range(rank):
        m = max(a.shape[d] for a in arrs)
        want = shape[d]
        if want is not None:
            if m > want:
                raise _invalid(f"Attempted to pad to a smaller size than the input element. "
                               f"Component {index}, dimension {d}: {m} > {want}")
            m = want
        target.append(m)
    out = np.empty([len(arrs)] + target, dtype=dtype)
    out[...] = fill
    for i, a in enumerate(arrs):
        out[(i,) + tuple(slice(0, s) for s in a.shape)] = a
    return S.to_tensor(out) if dtype == object else convert_to_tensor(out)


class _UnbatchDataset(_UnaryDataset):
    def _compute_spec(self):
        def one(s):
            if s.shape.rank == 0:
                raise ValueError("Cannot unbatch an input with scalar components.")
            return TensorSpec(s.shape[1:] if s.shape.rank is not None else None, s.dtype)
        return S.map_structure(one, self._input.element_spec)

    def _cardinality(self):
        n = self._input._cardinality()
        if n in (INFINITE, UNKNOWN):
            return n
        dims = set()
        for s in S.flatten(self._input.element_spec):
            dims.add(None if s.shape.rank is None else s.shape[0])
        if len(dims) != 1 or None in dims:
            return UNKNOWN
        return n * dims.pop()

    def _make_iter(self):
        for e in self._input._make_iter():
            leaves = S.flatten(e)
            n = leaves[0].shape[0]
            for t in leaves[1:]:
                if t.shape[0] != n:
                    raise _invalid(f"Input element must have the same batch size in each "
                                   f"component. Component 0 had size {n} but component had "
                                   f"size {t.shape[0]}.")
            rows = [_row_getter(t) for t in leaves]
            if not S.is_nested(e):
                r = rows[0]
                for i in range(n):
                    yield r(i)
            else:
                for i in range(n):
                    yield S.pack_as(e, [r(i) for r in rows])


class RepeatDataset(_UnaryDataset):
    def __init__(self, input_dataset, count=None):
        super().__init__(input_dataset)
        self._count = -1 if count is None else _int(count)

    def _cardinality(self):
        n = self._input._cardinality()
        c = self._count
        if c < 0:
            return 0 if n == 0 else INFINITE
        if c == 0:
            return 0
        if n in (INFINITE, UNKNOWN):
            return n
        return n * c

    def _make_iter(self):
        c = self._count
        i = 0
        while c < 0 or i < c:
            any_elem = False
            for e in self._input._make_iter():
                any_elem = True
                yield e
            if not any_elem:
                return
            i += 1


def _global_seed_draw():
    """A seed for ops given seed=None: drawn from the tf.random global stream when a global
    seed is set (so tf.random.set_seed makes it repeatable), else from the OS."""
    try:
        from ..engine.api import random as _rnd
        seeded = _rnd._get_state()[2]
    except Exception:    # noqa: BLE001
        seeded = 0
    if seeded:
        u = np.asarray(_rnd.uniform((2,), maxval=2.0 ** 31, dtype=_dt.float64))
        return int(u[0]) * (2 ** 31) + int(u[1])
    return int.from_bytes(os.urandom(8), "little") >> 1


class ShuffleDataset(_UnaryDataset):
    def __init__(self, input_dataset, buffer_size, seed=None, reshuffle_each_iteration=None):
        super().__init__(input_dataset)
        self._buffer = _int(buffer_size)
        if self._buffer == AUTOTUNE:
            self._buffer = 1024
        if self._buffer <= 0:
            raise _invalid("buffer_size must be greater than zero.")
        self._seed = _global_seed_draw() if seed is None else _int(seed)
        self._reshuffle = True if reshuffle_each_iteration is None else \
            bool(reshuffle_each_iteration)
        self._epoch = 0
        self._lock = threading.Lock()

    def _next_rng(self):
        with self._lock:
            epoch = self._epoch
            if self._reshuffle:
                self._epoch += 1
        return np.random.default_rng([self._seed & (2 ** 63 - 1), epoch])

    def _make_iter(self):
        return self._gen(self._input._make_iter(), self._next_rng())

    def _gen(self, it, rng):
        buf = list(itertools.islice(it, self._buffer))
        n = len(buf)
        draws = ()
        k = 0
        for e in it:
            if k == len(draws):
                draws = rng.integers(0, n, size=1024).tolist()
                k = 0
            j = draws[k]
            k += 1
            yield buf[j]
            buf[j] = e
        while buf:
            j = int(rng.integers(len(buf)))
            buf[j], buf[-1] = buf[-1], buf[j]
            yield buf.pop()


_DONE = object()


class PrefetchDataset(_UnaryDataset):
    def __init__(self, input_dataset, buffer_size):
        super().__init__(input_dataset)
        b = _int(buffer_size)
        self._buffer = 2 if b == AUTOTUNE else b
        if self._buffer < 0:
            raise _invalid("buffer_size must be >= 0 or tf.data.AUTOTUNE")

    def _make_iter(self):
        if self._buffer == 0:
            return self._input._make_iter()
        return _prefetch(self._input, self._buffer)


def _prefetch(dataset, size):
    """Elements made by a background thread, at most `size` ahead of the consumer."""
    import queue
    q = queue.Queue(maxsize=size)
    stop = threading.Event()

    def produce():
        _core.set_device_scope(_core.CPU)     # tf.data work stays on the CPU
        it = None
        try:
            it = dataset._make_iter()
            for e in it:
                while not stop.is_set():
                    try:
                        q.put((e, None), timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            item = (_DONE, None)
        except BaseException as exc:    # noqa: BLE001  (handed to the consumer)
            item = (_DONE, exc)
        finally:
            if it is not None and hasattr(it, "close"):
                try:
                    it.close()
                except Exception:    # noqa: BLE001
                    pass
        while not stop.is_set():
            try:
                q.put(item, timeout=0.1)
                return
            except queue.Full:
                continue

    th = threading.Thread(target=produce, name="tf.data-prefetch", daemon=True)
    th.start()
    try:
        while True:
            e, exc = q.get()
            if e is _DONE:
                if exc is not None:
                    raise exc
                return
            yield e
    finally:
        stop.set()


class TakeDataset(_UnaryDataset):
    def __init__(self, input_dataset, count):
        super().__init__(input_dataset)
        self._count = _int(count)

    def _cardinality(self):
        n = self._input._cardinality()
        c = self._count
        if n == UNKNOWN:
            return UNKNOWN if c != 0 else 0
        if c < 0:
            return n
        if n == INFINITE:
            return c
        return min(n, c)

    def _make_iter(self):
        if self._count < 0:
            return self._input._make_iter()
        return _closing_islice(self._input._make_iter(), self._count)


def _closing_islice(it, n):
    try:
        if n > 0:
            for i, e in enumerate(it):
                yield e
                if i + 1 >= n:
                    break
    finally:
        close = getattr(it, "close", None)
        if close:
            close()


class SkipDataset(_UnaryDataset):
    def __init__(self, input_dataset, count):
        super().__init__(input_dataset)
        self._count = _int(count)

    def _cardinality(self):
        n = self._input._cardinality()
        if n in (INFINITE, UNKNOWN):
            return n
        if self._count < 0:
            return 0
        return max(0, n - self._count)

    def _make_iter(self):
        it = self._input._make_iter()
        if self._count < 0:
            for _ in it:
                pass
            return iter(())
        for _ in itertools.islice(it, self._count):
            pass
        return it


class CacheDataset(_UnaryDataset):
    """cache(): the first complete pass is kept (in memory, or in `filename` + '.mkcache' as
    a pickle of numpy values when a filename is given) and later passes replay it."""

    def __init__(self, input_dataset, filename=""):
        super().__init__(input_dataset)
        if S.is_tensor(filename):
            filename = filename.numpy()
        if isinstance(filename, bytes):
            filename = filename.decode()
        self._filename = str(filename or "")
        self._cache = None
        self._lock = threading.Lock()

    def _path(self):
        return self._filename + ".mkcache"

    def _make_iter(self):
        if self._cache is not None:
            return iter(self._cache)
        if self._filename and os.path.exists(self._path()):
            import pickle
            with open(self._path(), "rb") as f:
                struct, cols = pickle.load(f)
            self._cache = [S.pack_as(struct, [S.to_tensor(c) for c in row]) for row in cols]
            return iter(self._cache)
        return self._fill()

    def _fill(self):
        elems = []
        for e in self._input._make_iter():
            elems.append(e)
            yield e
        with self._lock:
            self._cache = elems
        if self._filename:
            rows = [[_to_py(t) for t in S.flatten(e)] for e in elems]
            import pickle
            struct = S.map_structure(lambda s: 0, self.element_spec)
            with open(self._path(), "wb") as f:
                pickle.dump((struct, rows), f)


def _to_py(t):
    v = t.numpy()
    return np.asarray(v, dtype=object) if isinstance(v, bytes) else v


class ConcatenateDataset(DatasetV2):
    def __init__(self, a, b):
        super().__init__((a, b))
        self._a, self._b = a, b
        S.assert_same_structure(a.element_spec, b.element_spec)
        for x, y in zip(S.flatten(a.element_spec), S.flatten(b.element_spec)):
            if x.dtype != y.dtype:
                raise TypeError(f"Incompatible dataset elements:\n  {a.element_spec} vs.   "
                                f"{b.element_spec}")

    def _compute_spec(self):
        return S.relax_specs(self._a.element_spec, self._b.element_spec)

    def _cardinality(self):
        n, m = self._a._cardinality(), self._b._cardinality()
        if INFINITE in (n, m):
            return INFINITE
        if UNKNOWN in (n, m):
            return UNKNOWN
        return n + m

    def _make_iter(self):
        return itertools.chain(self._a._make_iter(), self._b._make_iter())


def _as_dataset_result(ds, what):
    if not isinstance(ds, DatasetV2):
        raise TypeError(f"The `map_func` argument of {what} must return a `Dataset` object. "
                        f"Got {type(ds).__name__}.")
    return ds


class FlatMapDataset(_UnaryDataset):
    def __init__(self, input_dataset, map_func):
        super().__init__(input_dataset)
        self._func = map_func

    def _cardinality(self):
        return UNKNOWN

    def _call(self, e):
        return _as_dataset_result(call_with_element(self._func, e), "flat_map")

    def _compute_spec(self):
        it = self._input._make_iter()
        for e in it:
            return self._call(e).element_spec
        raise ValueError("Cannot infer the element_spec of flat_map: empty input dataset")

    def _make_iter(self):
        for e in self._input._make_iter():
            yield from self._call(e)._make_iter()


class InterleaveDataset(FlatMapDataset):
    """TF's interleave order: cycle_length open iterators, block_length elements from each
    in turn; an exhausted iterator's slot takes the next input element's dataset.  With
    num_parallel_calls each open iterator is filled ahead by a background thread (order
    unchanged)."""

    def __init__(self, input_dataset, map_func, cycle_length=None, block_length=None,
                 num_parallel_calls=None):
        super().__init__(input_dataset, map_func)
        cl = AUTOTUNE if cycle_length is None else _int(cycle_length)
        self._cycle = _cpu_count() if cl == AUTOTUNE else cl
        self._block = 1 if block_length is None else _int(block_length)
        if self._cycle <= 0:
            raise _invalid("cycle_length must be greater than zero.")
        if self._block <= 0:
            raise _invalid("block_length must be greater than zero.")
        self._parallel = _parallelism(num_parallel_calls)

    def __repr__(self):
        name = "ParallelInterleaveDataset" if self._parallel else "InterleaveDataset"
        return S.format_repr(name, self.element_spec)

    def _open(self, e):
        ds = self._call(e)
        if self._parallel:
            return _prefetch(ds, max(self._block, 2))
        return ds._make_iter()

    def _make_iter(self):
        inp = self._input._make_iter()
        cycle, block = self._cycle, self._block
        current = [None] * cycle
        num_open = 0
        idx = 0
        block_index = 0
        end_of_input = False
        try:
            while not end_of_input or num_open > 0:
                it = current[idx]
                if it is not None:
                    try:
                        e = next(it)
                    except StopIteration:
                        current[idx] = None
                        num_open -= 1
                        block_index = 0
                        idx = (idx + 1) % cycle
                        continue
                    block_index += 1
                    if block_index == block:
                        block_index = 0
                        idx = (idx + 1) % cycle
                    yield e
                elif not end_of_input:
                    try:
                        x = next(inp)
                    except StopIteration:
                        end_of_input = True
                        continue
                    current[idx] = self._open(x)
                    num_open += 1
                else:
                    block_index = 0
                    idx = (idx + 1) % cycle
        finally:
            for it in current:
                if it is not None and hasattr(it, "close"):
                    it.close()


class TextLineDataset(DatasetV2):
    """tf.data.TextLineDataset: the lines of one or more text files (without the line
    terminator), as scalar tf.string tensors; compression_type 'GZIP' / 'ZLIB' / ''."""

    def __init__(self, filenames, compression_type=None, buffer_size=None,
                 num_parallel_reads=None, name=None):
        super().__init__()
        if S.is_tensor(filenames):
            filenames = filenames.numpy()
        if isinstance(filenames, (str, bytes)):
            filenames = [filenames]
        self._files = [f.decode() if isinstance(f, bytes) else str(f)
                       for f in np.asarray(filenames, dtype=object).reshape(-1)]
        self._compression = (compression_type or "").upper()

    def _compute_spec(self):
        from ..engine.dtypes import string
        return TensorSpec((), string)

    def _open(self, path):
        if self._compression == "GZIP":
            import gzip
            return gzip.open(path, "rb")
        if self._compression == "ZLIB":
            import io
            import zlib
            with open(path, "rb") as f:
                return io.BytesIO(zlib.decompress(f.read()))
        return open(path, "rb")

    def _make_iter(self):
        for path in self._files:
            with self._open(path) as f:
                for line in f:
                    if line.endswith(b"\n"):
                        line = line[:-1]
                        if line.endswith(b"\r"):
                            line = line[:-1]
                    yield S.to_tensor(line)
