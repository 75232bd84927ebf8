"""Running a tf.data function (map / filter / flat_map ...) over elements.

A map function is traced into a C graph the first time it meets an input signature
(shapes and dtypes of the element's tensors) and replayed from then on: the replay runs
every kernel in C without the GIL, so map(num_parallel_calls=k) gets real parallelism
from k worker threads.  A graph owns its intermediate buffers, so every thread traces
and keeps its own copy (one trace per thread per signature, serialized by a lock).

The function runs eagerly instead (on the same worker threads; decoders, file reads and
the big C kernels release the GIL) when:
- tracing raises anything: NotTraceableError (string tensors, tf.io.read_file,
  decode_jpeg, tf.py_function ...), `.numpy()` or a Python branch on a traced tensor,
  an op whose output shape depends on values; the function is then eager for good;
- the element holds string tensors (a C graph holds numbers only);
- a thread has traced MAX_SIGNATURES signatures already (element shapes that keep
  changing would retrace for ever).
As in TensorFlow, Python side effects of a traced function happen only while tracing."""
import threading
import time

from .. import _core
from ..engine import function as _function
from . import structure as S

C = _core.ops
MAX_SIGNATURES = 8

try:
    from ..engine.function import NotTraceableError
except ImportError:    # pragma: no cover
    class NotTraceableError(Exception):
        pass

_trace_lock = threading.RLock()


def call_with_element(fn, element):
    """TF's convention: a tuple element is unpacked into positional arguments."""
    if type(element) is tuple:
        return fn(*element)
    return fn(element)


class _Concrete:
    __slots__ = ("graph", "struct")

    def __init__(self, graph, struct):
        self.graph = graph
        self.struct = struct

    def __call__(self, leaves):
        args = [t if _function._contiguous(t) else C["copy"](t) for t in leaves]
        return S.pack_as(self.struct, list(self.graph.run(args)))


class MappedFunction:
    """fn applied to dataset elements, traced per thread when possible."""

    def __init__(self, fn, convert_lists=True, trace=True):
        self.fn = fn
        self.convert_lists = convert_lists
        self._local = threading.local()
        self.eager = not trace
        self.traced_count = 0        # graphs traced (all threads)
        self.cost = None              # running mean seconds per call (for chunking)

    def eager_call(self, element):
        return S.normalize_element(call_with_element(self.fn, element), self.convert_lists)

    def __call__(self, element):
        if self.eager or _function.functions_run_eagerly():
            return self.eager_call(element)
        leaves = S.flatten(element)
        for t in leaves:
            if not isinstance(t, _core.TensorBase):
                return self.eager_call(element)
        key = (S._skeleton(element), tuple((t._shape, t._dtype_id) for t in leaves))
        cache = getattr(self._local, "cache", None)
        if cache is None:
            cache = self._local.cache = {}
        cf = cache.get(key)
        if cf is not None:
            return cf(leaves)
        if len(cache) >= MAX_SIGNATURES:
            return self.eager_call(element)
        cf, result = self._trace(element, leaves)
        if cf is not None:
            cache[key] = cf
        return result

    def _trace(self, element, leaves):
        if _function._graph_stack:     # iterated inside a tf.function being traced
            return None, self.eager_call(element)
        with _trace_lock:
            if self.eager:
                return None, self.eager_call(element)
            inputs = [_function._private_copy(t) for t in leaves]
            targs = S.pack_as(element, inputs)
            graph = _core.Graph()
            try:
                with _function._Trace(graph):
                    result = S.normalize_element(call_with_element(self.fn, targs),
                                                 self.convert_lists)
                    out = S.flatten(result)
                    for t in out:
                        if not isinstance(t, _core.TensorBase):
                            raise NotTraceableError("string output")
            except Exception:      # noqa: BLE001  (any failure: run it eagerly, see above)
                res = self.eager_call(element)   # a real error raises here
                self.eager = True
                return None, res
            graph.set_io(inputs, out)
            self.traced_count += 1
            return _Concrete(graph, result), S.pack_as(result, [C["copy"](t) for t in out])

    def timed(self, element):
        t0 = time.perf_counter()
        r = self(element)
        dt = time.perf_counter() - t0
        self.cost = dt if self.cost is None else 0.9 * self.cost + 0.1 * dt
        return r
