"""tf.py_function and tf.numpy_function: call Python from TensorFlow-style code.

Both run the Python function eagerly, so neither can be recorded into a C graph: they call
`not_traceable` first (a tf.function using them runs eagerly; Dataset.map runs them on its
eager worker threads).  Exceptions raised by `func` propagate unchanged.  Gradients do not
flow through them (TensorFlow's py_function is differentiable under a tape; not here)."""
import numpy as np

from . import dtypes as _dt
from .function import not_traceable
from .strings import is_string_tensor
from .tensor import convert_to_tensor

__all__ = ["py_function", "numpy_function", "py_func"]


def _tout(Tout):
    """(list of DTypes or None, is_sequence)."""
    if Tout is None:
        return None, False
    if isinstance(Tout, (list, tuple)):
        return [_dt.as_dtype(t) for t in Tout], True
    return [_dt.as_dtype(Tout)], False


def _outputs(ret, dtypes, seq, op):
    if dtypes is None:
        return None
    if not seq:
        ret = [ret]
    elif isinstance(ret, (list, tuple)):
        ret = list(ret)
    elif not dtypes and ret is None:
        ret = []
    else:
        ret = [ret]
    if len(ret) != len(dtypes):
        raise ValueError(f"{op}: the function returned {len(ret)} values but Tout has "
                         f"{len(dtypes)} entries")
    out = []
    for i, (v, dt) in enumerate(zip(ret, dtypes)):
        if v is None:
            raise ValueError(f"{op}: the {i}-th value returned by the function is None, but "
                             f"expects {dt.name}")
        if dt == _dt.string:
            out.append(convert_to_tensor(v, dtype=_dt.string))
            continue
        if is_string_tensor(v):
            raise TypeError(f"{op}: {i}-th value returned is a string tensor, but expects {dt.name}")
        t = convert_to_tensor(v)
        if t.dtype != dt:
            from .api.elementwise import cast
            t = cast(t, dt)
        out.append(t)
    return out if seq else out[0]


def py_function(func=None, inp=None, Tout=None, name=None):  # noqa: N803
    """tf.py_function: call func(*tensors) eagerly; results converted to Tout (one dtype:
    one tensor; a list: a list of tensors; None: None)."""
    if func is None:        # decorator form: @tf.py_function(Tout=...)
        return lambda f: (lambda *args: py_function(f, list(args), Tout, name))
    not_traceable("tf.py_function")
    args = [convert_to_tensor(x) if x is not None else None for x in (inp or [])]
    dtypes, seq = _tout(Tout)
    return _outputs(func(*args), dtypes, seq, "EagerPyFunc")


def _to_numpy(x):
    t = convert_to_tensor(x)
    return t.numpy()


def numpy_function(func=None, inp=None, Tout=None, stateful=True, name=None):  # noqa: N803
    """tf.numpy_function: call func(*numpy_arrays) (string tensors: bytes / object arrays);
    results converted to Tout."""
    if func is None:
        return lambda f: (lambda *args: numpy_function(f, list(args), Tout, stateful, name))
    not_traceable("tf.numpy_function")
    args = [_to_numpy(x) for x in (inp or [])]
    dtypes, seq = _tout(Tout)
    ret = func(*args)
    if dtypes is not None:
        if seq and isinstance(ret, (list, tuple)):
            ret = [np.asarray(r) if not isinstance(r, (bytes, str)) else r for r in ret]
    return _outputs(ret, dtypes, seq, "PyFunc")


py_func = numpy_function     # tf.compat.v1.py_func
