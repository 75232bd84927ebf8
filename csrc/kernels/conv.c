/* Conv family: 2-D convolution in NHWC with HWIO filters (TensorFlow's layouts).
 *
 * Every op takes the same first five ints:
 *   i[0] = stride_h, i[1] = stride_w, i[2] = dilation_h, i[3] = dilation_w,
 *   i[4] = padding (0 = VALID, 1 = SAME: TensorFlow's asymmetric SAME, the extra
 *          row/column of padding at the bottom/right).
 *
 * conv2d(x [N,H,W,CI], w [KH,KW,CIg,CO] [, bias [CO]]; i[5] = activation) -> y [N,OH,OW,CO]
 *     optional third input: a bias added to every output pixel; i[5] = 1 applies relu to
 *     the result (fused, while the chunk is in cache; the gradient rule applies relu_grad).
 *     grouped when CIg < CI: groups G = CI / CIg (CO % G == 0), group g reads input
 *     channels [g*CIg, (g+1)*CIg) and writes output channels [g*CO/G, (g+1)*CO/G).
 * conv2d_backprop_input(dy [N,OH,OW,CO], w [KH,KW,CIg,CO]; i[5..7] = H, W, CI) -> dx [N,H,W,CI]
 *     (this is also conv2d_transpose with output shape [N,H,W,CI])
 * conv2d_backprop_filter(x [N,H,W,CI], dy [N,OH,OW,CO]; i[5..7] = KH, KW, CIg) -> dw [KH,KW,CIg,CO]
 * depthwise_conv2d(x [N,H,W,C], w [KH,KW,C,DM] [, bias [C*DM]]; i[5] = activation)
 *     -> y [N,OH,OW,C*DM]   (y[..., c*DM+m]); bias and relu fused as for conv2d
 * depthwise_conv2d_backprop_input(dy, w; i[5..7] = H, W, C) -> dx [N,H,W,C]
 * depthwise_conv2d_backprop_filter(x, dy; i[5..7] = KH, KW, DM) -> dw [KH,KW,C,DM]
 *
 * The regular convolutions are im2col + GEMM (single-threaded BLAS per OpenMP
 * thread): the flattened (image, output row) range is split over threads, each
 * thread im2cols chunks of rows into its own buffer (about CONV_COL_CAP bytes) and
 * runs one GEMM per chunk and group.  1x1 stride-1 convolutions skip im2col (the
 * input itself is the column matrix).  backprop_filter accumulates a filter gradient
 * per thread and sums them at the end; backprop_input GEMMs dy @ w^T into the column
 * buffer and scatters it back (col2im), threads owning whole images.
 * The depthwise ops are direct loops, vectorised over channels. */
#include "../mk.h"
#include "blas.h"
#include <omp.h>
#include <stdlib.h>

#define CONV_COL_CAP (1 << 19)

typedef struct {
    int64_t N, H, W, CI, KH, KW, CIg, CO, OH, OW, sh, sw, dh, dw, ph, pw, G;
} cgeom;

static void conv_geom(int64_t in, int64_t k, int64_t s, int64_t d, int same, int64_t *out, int64_t *pb) {
    int64_t ek = (k - 1) * d + 1;
    if (same) {
        *out = (in + s - 1) / s;
        int64_t pt = (*out - 1) * s + ek - in;
        if (pt < 0) pt = 0;
        *pb = pt / 2;
    } else {
        *out = in >= ek ? (in - ek) / s + 1 : 0;
        *pb = 0;
    }
}

#define SHAPE_STR(buf, t) char buf[128]; mk_shape_str(buf, sizeof buf, (t)->ndim, (t)->shape)

static int check_common(mk_call *c) {
    if (c->nin < 2) return mk_err(c, "takes at least 2 inputs, got %d", c->nin);
    if (mk_same_dtype(c) < 0) return -1;
    int dt = c->in[0]->dtype;
    if (dt != MK_F32 && dt != MK_F64)
        return mk_err(c, "unsupported dtype %s (float32 and float64 only)", mk_dtypes[dt].name);
    for (int i = 0; i < 2; i++)
        if (c->in[i]->ndim != 4) {
            SHAPE_STR(sa, c->in[0]);
            SHAPE_STR(sb, c->in[1]);
            return mk_err(c, "inputs must be 4-D (NHWC, HWIO): got %s and %s", sa, sb);
        }
    for (int i = 0; i < 4; i++)
        if (c->a.i[i] < 1)
            return mk_err(c, "strides and dilations must be >= 1: strides (%lld, %lld), dilations (%lld, %lld)",
                          (long long)c->a.i[0], (long long)c->a.i[1], (long long)c->a.i[2], (long long)c->a.i[3]);
    if (c->a.i[4] != 0 && c->a.i[4] != 1) return mk_err(c, "padding must be 0 (VALID) or 1 (SAME)");
    return 0;
}

static void finish_geom(mk_call *c, cgeom *g) {
    g->sh = c->a.i[0]; g->sw = c->a.i[1]; g->dh = c->a.i[2]; g->dw = c->a.i[3];
    conv_geom(g->H, g->KH, g->sh, g->dh, (int)c->a.i[4], &g->OH, &g->ph);
    conv_geom(g->W, g->KW, g->sw, g->dw, (int)c->a.i[4], &g->OW, &g->pw);
}

/* which: 0 conv2d, 1 backprop_input, 2 backprop_filter; 3..5 the same for depthwise.
 * Fills g from the inputs and attributes, validating everything. */
static int get_geom(mk_call *c, int which, cgeom *g) {
    if (check_common(c) < 0) return -1;
    mk_tensor *A = c->in[0], *B = c->in[1];
    SHAPE_STR(sa, A);
    SHAPE_STR(sb, B);
    int depthwise = which >= 3;
    int kind = which % 3;
    if (kind == 0) {              /* x, w */
        g->N = A->shape[0]; g->H = A->shape[1]; g->W = A->shape[2]; g->CI = A->shape[3];
        g->KH = B->shape[0]; g->KW = B->shape[1]; g->CIg = B->shape[2]; g->CO = B->shape[3];
    } else if (kind == 1) {       /* dy, w; i[5..7] = H, W, CI */
        for (int i = 5; i < 8; i++)
            if (c->a.i[i] < 0) return mk_err(c, "input sizes must be >= 0, got (%lld, %lld, %lld)",
                                             (long long)c->a.i[5], (long long)c->a.i[6], (long long)c->a.i[7]);
        g->N = A->shape[0]; g->H = c->a.i[5]; g->W = c->a.i[6]; g->CI = c->a.i[7];
        g->KH = B->shape[0]; g->KW = B->shape[1]; g->CIg = B->shape[2]; g->CO = B->shape[3];
    } else {                      /* x, dy; i[5..7] = KH, KW, CIg (depthwise: DM) */
        if (c->a.i[5] < 1 || c->a.i[6] < 1 || c->a.i[7] < 0)
            return mk_err(c, "filter sizes must be >= 1, got (%lld, %lld, %lld)",
                          (long long)c->a.i[5], (long long)c->a.i[6], (long long)c->a.i[7]);
        g->N = A->shape[0]; g->H = A->shape[1]; g->W = A->shape[2]; g->CI = A->shape[3];
        g->KH = c->a.i[5]; g->KW = c->a.i[6]; g->CIg = c->a.i[7]; g->CO = B->shape[3];
    }
    if (g->KH < 1 || g->KW < 1) return mk_err(c, "filter spatial sizes must be >= 1: input %s, filter %s", sa, sb);
    if (depthwise) {
        /* CI = C, CIg = DM, CO = C * DM */
        if (kind != 2) { g->CIg = B->shape[3]; g->CO = g->CI * g->CIg; }
        if (kind != 2 && B->shape[2] != g->CI)
            return mk_err(c, "input depth must equal the filter's in_channels: input depth %lld, %s vs. %s",
                          (long long)g->CI, sa, sb);
        if (kind == 1 && A->shape[3] != g->CI * g->CIg)
            return mk_err(c, "out_backprop depth must be in_channels * channel_multiplier = %lld: %s vs. %s",
                          (long long)(g->CI * g->CIg), sa, sb);
        if (kind == 2 && g->CO != g->CI * g->CIg)
            return mk_err(c, "out_backprop depth must be in_channels * channel_multiplier = %lld: %s vs. %s",
                          (long long)(g->CI * g->CIg), sa, sb);
        g->G = g->CI;
    } else {
        if (kind == 1 && A->shape[3] != g->CO)
            return mk_err(c, "out_backprop depth must equal the filter's out_channels: %s vs. %s", sa, sb);
        if (g->CIg == 0) {
            if (g->CI != 0) return mk_err(c, "filter in_channels is 0 but input depth is %lld: %s vs. %s",
                                          (long long)g->CI, sa, sb);
            g->G = 1;
        } else {
            if (g->CI % g->CIg != 0)
                return mk_err(c, "input depth must be evenly divisible by filter depth: %lld vs %lld (%s vs. %s)",
                              (long long)g->CI, (long long)g->CIg, sa, sb);
            g->G = g->CI / g->CIg;
            if (g->G == 0) return mk_err(c, "input depth %lld is smaller than filter depth %lld (%s vs. %s)",
                                         (long long)g->CI, (long long)g->CIg, sa, sb);
            if (g->CO % g->G != 0)
                return mk_err(c, "number of output channels %lld must be divisible by the number of groups %lld (%s vs. %s)",
                              (long long)g->CO, (long long)g->G, sa, sb);
        }
    }
    finish_geom(c, g);
    if (kind != 0) {
        mk_tensor *dy = kind == 1 ? A : B;
        if (kind == 2 && dy->shape[0] != g->N)
            return mk_err(c, "input and out_backprop batch sizes differ: %s vs. %s", sa, sb);
        if (dy->shape[1] != g->OH || dy->shape[2] != g->OW)
            return mk_err(c, "out_backprop spatial size %lldx%lld does not match the convolution's output "
                          "%lldx%lld (input %lldx%lld, filter %lldx%lld, strides %lldx%lld, dilations %lldx%lld, %s): %s vs. %s",
                          (long long)dy->shape[1], (long long)dy->shape[2], (long long)g->OH, (long long)g->OW,
                          (long long)g->H, (long long)g->W, (long long)g->KH, (long long)g->KW,
                          (long long)g->sh, (long long)g->sw, (long long)g->dh, (long long)g->dw,
                          c->a.i[4] ? "SAME" : "VALID", sa, sb);
    }
    return 0;
}

static int infer_for(mk_call *c, int which) {
    cgeom g;
    if (get_geom(c, which, &g) < 0) return -1;
    int dt = c->in[0]->dtype, kind = which % 3;
    if (kind == 0) {
        int64_t sh[4] = {g.N, g.OH, g.OW, g.CO};
        mk_meta_set(&c->meta[0], dt, 4, sh);
    } else if (kind == 1) {
        int64_t sh[4] = {g.N, g.H, g.W, g.CI};
        mk_meta_set(&c->meta[0], dt, 4, sh);
    } else {
        int64_t sh[4] = {g.KH, g.KW, which >= 3 ? g.CI : g.CIg, which >= 3 ? g.CIg : g.CO};
        mk_meta_set(&c->meta[0], dt, 4, sh);
    }
    return 0;
}
/* the optional bias input and fused activation of the forward ops */
static int check_bias_act(mk_call *c) {
    if (c->nin > 3) return mk_err(c, "takes 2 or 3 inputs (input, filter[, bias]), got %d", c->nin);
    if (c->nin == 3) {
        mk_tensor *B = c->in[2];
        int64_t co = c->meta[0].shape[3];
        if (B->ndim != 1 || B->shape[0] != co) {
            SHAPE_STR(sb, B);
            return mk_err(c, "bias must be 1-D with one value per output channel (%lld): got %s",
                          (long long)co, sb);
        }
    }
    if (c->a.i[5] != 0 && c->a.i[5] != 1) return mk_err(c, "activation must be 0 (none) or 1 (relu)");
    return 0;
}
static int infer_conv2d(mk_call *c) { return infer_for(c, 0) < 0 ? -1 : check_bias_act(c); }
static int infer_conv2d_bin(mk_call *c) { return infer_for(c, 1); }
static int infer_conv2d_bfil(mk_call *c) { return infer_for(c, 2); }
static int infer_dw(mk_call *c) { return infer_for(c, 3) < 0 ? -1 : check_bias_act(c); }
static int infer_dw_bin(mk_call *c) { return infer_for(c, 4); }
static int infer_dw_bfil(mk_call *c) { return infer_for(c, 5); }

/* ---- type-generic helpers ---------------------------------------------- */
#define T float
#define F(name) name##_s
#include "conv_impl.h"
#undef T
#undef F
#define T double
#define F(name) name##_d
#include "conv_impl.h"
#undef T
#undef F

static void gemm(int dt, int ta, int tb, int64_t M, int64_t N, int64_t K, const void *A, int64_t lda,
                 const void *B, int64_t ldb, double beta, void *Cm, int64_t ldc) {
    if (M == 0 || N == 0) return;
    if (dt == MK_F32)
        MK_CBLAS(sgemm)(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
                        (blasint)M, (blasint)N, (blasint)K, 1.0f, (const float *)A, (blasint)lda,
                        (const float *)B, (blasint)ldb, (float)beta, (float *)Cm, (blasint)ldc);
    else
        MK_CBLAS(dgemm)(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
                        (blasint)M, (blasint)N, (blasint)K, 1.0, (const double *)A, (blasint)lda,
                        (const double *)B, (blasint)ldb, beta, (double *)Cm, (blasint)ldc);
}

/* ---- small-K float32 GEMMs ----------------------------------------------
 * For K = KH*KW*CIg <= SMALLK (a first layer on 1-channel images: K = 9) BLAS spends
 * its time packing; these register-blocked loops (AVX2 through GCC vector types) are
 * several times faster.  out[p, j] = sum_k A[p, k] W[k, j] and dW[k, j] += sum_p A[p, k] D[p, j]. */
#define SMALLK 12
typedef float v8 __attribute__((vector_size(32)));
typedef float v8u __attribute__((vector_size(32), aligned(4)));
static inline v8 ld8(const float *p) { return *(const v8u *)p; }
static inline void st8(float *p, v8 v) { *(v8u *)p = v; }
static inline v8 bc8(float x) { return (v8){x, x, x, x, x, x, x, x}; }

static inline __attribute__((always_inline)) void
fwd_smallk_k(int K, const float *A, int64_t lda, int64_t P, const float *W, int64_t ldw, int64_t N,
             float *O, int64_t ldo) {
    int64_t j0 = 0;
    for (; j0 + 32 <= N; j0 += 32)
        for (int64_t p = 0; p < P; p++) {
            const float *a = A + p * lda;
            v8 s0 = bc8(0), s1 = s0, s2 = s0, s3 = s0;
            for (int k = 0; k < K; k++) {
                v8 c = bc8(a[k]);
                const float *w = W + k * ldw + j0;
                s0 += c * ld8(w); s1 += c * ld8(w + 8); s2 += c * ld8(w + 16); s3 += c * ld8(w + 24);
            }
            float *o = O + p * ldo + j0;
            st8(o, s0); st8(o + 8, s1); st8(o + 16, s2); st8(o + 24, s3);
        }
    for (; j0 + 8 <= N; j0 += 8)
        for (int64_t p = 0; p < P; p++) {
            const float *a = A + p * lda;
            v8 s0 = bc8(0);
            for (int k = 0; k < K; k++) s0 += bc8(a[k]) * ld8(W + k * ldw + j0);
            st8(O + p * ldo + j0, s0);
        }
    for (; j0 < N; j0++)
        for (int64_t p = 0; p < P; p++) {
            float s = 0;
            for (int k = 0; k < K; k++) s += A[p * lda + k] * W[k * ldw + j0];
            O[p * ldo + j0] = s;
        }
}

static inline __attribute__((always_inline)) void
bfil_smallk_k(int K, const float *A, int64_t lda, int64_t P, const float *D, int64_t ldd, int64_t N,
              float *G, int64_t ldg) {
    int64_t j0 = 0;
    for (; j0 + 8 <= N; j0 += 8) {
        v8 acc[SMALLK];
        for (int k = 0; k < K; k++) acc[k] = bc8(0);
        for (int64_t p = 0; p < P; p++) {
            v8 d = ld8(D + p * ldd + j0);
            const float *a = A + p * lda;
            for (int k = 0; k < K; k++) acc[k] += bc8(a[k]) * d;
        }
        for (int k = 0; k < K; k++) st8(G + k * ldg + j0, ld8(G + k * ldg + j0) + acc[k]);
    }
    for (; j0 < N; j0++)
        for (int k = 0; k < K; k++) {
            float s = 0;
            for (int64_t p = 0; p < P; p++) s += A[p * lda + k] * D[p * ldd + j0];
            G[k * ldg + j0] += s;
        }
}

#define SMALLK_CASES(fn, ...) \
    switch (K) { \
    case 1: fn(1, __VA_ARGS__); break; case 2: fn(2, __VA_ARGS__); break; \
    case 3: fn(3, __VA_ARGS__); break; case 4: fn(4, __VA_ARGS__); break; \
    case 5: fn(5, __VA_ARGS__); break; case 6: fn(6, __VA_ARGS__); break; \
    case 7: fn(7, __VA_ARGS__); break; case 8: fn(8, __VA_ARGS__); break; \
    case 9: fn(9, __VA_ARGS__); break; case 10: fn(10, __VA_ARGS__); break; \
    case 11: fn(11, __VA_ARGS__); break; default: fn(12, __VA_ARGS__); break; }

static void fwd_smallk(int K, const float *A, int64_t lda, int64_t P, const float *W, int64_t ldw,
                       int64_t N, float *O, int64_t ldo) {
    SMALLK_CASES(fwd_smallk_k, A, lda, P, W, ldw, N, O, ldo)
}
static void bfil_smallk(int K, const float *A, int64_t lda, int64_t P, const float *D, int64_t ldd,
                        int64_t N, float *G, int64_t ldg) {
    SMALLK_CASES(bfil_smallk_k, A, lda, P, D, ldd, N, G, ldg)
}

static void im2col(int dt, const cgeom *g, const void *x, int64_t r0, int64_t r1, int64_t c0, void *col) {
    if (dt == MK_F32) im2col_s(g, (const float *)x, r0, r1, c0, (float *)col);
    else im2col_d(g, (const double *)x, r0, r1, c0, (double *)col);
}
static void col2im(int dt, const cgeom *g, const void *col, int64_t r0, int64_t r1, int64_t c0, void *dx) {
    if (dt == MK_F32) col2im_s(g, (const float *)col, r0, r1, c0, (float *)dx);
    else col2im_d(g, (const double *)col, r0, r1, c0, (double *)dx);
}

static int pick_threads(double flops, int64_t units) {
    int nt = omp_get_max_threads();
    if (nt > units) nt = (int)units;
    if (flops < 2e6) nt = 1;
    return nt < 1 ? 1 : nt;
}

static int is_1x1(const cgeom *g) {
    return g->KH == 1 && g->KW == 1 && g->sh == 1 && g->sw == 1 && g->ph == 0 && g->pw == 0;
}

/* rows of output per im2col chunk */
static int64_t chunk_rows(const cgeom *g, int isz) {
    int64_t per = g->OW * g->KH * g->KW * (g->CIg ? g->CIg : 1) * isz;
    int64_t rc = per > 0 ? CONV_COL_CAP / per : 1;
    return rc < 1 ? 1 : rc;
}

/* rows per scheduling block: at most the buffer's rc, and small enough that every thread
 * gets about 4 blocks, so that a thread slowed down (a busy core) does not hold up the rest */
static int64_t block_rows(int64_t R, int64_t rc, int nt) {
    int64_t bs = nt > 1 ? (R + 4 * nt - 1) / (4 * nt) : R;
    if (bs > rc) bs = rc;
    return bs < 1 ? 1 : bs;
}

#define OOM_CHECK(c, fail, what) \
    if (fail) return mk_err(c, "out of memory for the %s buffers", what)

/* y[r, :] = act(y[r, :] + bias) for `rows` rows of width CO */
static void bias_act(int dt, void *y, int64_t rows, int64_t CO, const void *bias, int relu) {
    if (!bias && !relu) return;
    if (dt == MK_F32) {
        float *o = (float *)y;
        const float *b = (const float *)bias;
        for (int64_t r = 0; r < rows; r++, o += CO) {
            if (b) for (int64_t j = 0; j < CO; j++) o[j] += b[j];
            if (relu) for (int64_t j = 0; j < CO; j++) o[j] = o[j] > 0 ? o[j] : 0;
        }
    } else {
        double *o = (double *)y;
        const double *b = (const double *)bias;
        for (int64_t r = 0; r < rows; r++, o += CO) {
            if (b) for (int64_t j = 0; j < CO; j++) o[j] += b[j];
            if (relu) for (int64_t j = 0; j < CO; j++) o[j] = o[j] > 0 ? o[j] : 0;
        }
    }
}

/* ---- conv2d ------------------------------------------------------------ */
static int k_conv2d(mk_call *c) {
    cgeom g;
    if (get_geom(c, 0, &g) < 0) return -1;
    mk_tensor *O = c->out[0];
    int dt = O->dtype, isz = mk_dtypes[dt].itemsize;
    int64_t R = g.N * g.OH, Kg = g.KH * g.KW * g.CIg, COg = g.CO / (g.G ? g.G : 1);
    if (R == 0 || g.OW == 0 || g.CO == 0) return 0;
    const void *bias = c->nin == 3 ? mk_data(c->in[2]) : NULL;
    int relu = c->a.i[5] == 1;
    if (Kg == 0) {
        memset(mk_data(O), 0, (size_t)mk_numel(O) * isz);
        bias_act(dt, mk_data(O), R * g.OW, g.CO, bias, relu);
        return 0;
    }
    const char *xb = mk_data(c->in[0]), *wb = mk_data(c->in[1]);
    char *ob = mk_data(O);
    int one = is_1x1(&g);
    int64_t rc = chunk_rows(&g, isz);
    int nt = pick_threads(2.0 * R * g.OW * Kg * g.CO, R);
    int fail = 0;
    int64_t bs = block_rows(R, rc, nt), nb = (R + bs - 1) / bs;
    #pragma omp parallel num_threads(nt) if (nt > 1)
    {
        void *col = one ? NULL : malloc((size_t)(bs * g.OW * Kg * isz));
        if (!one && !col) {
            #pragma omp atomic write
            fail = 1;
        }
        #pragma omp for schedule(dynamic, 1)
        for (int64_t b = 0; b < nb; b++) {
            if (!one && !col) continue;
            int64_t rs = b * bs, re = rs + bs < R ? rs + bs : R, rows = (re - rs) * g.OW;
            {
                for (int64_t gi = 0; gi < g.G; gi++) {
                    const void *A;
                    int64_t lda;
                    if (one) { A = xb + (rs * g.OW * g.CI + gi * g.CIg) * isz; lda = g.CI; }
                    else { im2col(dt, &g, xb, rs, re, gi * g.CIg, col); A = col; lda = Kg; }
                    if (dt == MK_F32 && Kg <= SMALLK)
                        fwd_smallk((int)Kg, A, lda, rows, (const float *)wb + gi * COg, g.CO, COg,
                                   (float *)ob + rs * g.OW * g.CO + gi * COg, g.CO);
                    else
                        gemm(dt, 0, 0, rows, COg, Kg, A, lda, wb + gi * COg * isz, g.CO, 0.0,
                             ob + (rs * g.OW * g.CO + gi * COg) * isz, g.CO);
                }
                bias_act(dt, ob + rs * g.OW * g.CO * isz, rows, g.CO, bias, relu);
            }
        }
        free(col);
    }
    OOM_CHECK(c, fail, "im2col");
    return 0;
}

/* ob[e0:e1] += each of the n per-thread partial filter gradients in accs (fsize elements
 * each): called by every thread of a team on its own slice, after a barrier. */
static void sum_partials(int dt, char *ob, const char *accs, int n, int64_t fsize,
                         int64_t e0, int64_t e1) {
    for (int k = 0; k < n; k++) {
        if (dt == MK_F32) {
            float *o = (float *)ob;
            const float *a = (const float *)accs + k * fsize;
            for (int64_t e = e0; e < e1; e++) o[e] += a[e];
        } else {
            double *o = (double *)ob;
            const double *a = (const double *)accs + k * fsize;
            for (int64_t e = e0; e < e1; e++) o[e] += a[e];
        }
    }
}

/* ---- conv2d_backprop_filter -------------------------------------------- */
static int k_conv2d_bfil(mk_call *c) {
    cgeom g;
    if (get_geom(c, 2, &g) < 0) return -1;
    mk_tensor *O = c->out[0];
    int dt = O->dtype, isz = mk_dtypes[dt].itemsize;
    int64_t R = g.N * g.OH, Kg = g.KH * g.KW * g.CIg, COg = g.CO / (g.G ? g.G : 1);
    int64_t fsize = mk_numel(O);
    char *ob = mk_data(O);
    if (fsize == 0) return 0;
    memset(ob, 0, (size_t)fsize * isz);
    if (R == 0 || g.OW == 0) return 0;
    const char *xb = mk_data(c->in[0]), *db = mk_data(c->in[1]);
    int one = is_1x1(&g);
    int64_t rc = chunk_rows(&g, isz);
    int nt = pick_threads(2.0 * R * g.OW * Kg * g.CO, R);
    char *accs = nt > 1 ? malloc((size_t)(nt - 1) * fsize * isz) : NULL;
    if (nt > 1 && !accs) return mk_err(c, "out of memory for per-thread filter gradients");
    int fail = 0;
    int64_t bs = block_rows(R, rc, nt), nb = (R + bs - 1) / bs;
    #pragma omp parallel num_threads(nt) if (nt > 1)
    {
        int t = omp_get_thread_num();
        char *acc = t == 0 ? ob : accs + (t - 1) * fsize * isz;
        if (t) memset(acc, 0, (size_t)fsize * isz);
        void *col = one ? NULL : malloc((size_t)(bs * g.OW * Kg * isz));
        if (!one && !col) {
            #pragma omp atomic write
            fail = 1;
        }
        #pragma omp for schedule(dynamic, 1)
        for (int64_t b = 0; b < nb; b++) {
            if (!one && !col) continue;
            int64_t rs = b * bs, re = rs + bs < R ? rs + bs : R, rows = (re - rs) * g.OW;
            {
                for (int64_t gi = 0; gi < g.G; gi++) {
                    const void *A;
                    int64_t lda;
                    if (one) { A = xb + (rs * g.OW * g.CI + gi * g.CIg) * isz; lda = g.CI; }
                    else { im2col(dt, &g, xb, rs, re, gi * g.CIg, col); A = col; lda = Kg; }
                    if (dt == MK_F32 && Kg <= SMALLK)
                        bfil_smallk((int)Kg, A, lda, rows, (const float *)db + rs * g.OW * g.CO + gi * COg,
                                    g.CO, COg, (float *)acc + gi * COg, g.CO);
                    else
                        gemm(dt, 1, 0, Kg, COg, rows, A, lda, db + (rs * g.OW * g.CO + gi * COg) * isz, g.CO,
                             1.0, acc + gi * COg * isz, g.CO);
                }
            }
        }
        free(col);
        #pragma omp barrier
        if (nt > 1) {
            /* sum the per-thread gradients into the output, split by element */
            int64_t e0 = fsize * t / nt, e1 = fsize * (t + 1) / nt;
            sum_partials(dt, ob, accs, nt - 1, fsize, e0, e1);
        }
    }
    free(accs);
    OOM_CHECK(c, fail, "im2col");
    return 0;
}

/* ---- conv2d_backprop_input (= conv2d_transpose) --------------------------- */
static int k_conv2d_bin(mk_call *c) {
    cgeom g;
    if (get_geom(c, 1, &g) < 0) return -1;
    mk_tensor *O = c->out[0];
    int dt = O->dtype, isz = mk_dtypes[dt].itemsize;
    int64_t Kg = g.KH * g.KW * g.CIg, COg = g.CO / (g.G ? g.G : 1);
    char *ob = mk_data(O);
    int64_t osize = mk_numel(O);
    if (osize == 0) return 0;
    if (g.OH == 0 || g.OW == 0 || g.CO == 0 || Kg == 0) { memset(ob, 0, (size_t)osize * isz); return 0; }
    const char *db = mk_data(c->in[0]), *wb = mk_data(c->in[1]);
    int one = is_1x1(&g);
    int64_t rc = chunk_rows(&g, isz);
    int64_t img = g.H * g.W * g.CI;
    int nt = pick_threads(2.0 * g.N * g.OH * g.OW * Kg * g.CO, g.N);
    int fail = 0;
    /* blocks of whole images (col2im of one image's rows may overlap) */
    int64_t ib = block_rows(g.N, rc / g.OH > 0 ? rc / g.OH : 1, nt), nb = (g.N + ib - 1) / ib;
    #pragma omp parallel num_threads(nt) if (nt > 1)
    {
        void *col = one ? NULL : malloc((size_t)(rc * g.OW * Kg * isz));
        if (!one && !col) {
            #pragma omp atomic write
            fail = 1;
        }
        #pragma omp for schedule(dynamic, 1)
        for (int64_t b = 0; b < nb; b++) {
            if (!one && !col) continue;
            int64_t n0 = b * ib, n1 = n0 + ib < g.N ? n0 + ib : g.N;
            int64_t r0 = n0 * g.OH, r1 = n1 * g.OH;
            if (!one) memset(ob + n0 * img * isz, 0, (size_t)((n1 - n0) * img * isz));
            for (int64_t rs = r0; rs < r1; rs += rc) {
                int64_t re = rs + rc < r1 ? rs + rc : r1, rows = (re - rs) * g.OW;
                for (int64_t gi = 0; gi < g.G; gi++) {
                    const void *A = db + (rs * g.OW * g.CO + gi * COg) * isz;
                    if (one) {
                        gemm(dt, 0, 1, rows, Kg, COg, A, g.CO, wb + gi * COg * isz, g.CO, 0.0,
                             ob + (rs * g.OW * g.CI + gi * g.CIg) * isz, g.CI);
                    } else {
                        gemm(dt, 0, 1, rows, Kg, COg, A, g.CO, wb + gi * COg * isz, g.CO, 0.0, col, Kg);
                        col2im(dt, &g, col, rs, re, gi * g.CIg, ob);
                    }
                }
            }
        }
        free(col);
    }
    OOM_CHECK(c, fail, "col2im");
    return 0;
}

/* ---- depthwise ------------------------------------------------------------ */
static int k_dw(mk_call *c) {
    cgeom g;
    if (get_geom(c, 3, &g) < 0) return -1;
    mk_tensor *O = c->out[0];
    int dt = O->dtype;
    int64_t R = g.N * g.OH;
    if (R == 0 || g.OW == 0 || g.CO == 0) return 0;
    const void *x = mk_data(c->in[0]), *w = mk_data(c->in[1]);
    const void *bias = c->nin == 3 ? mk_data(c->in[2]) : NULL;
    int relu = c->a.i[5] == 1;
    int isz = mk_dtypes[dt].itemsize;
    void *y = mk_data(O);
    int nt = pick_threads(2.0 * R * g.OW * g.CO * g.KH * g.KW, R);
    #pragma omp parallel num_threads(nt) if (nt > 1)
    {
        int t = omp_get_thread_num();
        int64_t r0 = R * t / nt, r1 = R * (t + 1) / nt;
        if (dt == MK_F32) dw_fwd_s(&g, x, w, y, r0, r1);
        else dw_fwd_d(&g, x, w, y, r0, r1);
        bias_act(dt, (char *)y + r0 * g.OW * g.CO * isz, (r1 - r0) * g.OW, g.CO, bias, relu);
    }
    return 0;
}

static int k_dw_bin(mk_call *c) {
    cgeom g;
    if (get_geom(c, 4, &g) < 0) return -1;
    mk_tensor *O = c->out[0];
    int dt = O->dtype;
    int64_t R = g.N * g.H;
    if (R == 0 || g.W == 0 || g.CI == 0) return 0;
    const void *dy = mk_data(c->in[0]), *w = mk_data(c->in[1]);
    void *dx = mk_data(O);
    int nt = pick_threads(2.0 * g.N * g.OH * g.OW * g.CO * g.KH * g.KW, R);
    #pragma omp parallel num_threads(nt) if (nt > 1)
    {
        int t = omp_get_thread_num();
        int64_t r0 = R * t / nt, r1 = R * (t + 1) / nt;
        if (dt == MK_F32) dw_bin_s(&g, dy, w, dx, r0, r1);
        else dw_bin_d(&g, dy, w, dx, r0, r1);
    }
    return 0;
}

static int k_dw_bfil(mk_call *c) {
    cgeom g;
    if (get_geom(c, 5, &g) < 0) return -1;
    mk_tensor *O = c->out[0];
    int dt = O->dtype, isz = mk_dtypes[dt].itemsize;
    int64_t fsize = mk_numel(O), R = g.N * g.OH;
    char *ob = mk_data(O);
    if (fsize == 0) return 0;
    memset(ob, 0, (size_t)fsize * isz);
    if (R == 0 || g.OW == 0) return 0;
    const void *x = mk_data(c->in[0]), *dy = mk_data(c->in[1]);
    int nt = pick_threads(2.0 * R * g.OW * g.CO * g.KH * g.KW, R);
    char *accs = nt > 1 ? calloc((size_t)(nt - 1) * fsize, isz) : NULL;
    if (nt > 1 && !accs) return mk_err(c, "out of memory for per-thread filter gradients");
    #pragma omp parallel num_threads(nt) if (nt > 1)
    {
        int t = omp_get_thread_num();
        int64_t r0 = R * t / nt, r1 = R * (t + 1) / nt;
        char *acc = t == 0 ? ob : accs + (t - 1) * fsize * isz;
        if (dt == MK_F32) dw_bfil_s(&g, x, dy, (float *)acc, r0, r1);
        else dw_bfil_d(&g, x, dy, (double *)acc, r0, r1);
        #pragma omp barrier
        if (nt > 1) {
            int64_t e0 = fsize * t / nt, e1 = fsize * (t + 1) / nt;
            sum_partials(dt, ob, accs, nt - 1, fsize, e0, e1);
        }
    }
    free(accs);
    return 0;
}

void mk_register_conv(void) {
    mk_ops[MK_OP_CONV2D] = (mk_opdef){NULL, 2, 1, MK_OP_CONTIG | MK_OP_VARIADIC, infer_conv2d, {k_conv2d}};
    mk_ops[MK_OP_CONV2D_BACKPROP_INPUT] = (mk_opdef){NULL, 2, 1, MK_OP_CONTIG, infer_conv2d_bin, {k_conv2d_bin}};
    mk_ops[MK_OP_CONV2D_BACKPROP_FILTER] = (mk_opdef){NULL, 2, 1, MK_OP_CONTIG, infer_conv2d_bfil, {k_conv2d_bfil}};
    mk_ops[MK_OP_DEPTHWISE_CONV2D] = (mk_opdef){NULL, 2, 1, MK_OP_CONTIG | MK_OP_VARIADIC, infer_dw, {k_dw}};
    mk_ops[MK_OP_DEPTHWISE_CONV2D_BACKPROP_INPUT] = (mk_opdef){NULL, 2, 1, MK_OP_CONTIG, infer_dw_bin, {k_dw_bin}};
    mk_ops[MK_OP_DEPTHWISE_CONV2D_BACKPROP_FILTER] = (mk_opdef){NULL, 2, 1, MK_OP_CONTIG, infer_dw_bfil, {k_dw_bfil}};
}
