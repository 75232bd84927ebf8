/* Softmax family: softmax / log_softmax over one axis, their fused backward
 * ops, and the fused cross-entropy ops TF has (SoftmaxCrossEntropyWithLogits,
 * SparseSoftmaxCrossEntropyWithLogits).  Every reduction is max-shifted.
 *
 * softmax(x), log_softmax(x): i[0] = axis (default -1).
 * softmax_grad(dy, y) = y * (dy - sum(dy * y)),
 * log_softmax_grad(dy, y) = dy - exp(y) * sum(dy)  (y the forward output): i[0] = axis.
 * softmax_cross_entropy(labels [N,C], logits [N,C]) -> (loss [N], backprop [N,C]):
 *   loss = -sum(labels * log_softmax(logits)), backprop = softmax(logits) - labels.
 * sparse_softmax_cross_entropy(labels int32/int64 [N], logits [N,C]) -> (loss, backprop);
 *   a label outside [0, C) is an InvalidArgumentError naming it.
 * Strided inputs are copied densely inside the kernel (dense_in.h); rows run
 * in parallel (OpenMP) when the tensor is big. */
#include "loops.h"
#include "dense_in.h"
#include <math.h>
#include <stdio.h>

/* exp for float32 (Cephes polynomial, ~1 ulp); exact 0 below -87.3 (so -inf
 * logits give probability 0), +inf above 88.37, NaN propagates.  GCC will not
 * vectorise it by itself without -ffast-math, so the AVX2 version below does
 * the hot loops (y = exp(x - max) and its sum). */
#define EXP_LO -87.33654f
#define EXP_HI 88.3762626647949f
static inline float sm_expf(float x) {
    float xc = x < EXP_LO ? EXP_LO : (x > EXP_HI ? EXP_HI : x);
    float fi = floorf(xc * 1.44269504088896341f + 0.5f);
    float r = xc - fi * 0.693359375f + fi * 2.12194440e-4f;
    float p = 1.9875691500E-4f;
    p = p * r + 1.3981999507E-3f;
    p = p * r + 8.3334519073E-3f;
    p = p * r + 4.1665795894E-2f;
    p = p * r + 1.6666665459E-1f;
    p = p * r + 5.0000001201E-1f;
    float y = p * r * r + r + 1.0f;
    int32_t e = (int32_t)fi + 127;
    union { int32_t i; float f; } u;
    u.i = e << 23;
    y *= u.f;
    y = x < EXP_LO ? 0.0f : y;
    y = x > EXP_HI ? INFINITY : y;
    return x != x ? x : y;
}

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
static inline __m256 sm_exp8(__m256 x) {
    const __m256 lo = _mm256_set1_ps(EXP_LO), hi = _mm256_set1_ps(EXP_HI);
    __m256 xc = _mm256_min_ps(_mm256_max_ps(x, lo), hi);
    __m256 fi = _mm256_round_ps(_mm256_mul_ps(xc, _mm256_set1_ps(1.44269504088896341f)),
                                _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 r = _mm256_fnmadd_ps(fi, _mm256_set1_ps(0.693359375f), xc);
    r = _mm256_fnmadd_ps(fi, _mm256_set1_ps(-2.12194440e-4f), r);
    __m256 p = _mm256_set1_ps(1.9875691500E-4f);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507E-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073E-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894E-2f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459E-1f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201E-1f));
    __m256 y = _mm256_add_ps(_mm256_fmadd_ps(p, _mm256_mul_ps(r, r), r), _mm256_set1_ps(1.0f));
    __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(fi), _mm256_set1_epi32(127)), 23);
    y = _mm256_mul_ps(y, _mm256_castsi256_ps(e));
    y = _mm256_blendv_ps(y, _mm256_setzero_ps(), _mm256_cmp_ps(x, lo, _CMP_LT_OQ));
    y = _mm256_blendv_ps(y, _mm256_set1_ps(INFINITY), _mm256_cmp_ps(x, hi, _CMP_GT_OQ));
    return _mm256_blendv_ps(y, x, _mm256_cmp_ps(x, x, _CMP_UNORD_Q));
}
#define EXPSUM_SPECIAL
static inline float expsum_f32(const float *x, float mx, float *y, int64_t n) {
    __m256 acc = _mm256_setzero_ps(), m = _mm256_set1_ps(mx);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 e = sm_exp8(_mm256_sub_ps(_mm256_loadu_ps(x + i), m));
        if (y) _mm256_storeu_ps(y + i, e);
        acc = _mm256_add_ps(acc, e);
    }
    float buf[8], s = 0;
    _mm256_storeu_ps(buf, acc);
    for (int k = 0; k < 8; k++) s += buf[k];
    for (; i < n; i++) {
        float e = sm_expf(x[i] - mx);
        if (y) y[i] = e;
        s += e;
    }
    return s;
}
#endif

#define T float
#define SUF f32
#define EXP sm_expf
#define EXPFULL sm_expf
#define LOG logf
#include "softmax_impl.h"
#undef T
#undef SUF
#undef EXP
#undef EXPFULL
#undef LOG
#undef EXPSUM_SPECIAL

#define T double
#define SUF f64
#define EXP exp
#define EXPFULL exp
#define LOG log
#include "softmax_impl.h"
#undef T
#undef SUF
#undef EXP
#undef EXPFULL
#undef LOG

/* ---- infer ---------------------------------------------------------------- */

static int check_float(mk_call *c, const mk_tensor *t, const char *what) {
    if (t->dtype != MK_F32 && t->dtype != MK_F64)
        return mk_err(c, "%s must be a float tensor (float16, float32, float64), got %s", what,
                      mk_dtypes[t->dtype].name);
    return 0;
}

static int get_axis(mk_call *c, const mk_tensor *t, int *ax) {
    if (t->ndim == 0) return mk_err(c, "logits must have at least one dimension, got a scalar");
    return mk_norm_axis(c, c->a.ni ? c->a.i[0] : -1, t->ndim, ax);
}

static void split(const mk_tensor *t, int ax, int64_t *outer, int64_t *n, int64_t *inner) {
    *outer = mk_numel_of(ax, t->shape);
    *n = t->shape[ax];
    *inner = mk_numel_of(t->ndim - ax - 1, t->shape + ax + 1);
}

static int infer_softmax(mk_call *c) {
    int ax;
    if (check_float(c, c->in[0], "logits") < 0 || get_axis(c, c->in[0], &ax) < 0) return -1;
    mk_meta_set(&c->meta[0], c->in[0]->dtype, c->in[0]->ndim, c->in[0]->shape);
    return 0;
}

static int same_shape(mk_call *c, const mk_tensor *a, const mk_tensor *b, const char *na, const char *nb) {
    int eq = a->ndim == b->ndim;
    for (int i = 0; eq && i < a->ndim; i++) eq = a->shape[i] == b->shape[i];
    if (!eq) {
        char sa[128], sb[128];
        mk_shape_str(sa, sizeof sa, a->ndim, a->shape);
        mk_shape_str(sb, sizeof sb, b->ndim, b->shape);
        return mk_err(c, "%s and %s must have the same shape: %s vs. %s", na, nb, sa, sb);
    }
    return 0;
}

static int infer_softmax_grad(mk_call *c) {
    int ax;
    if (mk_same_dtype(c) < 0 || check_float(c, c->in[0], "gradient") < 0 ||
        same_shape(c, c->in[0], c->in[1], "gradient", "output") < 0 || get_axis(c, c->in[0], &ax) < 0)
        return -1;
    mk_meta_set(&c->meta[0], c->in[0]->dtype, c->in[0]->ndim, c->in[0]->shape);
    return 0;
}

static int set_xent_outputs(mk_call *c, const mk_tensor *L) {
    mk_meta_set(&c->meta[0], L->dtype, 1, L->shape);
    mk_meta_set(&c->meta[1], L->dtype, 2, L->shape);
    return 0;
}

static int infer_xent(mk_call *c) {
    mk_tensor *lab = c->in[0], *L = c->in[1];
    if (mk_same_dtype(c) < 0 || check_float(c, L, "logits") < 0) return -1;
    if (L->ndim != 2) {
        char s[128];
        mk_shape_str(s, sizeof s, L->ndim, L->shape);
        return mk_err(c, "logits must be 2-dimensional, got shape %s", s);
    }
    if (same_shape(c, lab, L, "labels", "logits") < 0) return -1;
    return set_xent_outputs(c, L);
}

static int infer_sparse_xent(mk_call *c) {
    mk_tensor *lab = c->in[0], *L = c->in[1];
    char sl[128], sx[128];
    mk_shape_str(sl, sizeof sl, lab->ndim, lab->shape);
    mk_shape_str(sx, sizeof sx, L->ndim, L->shape);
    if (check_float(c, L, "logits") < 0) return -1;
    if (lab->dtype != MK_I32 && lab->dtype != MK_I64)
        return mk_err(c, "labels must be int32 or int64, got %s", mk_dtypes[lab->dtype].name);
    if (L->ndim != 2) return mk_err(c, "logits must be 2-D, but got shape %s", sx);
    if (lab->ndim != 1 || lab->shape[0] != L->shape[0])
        return mk_err(c, "labels must be 1-D with as many rows as logits: labels %s, logits %s", sl, sx);
    if (L->shape[1] == 0 && L->shape[0] > 0)
        return mk_err(c, "Must have at least one class, but got logits shape %s", sx);
    return set_xent_outputs(c, L);
}

/* ---- kernels -------------------------------------------------------------- */

static int run_softmax(mk_call *c, int log_mode) {
    mk_tensor *X = c->in[0];
    int ax;
    if (get_axis(c, X, &ax) < 0) return -1;
    int64_t outer, n, inner;
    split(X, ax, &outer, &n, &inner);
    void *tmp;
    const void *x = mk_dense_in(X, &tmp);
    if (!x) return mk_err(c, "out of memory");
    if (X->dtype == MK_F32) softmax_run_f32(x, mk_data(c->out[0]), outer, n, inner, log_mode);
    else softmax_run_f64(x, mk_data(c->out[0]), outer, n, inner, log_mode);
    free(tmp);
    return 0;
}
static int k_softmax(mk_call *c) { return run_softmax(c, 0); }
static int k_log_softmax(mk_call *c) { return run_softmax(c, 1); }

static int run_softmax_grad(mk_call *c, int log_mode) {
    mk_tensor *D = c->in[0], *Y = c->in[1];
    int ax;
    if (get_axis(c, D, &ax) < 0) return -1;
    int64_t outer, n, inner;
    split(D, ax, &outer, &n, &inner);
    void *t1, *t2 = NULL;
    const void *d = mk_dense_in(D, &t1), *y = d ? mk_dense_in(Y, &t2) : NULL;
    if (!d || !y) { free(t1); return mk_err(c, "out of memory"); }
    if (D->dtype == MK_F32)
        softmax_grad_run_f32(d, y, mk_data(c->out[0]), outer, n, inner, log_mode);
    else
        softmax_grad_run_f64(d, y, mk_data(c->out[0]), outer, n, inner, log_mode);
    free(t1);
    free(t2);
    return 0;
}
static int k_softmax_grad(mk_call *c) { return run_softmax_grad(c, 0); }
static int k_log_softmax_grad(mk_call *c) { return run_softmax_grad(c, 1); }

static int k_xent(mk_call *c) {
    mk_tensor *L = c->in[1];
    int64_t N = L->shape[0], C = L->shape[1];
    void *t1, *t2 = NULL;
    const void *lab = mk_dense_in(c->in[0], &t1), *x = lab ? mk_dense_in(L, &t2) : NULL;
    if (!lab || !x) { free(t1); return mk_err(c, "out of memory"); }
    if (L->dtype == MK_F32)
        xent_run_f32(lab, x, mk_data(c->out[0]), mk_data(c->out[1]), N, C);
    else
        xent_run_f64(lab, x, mk_data(c->out[0]), mk_data(c->out[1]), N, C);
    free(t1);
    free(t2);
    return 0;
}

static int k_sparse_xent(mk_call *c) {
    mk_tensor *lab = c->in[0], *L = c->in[1];
    int64_t N = L->shape[0], C = L->shape[1];
    int i32 = lab->dtype == MK_I32;
    void *t1, *t2 = NULL;
    const void *lp = mk_dense_in(lab, &t1), *x = lp ? mk_dense_in(L, &t2) : NULL;
    if (!lp || !x) { free(t1); return mk_err(c, "out of memory"); }
    const int32_t *l4 = lp;
    const int64_t *l8 = lp;
    for (int64_t r = 0; r < N; r++) {
        int64_t v = i32 ? l4[r] : l8[r];
        if (v < 0 || v >= C) {
            char vals[200];
            size_t k = 0;
            int64_t q = 0;
            for (; q < N && k < sizeof vals - 32; q++)
                k += snprintf(vals + k, sizeof vals - k, q ? " %lld" : "%lld", (long long)(i32 ? l4[q] : l8[q]));
            if (q < N) snprintf(vals + k, sizeof vals - k, " ...");
            free(t1);
            free(t2);
            return mk_err(c, "Received a label value of %lld which is outside the valid range of "
                          "[0, %lld).  Label values: %s", (long long)v, (long long)C, vals);
        }
    }
    void *loss = mk_data(c->out[0]), *bp = mk_data(c->out[1]);
    if (L->dtype == MK_F32) {
        if (i32) sparse_xent_run_f32_int32_t(l4, x, loss, bp, N, C);
        else sparse_xent_run_f32_int64_t(l8, x, loss, bp, N, C);
    } else {
        if (i32) sparse_xent_run_f64_int32_t(l4, x, loss, bp, N, C);
        else sparse_xent_run_f64_int64_t(l8, x, loss, bp, N, C);
    }
    free(t1);
    free(t2);
    return 0;
}

/* ---- registration ------------------------------------------------------------ */

void mk_register_softmax(void) {
    mk_ops[MK_OP_SOFTMAX] = (mk_opdef){NULL, 1, 1, 0, infer_softmax, {k_softmax}};
    mk_ops[MK_OP_LOG_SOFTMAX] = (mk_opdef){NULL, 1, 1, 0, infer_softmax, {k_log_softmax}};
    mk_ops[MK_OP_SOFTMAX_GRAD] = (mk_opdef){NULL, 2, 1, 0, infer_softmax_grad, {k_softmax_grad}};
    mk_ops[MK_OP_LOG_SOFTMAX_GRAD] = (mk_opdef){NULL, 2, 1, 0, infer_softmax_grad, {k_log_softmax_grad}};
    mk_ops[MK_OP_SOFTMAX_XENT] = (mk_opdef){NULL, 2, 2, 0, infer_xent, {k_xent}};
    mk_ops[MK_OP_SPARSE_SOFTMAX_XENT] = (mk_opdef){NULL, 2, 2, 0, infer_sparse_xent, {k_sparse_xent}};
}
