/* Conv family: 2-D convolution, NHWC input, HWIO filter, via im2col + BLAS gemm.
 * conv2d attrs: i[0] = stride_h, i[1] = stride_w, i[2] = dilation_h, i[3] = dilation_w,
 *               i[4] = padding (0 = VALID, 1 = SAME, TensorFlow's asymmetric SAME).
 * The batch is split over OpenMP threads; each thread has its own im2col buffer
 * and calls single-threaded BLAS. */
#include "../mk.h"
#include "blas.h"
#include <omp.h>
#include <stdlib.h>

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

static int infer_conv2d(mk_call *c) {
    if (mk_same_dtype(c) < 0) return -1;
    mk_tensor *X = c->in[0], *W = c->in[1];
    int dt = X->dtype;
    if (dt != MK_F32 && dt != MK_F64)
        return mk_err(c, "unsupported dtype %s", mk_dtypes[dt].name);
    char sa[128], sb[128];
    mk_shape_str(sa, sizeof sa, X->ndim, X->shape);
    mk_shape_str(sb, sizeof sb, W->ndim, W->shape);
    if (X->ndim != 4 || W->ndim != 4)
        return mk_err(c, "input must be 4-D NHWC and filter 4-D HWIO: %s vs. %s", sa, sb);
    if (X->shape[3] != W->shape[2])
        return mk_err(c, "input depth must equal filter in_channels: %s vs. %s", sa, sb);
    for (int i = 0; i < 4; i++)
        if (c->a.i[i] < 1) return mk_err(c, "strides and dilations must be >= 1");
    if (c->a.i[4] != 0 && c->a.i[4] != 1) return mk_err(c, "padding must be 0 (VALID) or 1 (SAME)");
    int64_t oh, ow, pb;
    conv_geom(X->shape[1], W->shape[0], c->a.i[0], c->a.i[2], (int)c->a.i[4], &oh, &pb);
    conv_geom(X->shape[2], W->shape[1], c->a.i[1], c->a.i[3], (int)c->a.i[4], &ow, &pb);
    int64_t sh[4] = {X->shape[0], oh, ow, W->shape[3]};
    mk_meta_set(&c->meta[0], dt, 4, sh);
    return 0;
}

#define IM2COL(T)                                                                          \
    {                                                                                      \
        const T *x = (const T *)xi;                                                        \
        T *col = (T *)colv;                                                                \
        for (int64_t oy = 0; oy < OH; oy++)                                                \
            for (int64_t ox = 0; ox < OW; ox++) {                                          \
                T *row = col + (oy * OW + ox) * K;                                         \
                for (int64_t ky = 0; ky < KH; ky++) {                                      \
                    int64_t iy = oy * sh - ph + ky * dh;                                   \
                    for (int64_t kx = 0; kx < KW; kx++) {                                  \
                        int64_t ix = ox * sw - pw + kx * dw;                               \
                        T *dst = row + (ky * KW + kx) * CI;                                \
                        if (iy < 0 || iy >= H || ix < 0 || ix >= Wd)                       \
                            memset(dst, 0, CI * sizeof(T));                                \
                        else                                                               \
                            memcpy(dst, x + (iy * Wd + ix) * CI, CI * sizeof(T));          \
                    }                                                                      \
                }                                                                          \
            }                                                                              \
    }

static int k_conv2d(mk_call *c) {
    mk_tensor *X = c->in[0], *Wt = c->in[1], *O = c->out[0];
    int dt = O->dtype, isz = mk_dtypes[dt].itemsize;
    int64_t N = X->shape[0], H = X->shape[1], Wd = X->shape[2], CI = X->shape[3];
    int64_t KH = Wt->shape[0], KW = Wt->shape[1], CO = Wt->shape[3];
    int64_t OH = O->shape[1], OW = O->shape[2];
    int64_t sh = c->a.i[0], sw = c->a.i[1], dh = c->a.i[2], dw = c->a.i[3];
    int64_t ph, pw, t1;
    conv_geom(H, KH, sh, dh, (int)c->a.i[4], &t1, &ph);
    conv_geom(Wd, KW, sw, dw, (int)c->a.i[4], &t1, &pw);
    int64_t M = OH * OW, K = KH * KW * CI;
    if (N == 0 || M == 0 || CO == 0) return 0;
    if (K == 0) { memset(mk_data(O), 0, mk_numel(O) * isz); return 0; }
    const char *xb = mk_data(X), *wb = mk_data(Wt);
    char *ob = mk_data(O);
    int nt = omp_get_max_threads();
    if (nt > N) nt = (int)N;
    if (2.0 * N * M * K * CO < 2e6) nt = 1;
    int fail = 0;
    #pragma omp parallel num_threads(nt) if (nt > 1)
    {
        void *colv = malloc((size_t)(M * K * isz));
        if (!colv) {
            #pragma omp atomic write
            fail = 1;
        } else {
            #pragma omp for schedule(static)
            for (int64_t n = 0; n < N; n++) {
                const char *xi = xb + n * H * Wd * CI * isz;
                char *oi = ob + n * M * CO * isz;
                if (dt == MK_F32) {
                    IM2COL(float)
                    MK_CBLAS(sgemm)(CblasRowMajor, CblasNoTrans, CblasNoTrans, (blasint)M, (blasint)CO,
                                    (blasint)K, 1.0f, colv, (blasint)K, (const float *)wb, (blasint)CO,
                                    0.0f, (float *)oi, (blasint)CO);
                } else {
                    IM2COL(double)
                    MK_CBLAS(dgemm)(CblasRowMajor, CblasNoTrans, CblasNoTrans, (blasint)M, (blasint)CO,
                                    (blasint)K, 1.0, colv, (blasint)K, (const double *)wb, (blasint)CO,
                                    0.0, (double *)oi, (blasint)CO);
                }
            }
            free(colv);
        }
    }
    if (fail) return mk_err(c, "out of memory for im2col buffer (%lld x %lld)", (long long)M, (long long)K);
    return 0;
}

void mk_register_conv(void) {
    mk_ops[MK_OP_CONV2D] = (mk_opdef){NULL, 2, 1, MK_OP_CONTIG, infer_conv2d, {k_conv2d}};
}
