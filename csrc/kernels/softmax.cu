/* Softmax family on the GPU: the twin of softmax.c + softmax_impl.h (same attributes and
 * formulas; read softmax.c's comment):
 *   softmax(x), log_softmax(x): i[0] = axis (default -1);
 *   softmax_grad(dy, y) = y * (dy - sum(dy * y)), log_softmax_grad(dy, y) = dy - exp(y) * sum(dy);
 *   softmax_cross_entropy(labels [N,C], logits [N,C]) -> (loss [N], backprop [N,C]);
 *   sparse_softmax_cross_entropy(labels int32/int64 [N], logits [N,C]) -> (loss, backprop).
 * Every reduction is max-shifted; the max ignores NaN (as the CPU's `x > mx ? x : mx`), NaN
 * then propagates through exp.  Sums accumulate in the input type (as the CPU), by a tree.
 *
 * A sparse label outside [0, C) cannot raise an error here (no synchronisation): as TF's GPU
 * kernel, that row's loss and backprop are NaN.
 *
 * Work is split into lines: the elements along the axis for one index of the other axes.  Inputs
 * are read through their strides; outputs are dense.  Three launch shapes, one launch per op:
 *   - the axis is the last one (rows, e.g. [1024, 10]): a group of G = 8 or 32 lanes of a warp
 *     per line, combined by shuffles;
 *   - a long line (> 2048): a 256-thread block per line;
 *   - the axis is not last: a thread per line (consecutive threads = consecutive inner
 *     indices, so the reads are coalesced), sequential along the axis. */
#include "cuda_common.cuh"
#include <math.h>

namespace {

enum { M_SOFTMAX, M_LOGSOFTMAX, M_SMGRAD, M_LSMGRAD, M_XENT, M_SPARSE };

__device__ __forceinline__ float ex(float v) { return expf(v); }
__device__ __forceinline__ double ex(double v) { return exp(v); }
__device__ __forceinline__ float lg(float v) { return logf(v); }
__device__ __forceinline__ double lg(double v) { return log(v); }
template <typename T> __device__ __forceinline__ T qnan();
template <> __device__ __forceinline__ float qnan<float>() { return __int_as_float(0x7fc00000); }
template <> __device__ __forceinline__ double qnan<double>() { return __longlong_as_double(0x7ff8000000000000LL); }

struct SmArgs {
    const void *a, *b;        /* x | dy, labels | logits; b: y | logits */
    mkg_geom ga, gb;          /* the axes other than `axis` (shape shared), input strides */
    int64_t sa, sb;           /* axis strides of a and b */
    const void *lab;          /* sparse labels (1-D), stride lst, int64 when lab64 */
    int64_t lst;
    int lab64;
    void *out0, *out1;        /* y | dx | loss; backprop */
    int64_t L, n, inner;      /* lines, axis length, product of the axes after `axis` */
};

/* G lanes of a warp per line (G = 1: a thread per line).  All 32 lanes run the shuffles. */
template <typename T, int G> struct WarpGroup {
    int lane;
    __device__ T sum(T v) const {
        #pragma unroll
        for (int m = G / 2; m > 0; m >>= 1) v += __shfl_xor_sync(0xffffffffu, v, m, G);
        return v;
    }
    __device__ T max(T v) const {
        #pragma unroll
        for (int m = G / 2; m > 0; m >>= 1) { T o = __shfl_xor_sync(0xffffffffu, v, m, G); v = o > v ? o : v; }
        return v;
    }
    static const int size = G;
};

/* the whole 256-thread block per line */
template <typename T> struct BlockGroup {
    int lane;
    T *sh;                    /* 8 slots of shared memory */
    static const int size = 256;
    __device__ T sum(T v) const {
        #pragma unroll
        for (int m = 16; m > 0; m >>= 1) v += __shfl_xor_sync(0xffffffffu, v, m);
        __syncthreads();                           /* sh free: the last reader is done */
        if ((lane & 31) == 0) sh[lane >> 5] = v;
        __syncthreads();
        T r = sh[0];
        for (int k = 1; k < 8; k++) r += sh[k];    /* same order in every thread */
        return r;
    }
    __device__ T max(T v) const {
        #pragma unroll
        for (int m = 16; m > 0; m >>= 1) { T o = __shfl_xor_sync(0xffffffffu, v, m); v = o > v ? o : v; }
        __syncthreads();
        if ((lane & 31) == 0) sh[lane >> 5] = v;
        __syncthreads();
        T r = sh[0];
        for (int k = 1; k < 8; k++) r = sh[k] > r ? sh[k] : r;
        return r;
    }
};

/* One line l (valid = false: a lane group past the last line, which still runs the shuffles
 * with an empty line).  Lane k handles elements i = k, k + size, ...: it reads back only what
 * it wrote itself, so no barrier is needed between the passes. */
template <typename T, int MODE, class Grp>
__device__ __forceinline__ void sm_line(const SmArgs &p, int64_t l, bool valid, const Grp &g) {
    const int64_t n = valid ? p.n : 0;
    const int64_t lv = valid ? l : 0;
    const T *A = (const T *)p.a + mkg_offset(p.ga, lv);
    const T *B = (const T *)p.b + mkg_offset(p.gb, lv);
    const int64_t sa = p.sa, sb = p.sb, so = p.inner;
    /* dense output line: (l / inner) * n * inner + l % inner, stride inner */
    const int64_t ob = (lv / p.inner) * p.n * p.inner + lv % p.inner;
    const int step = Grp::size;
    if (MODE == M_SOFTMAX || MODE == M_LOGSOFTMAX) {
        T *Y = (T *)p.out0 + ob;
        T mx = -INFINITY;
        for (int64_t i = g.lane; i < n; i += step) { T v = A[i * sa]; mx = v > mx ? v : mx; }
        mx = g.max(mx);
        T s = 0;
        for (int64_t i = g.lane; i < n; i += step) {
            T e = ex(A[i * sa] - mx);
            if (MODE == M_SOFTMAX) Y[i * so] = e;
            s += e;
        }
        s = g.sum(s);
        if (MODE == M_SOFTMAX) {
            const T r = (T)1 / s;
            for (int64_t i = g.lane; i < n; i += step) Y[i * so] *= r;
        } else {
            const T ls = lg(s);
            for (int64_t i = g.lane; i < n; i += step) Y[i * so] = (A[i * sa] - mx) - ls;
        }
    } else if (MODE == M_SMGRAD || MODE == M_LSMGRAD) {
        T *DX = (T *)p.out0 + ob;
        T s = 0;
        for (int64_t i = g.lane; i < n; i += step)
            s += MODE == M_SMGRAD ? A[i * sa] * B[i * sb] : A[i * sa];
        s = g.sum(s);
        for (int64_t i = g.lane; i < n; i += step) {
            const T dy = A[i * sa], y = B[i * sb];
            DX[i * so] = MODE == M_SMGRAD ? y * (dy - s) : dy - ex(y) * s;
        }
    } else {                                       /* xent: rows of [N, C], inner == 1 */
        T *BP = (T *)p.out1 + ob;
        T mx = -INFINITY;
        for (int64_t i = g.lane; i < n; i += step) { T v = B[i * sb]; mx = v > mx ? v : mx; }
        mx = g.max(mx);
        T s = 0;
        for (int64_t i = g.lane; i < n; i += step) { T e = ex(B[i * sb] - mx); BP[i] = e; s += e; }
        s = g.sum(s);
        const T inv = (T)1 / s;
        if (MODE == M_XENT) {
            const T lse = lg(s);
            T loss = 0;
            for (int64_t i = g.lane; i < n; i += step) {
                const T lab = A[i * sa];
                loss += lab * (lse - (B[i * sb] - mx));
                BP[i] = BP[i] * inv - lab;
            }
            loss = g.sum(loss);
            if (valid && g.lane == 0) ((T *)p.out0)[l] = loss;
        } else {
            int64_t k = 0;
            if (valid) k = p.lab64 ? ((const int64_t *)p.lab)[l * p.lst] : (int64_t)((const int32_t *)p.lab)[l * p.lst];
            const bool in_range = k >= 0 && k < n;
            for (int64_t i = g.lane; i < n; i += step)
                BP[i] = in_range ? BP[i] * inv - (i == k ? (T)1 : (T)0) : qnan<T>();
            if (valid && g.lane == 0) ((T *)p.out0)[l] = in_range ? lg(s) - (B[k * sb] - mx) : qnan<T>();
        }
    }
}

/* lines handled by groups of G lanes; the loop bound is uniform over each warp */
template <typename T, int MODE, int G>
__global__ void __launch_bounds__(256) sm_warp_kernel(SmArgs p) {
    const int per_warp = 32 / G;
    const int64_t warp = ((int64_t)blockIdx.x * blockDim.x + threadIdx.x) / 32;
    const int64_t nwarps = ((int64_t)gridDim.x * blockDim.x) / 32;
    WarpGroup<T, G> g;
    g.lane = (threadIdx.x & 31) % G;
    const int sub = (threadIdx.x & 31) / G;
    for (int64_t base = warp * per_warp; base < p.L; base += nwarps * per_warp) {
        const int64_t l = base + sub;
        sm_line<T, MODE>(p, l, l < p.L, g);
    }
}

template <typename T, int MODE>
__global__ void __launch_bounds__(256) sm_block_kernel(SmArgs p) {
    __shared__ T sh[8];
    BlockGroup<T> g;
    g.lane = threadIdx.x;
    g.sh = sh;
    for (int64_t l = blockIdx.x; l < p.L; l += gridDim.x) sm_line<T, MODE>(p, l, true, g);
}

template <typename T, int MODE> static int launch(mk_call *c, const SmArgs &p) {
    if (p.L == 0) return 0;
    const int64_t cap = mkg_sm_count() > 0 ? (int64_t)mkg_sm_count() * 32 : 1024;
    if (p.n > 2048 && (p.inner == 1 || p.L < 4096)) {
        int64_t grid = p.L < cap ? p.L : cap;
        sm_block_kernel<T, MODE><<<(unsigned)grid, 256, 0, mkg_stream>>>(p);
    } else if (p.inner > 1) {                        /* a thread per line */
        sm_warp_kernel<T, MODE, 1><<<mkg_blocks(p.L), 256, 0, mkg_stream>>>(p);
    } else if (p.n <= 16) {                          /* 4 lines per warp ([1024, 10]) */
        sm_warp_kernel<T, MODE, 8><<<mkg_blocks(p.L * 8), 256, 0, mkg_stream>>>(p);
    } else {
        sm_warp_kernel<T, MODE, 32><<<mkg_blocks(p.L * 32), 256, 0, mkg_stream>>>(p);
    }
    return mkg_check_launch(c);
}

/* geometry of t's axes other than ax */
static mkg_geom kept_geom(const mk_tensor *t, int ax) {
    mkg_geom g;
    g.ndim = 0;
    for (int d = 0; d < t->ndim; d++)
        if (d != ax) { g.shape[g.ndim] = t->shape[d]; g.strides[g.ndim++] = t->strides[d]; }
    return g;
}

/* lines along axis ax of a (b: a second input of the same shape, or NULL) */
static SmArgs make_args(const mk_tensor *a, const mk_tensor *b, int ax) {
    SmArgs p;
    memset(&p, 0, sizeof p);
    p.a = mk_data(a);
    p.ga = kept_geom(a, ax);
    p.sa = a->strides[ax];
    if (b) {
        p.b = mk_data(b);
        p.gb = kept_geom(b, ax);
        p.sb = b->strides[ax];
    } else {
        p.b = p.a; p.gb = p.ga; p.sb = p.sa;
    }
    p.n = a->shape[ax];
    p.inner = mk_numel_of(a->ndim - ax - 1, a->shape + ax + 1);
    p.L = mk_numel_of(ax, a->shape) * p.inner;
    return p;
}

static int axis_of(const mk_call *c, const mk_tensor *t) {     /* infer validated it */
    int64_t a = c->a.ni ? c->a.i[0] : -1;
    return (int)(a < 0 ? a + t->ndim : a);
}

template <int MODE> static int run_by_dtype(mk_call *c, const SmArgs &p, int dtype) {
    if (dtype == MK_F32) return launch<float, MODE>(c, p);
    if (dtype == MK_F64) return launch<double, MODE>(c, p);
    return mkg_err(c, "unsupported dtype %s", mk_dtypes[dtype].name);
}

template <int MODE> static int k_softmax_t(mk_call *c) {
    const mk_tensor *x = c->in[0];
    if (mk_numel(x) == 0) return 0;
    SmArgs p = make_args(x, NULL, axis_of(c, x));
    p.out0 = mk_data(c->out[0]);
    return run_by_dtype<MODE>(c, p, x->dtype);
}

template <int MODE> static int k_softmax_grad_t(mk_call *c) {
    const mk_tensor *dy = c->in[0], *y = c->in[1];
    if (mk_numel(dy) == 0) return 0;
    SmArgs p = make_args(dy, y, axis_of(c, dy));
    p.out0 = mk_data(c->out[0]);
    return run_by_dtype<MODE>(c, p, dy->dtype);
}

/* xent: lines are the N rows (axis 1); with C == 0 the loss is still written (0, or NaN for
 * a sparse row, which infer only lets through when N == 0) */
static int k_xent_gpu(mk_call *c) {
    const mk_tensor *lab = c->in[0], *L = c->in[1];
    if (L->shape[0] == 0) return 0;
    SmArgs p = make_args(lab, L, 1);
    p.out0 = mk_data(c->out[0]);
    p.out1 = mk_data(c->out[1]);
    return run_by_dtype<M_XENT>(c, p, L->dtype);
}

static int k_sparse_xent_gpu(mk_call *c) {
    const mk_tensor *lab = c->in[0], *L = c->in[1];
    if (L->shape[0] == 0) return 0;
    SmArgs p = make_args(L, L, 1);
    p.lab = mk_data(lab);
    p.lst = lab->strides[0];
    p.lab64 = lab->dtype == MK_I64;
    p.out0 = mk_data(c->out[0]);
    p.out1 = mk_data(c->out[1]);
    return run_by_dtype<M_SPARSE>(c, p, L->dtype);
}

}  // namespace

void mkg_register_softmax(mk_opdef *ops) {
    ops[MK_OP_SOFTMAX].kernel[MK_GPU] = k_softmax_t<M_SOFTMAX>;
    ops[MK_OP_LOG_SOFTMAX].kernel[MK_GPU] = k_softmax_t<M_LOGSOFTMAX>;
    ops[MK_OP_SOFTMAX_GRAD].kernel[MK_GPU] = k_softmax_grad_t<M_SMGRAD>;
    ops[MK_OP_LOG_SOFTMAX_GRAD].kernel[MK_GPU] = k_softmax_grad_t<M_LSMGRAD>;
    ops[MK_OP_SOFTMAX_XENT].kernel[MK_GPU] = k_xent_gpu;
    ops[MK_OP_SPARSE_SOFTMAX_XENT].kernel[MK_GPU] = k_sparse_xent_gpu;
}
