/* Elementwise family: unary math, broadcasting binary arithmetic, comparisons,
 * logical ops, select (where), cast and copy.  Backward rules are composed from
 * these ops in Python; only the hot activation gradients have fused kernels
 * here (relu_grad, sigmoid_grad, tanh_grad), next to their forwards. */
#include "loops.h"
#include "vmath.h"
#include <math.h>

#define CHUNK 16384

/* ---- the loop skeletons ------------------------------------------------- */

/* Run BODY(t) for t in [0, tasks): on the OpenMP threads when the tensor is big,
 * else inline (no thread-pool call at all for small tensors). */
#define RUN_TASKS(total, tasks, ...)                                                     \
    if ((total) >= MK_PAR_MIN && (tasks) > 1) {                                          \
        _Pragma("omp parallel for schedule(dynamic, 1)")                                 \
        for (int64_t t = 0; t < (tasks); t++) __VA_ARGS__                                \
    } else {                                                                             \
        for (int64_t t = 0; t < (tasks); t++) __VA_ARGS__                                \
    }

/* out[i] = EXPR(x = a[i], y = b[i]) with broadcasting; TI input type, TO output type.
 * Work is split into CHUNK-long pieces of a row of the collapsed output, or, when rows are
 * short (a bias added to [N*H*W, C]), into groups of rows of about CHUNK elements: one
 * task per 32-element row spent most of its time in the dynamic scheduler. */
#define BIN_KERNEL(fname, TI, TO, EXPR)                                                   \
    static void fname(mk_call *c) {                                                      \
        mk_tensor *O = c->out[0];                                                        \
        int64_t st[3][MK_MAXDIM];                                                        \
        mk_contiguous_strides(O->ndim, O->shape, st[0]);                                 \
        mk_broadcast_strides(c->in[0], O->ndim, O->shape, st[1]);                        \
        mk_broadcast_strides(c->in[1], O->ndim, O->shape, st[2]);                        \
        mk_loop L;                                                                       \
        mk_loop_init(&L, O->ndim, O->shape, 3, st);                                      \
        TO *o = mk_data(O);                                                              \
        const TI *a = mk_data(c->in[0]), *b = mk_data(c->in[1]);                         \
        int64_t rows = mk_loop_rows(&L), n = L.shape[L.ndim - 1];                        \
        int64_t sa = L.st[1][L.ndim - 1], sb = L.st[2][L.ndim - 1];                      \
        if (n == 0) return;                                                              \
        int64_t nch = (n + CHUNK - 1) / CHUNK, rpt = n >= CHUNK ? 1 : CHUNK / n;         \
        int64_t tasks = (rows + rpt - 1) / rpt * nch;                                    \
        RUN_TASKS(rows * n, tasks, {                                                     \
          int64_t g = t / nch, i0 = (t % nch) * CHUNK, i1 = i0 + CHUNK;                  \
          if (i1 > n) i1 = n;                                                            \
          int64_t r1 = (g + 1) * rpt < rows ? (g + 1) * rpt : rows;                      \
          for (int64_t r = g * rpt; r < r1; r++) {                                       \
            int64_t off[3];                                                              \
            mk_loop_row(&L, r, off);                                                     \
            TO *po = o + off[0];                                                         \
            const TI *pa = a + off[1], *pb = b + off[2];                                 \
            if (sa == 1 && sb == 1) {                                                    \
                for (int64_t i = i0; i < i1; i++) { TI x = pa[i], y = pb[i]; po[i] = (EXPR); } \
            } else if (sa == 1 && sb == 0) {                                             \
                TI y = pb[0];                                                            \
                for (int64_t i = i0; i < i1; i++) { TI x = pa[i]; po[i] = (EXPR); }      \
            } else if (sa == 0 && sb == 1) {                                             \
                TI x = pa[0];                                                            \
                for (int64_t i = i0; i < i1; i++) { TI y = pb[i]; po[i] = (EXPR); }      \
            } else {                                                                     \
                for (int64_t i = i0; i < i1; i++) {                                      \
                    TI x = pa[i * sa], y = pb[i * sb];                                   \
                    po[i] = (EXPR);                                                      \
                }                                                                        \
            }                                                                            \
          }                                                                              \
        })                                                                               \
    }

/* out[i] = EXPR(x = a[i]) for a (possibly strided) input; output contiguous.
 * alpha, beta: the op's float attributes (leaky_relu's slope, elu's alpha). */
#define UN_KERNEL(fname, TI, TO, EXPR)                                                    \
    static void fname(mk_call *c) {                                                      \
        mk_tensor *O = c->out[0];                                                        \
        int64_t st[3][MK_MAXDIM];                                                        \
        mk_contiguous_strides(O->ndim, O->shape, st[0]);                                 \
        mk_broadcast_strides(c->in[0], O->ndim, O->shape, st[1]);                        \
        mk_loop L;                                                                       \
        mk_loop_init(&L, O->ndim, O->shape, 2, st);                                      \
        TO *o = mk_data(O);                                                              \
        const TI *a = mk_data(c->in[0]);                                                 \
        const double alpha = c->a.f[0], beta = c->a.f[1];                                \
        (void)alpha; (void)beta;                                                         \
        int64_t rows = mk_loop_rows(&L), n = L.shape[L.ndim - 1];                        \
        int64_t sa = L.st[1][L.ndim - 1];                                                \
        if (n == 0) return;                                                              \
        int64_t nch = (n + CHUNK - 1) / CHUNK, rpt = n >= CHUNK ? 1 : CHUNK / n;         \
        int64_t tasks = (rows + rpt - 1) / rpt * nch;                                    \
        RUN_TASKS(rows * n, tasks, {                                                     \
          int64_t g = t / nch, i0 = (t % nch) * CHUNK, i1 = i0 + CHUNK;                  \
          if (i1 > n) i1 = n;                                                            \
          int64_t r1 = (g + 1) * rpt < rows ? (g + 1) * rpt : rows;                      \
          for (int64_t r = g * rpt; r < r1; r++) {                                       \
            int64_t off[3];                                                              \
            mk_loop_row(&L, r, off);                                                     \
            TO *po = o + off[0];                                                         \
            const TI *pa = a + off[1];                                                   \
            if (sa == 1) {                                                               \
                for (int64_t i = i0; i < i1; i++) { TI x = pa[i]; po[i] = (EXPR); }      \
            } else {                                                                     \
                for (int64_t i = i0; i < i1; i++) { TI x = pa[i * sa]; po[i] = (EXPR); } \
            }                                                                            \
          }                                                                              \
        })                                                                               \
    }

/* ---- infer -------------------------------------------------------------- */

enum { ANY = 0, NUMERIC, FLOATING, BOOLEAN, INTEGER };

static int dtype_ok(int dt, int kind) {
    switch (kind) {
    case NUMERIC: return dt != MK_BOOL;
    case FLOATING: return mk_dtypes[dt].is_float;
    case BOOLEAN: return dt == MK_BOOL;
    case INTEGER: return mk_dtypes[dt].is_int;
    }
    return 1;
}

static int check_kind(mk_call *c, int kind) {
    static const char *kname[] = {"any", "numeric", "floating-point", "bool", "integer"};
    for (int i = 0; i < c->nin; i++)
        if (!dtype_ok(c->in[i]->dtype, kind))
            return mk_err(c, "expects %s tensors, got %s", kname[kind], mk_dtypes[c->in[i]->dtype].name);
    return 0;
}

static int infer_binary_kind(mk_call *c, int kind, int out_dtype) {
    if (mk_same_dtype(c) < 0 || check_kind(c, kind) < 0) return -1;
    mk_meta *m = &c->meta[0];
    if (mk_broadcast_shapes(c, c->in[0]->ndim, c->in[0]->shape, c->in[1]->ndim, c->in[1]->shape,
                            &m->ndim, m->shape) < 0) return -1;
    m->dtype = out_dtype >= 0 ? out_dtype : c->in[0]->dtype;
    m->view = 0;
    return 0;
}
static int infer_binary_num(mk_call *c) { return infer_binary_kind(c, NUMERIC, -1); }
static int infer_binary_float(mk_call *c) { return infer_binary_kind(c, FLOATING, -1); }
static int infer_compare(mk_call *c) { return infer_binary_kind(c, ANY, MK_BOOL); }
static int infer_logical(mk_call *c) { return infer_binary_kind(c, BOOLEAN, MK_BOOL); }

static int infer_unary_kind(mk_call *c, int kind, int out_dtype) {
    if (check_kind(c, kind) < 0) return -1;
    mk_meta_set(&c->meta[0], out_dtype >= 0 ? out_dtype : c->in[0]->dtype, c->in[0]->ndim, c->in[0]->shape);
    return 0;
}
static int infer_unary_num(mk_call *c) { return infer_unary_kind(c, NUMERIC, -1); }
static int infer_unary_float(mk_call *c) { return infer_unary_kind(c, FLOATING, -1); }
static int infer_unary_float_to_bool(mk_call *c) { return infer_unary_kind(c, FLOATING, MK_BOOL); }
static int infer_logical_not(mk_call *c) { return infer_unary_kind(c, BOOLEAN, -1); }
static int infer_copy(mk_call *c) { return infer_unary_kind(c, ANY, -1); }

static int infer_cast(mk_call *c) {
    if (c->a.ni < 1 || c->a.i[0] < 0 || c->a.i[0] >= MK_NDTYPE) return mk_err(c, "bad target dtype");
    mk_meta_set(&c->meta[0], (int)c->a.i[0], c->in[0]->ndim, c->in[0]->shape);
    return 0;
}

/* ---- binary arithmetic -------------------------------------------------- */

#define DISPATCH_NUM(NM)                                                               \
    static int k_##NM(mk_call *c) {                                                    \
        switch (c->in[0]->dtype) {                                                       \
        case MK_F32: NM##_f32(c); break;                                               \
        case MK_F64: NM##_f64(c); break;                                               \
        case MK_I32: NM##_i32(c); break;                                               \
        case MK_I64: NM##_i64(c); break;                                               \
        case MK_U8: NM##_u8(c); break;                                                 \
        default: return mk_err(c, "unsupported dtype %s", mk_dtypes[c->in[0]->dtype].name); \
        }                                                                                \
        return 0;                                                                        \
    }
#define DISPATCH_FLOAT(NM)                                                             \
    static int k_##NM(mk_call *c) {                                                    \
        switch (c->in[0]->dtype) {                                                       \
        case MK_F32: NM##_f32(c); break;                                               \
        case MK_F64: NM##_f64(c); break;                                               \
        default: return mk_err(c, "unsupported dtype %s", mk_dtypes[c->in[0]->dtype].name); \
        }                                                                                \
        return 0;                                                                        \
    }

#define BIN_NUM(NM, FEXPR, IEXPR)                                                      \
    BIN_KERNEL(NM##_f32, float, float, FEXPR)                                          \
    BIN_KERNEL(NM##_f64, double, double, FEXPR)                                        \
    BIN_KERNEL(NM##_i32, int32_t, int32_t, IEXPR)                                      \
    BIN_KERNEL(NM##_i64, int64_t, int64_t, IEXPR)                                      \
    BIN_KERNEL(NM##_u8, uint8_t, uint8_t, IEXPR)                                       \
    DISPATCH_NUM(NM)

/* integer division by zero gives 0 (TF on CPU raises; a crash is never an option) */
#define IDIV_FLOOR(x, y) ((y) == 0 ? 0 : (((x) / (y)) - (((x) % (y) != 0) && (((x) < 0) != ((y) < 0)))))
#define IMOD_FLOOR(x, y) ((y) == 0 ? 0 : ((((x) % (y)) != 0 && ((((x) % (y)) < 0) != ((y) < 0))) ? ((x) % (y)) + (y) : ((x) % (y))))

static inline double fmod_floor(double x, double y) {
    double r = fmod(x, y);
    if (r != 0 && ((r < 0) != (y < 0))) r += y;
    return r;
}
static inline int64_t ipow(int64_t b, int64_t e) {
    if (e < 0) return b == 1 ? 1 : (b == -1 ? ((e & 1) ? -1 : 1) : 0);
    int64_t r = 1;
    while (e) { if (e & 1) r *= b; b *= b; e >>= 1; }
    return r;
}

BIN_NUM(add, x + y, x + y)
BIN_NUM(sub, x - y, x - y)
BIN_NUM(mul, x * y, x * y)
BIN_NUM(div, x / y, (y == 0 ? 0 : x / y))
BIN_NUM(floordiv, floor((double)x / (double)y), IDIV_FLOOR(x, y))
BIN_NUM(mod, fmod_floor(x, y), IMOD_FLOOR(x, y))
BIN_NUM(pow, pow(x, y), ipow(x, y))
BIN_NUM(maximum, (x > y || x != x) ? x : y, x > y ? x : y)
BIN_NUM(minimum, (x < y || x != x) ? x : y, x < y ? x : y)
BIN_NUM(sqdiff, (x - y) * (x - y), (x - y) * (x - y))

/* ---- comparisons and logic (output bool) ------------------------------------ */

#define BIN_CMP(NM, EXPR)                                                              \
    BIN_KERNEL(NM##_f32, float, uint8_t, EXPR)                                         \
    BIN_KERNEL(NM##_f64, double, uint8_t, EXPR)                                        \
    BIN_KERNEL(NM##_i32, int32_t, uint8_t, EXPR)                                       \
    BIN_KERNEL(NM##_i64, int64_t, uint8_t, EXPR)                                       \
    BIN_KERNEL(NM##_u8, uint8_t, uint8_t, EXPR)                                        \
    static int k_##NM(mk_call *c) {                                                    \
        switch (c->in[0]->dtype) {                                                       \
        case MK_F32: NM##_f32(c); break;                                               \
        case MK_F64: NM##_f64(c); break;                                               \
        case MK_I32: NM##_i32(c); break;                                               \
        case MK_I64: NM##_i64(c); break;                                               \
        default: NM##_u8(c); break;                                                    \
        }                                                                                \
        return 0;                                                                        \
    }
BIN_CMP(less, x < y)
BIN_CMP(less_equal, x <= y)
BIN_CMP(equal, x == y)
BIN_CMP(not_equal, x != y)
BIN_CMP(greater, x > y)
BIN_CMP(greater_equal, x >= y)

BIN_KERNEL(land_u8, uint8_t, uint8_t, x && y)
BIN_KERNEL(lor_u8, uint8_t, uint8_t, x || y)
BIN_KERNEL(lxor_u8, uint8_t, uint8_t, (!x) != (!y))
static int k_logical_and(mk_call *c) { land_u8(c); return 0; }
static int k_logical_or(mk_call *c) { lor_u8(c); return 0; }
static int k_logical_xor(mk_call *c) { lxor_u8(c); return 0; }
UN_KERNEL(lnot_u8, uint8_t, uint8_t, !x)
static int k_logical_not(mk_call *c) { lnot_u8(c); return 0; }

/* ---- unary math ------------------------------------------------------------ */

#define UN_FLOAT(NM, EXPR)                                                             \
    UN_KERNEL(NM##_f32, float, float, EXPR)                                            \
    UN_KERNEL(NM##_f64, double, double, EXPR)                                          \
    DISPATCH_FLOAT(NM)
#define UN_NUM(NM, FEXPR, IEXPR)                                                       \
    UN_KERNEL(NM##_f32, float, float, FEXPR)                                           \
    UN_KERNEL(NM##_f64, double, double, FEXPR)                                         \
    UN_KERNEL(NM##_i32, int32_t, int32_t, IEXPR)                                       \
    UN_KERNEL(NM##_i64, int64_t, int64_t, IEXPR)                                       \
    UN_KERNEL(NM##_u8, uint8_t, uint8_t, IEXPR)                                        \
    DISPATCH_NUM(NM)

/* float math in the input's precision: f for float, plain for double */
#define FM(fn, x) (sizeof(x) == 4 ? fn##f((float)(x)) : fn((double)(x)))

#define SELU_ALPHA 1.6732632423543772848170429916717
#define SELU_SCALE 1.0507009873554804934193349852946

UN_NUM(neg, -x, -x)
UN_NUM(abs, FM(fabs, x), (x < 0 ? -x : x))
UN_NUM(sign, x != x ? x : (x > 0) - (x < 0), (x > 0) - (x < 0))   /* NaN stays NaN; +-inf -> +-1 (TF) */
UN_NUM(square, x * x, x * x)
UN_FLOAT(exp, sizeof(x) == 4 ? mk_expf((float)x) : exp((double)x))
UN_FLOAT(expm1, FM(expm1, x))
UN_FLOAT(log, FM(log, x))
UN_FLOAT(log1p, FM(log1p, x))
UN_FLOAT(sqrt, FM(sqrt, x))
UN_FLOAT(rsqrt, 1 / FM(sqrt, x))
UN_FLOAT(reciprocal, 1 / x)
UN_FLOAT(sin, FM(sin, x))
UN_FLOAT(cos, FM(cos, x))
UN_FLOAT(tan, FM(tan, x))
UN_FLOAT(tanh, sizeof(x) == 4 ? mk_tanhf((float)x) : tanh((double)x))
UN_FLOAT(sigmoid, sizeof(x) == 4 ? mk_sigmoidf((float)x) : (x >= 0 ? 1 / (1 + exp(-(double)x)) : exp((double)x) / (1 + exp((double)x))))
UN_FLOAT(relu, x < 0 ? 0 : x)   /* NaN passes through, as TensorFlow */
UN_FLOAT(relu6, x < 0 ? 0 : (x > 6 ? 6 : x))
UN_FLOAT(leaky_relu, x > 0 ? x : x * alpha)
UN_FLOAT(elu, x > 0 ? x : (sizeof(x) == 4 ? (float)alpha * (mk_expf((float)x) - 1.0f) : alpha * expm1((double)x)))
UN_FLOAT(selu, x > 0 ? SELU_SCALE * x : SELU_SCALE * SELU_ALPHA * FM(expm1, x))
UN_FLOAT(softplus, x > 0 ? x + FM(log1p, FM(exp, -x)) : FM(log1p, FM(exp, x)))
UN_FLOAT(softsign, x / (1 + FM(fabs, x)))
UN_FLOAT(gelu, 0.5 * x * (1 + FM(erf, x * 0.70710678118654752440)))
UN_FLOAT(gelu_tanh, 0.5 * x * (1 + FM(tanh, 0.7978845608028654 * (x + 0.044715 * x * x * x))))
UN_FLOAT(silu, sizeof(x) == 4 ? x * mk_sigmoidf((float)x) : x / (1 + exp(-(double)x)))
UN_FLOAT(hard_sigmoid, x * 0.2 + 0.5 < 0 ? 0 : (x * 0.2 + 0.5 > 1 ? 1 : x * 0.2 + 0.5))
UN_FLOAT(floor, FM(floor, x))
UN_FLOAT(ceil, FM(ceil, x))
UN_FLOAT(round, FM(rint, x))      /* round half to even, as TensorFlow */
UN_FLOAT(erf, FM(erf, x))

#define UN_TEST(NM, EXPR)                                                              \
    UN_KERNEL(NM##_f32, float, uint8_t, EXPR)                                          \
    UN_KERNEL(NM##_f64, double, uint8_t, EXPR)                                         \
    DISPATCH_FLOAT(NM)
UN_TEST(is_nan, isnan(x))
UN_TEST(is_inf, isinf(x))
UN_TEST(is_finite, isfinite(x))

/* ---- fused activation gradients: dx = f(dy, y) ------------------------------ */
BIN_KERNEL(relu_grad_f32, float, float, y > 0 ? x : 0)
BIN_KERNEL(relu_grad_f64, double, double, y > 0 ? x : 0)
DISPATCH_FLOAT(relu_grad)
BIN_KERNEL(sigmoid_grad_f32, float, float, x * y * (1 - y))
BIN_KERNEL(sigmoid_grad_f64, double, double, x * y * (1 - y))
DISPATCH_FLOAT(sigmoid_grad)
BIN_KERNEL(tanh_grad_f32, float, float, x * (1 - y * y))
BIN_KERNEL(tanh_grad_f64, double, double, x * (1 - y * y))
DISPATCH_FLOAT(tanh_grad)

/* ---- where(cond, a, b): broadcasting select ---------------------------------- */

static int infer_where(mk_call *c) {
    if (c->in[0]->dtype != MK_BOOL) return mk_err(c, "condition must be bool, got %s",
                                                  mk_dtypes[c->in[0]->dtype].name);
    if (c->in[1]->dtype != c->in[2]->dtype)
        return mk_err(c, "x and y must have the same dtype, got %s and %s",
                      mk_dtypes[c->in[1]->dtype].name, mk_dtypes[c->in[2]->dtype].name);
    int n1; int64_t s1[MK_MAXDIM];
    mk_meta *m = &c->meta[0];
    if (mk_broadcast_shapes(c, c->in[1]->ndim, c->in[1]->shape, c->in[2]->ndim, c->in[2]->shape, &n1, s1) < 0
        || mk_broadcast_shapes(c, c->in[0]->ndim, c->in[0]->shape, n1, s1, &m->ndim, m->shape) < 0)
        return -1;
    m->dtype = c->in[1]->dtype;
    m->view = 0;
    return 0;
}

static int k_where(mk_call *c) {
    mk_tensor *O = c->out[0];
    int isz = mk_dtypes[O->dtype].itemsize;
    int64_t sc[MK_MAXDIM], sa[MK_MAXDIM], sb[MK_MAXDIM], idx[MK_MAXDIM] = {0};
    mk_broadcast_strides(c->in[0], O->ndim, O->shape, sc);
    mk_broadcast_strides(c->in[1], O->ndim, O->shape, sa);
    mk_broadcast_strides(c->in[2], O->ndim, O->shape, sb);
    const uint8_t *cp = mk_data(c->in[0]);
    const char *ap = mk_data(c->in[1]), *bp = mk_data(c->in[2]);
    char *op = mk_data(O);
    int64_t n = mk_numel(O);
    int64_t oc = 0, oa = 0, ob = 0;
    for (int64_t i = 0; i < n; i++) {
        memcpy(op + i * isz, cp[oc] ? ap + oa * isz : bp + ob * isz, isz);
        for (int d = O->ndim - 1; d >= 0; d--) {
            idx[d]++;
            oc += sc[d]; oa += sa[d]; ob += sb[d];
            if (idx[d] < O->shape[d]) break;
            oc -= sc[d] * idx[d]; oa -= sa[d] * idx[d]; ob -= sb[d] * idx[d];
            idx[d] = 0;
        }
    }
    return 0;
}

/* ---- cast and copy ------------------------------------------------------- */

/* generic strided walk converting element by element through double / int64 */
static int k_cast(mk_call *c) {
    mk_tensor *I = c->in[0], *O = c->out[0];
    int64_t n = mk_numel(O), idx[MK_MAXDIM] = {0}, off = 0;
    const char *ip = mk_data(I);
    char *op = mk_data(O);
    int sdt = I->dtype, ddt = O->dtype;
    int isz = mk_dtypes[sdt].itemsize, osz = mk_dtypes[ddt].itemsize;
    int src_int = !mk_dtypes[sdt].is_float, dst_int = !mk_dtypes[ddt].is_float;
    for (int64_t i = 0; i < n; i++) {
        const char *p = ip + off * isz;
        double d = 0; int64_t v = 0;
        switch (sdt) {
        case MK_F32: d = *(const float *)p; break;
        case MK_F64: d = *(const double *)p; break;
        case MK_F16: d = (double)*(const _Float16 *)p; break;
        case MK_I32: v = *(const int32_t *)p; break;
        case MK_I64: v = *(const int64_t *)p; break;
        default: v = *(const uint8_t *)p; break;
        }
        if (src_int) d = (double)v;
        else if (dst_int) v = isfinite(d) ? (d >= 9.2e18 ? INT64_MAX : d <= -9.2e18 ? INT64_MIN : (int64_t)d) : 0;
        char *q = op + i * osz;
        switch (ddt) {
        case MK_F32: *(float *)q = (float)d; break;
        case MK_F64: *(double *)q = d; break;
        case MK_F16: *(_Float16 *)q = (_Float16)d; break;
        case MK_I32: *(int32_t *)q = (int32_t)v; break;
        case MK_I64: *(int64_t *)q = v; break;
        case MK_U8: *(uint8_t *)q = (uint8_t)v; break;
        case MK_BOOL: *(uint8_t *)q = src_int ? v != 0 : d != 0; break;
        }
        for (int k = I->ndim - 1; k >= 0; k--) {
            idx[k]++;
            off += I->strides[k];
            if (idx[k] < I->shape[k]) break;
            off -= I->strides[k] * idx[k];
            idx[k] = 0;
        }
    }
    (void)dst_int;
    return 0;
}

/* float32 <-> float32/float16 fast paths matter for mixed precision; the
 * generic cast covers the rest */
static int k_cast_fast(mk_call *c) {
    mk_tensor *I = c->in[0], *O = c->out[0];
    int64_t n = mk_numel(O);
    if (mk_is_contiguous(I)) {
        if (I->dtype == MK_F32 && O->dtype == MK_F64) {
            const float *a = mk_data(I); double *o = mk_data(O);
            for (int64_t i = 0; i < n; i++) o[i] = a[i];
            return 0;
        }
        if (I->dtype == MK_F64 && O->dtype == MK_F32) {
            const double *a = mk_data(I); float *o = mk_data(O);
            for (int64_t i = 0; i < n; i++) o[i] = (float)a[i];
            return 0;
        }
        if (I->dtype == MK_F16 && O->dtype == MK_F32) {
            const _Float16 *a = mk_data(I); float *o = mk_data(O);
            for (int64_t i = 0; i < n; i++) o[i] = (float)a[i];
            return 0;
        }
        if (I->dtype == MK_F32 && O->dtype == MK_F16) {
            const float *a = mk_data(I); _Float16 *o = mk_data(O);
            for (int64_t i = 0; i < n; i++) o[i] = (_Float16)a[i];
            return 0;
        }
        if (I->dtype == O->dtype) {
            memcpy(mk_data(O), mk_data(I), n * mk_dtypes[I->dtype].itemsize);
            return 0;
        }
    }
    return k_cast(c);
}

/* copy into a fresh contiguous tensor (any dtype, any strides) */
static int k_copy(mk_call *c) {
    mk_tensor *I = c->in[0], *O = c->out[0];
    int isz = mk_dtypes[I->dtype].itemsize;
    int64_t n = mk_numel(O);
    if (mk_is_contiguous(I)) { memcpy(mk_data(O), mk_data(I), n * isz); return 0; }
    int64_t st[3][MK_MAXDIM];
    mk_contiguous_strides(O->ndim, O->shape, st[0]);
    memcpy(st[1], I->strides, sizeof(int64_t) * I->ndim);
    mk_loop L;
    mk_loop_init(&L, O->ndim, O->shape, 2, st);
    int64_t rows = mk_loop_rows(&L), len = L.shape[L.ndim - 1], sa = L.st[1][L.ndim - 1];
    const char *a = mk_data(I);
    char *o = mk_data(O);
    #pragma omp parallel for schedule(static) if (n >= MK_PAR_MIN)
    for (int64_t r = 0; r < rows; r++) {
        int64_t off[3];
        mk_loop_row(&L, r, off);
        char *po = o + off[0] * isz;
        const char *pa = a + off[1] * isz;
        switch (isz) {
        case 4: for (int64_t i = 0; i < len; i++) ((int32_t *)po)[i] = ((const int32_t *)pa)[i * sa]; break;
        case 8: for (int64_t i = 0; i < len; i++) ((int64_t *)po)[i] = ((const int64_t *)pa)[i * sa]; break;
        case 2: for (int64_t i = 0; i < len; i++) ((int16_t *)po)[i] = ((const int16_t *)pa)[i * sa]; break;
        default: for (int64_t i = 0; i < len; i++) po[i] = pa[i * sa]; break;
        }
    }
    return 0;
}

/* ---- registration ---------------------------------------------------------- */

#define REG_N(ID, n, infer, kern, fl) \
    mk_ops[MK_OP_##ID] = (mk_opdef){NULL, n, 1, (fl) | MK_OP_ELEMENTWISE, infer, {kern}}

void mk_register_elementwise(void) {
    REG_N(ADD, 2, infer_binary_num, k_add, 0);
    REG_N(SUB, 2, infer_binary_num, k_sub, 0);
    REG_N(MUL, 2, infer_binary_num, k_mul, 0);
    REG_N(DIV, 2, infer_binary_num, k_div, 0);
    REG_N(FLOORDIV, 2, infer_binary_num, k_floordiv, 0);
    REG_N(MOD, 2, infer_binary_num, k_mod, 0);
    REG_N(POW, 2, infer_binary_num, k_pow, 0);
    REG_N(MAXIMUM, 2, infer_binary_num, k_maximum, 0);
    REG_N(MINIMUM, 2, infer_binary_num, k_minimum, 0);
    REG_N(SQUARED_DIFFERENCE, 2, infer_binary_num, k_sqdiff, 0);
    REG_N(LESS, 2, infer_compare, k_less, MK_OP_NONDIFF);
    REG_N(LESS_EQUAL, 2, infer_compare, k_less_equal, MK_OP_NONDIFF);
    REG_N(EQUAL, 2, infer_compare, k_equal, MK_OP_NONDIFF);
    REG_N(NOT_EQUAL, 2, infer_compare, k_not_equal, MK_OP_NONDIFF);
    REG_N(GREATER, 2, infer_compare, k_greater, MK_OP_NONDIFF);
    REG_N(GREATER_EQUAL, 2, infer_compare, k_greater_equal, MK_OP_NONDIFF);
    REG_N(LOGICAL_AND, 2, infer_logical, k_logical_and, MK_OP_NONDIFF);
    REG_N(LOGICAL_OR, 2, infer_logical, k_logical_or, MK_OP_NONDIFF);
    REG_N(LOGICAL_XOR, 2, infer_logical, k_logical_xor, MK_OP_NONDIFF);
    REG_N(LOGICAL_NOT, 1, infer_logical_not, k_logical_not, MK_OP_NONDIFF);
    REG_N(NEG, 1, infer_unary_num, k_neg, 0);
    REG_N(ABS, 1, infer_unary_num, k_abs, 0);
    REG_N(SIGN, 1, infer_unary_num, k_sign, 0);
    REG_N(SQUARE, 1, infer_unary_num, k_square, 0);
#define FLOAT_UNARY(ID, k) REG_N(ID, 1, infer_unary_float, k, 0)
    FLOAT_UNARY(EXP, k_exp); FLOAT_UNARY(EXPM1, k_expm1); FLOAT_UNARY(LOG, k_log);
    FLOAT_UNARY(LOG1P, k_log1p); FLOAT_UNARY(SQRT, k_sqrt); FLOAT_UNARY(RSQRT, k_rsqrt);
    FLOAT_UNARY(RECIPROCAL, k_reciprocal); FLOAT_UNARY(SIN, k_sin); FLOAT_UNARY(COS, k_cos);
    FLOAT_UNARY(TAN, k_tan); FLOAT_UNARY(TANH, k_tanh); FLOAT_UNARY(SIGMOID, k_sigmoid);
    FLOAT_UNARY(RELU, k_relu); FLOAT_UNARY(RELU6, k_relu6); FLOAT_UNARY(LEAKY_RELU, k_leaky_relu);
    FLOAT_UNARY(ELU, k_elu); FLOAT_UNARY(SELU, k_selu); FLOAT_UNARY(SOFTPLUS, k_softplus);
    FLOAT_UNARY(SOFTSIGN, k_softsign); FLOAT_UNARY(GELU, k_gelu); FLOAT_UNARY(GELU_TANH, k_gelu_tanh);
    FLOAT_UNARY(SILU, k_silu); FLOAT_UNARY(HARD_SIGMOID, k_hard_sigmoid); FLOAT_UNARY(ERF, k_erf);
    mk_ops[MK_OP_FLOOR] = (mk_opdef){NULL, 1, 1, MK_OP_NONDIFF | MK_OP_ELEMENTWISE, infer_unary_float, {k_floor}};
    mk_ops[MK_OP_CEIL] = (mk_opdef){NULL, 1, 1, MK_OP_NONDIFF | MK_OP_ELEMENTWISE, infer_unary_float, {k_ceil}};
    mk_ops[MK_OP_ROUND] = (mk_opdef){NULL, 1, 1, MK_OP_NONDIFF | MK_OP_ELEMENTWISE, infer_unary_float, {k_round}};
    REG_N(IS_NAN, 1, infer_unary_float_to_bool, k_is_nan, MK_OP_NONDIFF);
    REG_N(IS_INF, 1, infer_unary_float_to_bool, k_is_inf, MK_OP_NONDIFF);
    REG_N(IS_FINITE, 1, infer_unary_float_to_bool, k_is_finite, MK_OP_NONDIFF);
    REG_N(RELU_GRAD, 2, infer_binary_float, k_relu_grad, 0);
    REG_N(SIGMOID_GRAD, 2, infer_binary_float, k_sigmoid_grad, 0);
    REG_N(TANH_GRAD, 2, infer_binary_float, k_tanh_grad, 0);
    REG_N(WHERE, 3, infer_where, k_where, MK_OP_F16_NATIVE);
    REG_N(CAST, 1, infer_cast, k_cast_fast, MK_OP_F16_NATIVE);
    REG_N(COPY, 1, infer_copy, k_copy, MK_OP_F16_NATIVE);
    REG_N(STOP_GRADIENT, 1, infer_copy, k_copy, MK_OP_F16_NATIVE | MK_OP_NONDIFF);

}
