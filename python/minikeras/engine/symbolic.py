"""Dispatch of tf functions called on symbolic values (Keras functional-API tensors).

The engine knows nothing of Keras: a symbolic value raises SymbolicTensorError when
converted to a tensor, and whoever defines symbolic values (minikeras.layers)
registers a hook `hook(fn, api_name, args, kwargs)` that builds a layer instead.
C builtins (tf.add ...) call the hook from C on that error, so they stay one C
call on real tensors; Python functions of the tf namespace are wrapped below."""
import functools

from .. import _core


class SymbolicTensorError(TypeError):
    """A symbolic (Keras functional) value was used where a real tensor is needed."""


_hook = None


def set_hook(hook):
    """hook(fn, api_name, args, kwargs) -> result, called when an op meets a symbolic value."""
    global _hook
    _hook = hook
    _core.set_symbolic_hook(SymbolicTensorError, _builtin_hook if hook else None)


def _builtin_hook(op_name, args, kwargs):
    return _hook(_core.ops[op_name], f"tf.math.{op_name}", args, kwargs)


def dispatching(fn, api_name):
    """Wrap a Python tf function: on a symbolic argument, hand the call to the hook."""
    if not callable(fn) or isinstance(fn, type(_core.ops["add"])) or getattr(fn, "_mk_dispatching", False):
        return fn

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except SymbolicTensorError:
            if _hook is None:
                raise
            return _hook(fn, api_name, args, kwargs)
    wrapper._mk_dispatching = True
    return wrapper


def wrap_namespace(module, prefix, names=None):
    """Make every public function of a tf namespace module dispatch on symbolic values."""
    for name in names or [n for n in dir(module) if not n.startswith("_")]:
        obj = getattr(module, name)
        if callable(obj) and not isinstance(obj, type) and getattr(obj, "__module__", "") and \
                obj.__module__.startswith("minikeras.engine.api"):
            setattr(module, name, dispatching(obj, f"{prefix}.{name}"))
