/* Index family on the GPU: the twin of index.c (same ops, same attributes, same layouts).
 * boolean_mask and where_indices are MK_OP_DYNAMIC (their output shape depends on values):
 * they always run on the CPU and have no kernel here.
 *
 * Out-of-range indices: the CPU kernels raise an error, a GPU kernel cannot (it never reads
 * device memory on the host).  As TensorFlow's GPU kernels do:
 *   gather, gather_nd, take_along_axis: an out-of-range index reads ZEROS;
 *   unsorted_segment_sum, scatter_nd, scatter_along_axis: an out-of-range index is IGNORED.
 * Scatters add with atomics: integer sums are exact, but float sums over duplicate indices
 * add in an unspecified order (not bitwise deterministic, as in TensorFlow).
 *
 * Data-movement ops (MK_OP_F16_NATIVE: gather, gather_nd, take_along_axis, boolean_mask_grad)
 * dispatch on the element SIZE; the creation ops and one_hot write every dtype (float16
 * included: they have no float16 input for mk_exec to cast). */
#include "cuda_common.cuh"
#include <cub/cub.cuh>

static inline int64_t prod(const int64_t *s, int a, int b) {
    int64_t n = 1;
    for (int i = a; i < b; i++) n *= s[i];
    return n;
}

static inline int isz_of(const mk_tensor *t) { return mk_dtypes[t->dtype].itemsize; }

/* dispatch on an index dtype: int32 / int64 (what infer accepts: check_index) */
#define BY_IDX(dt, IT, ...)                                                    \
    switch (dt) {                                                              \
    case MK_I32: { typedef int32_t IT; __VA_ARGS__; }                          \
    case MK_I64: { typedef int64_t IT; __VA_ARGS__; }                          \
    default: return mkg_err(c, "unsupported index dtype %s", mk_dtypes[dt].name);\
    }

/* one_hot also takes uint8 indices */
#define BY_IDX3(dt, IT, ...)                                                   \
    switch (dt) {                                                              \
    case MK_I32: { typedef int32_t IT; __VA_ARGS__; }                          \
    case MK_I64: { typedef int64_t IT; __VA_ARGS__; }                          \
    case MK_U8: { typedef uint8_t IT; __VA_ARGS__; }                           \
    default: return mkg_err(c, "unsupported index dtype %s", mk_dtypes[dt].name);\
    }

/* dispatch on every dtype (creation ops, one_hot: float16 included) */
#define BY_DTYPE(dt, T, ...)                                                   \
    switch (dt) {                                                              \
    case MK_F32: { typedef float T; __VA_ARGS__; }                             \
    case MK_F64: { typedef double T; __VA_ARGS__; }                            \
    case MK_F16: { typedef __half T; __VA_ARGS__; }                            \
    case MK_I32: { typedef int32_t T; __VA_ARGS__; }                           \
    case MK_I64: { typedef int64_t T; __VA_ARGS__; }                           \
    case MK_U8: { typedef uint8_t T; __VA_ARGS__; }                            \
    case MK_BOOL: { typedef bool T; __VA_ARGS__; }                             \
    default: return mkg_err(c, "unsupported dtype %d", (int)(dt));             \
    }

/* dispatch on the numeric dtypes a scatter accepts (infer rejects bool; float16 comes
 * through float32) */
#define BY_NUM(dt, T, ...)                                                     \
    switch (dt) {                                                              \
    case MK_F32: { typedef float T; __VA_ARGS__; }                             \
    case MK_F64: { typedef double T; __VA_ARGS__; }                            \
    case MK_I32: { typedef int32_t T; __VA_ARGS__; }                           \
    case MK_I64: { typedef int64_t T; __VA_ARGS__; }                           \
    case MK_U8: { typedef uint8_t T; __VA_ARGS__; }                            \
    default: return mkg_err(c, "unsupported dtype %s", mk_dtypes[dt].name);    \
    }

static int zero_out(mk_call *c, mk_tensor *o) {
    return mkg_check_cuda(c, cudaMemsetAsync(mk_data(o), 0, (size_t)(mk_numel(o) * isz_of(o)), mkg_stream),
                          "cudaMemsetAsync");
}

/* ---- atomic adds for every scatter dtype ------------------------------------ */

__device__ __forceinline__ void atomic_add(float *p, float v) { atomicAdd(p, v); }
__device__ __forceinline__ void atomic_add(double *p, double v) { atomicAdd(p, v); }
__device__ __forceinline__ void atomic_add(int32_t *p, int32_t v) { atomicAdd((int *)p, (int)v); }
__device__ __forceinline__ void atomic_add(int64_t *p, int64_t v) {
    atomicAdd((unsigned long long *)p, (unsigned long long)v);   /* two's complement: same bits */
}
/* uint8 (wrapping, as the CPU's uint8 +=): CAS on the aligned 32-bit word holding the byte.
 * Allocations are at least 4-byte aligned, so the word never starts before the buffer; bytes
 * of the word past its end are written back unchanged. */
__device__ __forceinline__ void atomic_add(uint8_t *p, uint8_t v) {
    unsigned int *w = (unsigned int *)((uintptr_t)p & ~(uintptr_t)3);
    unsigned int shift = (unsigned int)((uintptr_t)p & 3) * 8u;
    unsigned int old = *w, assumed;
    do {
        assumed = old;
        unsigned int b = ((assumed >> shift) + v) & 0xffu;
        old = atomicCAS(w, assumed, (assumed & ~(0xffu << shift)) | (b << shift));
    } while (assumed != old);
}

/* ============================================================================
 * gather(params, indices): ints i[0] = axis, i[1] = batch_dims, i[2] = zero_oob.
 *   out[b, q, i, j] = params[b, q, indices[b, i], j]   (b: batch, q: params axes before
 *   `axis` after the batch ones, j: inner).  Out of range: zeros (TF GPU), whatever i[2].
 * ========================================================================== */

template <typename T, typename IT>
__global__ void gather_kernel(T *__restrict__ o, const T *__restrict__ p, const IT *__restrict__ idx,
                              int64_t Ni, int64_t Pq, int64_t N, int64_t inner, int64_t total) {
    MKG_GRID_STRIDE(f, total) {
        int64_t j = f % inner, r = f / inner;
        int64_t i = r % Ni, bp = r / Ni, b = bp / Pq;
        int64_t v = (int64_t)idx[b * Ni + i];
        o[f] = (v >= 0 && v < N) ? p[(bp * N + v) * inner + j] : T(0);
    }
}

static int k_gather_gpu(mk_call *c) {
    mk_tensor *P = c->in[0], *I = c->in[1], *O = c->out[0];
    int64_t bd = c->a.i[1] < 0 ? c->a.i[1] + I->ndim : c->a.i[1];
    int axis = (int)(c->a.i[0] < 0 ? c->a.i[0] + P->ndim : c->a.i[0]);
    int64_t Pq = prod(P->shape, (int)bd, axis), N = P->shape[axis];
    int64_t inner = prod(P->shape, axis + 1, P->ndim), Ni = prod(I->shape, (int)bd, I->ndim);
    int64_t total = mk_numel(O);
    if (total == 0) return 0;
    int isz = isz_of(P);
    BY_IDX(I->dtype, IT, MKG_BY_ITEMSIZE(c, isz, T, {
        gather_kernel<T, IT><<<mkg_blocks(total), MKG_THREADS, 0, mkg_stream>>>(
            mkg_ptr<T>(O), mkg_ptr<const T>(P), mkg_ptr<const IT>(I), Ni, Pq, N, inner, total);
        return mkg_check_launch(c);
    }));
}

/* ============================================================================
 * unsorted_segment_sum(data, segment_ids): ints i[0] = num_segments, i[1] = axis,
 *   i[2] = batch_dims (index.c).  out[b, q, s, j] += data[b, q, i, j] where s = ids[b, i];
 *   ids outside [0, num_segments) are dropped (negative ones on the CPU too).
 * ========================================================================== */

template <typename T, typename IT>
__global__ void uss_kernel(T *__restrict__ o, const T *__restrict__ d, const IT *__restrict__ seg,
                           int64_t Ni, int64_t Pq, int64_t N, int64_t inner, int64_t total) {
    MKG_GRID_STRIDE(f, total) {
        int64_t j = f % inner, r = f / inner;
        int64_t i = r % Ni, bp = r / Ni, b = bp / Pq;
        int64_t v = (int64_t)seg[b * Ni + i];
        if (v >= 0 && v < N) atomic_add(&o[(bp * N + v) * inner + j], d[f]);
    }
}

static int k_uss_gpu(mk_call *c) {
    mk_tensor *D = c->in[0], *S = c->in[1], *O = c->out[0];
    int64_t bd = c->a.ni > 2 ? c->a.i[2] : 0;
    if (bd < 0) bd += S->ndim;
    int k = S->ndim - (int)bd;
    int64_t a = c->a.ni > 1 ? c->a.i[1] : 0;
    if (a < 0) a += D->ndim - k + 1;
    int axis = (int)a;
    int64_t N = c->a.i[0];
    int64_t Pq = prod(D->shape, (int)bd, axis), Ni = prod(S->shape, (int)bd, S->ndim);
    int64_t inner = prod(D->shape, axis + k, D->ndim);
    if (mk_numel(O) == 0) return 0;
    if (zero_out(c, O) < 0) return -1;
    int64_t total = mk_numel(D);
    if (total == 0) return 0;
    BY_IDX(S->dtype, IT, BY_NUM(D->dtype, T, {
        uss_kernel<T, IT><<<mkg_blocks(total), MKG_THREADS, 0, mkg_stream>>>(
            mkg_ptr<T>(O), mkg_ptr<const T>(D), mkg_ptr<const IT>(S), Ni, Pq, N, inner, total);
        return mkg_check_launch(c);
    }));
}

/* ============================================================================
 * gather_nd(params, indices [..., K]) and scatter_nd(indices, updates; ints = shape):
 *   row m of indices addresses element block off(m) = ((i0 * d1 + i1) * d2 + ...) of the
 *   first K dims.  Out of range: gather_nd reads zeros, scatter_nd drops the row (TF GPU).
 * ========================================================================== */

typedef struct {
    int K;
    int64_t dims[MK_MAXDIM];
} nd_dims;

/* the block offset of index row m, or -1 when out of range */
template <typename IT>
__device__ __forceinline__ int64_t nd_off(const IT *idx, int64_t m, const nd_dims &g) {
    int64_t off = 0;
    for (int k = 0; k < g.K; k++) {
        int64_t v = (int64_t)idx[m * g.K + k];
        if (v < 0 || v >= g.dims[k]) return -1;
        off = off * g.dims[k] + v;
    }
    return off;
}

template <typename T, typename IT>
__global__ void gather_nd_kernel(T *__restrict__ o, const T *__restrict__ p, const IT *__restrict__ idx,
                                 nd_dims g, int64_t inner, int64_t total) {
    MKG_GRID_STRIDE(f, total) {
        int64_t j = f % inner, m = f / inner;
        int64_t off = nd_off(idx, m, g);
        o[f] = off >= 0 ? p[off * inner + j] : T(0);
    }
}

static int k_gather_nd_gpu(mk_call *c) {
    mk_tensor *P = c->in[0], *I = c->in[1], *O = c->out[0];
    nd_dims g;
    g.K = (int)I->shape[I->ndim - 1];
    for (int k = 0; k < g.K; k++) g.dims[k] = P->shape[k];
    int64_t inner = prod(P->shape, g.K, P->ndim), total = mk_numel(O);
    if (total == 0) return 0;
    int isz = isz_of(P);
    BY_IDX(I->dtype, IT, MKG_BY_ITEMSIZE(c, isz, T, {
        gather_nd_kernel<T, IT><<<mkg_blocks(total), MKG_THREADS, 0, mkg_stream>>>(
            mkg_ptr<T>(O), mkg_ptr<const T>(P), mkg_ptr<const IT>(I), g, inner, total);
        return mkg_check_launch(c);
    }));
}

template <typename T, typename IT>
__global__ void scatter_nd_kernel(T *__restrict__ o, const T *__restrict__ u, const IT *__restrict__ idx,
                                  nd_dims g, int64_t inner, int64_t total) {
    MKG_GRID_STRIDE(f, total) {
        int64_t j = f % inner, m = f / inner;
        int64_t off = nd_off(idx, m, g);
        if (off >= 0) atomic_add(&o[off * inner + j], u[f]);
    }
}

static int k_scatter_nd_gpu(mk_call *c) {
    mk_tensor *I = c->in[0], *U = c->in[1], *O = c->out[0];
    nd_dims g;
    g.K = (int)I->shape[I->ndim - 1];
    for (int k = 0; k < g.K; k++) g.dims[k] = O->shape[k];
    int64_t inner = prod(O->shape, g.K, O->ndim);
    if (mk_numel(O) == 0) return 0;
    if (zero_out(c, O) < 0) return -1;
    int64_t total = mk_numel(U);    /* = M * inner */
    if (total == 0) return 0;
    BY_IDX(I->dtype, IT, BY_NUM(U->dtype, T, {
        scatter_nd_kernel<T, IT><<<mkg_blocks(total), MKG_THREADS, 0, mkg_stream>>>(
            mkg_ptr<T>(O), mkg_ptr<const T>(U), mkg_ptr<const IT>(I), g, inner, total);
        return mkg_check_launch(c);
    }));
}

/* ============================================================================
 * take_along_axis(x, indices): ints i[0] = axis.  out[o, j, i] = x[o, idx[o, j, i], i]
 *   (zeros out of range, TF GPU).
 * scatter_along_axis(updates, indices): ints i[0] = axis, i[1] = n; the adjoint
 *   (out-of-range entries dropped).
 * ========================================================================== */

template <typename T, typename IT>
__global__ void take_along_kernel(T *__restrict__ o, const T *__restrict__ x, const IT *__restrict__ idx,
                                  int64_t n, int64_t m, int64_t inner, int64_t total) {
    MKG_GRID_STRIDE(f, total) {
        int64_t i = f % inner, oo = f / (m * inner);
        int64_t v = (int64_t)idx[f];
        o[f] = (v >= 0 && v < n) ? x[(oo * n + v) * inner + i] : T(0);
    }
}

static int k_take_along_gpu(mk_call *c) {
    mk_tensor *X = c->in[0], *I = c->in[1], *O = c->out[0];
    int axis = (int)(c->a.i[0] < 0 ? c->a.i[0] + X->ndim : c->a.i[0]);
    int64_t n = X->shape[axis], m = I->shape[axis];
    int64_t inner = prod(X->shape, axis + 1, X->ndim), total = mk_numel(O);
    if (total == 0) return 0;
    int isz = isz_of(X);
    BY_IDX(I->dtype, IT, MKG_BY_ITEMSIZE(c, isz, T, {
        take_along_kernel<T, IT><<<mkg_blocks(total), MKG_THREADS, 0, mkg_stream>>>(
            mkg_ptr<T>(O), mkg_ptr<const T>(X), mkg_ptr<const IT>(I), n, m, inner, total);
        return mkg_check_launch(c);
    }));
}

template <typename T, typename IT>
__global__ void scatter_along_kernel(T *__restrict__ o, const T *__restrict__ u, const IT *__restrict__ idx,
                                     int64_t n, int64_t m, int64_t inner, int64_t total) {
    MKG_GRID_STRIDE(f, total) {
        int64_t i = f % inner, oo = f / (m * inner);
        int64_t v = (int64_t)idx[f];
        if (v >= 0 && v < n) atomic_add(&o[(oo * n + v) * inner + i], u[f]);
    }
}

static int k_scatter_along_gpu(mk_call *c) {
    mk_tensor *U = c->in[0], *I = c->in[1], *O = c->out[0];
    int axis = (int)(c->a.i[0] < 0 ? c->a.i[0] + U->ndim : c->a.i[0]);
    int64_t n = O->shape[axis], m = I->shape[axis];
    int64_t inner = prod(U->shape, axis + 1, U->ndim), total = mk_numel(U);
    if (mk_numel(O) == 0) return 0;
    if (zero_out(c, O) < 0) return -1;
    if (total == 0) return 0;
    BY_IDX(I->dtype, IT, BY_NUM(U->dtype, T, {
        scatter_along_kernel<T, IT><<<mkg_blocks(total), MKG_THREADS, 0, mkg_stream>>>(
            mkg_ptr<T>(O), mkg_ptr<const T>(U), mkg_ptr<const IT>(I), n, m, inner, total);
        return mkg_check_launch(c);
    }));
}

/* ============================================================================
 * boolean_mask_grad(dy, mask): ints i[0] = axis.  out[o, j, i] = dy[o, pos[j], i] where
 *   mask[j], else 0; pos = exclusive prefix count of the mask (cub scan).  nnz = dy's size
 *   along axis (infer checked the mask against it; a mask with more trues when a traced
 *   graph replays gives zeros for the extra rows instead of the CPU's error).
 * ========================================================================== */

__global__ void mask_to_count(int64_t *__restrict__ pos, const uint8_t *__restrict__ mk, int64_t M) {
    MKG_GRID_STRIDE(j, M) pos[j] = mk[j] != 0;
}

template <typename T>
__global__ void bmask_grad_kernel(T *__restrict__ o, const T *__restrict__ d, const uint8_t *__restrict__ mk,
                                  const int64_t *__restrict__ pos, int64_t M, int64_t nnz, int64_t inner,
                                  int64_t total) {
    MKG_GRID_STRIDE(f, total) {
        int64_t i = f % inner, r = f / inner;
        int64_t j = r % M, oo = r / M;
        int64_t w = pos[j];
        o[f] = (mk[j] && w < nnz) ? d[(oo * nnz + w) * inner + i] : T(0);
    }
}

static int k_boolean_mask_grad_gpu(mk_call *c) {
    mk_tensor *D = c->in[0], *Mk = c->in[1], *O = c->out[0];
    int axis = (int)(c->a.i[0] < 0 ? c->a.i[0] + D->ndim : c->a.i[0]);
    int64_t M = mk_numel(Mk), inner = prod(D->shape, axis + 1, D->ndim), nnz = D->shape[axis];
    int64_t total = mk_numel(O);
    if (total == 0) return 0;
    size_t tmp_bytes = 0;
    if (mkg_check_cuda(c, cub::DeviceScan::ExclusiveSum(nullptr, tmp_bytes, (int64_t *)nullptr, M, mkg_stream),
                       "cub::DeviceScan::ExclusiveSum") < 0)
        return -1;
    size_t pos_bytes = ((size_t)M * sizeof(int64_t) + 255) & ~(size_t)255;
    size_t bytes = pos_bytes + tmp_bytes;
    char *scratch = (char *)mkg_alloc(bytes);
    if (!scratch) return mkg_err(c, "out of GPU memory (%zu bytes of scratch)", bytes);
    int64_t *pos = (int64_t *)scratch;
    int rc = 0;
    mask_to_count<<<mkg_blocks(M), MKG_THREADS, 0, mkg_stream>>>(pos, mkg_ptr<const uint8_t>(Mk), M);
    rc = mkg_check_launch(c);
    if (rc == 0)
        rc = mkg_check_cuda(c, cub::DeviceScan::ExclusiveSum(scratch + pos_bytes, tmp_bytes, pos, M, mkg_stream),
                            "cub::DeviceScan::ExclusiveSum");
    if (rc == 0) {
        int isz = isz_of(D);
        switch (isz) {
#define BMG(TT) bmask_grad_kernel<TT><<<mkg_blocks(total), MKG_THREADS, 0, mkg_stream>>>(            \
                    mkg_ptr<TT>(O), mkg_ptr<const TT>(D), mkg_ptr<const uint8_t>(Mk), pos, M, nnz, \
                    inner, total); rc = mkg_check_launch(c); break;
        case 1: BMG(uint8_t)
        case 2: BMG(uint16_t)
        case 4: BMG(uint32_t)
        case 8: BMG(uint64_t)
#undef BMG
        default: rc = mkg_err(c, "unsupported item size %d", isz);
        }
    }
    mkg_free(scratch, bytes);
    return rc;
}

/* ============================================================================
 * sort(x): ints i[0] = axis, i[1] = descending -> (values, int32 indices).
 * top_k(x): ints i[0] = k -> the first k of a descending sort of each last-axis row.
 *   index.c's order: stable (equal values, -0.0 == +0.0 included, keep index order), NaN
 *   last in both directions.  Here: each element becomes an unsigned radix key whose
 *   ascending order is exactly that order (NaN -> the largest key, -0.0 -> +0.0, descending
 *   -> the complement), and cub's stable radix sort orders (key, position) pairs per line.
 *   Lines (one per (outer, inner) pair) are segments of a [lines, n] scratch copy; a single
 *   line uses the device-wide sort, several the segmented one (one block per segment).
 * ========================================================================== */

template <typename T> struct sort_key;
template <> struct sort_key<float> {
    typedef uint32_t K;
    static __device__ __forceinline__ K make(float x, bool desc) {
        if (x != x) return 0xffffffffu;
        uint32_t u = __float_as_uint(x);
        if (u == 0x80000000u) u = 0;                                  /* -0.0 == +0.0 */
        u = (u & 0x80000000u) ? ~u : (u | 0x80000000u);              /* order-preserving */
        return desc ? ~u : u;                                         /* never 0xffffffff */
    }
};
template <> struct sort_key<double> {
    typedef unsigned long long K;
    static __device__ __forceinline__ K make(double x, bool desc) {
        if (x != x) return ~0ull;
        unsigned long long u = (unsigned long long)__double_as_longlong(x);
        if (u == 0x8000000000000000ull) u = 0;
        u = (u & 0x8000000000000000ull) ? ~u : (u | 0x8000000000000000ull);
        return desc ? ~u : u;
    }
};
template <> struct sort_key<int32_t> {
    typedef uint32_t K;
    static __device__ __forceinline__ K make(int32_t x, bool desc) {
        uint32_t u = (uint32_t)x ^ 0x80000000u;
        return desc ? ~u : u;
    }
};
template <> struct sort_key<int64_t> {
    typedef unsigned long long K;
    static __device__ __forceinline__ K make(int64_t x, bool desc) {
        unsigned long long u = (unsigned long long)x ^ 0x8000000000000000ull;
        return desc ? ~u : u;
    }
};
template <> struct sort_key<uint8_t> {
    typedef uint32_t K;      /* sorted on its low 8 bits */
    static __device__ __forceinline__ K make(uint8_t x, bool desc) { return desc ? 255u - x : (uint32_t)x; }
};

/* keys[L * n + j] = key(x[(o * n + j) * inner + i]) with L = o * inner + i; vals = j */
template <typename T>
__global__ void sort_keys_kernel(typename sort_key<T>::K *__restrict__ keys, int32_t *__restrict__ vals,
                                 const T *__restrict__ x, int64_t n, int64_t inner, bool desc, int64_t total) {
    MKG_GRID_STRIDE(f, total) {
        int64_t L = f / n, j = f - L * n;
        int64_t oo = L / inner, i = L - oo * inner;
        keys[f] = sort_key<T>::make(x[(oo * n + j) * inner + i], desc);
        vals[f] = (int32_t)j;
    }
}

/* the first kout of each sorted line: v/ix[(o * kout + j) * inner + i] */
template <typename T>
__global__ void sort_out_kernel(T *__restrict__ v, int32_t *__restrict__ ix, const T *__restrict__ x,
                                const int32_t *__restrict__ perm, int64_t n, int64_t kout, int64_t inner,
                                int64_t total) {
    MKG_GRID_STRIDE(f, total) {
        int64_t L = f / kout, j = f - L * kout;
        int64_t oo = L / inner, i = L - oo * inner;
        int64_t p = perm[L * n + j];
        int64_t dst = (oo * kout + j) * inner + i;
        v[dst] = x[(oo * n + p) * inner + i];
        ix[dst] = (int32_t)p;
    }
}

__global__ void seg_offsets_kernel(int *__restrict__ off, int64_t nseg, int64_t n) {
    MKG_GRID_STRIDE(s, nseg + 1) off[s] = (int)(s * n);
}

static size_t align256(size_t b) { return (b + 255) & ~(size_t)255; }

/* sort `lines` lines of n values of x (line L = (o, i): x[(o * n + j) * inner + i]) and write
 * the first kout of each line to the outputs */
template <typename T>
static int sort_lines(mk_call *c, int64_t lines, int64_t n, int64_t inner, int64_t kout, bool desc) {
    typedef typename sort_key<T>::K K;
    const T *x = mkg_ptr<const T>(c->in[0]);
    int64_t total = lines * n;
    int end_bit = sizeof(T) == 1 ? 8 : (int)(sizeof(K) * 8);
    /* segments per cub call: cub's segmented sort counts items in an int */
    int64_t per = lines == 1 ? 1 : (int64_t)INT32_MAX / n;
    if (per > lines) per = lines;
    size_t tmp_bytes = 0;
    for (int64_t s0 = 0; s0 < lines; s0 += per) {
        int64_t ns = lines - s0 < per ? lines - s0 : per;
        size_t b = 0;
        cudaError_t e = lines == 1
            ? cub::DeviceRadixSort::SortPairs(nullptr, b, (const K *)nullptr, (K *)nullptr, (const int32_t *)nullptr,
                                              (int32_t *)nullptr, n, 0, end_bit, mkg_stream)
            : cub::DeviceSegmentedRadixSort::SortPairs(nullptr, b, (const K *)nullptr, (K *)nullptr,
                                                       (const int32_t *)nullptr, (int32_t *)nullptr, (int)(ns * n),
                                                       (int)ns, (const int *)nullptr, (const int *)nullptr, 0,
                                                       end_bit, mkg_stream);
        if (mkg_check_cuda(c, e, "cub radix sort (temp size)") < 0) return -1;
        if (b > tmp_bytes) tmp_bytes = b;
        if (lines == 1) break;
    }
    size_t kb = align256((size_t)total * sizeof(K)), vb = align256((size_t)total * sizeof(int32_t));
    size_t ob = lines == 1 ? 0 : align256((size_t)(per + 1) * sizeof(int));
    size_t bytes = 2 * kb + 2 * vb + ob + tmp_bytes;
    char *scratch = (char *)mkg_alloc(bytes);
    if (!scratch) return mkg_err(c, "out of GPU memory (%zu bytes of sort scratch)", bytes);
    K *keys_in = (K *)scratch, *keys_out = (K *)(scratch + kb);
    int32_t *vals_in = (int32_t *)(scratch + 2 * kb), *vals_out = (int32_t *)(scratch + 2 * kb + vb);
    int *offs = (int *)(scratch + 2 * kb + 2 * vb);
    void *tmp = scratch + 2 * kb + 2 * vb + ob;
    int rc;
    sort_keys_kernel<T><<<mkg_blocks(total), MKG_THREADS, 0, mkg_stream>>>(keys_in, vals_in, x, n, inner, desc, total);
    rc = mkg_check_launch(c);
    if (rc == 0 && lines == 1) {
        size_t b = tmp_bytes;
        rc = mkg_check_cuda(c, cub::DeviceRadixSort::SortPairs(tmp, b, keys_in, keys_out, vals_in, vals_out, n, 0,
                                                               end_bit, mkg_stream),
                            "cub::DeviceRadixSort::SortPairs");
    } else if (rc == 0) {
        seg_offsets_kernel<<<mkg_blocks(per + 1), MKG_THREADS, 0, mkg_stream>>>(offs, per, n);
        rc = mkg_check_launch(c);
        for (int64_t s0 = 0; rc == 0 && s0 < lines; s0 += per) {
            int64_t ns = lines - s0 < per ? lines - s0 : per;
            size_t b = tmp_bytes;
            rc = mkg_check_cuda(c, cub::DeviceSegmentedRadixSort::SortPairs(
                                       tmp, b, keys_in + s0 * n, keys_out + s0 * n, vals_in + s0 * n,
                                       vals_out + s0 * n, (int)(ns * n), (int)ns, offs, offs + 1, 0, end_bit,
                                       mkg_stream),
                                "cub::DeviceSegmentedRadixSort::SortPairs");
        }
    }
    if (rc == 0) {
        int64_t ototal = lines * kout;
        sort_out_kernel<T><<<mkg_blocks(ototal), MKG_THREADS, 0, mkg_stream>>>(
            mkg_ptr<T>(c->out[0]), mkg_ptr<int32_t>(c->out[1]), x, vals_out, n, kout, inner, ototal);
        rc = mkg_check_launch(c);
    }
    mkg_free(scratch, bytes);
    return rc;
}

#define BY_SORT(dt, T, ...)                                                    \
    switch (dt) {                                                              \
    case MK_F32: { typedef float T; __VA_ARGS__; }                             \
    case MK_F64: { typedef double T; __VA_ARGS__; }                            \
    case MK_I32: { typedef int32_t T; __VA_ARGS__; }                           \
    case MK_I64: { typedef int64_t T; __VA_ARGS__; }                           \
    case MK_U8: { typedef uint8_t T; __VA_ARGS__; }                            \
    default: return mkg_err(c, "unsupported dtype %s", mk_dtypes[dt].name);    \
    }

static int k_sort_gpu(mk_call *c) {
    mk_tensor *X = c->in[0];
    int axis = (int)(c->a.i[0] < 0 ? c->a.i[0] + X->ndim : c->a.i[0]);
    bool desc = c->a.i[1] != 0;
    int64_t outer = prod(X->shape, 0, axis), n = X->shape[axis], inner = prod(X->shape, axis + 1, X->ndim);
    if (outer * inner == 0 || n == 0) return 0;
    BY_SORT(X->dtype, T, return sort_lines<T>(c, outer * inner, n, inner, n, desc));
}

static int k_top_k_gpu(mk_call *c) {
    mk_tensor *X = c->in[0];
    int64_t n = X->shape[X->ndim - 1], k = c->out[0]->shape[X->ndim - 1];
    int64_t rows = prod(X->shape, 0, X->ndim - 1);
    if (rows == 0 || k == 0) return 0;
    BY_SORT(X->dtype, T, return sort_lines<T>(c, rows, n, 1, k, true));
}

/* ============================================================================
 * in_top_k(predictions [B, C], targets [B]): ints i[0] = k.  One warp per row: true when
 *   the target is in [0, C), its prediction is finite and fewer than k predictions are
 *   strictly greater (index.c; TF's rule).
 * ========================================================================== */

template <typename T, typename IT>
__global__ void in_top_k_kernel(bool *__restrict__ o, const T *__restrict__ p, const IT *__restrict__ tg,
                                int64_t B, int64_t C, int64_t k) {
    int lane = threadIdx.x & 31;
    int64_t warp = ((int64_t)blockIdx.x * blockDim.x + threadIdx.x) >> 5;
    int64_t nwarps = ((int64_t)gridDim.x * blockDim.x) >> 5;
    for (int64_t b = warp; b < B; b += nwarps) {
        int64_t t = (int64_t)tg[b];
        bool valid = t >= 0 && t < C;
        T pv = valid ? p[b * C + t] : T(0);
        valid = valid && isfinite(pv);
        long long cnt = 0;
        if (valid)
            for (int64_t j = lane; j < C; j += 32) cnt += p[b * C + j] > pv;
        for (int s = 16; s > 0; s >>= 1) cnt += __shfl_down_sync(0xffffffffu, cnt, s);
        if (lane == 0) o[b] = valid && cnt < k;
    }
}

static int k_in_top_k_gpu(mk_call *c) {
    mk_tensor *P = c->in[0], *Tt = c->in[1];
    int64_t B = P->shape[0], C = P->shape[1], k = c->a.i[0];
    if (B == 0) return 0;
    unsigned blocks = mkg_blocks(B * 32);
    BY_IDX(Tt->dtype, IT, {
        if (P->dtype == MK_F32)
            in_top_k_kernel<float, IT><<<blocks, MKG_THREADS, 0, mkg_stream>>>(
                mkg_ptr<bool>(c->out[0]), mkg_ptr<const float>(P), mkg_ptr<const IT>(Tt), B, C, k);
        else
            in_top_k_kernel<double, IT><<<blocks, MKG_THREADS, 0, mkg_stream>>>(
                mkg_ptr<bool>(c->out[0]), mkg_ptr<const double>(P), mkg_ptr<const IT>(Tt), B, C, k);
        return mkg_check_launch(c);
    });
}

/* ============================================================================
 * Values from attributes, converted as index.c's store1 / fill_typed do: float dtypes from
 * the double v, integer dtypes from the int64 iv (C casts: truncating / wrapping), bool as
 * iv != 0.  float16 rounds the double once (__double2half, like the CPU's (_Float16)v).
 * ========================================================================== */

template <typename T> __device__ __forceinline__ T from_vals(double v, int64_t iv);
template <> __device__ __forceinline__ float from_vals<float>(double v, int64_t) { return (float)v; }
template <> __device__ __forceinline__ double from_vals<double>(double v, int64_t) { return v; }
template <> __device__ __forceinline__ __half from_vals<__half>(double v, int64_t) { return __double2half(v); }
template <> __device__ __forceinline__ int32_t from_vals<int32_t>(double, int64_t iv) { return (int32_t)iv; }
template <> __device__ __forceinline__ int64_t from_vals<int64_t>(double, int64_t iv) { return iv; }
template <> __device__ __forceinline__ uint8_t from_vals<uint8_t>(double, int64_t iv) { return (uint8_t)iv; }
template <> __device__ __forceinline__ bool from_vals<bool>(double, int64_t iv) { return iv != 0; }

/* ---- one_hot(indices): ints i[0] = depth, i[1] = axis (-1: last), i[2] = dtype;
 * floats f[0] = on, f[1] = off.  out[o, d, i] = indices[o, i] == d ? on : off. ---- */

template <typename T, typename IT>
__global__ void one_hot_kernel(T *__restrict__ o, const IT *__restrict__ idx, int64_t depth, int64_t inner,
                               double on, int64_t ion, double off, int64_t ioff, int64_t total) {
    T von = from_vals<T>(on, ion), voff = from_vals<T>(off, ioff);
    MKG_GRID_STRIDE(f, total) {
        int64_t i = f % inner, r = f / inner;
        int64_t d = r % depth, oo = r / depth;
        o[f] = (int64_t)idx[oo * inner + i] == d ? von : voff;
    }
}

static int k_one_hot_gpu(mk_call *c) {
    mk_tensor *I = c->in[0], *O = c->out[0];
    int64_t depth = c->a.i[0], axis = c->a.i[1] == -1 ? I->ndim : c->a.i[1];
    int64_t inner = prod(I->shape, (int)axis, I->ndim), total = mk_numel(O);
    if (total == 0) return 0;
    double on = c->a.f[0], off = c->a.f[1];
    int64_t ion = (int64_t)on, ioff = (int64_t)off;
    BY_IDX3(I->dtype, IT, {
        BY_DTYPE(O->dtype, T, {
            one_hot_kernel<T, IT><<<mkg_blocks(total), MKG_THREADS, 0, mkg_stream>>>(
                mkg_ptr<T>(O), mkg_ptr<const IT>(I), depth, inner, on, ion, off, ioff, total);
            return mkg_check_launch(c);
        });
    });
}

/* ---- creation ops (no inputs; the dtype is an attribute, float16 included) ------
 * range:    ints [dtype, start, limit, delta], floats [start, limit, delta]
 * linspace: ints [dtype, num], floats [start, stop]
 * eye:      ints [dtype, rows, cols, batch...]
 * fill:     ints [dtype, int_value, dims...], floats [value] */

template <typename T>
__global__ void range_kernel(T *__restrict__ o, double s, double d, int64_t si, int64_t di, int64_t n) {
    MKG_GRID_STRIDE(i, n) o[i] = from_vals<T>(s + (double)i * d, si + i * di);
}

static int k_range_gpu(mk_call *c) {
    mk_tensor *O = c->out[0];
    int64_t n = O->shape[0];
    if (n == 0) return 0;
    BY_DTYPE(O->dtype, T, {
        range_kernel<T><<<mkg_blocks(n), MKG_THREADS, 0, mkg_stream>>>(mkg_ptr<T>(O), c->a.f[0], c->a.f[2],
                                                                       c->a.i[1], c->a.i[3], n);
        return mkg_check_launch(c);
    });
}

template <typename T>
__global__ void linspace_kernel(T *__restrict__ o, double s, double e, double step, int64_t n) {
    MKG_GRID_STRIDE(i, n) o[i] = from_vals<T>((n > 1 && i == n - 1) ? e : s + (double)i * step, 0);
}

static int k_linspace_gpu(mk_call *c) {
    mk_tensor *O = c->out[0];
    int64_t n = O->shape[0];
    if (n == 0) return 0;
    double s = c->a.f[0], e = c->a.f[1];
    double step = n > 1 ? (e - s) / (double)(n - 1) : 0;
    BY_DTYPE(O->dtype, T, {
        linspace_kernel<T><<<mkg_blocks(n), MKG_THREADS, 0, mkg_stream>>>(mkg_ptr<T>(O), s, e, step, n);
        return mkg_check_launch(c);
    });
}

template <typename T>
__global__ void eye_kernel(T *__restrict__ o, int64_t cols, int64_t mat, int64_t total) {
    MKG_GRID_STRIDE(f, total) {
        int64_t q = f % mat;
        int64_t r = q / cols, col = q - r * cols;
        o[f] = from_vals<T>(r == col ? 1.0 : 0.0, r == col);
    }
}

static int k_eye_gpu(mk_call *c) {
    mk_tensor *O = c->out[0];
    int64_t rows = c->a.i[1], cols = c->a.i[2], total = mk_numel(O);
    if (total == 0) return 0;   /* also rows == 0 or cols == 0 */
    BY_DTYPE(O->dtype, T, {
        eye_kernel<T><<<mkg_blocks(total), MKG_THREADS, 0, mkg_stream>>>(mkg_ptr<T>(O), cols, rows * cols, total);
        return mkg_check_launch(c);
    });
}

template <typename T>
__global__ void fill_kernel(T *__restrict__ o, double v, int64_t iv, int64_t n) {
    T x = from_vals<T>(v, iv);
    MKG_GRID_STRIDE(i, n) o[i] = x;
}

static int k_fill_gpu(mk_call *c) {
    mk_tensor *O = c->out[0];
    int64_t n = mk_numel(O);
    if (n == 0) return 0;
    BY_DTYPE(O->dtype, T, {
        fill_kernel<T><<<mkg_blocks(n), MKG_THREADS, 0, mkg_stream>>>(mkg_ptr<T>(O), c->a.f[0], c->a.i[1], n);
        return mkg_check_launch(c);
    });
}

/* ---- registration ------------------------------------------------------------ */

void mkg_register_index(mk_opdef *ops) {
    ops[MK_OP_GATHER].kernel[MK_GPU] = k_gather_gpu;
    ops[MK_OP_GATHER_ND].kernel[MK_GPU] = k_gather_nd_gpu;
    ops[MK_OP_UNSORTED_SEGMENT_SUM].kernel[MK_GPU] = k_uss_gpu;
    ops[MK_OP_SCATTER_ND].kernel[MK_GPU] = k_scatter_nd_gpu;
    ops[MK_OP_TAKE_ALONG_AXIS].kernel[MK_GPU] = k_take_along_gpu;
    ops[MK_OP_SCATTER_ALONG_AXIS].kernel[MK_GPU] = k_scatter_along_gpu;
    ops[MK_OP_BOOLEAN_MASK_GRAD].kernel[MK_GPU] = k_boolean_mask_grad_gpu;
    ops[MK_OP_SORT].kernel[MK_GPU] = k_sort_gpu;
    ops[MK_OP_TOP_K].kernel[MK_GPU] = k_top_k_gpu;
    ops[MK_OP_IN_TOP_K].kernel[MK_GPU] = k_in_top_k_gpu;
    ops[MK_OP_ONE_HOT].kernel[MK_GPU] = k_one_hot_gpu;
    ops[MK_OP_RANGE].kernel[MK_GPU] = k_range_gpu;
    ops[MK_OP_LINSPACE].kernel[MK_GPU] = k_linspace_gpu;
    ops[MK_OP_EYE].kernel[MK_GPU] = k_eye_gpu;
    ops[MK_OP_FILL].kernel[MK_GPU] = k_fill_gpu;
}
