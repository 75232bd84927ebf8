"""tf.GradientTape over the C tape: the C core records every op that reads a
watched tensor (trainable variables are watched automatically); gradient()
walks the records backwards applying the rules of engine.gradients."""
import contextlib

from .. import _core
from . import dtypes as _dt
from .gradients import REGISTRY, OpRecord
from .tensor import convert_to_tensor

C = _core.ops


def _value_tensor(x):
    """The tensor the C core sees for x (a Variable's buffer, or the tensor itself)."""
    conv = getattr(x, "_as_tensor", None)
    return conv() if conv is not None else x


def _flatten(struct):
    if isinstance(struct, dict):
        out = []
        for k in struct:
            out.extend(_flatten(struct[k]))
        return out
    if isinstance(struct, (list, tuple)):
        out = []
        for s in struct:
            out.extend(_flatten(s))
        return out
    return [struct]


def _pack_like(struct, flat_iter):
    if isinstance(struct, dict):
        return type(struct)((k, _pack_like(struct[k], flat_iter)) for k in struct)
    if isinstance(struct, tuple) and hasattr(struct, "_fields"):
        return type(struct)(*[_pack_like(s, flat_iter) for s in struct])
    if isinstance(struct, (list, tuple)):
        return type(struct)(_pack_like(s, flat_iter) for s in struct)
    return next(flat_iter)


def _ones_like(t):
    return C["add"](C["multiply"](t, _core.scalar(0, t._dtype_id)), _core.scalar(1, t._dtype_id))


def _zeros_like(t):
    return C["multiply"](t, _core.scalar(0, t._dtype_id))


class GradientTape:
    """Records operations for automatic differentiation (tf.GradientTape)."""

    def __init__(self, persistent=False, watch_accessed_variables=True):
        self._persistent = persistent
        self._watch_vars = watch_accessed_variables
        self._tape = _core.Tape(watch_accessed_variables)
        self._used = False
        self._recording = False
        self._watched = {}   # id -> tensor watched explicitly (refs kept so ids stay unique)

    def __enter__(self):
        self._tape.start()
        self._recording = True
        return self

    def __exit__(self, *exc):
        self._tape.stop()
        self._recording = False
        return False

    def watch(self, tensor):
        for t in _flatten(tensor):
            v = _value_tensor(t)
            if not isinstance(v, _core.TensorBase):
                raise ValueError(f"Passed in object {t!r} of type {type(t).__name__}, not tf.Tensor "
                                 f"or tf.Variable")
            if _dt.ALL[v._dtype_id].is_floating:
                self._tape.watch(v)
                self._watched[id(v)] = v

    @contextlib.contextmanager
    def stop_recording(self):
        if not self._recording:
            raise ValueError("Tape.stop_recording() is only valid when the tape is recording.")
        self._tape.stop()
        try:
            yield
        finally:
            self._tape.start()

    def reset(self):
        self._tape.reset()
        self._watched.clear()

    def watched_variables(self):
        return ()

    def gradient(self, target, sources, output_gradients=None,
                 unconnected_gradients="none"):
        if self._used and not self._persistent:
            raise RuntimeError("A non-persistent GradientTape can only be used to compute one set "
                               "of gradients (or jacobians)")
        if self._recording and not self._persistent:
            pass  # TF warns; the records taken below are a snapshot either way
        targets = [_value_tensor(t) for t in _flatten(target)]
        flat_sources = _flatten(sources)
        src_tensors = [_value_tensor(s) for s in flat_sources]
        for s, st in zip(flat_sources, src_tensors):
            if not isinstance(st, _core.TensorBase):
                raise ValueError(f"Passed in object {s!r} of type {type(s).__name__}, not tf.Tensor "
                                 f"or tf.Variable")
        grads = {}
        if output_gradients is not None:
            ogs = _flatten(output_gradients)
        else:
            ogs = [None] * len(targets)
        for t, og in zip(targets, ogs):
            if not isinstance(t, _core.TensorBase):
                raise ValueError(f"target {t!r} is not a tensor")
            g = _ones_like(t) if og is None else convert_to_tensor(og, dtype=_dt.ALL[t._dtype_id])
            _accumulate(grads, t, g)

        records = self._tape.records()
        if not self._persistent:
            self._used = True
        # a source is differentiated only if this tape watches it: explicitly, as a trainable
        # variable (watch_accessed_variables), or as the output of a recorded op.  (Tensors keep
        # the watch bits of earlier tapes in the same slot, so C-level recording alone is not
        # proof; without this an unwatched constant or non-trainable variable got a gradient.)
        produced = {id(o) for rec in records for o in rec[2]}

        def watched(st):
            return (id(st) in self._watched or id(st) in produced
                    or (self._watch_vars and st._flags & _core.T_TRAINABLE))
        is_watched = [bool(watched(st)) for st in src_tensors]
        # only ops on a path from a source to a target matter: mark sources forward
        source_ids = {id(s) for s, w in zip(src_tensors, is_watched) if w}
        reach = set(source_ids)
        useful = []
        for rec in records:
            name, ins, outs, ints, floats = rec
            if any(id(i) in reach for i in ins):
                for o in outs:
                    reach.add(id(o))
                useful.append(rec)
        for name, ins, outs, ints, floats in reversed(useful):
            dys = [grads.get(id(o)) for o in outs]
            if all(d is None for d in dys):
                continue
            rule = REGISTRY.get(name)
            if rule is None:
                raise LookupError(f"No gradient defined for operation '{name}'")
            op = _Op(name, ins, outs, ints, floats)
            op.needs = tuple(id(i) in reach for i in ins)
            din = rule(op, *dys)
            for inp, g in zip(ins, din):
                if g is None or id(inp) not in reach:
                    continue
                if not _dt.ALL[inp._dtype_id].is_floating:
                    continue
                _accumulate(grads, inp, g)
        result = []
        for s, w in zip(src_tensors, is_watched):
            g = grads.get(id(s)) if w else None
            if g is not None and g._dtype_id != s._dtype_id:
                g = C["cast"](g, ints=(s._dtype_id,))
            if g is None and unconnected_gradients in ("zero", "ZERO") or \
                    (g is None and getattr(unconnected_gradients, "value", None) == "zero"):
                g = _zeros_like(s)
            result.append(g)
        if not self._persistent:
            self._tape.reset()
        return _pack_like(sources, iter(result))

    def jacobian(self, target, sources, unconnected_gradients="none", parallel_iterations=None,
                 experimental_use_pfor=True):
        """Rows of d target[i] / d source, one gradient per target element (persistent tape)."""
        import numpy as np
        t = _value_tensor(target)
        n = t._size
        flat_sources = _flatten(sources)
        rows = [[] for _ in flat_sources]
        persistent = self._persistent
        self._persistent = True
        try:
            for i in range(n):
                onehot = np.zeros(n, dtype=_dt.ALL[t._dtype_id].as_numpy_dtype)
                onehot[i] = 1
                og = convert_to_tensor(onehot.reshape(t._shape))
                gs = self.gradient(t, flat_sources, output_gradients=og,
                                   unconnected_gradients=unconnected_gradients)
                for k, g in enumerate(gs):
                    rows[k].append(None if g is None else g.numpy())
        finally:
            self._persistent = persistent
        out = []
        for s, r in zip(flat_sources, rows):
            sv = _value_tensor(s)
            if any(x is None for x in r):
                out.append(None)
            else:
                out.append(convert_to_tensor(np.stack(r).reshape(tuple(t._shape) + tuple(sv._shape))))
        return _pack_like(sources, iter(out))


class _Op(OpRecord):
    """A record plus `needs`: which inputs lead back to a source (rules may skip the others)."""

    __slots__ = ("needs",)


def _accumulate(grads, t, g):
    prev = grads.get(id(t))
    grads[id(t)] = g if prev is None else C["add"](prev, g)


def stop_gradient(input, name=None):  # noqa: A002  (TensorFlow's argument name)
    """The same values, cut off from every tape and from gradients."""
    return C["stop_gradient"](convert_to_tensor(input))
