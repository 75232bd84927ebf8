/* Pool family: 2-D max / average pooling over NHWC tensors and their backward ops
 * (1-D pooling is the 2-D op on [N,1,W,C] from Python).
 *
 * Attributes of every op: i[0] = ksize_h, i[1] = ksize_w, i[2] = stride_h, i[3] = stride_w,
 *   i[4] = padding (0 = VALID, 1 = SAME: TensorFlow's asymmetric SAME, the extra padding
 *   row/column at the bottom/right).
 * max_pool2d(x [N,H,W,C]) -> [N,OH,OW,C]
 * avg_pool2d(x) -> [N,OH,OW,C]: the mean of the window's elements that lie inside the
 *   input (padding is not counted, as TF's AvgPool).
 * max_pool2d_grad(x, dy [N,OH,OW,C]) -> dx [N,H,W,C]: each dy goes to the first maximum of
 *   its window (row-major window order, as TF's CPU MaxPoolGrad); overlapping windows add.
 * max_pool2d_grad_grad(x, g [N,H,W,C]) -> [N,OH,OW,C]: g read at each window's first maximum
 *   (the derivative of max_pool2d_grad with respect to dy).
 * avg_pool2d_grad(dy [N,OH,OW,C]) -> dx [N,H,W,C]; i[5] = H, i[6] = W of the forward input.
 * float32/float64 (float16 through the dispatcher).  Rows of the output (or input, for
 * avg_pool2d_grad) run in parallel with OpenMP. */
#include "../mk.h"
#include <stdlib.h>
#include <math.h>

typedef struct {
    int64_t N, H, W, C, OH, OW, kh, kw, sh, sw, ph, pw;
} pool_geom;

#define T float
#define SUF f32
#include "pool_impl.h"
#undef T
#undef SUF
#define T double
#define SUF f64
#include "pool_impl.h"
#undef T
#undef SUF

/* output size and leading padding of one spatial axis; -1 on a negative output size */
static int pool_dim(int64_t in, int64_t k, int64_t s, int same, int64_t *out, int64_t *pb) {
    if (same) {
        *out = (in + s - 1) / s;
        int64_t pt = (*out - 1) * s + k - in;
        if (pt < 0) pt = 0;
        *pb = *out > 0 ? pt / 2 : 0;
    } else {
        int64_t o = (in - k + s) / s;
        if (in - k + s < 0) return -1;
        *out = o;
        *pb = 0;
    }
    return 0;
}

static int check_attrs(mk_call *c) {
    for (int i = 0; i < 4; i++)
        if (c->a.i[i] < 1)
            return mk_err(c, "ksize and strides must be >= 1, got ksize [%lld,%lld], strides [%lld,%lld]",
                          (long long)c->a.i[0], (long long)c->a.i[1], (long long)c->a.i[2],
                          (long long)c->a.i[3]);
    if (c->a.i[4] != 0 && c->a.i[4] != 1) return mk_err(c, "padding must be 0 (VALID) or 1 (SAME)");
    return 0;
}

static int check_float4(mk_call *c, const mk_tensor *t, const char *what) {
    char s[128];
    mk_shape_str(s, sizeof s, t->ndim, t->shape);
    if (t->dtype != MK_F32 && t->dtype != MK_F64)
        return mk_err(c, "%s must be float16, float32 or float64, got %s", what, mk_dtypes[t->dtype].name);
    if (t->ndim != 4) return mk_err(c, "%s must be 4-dimensional (NHWC), got shape %s", what, s);
    return 0;
}

/* fills g from an NHWC input shape (N,H,W,C) and the attributes */
static int make_geom(mk_call *c, int64_t N, int64_t H, int64_t W, int64_t C, pool_geom *g) {
    if (check_attrs(c) < 0) return -1;
    g->N = N; g->H = H; g->W = W; g->C = C;
    g->kh = c->a.i[0]; g->kw = c->a.i[1]; g->sh = c->a.i[2]; g->sw = c->a.i[3];
    int same = (int)c->a.i[4];
    if (pool_dim(H, g->kh, g->sh, same, &g->OH, &g->ph) < 0 ||
        pool_dim(W, g->kw, g->sw, same, &g->OW, &g->pw) < 0)
        return mk_err(c, "Computed output size would be negative: input [%lld,%lld,%lld,%lld], "
                      "ksize [%lld,%lld], strides [%lld,%lld], padding VALID", (long long)N,
                      (long long)H, (long long)W, (long long)C, (long long)g->kh, (long long)g->kw,
                      (long long)g->sh, (long long)g->sw);
    if ((double)g->kh * W * C >= 2147483647.0)
        return mk_err(c, "window rows too large (ksize_h * width * channels >= 2^31)");
    return 0;
}

static int geom_of_x(mk_call *c, const mk_tensor *X, pool_geom *g) {
    return make_geom(c, X->shape[0], X->shape[1], X->shape[2], X->shape[3], g);
}

static int infer_pool(mk_call *c) {
    mk_tensor *X = c->in[0];
    pool_geom g;
    if (check_float4(c, X, "input") < 0 || geom_of_x(c, X, &g) < 0) return -1;
    int64_t sh[4] = {g.N, g.OH, g.OW, g.C};
    mk_meta_set(&c->meta[0], X->dtype, 4, sh);
    return 0;
}

static int same_as(mk_call *c, const mk_tensor *t, const int64_t *want, const char *what) {
    for (int i = 0; i < 4; i++)
        if (t->shape[i] != want[i]) {
            char s1[128], s2[128];
            mk_shape_str(s1, sizeof s1, t->ndim, t->shape);
            mk_shape_str(s2, sizeof s2, 4, want);
            return mk_err(c, "%s has shape %s but the pooling expects %s", what, s1, s2);
        }
    return 0;
}

/* max_pool2d_grad(x, dy), max_pool2d_grad_grad(x, g) */
static int infer_max_grad(mk_call *c) {
    mk_tensor *X = c->in[0], *D = c->in[1];
    pool_geom g;
    if (mk_same_dtype(c) < 0 || check_float4(c, X, "input") < 0 || check_float4(c, D, "gradient") < 0 ||
        geom_of_x(c, X, &g) < 0)
        return -1;
    int64_t osh[4] = {g.N, g.OH, g.OW, g.C};
    if (c->op_id == MK_OP_MAX_POOL2D_GRAD) {
        if (same_as(c, D, osh, "gradient") < 0) return -1;
        mk_meta_set(&c->meta[0], X->dtype, 4, X->shape);
    } else {
        if (same_as(c, D, X->shape, "gradient") < 0) return -1;
        mk_meta_set(&c->meta[0], X->dtype, 4, osh);
    }
    return 0;
}

static int infer_avg_grad(mk_call *c) {
    mk_tensor *D = c->in[0];
    pool_geom g;
    if (check_float4(c, D, "gradient") < 0) return -1;
    if (c->a.ni < 7 || c->a.i[5] < 0 || c->a.i[6] < 0)
        return mk_err(c, "needs the input height and width (ints 5 and 6)");
    if (make_geom(c, D->shape[0], c->a.i[5], c->a.i[6], D->shape[3], &g) < 0) return -1;
    int64_t osh[4] = {g.N, g.OH, g.OW, g.C};
    if (same_as(c, D, osh, "gradient") < 0) return -1;
    int64_t ish[4] = {g.N, g.H, g.W, g.C};
    mk_meta_set(&c->meta[0], D->dtype, 4, ish);
    return 0;
}

static void geom_x(mk_call *c, const mk_tensor *X, pool_geom *g) {
    make_geom(c, X->shape[0], X->shape[1], X->shape[2], X->shape[3], g);
}

static int k_max_pool(mk_call *c) {
    pool_geom g;
    geom_x(c, c->in[0], &g);
    if (c->in[0]->dtype == MK_F32) max_fwd_f32(&g, mk_data(c->in[0]), mk_data(c->out[0]));
    else max_fwd_f64(&g, mk_data(c->in[0]), mk_data(c->out[0]));
    return 0;
}

static int k_avg_pool(mk_call *c) {
    pool_geom g;
    geom_x(c, c->in[0], &g);
    if (c->in[0]->dtype == MK_F32) avg_fwd_f32(&g, mk_data(c->in[0]), mk_data(c->out[0]));
    else avg_fwd_f64(&g, mk_data(c->in[0]), mk_data(c->out[0]));
    return 0;
}

static int k_max_grad(mk_call *c) {
    pool_geom g;
    geom_x(c, c->in[0], &g);
    int rc = c->in[0]->dtype == MK_F32
        ? max_bwd_f32(&g, mk_data(c->in[0]), mk_data(c->in[1]), mk_data(c->out[0]))
        : max_bwd_f64(&g, mk_data(c->in[0]), mk_data(c->in[1]), mk_data(c->out[0]));
    return rc < 0 ? mk_err(c, "out of memory") : 0;
}

static int k_max_grad_grad(mk_call *c) {
    pool_geom g;
    geom_x(c, c->in[0], &g);
    int rc = c->in[0]->dtype == MK_F32
        ? max_gg_f32(&g, mk_data(c->in[0]), mk_data(c->in[1]), mk_data(c->out[0]))
        : max_gg_f64(&g, mk_data(c->in[0]), mk_data(c->in[1]), mk_data(c->out[0]));
    return rc < 0 ? mk_err(c, "out of memory") : 0;
}

static int k_avg_grad(mk_call *c) {
    mk_tensor *D = c->in[0];
    pool_geom g;
    make_geom(c, D->shape[0], c->a.i[5], c->a.i[6], D->shape[3], &g);
    if (D->dtype == MK_F32) avg_bwd_f32(&g, mk_data(D), mk_data(c->out[0]));
    else avg_bwd_f64(&g, mk_data(D), mk_data(c->out[0]));
    return 0;
}

void mk_register_pool(void) {
    mk_ops[MK_OP_MAX_POOL2D] = (mk_opdef){NULL, 1, 1, MK_OP_CONTIG, infer_pool, {k_max_pool}};
    mk_ops[MK_OP_AVG_POOL2D] = (mk_opdef){NULL, 1, 1, MK_OP_CONTIG, infer_pool, {k_avg_pool}};
    mk_ops[MK_OP_MAX_POOL2D_GRAD] = (mk_opdef){NULL, 2, 1, MK_OP_CONTIG, infer_max_grad, {k_max_grad}};
    mk_ops[MK_OP_MAX_POOL2D_GRAD_GRAD] = (mk_opdef){NULL, 2, 1, MK_OP_CONTIG, infer_max_grad,
                                                    {k_max_grad_grad}};
    mk_ops[MK_OP_AVG_POOL2D_GRAD] = (mk_opdef){NULL, 1, 1, MK_OP_CONTIG, infer_avg_grad, {k_avg_grad}};
}
