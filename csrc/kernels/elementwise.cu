/* Elementwise family on the GPU: the CUDA twin of elementwise.c.  Same ops, same dtypes, same
 * arithmetic: integer division / modulo by zero give 0, floor division and modulo follow the
 * divisor's sign, float32 floordiv / mod / pow / leaky_relu / selu / softplus / softsign / gelu /
 * hard_sigmoid are computed in double exactly as the CPU expressions are (C promotes them there),
 * round is half-to-even (rint), comparisons and logic write bool bytes 0/1, bool is read as bytes.
 *
 * One launch plan for every op (run_unary / run_binary / run_where):
 *  - the output shape and the operands' broadcast strides are collapsed (size-1 axes dropped,
 *    adjacent axes merged where every operand allows it), as loops.h does on the CPU;
 *  - when n < 2^31 and every operand reads element i of the output at (i / inner) % cnt of a
 *    dense block (a flat operand, a 1-element operand, a row bias [C] of [N, C], a channel bias
 *    [C, 1, 1] of [N, C, H, W]...), a 32-bit "fast" kernel runs, processing VEC elements per
 *    step (16-byte loads / stores: float4 for float32) where the pointers are aligned;
 *  - anything else (transposed / sliced / reversed views, odd broadcasts, n >= 2^31) takes the
 *    general kernel, which computes each operand's offset from the collapsed geometry
 *    (32-bit divisions when n < 2^31, 64-bit otherwise).
 * float16 only reaches where / cast / copy (MK_OP_F16_NATIVE); mk_exec computes the others
 * through float32 casts, which run here too. */
#include "cuda_common.cuh"
#include <math_constants.h>
#include <type_traits>

namespace {

/* ---- dtypes ------------------------------------------------------------------------------ */

/* storage type of a dtype; bool is a byte, read as uint8 as the CPU kernels do */
template <int DT> struct dt_t;
template <> struct dt_t<MK_F32> { typedef float T; };
template <> struct dt_t<MK_F16> { typedef __half T; };
template <> struct dt_t<MK_F64> { typedef double T; };
template <> struct dt_t<MK_I32> { typedef int32_t T; };
template <> struct dt_t<MK_I64> { typedef int64_t T; };
template <> struct dt_t<MK_U8> { typedef uint8_t T; };
template <> struct dt_t<MK_BOOL> { typedef uint8_t T; };

/* (infer rejects these first: only reached if a dtype is added without a kernel) */
static const char *dt_name(int dt) { return dt >= 0 && dt < MK_NDTYPE ? mk_dtypes[dt].name : "?"; }
#define BAD_DTYPE(c, dt) mkg_err(c, "unsupported dtype %s on the GPU", dt_name(dt))

/* numeric dtypes (infer_*_num): float32, float64, int32, int64, uint8 */
#define DISPATCH_NUM(c, dt, T, ...)                                                       \
    switch (dt) {                                                                          \
    case MK_F32: { typedef float T; __VA_ARGS__; }                                                \
    case MK_F64: { typedef double T; __VA_ARGS__; }                                               \
    case MK_I32: { typedef int32_t T; __VA_ARGS__; }                                              \
    case MK_I64: { typedef int64_t T; __VA_ARGS__; }                                              \
    case MK_U8: { typedef uint8_t T; __VA_ARGS__; }                                               \
    default: return BAD_DTYPE(c, dt);                                                      \
    }
/* numeric + bool (comparisons): bool compares as bytes */
#define DISPATCH_CMP(c, dt, T, ...)                                                       \
    switch (dt) {                                                                          \
    case MK_F32: { typedef float T; __VA_ARGS__; }                                                \
    case MK_F64: { typedef double T; __VA_ARGS__; }                                               \
    case MK_I32: { typedef int32_t T; __VA_ARGS__; }                                              \
    case MK_I64: { typedef int64_t T; __VA_ARGS__; }                                              \
    case MK_U8: case MK_BOOL: { typedef uint8_t T; __VA_ARGS__; }                                 \
    default: return BAD_DTYPE(c, dt);                                                      \
    }
#define DISPATCH_FLOAT(c, dt, T, ...)                                                     \
    switch (dt) {                                                                          \
    case MK_F32: { typedef float T; __VA_ARGS__; }                                                \
    case MK_F64: { typedef double T; __VA_ARGS__; }                                               \
    default: return BAD_DTYPE(c, dt);                                                      \
    }

/* ---- geometry ------------------------------------------------------------------------------ */

#define NOPS_MAX 3

/* collapsed output shape and the operands' strides (elements; 0 on broadcast axes) */
struct Geo {
    int ndim;
    int64_t shape[MK_MAXDIM];
    int64_t st[NOPS_MAX][MK_MAXDIM];
};

static Geo make_geo(const mk_tensor *O, int nops, mk_tensor *const *ins) {
    int64_t bst[NOPS_MAX][MK_MAXDIM];
    for (int k = 0; k < nops; k++) {
        const mk_tensor *t = ins[k];
        int lead = O->ndim - t->ndim;
        for (int d = 0; d < O->ndim; d++)
            bst[k][d] = (d < lead || t->shape[d - lead] == 1) ? 0 : t->strides[d - lead];
    }
    Geo g;
    memset(&g, 0, sizeof g);
    for (int d = 0; d < O->ndim; d++) {
        int64_t s = O->shape[d];
        if (s == 1) continue;
        if (g.ndim > 0) {   /* merge into the previous (outer) axis when every operand allows it */
            int k = g.ndim - 1;
            bool merge = true;
            for (int o = 0; o < nops; o++)
                if (g.st[o][k] != bst[o][d] * s) merge = false;
            if (merge) {
                g.shape[k] *= s;
                for (int o = 0; o < nops; o++) g.st[o][k] = bst[o][d];
                continue;
            }
        }
        g.shape[g.ndim] = s;
        for (int o = 0; o < nops; o++) g.st[o][g.ndim] = bst[o][d];
        g.ndim++;
    }
    if (g.ndim == 0) { g.ndim = 1; g.shape[0] = 1; }   /* one element: strides stay 0 */
    return g;
}

/* How the fast kernel reads one operand at output index i:
 * FLAT: p[i]; SCALAR: p[0]; BCAST: p[(i / inner) % cnt] (a dense block broadcast along the
 * axes before it (leading) and after it (inner)).  ld: how a step of VEC outputs is read:
 * one aligned vector, one element for all, or element by element. */
enum { M_FLAT = 0, M_SCALAR, M_BCAST };
enum { LD_VEC = 0, LD_ONE, LD_EACH };
struct Map {
    int mode, ld;
    uint32_t inner, cnt;
};

/* Map of operand o, or false when its strides are no dense block (general kernel then). */
static bool classify(const Geo &g, int o, int64_t n, const void *p, int vec, int isz, Map *m) {
    int64_t inner = 1, cnt = 1, expect = 1;
    int phase = 0;   /* 0: trailing broadcast axes, 1: the dense block, 2: leading broadcast axes */
    for (int d = g.ndim - 1; d >= 0; d--) {
        int64_t s = g.st[o][d], len = g.shape[d];
        if (phase == 0) {
            if (s == 0) { inner *= len; continue; }
            phase = 1;
        }
        if (phase == 1) {
            if (s == expect) { cnt *= len; expect *= len; continue; }
            if (s != 0) return false;
            phase = 2;
        }
        if (s != 0) return false;
    }
    m->inner = (uint32_t)inner;
    m->cnt = (uint32_t)cnt;
    if (cnt == n) m->mode = M_FLAT;        /* inner is 1 then */
    else if (cnt == 1) m->mode = M_SCALAR;
    else m->mode = M_BCAST;
    bool al = ((uintptr_t)p % ((uintptr_t)vec * isz)) == 0;
    if (vec == 1 || m->mode == M_SCALAR || (m->mode == M_BCAST && inner % vec == 0)) m->ld = LD_ONE;
    else if (al && (m->mode == M_FLAT || (inner == 1 && cnt % vec == 0))) m->ld = LD_VEC;
    else m->ld = LD_EACH;
    return true;
}

__device__ __forceinline__ uint32_t map_idx(const Map &m, uint32_t i) {
    if (m.mode == M_FLAT) return i;
    if (m.mode == M_SCALAR) return 0;
    uint32_t j = m.inner == 1 ? i : i / m.inner;
    return j < m.cnt ? j : j % m.cnt;
}

template <typename T, int N> struct alignas(sizeof(T) * N) Vec { T v[N]; };

/* elements per step: 16 bytes of the wider of input and output */
template <typename TI, typename TO> constexpr int vec_of() {
    return 16 / (sizeof(TI) > sizeof(TO) ? sizeof(TI) : sizeof(TO));
}

/* the VEC elements of an operand for outputs i .. i+VEC-1 (i a multiple of VEC) */
template <int VEC, typename T>
__device__ __forceinline__ void load_step(T (&x)[VEC], const T *__restrict__ p, const Map &m, uint32_t i) {
    if (m.ld == LD_VEC) {
        Vec<T, VEC> v = *reinterpret_cast<const Vec<T, VEC> *>(p + map_idx(m, i));
#pragma unroll
        for (int k = 0; k < VEC; k++) x[k] = v.v[k];
    } else if (m.ld == LD_ONE) {
        T s = p[map_idx(m, i)];
#pragma unroll
        for (int k = 0; k < VEC; k++) x[k] = s;
    } else {
#pragma unroll
        for (int k = 0; k < VEC; k++) x[k] = p[map_idx(m, i + k)];
    }
}

/* offsets of element i in each operand from the collapsed geometry; IdxT is uint32_t when
 * n < 2^31 (every axis then fits 32 bits: 32-bit divisions), else int64_t */
template <typename IdxT, int NOPS>
__device__ __forceinline__ void geo_offsets(const Geo &g, IdxT i, int64_t (&off)[NOPS]) {
#pragma unroll
    for (int k = 0; k < NOPS; k++) off[k] = 0;
#pragma unroll
    for (int d = MK_MAXDIM - 1; d >= 0; d--) {
        if (d >= g.ndim) continue;
        IdxT r = i;
        if (d > 0) {   /* the outermost index needs no division: i < shape[0] there */
            IdxT s = (IdxT)g.shape[d];
            IdxT q = i / s;
            r = i - q * s;
            i = q;
        }
#pragma unroll
        for (int k = 0; k < NOPS; k++) off[k] += (int64_t)r * g.st[k][d];
    }
}

/* ---- kernels ------------------------------------------------------------------------------- */

template <int VEC, typename TI, typename TO, typename F>
__global__ void __launch_bounds__(MKG_THREADS)
un_fast(TO *__restrict__ o, const TI *__restrict__ a, Map ma, uint32_t n, F f) {
    const uint32_t tid = blockIdx.x * blockDim.x + threadIdx.x, stride = blockDim.x * gridDim.x;
    const uint32_t nv = n / VEC;
    for (uint32_t v = tid; v < nv; v += stride) {
        const uint32_t i = v * VEC;
        TI x[VEC];
        load_step<VEC>(x, a, ma, i);
        Vec<TO, VEC> r;
#pragma unroll
        for (int k = 0; k < VEC; k++) r.v[k] = (TO)f(x[k]);
        *reinterpret_cast<Vec<TO, VEC> *>(o + i) = r;
    }
    const uint32_t t = nv * VEC + tid;   /* the n % VEC tail: one element per thread */
    if (t < n) o[t] = (TO)f(a[map_idx(ma, t)]);
}

template <typename IdxT, typename TI, typename TO, typename F>
__global__ void __launch_bounds__(MKG_THREADS)
un_gen(TO *__restrict__ o, const TI *__restrict__ a, Geo g, IdxT n, F f) {
    for (IdxT i = (IdxT)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (IdxT)blockDim.x * gridDim.x) {
        int64_t off[1];
        geo_offsets<IdxT, 1>(g, i, off);
        o[i] = (TO)f(a[off[0]]);
    }
}

template <int VEC, typename TI, typename TO, typename F>
__global__ void __launch_bounds__(MKG_THREADS)
bin_fast(TO *__restrict__ o, const TI *__restrict__ a, const TI *__restrict__ b, Map ma, Map mb,
         uint32_t n, F f) {
    const uint32_t tid = blockIdx.x * blockDim.x + threadIdx.x, stride = blockDim.x * gridDim.x;
    const uint32_t nv = n / VEC;
    for (uint32_t v = tid; v < nv; v += stride) {
        const uint32_t i = v * VEC;
        TI x[VEC], y[VEC];
        load_step<VEC>(x, a, ma, i);
        load_step<VEC>(y, b, mb, i);
        Vec<TO, VEC> r;
#pragma unroll
        for (int k = 0; k < VEC; k++) r.v[k] = (TO)f(x[k], y[k]);
        *reinterpret_cast<Vec<TO, VEC> *>(o + i) = r;
    }
    const uint32_t t = nv * VEC + tid;
    if (t < n) o[t] = (TO)f(a[map_idx(ma, t)], b[map_idx(mb, t)]);
}

template <typename IdxT, typename TI, typename TO, typename F>
__global__ void __launch_bounds__(MKG_THREADS)
bin_gen(TO *__restrict__ o, const TI *__restrict__ a, const TI *__restrict__ b, Geo g, IdxT n, F f) {
    for (IdxT i = (IdxT)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (IdxT)blockDim.x * gridDim.x) {
        int64_t off[2];
        geo_offsets<IdxT, 2>(g, i, off);
        o[i] = (TO)f(a[off[0]], b[off[1]]);
    }
}

template <typename M>
__global__ void __launch_bounds__(MKG_THREADS)
where_fast(M *__restrict__ o, const uint8_t *__restrict__ cond, const M *__restrict__ a,
           const M *__restrict__ b, Map mc, Map ma, Map mb, uint32_t n) {
    for (uint32_t i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += blockDim.x * gridDim.x)
        o[i] = cond[map_idx(mc, i)] ? a[map_idx(ma, i)] : b[map_idx(mb, i)];
}

template <typename IdxT, typename M>
__global__ void __launch_bounds__(MKG_THREADS)
where_gen(M *__restrict__ o, const uint8_t *__restrict__ cond, const M *__restrict__ a,
          const M *__restrict__ b, Geo g, IdxT n) {
    for (IdxT i = (IdxT)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (IdxT)blockDim.x * gridDim.x) {
        int64_t off[3];
        geo_offsets<IdxT, 3>(g, i, off);
        o[i] = cond[off[0]] ? a[off[1]] : b[off[2]];
    }
}

/* ---- launch plans -------------------------------------------------------------------------- */

static bool aligned(const void *p, size_t a) { return ((uintptr_t)p % a) == 0; }

static const int64_t IDX32_MAX = INT32_MAX;   /* below it: 32-bit indexing */

template <typename TI, typename TO, typename F>
static int run_unary(mk_call *c, F f) {
    mk_tensor *O = c->out[0];
    const int64_t n = mk_numel(O);
    if (n == 0) return 0;
    const TI *a = mkg_ptr<TI>(c->in[0]);
    TO *o = mkg_ptr<TO>(O);
    Geo g = make_geo(O, 1, c->in);
    constexpr int VEC = vec_of<TI, TO>();
    Map ma;
    if (n < IDX32_MAX && aligned(o, VEC * sizeof(TO)) && classify(g, 0, n, a, VEC, sizeof(TI), &ma)) {
        un_fast<VEC, TI, TO, F><<<mkg_blocks((n + VEC - 1) / VEC), MKG_THREADS, 0, mkg_stream>>>(
            o, a, ma, (uint32_t)n, f);
    } else if (n < IDX32_MAX) {
        un_gen<uint32_t, TI, TO, F><<<mkg_blocks(n), MKG_THREADS, 0, mkg_stream>>>(o, a, g, (uint32_t)n, f);
    } else {
        un_gen<int64_t, TI, TO, F><<<mkg_blocks(n), MKG_THREADS, 0, mkg_stream>>>(o, a, g, n, f);
    }
    return mkg_check_launch(c);
}

template <typename TI, typename TO, typename F>
static int run_binary(mk_call *c, F f) {
    mk_tensor *O = c->out[0];
    const int64_t n = mk_numel(O);
    if (n == 0) return 0;
    const TI *a = mkg_ptr<TI>(c->in[0]), *b = mkg_ptr<TI>(c->in[1]);
    TO *o = mkg_ptr<TO>(O);
    Geo g = make_geo(O, 2, c->in);
    constexpr int VEC = vec_of<TI, TO>();
    Map ma, mb;
    if (n < IDX32_MAX && aligned(o, VEC * sizeof(TO)) && classify(g, 0, n, a, VEC, sizeof(TI), &ma)
        && classify(g, 1, n, b, VEC, sizeof(TI), &mb)) {
        bin_fast<VEC, TI, TO, F><<<mkg_blocks((n + VEC - 1) / VEC), MKG_THREADS, 0, mkg_stream>>>(
            o, a, b, ma, mb, (uint32_t)n, f);
    } else if (n < IDX32_MAX) {
        bin_gen<uint32_t, TI, TO, F><<<mkg_blocks(n), MKG_THREADS, 0, mkg_stream>>>(o, a, b, g, (uint32_t)n, f);
    } else {
        bin_gen<int64_t, TI, TO, F><<<mkg_blocks(n), MKG_THREADS, 0, mkg_stream>>>(o, a, b, g, n, f);
    }
    return mkg_check_launch(c);
}

template <typename M>
static int run_where(mk_call *c) {
    mk_tensor *O = c->out[0];
    const int64_t n = mk_numel(O);
    if (n == 0) return 0;
    const uint8_t *cond = mkg_ptr<uint8_t>(c->in[0]);
    const M *a = mkg_ptr<M>(c->in[1]), *b = mkg_ptr<M>(c->in[2]);
    M *o = mkg_ptr<M>(O);
    Geo g = make_geo(O, 3, c->in);
    Map mc, ma, mb;
    if (n < IDX32_MAX && classify(g, 0, n, cond, 1, 1, &mc) && classify(g, 1, n, a, 1, sizeof(M), &ma)
        && classify(g, 2, n, b, 1, sizeof(M), &mb)) {
        where_fast<M><<<mkg_blocks(n), MKG_THREADS, 0, mkg_stream>>>(o, cond, a, b, mc, ma, mb, (uint32_t)n);
    } else if (n < IDX32_MAX) {
        where_gen<uint32_t, M><<<mkg_blocks(n), MKG_THREADS, 0, mkg_stream>>>(o, cond, a, b, g, (uint32_t)n);
    } else {
        where_gen<int64_t, M><<<mkg_blocks(n), MKG_THREADS, 0, mkg_stream>>>(o, cond, a, b, g, n);
    }
    return mkg_check_launch(c);
}

/* ---- float math in the input's precision (the CPU's FM: f for float, plain for double) ---- */

#define MATH1(name)                                                                         \
    template <typename T> __device__ __forceinline__ T m_##name(T x) {                      \
        if constexpr (sizeof(T) == 4) return name##f(x);                                    \
        else return name(x);                                                                \
    }
MATH1(exp) MATH1(expm1) MATH1(log) MATH1(log1p) MATH1(sqrt) MATH1(sin) MATH1(cos) MATH1(tan)
MATH1(tanh) MATH1(erf) MATH1(floor) MATH1(ceil) MATH1(rint) MATH1(fabs)
#undef MATH1

template <typename T> __device__ __forceinline__ T m_inf() {
    if constexpr (sizeof(T) == 4) return CUDART_INF_F;
    else return CUDART_INF;
}

template <typename T> constexpr bool is_flt_v = std::is_floating_point<T>::value;
/* C's integer promotion made explicit: uint8 computes in int (as on the CPU) */
template <typename T> using prom_t = typename std::conditional<(sizeof(T) < 4), int, T>::type;

#define SELU_ALPHA 1.6732632423543772848170429916717
#define SELU_SCALE 1.0507009873554804934193349852946

/* ---- binary functors: T op(T x, T y) (comparisons: uint8_t) -------------------------------- */

#define BINF(NAME, EXPR)                                                                    \
    struct NAME {                                                                           \
        template <typename T> __device__ __forceinline__ auto operator()(T x, T y) const {  \
            return EXPR;                                                                    \
        }                                                                                   \
    };

/* integer floor division / modulo; by zero: 0 (elementwise.c's IDIV_FLOOR / IMOD_FLOOR) */
#define IDIV_FLOOR(x, y) ((y) == 0 ? 0 : (((x) / (y)) - (((x) % (y) != 0) && (((x) < 0) != ((y) < 0)))))
#define IMOD_FLOOR(x, y) ((y) == 0 ? 0 : ((((x) % (y)) != 0 && ((((x) % (y)) < 0) != ((y) < 0))) ? ((x) % (y)) + (y) : ((x) % (y))))

__device__ __forceinline__ double fmod_floor(double x, double y) {
    double r = fmod(x, y);
    if (r != 0 && ((r < 0) != (y < 0))) r += y;
    return r;
}
/* integer power; the product wraps (unsigned arithmetic: the CPU's int64 wraps the same way) */
__device__ __forceinline__ int64_t ipow(int64_t b, int64_t e) {
    if (e < 0) return b == 1 ? 1 : (b == -1 ? ((e & 1) ? -1 : 1) : 0);
    uint64_t r = 1, ub = (uint64_t)b;
    while (e) {
        if (e & 1) r *= ub;
        ub *= ub;
        e >>= 1;
    }
    return (int64_t)r;
}

BINF(FAdd, T(x + y))
BINF(FSub, T(x - y))
BINF(FMul, T(x * y))
struct FDiv {
    template <typename T> __device__ __forceinline__ T operator()(T x, T y) const {
        if constexpr (is_flt_v<T>) return x / y;
        else return T(y == 0 ? 0 : x / y);
    }
};
struct FFloorDiv {
    template <typename T> __device__ __forceinline__ T operator()(T x, T y) const {
        if constexpr (is_flt_v<T>) return T(floor((double)x / (double)y));
        else { prom_t<T> a = x, b = y; return T(IDIV_FLOOR(a, b)); }
    }
};
struct FMod {
    template <typename T> __device__ __forceinline__ T operator()(T x, T y) const {
        if constexpr (is_flt_v<T>) return T(fmod_floor((double)x, (double)y));
        else { prom_t<T> a = x, b = y; return T(IMOD_FLOOR(a, b)); }
    }
};
struct FPow {   /* float32 in double, as C's pow(float, float) on the CPU */
    template <typename T> __device__ __forceinline__ T operator()(T x, T y) const {
        if constexpr (is_flt_v<T>) return T(pow((double)x, (double)y));
        else return T(ipow((int64_t)x, (int64_t)y));
    }
};
/* NaN in x propagates; NaN in y too (x > NaN is false); x != x is always false for ints */
BINF(FMaximum, T((x > y || x != x) ? x : y))
BINF(FMinimum, T((x < y || x != x) ? x : y))
BINF(FSqDiff, T((x - y) * (x - y)))
BINF(FLess, uint8_t(x < y))
BINF(FLessEqual, uint8_t(x <= y))
BINF(FEqual, uint8_t(x == y))
BINF(FNotEqual, uint8_t(x != y))
BINF(FGreater, uint8_t(x > y))
BINF(FGreaterEqual, uint8_t(x >= y))
BINF(FLogicalAnd, uint8_t(x && y))
BINF(FLogicalOr, uint8_t(x || y))
BINF(FLogicalXor, uint8_t((!x) != (!y)))
/* fused activation gradients: x = dy, y = the forward's output */
BINF(FReluGrad, T(y > 0 ? x : T(0)))
BINF(FSigmoidGrad, T(x * y * (T(1) - y)))
BINF(FTanhGrad, T(x * (T(1) - y * y)))

/* ---- unary functors: T op(T x); alpha = c->a.f[0] (leaky_relu's slope, elu's alpha) --------- */

#define UNF(NAME, EXPR)                                                                     \
    struct NAME {                                                                           \
        double alpha;                                                                       \
        template <typename T> __device__ __forceinline__ auto operator()(T x) const {       \
            return EXPR;                                                                    \
        }                                                                                   \
    };

UNF(FNeg, T(-x))
struct FAbs {
    double alpha;
    template <typename T> __device__ __forceinline__ T operator()(T x) const {
        if constexpr (is_flt_v<T>) return m_fabs(x);
        else { prom_t<T> a = x; return T(a < 0 ? -a : a); }
    }
};
/* NaN stays NaN.  NOTE: the CPU's expression (x > 0) - (x < 0) + (x != x) * x gives NaN for
 * +-inf (0 * inf); TensorFlow gives +-1, as here (reported to the lead). */
struct FSign {
    double alpha;
    template <typename T> __device__ __forceinline__ T operator()(T x) const {
        if constexpr (is_flt_v<T>) return x != x ? x : T((x > 0) - (x < 0));
        else { prom_t<T> a = x; return T((a > 0) - (a < 0)); }
    }
};
UNF(FSquare, T(x * x))
UNF(FExp, m_exp(x))
UNF(FExpm1, m_expm1(x))
UNF(FLog, m_log(x))
UNF(FLog1p, m_log1p(x))
UNF(FSqrt, m_sqrt(x))
UNF(FRsqrt, T(T(1) / m_sqrt(x)))   /* not rsqrtf: that one is approximate */
UNF(FReciprocal, T(T(1) / x))
UNF(FSin, m_sin(x))
UNF(FCos, m_cos(x))
UNF(FTan, m_tan(x))
UNF(FTanh, m_tanh(x))
struct FSigmoid {
    double alpha;
    template <typename T> __device__ __forceinline__ T operator()(T x) const {
        if constexpr (sizeof(T) == 4) return 1.0f / (1.0f + expf(-x));
        else return x >= 0 ? 1 / (1 + exp(-x)) : exp(x) / (1 + exp(x));
    }
};
UNF(FRelu, T(x < 0 ? T(0) : x))   /* NaN passes through, as TensorFlow */
UNF(FRelu6, T(x < 0 ? T(0) : (x > 6 ? T(6) : x)))
UNF(FLeakyRelu, T(x > 0 ? (double)x : x * alpha))
struct FElu {   /* float32: alpha * (exp(x) - 1) in float, as the CPU */
    double alpha;
    template <typename T> __device__ __forceinline__ T operator()(T x) const {
        if constexpr (sizeof(T) == 4) return x > 0 ? x : (float)alpha * (expf(x) - 1.0f);
        else return x > 0 ? x : alpha * expm1(x);
    }
};
UNF(FSelu, T(x > 0 ? SELU_SCALE * x : SELU_SCALE * SELU_ALPHA * (double)m_expm1(x)))
UNF(FSoftplus, T(x > 0 ? x + log1p((double)m_exp(-x)) : log1p((double)m_exp(x))))
UNF(FSoftsign, T(x / (1 + (double)m_fabs(x))))
UNF(FGelu, T(0.5 * (double)x * (1 + erf((double)x * 0.70710678118654752440))))
struct FGeluTanh {
    double alpha;
    template <typename T> __device__ __forceinline__ T operator()(T x) const {
        double xd = x;
        return T(0.5 * xd * (1 + tanh(0.7978845608028654 * (xd + 0.044715 * xd * xd * xd))));
    }
};
struct FSilu {
    double alpha;
    template <typename T> __device__ __forceinline__ T operator()(T x) const {
        if constexpr (sizeof(T) == 4) return x * (1.0f / (1.0f + expf(-x)));
        else return x / (1 + exp(-x));
    }
};
struct FHardSigmoid {
    double alpha;
    template <typename T> __device__ __forceinline__ T operator()(T x) const {
        double h = (double)x * 0.2 + 0.5;
        return T(h < 0 ? 0 : (h > 1 ? 1 : h));
    }
};
UNF(FErf, m_erf(x))
UNF(FFloor, m_floor(x))
UNF(FCeil, m_ceil(x))
UNF(FRound, m_rint(x))   /* round half to even, as TensorFlow */
UNF(FIsNan, uint8_t(x != x))
UNF(FIsInf, uint8_t(m_fabs(x) == m_inf<T>()))
UNF(FIsFinite, uint8_t(m_fabs(x) < m_inf<T>()))   /* false for NaN */
UNF(FLogicalNot, uint8_t(!x))
UNF(FIdent, x)

/* ---- cast: k_cast's rules, element by element ---------------------------------------------
 * integer / bool sources go through int64 then double; float sources through double; a float
 * to an integer truncates toward zero, NaN / inf give 0, beyond +-9.2e18 saturates to int64's
 * range, then the int64 wraps to the target width; to bool: != 0 (NaN is true).  Float to float
 * conversions take the direct path: same single rounding as going through double. */
template <int S, int D> struct FCast {
    typedef typename dt_t<S>::T TI;
    typedef typename dt_t<D>::T TO;
    __device__ __forceinline__ TO operator()(TI x) const {
        constexpr bool src_int = !(S == MK_F32 || S == MK_F64 || S == MK_F16);
        if constexpr (S == MK_F16 && D == MK_F32) return __half2float(x);
        else if constexpr (S == MK_F32 && D == MK_F16) return __float2half_rn(x);
        else if constexpr (S == MK_F16 && D == MK_F16) return x;
        else {
            double d;
            int64_t v;
            if constexpr (src_int) {
                v = (int64_t)x;
                d = (double)v;
            } else {
                if constexpr (S == MK_F16) d = (double)__half2float(x);
                else d = (double)x;
                v = fabs(d) < CUDART_INF ? (d >= 9.2e18 ? INT64_MAX : d <= -9.2e18 ? INT64_MIN : (int64_t)d) : 0;
            }
            if constexpr (D == MK_F32) return (float)d;
            else if constexpr (D == MK_F64) return d;
            else if constexpr (D == MK_F16) return __double2half(d);
            else if constexpr (D == MK_I32) return (int32_t)v;
            else if constexpr (D == MK_I64) return v;
            else if constexpr (D == MK_U8) return (uint8_t)v;
            else return (uint8_t)(src_int ? v != 0 : d != 0);
        }
    }
};

/* ---- op kernels ------------------------------------------------------------------------------ */

#define K_BIN_NUM(name, F)                                                                  \
    static int name(mk_call *c) { DISPATCH_NUM(c, c->in[0]->dtype, T, return run_binary<T, T>(c, F())) }
#define K_BIN_CMP(name, F)                                                                  \
    static int name(mk_call *c) { DISPATCH_CMP(c, c->in[0]->dtype, T, return run_binary<T, uint8_t>(c, F())) }
#define K_BIN_FLOAT(name, F)                                                                \
    static int name(mk_call *c) { DISPATCH_FLOAT(c, c->in[0]->dtype, T, return run_binary<T, T>(c, F())) }
#define K_UN_NUM(name, F)                                                                   \
    static int name(mk_call *c) { DISPATCH_NUM(c, c->in[0]->dtype, T, return run_unary<T, T>(c, F{c->a.f[0]})) }
#define K_UN_FLOAT(name, F)                                                                 \
    static int name(mk_call *c) { DISPATCH_FLOAT(c, c->in[0]->dtype, T, return run_unary<T, T>(c, F{c->a.f[0]})) }
#define K_UN_TEST(name, F)                                                                  \
    static int name(mk_call *c) { DISPATCH_FLOAT(c, c->in[0]->dtype, T, return run_unary<T, uint8_t>(c, F{c->a.f[0]})) }

K_BIN_NUM(k_add, FAdd)
K_BIN_NUM(k_sub, FSub)
K_BIN_NUM(k_mul, FMul)
K_BIN_NUM(k_div, FDiv)
K_BIN_NUM(k_floordiv, FFloorDiv)
K_BIN_NUM(k_mod, FMod)
K_BIN_NUM(k_pow, FPow)
K_BIN_NUM(k_maximum, FMaximum)
K_BIN_NUM(k_minimum, FMinimum)
K_BIN_NUM(k_sqdiff, FSqDiff)
K_BIN_CMP(k_less, FLess)
K_BIN_CMP(k_less_equal, FLessEqual)
K_BIN_CMP(k_equal, FEqual)
K_BIN_CMP(k_not_equal, FNotEqual)
K_BIN_CMP(k_greater, FGreater)
K_BIN_CMP(k_greater_equal, FGreaterEqual)
static int k_logical_and(mk_call *c) { return run_binary<uint8_t, uint8_t>(c, FLogicalAnd()); }
static int k_logical_or(mk_call *c) { return run_binary<uint8_t, uint8_t>(c, FLogicalOr()); }
static int k_logical_xor(mk_call *c) { return run_binary<uint8_t, uint8_t>(c, FLogicalXor()); }
static int k_logical_not(mk_call *c) { return run_unary<uint8_t, uint8_t>(c, FLogicalNot{0}); }
K_BIN_FLOAT(k_relu_grad, FReluGrad)
K_BIN_FLOAT(k_sigmoid_grad, FSigmoidGrad)
K_BIN_FLOAT(k_tanh_grad, FTanhGrad)

K_UN_NUM(k_neg, FNeg)
K_UN_NUM(k_abs, FAbs)
K_UN_NUM(k_sign, FSign)
K_UN_NUM(k_square, FSquare)
K_UN_FLOAT(k_exp, FExp)
K_UN_FLOAT(k_expm1, FExpm1)
K_UN_FLOAT(k_log, FLog)
K_UN_FLOAT(k_log1p, FLog1p)
K_UN_FLOAT(k_sqrt, FSqrt)
K_UN_FLOAT(k_rsqrt, FRsqrt)
K_UN_FLOAT(k_reciprocal, FReciprocal)
K_UN_FLOAT(k_sin, FSin)
K_UN_FLOAT(k_cos, FCos)
K_UN_FLOAT(k_tan, FTan)
K_UN_FLOAT(k_tanh, FTanh)
K_UN_FLOAT(k_sigmoid, FSigmoid)
K_UN_FLOAT(k_relu, FRelu)
K_UN_FLOAT(k_relu6, FRelu6)
K_UN_FLOAT(k_leaky_relu, FLeakyRelu)
K_UN_FLOAT(k_elu, FElu)
K_UN_FLOAT(k_selu, FSelu)
K_UN_FLOAT(k_softplus, FSoftplus)
K_UN_FLOAT(k_softsign, FSoftsign)
K_UN_FLOAT(k_gelu, FGelu)
K_UN_FLOAT(k_gelu_tanh, FGeluTanh)
K_UN_FLOAT(k_silu, FSilu)
K_UN_FLOAT(k_hard_sigmoid, FHardSigmoid)
K_UN_FLOAT(k_erf, FErf)
K_UN_FLOAT(k_floor, FFloor)
K_UN_FLOAT(k_ceil, FCeil)
K_UN_FLOAT(k_round, FRound)
K_UN_TEST(k_is_nan, FIsNan)
K_UN_TEST(k_is_inf, FIsInf)
K_UN_TEST(k_is_finite, FIsFinite)

/* where(cond, a, b): any dtype (float16 included), moved as bytes of its size */
static int k_where(mk_call *c) {
    int isz = mk_dtypes[c->out[0]->dtype].itemsize;
    MKG_BY_ITEMSIZE(c, isz, M, return run_where<M>(c))
}

/* copy (and stop_gradient) into a fresh dense tensor: one cudaMemcpyAsync when the input is
 * dense, else the strided gather of run_unary (any dtype, as bytes of its size) */
static int k_copy(mk_call *c) {
    mk_tensor *O = c->out[0];
    const int64_t n = mk_numel(O);
    if (n == 0) return 0;
    int isz = mk_dtypes[O->dtype].itemsize;
    Geo g = make_geo(O, 1, c->in);
    if (g.ndim == 1 && (g.st[0][0] == 1 || n == 1))
        return mkg_check_cuda(c, cudaMemcpyAsync(mk_data(O), mk_data(c->in[0]), (size_t)n * isz,
                                                 cudaMemcpyDeviceToDevice, mkg_stream), "copy");
    MKG_BY_ITEMSIZE(c, isz, M, return run_unary<M, M>(c, FIdent{0}))
}

template <int S>
static int cast_from(mk_call *c) {
    typedef typename dt_t<S>::T TI;
    switch (c->out[0]->dtype) {
    case MK_F32: return run_unary<TI, float>(c, FCast<S, MK_F32>());
    case MK_F16: return run_unary<TI, __half>(c, FCast<S, MK_F16>());
    case MK_F64: return run_unary<TI, double>(c, FCast<S, MK_F64>());
    case MK_I32: return run_unary<TI, int32_t>(c, FCast<S, MK_I32>());
    case MK_I64: return run_unary<TI, int64_t>(c, FCast<S, MK_I64>());
    case MK_U8: return run_unary<TI, uint8_t>(c, FCast<S, MK_U8>());
    case MK_BOOL: return run_unary<TI, uint8_t>(c, FCast<S, MK_BOOL>());
    }
    return BAD_DTYPE(c, c->out[0]->dtype);
}

/* same dtype: a copy (the CPU memcpys too) */
static int k_cast(mk_call *c) {
    if (c->in[0]->dtype == c->out[0]->dtype) return k_copy(c);
    switch (c->in[0]->dtype) {
    case MK_F32: return cast_from<MK_F32>(c);
    case MK_F16: return cast_from<MK_F16>(c);
    case MK_F64: return cast_from<MK_F64>(c);
    case MK_I32: return cast_from<MK_I32>(c);
    case MK_I64: return cast_from<MK_I64>(c);
    case MK_U8: return cast_from<MK_U8>(c);
    case MK_BOOL: return cast_from<MK_BOOL>(c);
    }
    return BAD_DTYPE(c, c->in[0]->dtype);
}

}  // namespace

/* ---- registration ---------------------------------------------------------------------------- */

void mkg_register_elementwise(mk_opdef *ops) {
#define R(ID, k) ops[MK_OP_##ID].kernel[MK_GPU] = k
    R(ADD, k_add); R(SUB, k_sub); R(MUL, k_mul); R(DIV, k_div);
    R(FLOORDIV, k_floordiv); R(MOD, k_mod); R(POW, k_pow);
    R(MAXIMUM, k_maximum); R(MINIMUM, k_minimum); R(SQUARED_DIFFERENCE, k_sqdiff);
    R(LESS, k_less); R(LESS_EQUAL, k_less_equal); R(EQUAL, k_equal);
    R(NOT_EQUAL, k_not_equal); R(GREATER, k_greater); R(GREATER_EQUAL, k_greater_equal);
    R(LOGICAL_AND, k_logical_and); R(LOGICAL_OR, k_logical_or); R(LOGICAL_XOR, k_logical_xor);
    R(LOGICAL_NOT, k_logical_not);
    R(NEG, k_neg); R(ABS, k_abs); R(SIGN, k_sign); R(SQUARE, k_square);
    R(EXP, k_exp); R(EXPM1, k_expm1); R(LOG, k_log); R(LOG1P, k_log1p);
    R(SQRT, k_sqrt); R(RSQRT, k_rsqrt); R(RECIPROCAL, k_reciprocal);
    R(SIN, k_sin); R(COS, k_cos); R(TAN, k_tan); R(TANH, k_tanh);
    R(SIGMOID, k_sigmoid); R(RELU, k_relu); R(RELU6, k_relu6); R(LEAKY_RELU, k_leaky_relu);
    R(ELU, k_elu); R(SELU, k_selu); R(SOFTPLUS, k_softplus); R(SOFTSIGN, k_softsign);
    R(GELU, k_gelu); R(GELU_TANH, k_gelu_tanh); R(SILU, k_silu);
    R(HARD_SIGMOID, k_hard_sigmoid); R(ERF, k_erf);
    R(FLOOR, k_floor); R(CEIL, k_ceil); R(ROUND, k_round);
    R(IS_NAN, k_is_nan); R(IS_INF, k_is_inf); R(IS_FINITE, k_is_finite);
    R(RELU_GRAD, k_relu_grad); R(SIGMOID_GRAD, k_sigmoid_grad); R(TANH_GRAD, k_tanh_grad);
    R(WHERE, k_where); R(CAST, k_cast); R(COPY, k_copy);
    R(STOP_GRADIENT, k_copy);   /* not a view op: the CPU copies too */
#undef R
}
