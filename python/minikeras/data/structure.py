"""Nested element structures of tf.data (tuples, namedtuples, dicts of tensors) and the
conversion of user values (numpy, pandas, lists, str) into tensors."""
import numpy as np

from .. import _core
from ..engine import dtypes as _dt
from ..engine.tensor import TensorShape, convert_to_tensor
from ..engine.tensor_spec import TensorSpec, most_specific_shape

try:    # string tensors (engine/strings.py, helper "strings"); absent in numeric-only builds
    from ..engine import strings as _strings
except ImportError:    # pragma: no cover
    _strings = None


# ---- nest ---------------------------------------------------------------------------------

def is_nested(x):
    return isinstance(x, (tuple, list, dict))


def _sorted_keys(d):
    try:
        return sorted(d)
    except TypeError:
        return list(d)


def flatten(struct):
    """Leaves in TF's order (dict values by sorted key)."""
    if not isinstance(struct, (tuple, list, dict)):
        return [struct]
    if type(struct) is tuple:
        for v in struct:
            if isinstance(v, (tuple, list, dict)):
                break
        else:
            return list(struct)
    out = []
    _flatten(struct, out)
    return out


def _flatten(s, out):
    if isinstance(s, dict):
        for k in _sorted_keys(s):
            _flatten(s[k], out)
    elif isinstance(s, (tuple, list)):
        for v in s:
            _flatten(v, out)
    else:
        out.append(s)


def pack_as(struct, leaves):
    """The structure of `struct` with its leaves replaced by `leaves` (in flatten order)."""
    it = iter(leaves)
    return _pack(struct, it)


def _pack(s, it):
    if isinstance(s, dict):
        vals = {k: _pack(s[k], it) for k in _sorted_keys(s)}
        return type(s)((k, vals[k]) for k in s) if type(s) is not dict else {k: vals[k] for k in s}
    if isinstance(s, tuple) and hasattr(s, "_fields"):
        return type(s)(*[_pack(v, it) for v in s])
    if isinstance(s, (tuple, list)):
        return type(s)(_pack(v, it) for v in s)
    return next(it)


def map_structure(fn, *structs):
    flat = [flatten(s) for s in structs]
    n = len(flat[0])
    for f in flat[1:]:
        if len(f) != n:
            raise ValueError("The two structures don't have the same number of elements.")
    return pack_as(structs[0], [fn(*xs) for xs in zip(*flat)])


def assert_same_structure(a, b):
    if _skeleton(a) != _skeleton(b):
        raise TypeError(f"The two structures don't have the same nested structure.\n\n"
                        f"First structure: {a}\n\nSecond structure: {b}")


def _skeleton(s):
    if isinstance(s, dict):
        return ("d", tuple((k, _skeleton(s[k])) for k in _sorted_keys(s)))
    if isinstance(s, (tuple, list)):
        return ("t", tuple(_skeleton(v) for v in s))
    return "."


def lists_to_tuples(s):
    if isinstance(s, dict):
        return type(s)((k, lists_to_tuples(v)) for k, v in s.items()) if type(s) is not dict \
            else {k: lists_to_tuples(v) for k, v in s.items()}
    if isinstance(s, tuple) and hasattr(s, "_fields"):
        return type(s)(*[lists_to_tuples(v) for v in s])
    if isinstance(s, (tuple, list)):
        return tuple(lists_to_tuples(v) for v in s)
    return s


# ---- tensors ------------------------------------------------------------------------------

def is_string_tensor(x):
    return _strings is not None and _strings.is_string_tensor(x)


def is_string_dtype(d):
    return getattr(d, "name", None) == "string"


def is_tensor(x):
    return isinstance(x, _core.TensorBase) or is_string_tensor(x)


def _string_leaf(a):
    if _strings is None:
        raise TypeError("tf.data: string values need string tensors (engine/strings.py), which "
                        "this build lacks")
    return _strings.string_tensor(np.asarray(a, dtype=object))


def to_tensor(x, dtype=None):
    """A tf.data leaf as a tensor (numeric or string), TF's conversion rules."""
    if isinstance(x, _core.TensorBase) or is_string_tensor(x):
        return x
    if hasattr(x, "_as_tensor"):
        return x._as_tensor()
    if isinstance(x, (str, bytes)):
        return _string_leaf(x)
    if type(x).__module__.startswith("pandas"):
        x = x.to_numpy() if hasattr(x, "to_numpy") else np.asarray(x)
    if isinstance(x, (np.ndarray, np.generic)):
        if x.dtype.kind in "USO":
            return _string_leaf(x)
        return convert_to_tensor(x, dtype=dtype)
    if isinstance(x, (list, tuple)):
        flat = []
        _flatten(x, flat)
        if flat and all(isinstance(v, (str, bytes)) for v in flat):
            return _string_leaf(np.asarray(x, dtype=object))
        if any(is_string_tensor(v) for v in flat):
            return _strings.stack([to_tensor(v) for v in x])
    return convert_to_tensor(x, dtype=dtype)


def normalize_element(value, convert_lists=True):
    """A user structure -> the same structure of tensors (lists become tuples when
    `convert_lists`, as the outputs of map functions; otherwise a list is one tensor)."""
    if isinstance(value, dict):
        out = {k: normalize_element(v, convert_lists) for k, v in value.items()}
        return out if type(value) is dict else type(value)(out.items())
    if isinstance(value, tuple) and hasattr(value, "_fields"):
        return type(value)(*[normalize_element(v, convert_lists) for v in value])
    if isinstance(value, tuple) or (convert_lists and isinstance(value, list)):
        return tuple(normalize_element(v, convert_lists) for v in value)
    return to_tensor(value)


def spec_of(element):
    return map_structure(lambda t: TensorSpec(t.shape, t.dtype), element)


def relax_specs(a, b):
    """The most specific spec structure compatible with both."""
    assert_same_structure(a, b)

    def one(x, y):
        if x.dtype != y.dtype:
            raise TypeError(f"Incompatible dataset elements: {x} vs {y}")
        return TensorSpec(most_specific_shape(x.shape, y.shape), x.dtype)
    return map_structure(one, a, b)


def shape_str(spec):
    return str(spec.shape)


def format_repr(name, spec):
    """TF 2.5's `<NameDataset shapes: ..., types: ...>`."""
    shapes = str(_map_keep(spec, lambda s: str(s.shape))).replace("'", "")
    types = str(_map_keep(spec, lambda s: repr(s.dtype))).replace("'", "")
    return f"<{name} shapes: {shapes}, types: {types}>"


def _map_keep(s, fn):
    if isinstance(s, dict):
        return {k: _map_keep(v, fn) for k, v in s.items()}
    if isinstance(s, tuple) and hasattr(s, "_fields"):
        return type(s)(*[_map_keep(v, fn) for v in s])
    if isinstance(s, (tuple, list)):
        return type(s)(_map_keep(v, fn) for v in s)
    return fn(s)


def zeros_for_spec(spec, unknown=None):
    """A structure of zero tensors for a numeric spec of known ranks, its unknown dimensions
    set to `unknown` (None: the spec must be fully defined), or None when impossible."""
    leaves = flatten(spec)
    out = []
    for s in leaves:
        if is_string_dtype(s.dtype) or s.shape.rank is None:
            return None
        dims = s.shape.as_list()
        if None in dims:
            if unknown is None:
                return None
            dims = [unknown if d is None else d for d in dims]
        out.append(convert_to_tensor(np.zeros(dims, s.dtype.as_numpy_dtype)))
    return pack_as(spec, out)


__all__ = ["flatten", "pack_as", "map_structure", "normalize_element", "spec_of", "to_tensor",
           "is_string_tensor", "TensorSpec", "TensorShape"]
