"""Gradients of the elementwise family (csrc/kernels/elementwise.c)."""
import math

from ... import _core
from . import register, unbroadcast

C = _core.ops


def _s(x, v):
    """Python scalar as a 0-d tensor of x's dtype."""
    return _core.scalar(v, x._dtype_id)


def _binary(fa, fb):
    def rule(op, dy):
        a, b = op.inputs
        need_a, need_b = getattr(op, "needs", (True, True))
        ga = None if fa is None or not need_a else unbroadcast(fa(op, dy), a._shape)
        gb = None if fb is None or not need_b else unbroadcast(fb(op, dy), b._shape)
        return [ga, gb]
    return rule


register("add")(_binary(lambda op, dy: dy, lambda op, dy: dy))
register("subtract")(_binary(lambda op, dy: dy, lambda op, dy: C["negative"](dy)))
register("multiply")(_binary(lambda op, dy: dy * op.inputs[1], lambda op, dy: dy * op.inputs[0]))
register("divide")(_binary(lambda op, dy: dy / op.inputs[1],
                           lambda op, dy: C["negative"](dy) * op.inputs[0] / C["square"](op.inputs[1])))
register("squared_difference")(_binary(
    lambda op, dy: dy * _s(dy, 2.0) * (op.inputs[0] - op.inputs[1]),
    lambda op, dy: dy * _s(dy, -2.0) * (op.inputs[0] - op.inputs[1])))


@register("pow")
def _pow(op, dy):
    x, y = op.inputs
    z = op.outputs[0]
    need_x, need_y = getattr(op, "needs", (True, True))
    gx = dy * y * C["pow"](x, y - _s(y, 1.0))
    if not need_y:
        return [unbroadcast(gx, x._shape), None]
    # d/dy x^y = x^y log x, defined as 0 where x <= 0 (as TensorFlow)
    pos = C["greater"](x, _s(x, 0.0))
    safe_x = C["where"](pos, x, x * _s(x, 0.0) + _s(x, 1.0))
    gy = dy * z * C["where"](pos, C["log"](safe_x), x * _s(x, 0.0))
    return [unbroadcast(gx, x._shape), unbroadcast(gy, y._shape)]


def _select_rule(cmp_name):
    def rule(op, dy):
        x, y = op.inputs
        need_x, need_y = getattr(op, "needs", (True, True))
        take_x = C[cmp_name](x, y)
        zero = dy * _s(dy, 0.0)
        return [unbroadcast(C["where"](take_x, dy, zero), x._shape) if need_x else None,
                unbroadcast(C["where"](take_x, zero, dy), y._shape) if need_y else None]
    return rule


register("maximum")(_select_rule("greater_equal"))
register("minimum")(_select_rule("less_equal"))


@register("floordiv")
def _floordiv(op, dy):
    return [None, None]


@register("mod")
def _mod(op, dy):
    x, y = op.inputs
    need_x, need_y = getattr(op, "needs", (True, True))
    return [unbroadcast(dy, x._shape) if need_x else None,
            unbroadcast(C["negative"](dy) * C["floor"](x / y), y._shape) if need_y else None]


def _unary(fn):
    def rule(op, dy):
        return [fn(op.inputs[0], op.outputs[0], dy, op.floats)]
    return rule


def reg_unary(name, fn):
    register(name)(_unary(fn))


reg_unary("negative", lambda x, y, dy, f: C["negative"](dy))
reg_unary("abs", lambda x, y, dy, f: dy * C["sign"](x))
reg_unary("sign", lambda x, y, dy, f: dy * _s(dy, 0.0))
reg_unary("square", lambda x, y, dy, f: dy * _s(x, 2.0) * x)
reg_unary("exp", lambda x, y, dy, f: dy * y)
reg_unary("expm1", lambda x, y, dy, f: dy * (y + _s(y, 1.0)))
reg_unary("log", lambda x, y, dy, f: dy / x)
reg_unary("log1p", lambda x, y, dy, f: dy / (x + _s(x, 1.0)))
reg_unary("sqrt", lambda x, y, dy, f: dy * _s(y, 0.5) / y)
reg_unary("rsqrt", lambda x, y, dy, f: dy * _s(y, -0.5) * y * y * y)
reg_unary("reciprocal", lambda x, y, dy, f: C["negative"](dy) * y * y)
reg_unary("sin", lambda x, y, dy, f: dy * C["cos"](x))
reg_unary("cos", lambda x, y, dy, f: C["negative"](dy) * C["sin"](x))
reg_unary("tan", lambda x, y, dy, f: dy * (_s(y, 1.0) + y * y))
reg_unary("tanh", lambda x, y, dy, f: C["tanh_grad"](dy, y))
reg_unary("sigmoid", lambda x, y, dy, f: C["sigmoid_grad"](dy, y))
reg_unary("relu", lambda x, y, dy, f: C["relu_grad"](dy, y))
reg_unary("relu6", lambda x, y, dy, f: C["where"](
    C["logical_and"](C["greater"](x, _s(x, 0.0)), C["less"](x, _s(x, 6.0))), dy, dy * _s(dy, 0.0)))
reg_unary("leaky_relu", lambda x, y, dy, f: C["where"](C["greater"](x, _s(x, 0.0)), dy, dy * _s(dy, f[0])))
reg_unary("elu", lambda x, y, dy, f: C["where"](C["greater"](x, _s(x, 0.0)), dy, dy * (y + _s(y, f[0]))))
_SELU_A, _SELU_S = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946
reg_unary("selu", lambda x, y, dy, f: C["where"](
    C["greater"](x, _s(x, 0.0)), dy * _s(dy, _SELU_S), dy * (y + _s(y, _SELU_S * _SELU_A))))
reg_unary("softplus", lambda x, y, dy, f: dy * C["sigmoid"](x))
reg_unary("softsign", lambda x, y, dy, f: dy / C["square"](_s(x, 1.0) + C["abs"](x)))
reg_unary("erf", lambda x, y, dy, f: dy * _s(x, 2.0 / math.sqrt(math.pi)) * C["exp"](C["negative"](x * x)))
reg_unary("gelu", lambda x, y, dy, f: dy * (
    _s(x, 0.5) * (_s(x, 1.0) + C["erf"](x * _s(x, 1 / math.sqrt(2.0))))
    + x * _s(x, 1 / math.sqrt(2 * math.pi)) * C["exp"](x * x * _s(x, -0.5))))


def _gelu_tanh(x, y, dy, f):
    k = math.sqrt(2.0 / math.pi)
    inner = _s(x, k) * (x + _s(x, 0.044715) * x * x * x)
    t = C["tanh"](inner)
    dinner = _s(x, k) * (_s(x, 1.0) + _s(x, 3 * 0.044715) * x * x)
    return dy * (_s(x, 0.5) * (_s(x, 1.0) + t) + _s(x, 0.5) * x * (_s(x, 1.0) - t * t) * dinner)


reg_unary("gelu_tanh", _gelu_tanh)


def _silu(x, y, dy, f):
    s = C["sigmoid"](x)
    return dy * (s + x * s * (_s(x, 1.0) - s))


reg_unary("silu", _silu)
reg_unary("hard_sigmoid", lambda x, y, dy, f: C["where"](
    C["logical_and"](C["greater"](x, _s(x, -2.5)), C["less"](x, _s(x, 2.5))),
    dy * _s(dy, 0.2), dy * _s(dy, 0.0)))


# second derivatives through the fused gradient kernels
@register("relu_grad")
def _relu_grad_grad(op, ddx):
    dy, y = op.inputs
    return [unbroadcast(C["relu_grad"](ddx, y), dy._shape), None]


@register("sigmoid_grad")
def _sigmoid_grad_grad(op, ddx):
    dy, y = op.inputs
    one = _s(y, 1.0)
    return [unbroadcast(C["sigmoid_grad"](ddx, y), dy._shape),
            unbroadcast(ddx * dy * (one - _s(y, 2.0) * y), y._shape)]


@register("tanh_grad")
def _tanh_grad_grad(op, ddx):
    dy, y = op.inputs
    return [unbroadcast(C["tanh_grad"](ddx, y), dy._shape), unbroadcast(ddx * dy * _s(y, -2.0) * y, y._shape)]


@register("where")
def _where(op, dy):
    cond, a, b = op.inputs
    _, need_a, need_b = getattr(op, "needs", (True, True, True))
    zero = dy * _s(dy, 0.0)
    return [None, unbroadcast(C["where"](cond, dy, zero), a._shape) if need_a else None,
            unbroadcast(C["where"](cond, zero, dy), b._shape) if need_b else None]


@register("cast")
def _cast(op, dy):
    x = op.inputs[0]
    from ..dtypes import ALL
    if not ALL[x._dtype_id].is_floating:
        return [None]
    return [C["cast"](dy, ints=(x._dtype_id,))]


@register("copy")
def _copy(op, dy):
    return [dy]
