/* Reduce family on the GPU: the twin of reduce.c (same attributes, same semantics; read the
 * comment at the top of reduce.c).  In short:
 *   reduce_*:  i[0] keepdims, i[1] mask of reduced axes, i[2] = 1: every axis
 *              (fewer than two ints: every axis; mask 0 without the flag: nothing reduced).
 *   argmax / argmin: i[0] axis, i[1] output dtype (MK_I64 / MK_I32).
 *   cumsum:    i[0] axis, i[1] exclusive, i[2] reverse.
 * Accumulators as on the CPU: float32 sums / means / products / logsumexp in double, integer
 * sums / products in uint64 (wrapping), the integer mean is the truncating (int64)sum / count;
 * max / min propagate NaN; argmax / argmin take the first index of the best value, NaN counting
 * as the best (first NaN wins).
 *
 * Inputs are read through their strides (no dense copy).  A reduction is planned over two
 * lists of merged axes: the kept ones (in output order) and the reduced ones (innermost =
 * smallest stride).  Two kernels cover every case, one launch each:
 *   rows: when the reduced axes are the inner ones (reduce over the last axis, a full
 *         reduction): a warp (or a 256-thread block when long) per output, coalesced along
 *         the reduced run, combined by shuffles (a fixed tree: deterministic);
 *   cols: when a kept axis is innermost (bias gradients: column sums of [batch, units]):
 *         a thread per output along x (coalesced), the reduced rows split over threadIdx.y
 *         and combined through shared memory by a fixed tree.
 * Only when there are very few outputs of a very long reduction is each output also split
 * over blocks: partials go to scratch memory and a second small kernel combines them in order.
 * logsumexp runs two reductions (the per-output max shift into scratch, then the sum). */
#include "cuda_common.cuh"
#include <cub/cub.cuh>
#include <math.h>

namespace {

typedef unsigned long long u64;

/* ---- the reduction plan ------------------------------------------------------ */

struct RPlan {
    int nk, nr;                               /* merged kept / reduced axes */
    int64_t ksz[MK_MAXDIM], kst[MK_MAXDIM];   /* kept: output order, input strides */
    int64_t rsz[MK_MAXDIM], rst[MK_MAXDIM];   /* reduced: outermost first */
    int64_t nout, rtot;                       /* outputs; elements reduced into each */
};

static int64_t iabs64(int64_t v) { return v < 0 ? -v : v; }

/* the normalised mask of reduced axes (reduce.c's red_mask_of) */
static uint32_t red_mask_of(const mk_call *c) {
    int nd = c->in[0]->ndim;
    uint32_t all = nd ? (uint32_t)((1u << nd) - 1) : 0;
    if (c->a.ni < 2 || (c->a.ni >= 3 && c->a.i[2])) return all;
    return (uint32_t)c->a.i[1] & all;
}

/* Plan over x's own strides.  Size-1 axes are dropped; an axis merges into the previous one of
 * its list when prev.stride == size * stride (one run of elements).  Reduced axes are sorted by
 * decreasing |stride| first (the order of the reduction does not matter, except to argmax,
 * which has one reduced axis). */
static void make_plan(RPlan *P, const mk_tensor *x, uint32_t mask) {
    P->nk = P->nr = 0;
    P->nout = P->rtot = 1;
    int64_t rs[MK_MAXDIM], rt[MK_MAXDIM];
    int nr = 0;
    for (int d = 0; d < x->ndim; d++) {
        int64_t n = x->shape[d], st = x->strides[d];
        if ((mask >> d) & 1) {
            P->rtot *= n;
            if (n != 1) { rs[nr] = n; rt[nr++] = st; }
        } else {
            P->nout *= n;
            if (n == 1) continue;
            if (P->nk > 0 && P->kst[P->nk - 1] == n * st) {
                P->ksz[P->nk - 1] *= n;
                P->kst[P->nk - 1] = st;
            } else {
                P->ksz[P->nk] = n; P->kst[P->nk++] = st;
            }
        }
    }
    /* insertion sort, stable, by decreasing |stride| */
    for (int i = 1; i < nr; i++)
        for (int k = i; k > 0 && iabs64(rt[k - 1]) < iabs64(rt[k]); k--) {
            int64_t a = rs[k]; rs[k] = rs[k - 1]; rs[k - 1] = a;
            a = rt[k]; rt[k] = rt[k - 1]; rt[k - 1] = a;
        }
    for (int i = 0; i < nr; i++) {
        if (P->nr > 0 && P->rst[P->nr - 1] == rs[i] * rt[i]) {
            P->rsz[P->nr - 1] *= rs[i];
            P->rst[P->nr - 1] = rt[i];
        } else {
            P->rsz[P->nr] = rs[i]; P->rst[P->nr++] = rt[i];
        }
    }
}

/* element offset of flat index idx (row-major over n axes of sizes sz, strides st) */
__host__ __device__ __forceinline__ int64_t goff(int n, const int64_t *sz, const int64_t *st, int64_t idx) {
    int64_t off = 0;
    for (int d = n - 1; d >= 0; d--) {
        int64_t q = idx / sz[d];
        off += (idx - q * sz[d]) * st[d];
        idx = q;
    }
    return off;
}

/* ---- element rules -------------------------------------------------------------- */

template <typename T> struct Lim;
template <> struct Lim<float> {
    static __device__ float lo() { return -INFINITY; } static __device__ float hi() { return INFINITY; } };
template <> struct Lim<double> {
    static __device__ double lo() { return -INFINITY; } static __device__ double hi() { return INFINITY; } };
template <> struct Lim<int32_t> {
    static __device__ int32_t lo() { return INT32_MIN; } static __device__ int32_t hi() { return INT32_MAX; } };
template <> struct Lim<int64_t> {
    static __device__ int64_t lo() { return INT64_MIN; } static __device__ int64_t hi() { return INT64_MAX; } };
template <> struct Lim<uint8_t> {
    static __device__ uint8_t lo() { return 0; } static __device__ uint8_t hi() { return 255; } };

template <typename T> __device__ __forceinline__ bool is_nan(T) { return false; }
template <> __device__ __forceinline__ bool is_nan<float>(float v) { return isnan(v); }
template <> __device__ __forceinline__ bool is_nan<double>(double v) { return isnan(v); }

template <typename T> struct IsF { static const bool v = false; };
template <> struct IsF<float> { static const bool v = true; };
template <> struct IsF<double> { static const bool v = true; };

/* accumulator of sums / products: double for floats, uint64 (wrapping) for integers */
template <typename T> struct SumAcc { typedef u64 A; static __device__ A of(T v) { return (u64)(int64_t)v; } };
template <> struct SumAcc<float> { typedef double A; static __device__ A of(float v) { return v; } };
template <> struct SumAcc<double> { typedef double A; static __device__ A of(double v) { return v; } };

/* An op: T input, A accumulator, O output; init / map(x, j, S) / comb / fin(a, count, S).
 * j is the flat index over the reduced axes (argmax's index), S the per-output shift
 * (logsumexp only).  comb must be commutative (the warp butterfly relies on it). */
template <typename T_> struct OpSum {
    typedef T_ T; typedef typename SumAcc<T>::A A; typedef T O;
    static __device__ A init() { return 0; }
    static __device__ A map(T x, int64_t, double) { return SumAcc<T>::of(x); }
    static __device__ A comb(A a, A b) { return a + b; }
    static __device__ O fin(A a, int64_t, double) { return (O)a; }
};
template <typename T_> struct OpMean {
    typedef T_ T; typedef typename SumAcc<T>::A A; typedef T O;
    static __device__ A init() { return 0; }
    static __device__ A map(T x, int64_t, double) { return SumAcc<T>::of(x); }
    static __device__ A comb(A a, A b) { return a + b; }
    static __device__ O fin(A a, int64_t cnt, double) {
        if (IsF<T>::v) return (O)((double)a / (double)cnt);     /* 0/0: NaN, as the CPU */
        return cnt ? (O)((int64_t)a / cnt) : (O)0;              /* truncating, as TF */
    }
};
template <typename T_> struct OpProd {
    typedef T_ T; typedef typename SumAcc<T>::A A; typedef T O;
    static __device__ A init() { return 1; }
    static __device__ A map(T x, int64_t, double) { return SumAcc<T>::of(x); }
    static __device__ A comb(A a, A b) { return a * b; }
    static __device__ O fin(A a, int64_t, double) { return (O)a; }
};
/* NaN is absorbing: comb(NaN, b) = NaN and comb(a, NaN) = NaN */
template <typename T_, typename O_ = T_> struct OpMax {
    typedef T_ T; typedef T A; typedef O_ O;
    static __device__ A init() { return Lim<T>::lo(); }
    static __device__ A map(T x, int64_t, double) { return x; }
    static __device__ A comb(A a, A b) { return (b > a || is_nan(b)) ? b : a; }
    static __device__ O fin(A a, int64_t, double) { return (O)a; }
};
template <typename T_> struct OpMin {
    typedef T_ T; typedef T A; typedef T O;
    static __device__ A init() { return Lim<T>::hi(); }
    static __device__ A map(T x, int64_t, double) { return x; }
    static __device__ A comb(A a, A b) { return (b < a || is_nan(b)) ? b : a; }
    static __device__ O fin(A a, int64_t, double) { return (O)a; }
};
/* bool storage is one byte 0/1: read as uint8 */
struct OpAny {
    typedef uint8_t T; typedef uint8_t A; typedef uint8_t O;
    static __device__ A init() { return 0; }
    static __device__ A map(T x, int64_t, double) { return x != 0; }
    static __device__ A comb(A a, A b) { return a | b; }
    static __device__ O fin(A a, int64_t, double) { return a; }
};
struct OpAll {
    typedef uint8_t T; typedef uint8_t A; typedef uint8_t O;
    static __device__ A init() { return 1; }
    static __device__ A map(T x, int64_t, double) { return x != 0; }
    static __device__ A comb(A a, A b) { return a & b; }
    static __device__ O fin(A a, int64_t, double) { return a; }
};
/* logsumexp pass 1: the shift s = max if finite, else 0 (as TF) */
template <typename T_> struct OpLseMax {
    typedef T_ T; typedef T A; typedef double O;
    static __device__ A init() { return -INFINITY; }
    static __device__ A map(T x, int64_t, double) { return x; }
    static __device__ A comb(A a, A b) { return (b > a || is_nan(b)) ? b : a; }
    static __device__ O fin(A a, int64_t, double) { return isfinite((double)a) ? (double)a : 0.0; }
};
/* logsumexp pass 2: log(sum(exp(x - s))) + s; float32 exp in float (as the CPU's mk_expf) */
__device__ __forceinline__ double lse_exp(float x, double S) { return (double)expf(x - (float)S); }
__device__ __forceinline__ double lse_exp(double x, double S) { return exp(x - S); }
template <typename T_> struct OpLse {
    typedef T_ T; typedef double A; typedef T O;
    static __device__ A init() { return 0; }
    static __device__ A map(T x, int64_t, double S) { return lse_exp(x, S); }
    static __device__ A comb(A a, A b) { return a + b; }
    static __device__ O fin(A a, int64_t, double S) { return (O)(log(a) + S); }
};
/* argmax / argmin: (value, index); index -1 = nothing seen yet.  Ties (and two NaNs) keep the
 * smaller index, so the result does not depend on the combination order. */
template <typename T> struct ArgA { T v; int64_t i; };
template <typename T_, typename I, bool MAX> struct OpArg {
    typedef T_ T; typedef ArgA<T> A; typedef I O;
    static __device__ bool better(T x, T b) {          /* x replaces b (reduce.c's ARG_F*) */
        if (MAX) return x > b || (is_nan(x) && !is_nan(b));
        return x < b || (is_nan(x) && !is_nan(b));
    }
    static __device__ A init() { A a; a.v = T(); a.i = -1; return a; }
    static __device__ A map(T x, int64_t j, double) { A a; a.v = x; a.i = j; return a; }
    static __device__ A comb(A a, A b) {
        if (a.i < 0) return b;
        if (b.i < 0) return a;
        if (better(b.v, a.v)) return b;
        if (better(a.v, b.v)) return a;
        return b.i < a.i ? b : a;
    }
    static __device__ O fin(A a, int64_t, double) { return (O)(a.i < 0 ? 0 : a.i); }
};

/* ---- warp / block combination ------------------------------------------------------ */

/* shuffle any trivially-copyable value, 32 bits at a time */
template <typename A> __device__ __forceinline__ A shfl_xor_any(A v, int m) {
    const int W = (int)((sizeof(A) + 3) / 4);
    unsigned w[W];
    memset(w, 0, sizeof w);
    memcpy(w, &v, sizeof(A));
    #pragma unroll
    for (int k = 0; k < W; k++) w[k] = __shfl_xor_sync(0xffffffffu, w[k], m);
    A r;
    memcpy(&r, w, sizeof(A));
    return r;
}

template <class Op> __device__ __forceinline__ typename Op::A warp_comb(typename Op::A v) {
    #pragma unroll
    for (int m = 16; m > 0; m >>= 1) v = Op::comb(v, shfl_xor_any(v, m));
    return v;
}

/* ---- kernels ------------------------------------------------------------------------- */

/* rows: BLK threads (32: a warp, 256: the block) per task; task t = (output o, split s).
 * The loop bound is uniform over each group, so the shuffles and barriers are safe. */
template <class Op, int BLK>
__global__ void __launch_bounds__(256) red_rows(const typename Op::T *x, RPlan p, typename Op::O *out,
                                                typename Op::A *part, int64_t S, const double *shift) {
    typedef typename Op::A A;
    __shared__ A sh[256 / 32];
    const int per = 256 / BLK;                      /* groups per block */
    const int g = threadIdx.x / BLK, lane = threadIdx.x % BLK;
    const int64_t ntask = p.nout * S;
    for (int64_t t = (int64_t)blockIdx.x * per + g; t - g < ntask; t += (int64_t)gridDim.x * per) {
        /* (t - g < ntask: every group of a block runs the same number of iterations) */
        A acc = Op::init();
        int64_t o = 0, s = 0;
        double S0 = 0;
        const bool ok = t < ntask;
        if (ok) {
            o = t / S; s = t - o * S;
            const int64_t j0 = p.rtot * s / S, j1 = p.rtot * (s + 1) / S;
            const typename Op::T *base = x + goff(p.nk, p.ksz, p.kst, o);
            S0 = shift ? shift[o] : 0.0;
            if (p.nr == 1) {
                const int64_t st = p.rst[0];
                for (int64_t j = j0 + lane; j < j1; j += BLK) acc = Op::comb(acc, Op::map(base[j * st], j, S0));
            } else {
                for (int64_t j = j0 + lane; j < j1; j += BLK)
                    acc = Op::comb(acc, Op::map(base[goff(p.nr, p.rsz, p.rst, j)], j, S0));
            }
        }
        acc = warp_comb<Op>(acc);
        if (BLK > 32) {
            const int w = threadIdx.x / 32;
            __syncthreads();                        /* sh free (previous iteration read it) */
            if ((threadIdx.x & 31) == 0) sh[w] = acc;
            __syncthreads();
            if (threadIdx.x == 0)
                for (int k = 1; k < BLK / 32; k++) acc = Op::comb(acc, sh[k]);
        }
        if (lane == 0 && ok) {
            if (S == 1) out[o] = Op::fin(acc, p.rtot, S0);
            else part[t] = acc;
        }
    }
}

/* cols: block (BX, BY): x = consecutive outputs, y = rows of the reduction (j = j0 + y,
 * j0 + y + BY, ...), combined by a tree in shared memory; blockIdx.y = split s. */
template <class Op>
__global__ void __launch_bounds__(1024) red_cols(const typename Op::T *x, RPlan p, typename Op::O *out,
                                                 typename Op::A *part, int64_t S, const double *shift) {
    typedef typename Op::A A;
    __shared__ A sh[1024];
    const int BX = blockDim.x, BY = blockDim.y, tx = threadIdx.x, ty = threadIdx.y;
    const int64_t s = blockIdx.y;
    const int64_t j0 = p.rtot * s / S, j1 = p.rtot * (s + 1) / S;
    for (int64_t o0 = (int64_t)blockIdx.x * BX; o0 < p.nout; o0 += (int64_t)gridDim.x * BX) {
        const int64_t o = o0 + tx;
        const bool ok = o < p.nout;
        A acc = Op::init();
        double S0 = 0;
        if (ok) {
            const typename Op::T *base = x + goff(p.nk, p.ksz, p.kst, o);
            S0 = shift ? shift[o] : 0.0;
            if (p.nr == 1) {
                const int64_t st = p.rst[0];
                for (int64_t j = j0 + ty; j < j1; j += BY) acc = Op::comb(acc, Op::map(base[j * st], j, S0));
            } else {
                for (int64_t j = j0 + ty; j < j1; j += BY)
                    acc = Op::comb(acc, Op::map(base[goff(p.nr, p.rsz, p.rst, j)], j, S0));
            }
        }
        if (BY > 1) {                               /* a fixed tree over y (BY a power of 2) */
            sh[ty * BX + tx] = acc;
            __syncthreads();
            for (int h = BY / 2; h > 0; h >>= 1) {
                if (ty < h) sh[ty * BX + tx] = Op::comb(sh[ty * BX + tx], sh[(ty + h) * BX + tx]);
                __syncthreads();
            }
            if (ty == 0) acc = sh[tx];
            __syncthreads();                        /* sh is rewritten by the next iteration */
        }
        if (ty == 0 && ok) {
            if (S == 1) out[o] = Op::fin(acc, p.rtot, S0);
            else part[o * S + s] = acc;
        }
    }
}

/* partials part[o * S + s] combined in order s = 0..S-1 */
template <class Op>
__global__ void red_finish(const typename Op::A *part, int64_t nout, int64_t S, int64_t rtot,
                           typename Op::O *out, const double *shift) {
    MKG_GRID_STRIDE(o, nout) {
        typename Op::A acc = part[o * S];
        for (int64_t s = 1; s < S; s++) acc = Op::comb(acc, part[o * S + s]);
        out[o] = Op::fin(acc, rtot, shift ? shift[o] : 0.0);
    }
}

/* Plan the launch of one reduction and run it.  S = splits per output (> 1 only for few,
 * very long reductions: then a second kernel combines the partials). */
template <class Op>
static int run_red(mk_call *c, const RPlan &p, const typename Op::T *x, typename Op::O *out,
                   const double *shift) {
    typedef typename Op::A A;
    if (p.nout == 0) return 0;
    const int64_t nsm = mkg_sm_count() > 0 ? mkg_sm_count() : 1;
    int rows;
    if (p.nk == 0) rows = 1;                         /* a full reduction */
    else if (p.nr == 0 || p.rtot < 16) rows = 0;     /* little to reduce: a thread per output */
    else rows = iabs64(p.rst[p.nr - 1]) <= iabs64(p.kst[p.nk - 1]);
    int64_t S = 1;
    if (rows) {
        const int blk = p.rtot > 4096 ? 256 : 32;
        if (blk == 256 && p.nout < 2 * nsm) {        /* few long outputs: split them */
            S = (4 * nsm + p.nout - 1) / p.nout;
            if (S > p.rtot / 32768) S = p.rtot / 32768;   /* >= 32K elements per split */
            if (S < 1) S = 1;
        }
        A *part = NULL;
        if (S > 1 && !(part = (A *)mkg_alloc(sizeof(A) * p.nout * S)))
            return mkg_err(c, "out of GPU memory for %lld partial results", (long long)(p.nout * S));
        const int64_t ntask = p.nout * S, per = 256 / blk;
        int64_t grid = (ntask + per - 1) / per;
        if (grid > nsm * 32) grid = nsm * 32;
        if (blk == 256) red_rows<Op, 256><<<(unsigned)grid, 256, 0, mkg_stream>>>(x, p, out, part, S, shift);
        else red_rows<Op, 32><<<(unsigned)grid, 256, 0, mkg_stream>>>(x, p, out, part, S, shift);
        int rc = mkg_check_launch(c);
        if (rc == 0 && S > 1) {
            red_finish<Op><<<mkg_blocks(p.nout), MKG_THREADS, 0, mkg_stream>>>(part, p.nout, S, p.rtot, out, shift);
            rc = mkg_check_launch(c);
        }
        if (part) mkg_free(part, sizeof(A) * p.nout * S);
        return rc;
    }
    /* cols: BX outputs x BY threads along the reduction (powers of 2).  Long columns get
     * 1024-thread blocks, narrowed to 16 or 8 outputs (still whole 32-byte sectors) while that
     * gives more blocks: [1024, 500] -> 63 blocks of 8 x 128 threads, 8 rows each. */
    int BX, BY;
    if (p.rtot >= 256) {
        BX = 32;
        while (BX > 8 && (p.nout + BX - 1) / BX < nsm) BX >>= 1;
        BY = 1024 / BX;
    } else if (p.rtot >= 32) {
        BX = 32; BY = 8;
    } else {
        BX = 256; BY = 1;
    }
    int64_t gx = (p.nout + BX - 1) / BX;
    if (gx > nsm * 32) gx = nsm * 32;
    if (gx < nsm && p.rtot >= (int64_t)BY * 512) {   /* few column blocks, long columns */
        S = (2 * nsm + gx - 1) / gx;
        if (S > p.rtot / ((int64_t)BY * 256)) S = p.rtot / ((int64_t)BY * 256);
        if (S > 65535) S = 65535;
        if (S < 1) S = 1;
    }
    A *part = NULL;
    if (S > 1 && !(part = (A *)mkg_alloc(sizeof(A) * p.nout * S)))
        return mkg_err(c, "out of GPU memory for %lld partial results", (long long)(p.nout * S));
    red_cols<Op><<<dim3((unsigned)gx, (unsigned)S), dim3(BX, BY), 0, mkg_stream>>>(x, p, out, part, S, shift);
    int rc = mkg_check_launch(c);
    if (rc == 0 && S > 1) {
        red_finish<Op><<<mkg_blocks(p.nout), MKG_THREADS, 0, mkg_stream>>>(part, p.nout, S, p.rtot, out, shift);
        rc = mkg_check_launch(c);
    }
    if (part) mkg_free(part, sizeof(A) * p.nout * S);
    return rc;
}

template <template <typename> class OpT>
static int run_numeric(mk_call *c) {
    RPlan p;
    make_plan(&p, c->in[0], red_mask_of(c));
    const mk_tensor *x = c->in[0];
    void *o = mk_data(c->out[0]);
    switch (x->dtype) {
    case MK_F32: return run_red<OpT<float> >(c, p, mkg_ptr<float>(x), (float *)o, NULL);
    case MK_F64: return run_red<OpT<double> >(c, p, mkg_ptr<double>(x), (double *)o, NULL);
    case MK_I32: return run_red<OpT<int32_t> >(c, p, mkg_ptr<int32_t>(x), (int32_t *)o, NULL);
    case MK_I64: return run_red<OpT<int64_t> >(c, p, mkg_ptr<int64_t>(x), (int64_t *)o, NULL);
    case MK_U8: return run_red<OpT<uint8_t> >(c, p, mkg_ptr<uint8_t>(x), (uint8_t *)o, NULL);
    default: return mkg_err(c, "unsupported dtype %s", mk_dtypes[x->dtype].name);
    }
}
template <typename T> struct OpMax1 : OpMax<T> {};    /* one-parameter names for run_numeric */

static int k_sum_gpu(mk_call *c) { return run_numeric<OpSum>(c); }
static int k_mean_gpu(mk_call *c) { return run_numeric<OpMean>(c); }
static int k_prod_gpu(mk_call *c) { return run_numeric<OpProd>(c); }
static int k_max_gpu(mk_call *c) { return run_numeric<OpMax1>(c); }
static int k_min_gpu(mk_call *c) { return run_numeric<OpMin>(c); }

template <class Op> static int run_bool(mk_call *c) {
    RPlan p;
    make_plan(&p, c->in[0], red_mask_of(c));
    return run_red<Op>(c, p, mkg_ptr<uint8_t>(c->in[0]), mkg_ptr<uint8_t>(c->out[0]), NULL);
}
static int k_any_gpu(mk_call *c) { return run_bool<OpAny>(c); }
static int k_all_gpu(mk_call *c) { return run_bool<OpAll>(c); }

template <typename T> static int run_lse(mk_call *c, const RPlan &p) {
    if (p.nout == 0) return 0;
    double *sh = (double *)mkg_alloc(sizeof(double) * p.nout);
    if (!sh) return mkg_err(c, "out of GPU memory");
    const T *x = mkg_ptr<T>(c->in[0]);
    int rc = run_red<OpLseMax<T> >(c, p, x, sh, NULL);
    if (rc == 0) rc = run_red<OpLse<T> >(c, p, x, mkg_ptr<T>(c->out[0]), sh);
    mkg_free(sh, sizeof(double) * p.nout);
    return rc;
}
static int k_logsumexp_gpu(mk_call *c) {
    RPlan p;
    make_plan(&p, c->in[0], red_mask_of(c));
    if (c->in[0]->dtype == MK_F32) return run_lse<float>(c, p);
    if (c->in[0]->dtype == MK_F64) return run_lse<double>(c, p);
    return mkg_err(c, "unsupported dtype %s", mk_dtypes[c->in[0]->dtype].name);
}

/* ---- argmax / argmin ----------------------------------------------------------------- */

static int norm_axis(int64_t a, int nd) { return (int)(a < 0 ? a + nd : a); }   /* infer checked it */

template <typename T, bool MAX> static int run_arg_t(mk_call *c, const RPlan &p) {
    const T *x = mkg_ptr<T>(c->in[0]);
    if (c->out[0]->dtype == MK_I64) return run_red<OpArg<T, int64_t, MAX> >(c, p, x, mkg_ptr<int64_t>(c->out[0]), NULL);
    return run_red<OpArg<T, int32_t, MAX> >(c, p, x, mkg_ptr<int32_t>(c->out[0]), NULL);
}
template <bool MAX> static int run_arg(mk_call *c) {
    const mk_tensor *x = c->in[0];
    int ax = x->ndim ? norm_axis(c->a.ni >= 1 ? c->a.i[0] : 0, x->ndim) : 0;
    RPlan p;
    make_plan(&p, x, x->ndim ? 1u << ax : 0u);   /* one reduced axis: j is its index */
    switch (x->dtype) {
    case MK_F32: return run_arg_t<float, MAX>(c, p);
    case MK_F64: return run_arg_t<double, MAX>(c, p);
    case MK_I32: return run_arg_t<int32_t, MAX>(c, p);
    case MK_I64: return run_arg_t<int64_t, MAX>(c, p);
    case MK_U8: case MK_BOOL: return run_arg_t<uint8_t, MAX>(c, p);
    default: return mkg_err(c, "unsupported dtype %s", mk_dtypes[x->dtype].name);
    }
}
static int k_argmax_gpu(mk_call *c) { return run_arg<true>(c); }
static int k_argmin_gpu(mk_call *c) { return run_arg<false>(c); }

/* ---- cumsum ------------------------------------------------------------------------------
 * Lines l = (outer, inner) index over the axes other than `axis` (row-major); the output is
 * dense: element (l, i) at (l / inner) * n * inner + l % inner + i * inner.  The running sum
 * is kept in double (floats) or uint64 (integers, wrapping) and cast at each step, as the CPU. */

struct CsGeom {
    mkg_geom kept;          /* the axes other than `axis`, input strides */
    int64_t n, sa;          /* axis length and input stride */
    int64_t L, inner;
    int excl, rev;
};

/* a thread per line, sequential (short axes, or many lines: coalesced over the inner axis) */
template <typename T>
__global__ void cumsum_serial(const T *x, T *out, CsGeom g) {
    typedef typename SumAcc<T>::A A;
    MKG_GRID_STRIDE(l, g.L) {
        const T *px = x + mkg_offset(g.kept, l);
        T *po = out + (l / g.inner) * g.n * g.inner + l % g.inner;
        A acc = 0;
        for (int64_t k = 0; k < g.n; k++) {
            const int64_t i = g.rev ? g.n - 1 - k : k;
            const A v = SumAcc<T>::of(px[i * g.sa]);
            if (g.excl) { po[i * g.inner] = (T)acc; acc += v; }
            else { acc += v; po[i * g.inner] = (T)acc; }
        }
    }
}

template <typename A> struct RunningPrefix {
    A run;
    __device__ A operator()(A block_total) { A old = run; run += block_total; return old; }
};

/* a 256-thread block per line (long axes): cub::BlockScan over chunks of 256 x 8 elements
 * (8 consecutive ones per thread), with a running prefix carried from chunk to chunk */
template <typename T>
__global__ void __launch_bounds__(256) cumsum_block(const T *x, T *out, CsGeom g) {
    typedef typename SumAcc<T>::A A;
    const int IT = 8;
    typedef cub::BlockScan<A, 256> Scan;
    __shared__ typename Scan::TempStorage tmp;
    for (int64_t l = blockIdx.x; l < g.L; l += gridDim.x) {
        const T *px = x + mkg_offset(g.kept, l);
        T *po = out + (l / g.inner) * g.n * g.inner + l % g.inner;
        RunningPrefix<A> pre;
        pre.run = 0;
        for (int64_t k0 = 0; k0 < g.n; k0 += 256 * IT) {
            A v[IT];
            #pragma unroll
            for (int q = 0; q < IT; q++) {
                const int64_t k = k0 + (int64_t)threadIdx.x * IT + q;   /* position in scan order */
                const int64_t i = g.rev ? g.n - 1 - k : k;              /* index along the axis */
                v[q] = k < g.n ? SumAcc<T>::of(px[i * g.sa]) : (A)0;
            }
            if (g.excl) Scan(tmp).ExclusiveSum(v, v, pre);
            else Scan(tmp).InclusiveSum(v, v, pre);
            #pragma unroll
            for (int q = 0; q < IT; q++) {
                const int64_t k = k0 + (int64_t)threadIdx.x * IT + q;
                const int64_t i = g.rev ? g.n - 1 - k : k;
                if (k < g.n) po[i * g.inner] = (T)v[q];
            }
            __syncthreads();                         /* tmp is reused by the next chunk */
        }
    }
}

template <typename T> static int run_cumsum_t(mk_call *c, const CsGeom &g) {
    const T *x = mkg_ptr<T>(c->in[0]);
    T *o = mkg_ptr<T>(c->out[0]);
    if (g.n <= 64 || (g.inner > 1 && g.L >= 1024)) {
        cumsum_serial<T><<<mkg_blocks(g.L), MKG_THREADS, 0, mkg_stream>>>(x, o, g);
    } else {
        int64_t grid = g.L, cap = (int64_t)mkg_sm_count() * 32;
        if (grid > cap && cap > 0) grid = cap;
        if (grid < 1) grid = 1;
        cumsum_block<T><<<(unsigned)grid, 256, 0, mkg_stream>>>(x, o, g);
    }
    return mkg_check_launch(c);
}

static int k_cumsum_gpu(mk_call *c) {
    const mk_tensor *x = c->in[0];
    if (mk_numel(x) == 0) return 0;
    const int ax = norm_axis(c->a.ni >= 1 ? c->a.i[0] : 0, x->ndim);
    CsGeom g;
    g.kept.ndim = 0;
    for (int d = 0; d < x->ndim; d++)
        if (d != ax) {
            g.kept.shape[g.kept.ndim] = x->shape[d];
            g.kept.strides[g.kept.ndim++] = x->strides[d];
        }
    g.n = x->shape[ax];
    g.sa = x->strides[ax];
    g.L = mk_numel(x) / g.n;
    g.inner = mk_numel_of(x->ndim - ax - 1, x->shape + ax + 1);
    g.excl = c->a.ni >= 2 && c->a.i[1];
    g.rev = c->a.ni >= 3 && c->a.i[2];
    switch (x->dtype) {
    case MK_F32: return run_cumsum_t<float>(c, g);
    case MK_F64: return run_cumsum_t<double>(c, g);
    case MK_I32: return run_cumsum_t<int32_t>(c, g);
    case MK_I64: return run_cumsum_t<int64_t>(c, g);
    case MK_U8: return run_cumsum_t<uint8_t>(c, g);
    default: return mkg_err(c, "unsupported dtype %s", mk_dtypes[x->dtype].name);
    }
}

}  // namespace

void mkg_register_reduce(mk_opdef *ops) {
    ops[MK_OP_REDUCE_SUM].kernel[MK_GPU] = k_sum_gpu;
    ops[MK_OP_REDUCE_MEAN].kernel[MK_GPU] = k_mean_gpu;
    ops[MK_OP_REDUCE_MAX].kernel[MK_GPU] = k_max_gpu;
    ops[MK_OP_REDUCE_MIN].kernel[MK_GPU] = k_min_gpu;
    ops[MK_OP_REDUCE_PROD].kernel[MK_GPU] = k_prod_gpu;
    ops[MK_OP_REDUCE_ANY].kernel[MK_GPU] = k_any_gpu;
    ops[MK_OP_REDUCE_ALL].kernel[MK_GPU] = k_all_gpu;
    ops[MK_OP_REDUCE_LOGSUMEXP].kernel[MK_GPU] = k_logsumexp_gpu;
    ops[MK_OP_ARGMAX].kernel[MK_GPU] = k_argmax_gpu;
    ops[MK_OP_ARGMIN].kernel[MK_GPU] = k_argmin_gpu;
    ops[MK_OP_CUMSUM].kernel[MK_GPU] = k_cumsum_gpu;
}
