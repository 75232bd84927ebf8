/* Norm family: fused batch normalisation over the last axis of x [..., C] (NHWC feature
 * maps; NCHW is transposed in Python).  M = numel(x) / C values per channel.
 *
 * fused_batch_norm(x, scale [C], offset [C]) -> (y, batch_mean, batch_var, saved_mean,
 *   saved_inv_std): training mode.  y = (x - mean) * rsqrt(var + eps) * scale + offset with
 *   the batch mean and the biased batch variance; batch_var is the unbiased variance
 *   var * M / (M - 1) (M > 1; TF's FusedBatchNormV3 returns it for the moving averages);
 *   saved_mean = batch mean, saved_inv_std = rsqrt(biased var + eps) (for the backward op).
 *   f[0] = epsilon.  Mean and variance come from one pass of sums shifted by the first row
 *   (blocks of 64 rows in T, then double).
 * fused_batch_norm_inference(x, scale, offset, mean, variance) -> y; f[0] = epsilon.
 * fused_batch_norm_grad(dy, x, scale, mean, inv_std) -> (dx, dscale, doffset);
 *   i[0] = 1: training mode (mean/inv_std are the saved batch statistics):
 *     dx = scale * inv_std * (dy - mean(dy) - xh * mean(dy * xh)), xh = (x - mean) * inv_std;
 *   i[0] = 0: inference mode (mean/inv_std from the given moving statistics):
 *     dx = dy * scale * inv_std.
 *   Both: dscale = sum(dy * xh), doffset = sum(dy) over every axis but the last.
 * float32/float64 (float16 through the dispatcher); every tensor of one call has one dtype. */
#include "../mk.h"
#include <omp.h>
#include <stdlib.h>
#include <math.h>

#define T float
#define SUF f32
#include "norm_impl.h"
#undef T
#undef SUF
#define T double
#define SUF f64
#include "norm_impl.h"
#undef T
#undef SUF

static int check_x(mk_call *c, const mk_tensor *x, const char *what) {
    if (x->dtype != MK_F32 && x->dtype != MK_F64)
        return mk_err(c, "%s must be float16, float32 or float64, got %s", what, mk_dtypes[x->dtype].name);
    if (x->ndim < 1) return mk_err(c, "%s must have at least one dimension (channels last), got a scalar", what);
    return 0;
}

static int check_vec(mk_call *c, const mk_tensor *v, int64_t C, const char *what) {
    if (v->ndim != 1 || v->shape[0] != C) {
        char s[128];
        mk_shape_str(s, sizeof s, v->ndim, v->shape);
        return mk_err(c, "%s must be a 1-D tensor of the channel count %lld, got shape %s", what,
                      (long long)C, s);
    }
    return 0;
}

static int infer_bn_train(mk_call *c) {
    mk_tensor *x = c->in[0];
    if (mk_same_dtype(c) < 0 || check_x(c, x, "x") < 0) return -1;
    int64_t C = x->shape[x->ndim - 1];
    if (check_vec(c, c->in[1], C, "scale") < 0 || check_vec(c, c->in[2], C, "offset") < 0) return -1;
    if (c->a.nf < 1 || !(c->a.f[0] >= 0)) return mk_err(c, "epsilon (floats[0]) must be >= 0");
    mk_meta_set(&c->meta[0], x->dtype, x->ndim, x->shape);
    for (int k = 1; k < 5; k++) mk_meta_set(&c->meta[k], x->dtype, 1, &C);
    return 0;
}

static int infer_bn_infer(mk_call *c) {
    mk_tensor *x = c->in[0];
    if (mk_same_dtype(c) < 0 || check_x(c, x, "x") < 0) return -1;
    int64_t C = x->shape[x->ndim - 1];
    if (check_vec(c, c->in[1], C, "scale") < 0 || check_vec(c, c->in[2], C, "offset") < 0 ||
        check_vec(c, c->in[3], C, "mean") < 0 || check_vec(c, c->in[4], C, "variance") < 0)
        return -1;
    if (c->a.nf < 1 || !(c->a.f[0] >= 0)) return mk_err(c, "epsilon (floats[0]) must be >= 0");
    mk_meta_set(&c->meta[0], x->dtype, x->ndim, x->shape);
    return 0;
}

static int infer_bn_grad(mk_call *c) {
    mk_tensor *dy = c->in[0], *x = c->in[1];
    if (mk_same_dtype(c) < 0 || check_x(c, x, "x") < 0) return -1;
    int eq = dy->ndim == x->ndim;
    for (int i = 0; eq && i < x->ndim; i++) eq = dy->shape[i] == x->shape[i];
    if (!eq) {
        char s1[128], s2[128];
        mk_shape_str(s1, sizeof s1, dy->ndim, dy->shape);
        mk_shape_str(s2, sizeof s2, x->ndim, x->shape);
        return mk_err(c, "y_backprop and x must have the same shape: %s vs. %s", s1, s2);
    }
    int64_t C = x->shape[x->ndim - 1];
    if (check_vec(c, c->in[2], C, "scale") < 0 || check_vec(c, c->in[3], C, "mean") < 0 ||
        check_vec(c, c->in[4], C, "inv_std") < 0)
        return -1;
    mk_meta_set(&c->meta[0], x->dtype, x->ndim, x->shape);
    mk_meta_set(&c->meta[1], x->dtype, 1, &C);
    mk_meta_set(&c->meta[2], x->dtype, 1, &C);
    return 0;
}

static void rd(const mk_tensor *t, double *out, int64_t C) {
    if (t->dtype == MK_F32) { const float *p = mk_data(t); for (int64_t i = 0; i < C; i++) out[i] = p[i]; }
    else { const double *p = mk_data(t); for (int64_t i = 0; i < C; i++) out[i] = p[i]; }
}
static void wr(mk_tensor *t, const double *v, int64_t C) {
    if (t->dtype == MK_F32) { float *p = mk_data(t); for (int64_t i = 0; i < C; i++) p[i] = (float)v[i]; }
    else { double *p = mk_data(t); for (int64_t i = 0; i < C; i++) p[i] = v[i]; }
}

#define COLSUMS(dt, a, b, sh, s1, s2) \
    ((dt) == MK_F32 ? colsums_f32(a, b, sh, M, C, s1, s2) : colsums_f64(a, b, sh, M, C, s1, s2))
#define AFFINE(dt, x, A, B, y, dy, D) \
    ((dt) == MK_F32 ? affine_f32(x, A, B, y, M, C, dy, D) : affine_f64(x, A, B, y, M, C, dy, D))

static int k_bn_train(mk_call *c) {
    mk_tensor *x = c->in[0];
    int dt = x->dtype;
    int64_t C = x->shape[x->ndim - 1], M = C ? mk_numel(x) / C : 0;
    double eps = c->a.f[0];
    double *w = malloc(8 * (C ? C : 1) * sizeof(double));
    if (!w) return mk_err(c, "out of memory");
    double *mean = w, *s1 = w + C, *s2 = w + 2 * C, *sc = w + 3 * C, *of = w + 4 * C, *A = w + 5 * C,
           *B = w + 6 * C, *tmp = w + 7 * C;
    int rc = 0;
    /* one pass of shifted sums (shift = the first row, so the sums stay small whatever the
     * channel's offset): mean = k + s1 / M, var = (s2 - s1^2 / M) / M */
    for (int64_t i = 0; i < C; i++) tmp[i] = 0;
    if (M > 0) {
        if (dt == MK_F32) { const float *p = mk_data(x); for (int64_t i = 0; i < C; i++) tmp[i] = p[i]; }
        else { const double *p = mk_data(x); for (int64_t i = 0; i < C; i++) tmp[i] = p[i]; }
    }
    if (COLSUMS(dt, mk_data(x), NULL, tmp, s1, s2) < 0) { rc = -1; goto out; }
    for (int64_t i = 0; i < C; i++) mean[i] = M ? tmp[i] + s1[i] / M : NAN;
    rd(c->in[1], sc, C);
    rd(c->in[2], of, C);
    for (int64_t i = 0; i < C; i++) {
        double var = M ? (s2[i] - s1[i] * s1[i] / M) / M : NAN;
        if (var < 0) var = 0;
        double inv = 1.0 / sqrt(var + eps);
        A[i] = sc[i] * inv;
        B[i] = of[i] - mean[i] * A[i];
        s2[i] = var * (M > 1 ? (double)M / (M - 1) : 1.0);  /* unbiased */
        tmp[i] = inv;
    }
    if (AFFINE(dt, mk_data(x), A, B, mk_data(c->out[0]), NULL, NULL) < 0) { rc = -1; goto out; }
    wr(c->out[1], mean, C);
    wr(c->out[2], s2, C);
    wr(c->out[3], mean, C);
    wr(c->out[4], tmp, C);
out:
    free(w);
    return rc < 0 ? mk_err(c, "out of memory") : 0;
}

static int k_bn_infer(mk_call *c) {
    mk_tensor *x = c->in[0];
    int dt = x->dtype;
    int64_t C = x->shape[x->ndim - 1], M = C ? mk_numel(x) / C : 0;
    double eps = c->a.f[0];
    double *w = malloc(6 * (C ? C : 1) * sizeof(double));
    if (!w) return mk_err(c, "out of memory");
    double *sc = w, *of = w + C, *mu = w + 2 * C, *var = w + 3 * C, *A = w + 4 * C, *B = w + 5 * C;
    rd(c->in[1], sc, C); rd(c->in[2], of, C); rd(c->in[3], mu, C); rd(c->in[4], var, C);
    for (int64_t i = 0; i < C; i++) {
        A[i] = sc[i] / sqrt(var[i] + eps);
        B[i] = of[i] - mu[i] * A[i];
    }
    int rc = AFFINE(dt, mk_data(x), A, B, mk_data(c->out[0]), NULL, NULL);
    free(w);
    return rc < 0 ? mk_err(c, "out of memory") : 0;
}

static int k_bn_grad(mk_call *c) {
    mk_tensor *dy = c->in[0], *x = c->in[1];
    int dt = x->dtype, training = c->a.ni > 0 ? (int)c->a.i[0] : 1;
    int64_t C = x->shape[x->ndim - 1], M = C ? mk_numel(x) / C : 0;
    double *w = malloc(8 * (C ? C : 1) * sizeof(double));
    if (!w) return mk_err(c, "out of memory");
    double *sc = w, *mu = w + C, *inv = w + 2 * C, *db = w + 3 * C, *ds = w + 4 * C, *A = w + 5 * C,
           *B = w + 6 * C, *D = w + 7 * C;
    int rc = 0;
    rd(c->in[2], sc, C); rd(c->in[3], mu, C); rd(c->in[4], inv, C);
    if (COLSUMS(dt, mk_data(x), mk_data(dy), mu, db, ds) < 0) { rc = -1; goto out; }
    for (int64_t i = 0; i < C; i++) {
        ds[i] *= inv[i];
        double k = sc[i] * inv[i];
        if (training && M > 0) {
            A[i] = -k * inv[i] * ds[i] / M;     /* coefficient of x */
            B[i] = -k * db[i] / M - mu[i] * A[i];
            D[i] = k;                           /* coefficient of dy */
        } else {
            A[i] = 0; B[i] = 0; D[i] = k;
        }
    }
    if (AFFINE(dt, mk_data(x), A, B, mk_data(c->out[0]), mk_data(dy), D) < 0) { rc = -1; goto out; }
    wr(c->out[1], ds, C);
    wr(c->out[2], db, C);
out:
    free(w);
    return rc < 0 ? mk_err(c, "out of memory") : 0;
}

void mk_register_norm(void) {
    mk_ops[MK_OP_FUSED_BATCH_NORM] = (mk_opdef){NULL, 3, 5, MK_OP_CONTIG, infer_bn_train, {k_bn_train}};
    mk_ops[MK_OP_FUSED_BATCH_NORM_INFERENCE] = (mk_opdef){NULL, 5, 1, MK_OP_CONTIG, infer_bn_infer,
                                                          {k_bn_infer}};
    mk_ops[MK_OP_FUSED_BATCH_NORM_GRAD] = (mk_opdef){NULL, 5, 3, MK_OP_CONTIG, infer_bn_grad, {k_bn_grad}};
}
