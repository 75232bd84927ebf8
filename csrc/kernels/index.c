/* Index family: gather / scatter style ops, masks, sorting, one_hot and the
 * creation ops (range, linspace, eye, fill).
 *
 * Index values are checked in the KERNELS (not only in infer), since a traced
 * graph replays the kernel on new index values without running infer again.
 * Every kernel validates all indices before it writes anything.
 *
 * Backward rules (python/minikeras/engine/gradients/index.py) pair the ops up:
 *   gather            <-> unsorted_segment_sum (same axis / batch_dims attrs)
 *   gather_nd         <-> scatter_nd
 *   take_along_axis   <-> scatter_along_axis (used by sort and top_k)
 *   boolean_mask      <-> boolean_mask_grad
 * so every gradient is itself differentiable. */
#include "loops.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

/* ---- helpers --------------------------------------------------------------- */

static inline int64_t prod(const int64_t *s, int a, int b) {
    int64_t n = 1;
    for (int i = a; i < b; i++) n *= s[i];
    return n;
}

static inline int64_t rd_idx(const void *p, int dt, int64_t i) {
    switch (dt) {
    case MK_I32: return ((const int32_t *)p)[i];
    case MK_I64: return ((const int64_t *)p)[i];
    default: return ((const uint8_t *)p)[i];
    }
}

static int check_index(mk_call *c, const mk_tensor *t, const char *what) {
    if (t->dtype != MK_I32 && t->dtype != MK_I64)
        return mk_err(c, "%s must be int32 or int64, got %s", what, mk_dtypes[t->dtype].name);
    return 0;
}

static int check_numeric(mk_call *c, const mk_tensor *t, const char *what) {
    if (t->dtype == MK_BOOL)
        return mk_err(c, "%s must be numeric, got %s", what, mk_dtypes[t->dtype].name);
    return 0;
}

/* "i,j,k": the coordinates of flat position f in shape (TF's SliceDebugString) */
static void coord_str(char *buf, size_t n, int ndim, const int64_t *shape, int64_t f) {
    int64_t co[MK_MAXDIM];
    for (int d = ndim - 1; d >= 0; d--) {
        co[d] = shape[d] ? f % shape[d] : 0;
        f = shape[d] ? f / shape[d] : 0;
    }
    size_t k = 0;
    buf[0] = 0;
    for (int d = 0; d < ndim && k < n; d++)
        k += snprintf(buf + k, n - k, d ? ",%lld" : "%lld", (long long)co[d]);
}

static int check_rank(mk_call *c, int r) {
    if (r > MK_MAXDIM) return mk_err(c, "result would have rank %d > %d", r, MK_MAXDIM);
    return 0;
}

/* copy n elements of size isz */
static inline void cp_elems(char *dst, const char *src, int64_t n, int isz) {
    if (n == 1) {
        switch (isz) {
        case 1: *dst = *src; return;
        case 2: *(uint16_t *)dst = *(const uint16_t *)src; return;
        case 4: *(uint32_t *)dst = *(const uint32_t *)src; return;
        case 8: *(uint64_t *)dst = *(const uint64_t *)src; return;
        }
    }
    memcpy(dst, src, (size_t)(n * isz));
}

/* store one value of dtype dt (v for floats, iv for ints) */
static inline void store1(void *p, int dt, int64_t i, double v, int64_t iv) {
    switch (dt) {
    case MK_F32: ((float *)p)[i] = (float)v; break;
    case MK_F64: ((double *)p)[i] = v; break;
    case MK_F16: ((_Float16 *)p)[i] = (_Float16)v; break;
    case MK_I32: ((int32_t *)p)[i] = (int32_t)iv; break;
    case MK_I64: ((int64_t *)p)[i] = iv; break;
    case MK_U8: ((uint8_t *)p)[i] = (uint8_t)iv; break;
    case MK_BOOL: ((uint8_t *)p)[i] = iv != 0; break;
    }
}

#define FILL_T(T, x)                                                      \
    {                                                                     \
        T *q = p;                                                         \
        T val = (T)(x);                                                   \
        _Pragma("omp parallel for schedule(static) if (n >= MK_PAR_MIN)") \
        for (int64_t i = 0; i < n; i++) q[i] = val;                       \
    }                                                                     \
    break;
static void fill_typed(void *p, int dt, int64_t n, double v, int64_t iv) {
    switch (dt) {
    case MK_F32: FILL_T(float, v)
    case MK_F64: FILL_T(double, v)
    case MK_F16: FILL_T(_Float16, v)
    case MK_I32: FILL_T(int32_t, iv)
    case MK_I64: FILL_T(int64_t, iv)
    case MK_U8: FILL_T(uint8_t, iv)
    case MK_BOOL: FILL_T(uint8_t, iv != 0)
    }
}

static void zero_out(mk_tensor *O) {
    memset(mk_data(O), 0, (size_t)(mk_numel(O) * mk_dtypes[O->dtype].itemsize));
}

/* is element i of a contiguous buffer of dtype dt non-zero (NaN counts as true) */
static inline int nonzero_at(const char *p, int dt, int64_t i) {
    switch (dt) {
    case MK_F32: return ((const float *)p)[i] != 0;
    case MK_F64: return ((const double *)p)[i] != 0;
    case MK_F16: return (((const uint16_t *)p)[i] & 0x7fff) != 0;
    case MK_I32: return ((const int32_t *)p)[i] != 0;
    case MK_I64: return ((const int64_t *)p)[i] != 0;
    default: return ((const uint8_t *)p)[i] != 0;
    }
}

static int64_t count_nonzero(const mk_tensor *t) {
    int64_t n = mk_numel(t), cnt = 0;
    const char *p = mk_data(t);
    for (int64_t i = 0; i < n; i++) cnt += nonzero_at(p, t->dtype, i);
    return cnt;
}

/* ============================================================================
 * gather(params, indices)
 *   ints: i[0] = axis (negative: from params' rank), i[1] = batch_dims
 *   (negative: from indices' rank), i[2] = 1: out-of-range indices give zero
 *   rows instead of an error (used by unsorted_segment_sum's gradient, where
 *   negative segment ids are dropped).
 *   out = params.shape[:axis] + indices.shape[batch_dims:] + params.shape[axis+1:]
 * ========================================================================== */

static int gather_dims(mk_call *c, const mk_tensor *P, const mk_tensor *I, int *axis, int *bd) {
    int64_t b = c->a.i[1];
    *bd = 0;
    if (b < 0) b += I->ndim;
    if (b < 0 || b > I->ndim)
        return mk_err(c, "batch_dims (%lld) must be in range [%d, %d]", (long long)c->a.i[1],
                      -I->ndim, I->ndim);
    *bd = (int)b;
    if (P->ndim < 1) return mk_err(c, "params must be at least 1 dimensional, got shape []");
    if (mk_norm_axis(c, c->a.i[0], P->ndim, axis) < 0) return -1;
    return 0;
}

static int infer_gather(mk_call *c) {
    mk_tensor *P = c->in[0], *I = c->in[1];
    int axis, bd;
    if (check_index(c, I, "indices") < 0 || gather_dims(c, P, I, &axis, &bd) < 0) return -1;
    if (bd > axis) return mk_err(c, "batch_dims (%d) must be less than or equal to axis (%d)", bd, axis);
    for (int d = 0; d < bd; d++)
        if (P->shape[d] != I->shape[d]) {
            char sp[128], si[128];
            mk_shape_str(sp, sizeof sp, P->ndim, P->shape);
            mk_shape_str(si, sizeof si, I->ndim, I->shape);
            return mk_err(c, "params.shape[%d]: %lld should be equal to indices.shape[%d]: %lld "
                          "(params %s, indices %s, batch_dims=%d)", d, (long long)P->shape[d], d,
                          (long long)I->shape[d], sp, si, bd);
        }
    mk_meta *m = &c->meta[0];
    int r = axis + (I->ndim - bd) + (P->ndim - axis - 1);
    if (check_rank(c, r) < 0) return -1;
    int k = 0;
    for (int d = 0; d < axis; d++) m->shape[k++] = P->shape[d];
    for (int d = bd; d < I->ndim; d++) m->shape[k++] = I->shape[d];
    for (int d = axis + 1; d < P->ndim; d++) m->shape[k++] = P->shape[d];
    m->ndim = r;
    m->dtype = P->dtype;
    m->view = 0;
    return 0;
}

static int k_gather(mk_call *c) {
    mk_tensor *P = c->in[0], *I = c->in[1], *O = c->out[0];
    int axis, bd;
    if (gather_dims(c, P, I, &axis, &bd) < 0) return -1;
    int64_t B = prod(P->shape, 0, bd), Pq = prod(P->shape, bd, axis), N = P->shape[axis];
    int64_t inner = prod(P->shape, axis + 1, P->ndim), Ni = prod(I->shape, bd, I->ndim);
    const void *ip = mk_data(I);
    int idt = I->dtype, zero_oob = c->a.ni > 2 && c->a.i[2];
    if (!zero_oob) {
        for (int64_t f = 0; f < B * Ni; f++) {
            int64_t v = rd_idx(ip, idt, f);
            if (v < 0 || v >= N) {
                char s[160];
                coord_str(s, sizeof s, I->ndim, I->shape, f);
                return mk_err(c, "indices[%s] = %lld is not in [0, %lld)", s, (long long)v, (long long)N);
            }
        }
    }
    int isz = mk_dtypes[P->dtype].itemsize;
    int64_t rows = B * Pq * Ni, rowbytes = inner * isz;
    const char *p = mk_data(P);
    char *o = mk_data(O);
    if (rows == 0 || inner == 0) return 0;
    #pragma omp parallel for schedule(static) if (rows * inner >= MK_PAR_MIN)
    for (int64_t r = 0; r < rows; r++) {
        int64_t i = r % Ni, bp = r / Ni, b = bp / Pq;
        int64_t v = rd_idx(ip, idt, b * Ni + i);
        char *dst = o + r * rowbytes;
        if (v < 0 || v >= N) memset(dst, 0, (size_t)rowbytes);
        else cp_elems(dst, p + (bp * N + v) * rowbytes, inner, isz);
    }
    return 0;
}

/* ============================================================================
 * unsorted_segment_sum(data, segment_ids)
 *   ints: i[0] = num_segments, i[1] = axis (default 0; negative: from the
 *   output's rank), i[2] = batch_dims (negative: from segment_ids' rank).
 *   With k = rank(segment_ids) - batch_dims, data.shape must be
 *   segment_ids.shape[:batch_dims] + data.shape[batch_dims:axis] +
 *   segment_ids.shape[batch_dims:] + inner; out = data.shape[:axis] +
 *   [num_segments] + inner.  (axis = batch_dims = 0 is TF's op; other values
 *   make it the exact adjoint of gather with the same attrs.)
 *   Negative ids are dropped (as TF); ids >= num_segments are an error.
 * ========================================================================== */

static int uss_dims(mk_call *c, const mk_tensor *D, const mk_tensor *S, int *axis, int *bd, int *k) {
    int64_t b = c->a.ni > 2 ? c->a.i[2] : 0;
    if (b < 0) b += S->ndim;
    if (b < 0 || b > S->ndim)
        return mk_err(c, "batch_dims (%lld) must be in range [%d, %d]", (long long)c->a.i[2],
                      -S->ndim, S->ndim);
    *bd = (int)b;
    *k = S->ndim - *bd;
    int rout = D->ndim - *k + 1;
    int64_t a = c->a.ni > 1 ? c->a.i[1] : 0;
    if (a < 0) a += rout;
    if (a < *bd || a > D->ndim - *k) {
        char sd[128], ss[128];
        mk_shape_str(sd, sizeof sd, D->ndim, D->shape);
        mk_shape_str(ss, sizeof ss, S->ndim, S->shape);
        return mk_err(c, "data.shape = %s does not start with segment_ids.shape = %s "
                      "(axis=%lld, batch_dims=%d)", sd, ss, (long long)(c->a.ni > 1 ? c->a.i[1] : 0), *bd);
    }
    *axis = (int)a;
    return 0;
}

static int infer_uss(mk_call *c) {
    mk_tensor *D = c->in[0], *S = c->in[1];
    if (check_numeric(c, D, "data") < 0 || check_index(c, S, "segment_ids") < 0) return -1;
    if (c->a.ni < 1) return mk_err(c, "num_segments is required");
    int64_t N = c->a.i[0];
    if (N < 0) return mk_err(c, "num_segments must be >= 0, got %lld", (long long)N);
    int axis, bd, k;
    if (uss_dims(c, D, S, &axis, &bd, &k) < 0) return -1;
    int ok = 1;
    for (int d = 0; d < bd; d++) ok &= D->shape[d] == S->shape[d];
    for (int d = 0; d < k; d++) ok &= D->shape[axis + d] == S->shape[bd + d];
    if (!ok) {
        char sd[128], ss[128];
        mk_shape_str(sd, sizeof sd, D->ndim, D->shape);
        mk_shape_str(ss, sizeof ss, S->ndim, S->shape);
        return mk_err(c, "data.shape = %s does not start with segment_ids.shape = %s "
                      "(axis=%d, batch_dims=%d)", sd, ss, axis, bd);
    }
    mk_meta *m = &c->meta[0];
    int r = 0;
    for (int d = 0; d < axis; d++) m->shape[r++] = D->shape[d];
    m->shape[r++] = N;
    for (int d = axis + k; d < D->ndim; d++) m->shape[r++] = D->shape[d];
    m->ndim = r;
    m->dtype = D->dtype;
    m->view = 0;
    return 0;
}

#define USS_CHUNK 512
#define USS_T(T)                                                                             \
    {                                                                                        \
        T *o = mk_data(O);                                                                   \
        const T *d = mk_data(D);                                                             \
        _Pragma("omp parallel for schedule(static) if (BP * Ni * inner >= MK_PAR_MIN)")     \
        for (int64_t t = 0; t < tasks; t++) {                                                \
            int64_t bp = t / nch, j0 = (t % nch) * USS_CHUNK, j1 = j0 + USS_CHUNK;           \
            if (j1 > inner) j1 = inner;                                                      \
            int64_t b = bp / Pq;                                                             \
            for (int64_t i = 0; i < Ni; i++) {                                               \
                int64_t v = rd_idx(sp, sdt, b * Ni + i);                                     \
                if (v < 0 || v >= N) continue;                                               \
                T *dst = o + (bp * N + v) * inner;                                           \
                const T *src = d + (bp * Ni + i) * inner;                                    \
                for (int64_t j = j0; j < j1; j++) dst[j] += src[j];                          \
            }                                                                                \
        }                                                                                    \
    }                                                                                        \
    break;

static int k_uss(mk_call *c) {
    mk_tensor *D = c->in[0], *S = c->in[1], *O = c->out[0];
    int axis, bd, k;
    if (uss_dims(c, D, S, &axis, &bd, &k) < 0) return -1;
    int64_t N = c->a.i[0];
    int64_t B = prod(S->shape, 0, bd), Pq = prod(D->shape, bd, axis), Ni = prod(S->shape, bd, S->ndim);
    int64_t inner = prod(D->shape, axis + k, D->ndim);
    const void *sp = mk_data(S);
    int sdt = S->dtype;
    for (int64_t f = 0; f < B * Ni; f++) {
        int64_t v = rd_idx(sp, sdt, f);
        if (v >= N) {
            char s[160];
            coord_str(s, sizeof s, S->ndim, S->shape, f);
            return mk_err(c, "segment_ids[%s] = %lld is out of range [0, %lld)", s, (long long)v,
                          (long long)N);
        }
    }
    zero_out(O);
    int64_t BP = B * Pq, nch = (inner + USS_CHUNK - 1) / USS_CHUNK, tasks = BP * nch;
    if (tasks == 0 || Ni == 0) return 0;
    switch (O->dtype) {
    case MK_F32: USS_T(float)
    case MK_F64: USS_T(double)
    case MK_I32: USS_T(int32_t)
    case MK_I64: USS_T(int64_t)
    case MK_U8: USS_T(uint8_t)
    default: return mk_err(c, "unsupported dtype %s", mk_dtypes[O->dtype].name);
    }
    return 0;
}

/* ============================================================================
 * gather_nd(params, indices): indices [..., K] index the first K axes.
 *   out = indices.shape[:-1] + params.shape[K:]
 * scatter_nd(indices, updates): ints = the output shape (one per axis);
 *   duplicates are summed; out of range indices are an error.
 * ========================================================================== */

static int infer_gather_nd(mk_call *c) {
    mk_tensor *P = c->in[0], *I = c->in[1];
    if (check_index(c, I, "indices") < 0) return -1;
    if (I->ndim < 1) return mk_err(c, "indices must be at least a vector, got shape []");
    int64_t K = I->shape[I->ndim - 1];
    if (K > P->ndim) {
        char sp[128], si[128];
        mk_shape_str(sp, sizeof sp, P->ndim, P->shape);
        mk_shape_str(si, sizeof si, I->ndim, I->shape);
        return mk_err(c, "index innermost dimension length must be <= params rank; saw: %lld vs. %d "
                      "(params %s, indices %s)", (long long)K, P->ndim, sp, si);
    }
    mk_meta *m = &c->meta[0];
    int r = 0;
    if (check_rank(c, I->ndim - 1 + P->ndim - (int)K) < 0) return -1;
    for (int d = 0; d < I->ndim - 1; d++) m->shape[r++] = I->shape[d];
    for (int d = (int)K; d < P->ndim; d++) m->shape[r++] = P->shape[d];
    m->ndim = r;
    m->dtype = P->dtype;
    m->view = 0;
    return 0;
}

/* validate rows of K indices into dims[0..K); returns -1 with err on a bad row */
static int check_nd_rows(mk_call *c, const mk_tensor *I, int64_t M, int K, const int64_t *dims,
                         int ndims, const char *what) {
    const void *ip = mk_data(I);
    for (int64_t m = 0; m < M; m++)
        for (int k = 0; k < K; k++) {
            int64_t v = rd_idx(ip, I->dtype, m * K + k);
            if (v < 0 || v >= dims[k]) {
                char s[160], sv[160], sd[128];
                coord_str(s, sizeof s, I->ndim - 1, I->shape, m);
                size_t q = 0;
                sv[0] = 0;
                for (int j = 0; j < K && q < sizeof sv; j++)
                    q += snprintf(sv + q, sizeof sv - q, j ? ", %lld" : "%lld",
                                  (long long)rd_idx(ip, I->dtype, m * K + j));
                mk_shape_str(sd, sizeof sd, ndims, dims);
                return mk_err(c, "indices[%s] = [%s] does not index into %s %s", s, sv, what, sd);
            }
        }
    return 0;
}

static inline int64_t nd_offset(const void *ip, int dt, int64_t m, int K, const int64_t *dims) {
    int64_t off = 0;
    for (int k = 0; k < K; k++) off = off * dims[k] + rd_idx(ip, dt, m * K + k);
    return off;
}

static int k_gather_nd(mk_call *c) {
    mk_tensor *P = c->in[0], *I = c->in[1], *O = c->out[0];
    int K = (int)I->shape[I->ndim - 1];
    int64_t M = prod(I->shape, 0, I->ndim - 1), inner = prod(P->shape, K, P->ndim);
    if (check_nd_rows(c, I, M, K, P->shape, P->ndim, "param shape") < 0) return -1;
    int isz = mk_dtypes[P->dtype].itemsize;
    int64_t rowbytes = inner * isz;
    const char *p = mk_data(P);
    const void *ip = mk_data(I);
    char *o = mk_data(O);
    if (inner == 0) return 0;
    #pragma omp parallel for schedule(static) if (M * inner >= MK_PAR_MIN)
    for (int64_t m = 0; m < M; m++)
        cp_elems(o + m * rowbytes, p + nd_offset(ip, I->dtype, m, K, P->shape) * rowbytes, inner, isz);
    return 0;
}

static int infer_scatter_nd(mk_call *c) {
    mk_tensor *I = c->in[0], *U = c->in[1];
    if (check_index(c, I, "indices") < 0 || check_numeric(c, U, "updates") < 0) return -1;
    if (I->ndim < 1) return mk_err(c, "indices must be at least a vector, got shape []");
    int nd = c->a.ni;
    if (check_rank(c, nd) < 0) return -1;
    for (int d = 0; d < nd; d++)
        if (c->a.i[d] < 0) return mk_err(c, "shape[%d] = %lld must be non-negative", d, (long long)c->a.i[d]);
    int64_t K = I->shape[I->ndim - 1];
    char ss[128], si[128], su[128];
    mk_shape_str(ss, sizeof ss, nd, c->a.i);
    mk_shape_str(si, sizeof si, I->ndim, I->shape);
    mk_shape_str(su, sizeof su, U->ndim, U->shape);
    if (K > nd)
        return mk_err(c, "index innermost dimension length must be <= output rank; saw: %lld vs. %d "
                      "(indices %s, shape %s)", (long long)K, nd, si, ss);
    int ok = U->ndim == I->ndim - 1 + nd - (int)K;
    for (int d = 0; ok && d < I->ndim - 1; d++) ok = U->shape[d] == I->shape[d];
    for (int d = (int)K; ok && d < nd; d++) ok = U->shape[I->ndim - 1 + d - K] == c->a.i[d];
    if (!ok)
        return mk_err(c, "updates.shape %s must equal indices.shape[:-1] + shape[K:] "
                      "(indices %s, shape %s)", su, si, ss);
    mk_meta_set(&c->meta[0], U->dtype, nd, c->a.i);
    return 0;
}

#define SND_T(T)                                                                             \
    {                                                                                        \
        T *o = mk_data(O);                                                                   \
        const T *u = mk_data(U);                                                             \
        _Pragma("omp parallel for schedule(static) if (M * inner >= MK_PAR_MIN)")           \
        for (int64_t t = 0; t < nch; t++) {                                                  \
            int64_t j0 = t * USS_CHUNK, j1 = j0 + USS_CHUNK;                                 \
            if (j1 > inner) j1 = inner;                                                      \
            for (int64_t m = 0; m < M; m++) {                                                \
                T *dst = o + nd_offset(ip, I->dtype, m, K, O->shape) * inner;                \
                const T *src = u + m * inner;                                                \
                for (int64_t j = j0; j < j1; j++) dst[j] += src[j];                          \
            }                                                                                \
        }                                                                                    \
    }                                                                                        \
    break;

static int k_scatter_nd(mk_call *c) {
    mk_tensor *I = c->in[0], *U = c->in[1], *O = c->out[0];
    int K = (int)I->shape[I->ndim - 1];
    int64_t M = prod(I->shape, 0, I->ndim - 1), inner = prod(O->shape, K, O->ndim);
    if (check_nd_rows(c, I, M, K, O->shape, O->ndim, "shape") < 0) return -1;
    zero_out(O);
    const void *ip = mk_data(I);
    int64_t nch = (inner + USS_CHUNK - 1) / USS_CHUNK;
    if (M == 0 || nch == 0) return 0;
    switch (O->dtype) {
    case MK_F32: SND_T(float)
    case MK_F64: SND_T(double)
    case MK_I32: SND_T(int32_t)
    case MK_I64: SND_T(int64_t)
    case MK_U8: SND_T(uint8_t)
    default: return mk_err(c, "unsupported dtype %s", mk_dtypes[O->dtype].name);
    }
    return 0;
}

/* ============================================================================
 * take_along_axis(x, indices): ints i[0] = axis.  Same rank; every axis but
 *   `axis` has equal sizes.  out[.., j, ..] = x[.., indices[.., j, ..], ..]
 * scatter_along_axis(updates, indices): ints i[0] = axis, i[1] = n (the
 *   output's size along axis); its adjoint (duplicates summed).
 * ========================================================================== */

static int along_dims(mk_call *c, const mk_tensor *X, const mk_tensor *I, int *axis) {
    if (check_index(c, I, "indices") < 0) return -1;
    if (X->ndim != I->ndim || X->ndim < 1) {
        char sx[128], si[128];
        mk_shape_str(sx, sizeof sx, X->ndim, X->shape);
        mk_shape_str(si, sizeof si, I->ndim, I->shape);
        return mk_err(c, "values %s and indices %s must have the same rank >= 1", sx, si);
    }
    if (mk_norm_axis(c, c->a.i[0], X->ndim, axis) < 0) return -1;
    for (int d = 0; d < X->ndim; d++)
        if (d != *axis && X->shape[d] != I->shape[d]) {
            char sx[128], si[128];
            mk_shape_str(sx, sizeof sx, X->ndim, X->shape);
            mk_shape_str(si, sizeof si, I->ndim, I->shape);
            return mk_err(c, "values %s and indices %s must agree on every axis but %d", sx, si, *axis);
        }
    return 0;
}

static int check_along(mk_call *c, const mk_tensor *I, int64_t n) {
    int64_t total = mk_numel(I);
    const void *ip = mk_data(I);
    for (int64_t f = 0; f < total; f++) {
        int64_t v = rd_idx(ip, I->dtype, f);
        if (v < 0 || v >= n) {
            char s[160];
            coord_str(s, sizeof s, I->ndim, I->shape, f);
            return mk_err(c, "indices[%s] = %lld is not in [0, %lld)", s, (long long)v, (long long)n);
        }
    }
    return 0;
}

static int infer_take_along(mk_call *c) {
    int axis;
    if (along_dims(c, c->in[0], c->in[1], &axis) < 0) return -1;
    mk_meta_set(&c->meta[0], c->in[0]->dtype, c->in[1]->ndim, c->in[1]->shape);
    return 0;
}

static int k_take_along(mk_call *c) {
    mk_tensor *X = c->in[0], *I = c->in[1], *O = c->out[0];
    int axis = (int)(c->a.i[0] < 0 ? c->a.i[0] + X->ndim : c->a.i[0]);
    int64_t n = X->shape[axis], m = I->shape[axis];
    if (check_along(c, I, n) < 0) return -1;
    int64_t outer = prod(X->shape, 0, axis), inner = prod(X->shape, axis + 1, X->ndim);
    int isz = mk_dtypes[X->dtype].itemsize;
    const char *x = mk_data(X);
    const void *ip = mk_data(I);
    char *o = mk_data(O);
    int64_t total = outer * m * inner;
    #pragma omp parallel for schedule(static) if (total >= MK_PAR_MIN)
    for (int64_t f = 0; f < total; f++) {
        int64_t i = f % inner, oo = f / (m * inner);
        int64_t v = rd_idx(ip, I->dtype, f);
        cp_elems(o + f * isz, x + ((oo * n + v) * inner + i) * isz, 1, isz);
    }
    return 0;
}

static int infer_scatter_along(mk_call *c) {
    mk_tensor *U = c->in[0], *I = c->in[1];
    if (check_numeric(c, U, "updates") < 0) return -1;
    if (c->a.ni < 2 || c->a.i[1] < 0) return mk_err(c, "needs ints (axis, n >= 0)");
    int axis;
    if (along_dims(c, U, I, &axis) < 0) return -1;
    if (U->shape[axis] != I->shape[axis]) {
        char su[128], si[128];
        mk_shape_str(su, sizeof su, U->ndim, U->shape);
        mk_shape_str(si, sizeof si, I->ndim, I->shape);
        return mk_err(c, "updates %s and indices %s must have the same shape", su, si);
    }
    mk_meta_set(&c->meta[0], U->dtype, U->ndim, U->shape);
    c->meta[0].shape[axis] = c->a.i[1];
    return 0;
}

#define SCA_T(T)                                                                             \
    {                                                                                        \
        T *o = mk_data(O);                                                                   \
        const T *u = mk_data(U);                                                             \
        _Pragma("omp parallel for schedule(static) if (outer * m * inner >= MK_PAR_MIN)")   \
        for (int64_t L = 0; L < outer * inner; L++) {                                        \
            int64_t oo = L / inner, i = L % inner;                                           \
            for (int64_t j = 0; j < m; j++) {                                                \
                int64_t f = (oo * m + j) * inner + i;                                        \
                o[(oo * n + rd_idx(ip, I->dtype, f)) * inner + i] += u[f];                   \
            }                                                                                \
        }                                                                                    \
    }                                                                                        \
    break;

static int k_scatter_along(mk_call *c) {
    mk_tensor *U = c->in[0], *I = c->in[1], *O = c->out[0];
    int axis = (int)(c->a.i[0] < 0 ? c->a.i[0] + U->ndim : c->a.i[0]);
    int64_t n = O->shape[axis], m = I->shape[axis];
    if (check_along(c, I, n) < 0) return -1;
    zero_out(O);
    int64_t outer = prod(U->shape, 0, axis), inner = prod(U->shape, axis + 1, U->ndim);
    const void *ip = mk_data(I);
    switch (O->dtype) {
    case MK_F32: SCA_T(float)
    case MK_F64: SCA_T(double)
    case MK_I32: SCA_T(int32_t)
    case MK_I64: SCA_T(int64_t)
    case MK_U8: SCA_T(uint8_t)
    default: return mk_err(c, "unsupported dtype %s", mk_dtypes[O->dtype].name);
    }
    return 0;
}

/* ============================================================================
 * boolean_mask(tensor, mask): ints i[0] = axis.  mask (bool, rank k >= 1)
 *   covers tensor axes [axis, axis+k).  out = tensor.shape[:axis] + [nnz] +
 *   tensor.shape[axis+k:].  DYNAMIC: the output shape depends on mask values.
 * boolean_mask_grad(dy, mask): ints i[0] = axis; the adjoint: dy.shape[:axis]
 *   + mask.shape + dy.shape[axis+1:], rows of dy where mask is true, zeros
 *   elsewhere.
 * where_indices(condition): int64 [nnz, rank] coordinates of non-zero
 *   elements in row-major order (tf.where with one argument).  DYNAMIC.
 * ========================================================================== */

static int mask_axis(mk_call *c, const mk_tensor *T, const mk_tensor *Mk, int span, int *axis) {
    if (Mk->dtype != MK_BOOL) return mk_err(c, "mask must be bool, got %s", mk_dtypes[Mk->dtype].name);
    if (Mk->ndim == 0) return mk_err(c, "mask cannot be scalar");
    int64_t a = c->a.i[0];
    if (a < 0) a += T->ndim;
    if (a < 0 || a + span > T->ndim) {
        char st[128], sm[128];
        mk_shape_str(st, sizeof st, T->ndim, T->shape);
        mk_shape_str(sm, sizeof sm, Mk->ndim, Mk->shape);
        return mk_err(c, "axis %lld does not fit: tensor %s, mask %s", (long long)c->a.i[0], st, sm);
    }
    *axis = (int)a;
    return 0;
}

static int infer_boolean_mask(mk_call *c) {
    mk_tensor *T = c->in[0], *Mk = c->in[1];
    int axis, k = Mk->ndim;
    if (mask_axis(c, T, Mk, k, &axis) < 0) return -1;
    for (int d = 0; d < k; d++)
        if (T->shape[axis + d] != Mk->shape[d]) {
            char st[128], sm[128];
            mk_shape_str(st, sizeof st, k, T->shape + axis);
            mk_shape_str(sm, sizeof sm, k, Mk->shape);
            return mk_err(c, "Shapes %s and %s are incompatible (tensor axes from %d vs. mask)", st, sm, axis);
        }
    mk_meta *m = &c->meta[0];
    int r = 0;
    for (int d = 0; d < axis; d++) m->shape[r++] = T->shape[d];
    m->shape[r++] = count_nonzero(Mk);
    for (int d = axis + k; d < T->ndim; d++) m->shape[r++] = T->shape[d];
    m->ndim = r;
    m->dtype = T->dtype;
    m->view = 0;
    return 0;
}

static int k_boolean_mask(mk_call *c) {
    mk_tensor *T = c->in[0], *Mk = c->in[1], *O = c->out[0];
    int axis = (int)(c->a.i[0] < 0 ? c->a.i[0] + T->ndim : c->a.i[0]), k = Mk->ndim;
    int64_t outer = prod(T->shape, 0, axis), M = mk_numel(Mk), inner = prod(T->shape, axis + k, T->ndim);
    int64_t nnz = count_nonzero(Mk);
    if (nnz != O->shape[axis]) return mk_err(c, "mask changed: %lld true values, output has %lld",
                                             (long long)nnz, (long long)O->shape[axis]);
    int isz = mk_dtypes[T->dtype].itemsize;
    int64_t rowbytes = inner * isz;
    const uint8_t *mk = mk_data(Mk);
    const char *t = mk_data(T);
    char *o = mk_data(O);
    if (inner == 0 || nnz == 0) return 0;
    #pragma omp parallel for schedule(static) if (outer * nnz * inner >= MK_PAR_MIN)
    for (int64_t oo = 0; oo < outer; oo++) {
        int64_t w = 0;
        for (int64_t j = 0; j < M; j++)
            if (mk[j]) { cp_elems(o + (oo * nnz + w) * rowbytes, t + (oo * M + j) * rowbytes, inner, isz); w++; }
    }
    return 0;
}

static int infer_boolean_mask_grad(mk_call *c) {
    mk_tensor *D = c->in[0], *Mk = c->in[1];
    int axis, k = Mk->ndim;
    if (mask_axis(c, D, Mk, 1, &axis) < 0) return -1;
    int64_t nnz = count_nonzero(Mk);
    if (D->shape[axis] != nnz)
        return mk_err(c, "dy has %lld rows along axis %d, mask has %lld true values",
                      (long long)D->shape[axis], axis, (long long)nnz);
    if (check_rank(c, D->ndim - 1 + k) < 0) return -1;
    mk_meta *m = &c->meta[0];
    int r = 0;
    for (int d = 0; d < axis; d++) m->shape[r++] = D->shape[d];
    for (int d = 0; d < k; d++) m->shape[r++] = Mk->shape[d];
    for (int d = axis + 1; d < D->ndim; d++) m->shape[r++] = D->shape[d];
    m->ndim = r;
    m->dtype = D->dtype;
    m->view = 0;
    return 0;
}

static int k_boolean_mask_grad(mk_call *c) {
    mk_tensor *D = c->in[0], *Mk = c->in[1], *O = c->out[0];
    int axis = (int)(c->a.i[0] < 0 ? c->a.i[0] + D->ndim : c->a.i[0]);
    int64_t outer = prod(D->shape, 0, axis), M = mk_numel(Mk), inner = prod(D->shape, axis + 1, D->ndim);
    int64_t nnz = count_nonzero(Mk);
    if (nnz != D->shape[axis]) return mk_err(c, "mask changed: %lld true values, dy has %lld",
                                             (long long)nnz, (long long)D->shape[axis]);
    int isz = mk_dtypes[D->dtype].itemsize;
    int64_t rowbytes = inner * isz;
    const uint8_t *mk = mk_data(Mk);
    const char *d = mk_data(D);
    char *o = mk_data(O);
    if (inner == 0) return 0;
    #pragma omp parallel for schedule(static) if (outer * M * inner >= MK_PAR_MIN)
    for (int64_t oo = 0; oo < outer; oo++) {
        int64_t w = 0;
        for (int64_t j = 0; j < M; j++) {
            char *dst = o + (oo * M + j) * rowbytes;
            if (mk[j]) { cp_elems(dst, d + (oo * nnz + w) * rowbytes, inner, isz); w++; }
            else memset(dst, 0, (size_t)rowbytes);
        }
    }
    return 0;
}

static int infer_where_indices(mk_call *c) {
    mk_tensor *X = c->in[0];
    int64_t shape[2] = {count_nonzero(X), X->ndim};
    mk_meta_set(&c->meta[0], MK_I64, 2, shape);
    return 0;
}

static int k_where_indices(mk_call *c) {
    mk_tensor *X = c->in[0], *O = c->out[0];
    int64_t n = mk_numel(X), w = 0, nnz = O->shape[0];
    const char *p = mk_data(X);
    int64_t *o = mk_data(O);
    int nd = X->ndim;
    for (int64_t f = 0; f < n; f++) {
        if (!nonzero_at(p, X->dtype, f)) continue;
        if (w >= nnz) return mk_err(c, "condition changed while running");
        int64_t r = f;
        for (int d = nd - 1; d >= 0; d--) { o[w * nd + d] = r % X->shape[d]; r /= X->shape[d]; }
        w++;
    }
    if (w != nnz) return mk_err(c, "condition changed while running");
    return 0;
}

/* ============================================================================
 * sort(x): ints i[0] = axis, i[1] = descending.  Two outputs: the sorted
 *   values and int32 indices (argsort).  Stable: equal values keep their
 *   order; NaN sorts last in both directions (as numpy's argsort of x / -x).
 * top_k(x): ints i[0] = k, i[1] = sorted (results are always sorted).  Along
 *   the last axis; outputs values and int32 indices; ties: lower index first.
 * in_top_k(predictions [batch, classes], targets [batch]): ints i[0] = k.
 *   bool: the target's prediction is finite and fewer than k predictions
 *   are strictly greater (TF's rule: ties count as in).
 * ========================================================================== */

static int cmp_i32(const void *a, const void *b) {
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

#define FNAN(x) isnan(x)
#define INAN(x) 0

#define SORT_IMPL(SFX, T, ISNAN)                                                              \
    static inline int lt_##SFX(T a, T b, int desc) {                                          \
        if (ISNAN(b)) return !ISNAN(a);                                                       \
        if (ISNAN(a)) return 0;                                                               \
        return desc ? a > b : a < b;                                                          \
    }                                                                                         \
    static void msort_##SFX(int32_t *perm, int32_t *tmp, int64_t n, const T *key, int desc) { \
        for (int64_t s = 0; s < n; s += 16) {                                                 \
            int64_t e = s + 16 < n ? s + 16 : n;                                              \
            for (int64_t i = s + 1; i < e; i++) {                                             \
                int32_t x = perm[i];                                                          \
                T kx = key[x];                                                                \
                int64_t j = i;                                                                \
                while (j > s && lt_##SFX(kx, key[perm[j - 1]], desc)) { perm[j] = perm[j - 1]; j--; } \
                perm[j] = x;                                                                  \
            }                                                                                 \
        }                                                                                     \
        int32_t *src = perm, *dst = tmp;                                                      \
        for (int64_t w = 16; w < n; w *= 2) {                                                 \
            for (int64_t lo = 0; lo < n; lo += 2 * w) {                                       \
                int64_t mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n;  \
                int64_t i = lo, j = mid, o = lo;                                              \
                while (i < mid && j < hi)                                                     \
                    dst[o++] = lt_##SFX(key[src[j]], key[src[i]], desc) ? src[j++] : src[i++]; \
                while (i < mid) dst[o++] = src[i++];                                          \
                while (j < hi) dst[o++] = src[j++];                                           \
            }                                                                                 \
            int32_t *t = src; src = dst; dst = t;                                             \
        }                                                                                     \
        if (src != perm) memcpy(perm, src, (size_t)n * sizeof(int32_t));                     \
    }                                                                                         \
    static int sort_##SFX(mk_call *c, int64_t outer, int64_t n, int64_t inner, int desc) {    \
        const T *x = mk_data(c->in[0]);                                                       \
        T *v = mk_data(c->out[0]);                                                            \
        int32_t *ix = mk_data(c->out[1]);                                                     \
        int64_t lines = outer * inner;                                                        \
        int fail = 0;                                                                         \
        _Pragma("omp parallel if (lines * n >= MK_PAR_MIN)")                                  \
        {                                                                                     \
            T *key = malloc((size_t)n * sizeof(T) + 8);                                       \
            int32_t *perm = malloc((size_t)n * 4 + 8), *tmp = malloc((size_t)n * 4 + 8);      \
            _Pragma("omp for schedule(static)")                                               \
            for (int64_t L = 0; L < lines; L++) {                                             \
                if (!key || !perm || !tmp) { fail = 1; continue; }                            \
                int64_t base = (L / inner) * n * inner + L % inner;                           \
                for (int64_t j = 0; j < n; j++) { key[j] = x[base + j * inner]; perm[j] = (int32_t)j; } \
                msort_##SFX(perm, tmp, n, key, desc);                                         \
                for (int64_t j = 0; j < n; j++) {                                             \
                    v[base + j * inner] = key[perm[j]];                                       \
                    ix[base + j * inner] = perm[j];                                           \
                }                                                                             \
            }                                                                                 \
            free(key); free(perm); free(tmp);                                                 \
        }                                                                                     \
        return fail ? mk_err(c, "out of memory sorting %lld values", (long long)n) : 0;       \
    }                                                                                         \
    /* better: a before b in top_k order (larger first, NaN last, ties: lower index) */       \
    static inline int better_##SFX(const T *row, int32_t a, int32_t b) {                      \
        return lt_##SFX(row[a], row[b], 1) || (!lt_##SFX(row[b], row[a], 1) && a < b);       \
    }                                                                                         \
    static void siftdown_##SFX(const T *row, int32_t *h, int64_t k, int64_t i) {              \
        for (;;) {                                                                            \
            int64_t l = 2 * i + 1, r = l + 1, w = i;                                          \
            if (l < k && better_##SFX(row, h[w], h[l])) w = l;                                \
            if (r < k && better_##SFX(row, h[w], h[r])) w = r;                                \
            if (w == i) return;                                                               \
            int32_t t = h[i]; h[i] = h[w]; h[w] = t;                                          \
            i = w;                                                                            \
        }                                                                                     \
    }                                                                                         \
    /* the k best of row in h[0..k), in order: a heap with the worst kept on top */           \
    static void topk_heap_##SFX(const T *row, int64_t n, int64_t k, int32_t *h, int32_t *tmp) { \
        for (int64_t j = 0; j < k; j++) h[j] = (int32_t)j;                                    \
        for (int64_t i = k / 2 - 1; i >= 0; i--) siftdown_##SFX(row, h, k, i);               \
        for (int64_t j = k; j < n; j++)                                                       \
            if (better_##SFX(row, (int32_t)j, h[0])) { h[0] = (int32_t)j; siftdown_##SFX(row, h, k, 0); } \
        qsort(h, (size_t)k, sizeof(int32_t), cmp_i32);                                        \
        msort_##SFX(h, tmp, k, row, 1);                                                       \
    }                                                                                         \
    static int topk_##SFX(mk_call *c, int64_t rows, int64_t n, int64_t k) {                   \
        const T *x = mk_data(c->in[0]);                                                       \
        T *v = mk_data(c->out[0]);                                                            \
        int32_t *ix = mk_data(c->out[1]);                                                     \
        /* mode 0: insertion into a sorted buffer (small k); 1: heap; 2: full sort */         \
        int fail = 0, mode = (k <= 32 && k < n) ? 0 : (k * 4 <= n ? 1 : 2);                  \
        int64_t bufn = mode == 2 ? n : k;                                                     \
        _Pragma("omp parallel if (rows * n >= MK_PAR_MIN)")                                   \
        {                                                                                     \
            int32_t *perm = malloc((size_t)bufn * 4 + 8), *tmp = malloc((size_t)bufn * 4 + 8); \
            _Pragma("omp for schedule(static)")                                               \
            for (int64_t r = 0; r < rows; r++) {                                              \
                if (!perm || !tmp) { fail = 1; continue; }                                    \
                const T *row = x + r * n;                                                     \
                if (mode == 0) {                                                              \
                    int64_t cnt = 0;                                                          \
                    for (int64_t j = 0; j < n; j++) {                                         \
                        T xv = row[j];                                                        \
                        int64_t pos;                                                          \
                        if (cnt < k) pos = cnt++;                                             \
                        else if (lt_##SFX(xv, row[perm[k - 1]], 1)) pos = k - 1;              \
                        else continue;                                                        \
                        while (pos > 0 && lt_##SFX(xv, row[perm[pos - 1]], 1)) { perm[pos] = perm[pos - 1]; pos--; } \
                        perm[pos] = (int32_t)j;                                               \
                    }                                                                         \
                } else if (mode == 1) {                                                       \
                    topk_heap_##SFX(row, n, k, perm, tmp);                                    \
                } else {                                                                      \
                    for (int64_t j = 0; j < n; j++) perm[j] = (int32_t)j;                     \
                    msort_##SFX(perm, tmp, n, row, 1);                                        \
                }                                                                             \
                for (int64_t j = 0; j < k; j++) { v[r * k + j] = row[perm[j]]; ix[r * k + j] = perm[j]; } \
            }                                                                                 \
            free(perm); free(tmp);                                                            \
        }                                                                                     \
        return fail ? mk_err(c, "out of memory in top_k over %lld values", (long long)n) : 0; \
    }

SORT_IMPL(f32, float, FNAN)
SORT_IMPL(f64, double, FNAN)
SORT_IMPL(i32, int32_t, INAN)
SORT_IMPL(i64, int64_t, INAN)
SORT_IMPL(u8, uint8_t, INAN)

static int infer_sort(mk_call *c) {
    mk_tensor *X = c->in[0];
    if (check_numeric(c, X, "values") < 0) return -1;
    if (X->ndim < 1) return mk_err(c, "input must be at least rank 1, got shape []");
    int axis;
    if (mk_norm_axis(c, c->a.i[0], X->ndim, &axis) < 0) return -1;
    if (X->shape[axis] > INT32_MAX) return mk_err(c, "cannot sort more than 2^31-1 values along an axis");
    mk_meta_set(&c->meta[0], X->dtype, X->ndim, X->shape);
    mk_meta_set(&c->meta[1], MK_I32, X->ndim, X->shape);
    return 0;
}

static int k_sort(mk_call *c) {
    mk_tensor *X = c->in[0];
    int axis = (int)(c->a.i[0] < 0 ? c->a.i[0] + X->ndim : c->a.i[0]), desc = c->a.i[1] != 0;
    int64_t outer = prod(X->shape, 0, axis), n = X->shape[axis], inner = prod(X->shape, axis + 1, X->ndim);
    if (outer * inner == 0 || n == 0) return 0;
    switch (X->dtype) {
    case MK_F32: return sort_f32(c, outer, n, inner, desc);
    case MK_F64: return sort_f64(c, outer, n, inner, desc);
    case MK_I32: return sort_i32(c, outer, n, inner, desc);
    case MK_I64: return sort_i64(c, outer, n, inner, desc);
    case MK_U8: return sort_u8(c, outer, n, inner, desc);
    }
    return mk_err(c, "unsupported dtype %s", mk_dtypes[X->dtype].name);
}

static int infer_top_k(mk_call *c) {
    mk_tensor *X = c->in[0];
    if (check_numeric(c, X, "input") < 0) return -1;
    if (X->ndim < 1) return mk_err(c, "input must be at least rank 1, got shape []");
    int64_t n = X->shape[X->ndim - 1], k = c->a.i[0];
    if (k < 0) return mk_err(c, "Need k >= 0, got %lld", (long long)k);
    if (n < k) return mk_err(c, "input must have at least k columns. Had %lld, needed %lld",
                             (long long)n, (long long)k);
    if (n > INT32_MAX) return mk_err(c, "too many columns");
    mk_meta_set(&c->meta[0], X->dtype, X->ndim, X->shape);
    c->meta[0].shape[X->ndim - 1] = k;
    mk_meta_set(&c->meta[1], MK_I32, X->ndim, c->meta[0].shape);
    return 0;
}

static int k_top_k(mk_call *c) {
    mk_tensor *X = c->in[0];
    int64_t n = X->shape[X->ndim - 1], k = c->out[0]->shape[X->ndim - 1];
    int64_t rows = prod(X->shape, 0, X->ndim - 1);
    if (rows == 0 || k == 0) return 0;
    switch (X->dtype) {
    case MK_F32: return topk_f32(c, rows, n, k);
    case MK_F64: return topk_f64(c, rows, n, k);
    case MK_I32: return topk_i32(c, rows, n, k);
    case MK_I64: return topk_i64(c, rows, n, k);
    case MK_U8: return topk_u8(c, rows, n, k);
    }
    return mk_err(c, "unsupported dtype %s", mk_dtypes[X->dtype].name);
}

static int infer_in_top_k(mk_call *c) {
    mk_tensor *P = c->in[0], *T = c->in[1];
    if (P->dtype != MK_F32 && P->dtype != MK_F64)
        return mk_err(c, "predictions must be float32 or float64, got %s", mk_dtypes[P->dtype].name);
    if (check_index(c, T, "targets") < 0) return -1;
    char sp[128], st[128];
    mk_shape_str(sp, sizeof sp, P->ndim, P->shape);
    mk_shape_str(st, sizeof st, T->ndim, T->shape);
    if (P->ndim != 2) return mk_err(c, "predictions must be 2-dimensional, got %s", sp);
    if (T->ndim != 1) return mk_err(c, "targets must be 1-dimensional, got %s", st);
    if (T->shape[0] != P->shape[0])
        return mk_err(c, "First dimension of predictions %lld must match length of targets %lld",
                      (long long)P->shape[0], (long long)T->shape[0]);
    mk_meta_set(&c->meta[0], MK_BOOL, 1, T->shape);
    return 0;
}

#define ITK_T(T)                                                                 \
    {                                                                            \
        const T *p = mk_data(P);                                                 \
        for (int64_t b = 0; b < B; b++) {                                        \
            int64_t t = rd_idx(tp, Tt->dtype, b);                                \
            int ok = 0;                                                          \
            if (t >= 0 && t < C && isfinite(p[b * C + t])) {                     \
                T pv = p[b * C + t];                                             \
                int64_t cnt = 0;                                                 \
                for (int64_t j = 0; j < C; j++) cnt += p[b * C + j] > pv;        \
                ok = cnt < k;                                                    \
            }                                                                    \
            o[b] = (uint8_t)ok;                                                  \
        }                                                                        \
    }                                                                            \
    break;

static int k_in_top_k(mk_call *c) {
    mk_tensor *P = c->in[0], *Tt = c->in[1];
    int64_t B = P->shape[0], C = P->shape[1], k = c->a.i[0];
    const void *tp = mk_data(Tt);
    uint8_t *o = mk_data(c->out[0]);
    switch (P->dtype) {
    case MK_F32: ITK_T(float)
    case MK_F64: ITK_T(double)
    }
    return 0;
}

/* ============================================================================
 * one_hot(indices): ints i[0] = depth, i[1] = axis (-1: last), i[2] = dtype;
 *   floats f[0] = on_value, f[1] = off_value.  Indices outside [0, depth)
 *   give an all-off row (as TF).
 * ========================================================================== */

static int check_dtype_attr(mk_call *c, int64_t dt) {
    if (dt < 0 || dt >= MK_NDTYPE) return mk_err(c, "bad dtype id %lld", (long long)dt);
    return 0;
}

static int infer_one_hot(mk_call *c) {
    mk_tensor *I = c->in[0];
    if (I->dtype != MK_I32 && I->dtype != MK_I64 && I->dtype != MK_U8)
        return mk_err(c, "indices must be uint8, int32 or int64, got %s", mk_dtypes[I->dtype].name);
    if (c->a.ni < 3 || check_dtype_attr(c, c->a.i[2]) < 0) return mk_err(c, "needs ints (depth, axis, dtype)");
    int64_t depth = c->a.i[0], axis = c->a.i[1];
    if (depth < 0) return mk_err(c, "depth must be non-negative, got: %lld", (long long)depth);
    if (axis == -1) axis = I->ndim;
    if (axis < 0 || axis > I->ndim)
        return mk_err(c, "Expected axis to be -1 or between [0, %d).  But received: %lld", I->ndim + 1,
                      (long long)c->a.i[1]);
    if (check_rank(c, I->ndim + 1) < 0) return -1;
    mk_meta *m = &c->meta[0];
    int r = 0;
    for (int d = 0; d < axis; d++) m->shape[r++] = I->shape[d];
    m->shape[r++] = depth;
    for (int d = (int)axis; d < I->ndim; d++) m->shape[r++] = I->shape[d];
    m->ndim = r;
    m->dtype = (int)c->a.i[2];
    m->view = 0;
    return 0;
}

static int k_one_hot(mk_call *c) {
    mk_tensor *I = c->in[0], *O = c->out[0];
    int64_t depth = c->a.i[0], axis = c->a.i[1] == -1 ? I->ndim : c->a.i[1];
    double on = c->a.f[0], off = c->a.f[1];
    int64_t outer = prod(I->shape, 0, (int)axis), inner = prod(I->shape, (int)axis, I->ndim);
    void *o = mk_data(O);
    fill_typed(o, O->dtype, mk_numel(O), off, (int64_t)off);
    const void *ip = mk_data(I);
    for (int64_t oo = 0; oo < outer; oo++)
        for (int64_t i = 0; i < inner; i++) {
            int64_t v = rd_idx(ip, I->dtype, oo * inner + i);
            if (v >= 0 && v < depth) store1(o, O->dtype, (oo * depth + v) * inner + i, on, (int64_t)on);
        }
    return 0;
}

/* ============================================================================
 * Creation ops: no tensor inputs (nin = 0); the dtype is an attribute.
 * range:    ints [dtype, start, limit, delta] (used for integer dtypes),
 *           floats [start, limit, delta] (used for float dtypes).
 * linspace: ints [dtype, num], floats [start, stop]; float dtypes.
 * eye:      ints [dtype, num_rows, num_columns, batch_shape...].
 * fill:     ints [dtype, int_value, dims...], floats [value] (int_value
 *           is used for integer and bool dtypes, value for floats).
 * ========================================================================== */

static int infer_range(mk_call *c) {
    if (c->a.ni < 4 || check_dtype_attr(c, c->a.i[0]) < 0) return mk_err(c, "needs ints (dtype, start, limit, delta)");
    int dt = (int)c->a.i[0];
    if (dt == MK_BOOL) return mk_err(c, "bool is not a valid dtype for range");
    int64_t size;
    if (mk_dtypes[dt].is_float) {
        double s = c->a.f[0], l = c->a.f[1], d = c->a.f[2];
        if (d == 0) return mk_err(c, "Requires delta != 0: %g", d);
        if (d > 0 && s > l) return mk_err(c, "Requires start <= limit when delta > 0: %g/%g", s, l);
        if (d < 0 && s < l) return mk_err(c, "Requires start >= limit when delta < 0: %g/%g", s, l);
        double sz = ceil(fabs((l - s) / d));
        if (!(sz < 9e15)) return mk_err(c, "Requires a finite, not absurdly large size: (%g - %g) / %g", l, s, d);
        size = (int64_t)sz;
    } else {
        int64_t s = c->a.i[1], l = c->a.i[2], d = c->a.i[3];
        if (d == 0) return mk_err(c, "Requires delta != 0: %lld", (long long)d);
        if (d > 0 && s > l) return mk_err(c, "Requires start <= limit when delta > 0: %lld/%lld", (long long)s, (long long)l);
        if (d < 0 && s < l) return mk_err(c, "Requires start >= limit when delta < 0: %lld/%lld", (long long)s, (long long)l);
        uint64_t span = s < l ? (uint64_t)l - (uint64_t)s : (uint64_t)s - (uint64_t)l;
        uint64_t ad = d < 0 ? (uint64_t)0 - (uint64_t)d : (uint64_t)d;
        size = (int64_t)(span / ad + (span % ad != 0));
    }
    mk_meta_set(&c->meta[0], dt, 1, &size);
    return 0;
}

static int k_range(mk_call *c) {
    mk_tensor *O = c->out[0];
    int64_t n = O->shape[0];
    void *o = mk_data(O);
    if (mk_dtypes[O->dtype].is_float) {
        double s = c->a.f[0], d = c->a.f[2];
        for (int64_t i = 0; i < n; i++) store1(o, O->dtype, i, s + (double)i * d, 0);
    } else {
        int64_t s = c->a.i[1], d = c->a.i[3];
        for (int64_t i = 0; i < n; i++) store1(o, O->dtype, i, 0, s + i * d);
    }
    return 0;
}

static int infer_linspace(mk_call *c) {
    if (c->a.ni < 2 || check_dtype_attr(c, c->a.i[0]) < 0) return mk_err(c, "needs ints (dtype, num)");
    int dt = (int)c->a.i[0];
    if (!mk_dtypes[dt].is_float) return mk_err(c, "dtype must be floating point, got %s", mk_dtypes[dt].name);
    int64_t num = c->a.i[1];
    if (num < 0) return mk_err(c, "Requires num >= 0: %lld", (long long)num);
    mk_meta_set(&c->meta[0], dt, 1, &num);
    return 0;
}

static int k_linspace(mk_call *c) {
    mk_tensor *O = c->out[0];
    int64_t n = O->shape[0];
    double s = c->a.f[0], e = c->a.f[1];
    void *o = mk_data(O);
    if (n == 0) return 0;
    double step = n > 1 ? (e - s) / (double)(n - 1) : 0;
    for (int64_t i = 0; i < n; i++) store1(o, O->dtype, i, s + (double)i * step, 0);
    if (n > 1) store1(o, O->dtype, n - 1, e, 0);
    return 0;
}

static int infer_eye(mk_call *c) {
    if (c->a.ni < 3 || check_dtype_attr(c, c->a.i[0]) < 0) return mk_err(c, "needs ints (dtype, rows, cols, batch...)");
    int nb = c->a.ni - 3;
    if (check_rank(c, nb + 2) < 0) return -1;
    int64_t shape[MK_MAXDIM];
    for (int d = 0; d < nb; d++) shape[d] = c->a.i[3 + d];
    shape[nb] = c->a.i[1];
    shape[nb + 1] = c->a.i[2];
    for (int d = 0; d < nb + 2; d++)
        if (shape[d] < 0) {
            char s[128];
            mk_shape_str(s, sizeof s, nb + 2, shape);
            return mk_err(c, "dimensions must be non-negative, got %s", s);
        }
    mk_meta_set(&c->meta[0], (int)c->a.i[0], nb + 2, shape);
    return 0;
}

static int k_eye(mk_call *c) {
    mk_tensor *O = c->out[0];
    int64_t rows = c->a.i[1], cols = c->a.i[2], mn = rows < cols ? rows : cols;
    int64_t nb = (rows > 0 && cols > 0) ? mk_numel(O) / (rows * cols) : 0;
    zero_out(O);
    void *o = mk_data(O);
    for (int64_t b = 0; b < nb; b++)
        for (int64_t i = 0; i < mn; i++) store1(o, O->dtype, b * rows * cols + i * cols + i, 1.0, 1);
    return 0;
}

static int infer_fill(mk_call *c) {
    if (c->a.ni < 2 || check_dtype_attr(c, c->a.i[0]) < 0) return mk_err(c, "needs ints (dtype, value, dims...)");
    int nd = c->a.ni - 2;
    if (check_rank(c, nd) < 0) return -1;
    for (int d = 0; d < nd; d++)
        if (c->a.i[2 + d] < 0) {
            char s[128];
            mk_shape_str(s, sizeof s, nd, c->a.i + 2);
            return mk_err(c, "dims must be non-negative, got %s", s);
        }
    mk_meta_set(&c->meta[0], (int)c->a.i[0], nd, c->a.i + 2);
    return 0;
}

static int k_fill(mk_call *c) {
    mk_tensor *O = c->out[0];
    fill_typed(mk_data(O), O->dtype, mk_numel(O), c->a.f[0], c->a.i[1]);
    return 0;
}

/* ---- registration ------------------------------------------------------------ */

#define REG(ID, nin, nout, fl, infer, k) mk_ops[MK_OP_##ID] = (mk_opdef){NULL, nin, nout, (fl), infer, {k}}
#define CF (MK_OP_CONTIG | MK_OP_F16_NATIVE)
#define ND MK_OP_NONDIFF

void mk_register_index(void) {
    REG(GATHER, 2, 1, CF, infer_gather, k_gather);
    REG(GATHER_ND, 2, 1, CF, infer_gather_nd, k_gather_nd);
    REG(UNSORTED_SEGMENT_SUM, 2, 1, MK_OP_CONTIG, infer_uss, k_uss);
    REG(SCATTER_ND, 2, 1, MK_OP_CONTIG, infer_scatter_nd, k_scatter_nd);
    REG(TAKE_ALONG_AXIS, 2, 1, CF, infer_take_along, k_take_along);
    REG(SCATTER_ALONG_AXIS, 2, 1, MK_OP_CONTIG, infer_scatter_along, k_scatter_along);
    REG(BOOLEAN_MASK, 2, 1, CF | MK_OP_DYNAMIC, infer_boolean_mask, k_boolean_mask);
    REG(BOOLEAN_MASK_GRAD, 2, 1, CF, infer_boolean_mask_grad, k_boolean_mask_grad);
    REG(WHERE_INDICES, 1, 1, CF | MK_OP_DYNAMIC | ND, infer_where_indices, k_where_indices);
    REG(SORT, 1, 2, MK_OP_CONTIG, infer_sort, k_sort);
    REG(TOP_K, 1, 2, MK_OP_CONTIG, infer_top_k, k_top_k);
    REG(IN_TOP_K, 2, 1, MK_OP_CONTIG | ND, infer_in_top_k, k_in_top_k);
    REG(ONE_HOT, 1, 1, CF | ND, infer_one_hot, k_one_hot);
    REG(RANGE, 0, 1, ND, infer_range, k_range);
    REG(LINSPACE, 0, 1, ND, infer_linspace, k_linspace);
    REG(EYE, 0, 1, ND, infer_eye, k_eye);
    REG(FILL, 0, 1, ND, infer_fill, k_fill);
}
