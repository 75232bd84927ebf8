"""Gradient rules: one table, op name -> rule(op, *dys) -> [grad per input].

Rules are composed of ops, so they run on any device, are recorded by an
outer tape (second derivatives) and by a graph being traced.  Each op family
keeps its rules in gradients/<family>.py; importing this package loads them all."""
import importlib
import pkgutil

from ... import _core

C = _core.ops
REGISTRY = {}


class OpRecord:
    """One taped op as a rule sees it."""

    __slots__ = ("name", "inputs", "outputs", "ints", "floats")

    def __init__(self, name, inputs, outputs, ints, floats):
        self.name, self.inputs, self.outputs, self.ints, self.floats = name, inputs, outputs, ints, floats


def register(op_name):
    def deco(fn):
        if op_name in REGISTRY:
            raise ValueError(f"gradient for {op_name} registered twice")
        REGISTRY[op_name] = fn
        return fn
    return deco


def axes_mask(axes):
    m = 0
    for a in axes:
        m |= 1 << a
    return m


def unbroadcast(g, shape):
    """Sum g over the axes that broadcasting added or stretched, to get `shape`."""
    shape = tuple(shape)
    gs = g._shape
    if gs == shape:
        return g
    lead = len(gs) - len(shape)
    axes = [i for i in range(len(gs)) if i < lead or (shape[i - lead] == 1 and gs[i] != 1)]
    if axes:
        g = C["reduce_sum"](g, ints=(1, axes_mask(axes)))
    if g._shape != shape:
        g = C["reshape"](g, ints=shape)
    return g


def _load_all():
    for m in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{m.name}")


_load_all()
