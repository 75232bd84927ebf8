"""tf.strings: operations on string tensors (engine/strings.py).

Elementwise functions take string tensors, str/bytes or (nested) lists of them and
broadcast as numpy does.  None of them can be recorded into a C graph: each calls
`not_traceable` first, so a tf.function / Dataset.map function using them runs eagerly.

split() and bytes_split() return RaggedTensors in TensorFlow for inputs of rank >= 1;
RaggedTensor is not implemented here, so they accept a scalar input (1-D result) only."""
import re as _re

import numpy as np

from .. import _core
from ..engine import dtypes as _dt
from ..engine.function import not_traceable
from ..engine.strings import StringTensor, convert as _convert
from ..engine.tensor import convert_to_tensor as _ctt

_Err = _core.InvalidArgumentError

__all__ = ["as_string", "join", "length", "lower", "upper", "strip", "regex_full_match",
           "regex_replace", "split", "substr", "to_number", "format", "reduce_join",
           "bytes_split", "string_to_number"]


def _fmt(shape):
    return "[" + ",".join(str(d) for d in shape) + "]"


def _arr(x, op):
    """String input -> numpy object array of bytes."""
    if type(x) is StringTensor:
        return x._a
    if isinstance(x, _core.TensorBase) or hasattr(x, "_as_tensor"):
        raise TypeError(f"{op}: expected a string tensor, got a {_ctt(x).dtype.name} tensor")
    try:
        return _convert(x)._a
    except (TypeError, ValueError):
        raise TypeError(f"{op}: expected string input, got {x!r}") from None


def _wrap(a):
    """object array of bytes (or one bytes value) -> string tensor."""
    if not isinstance(a, np.ndarray):
        out = np.empty((), dtype=object)
        out[()] = a
        return StringTensor(out)
    return StringTensor(a)


def _map(f, a):
    """f over every element of object array a -> object array of the same shape."""
    out = np.empty(a.shape, dtype=object)
    if a.ndim == 0:
        out[()] = f(a[()])
    elif a.size:
        out.reshape(-1)[:] = [f(v) for v in a.reshape(-1).tolist()]
    return out


def _num(a, dtype):
    return _ctt(np.asarray(a, dtype=dtype.as_numpy_dtype))


def _scalar_str(x, what, op):
    if isinstance(x, str):
        return x
    if isinstance(x, bytes):
        return x.decode("utf-8")
    a = _arr(x, op)
    if a.ndim != 0:
        raise _Err(f"{op}: {what} must be a scalar string, got shape {_fmt(a.shape)}")
    return a[()].decode("utf-8")


# ---- as_string ---------------------------------------------------------------------

def as_string(input, precision=-1, scientific=False, shortest=False, width=-1, fill="",  # noqa: A002
              name=None):
    """tf.strings.as_string: each element formatted with C printf rules (as TF's AsString):
    `%[fill][width][.precision](d|f|e|g)`; bools as true/false."""
    not_traceable("tf.strings.as_string")
    if type(input) is StringTensor or isinstance(input, (str, bytes)):
        a = _arr(input, "AsString")
        kind = "S"
    else:
        t = input if isinstance(input, _core.TensorBase) else _ctt(input)
        a = t.numpy()
        kind = t.dtype.name
    if scientific and shortest:
        raise _Err("Cannot select both scientific and shortest notation")
    fill = fill.decode() if isinstance(fill, bytes) else str(fill)
    if len(fill) > 1:
        raise _Err("Fill string must be one or fewer characters")
    if fill and fill not in " +-0#":
        raise _Err(f'Fill argument not supported: "{fill}"')
    fmt = "%" + fill
    if width > -1:
        fmt += str(int(width))
    is_float = kind.startswith("float")
    if not is_float:
        if precision > -1:
            raise _Err(f"precision not supported for datatype {_dtname(kind)}")
        if scientific or shortest:
            raise _Err(f"scientific and shortest format not supported for datatype {_dtname(kind)}")
    if precision > -1:
        fmt += "." + str(int(precision))
    if is_float:
        fmt += "g" if shortest else ("e" if scientific else "f")
        conv = float
    elif kind == "bool":
        fmt += "s"
        conv = lambda v: "true" if v else "false"  # noqa: E731
    elif kind == "S":
        fmt += "s"
        conv = lambda v: v.decode("utf-8", "surrogateescape")  # noqa: E731
    else:
        fmt += "d"
        conv = int
    fmt_nonfinite = fmt.replace("0", "", 1) if is_float and "0" in fill else fmt

    def one(v):
        v = conv(v)
        f = fmt if not is_float or v - v == 0 else fmt_nonfinite   # printf pads inf/nan with spaces
        return (f % v).encode("utf-8", "surrogateescape")

    if np.ndim(a) == 0:
        return _wrap(one(a.item() if isinstance(a, np.generic) else a[()] if
                         isinstance(a, np.ndarray) else a))
    out = np.empty(a.shape, dtype=object)
    if a.size:
        out.reshape(-1)[:] = [one(v) for v in a.reshape(-1).tolist()]
    return StringTensor(out)


def _dtname(kind):
    return {"S": "string"}.get(kind, kind)


# ---- join / length / case / strip ---------------------------------------------------

def join(inputs, separator="", name=None):
    """tf.strings.join: elementwise concatenation of a list of string tensors (scalars
    broadcast), with `separator` between them."""
    not_traceable("tf.strings.join")
    if type(inputs) is StringTensor or isinstance(inputs, (str, bytes)):
        inputs = [inputs]
    arrs = [_arr(x, "StringJoin") for x in inputs]
    sep = separator.encode() if isinstance(separator, str) else bytes(separator)
    if not arrs:
        return _wrap(b"")
    if all(a.ndim == 0 for a in arrs):
        return _wrap(sep.join(a[()] for a in arrs))
    try:
        shape = np.broadcast_shapes(*[a.shape for a in arrs])
    except ValueError:
        raise _Err("StringJoin: Input shapes do not match: " +
                   " vs. ".join(_fmt(a.shape) for a in arrs)) from None
    bs = [np.broadcast_to(a, shape).reshape(-1).tolist() for a in arrs]
    out = np.empty(int(np.prod(shape)), dtype=object)
    out[:] = [sep.join(parts) for parts in zip(*bs)]
    return StringTensor(out.reshape(shape))


def length(input, unit="BYTE", name=None):  # noqa: A002
    """tf.strings.length: int32 lengths in bytes (unit='BYTE') or Unicode code points
    (unit='UTF8_CHAR')."""
    not_traceable("tf.strings.length")
    a = _arr(input, "StringLength")
    if unit == "BYTE":
        f = len
    elif unit == "UTF8_CHAR":
        def f(b):
            return len(b.decode("utf-8", "replace"))
    else:
        raise ValueError(f"unit must be one of ('BYTE', 'UTF8_CHAR'), got {unit!r}")
    return _num(_map(f, a), _dt.int32)


def _case(input, encoding, op, fn):  # noqa: A002
    a = _arr(input, op)
    if encoding in ("", None):
        f = getattr(bytes, fn)          # ASCII only, as TF without an encoding
    elif str(encoding).lower().replace("-", "") == "utf8":
        def f(b):
            return getattr(b.decode("utf-8"), fn)().encode("utf-8")
    else:
        raise _Err(f"{op}: encoding must be '' or 'utf-8', got {encoding!r}")
    return StringTensor(_map(f, a))


def lower(input, encoding="", name=None):  # noqa: A002
    not_traceable("tf.strings.lower")
    return _case(input, encoding, "StringLower", "lower")


def upper(input, encoding="", name=None):  # noqa: A002
    not_traceable("tf.strings.upper")
    return _case(input, encoding, "StringUpper", "upper")


def strip(input, name=None):  # noqa: A002
    """tf.strings.strip: leading and trailing ASCII whitespace removed."""
    not_traceable("tf.strings.strip")
    return StringTensor(_map(bytes.strip, _arr(input, "StringStrip")))


# ---- regular expressions (Python's re in place of RE2: same syntax for common patterns) --

def _regex(pattern, op):
    p = _scalar_str(pattern, "pattern", op)
    try:
        return _re.compile(p.encode("utf-8"))
    except _re.error as e:
        raise _Err(f"{op}: Invalid pattern: {p}, error: {e}") from None


def regex_full_match(input, pattern, name=None):  # noqa: A002
    not_traceable("tf.strings.regex_full_match")
    a = _arr(input, "RegexFullMatch")
    r = _regex(pattern, "RegexFullMatch")
    return _num(_map(lambda b: r.fullmatch(b) is not None, a), _dt.bool)


def regex_replace(input, pattern, rewrite, replace_global=True, name=None):  # noqa: A002
    """tf.strings.regex_replace: `rewrite` may use \\1..\\9 (and \\0, the whole match)."""
    not_traceable("tf.strings.regex_replace")
    a = _arr(input, "RegexReplace")
    r = _regex(pattern, "RegexReplace")
    rw = _scalar_str(rewrite, "rewrite", "RegexReplace").replace("\\0", "\\g<0>").encode("utf-8")
    count = 0 if replace_global else 1
    return StringTensor(_map(lambda b: r.sub(rw, b, count=count), a))


# ---- split / substr / bytes_split ---------------------------------------------------

def split(input, sep=None, maxsplit=-1, name=None):  # noqa: A002
    """tf.strings.split of a scalar string -> 1-D string tensor (TF gives a RaggedTensor for
    inputs of rank >= 1: not supported here).  sep None or '': split on whitespace runs."""
    not_traceable("tf.strings.split")
    a = _arr(input, "StringSplit")
    if a.ndim != 0:
        raise NotImplementedError(
            "tf.strings.split of a tensor of rank >= 1 returns a RaggedTensor, which minikeras "
            "does not implement: split scalars (e.g. inside Dataset.map) instead")
    b = a[()]
    n = -1 if maxsplit is None else int(maxsplit)
    if sep is None or sep in ("", b""):
        parts = b.split(None, n) if n >= 0 else b.split()
    else:
        s = sep.encode() if isinstance(sep, str) else _scalar_str(sep, "sep", "StringSplit").encode()
        parts = b.split(s, n) if n >= 0 else b.split(s)
    out = np.empty(len(parts), dtype=object)
    out[:] = parts
    return StringTensor(out)


def bytes_split(input, name=None):  # noqa: A002
    """tf.strings.bytes_split of a scalar string -> 1-D tensor of one-byte strings."""
    not_traceable("tf.strings.bytes_split")
    a = _arr(input, "BytesSplit")
    if a.ndim != 0:
        raise NotImplementedError("tf.strings.bytes_split of rank >= 1 returns a RaggedTensor, "
                                  "which minikeras does not implement: split scalars instead")
    b = a[()]
    out = np.empty(len(b), dtype=object)
    out[:] = [b[i:i + 1] for i in range(len(b))]
    return StringTensor(out)


def substr(input, pos, len, unit="BYTE", name=None):  # noqa: A002
    """tf.strings.substr: `len` characters from `pos` (negative pos counts from the end);
    pos out of range is an error, len past the end is clipped.  pos/len broadcast."""
    not_traceable("tf.strings.substr")
    a = _arr(input, "Substr")
    p = np.asarray(pos.numpy() if isinstance(pos, _core.TensorBase) else pos)
    n = np.asarray(len.numpy() if isinstance(len, _core.TensorBase) else len)
    if unit not in ("BYTE", "UTF8_CHAR"):
        raise ValueError(f"unit must be one of ('BYTE', 'UTF8_CHAR'), got {unit!r}")
    try:
        shape = np.broadcast_shapes(a.shape, p.shape, n.shape)
    except ValueError:
        raise _Err(f"Substr: pos {_fmt(p.shape)} and len {_fmt(n.shape)} must match the input "
                   f"shape {_fmt(a.shape)}") from None

    def one(i, s, ps, ln):
        u = s.decode("utf-8") if unit == "UTF8_CHAR" else s
        m = builtins_len(u)
        if not -m <= ps <= m:
            raise _Err(f"pos {ps} out of range for string b'{s.decode('utf-8', 'replace')}' at "
                       f"index {i}")
        if ps < 0:
            ps += m
        r = u[ps:ps + max(int(ln), 0)]
        return r.encode("utf-8") if unit == "UTF8_CHAR" else r

    aa = np.broadcast_to(a, shape).reshape(-1).tolist()
    pp = np.broadcast_to(p, shape).reshape(-1).tolist()
    nn = np.broadcast_to(n, shape).reshape(-1).tolist()
    out = np.empty(builtins_len(aa), dtype=object)
    out[:] = [one(i, s, int(x), int(y)) for i, (s, x, y) in enumerate(zip(aa, pp, nn))]
    return StringTensor(out.reshape(shape))


builtins_len = len


# ---- numbers -----------------------------------------------------------------------

def _parse(b, is_int):
    s = b.decode("utf-8", "replace").strip()
    try:
        if is_int:
            if not _re.fullmatch(r"[+-]?\d+", s):
                raise ValueError
            return int(s)
        return float(s)
    except ValueError:
        raise _Err(f"StringToNumberOp could not correctly convert string: "
                   f"{b.decode('utf-8', 'replace')}") from None


def to_number(string_tensor, out_type=_dt.float32, name=None):
    """tf.strings.to_number: parse each string as out_type (float32, float64, int32, int64)."""
    not_traceable("tf.strings.to_number")
    a = _arr(string_tensor, "StringToNumber")
    dt = _dt.as_dtype(out_type)
    if dt not in (_dt.float32, _dt.float64, _dt.int32, _dt.int64):
        raise TypeError(f"Value passed to parameter 'out_type' has DataType {dt.name} not in list "
                        f"of allowed values: float32, float64, int32, int64")
    vals = _map(lambda b: _parse(b, dt.is_integer), a)
    if dt.is_integer:
        info = np.iinfo(dt.as_numpy_dtype)
        for v in vals.reshape(-1):
            if not info.min <= v <= info.max:
                raise _Err(f"StringToNumberOp could not correctly convert string: {v}")
    return _num(vals, dt)


string_to_number = to_number


# ---- format / reduce_join ----------------------------------------------------------

def _tensor_text(x, summarize):
    from ..engine.function import _format_value
    if type(x) is StringTensor:
        a = x._a
        if a.ndim == 0:
            return '"' + a[()].decode("utf-8", "replace") + '"'     # as TF: s="q"
        return str(np.vectorize(lambda b: '"' + b.decode("utf-8", "replace") + '"',
                                otypes=[object])(a)).replace("'", "")
    if isinstance(x, _core.TensorBase) or hasattr(x, "_as_tensor"):
        return _format_value(_ctt(x), summarize)
    if isinstance(x, np.ndarray):
        return _format_value(_ctt(x), summarize)
    return str(x)


def format(template, inputs, placeholder="{}", summarize=3, name=None):  # noqa: A001
    """tf.strings.format: each `placeholder` in template replaced by the next input printed
    as tf.print prints it."""
    not_traceable("tf.strings.format")
    if not isinstance(inputs, (list, tuple)):
        inputs = [inputs]
    t = template.decode() if isinstance(template, bytes) else str(template)
    pieces = t.split(placeholder)
    if builtins_len(pieces) - 1 != builtins_len(inputs):
        raise ValueError(f"num placeholders in template and num inputs must match: "
                         f"{builtins_len(pieces) - 1} vs. {builtins_len(inputs)}")
    out = pieces[0]
    for x, p in zip(inputs, pieces[1:]):
        out += _tensor_text(x, summarize) + p
    return _wrap(out.encode("utf-8"))


def reduce_join(inputs, axis=None, keepdims=False, separator="", name=None):
    """tf.strings.reduce_join: join along `axis` (None: all axes)."""
    not_traceable("tf.strings.reduce_join")
    a = _arr(inputs, "ReduceJoin")
    sep = separator.encode() if isinstance(separator, str) else bytes(separator)
    r = a.ndim
    if axis is None:
        axes = tuple(range(r))
    else:
        ax = axis.numpy().tolist() if isinstance(axis, _core.TensorBase) else axis
        axes = tuple(int(x) for x in (ax if isinstance(ax, (list, tuple)) else [ax]))
        for x in axes:
            if not -r <= x < r:
                raise _Err(f"ReduceJoin: Invalid reduction dimension {x} for input with {r} dimensions")
        axes = tuple(sorted({x % r for x in axes}))
    keep = [d for d in range(r) if d not in axes]
    m = np.transpose(a, keep + list(axes))
    kshape = tuple(a.shape[d] for d in keep)
    flat = m.reshape((int(np.prod(kshape)), -1)) if a.size else np.empty((int(np.prod(kshape)), 0), object)
    out = np.empty(flat.shape[0], dtype=object)
    out[:] = [sep.join(row) for row in flat.tolist()]
    out = out.reshape(kshape)
    if keepdims:
        out = out.reshape(tuple(1 if d in axes else a.shape[d] for d in range(r)))
    return StringTensor(out) if out.ndim else _wrap(out[()])
