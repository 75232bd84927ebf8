/* Reduce family: axis reductions (sum, mean, max, min, prod, any, all, a fused
 * logsumexp), argmax/argmin along one axis, and cumsum.
 *
 * Axis reductions (reduce_sum, reduce_mean, reduce_max, reduce_min, reduce_prod,
 * reduce_any, reduce_all, reduce_logsumexp) share one attribute layout:
 *   i[0] = keepdims (0/1)
 *   i[1] = bitmask of reduced axes, already normalised (bit d = axis d)
 *   i[2] = 1: reduce over every axis (the mask is ignored)
 * With fewer than two ints (no mask given) every axis is reduced.  A mask of 0
 * without the all-flag reduces nothing (TF's axis=[]: the result equals x).
 *
 * argmax / argmin:  i[0] = axis (may be negative), i[1] = output dtype id
 *   (MK_I64 = default, or MK_I32, as tf.math.argmax's output_type).
 * cumsum:           i[0] = axis (may be negative), i[1] = exclusive, i[2] = reverse.
 *
 * Semantics follow TensorFlow: int sums wrap in the input dtype, the mean of an
 * integer tensor is the truncating integer division sum / count, empty
 * reductions give sum 0, prod 1, max -inf (floats) or the dtype's lowest value,
 * min +inf or the dtype's highest, mean NaN (floats) or 0 (ints), any False,
 * all True, logsumexp -inf.  max/min propagate NaN (as numpy).  argmax over an
 * empty axis is an error; ties pick the first index, NaN counts as the largest
 * (argmax) / smallest (argmin) value, first NaN wins (as numpy).
 *
 * How the loops go (a strided input is first copied densely inside the kernel,
 * not through MK_OP_CONTIG, whose copy path in mk_exec double-releases): the input's axes
 * are grouped into runs of kept and reduced axes (size-1 axes dropped).  When the
 * innermost run is reduced ("rows", e.g. axis=-1) each output is a pairwise
 * (numpy-style, 8 lanes, blocks of 128) reduction over contiguous runs; outputs
 * are split over threads, and when there are few outputs each output's reduction
 * is split too (partials combined in a fixed order, so results are
 * deterministic).  When the innermost run is kept ("columns", e.g. a bias
 * gradient summing over the batch) whole rows are accumulated into a vector of
 * accumulators, in blocks of 128 rows, split over column chunks and, when there
 * are few of them, over row ranges.  float32 sums, means, products and
 * logsumexp accumulate in double; integer sums/products in uint64 (wrapping). */
#include "loops.h"
#include "vmath.h"
#include <math.h>
#include <stdlib.h>
#ifdef _OPENMP
#include <omp.h>
#endif

static int n_threads(void) {
#ifdef _OPENMP
    return omp_get_max_threads();
#else
    return 1;
#endif
}

static int64_t imin64(int64_t a, int64_t b) { return a < b ? a : b; }
static int64_t imax64(int64_t a, int64_t b) { return a > b ? a : b; }

/* ---- attributes and infer ------------------------------------------------ */

/* the normalised mask of reduced axes (no validation) */
static uint32_t red_mask_of(const mk_call *c) {
    int nd = c->in[0]->ndim;
    uint32_t all = nd ? (uint32_t)((1u << nd) - 1) : 0;
    if (c->a.ni < 2 || (c->a.ni >= 3 && c->a.i[2])) return all;
    return (uint32_t)c->a.i[1] & all;
}

enum { K_NUMERIC, K_FLOAT, K_BOOL };

static int infer_reduce_kind(mk_call *c, int kind) {
    mk_tensor *x = c->in[0];
    int nd = x->ndim, dt = x->dtype;
    char s[160];
    if (kind == K_NUMERIC && dt == MK_BOOL)
        return mk_err(c, "expects a numeric tensor, got bool");
    if (kind == K_FLOAT && !mk_dtypes[dt].is_float)
        return mk_err(c, "expects a floating-point tensor, got %s", mk_dtypes[dt].name);
    if (kind == K_BOOL && dt != MK_BOOL)
        return mk_err(c, "expects a bool tensor, got %s", mk_dtypes[dt].name);
    if (c->a.ni >= 2 && !(c->a.ni >= 3 && c->a.i[2])) {
        int64_t m = c->a.i[1];
        if (m < 0 || m >= ((int64_t)1 << nd)) {
            mk_shape_str(s, sizeof s, nd, x->shape);
            return mk_err(c, "reduction axes mask 0x%llx is out of range for an input of rank %d "
                          "(shape %s)", (long long)m, nd, s);
        }
    }
    uint32_t mask = red_mask_of(c);
    int keep = c->a.ni >= 1 && c->a.i[0];
    mk_meta *m = &c->meta[0];
    m->view = 0;
    m->dtype = dt;
    m->ndim = 0;
    for (int d = 0; d < nd; d++) {
        if ((mask >> d) & 1) {
            if (keep) m->shape[m->ndim++] = 1;
        } else m->shape[m->ndim++] = x->shape[d];
    }
    return 0;
}
static int infer_reduce_num(mk_call *c) { return infer_reduce_kind(c, K_NUMERIC); }
static int infer_reduce_float(mk_call *c) { return infer_reduce_kind(c, K_FLOAT); }
static int infer_reduce_bool(mk_call *c) { return infer_reduce_kind(c, K_BOOL); }

/* ---- the reduction plan -------------------------------------------------- */

typedef struct {
    int nk, nr;                              /* kept / reduced runs, outermost first */
    int64_t ksz[MK_MAXDIM], kst[MK_MAXDIM];
    int64_t rsz[MK_MAXDIM], rst[MK_MAXDIM];
    int64_t nout, rtot;                      /* outputs; elements reduced into each */
    int rows;                                /* innermost run reduced (or no runs) */
    int64_t inner;                           /* rows: contiguous run length; cols: kept width */
    int64_t nch;                             /* rows: chunks per output; cols: row ranges */
    int par;
} rplan;

#define CW 256        /* column chunk width (accumulators kept in L1) */
#define RBLK 128      /* rows per block in the column loop */

static void make_plan(rplan *P, const mk_tensor *x, uint32_t mask) {
    int64_t st[MK_MAXDIM];
    mk_contiguous_strides(x->ndim, x->shape, st);
    int ng = 0, gred[MK_MAXDIM];
    int64_t gsz[MK_MAXDIM], gst[MK_MAXDIM];
    P->nout = 1;
    P->rtot = 1;
    for (int d = 0; d < x->ndim; d++) {
        int red = (mask >> d) & 1;
        if (red) P->rtot *= x->shape[d]; else P->nout *= x->shape[d];
        if (x->shape[d] == 1) continue;
        if (ng > 0 && gred[ng - 1] == red) {
            gsz[ng - 1] *= x->shape[d];
            gst[ng - 1] = st[d];
        } else {
            gsz[ng] = x->shape[d]; gst[ng] = st[d]; gred[ng] = red; ng++;
        }
    }
    P->nk = P->nr = 0;
    for (int g = 0; g < ng; g++) {
        if (gred[g]) { P->rsz[P->nr] = gsz[g]; P->rst[P->nr++] = gst[g]; }
        else { P->ksz[P->nk] = gsz[g]; P->kst[P->nk++] = gst[g]; }
    }
    P->rows = ng == 0 || gred[ng - 1];
    P->inner = ng == 0 ? 1 : gsz[ng - 1];
    int T = n_threads();
    int64_t total = P->nout * P->rtot;
    P->par = total >= MK_PAR_MIN && T > 1;
    P->nch = 1;
    if (!P->par) return;
    if (P->rows) {
        if (P->nout < 2 * T)
            P->nch = imax64(1, imin64((4 * T + P->nout - 1) / P->nout, P->rtot / 2048));
    } else {
        int64_t base = (P->nout / P->inner) * ((P->inner + CW - 1) / CW);
        if (base < 2 * T)
            P->nch = imax64(1, imin64((4 * T + base - 1) / base, P->rtot / 64));
    }
}

/* element offset of flat index idx over runs (sizes sz, strides st), n runs */
static inline int64_t goff(int n, const int64_t *sz, const int64_t *st, int64_t idx) {
    if (n <= 0) return 0;
    if (n == 1) return idx * st[0];
    int64_t off = 0;
    for (int d = n - 1; d >= 0; d--) {
        int64_t q = idx / sz[d];
        off += (idx - q * sz[d]) * st[d];
        idx = q;
    }
    return off;
}

/* A dense copy of a strided input (kernel-side, no GIL needed): *buf is set
 * when memory was allocated (free it); NULL + c->err when out of memory. */
static const void *dense_data(mk_call *c, const mk_tensor *x, void **buf) {
    *buf = NULL;
    int64_t n = mk_numel(x);
    if (n == 0 || mk_is_contiguous(x)) return mk_data(x);
    int isz = mk_dtypes[x->dtype].itemsize;
    char *o = malloc((size_t)n * isz);
    if (!o) { mk_err(c, "out of memory copying a strided input"); return NULL; }
    int64_t st[3][MK_MAXDIM];
    mk_contiguous_strides(x->ndim, x->shape, st[0]);
    memcpy(st[1], x->strides, sizeof(int64_t) * x->ndim);
    mk_loop L;
    mk_loop_init(&L, x->ndim, x->shape, 2, st);
    int64_t rows = mk_loop_rows(&L), len = L.shape[L.ndim - 1], sa = L.st[1][L.ndim - 1];
    const char *a = mk_data(x);
    #pragma omp parallel for schedule(static) if (n >= MK_PAR_MIN)
    for (int64_t r = 0; r < rows; r++) {
        int64_t off[3];
        mk_loop_row(&L, r, off);
        char *po = o + off[0] * isz;
        const char *pa = a + off[1] * isz;
        switch (isz) {
        case 8: for (int64_t i = 0; i < len; i++) ((int64_t *)po)[i] = ((const int64_t *)pa)[i * sa]; break;
        case 4: for (int64_t i = 0; i < len; i++) ((int32_t *)po)[i] = ((const int32_t *)pa)[i * sa]; break;
        case 2: for (int64_t i = 0; i < len; i++) ((int16_t *)po)[i] = ((const int16_t *)pa)[i * sa]; break;
        default: for (int64_t i = 0; i < len; i++) po[i] = pa[i * sa]; break;
        }
    }
    *buf = o;
    return o;
}

/* ---- the reduction template -----------------------------------------------
 * NM: name; T input, A accumulator, O output type; INIT: identity (an A);
 * MAP(x, S): input element -> A (S: the per-output shift, only logsumexp uses it);
 * COMB(a, b): combine two A; FINAL(a, S): A -> value stored (cast to O);
 * `cnt` (elements per output) is in scope for FINAL. */
#define DEF_RUN_PAIRWISE(NM, T, A, INIT, MAP, COMB)                                         \
    static inline A NM##_comb(A a, A b) { return COMB(a, b); }                            \
    static A NM##_run(const T *p, int64_t n, double S) {                                  \
        (void)S;                                                                          \
        if (n < 16) {                                                                     \
            A r = INIT;                                                                   \
            for (int64_t i = 0; i < n; i++) r = NM##_comb(r, MAP(p[i], S));               \
            return r;                                                                     \
        }                                                                                 \
        if (n <= 128) {                                                                   \
            A r[8];                                                                       \
            for (int k = 0; k < 8; k++) r[k] = MAP(p[k], S);                              \
            int64_t i = 8;                                                                \
            for (; i + 8 <= n; i += 8)                                                    \
                for (int k = 0; k < 8; k++) r[k] = NM##_comb(r[k], MAP(p[i + k], S));     \
            A s = NM##_comb(NM##_comb(NM##_comb(r[0], r[1]), NM##_comb(r[2], r[3])),      \
                            NM##_comb(NM##_comb(r[4], r[5]), NM##_comb(r[6], r[7])));     \
            for (; i < n; i++) s = NM##_comb(s, MAP(p[i], S));                            \
            return s;                                                                     \
        }                                                                                 \
        int64_t h = n / 2;                                                                \
        h -= h % 8;                                                                       \
        A a1 = NM##_run(p, h, S);                                                         \
        A a2 = NM##_run(p + h, n - h, S);                                                 \
        return NM##_comb(a1, a2);                                                         \
    }

#define MK_PRAGMA(x) _Pragma(#x)

/* max / min over a contiguous run: an OpenMP simd reduction (vmaxps) with a
 * separate NaN flag, since the vector max does not propagate NaN. */
#define DEF_RUN_MINMAX(NM, T, A, INIT, COMB, RED, ISF)                                       \
    static inline A NM##_comb(A a, A b) { return COMB(a, b); }                            \
    static A NM##_run(const T *p, int64_t n, double S) {                                  \
        (void)S;                                                                          \
        T m = INIT;                                                                       \
        int nan = 0;                                                                      \
        if (ISF) {                                                                        \
            MK_PRAGMA(omp simd reduction(RED:m) reduction(|:nan))                          \
            for (int64_t i = 0; i < n; i++) {                                             \
                T b = p[i];                                                               \
                m = RED##_SEL(b, m);                                                      \
                nan |= b != b;                                                            \
            }                                                                             \
            if (nan) return (T)(ISF ? NAN : 0);                                           \
            return m;                                                                     \
        }                                                                                 \
        MK_PRAGMA(omp simd reduction(RED:m))                                              \
        for (int64_t i = 0; i < n; i++) { T b = p[i]; m = RED##_SEL(b, m); }              \
        return m;                                                                         \
    }
#define max_SEL(b, m) ((b) > (m) ? (b) : (m))
#define min_SEL(b, m) ((b) < (m) ? (b) : (m))

#define DEF_REDUCE(NM, T, A, O, INIT, MAP, COMB, FINAL)                                    \
    static int NM##_rows(mk_call *c, const rplan *P, const T *in, O *out,                 \
                         const double *shift) {                                           \
        const int64_t nout = P->nout, rtot = P->rtot, L = P->inner, nch = P->nch;         \
        const int64_t cnt = rtot;                                                         \
        (void)cnt;                                                                        \
        A *part = NULL;                                                                   \
        if (nch > 1 && !(part = malloc(sizeof(A) * nout * nch)))                          \
            return mk_err(c, "out of memory");                                            \
        int64_t tasks = nout * nch;                                                       \
        _Pragma("omp parallel for schedule(static) if (P->par)")                          \
        for (int64_t t = 0; t < tasks; t++) {                                             \
            int64_t o = nch == 1 ? t : t / nch, ch = t - o * nch;                         \
            const T *base = in + goff(P->nk, P->ksz, P->kst, o);                          \
            double S = shift ? shift[o] : 0;                                              \
            (void)S;                                                                      \
            if (nch == 1 && P->nr == 1) {         /* one contiguous run per output */     \
                A acc = NM##_run(base, L, S);                                             \
                out[o] = (O)(FINAL(acc, S));                                              \
                continue;                                                                 \
            }                                                                             \
            int64_t j0 = rtot * ch / nch, j1 = rtot * (ch + 1) / nch;                     \
            A acc = INIT;                                                                 \
            for (int64_t j = j0; j < j1;) {                                               \
                int64_t q = j / L, i = j - q * L, len = imin64(L - i, j1 - j);            \
                A b = NM##_run(base + goff(P->nr - 1, P->rsz, P->rst, q) + i, len, S);    \
                acc = NM##_comb(acc, b);                                                  \
                j += len;                                                                 \
            }                                                                             \
            if (nch == 1) out[o] = (O)(FINAL(acc, S));                                    \
            else part[t] = acc;                                                           \
        }                                                                                 \
        if (nch > 1) {                                                                    \
            _Pragma("omp parallel for schedule(static) if (P->par)")                      \
            for (int64_t o = 0; o < nout; o++) {                                          \
                double S = shift ? shift[o] : 0;                                          \
                (void)S;                                                                  \
                A acc = part[o * nch];                                                    \
                for (int64_t ch = 1; ch < nch; ch++) acc = NM##_comb(acc, part[o * nch + ch]); \
                out[o] = (O)(FINAL(acc, S));                                              \
            }                                                                             \
            free(part);                                                                   \
        }                                                                                 \
        return 0;                                                                         \
    }                                                                                     \
    static int NM##_cols(mk_call *c, const rplan *P, const T *in, O *out,                 \
                         const double *shift) {                                           \
        const int64_t nout = P->nout, rtot = P->rtot, nk = P->inner, nrc = P->nch;        \
        const int64_t cnt = rtot, np = nout / nk, nkc = (nk + CW - 1) / CW;               \
        (void)cnt;                                                                        \
        A *part = NULL;                                                                   \
        if (nrc > 1 && !(part = malloc(sizeof(A) * nout * nrc)))                          \
            return mk_err(c, "out of memory");                                            \
        int64_t tasks = np * nkc * nrc;                                                   \
        _Pragma("omp parallel for schedule(static) if (P->par)")                          \
        for (int64_t t = 0; t < tasks; t++) {                                             \
            int64_t rc = t % nrc, t2 = t / nrc, kc = t2 % nkc, p = t2 / nkc;              \
            int64_t j0 = kc * CW, w = imin64(CW, nk - j0);                                \
            int64_t q0 = rtot * rc / nrc, q1 = rtot * (rc + 1) / nrc;                     \
            const T *base = in + goff(P->nk - 1, P->ksz, P->kst, p) + j0;                 \
            const double *sh = shift ? shift + p * nk + j0 : NULL;                        \
            (void)sh;                                                                     \
            A acc[CW], blk[CW];                                                           \
            for (int64_t j = 0; j < w; j++) acc[j] = INIT;                                \
            for (int64_t q = q0; q < q1; q += RBLK) {                                     \
                int64_t qe = imin64(q + RBLK, q1);                                        \
                for (int64_t j = 0; j < w; j++) blk[j] = INIT;                            \
                for (int64_t qq = q; qq < qe; qq++) {                                     \
                    const T *row = base + goff(P->nr, P->rsz, P->rst, qq);                \
                    for (int64_t j = 0; j < w; j++) blk[j] = NM##_comb(blk[j], MAP(row[j], sh[j])); \
                }                                                                         \
                for (int64_t j = 0; j < w; j++) acc[j] = NM##_comb(acc[j], blk[j]);       \
            }                                                                             \
            if (nrc == 1) {                                                               \
                O *po = out + p * nk + j0;                                                \
                for (int64_t j = 0; j < w; j++) po[j] = (O)(FINAL(acc[j], sh[j]));        \
            } else {                                                                      \
                A *pp = part + rc * nout + p * nk + j0;                                   \
                for (int64_t j = 0; j < w; j++) pp[j] = acc[j];                           \
            }                                                                             \
        }                                                                                 \
        if (nrc > 1) {                                                                    \
            _Pragma("omp parallel for schedule(static) if (P->par)")                      \
            for (int64_t o = 0; o < nout; o++) {                                          \
                A acc = part[o];                                                          \
                for (int64_t rc = 1; rc < nrc; rc++) acc = NM##_comb(acc, part[rc * nout + o]); \
                out[o] = (O)(FINAL(acc, shift[o]));                                       \
            }                                                                             \
            free(part);                                                                   \
        }                                                                                 \
        return 0;                                                                         \
    }                                                                                     \
    static int NM(mk_call *c, const rplan *P, const void *in, void *out, const double *shift) { \
        if (P->nout == 0) return 0;                                                       \
        if (P->rtot == 0) {                                                               \
            const int64_t cnt = 0;                                                        \
            (void)cnt;                                                                    \
            O *o = out;                                                                   \
            for (int64_t k = 0; k < P->nout; k++) {                                       \
                A a = INIT;                                                               \
                o[k] = (O)(FINAL(a, (shift ? shift[k] : 0)));                             \
            }                                                                             \
            return 0;                                                                     \
        }                                                                                 \
        return P->rows ? NM##_rows(c, P, in, out, shift) : NM##_cols(c, P, in, out, shift); \
    }

/* ---- the ops' element rules ---------------------------------------------- */

#define MAP_F(x, S) ((double)(x))
#define MAP_I(x, S) ((uint64_t)(int64_t)(x))
#define MAP_ID(x, S) (x)
#define MAP_B(x, S) ((uint8_t)((x) != 0))
#define COMB_ADD(a, b) ((a) + (b))
#define COMB_MUL(a, b) ((a) * (b))
/* branch-free (bitwise |) so that the 8-lane loops vectorise */
#define COMB_FMAX(a, b) ((((b) > (a)) | ((b) != (b))) ? (b) : (a))
#define COMB_FMIN(a, b) ((((b) < (a)) | ((b) != (b))) ? (b) : (a))
#define COMB_IMAX(a, b) ((b) > (a) ? (b) : (a))
#define COMB_IMIN(a, b) ((b) < (a) ? (b) : (a))
#define COMB_OR(a, b) ((a) | (b))
#define COMB_AND(a, b) ((a) & (b))
#define FIN_ID(a, S) (a)
#define FIN_FMEAN(a, S) ((a) / (double)cnt)
#define FIN_IMEAN(a, S) (cnt ? (int64_t)(a) / cnt : 0)

DEF_RUN_PAIRWISE(sum_f32, float, double, 0.0, MAP_F, COMB_ADD)
DEF_REDUCE(sum_f32, float, double, float, 0.0, MAP_F, COMB_ADD, FIN_ID)
DEF_RUN_PAIRWISE(sum_f64, double, double, 0.0, MAP_F, COMB_ADD)
DEF_REDUCE(sum_f64, double, double, double, 0.0, MAP_F, COMB_ADD, FIN_ID)
DEF_RUN_PAIRWISE(sum_i32, int32_t, uint64_t, 0, MAP_I, COMB_ADD)
DEF_REDUCE(sum_i32, int32_t, uint64_t, int32_t, 0, MAP_I, COMB_ADD, FIN_ID)
DEF_RUN_PAIRWISE(sum_i64, int64_t, uint64_t, 0, MAP_I, COMB_ADD)
DEF_REDUCE(sum_i64, int64_t, uint64_t, int64_t, 0, MAP_I, COMB_ADD, FIN_ID)
DEF_RUN_PAIRWISE(sum_u8, uint8_t, uint64_t, 0, MAP_I, COMB_ADD)
DEF_REDUCE(sum_u8, uint8_t, uint64_t, uint8_t, 0, MAP_I, COMB_ADD, FIN_ID)

DEF_RUN_PAIRWISE(mean_f32, float, double, 0.0, MAP_F, COMB_ADD)
DEF_REDUCE(mean_f32, float, double, float, 0.0, MAP_F, COMB_ADD, FIN_FMEAN)
DEF_RUN_PAIRWISE(mean_f64, double, double, 0.0, MAP_F, COMB_ADD)
DEF_REDUCE(mean_f64, double, double, double, 0.0, MAP_F, COMB_ADD, FIN_FMEAN)
DEF_RUN_PAIRWISE(mean_i32, int32_t, uint64_t, 0, MAP_I, COMB_ADD)
DEF_REDUCE(mean_i32, int32_t, uint64_t, int32_t, 0, MAP_I, COMB_ADD, FIN_IMEAN)
DEF_RUN_PAIRWISE(mean_i64, int64_t, uint64_t, 0, MAP_I, COMB_ADD)
DEF_REDUCE(mean_i64, int64_t, uint64_t, int64_t, 0, MAP_I, COMB_ADD, FIN_IMEAN)
DEF_RUN_PAIRWISE(mean_u8, uint8_t, uint64_t, 0, MAP_I, COMB_ADD)
DEF_REDUCE(mean_u8, uint8_t, uint64_t, uint8_t, 0, MAP_I, COMB_ADD, FIN_IMEAN)

DEF_RUN_PAIRWISE(prod_f32, float, double, 1.0, MAP_F, COMB_MUL)
DEF_REDUCE(prod_f32, float, double, float, 1.0, MAP_F, COMB_MUL, FIN_ID)
DEF_RUN_PAIRWISE(prod_f64, double, double, 1.0, MAP_F, COMB_MUL)
DEF_REDUCE(prod_f64, double, double, double, 1.0, MAP_F, COMB_MUL, FIN_ID)
DEF_RUN_PAIRWISE(prod_i32, int32_t, uint64_t, 1, MAP_I, COMB_MUL)
DEF_REDUCE(prod_i32, int32_t, uint64_t, int32_t, 1, MAP_I, COMB_MUL, FIN_ID)
DEF_RUN_PAIRWISE(prod_i64, int64_t, uint64_t, 1, MAP_I, COMB_MUL)
DEF_REDUCE(prod_i64, int64_t, uint64_t, int64_t, 1, MAP_I, COMB_MUL, FIN_ID)
DEF_RUN_PAIRWISE(prod_u8, uint8_t, uint64_t, 1, MAP_I, COMB_MUL)
DEF_REDUCE(prod_u8, uint8_t, uint64_t, uint8_t, 1, MAP_I, COMB_MUL, FIN_ID)

DEF_RUN_MINMAX(max_f32, float, float, -INFINITY, COMB_FMAX, max, 1)
DEF_REDUCE(max_f32, float, float, float, -INFINITY, MAP_ID, COMB_FMAX, FIN_ID)
DEF_RUN_MINMAX(max_f64, double, double, -INFINITY, COMB_FMAX, max, 1)
DEF_REDUCE(max_f64, double, double, double, -INFINITY, MAP_ID, COMB_FMAX, FIN_ID)
DEF_RUN_MINMAX(max_i32, int32_t, int32_t, INT32_MIN, COMB_IMAX, max, 0)
DEF_REDUCE(max_i32, int32_t, int32_t, int32_t, INT32_MIN, MAP_ID, COMB_IMAX, FIN_ID)
DEF_RUN_MINMAX(max_i64, int64_t, int64_t, INT64_MIN, COMB_IMAX, max, 0)
DEF_REDUCE(max_i64, int64_t, int64_t, int64_t, INT64_MIN, MAP_ID, COMB_IMAX, FIN_ID)
DEF_RUN_MINMAX(max_u8, uint8_t, uint8_t, 0, COMB_IMAX, max, 0)
DEF_REDUCE(max_u8, uint8_t, uint8_t, uint8_t, 0, MAP_ID, COMB_IMAX, FIN_ID)

DEF_RUN_MINMAX(min_f32, float, float, INFINITY, COMB_FMIN, min, 1)
DEF_REDUCE(min_f32, float, float, float, INFINITY, MAP_ID, COMB_FMIN, FIN_ID)
DEF_RUN_MINMAX(min_f64, double, double, INFINITY, COMB_FMIN, min, 1)
DEF_REDUCE(min_f64, double, double, double, INFINITY, MAP_ID, COMB_FMIN, FIN_ID)
DEF_RUN_MINMAX(min_i32, int32_t, int32_t, INT32_MAX, COMB_IMIN, min, 0)
DEF_REDUCE(min_i32, int32_t, int32_t, int32_t, INT32_MAX, MAP_ID, COMB_IMIN, FIN_ID)
DEF_RUN_MINMAX(min_i64, int64_t, int64_t, INT64_MAX, COMB_IMIN, min, 0)
DEF_REDUCE(min_i64, int64_t, int64_t, int64_t, INT64_MAX, MAP_ID, COMB_IMIN, FIN_ID)
DEF_RUN_MINMAX(min_u8, uint8_t, uint8_t, 255, COMB_IMIN, min, 0)
DEF_REDUCE(min_u8, uint8_t, uint8_t, uint8_t, 255, MAP_ID, COMB_IMIN, FIN_ID)

DEF_RUN_PAIRWISE(any_b, uint8_t, uint8_t, 0, MAP_B, COMB_OR)
DEF_REDUCE(any_b, uint8_t, uint8_t, uint8_t, 0, MAP_B, COMB_OR, FIN_ID)
DEF_RUN_PAIRWISE(all_b, uint8_t, uint8_t, 1, MAP_B, COMB_AND)
DEF_REDUCE(all_b, uint8_t, uint8_t, uint8_t, 1, MAP_B, COMB_AND, FIN_ID)

/* logsumexp = s + log(sum(exp(x - s))), s = max where finite, else 0 (as TF) */
#define FIN_SHIFT(a, S) (isfinite((double)(a)) ? (double)(a) : 0.0)
#define MAP_EXP_F(x, S) ((double)mk_expf((x) - (float)(S)))
#define MAP_EXP_D(x, S) (exp((x) - (S)))
#define FIN_LSE(a, S) (log(a) + (S))
DEF_RUN_MINMAX(lsemax_f32, float, float, -INFINITY, COMB_FMAX, max, 1)
DEF_REDUCE(lsemax_f32, float, float, double, -INFINITY, MAP_ID, COMB_FMAX, FIN_SHIFT)
DEF_RUN_MINMAX(lsemax_f64, double, double, -INFINITY, COMB_FMAX, max, 1)
DEF_REDUCE(lsemax_f64, double, double, double, -INFINITY, MAP_ID, COMB_FMAX, FIN_SHIFT)
DEF_RUN_PAIRWISE(lse_f32, float, double, 0.0, MAP_EXP_F, COMB_ADD)
DEF_REDUCE(lse_f32, float, double, float, 0.0, MAP_EXP_F, COMB_ADD, FIN_LSE)
DEF_RUN_PAIRWISE(lse_f64, double, double, 0.0, MAP_EXP_D, COMB_ADD)
DEF_REDUCE(lse_f64, double, double, double, 0.0, MAP_EXP_D, COMB_ADD, FIN_LSE)

typedef int (*red_fn)(mk_call *, const rplan *, const void *, void *, const double *);

static int run_reduce(mk_call *c, red_fn f32, red_fn f64, red_fn i32, red_fn i64, red_fn u8) {
    rplan P;
    make_plan(&P, c->in[0], red_mask_of(c));
    red_fn f = NULL;
    switch (c->in[0]->dtype) {
    case MK_F32: f = f32; break;
    case MK_F64: f = f64; break;
    case MK_I32: f = i32; break;
    case MK_I64: f = i64; break;
    case MK_U8: case MK_BOOL: f = u8; break;
    }
    if (!f) return mk_err(c, "unsupported dtype %s", mk_dtypes[c->in[0]->dtype].name);
    void *buf;
    const void *x = dense_data(c, c->in[0], &buf);
    if (!x) return -1;
    int rc = f(c, &P, x, mk_data(c->out[0]), NULL);
    free(buf);
    return rc;
}

static int k_sum(mk_call *c) { return run_reduce(c, sum_f32, sum_f64, sum_i32, sum_i64, sum_u8); }
static int k_mean(mk_call *c) { return run_reduce(c, mean_f32, mean_f64, mean_i32, mean_i64, mean_u8); }
static int k_prod(mk_call *c) { return run_reduce(c, prod_f32, prod_f64, prod_i32, prod_i64, prod_u8); }
static int k_max(mk_call *c) { return run_reduce(c, max_f32, max_f64, max_i32, max_i64, max_u8); }
static int k_min(mk_call *c) { return run_reduce(c, min_f32, min_f64, min_i32, min_i64, min_u8); }
static int k_any(mk_call *c) { return run_reduce(c, NULL, NULL, NULL, NULL, any_b); }
static int k_all(mk_call *c) { return run_reduce(c, NULL, NULL, NULL, NULL, all_b); }

static int k_logsumexp(mk_call *c) {
    rplan P;
    make_plan(&P, c->in[0], red_mask_of(c));
    if (P.nout == 0) return 0;
    double *sh = malloc(sizeof(double) * P.nout);
    if (!sh) return mk_err(c, "out of memory");
    int f32 = c->in[0]->dtype == MK_F32;
    void *buf;
    const void *x = dense_data(c, c->in[0], &buf);
    if (!x) { free(sh); return -1; }
    int rc = f32 ? lsemax_f32(c, &P, x, sh, NULL) : lsemax_f64(c, &P, x, sh, NULL);
    if (rc == 0) rc = f32 ? lse_f32(c, &P, x, mk_data(c->out[0]), sh)
                          : lse_f64(c, &P, x, mk_data(c->out[0]), sh);
    free(sh);
    free(buf);
    return rc;
}

/* ---- argmax / argmin ------------------------------------------------------- */

/* (outer, n, inner) of a dense tensor around axis ax */
static void split3(const mk_tensor *x, int ax, int64_t *outer, int64_t *n, int64_t *inner) {
    *outer = mk_numel_of(ax, x->shape);
    *n = x->ndim ? x->shape[ax] : 1;
    *inner = x->ndim ? mk_numel_of(x->ndim - ax - 1, x->shape + ax + 1) : 1;
}

static int infer_arg(mk_call *c) {
    mk_tensor *x = c->in[0];
    char s[160];
    int ax;
    if (mk_norm_axis(c, c->a.ni >= 1 ? c->a.i[0] : 0, x->ndim, &ax) < 0) return -1;
    int odt = c->a.ni >= 2 ? (int)c->a.i[1] : MK_I64;
    if (odt != MK_I32 && odt != MK_I64)
        return mk_err(c, "output_type must be int32 or int64, got %s",
                      odt >= 0 && odt < MK_NDTYPE ? mk_dtypes[odt].name : "an unknown dtype");
    if (x->ndim && x->shape[ax] == 0) {
        mk_shape_str(s, sizeof s, x->ndim, x->shape);
        return mk_err(c, "Reduction axis %d is empty in shape %s", ax, s);
    }
    mk_meta *m = &c->meta[0];
    m->view = 0;
    m->dtype = odt;
    m->ndim = 0;
    for (int d = 0; d < x->ndim; d++)
        if (d != ax) m->shape[m->ndim++] = x->shape[d];
    return 0;
}

/* BETTER(x, b): x replaces the current best b */
#define ARG_FMAX(x, b) ((x) > (b) || ((x) != (x) && (b) == (b)))
#define ARG_FMIN(x, b) ((x) < (b) || ((x) != (x) && (b) == (b)))
#define ARG_IMAX(x, b) ((x) > (b))
#define ARG_IMIN(x, b) ((x) < (b))

#define DEF_ARG(NM, T, I, BETTER, RUN)                                                     \
    static void NM(const T *x, I *out, int64_t outer, int64_t n, int64_t inner) {         \
        int64_t total = outer * n * inner;                                                \
        if (inner == 1) {                                                                 \
            /* a vectorised max/min (NaN-aware), then the first index holding it */       \
            _Pragma("omp parallel for schedule(static) if (total >= MK_PAR_MIN)")         \
            for (int64_t o = 0; o < outer; o++) {                                         \
                const T *p = x + o * n;                                                   \
                T b = RUN(p, n, 0);                                                       \
                int64_t bi = 0;                                                           \
                if (b != b) { while (p[bi] == p[bi]) bi++; }                              \
                else { while (p[bi] != b) bi++; }                                         \
                out[o] = (I)bi;                                                           \
            }                                                                             \
            return;                                                                       \
        }                                                                                 \
        int64_t nkc = (inner + CW - 1) / CW, tasks = outer * nkc;                         \
        _Pragma("omp parallel for schedule(static) if (total >= MK_PAR_MIN)")             \
        for (int64_t t = 0; t < tasks; t++) {                                             \
            int64_t o = t / nkc, j0 = (t % nkc) * CW, w = imin64(CW, inner - j0);         \
            const T *p = x + o * n * inner + j0;                                          \
            T b[CW];                                                                      \
            I bi[CW];                                                                     \
            for (int64_t j = 0; j < w; j++) { b[j] = p[j]; bi[j] = 0; }                   \
            for (int64_t i = 1; i < n; i++) {                                             \
                const T *r = p + i * inner;                                               \
                for (int64_t j = 0; j < w; j++) {                                         \
                    int better = BETTER(r[j], b[j]);                                      \
                    b[j] = better ? r[j] : b[j];                                          \
                    bi[j] = better ? (I)i : bi[j];                                        \
                }                                                                         \
            }                                                                             \
            I *po = out + o * inner + j0;                                                 \
            for (int64_t j = 0; j < w; j++) po[j] = bi[j];                                \
        }                                                                                 \
    }

#define DEF_ARG_ALL(NM, BF, BI, R)                                                         \
    DEF_ARG(NM##_f32_i64, float, int64_t, BF, R##_f32_run)                                \
    DEF_ARG(NM##_f32_i32, float, int32_t, BF, R##_f32_run)                                \
    DEF_ARG(NM##_f64_i64, double, int64_t, BF, R##_f64_run)                               \
    DEF_ARG(NM##_f64_i32, double, int32_t, BF, R##_f64_run)                               \
    DEF_ARG(NM##_i32_i64, int32_t, int64_t, BI, R##_i32_run)                              \
    DEF_ARG(NM##_i32_i32, int32_t, int32_t, BI, R##_i32_run)                              \
    DEF_ARG(NM##_i64_i64, int64_t, int64_t, BI, R##_i64_run)                              \
    DEF_ARG(NM##_i64_i32, int64_t, int32_t, BI, R##_i64_run)                              \
    DEF_ARG(NM##_u8_i64, uint8_t, int64_t, BI, R##_u8_run)                                \
    DEF_ARG(NM##_u8_i32, uint8_t, int32_t, BI, R##_u8_run)                                \
    static int k_##NM(mk_call *c) {                                                       \
        mk_tensor *x = c->in[0];                                                          \
        int ax = 0;                                                                       \
        if (mk_norm_axis(c, c->a.ni >= 1 ? c->a.i[0] : 0, x->ndim, &ax) < 0) return -1;   \
        int64_t outer, n, inner;                                                          \
        split3(x, ax, &outer, &n, &inner);                                                \
        if (outer * inner == 0) return 0;                                                 \
        int o64 = c->out[0]->dtype == MK_I64;                                             \
        void *o = mk_data(c->out[0]), *buf;                                               \
        const void *p = dense_data(c, x, &buf);                                           \
        if (!p) return -1;                                                                \
        switch (x->dtype) {                                                               \
        case MK_F32: o64 ? NM##_f32_i64(p, o, outer, n, inner) : NM##_f32_i32(p, o, outer, n, inner); break; \
        case MK_F64: o64 ? NM##_f64_i64(p, o, outer, n, inner) : NM##_f64_i32(p, o, outer, n, inner); break; \
        case MK_I32: o64 ? NM##_i32_i64(p, o, outer, n, inner) : NM##_i32_i32(p, o, outer, n, inner); break; \
        case MK_I64: o64 ? NM##_i64_i64(p, o, outer, n, inner) : NM##_i64_i32(p, o, outer, n, inner); break; \
        case MK_U8: case MK_BOOL:                                                         \
            o64 ? NM##_u8_i64(p, o, outer, n, inner) : NM##_u8_i32(p, o, outer, n, inner); break; \
        default: free(buf); return mk_err(c, "unsupported dtype %s", mk_dtypes[x->dtype].name); \
        }                                                                                 \
        free(buf);                                                                        \
        return 0;                                                                         \
    }

DEF_ARG_ALL(argmax, ARG_FMAX, ARG_IMAX, max)
DEF_ARG_ALL(argmin, ARG_FMIN, ARG_IMIN, min)

/* ---- cumsum -------------------------------------------------------------- */

static int infer_cumsum(mk_call *c) {
    mk_tensor *x = c->in[0];
    int ax;
    if (x->dtype == MK_BOOL) return mk_err(c, "expects a numeric tensor, got bool");
    if (x->ndim == 0) return mk_err(c, "input must be at least rank 1, got a scalar");
    if (mk_norm_axis(c, c->a.ni >= 1 ? c->a.i[0] : 0, x->ndim, &ax) < 0) return -1;
    mk_meta_set(&c->meta[0], x->dtype, x->ndim, x->shape);
    return 0;
}

#define DEF_CUMSUM(NM, T, A, MAP)                                                          \
    static void NM(const T *x, T *out, int64_t outer, int64_t n, int64_t inner, int excl, int rev) { \
        int64_t total = outer * n * inner;                                                \
        int64_t step = rev ? -1 : 1, first = rev ? n - 1 : 0;                             \
        if (inner == 1) {                                                                 \
            _Pragma("omp parallel for schedule(static) if (total >= MK_PAR_MIN)")         \
            for (int64_t o = 0; o < outer; o++) {                                         \
                const T *p = x + o * n;                                                   \
                T *q = out + o * n;                                                       \
                A acc = 0;                                                                \
                for (int64_t k = 0, i = first; k < n; k++, i += step) {                   \
                    A v = MAP(p[i]);                                                      \
                    if (excl) { q[i] = (T)acc; acc += v; }                                \
                    else { acc += v; q[i] = (T)acc; }                                     \
                }                                                                         \
            }                                                                             \
            return;                                                                       \
        }                                                                                 \
        int64_t nkc = (inner + CW - 1) / CW, tasks = outer * nkc;                         \
        _Pragma("omp parallel for schedule(static) if (total >= MK_PAR_MIN)")             \
        for (int64_t t = 0; t < tasks; t++) {                                             \
            int64_t o = t / nkc, j0 = (t % nkc) * CW, w = imin64(CW, inner - j0);         \
            const T *p = x + o * n * inner + j0;                                          \
            T *q = out + o * n * inner + j0;                                              \
            A acc[CW];                                                                    \
            for (int64_t j = 0; j < w; j++) acc[j] = 0;                                   \
            for (int64_t k = 0, i = first; k < n; k++, i += step) {                       \
                const T *r = p + i * inner;                                               \
                T *s = q + i * inner;                                                     \
                if (excl)                                                                 \
                    for (int64_t j = 0; j < w; j++) { A v = MAP(r[j]); s[j] = (T)acc[j]; acc[j] += v; } \
                else                                                                      \
                    for (int64_t j = 0; j < w; j++) { acc[j] += MAP(r[j]); s[j] = (T)acc[j]; } \
            }                                                                             \
        }                                                                                 \
    }

#define CS_F(x) ((double)(x))
#define CS_I(x) ((uint64_t)(int64_t)(x))
DEF_CUMSUM(cumsum_f32, float, double, CS_F)
DEF_CUMSUM(cumsum_f64, double, double, CS_F)
DEF_CUMSUM(cumsum_i32, int32_t, uint64_t, CS_I)
DEF_CUMSUM(cumsum_i64, int64_t, uint64_t, CS_I)
DEF_CUMSUM(cumsum_u8, uint8_t, uint64_t, CS_I)

static int k_cumsum(mk_call *c) {
    mk_tensor *x = c->in[0];
    int ax = 0;
    if (mk_norm_axis(c, c->a.ni >= 1 ? c->a.i[0] : 0, x->ndim, &ax) < 0) return -1;
    int excl = c->a.ni >= 2 && c->a.i[1], rev = c->a.ni >= 3 && c->a.i[2];
    int64_t outer, n, inner;
    split3(x, ax, &outer, &n, &inner);
    if (outer * n * inner == 0) return 0;
    void *o = mk_data(c->out[0]), *buf;
    const void *p = dense_data(c, x, &buf);
    if (!p) return -1;
    switch (x->dtype) {
    case MK_F32: cumsum_f32(p, o, outer, n, inner, excl, rev); break;
    case MK_F64: cumsum_f64(p, o, outer, n, inner, excl, rev); break;
    case MK_I32: cumsum_i32(p, o, outer, n, inner, excl, rev); break;
    case MK_I64: cumsum_i64(p, o, outer, n, inner, excl, rev); break;
    case MK_U8: cumsum_u8(p, o, outer, n, inner, excl, rev); break;
    default: free(buf); return mk_err(c, "unsupported dtype %s", mk_dtypes[x->dtype].name);
    }
    free(buf);
    return 0;
}

/* ---- registration ---------------------------------------------------------- */

#define REG(ID, infer, kern, fl) \
    mk_ops[MK_OP_##ID] = (mk_opdef){NULL, 1, 1, (fl), infer, {kern}}

void mk_register_reduce(void) {
    REG(REDUCE_SUM, infer_reduce_num, k_sum, 0);
    REG(REDUCE_MEAN, infer_reduce_num, k_mean, 0);
    REG(REDUCE_MAX, infer_reduce_num, k_max, 0);
    REG(REDUCE_MIN, infer_reduce_num, k_min, 0);
    REG(REDUCE_PROD, infer_reduce_num, k_prod, 0);
    REG(REDUCE_ANY, infer_reduce_bool, k_any, MK_OP_NONDIFF);
    REG(REDUCE_ALL, infer_reduce_bool, k_all, MK_OP_NONDIFF);
    REG(REDUCE_LOGSUMEXP, infer_reduce_float, k_logsumexp, 0);
    REG(ARGMAX, infer_arg, k_argmax, MK_OP_NONDIFF);
    REG(ARGMIN, infer_arg, k_argmin, MK_OP_NONDIFF);
    REG(CUMSUM, infer_cumsum, k_cumsum, 0);
}
