"""tf.function: trace a Python function once per input signature into a C graph
and replay the graph on later calls (csrc/graph.c).

Tracing runs the function for real on private copies of the tensor arguments
while the C core records every op; the first call's results are those of the
trace.  Later calls with the same signature copy their arguments into the
graph's input buffers and replay every kernel in C with the GIL released.
Python side effects therefore happen only while tracing, as in TensorFlow."""
import contextlib
import functools
import sys
import threading
import weakref

import numpy as np

from .. import _core
from .tensor import convert_to_tensor

C = _core.ops
_run_eagerly = False


class _ThreadStack(threading.local):
    """A list per thread: the graphs being traced by this thread (the C side's
    mk_tracing_graph is thread-local too), so a tf.data worker tracing its map function
    never captures ops that another thread runs eagerly at the same time."""

    def __init__(self):
        self.items = []

    def __bool__(self):
        return bool(self.items)

    def __len__(self):
        return len(self.items)

    def __iter__(self):
        return iter(self.items)

    def __getitem__(self, i):
        return self.items[i]

    def __setitem__(self, i, v):
        self.items[i] = v

    def __delitem__(self, i):
        del self.items[i]

    def append(self, g):
        self.items.append(g)

    def pop(self):
        return self.items.pop()


_graph_stack = _ThreadStack()


def run_functions_eagerly(run_eagerly):
    global _run_eagerly
    _run_eagerly = bool(run_eagerly)


def functions_run_eagerly():
    return _run_eagerly


class NotTraceableError(Exception):
    """Raised by an op that cannot be recorded into a C graph (string tensors, file reads,
    image decoders, py_function) while a graph is being traced.  tf.function catches it at
    the outermost trace and runs that function eagerly from then on; tf.data's map uses its
    eager worker threads instead."""


def not_traceable(what):
    """Call first thing in every op that has no C-graph form: no-op when eager."""
    if _graph_stack:
        raise NotTraceableError(
            f"{what} works on values a traced C graph cannot hold (strings, files, Python "
            "callbacks); the function is run eagerly instead")


_EAGER = object()   # cache entry: this signature runs eagerly (its trace hit NotTraceableError)


def current_graph():
    return _graph_stack[-1] if _graph_stack else None


@contextlib.contextmanager
def init_scope():
    """Run the body eagerly, outside every graph being traced (tf.init_scope): state
    created here (variables, their initial values) is made once, not at every replay."""
    stack = list(_graph_stack)
    if not stack:
        yield
        return
    for g in reversed(stack):
        g.end()
    del _graph_stack[:]
    try:
        yield
    finally:
        _graph_stack[:] = stack
        for g in stack:
            g.begin()


class _Trace:
    """Records into `graph` while active (nestable)."""

    def __init__(self, graph):
        self.graph = graph

    def __enter__(self):
        self.graph.begin()
        _graph_stack.append(self.graph)
        return self.graph

    def __exit__(self, *exc):
        _graph_stack.pop()
        self.graph.end()
        return False


def _is_tensor(x):
    return isinstance(x, _core.TensorBase)


class _HasStrings(Exception):
    """A string tensor among the arguments: C graphs hold numbers only, so the call runs
    eagerly (string ops would raise NotTraceableError in a trace anyway)."""


def _flatten_args(obj, leaves):
    """Signature key of obj; tensors (and numpy arrays) become placeholders appended to leaves."""
    if _is_tensor(obj):
        leaves.append(obj)
        return ("T", obj._shape, obj._dtype_id)
    if type(obj).__name__ == "StringTensor":
        raise _HasStrings
    if isinstance(obj, np.ndarray):
        t = convert_to_tensor(obj)
        if not _is_tensor(t):
            raise _HasStrings
        leaves.append(t)
        return ("T", t._shape, t._dtype_id)
    if isinstance(obj, (list, tuple)):
        return (type(obj).__name__, tuple(_flatten_args(o, leaves) for o in obj))
    if isinstance(obj, dict):
        return ("dict", tuple((k, _flatten_args(obj[k], leaves)) for k in obj))
    if hasattr(obj, "_as_tensor"):     # variables are captured by identity
        return ("V", id(obj))
    try:
        hash(obj)
        return ("P", type(obj).__name__, obj)
    except TypeError:
        return ("O", id(obj))


def _rebuild(obj, it):
    if _is_tensor(obj) or isinstance(obj, np.ndarray):
        return next(it)
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):
        return type(obj)(*[_rebuild(o, it) for o in obj])
    if isinstance(obj, (list, tuple)):
        return type(obj)(_rebuild(o, it) for o in obj)
    if isinstance(obj, dict):
        return type(obj)((k, _rebuild(obj[k], it)) for k in obj)
    return obj


def _flatten_out(obj, leaves):
    """Structure of the result with tensor leaves replaced by their index."""
    if hasattr(obj, "_as_tensor") and not _is_tensor(obj):
        obj = obj._as_tensor()
    if _is_tensor(obj):
        leaves.append(obj)
        return _Leaf(len(leaves) - 1)
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):
        return type(obj)(*[_flatten_out(o, leaves) for o in obj])
    if isinstance(obj, (list, tuple)):
        return type(obj)(_flatten_out(o, leaves) for o in obj)
    if isinstance(obj, dict):
        return type(obj)((k, _flatten_out(obj[k], leaves)) for k in obj)
    return obj


class _Leaf:
    __slots__ = ("i",)

    def __init__(self, i):
        self.i = i


def _pack_out(struct, values):
    if isinstance(struct, _Leaf):
        return values[struct.i]
    if isinstance(struct, tuple) and hasattr(struct, "_fields"):
        return type(struct)(*[_pack_out(o, values) for o in struct])
    if isinstance(struct, (list, tuple)):
        return type(struct)(_pack_out(o, values) for o in struct)
    if isinstance(struct, dict):
        return type(struct)((k, _pack_out(struct[k], values)) for k in struct)
    return struct


def _private_copy(t):
    """A contiguous copy owned by the graph, marked as traced (value unknown)."""
    c = C["copy"](t)
    c._flags = c._flags | _core.T_TRACED
    return c


class ConcreteFunction:
    """One traced graph: replays in C."""

    def __init__(self, graph, out_struct, n_inputs):
        self.graph = graph
        self._out_struct = out_struct
        self._n_inputs = n_inputs

    def __call__(self, leaves):
        args = [t if _contiguous(t) else C["copy"](t) for t in leaves]
        outs = self.graph.run(args)
        return _pack_out(self._out_struct, outs)


def _contiguous(t):
    if t._size == 0:
        return True
    st = 1
    for d, s in zip(reversed(t._shape), reversed(t._strides)):
        if d != 1 and s != st:
            return False
        st *= d
    return True


class Function:
    """A Python function traced into C graphs, one per input signature."""

    def __init__(self, python_function, input_signature=None, autograph=True, jit_compile=None,
                 reduce_retracing=False, experimental_relax_shapes=None, name=None):
        self._python_function = python_function
        self._input_signature = input_signature
        self._cache = {}
        self._instance_caches = weakref.WeakKeyDictionary()
        functools.update_wrapper(self, python_function)

    @property
    def python_function(self):
        return self._python_function

    def __get__(self, instance, owner):
        if instance is None:
            return self
        return functools.partial(self._call_bound, instance)

    def _call_bound(self, instance, *args, **kwargs):
        return self._call(instance, args, kwargs)

    def __call__(self, *args, **kwargs):
        return self._call(None, args, kwargs)

    def _call(self, instance, args, kwargs):
        fn = self._python_function
        call_args = args if instance is None else (instance,) + args
        if _run_eagerly or _graph_stack or _core.tapes_active():
            # eager mode, or nested inside another trace: ops go straight to the outer graph;
            # under a recording GradientTape a replay would be invisible to the tape (the
            # gradient came back None after the first call), so the function runs eagerly
            return fn(*call_args, **kwargs)
        leaves = []
        try:
            key = (_flatten_args(args, leaves), _flatten_args(kwargs, leaves))
        except _HasStrings:
            return fn(*call_args, **kwargs)
        cache = self._cache
        if instance is not None:
            try:
                cache = self._instance_caches.setdefault(instance, {})
            except TypeError:
                key = (id(instance), key)
        try:
            concrete = cache.get(key)
        except TypeError:
            concrete, key = None, None
        if concrete is _EAGER:
            return fn(*call_args, **kwargs)
        if concrete is not None:
            return concrete(leaves)
        return self._trace(fn, instance, args, kwargs, leaves, cache, key)

    def _trace(self, fn, instance, args, kwargs, leaves, cache, key):
        inputs = [_private_copy(t) for t in leaves]
        it = iter(inputs)
        targs = _rebuild(args, it)
        tkwargs = _rebuild(kwargs, it)
        if instance is not None:
            targs = (instance,) + tuple(targs)
        graph = _core.Graph()
        keep = _KeepVariables()
        keep.__enter__()   # a trace that cannot finish must leave the variables as they were
        try:
            with _Trace(graph):
                result = fn(*targs, **tkwargs)
        except NotTraceableError:
            keep.__exit__(None, None, None)
            if key is not None:
                cache[key] = _EAGER
            call_args = args if instance is None else (instance,) + tuple(args)
            return fn(*call_args, **kwargs)
        out_leaves = []
        struct = _flatten_out(result, out_leaves)
        graph.set_io(inputs, out_leaves)
        if key is not None:
            cache[key] = ConcreteFunction(graph, struct, len(inputs))
        # the trace computed the real results of this call: hand out copies
        return _pack_out(struct, [C["copy"](t) for t in out_leaves])

    def get_concrete_function(self, *args, **kwargs):
        leaves = []
        key = (_flatten_args(args, leaves), _flatten_args(kwargs, leaves))
        if key not in self._cache:
            self._call(None, args, kwargs)
        return self._cache[key]

    def experimental_get_tracing_count(self):
        return len(self._cache) + sum(len(c) for c in self._instance_caches.values())


def function(func=None, input_signature=None, autograph=True, jit_compile=None,
             reduce_retracing=False, experimental_relax_shapes=None, experimental_compile=None,
             name=None, **kwargs):
    """tf.function, as a decorator with or without arguments."""
    def wrap(f):
        return Function(f, input_signature=input_signature, autograph=autograph,
                        jit_compile=jit_compile, reduce_retracing=reduce_retracing)
    if func is None:
        return wrap
    return wrap(func)


# ---- control flow ---------------------------------------------------------------

def _is_traced(t):
    return _is_tensor(t) and t._traced


class _KeepVariables:
    """Tracing a branch / loop graph runs it once for real; every variable written there is
    put back on exit, so only the control-flow node's own run (the chosen branch, the real
    iterations) has side effects (before, the trace call applied both branches' updates)."""

    def __enter__(self):
        from .variable import _live_variables
        self.saved = []
        for v in list(_live_variables.values()):
            t = v._value
            if not t._traced and t._size:
                self.saved.append((t, np.array(np.asarray(t))))
        return self

    def __exit__(self, *exc):
        for t, a in self.saved:
            _core.write_buffer(t, a)
        return False


def _branch_graph(fn, inputs=()):
    """Trace fn(*inputs) into its own graph; outputs forced to contiguous copies."""
    g = _core.Graph()
    with _Trace(g):
        res = fn(*inputs)
        leaves = []
        struct = _flatten_out(res, leaves)
        leaves = [C["copy"](convert_to_tensor(t)) for t in leaves]
    g.set_io(list(inputs), leaves)
    return g, struct, leaves


def cond(pred, true_fn=None, false_fn=None, name=None):
    """tf.cond: run one branch.  Inside a trace with a traced predicate both branches are
    traced into sub-graphs and the choice is made at every replay."""
    if true_fn is None or false_fn is None:
        raise TypeError("cond(): true_fn and false_fn are required")
    graph = current_graph()
    if graph is None or not _is_traced(pred):
        return true_fn() if bool(pred) else false_fn()
    if _core.tapes_active():
        # a GradientTape inside the traced function records this cond: a cond node is opaque
        # to the tape (its gradient followed the true branch whatever the predicate), so
        # both branches run inline and the result is selected, which the tape differentiates
        l1, l2 = [], []
        s1 = _flatten_out(true_fn(), l1)
        _flatten_out(false_fn(), l2)
        if len(l1) != len(l2) or any(a._shape != b._shape or a._dtype_id != b._dtype_id
                                     for a, b in zip(l1, l2)):
            raise ValueError("true_fn and false_fn must return tensors of the same structure, "
                             f"shapes and dtypes; got {[a._shape for a in l1]} and "
                             f"{[b._shape for b in l2]}")
        p = convert_to_tensor(pred)
        if p.dtype.name != "bool":
            p = C["not_equal"](p, _core.scalar(0, p._dtype_id))
        return _pack_out(s1, [C["where"](p, a, b) for a, b in zip(l1, l2)])
    with _KeepVariables():
        g1, s1, o1 = _branch_graph(true_fn)
        g2, s2, o2 = _branch_graph(false_fn)
    if len(o1) != len(o2) or any(a._shape != b._shape or a._dtype_id != b._dtype_id
                                 for a, b in zip(o1, o2)):
        raise ValueError("true_fn and false_fn must return tensors of the same structure, "
                         f"shapes and dtypes; got {[a._shape for a in o1]} and "
                         f"{[b._shape for b in o2]}")
    outs = [C["copy"](a) for a in o1]   # buffers of the node's results
    graph.add_control("cond", [convert_to_tensor(pred)], outs, g1, g2)
    _core_run_last(graph)
    return _pack_out(s1, outs)


def while_loop(cond, body, loop_vars, shape_invariants=None, parallel_iterations=10,
               back_prop=True, swap_memory=False, maximum_iterations=None, name=None):
    """tf.while_loop over a list/tuple of loop variables."""
    single = not isinstance(loop_vars, (list, tuple))
    lv = [loop_vars] if single else list(loop_vars)
    graph = current_graph()
    if maximum_iterations is not None:
        user_cond, user_body = cond, body
        lv = [convert_to_tensor(0)] + lv

        def cond(i, *vs):
            return C["logical_and"](convert_to_tensor(i < maximum_iterations),
                                    convert_to_tensor(user_cond(*vs)))

        def body(i, *vs):
            r = user_body(*vs)
            r = [r] if not isinstance(r, (list, tuple)) else list(r)
            return [i + 1] + r
    traced = graph is not None and any(_is_traced(convert_to_tensor(v)) for v in lv)
    if not traced and graph is None:
        vs = lv
        while bool(cond(*vs)):
            r = body(*vs)
            vs = [r] if not isinstance(r, (list, tuple)) else list(r)
        if maximum_iterations is not None:
            vs = vs[1:]
        return vs[0] if single else type(loop_vars)(vs)
    init = [C["copy"](convert_to_tensor(v)) for v in lv]
    cin = [_private_copy(t) for t in init]
    bin_ = [_private_copy(t) for t in init]

    def body_list(*v):
        r = body(*v)
        return [r] if not isinstance(r, (list, tuple)) else list(r)
    with _KeepVariables():
        gc, _, _ = _branch_graph(lambda *v: convert_to_tensor(cond(*v)), cin)
        gb, _, bouts = _branch_graph(body_list, bin_)
    if len(bouts) != len(init) or any(a._shape != b._shape or a._dtype_id != b._dtype_id
                                      for a, b in zip(bouts, init)):
        raise ValueError("while_loop body must return loop variables of unchanged shapes and "
                         "dtypes")
    outs = [C["copy"](t) for t in init]
    graph.add_control("while", init, outs, gc, gb)
    _core_run_last(graph)
    if maximum_iterations is not None:
        outs = outs[1:]
    return outs[0] if single else type(loop_vars)(outs)


def _core_run_last(graph):
    graph.run_last()


# ---- printing ---------------------------------------------------------------------

def _format_scalar(x):
    """One element as TF's PrintV2 writes it: shortest of %.6g / %.9g (float32) or
    %.15g / %.17g (float64) that round-trips, ints as ints, bools as true/false."""
    if isinstance(x, (bool, np.bool_)):
        return "true" if x else "false"
    if isinstance(x, np.floating):
        if x.dtype == np.float64:
            t = "%.15g" % x
            return t if float(t) == x else "%.17g" % x
        f = np.float32(x)
        t = "%.6g" % f
        return t if np.float32(t) == f else "%.9g" % f
    return str(x)


def _format_array(a, summarize, indent=1):
    if a.ndim == 0:
        return _format_scalar(a[()])
    n = a.shape[0]
    idx = list(range(n))
    if 0 <= summarize and n > 2 * summarize:
        idx = idx[:summarize] + [None] + idx[n - summarize:]
    parts = ["..." if i is None else _format_array(a[i], summarize, indent + 1) for i in idx]
    sep = " " if a.ndim == 1 else "\n" + " " * indent
    return "[" + sep.join(parts) + "]"


def _format_value(v, summarize=3):
    if _is_tensor(v):
        return _format_array(np.array(_core.runtime_view(v)), -1 if summarize is None else summarize)
    return str(v)


def print_(*inputs, output_stream=None, summarize=3, sep=" ", end="\n", name=None):
    """tf.print: prints when it runs (at every replay of a traced graph), to sys.stderr as
    it is at that moment unless output_stream is given."""
    def do_print(*tensors):
        it = iter(tensors)
        parts = [_format_value(next(it), summarize) if (_is_tensor(x) or hasattr(x, "_as_tensor"))
                 else str(x) for x in inputs]
        stream = sys.stderr if output_stream is None else output_stream
        if isinstance(stream, str):
            stream = sys.stdout if "stdout" in stream else sys.stderr
        print(sep.join(parts), end=end, file=stream)
    tensors = [convert_to_tensor(x) for x in inputs if _is_tensor(x) or hasattr(x, "_as_tensor")]
    graph = current_graph()
    if graph is None:
        do_print(*tensors)
    else:
        graph.add_pycall(do_print, tensors)
        graph.run_last()
