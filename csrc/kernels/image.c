/* Image family: resizing (TensorFlow 2's tf.image.resize kernels), projective
 * transforms (ImageProjectiveTransformV3) and colour-space conversions.
 *
 * Resizing is a separable resampler: for each axis a weight table lists, for each
 * output index, the input indices and weights that make it (CSR form).  The tables
 * follow TF's kernels exactly (float arithmetic, same rounding):
 *   BILINEAR  resize_bilinear, half_pixel_centers: in = (o+0.5)*s-0.5, taps floor/ceil
 *             clamped, lerp = in - floor(in)
 *   BICUBIC   resize_bicubic, half_pixel_centers, Keys a=-0.5, 1024-entry quantised
 *             coefficient table, out-of-image taps zeroed and the rest renormalised
 *   AREA      resize_area (box average over the covered input cells)
 *   scale_and_translate kernels (lanczos1/3/5, gaussian, box, triangle, keyscubic,
 *             mitchellcubic) with antialias (kernel widened when downsampling)
 *   NEAREST   resize_nearest_neighbor, half_pixel_centers: floor((o+0.5)*s), clamped;
 *             a gather that keeps the dtype.
 * The backward pass is the same resampler run with the transposed tables (for each
 * input index: the output indices it feeds and their weights), as TF's
 * ScaleAndTranslateGrad does, so resize_grad is itself linear and differentiable.
 *
 * resize attrs:       i[0] = out_h, i[1] = out_w, i[2] = method (RS_* in image_math.h),
 *                     i[3] = antialias (scale_and_translate kernels only)
 *   input [N,H,W,C] (any numeric dtype); output float32 (float64 for float64 input),
 *   except NEAREST which keeps the input dtype.
 * resize_grad attrs:  i[0] = H, i[1] = W (the forward input's size), i[2] = method,
 *                     i[3] = antialias; input dy [N,out_h,out_w,C] float -> [N,H,W,C].
 * image_projective_transform attrs: i[0] = out_h, i[1] = out_w, i[2] = interpolation
 *   (0 nearest, 1 bilinear), i[3] = fill mode (0 reflect, 1 wrap, 2 constant,
 *   3 nearest), f[0] = fill_value.  Inputs images [N,H,W,C] (any dtype), transforms
 *   float32 [N,8] or [1,8] mapping output (x,y) to input coordinates.
 * rgb_to_hsv / hsv_to_rgb: float [...,3] -> same (TF's colorspace_op formulas).
 * hsv_grad attrs: i[0] = 0 (gradient of rgb_to_hsv) or 1 (of hsv_to_rgb); inputs the
 *   forward input x and dy [...,3] -> dx (the chain rule, pixel by pixel).
 * adjust_hsv: inputs images float [...,3] RGB, hue delta and saturation factor (scalar
 *   tensors of the images' dtype, so that random values can be traced) -> RGB
 *   (TF's adjust_hue / adjust_saturation). */
#include "loops.h"
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include "image_math.h"

/* work (multiply-adds) above which the resampler uses OpenMP threads */
#define RS_PAR_WORK (1 << 20)

/* ---- weight tables ---------------------------------------------------------- */
typedef struct {
    int64_t n;        /* output size */
    int32_t *ptr;     /* n + 1 */
    int32_t *idx;     /* ptr[n] input indices */
    float *w;         /* ptr[n] weights */
} wtab;

static void wtab_free(wtab *t) {
    free(t->ptr); free(t->idx); free(t->w);
    t->ptr = NULL; t->idx = NULL; t->w = NULL;
}

static int wtab_alloc(wtab *t, int64_t n, int64_t cap) {
    t->n = n;
    t->ptr = malloc(sizeof(int32_t) * (n + 1));
    t->idx = malloc(sizeof(int32_t) * (cap > 0 ? cap : 1));
    t->w = malloc(sizeof(float) * (cap > 0 ? cap : 1));
    if (!t->ptr || !t->idx || !t->w) { wtab_free(t); return -1; }
    t->ptr[0] = 0;
    return 0;
}

/* forward table for one axis: in -> out with method m */
static int build_table(wtab *t, int m, int64_t in, int64_t out, int antialias) {
    if (m == RS_NEAREST || m == RS_BILINEAR || m == RS_BICUBIC) {
        int taps = m == RS_NEAREST ? 1 : m == RS_BILINEAR ? 2 : 4;
        if (wtab_alloc(t, out, out * taps) < 0) return -1;
        float scale = (float)in / (float)out;
        int64_t k = 0;
        for (int64_t o = 0; o < out; o++) {
            if (m == RS_NEAREST) {
                int64_t i = (int64_t)floorf(((float)o + 0.5f) * scale);
                t->idx[k] = (int32_t)clampi(i, 0, in - 1);
                t->w[k++] = 1.f;
            } else if (m == RS_BILINEAR) {
                float f = ((float)o + 0.5f) * scale - 0.5f;
                float fl = floorf(f);
                int64_t lo = (int64_t)fl < 0 ? 0 : (int64_t)fl;
                int64_t hi = (int64_t)ceilf(f);
                if (hi > in - 1) hi = in - 1;
                float lerp = f - fl;
                t->idx[k] = (int32_t)lo; t->w[k++] = 1.f - lerp;
                t->idx[k] = (int32_t)hi; t->w[k++] = lerp;
            } else {
                float f = ((float)o + 0.5f) * scale - 0.5f;
                int64_t loc = (int64_t)floorf(f);
                float delta = f - (float)loc;
                int64_t off = lrintf(delta * 1024);
                float w4[4] = {cubic_tab(off, 1), cubic_tab(off, 0), cubic_tab(1024 - off, 0),
                               cubic_tab(1024 - off, 1)};
                float sum = 0.f;
                for (int j = 0; j < 4; j++) {
                    int64_t i = loc - 1 + j;
                    if (i < 0 || i >= in) w4[j] = 0.f;
                    sum += w4[j];
                }
                float inv = fabsf(sum) >= 1000.0f * 1.17549435e-38f ? 1.0f / sum : 1.0f;
                for (int j = 0; j < 4; j++) {
                    t->idx[k] = (int32_t)clampi(loc - 1 + j, 0, in - 1);
                    t->w[k++] = w4[j] * inv;
                }
            }
            t->ptr[o + 1] = (int32_t)k;
        }
        return 0;
    }
    if (m == RS_AREA) {
        float scale = (float)in / (float)out;
        int64_t cap = 0;
        for (int64_t o = 0; o < out; o++) {
            float a = (float)o * scale, b = (float)(o + 1) * scale;
            cap += (int64_t)ceilf(b) - (int64_t)floorf(a);
        }
        if (wtab_alloc(t, out, cap) < 0) return -1;
        float inv = 1.0f / scale;
        int64_t k = 0;
        for (int64_t o = 0; o < out; o++) {
            float a = (float)o * scale, b = (float)(o + 1) * scale;
            int64_t s = (int64_t)floorf(a), e = (int64_t)ceilf(b);
            for (int64_t i = s; i < e; i++) {
                float sc;
                if ((float)i < a) sc = ((float)(i + 1) > b) ? scale : (float)(i + 1) - a;
                else sc = ((float)(i + 1) > b) ? b - (float)i : 1.0f;
                t->idx[k] = (int32_t)clampi(i, 0, in - 1);
                t->w[k++] = sc * inv;
            }
            t->ptr[o + 1] = (int32_t)k;
        }
        return 0;
    }
    /* scale_and_translate (TF's ComputeSpansCore), translation 0 */
    float scale = (float)out / (float)in;
    float inv_scale = (float)(1.0 / scale);
    float inv_translate = -inv_scale * 0.0f;
    float ks = antialias ? (inv_scale > 1.0f ? inv_scale : 1.0f) : 1.0f;
    float radius = k_radius(m);
    int64_t span = 2 * (int64_t)ceilf(radius * ks) + 1;
    if (span > in) span = in;
    if (wtab_alloc(t, out, out * span) < 0) return -1;
    float one_over_ks = 1.0f / ks;
    int64_t k = 0;
    float *tmp = malloc(sizeof(float) * (span + 2));
    if (!tmp) { wtab_free(t); return -1; }
    for (int64_t o = 0; o < out; o++) {
        float sample = ((float)o + 0.5f) * inv_scale + inv_translate;
        if (sample < 0 || sample > (float)in) { t->ptr[o + 1] = (int32_t)k; continue; }
        int64_t s = (int64_t)ceilf(sample - radius * ks - 0.5f);
        int64_t e = (int64_t)floorf(sample + radius * ks - 0.5f);
        s = clampi(s, 0, in - 1);
        e = clampi(e, 0, in - 1) + 1;
        if (e - s > span) e = s + span;
        float tot = 0.f;
        for (int64_t i = s; i < e; i++) {
            float pos = (float)i + 0.5f - sample;
            float w = k_eval(m, fabsf(pos * one_over_ks));
            tmp[i - s] = w;
            tot += w;
        }
        if (fabsf(tot) >= 1000.0f * 1.17549435e-38f) {
            float inv = 1.0f / tot;
            for (int64_t i = s; i < e; i++) {
                t->idx[k] = (int32_t)i;
                t->w[k++] = tmp[i - s] * inv;
            }
        }
        t->ptr[o + 1] = (int32_t)k;
    }
    free(tmp);
    return 0;
}

/* transpose a table (out x in) into (in x out) */
static int transpose_table(const wtab *f, int64_t in, wtab *t) {
    int64_t nnz = f->ptr[f->n];
    if (wtab_alloc(t, in, nnz) < 0) return -1;
    int32_t *cnt = calloc(in + 1, sizeof(int32_t));
    if (!cnt) { wtab_free(t); return -1; }
    for (int64_t k = 0; k < nnz; k++) cnt[f->idx[k] + 1]++;
    for (int64_t i = 0; i < in; i++) cnt[i + 1] += cnt[i];
    for (int64_t i = 0; i <= in; i++) t->ptr[i] = cnt[i];
    for (int64_t o = 0; o < f->n; o++)
        for (int32_t k = f->ptr[o]; k < f->ptr[o + 1]; k++) {
            int32_t i = f->idx[k];
            int32_t p = cnt[i]++;
            t->idx[p] = (int32_t)o;
            t->w[p] = f->w[k];
        }
    free(cnt);
    return 0;
}

/* ---- the separable resampler ---------------------------------------------------
 * out[n,oy,ox,c] = sum_i wy[oy,i] sum_j wx[ox,j] in[n,iy_i,ix_j,c]; per output row
 * the H pass goes into a thread-local row buffer (W*C), then the W pass. */
#define RESAMPLE(TI, TO, TA)                                                              \
    {                                                                                     \
        const TI *xin = (const TI *)xin_v;                                                \
        TO *xout = (TO *)xout_v;                                                          \
        _Pragma("omp parallel num_threads(nt) if (nt > 1)")                                \
        {                                                                                 \
            TA *buf = malloc(sizeof(TA) * (size_t)(rowlen > 0 ? rowlen : 1));              \
            if (!buf) {                                                                   \
                _Pragma("omp atomic write")                                               \
                fail = 1;                                                                 \
            } else {                                                                      \
                _Pragma("omp for schedule(static)")                                       \
                for (int64_t r = 0; r < N * OH; r++) {                                    \
                    int64_t n = r / OH, oy = r % OH;                                      \
                    for (int64_t j = 0; j < rowlen; j++) buf[j] = 0;                      \
                    for (int32_t k = ty->ptr[oy]; k < ty->ptr[oy + 1]; k++) {             \
                        const TI *src = xin + (n * H + ty->idx[k]) * rowlen;              \
                        TA w = (TA)ty->w[k];                                              \
                        for (int64_t j = 0; j < rowlen; j++) buf[j] += w * (TA)src[j];    \
                    }                                                                     \
                    TO *dst = xout + r * OW * Ch;                                         \
                    for (int64_t ox = 0; ox < OW; ox++) {                                 \
                        TO *d = dst + ox * Ch;                                            \
                        int32_t k0 = tx->ptr[ox], k1 = tx->ptr[ox + 1];                   \
                        if (Ch == 3) {                                                    \
                            TA a0 = 0, a1 = 0, a2 = 0;                                    \
                            for (int32_t k = k0; k < k1; k++) {                           \
                                const TA *s = buf + (int64_t)tx->idx[k] * 3;              \
                                TA w = (TA)tx->w[k];                                      \
                                a0 += w * s[0]; a1 += w * s[1]; a2 += w * s[2];           \
                            }                                                             \
                            d[0] = (TO)a0; d[1] = (TO)a1; d[2] = (TO)a2;                  \
                        } else {                                                          \
                            for (int64_t c = 0; c < Ch; c++) {                            \
                                TA a = 0;                                                 \
                                for (int32_t k = k0; k < k1; k++)                         \
                                    a += (TA)tx->w[k] * buf[(int64_t)tx->idx[k] * Ch + c]; \
                                d[c] = (TO)a;                                             \
                            }                                                             \
                        }                                                                 \
                    }                                                                     \
                }                                                                         \
                free(buf);                                                                \
            }                                                                             \
        }                                                                                 \
    }

static int resample(mk_call *c, const mk_tensor *X, mk_tensor *O, const wtab *ty, const wtab *tx) {
    int64_t N = X->shape[0], H = X->shape[1], W = X->shape[2], Ch = X->shape[3];
    int64_t OH = O->shape[1], OW = O->shape[2];
    int64_t rowlen = W * Ch;
    if (mk_numel(O) == 0) return 0;
    const void *xin_v = mk_data(X);
    void *xout_v = mk_data(O);
    /* multiply-adds; one image of a tf.data map (112x112 -> 160x160: ~0.3M) stays on its
     * worker thread, where a parallel region would only oversubscribe the cores */
    int64_t work = N * ((int64_t)ty->ptr[ty->n] * rowlen + OH * (int64_t)tx->ptr[tx->n] * Ch);
    int nt = work >= RS_PAR_WORK ? omp_get_max_threads() : 1;
    if (nt > N * OH) nt = (int)(N * OH);
    int fail = 0;
    (void)H;
    if (O->dtype == MK_F64) {
        RESAMPLE(double, double, double)
    } else {
        switch (X->dtype) {
        case MK_F32: RESAMPLE(float, float, float) break;
        case MK_U8: RESAMPLE(uint8_t, float, float) break;
        case MK_I32: RESAMPLE(int32_t, float, float) break;
        case MK_I64: RESAMPLE(int64_t, float, float) break;
        default: return mk_err(c, "unsupported dtype %s", mk_dtypes[X->dtype].name);
        }
    }
    if (fail) return mk_err(c, "out of memory");
    return 0;
}

/* nearest: a gather of whole pixels (any dtype) */
static int gather_nearest(const mk_tensor *X, mk_tensor *O, const wtab *ty, const wtab *tx) {
    int64_t N = X->shape[0], H = X->shape[1], W = X->shape[2], Ch = X->shape[3];
    int64_t OH = O->shape[1], OW = O->shape[2];
    size_t px = (size_t)(Ch * mk_dtypes[X->dtype].itemsize);
    const char *xin = mk_data(X);
    char *xout = mk_data(O);
    int64_t total = N * OH * OW * Ch;
    #pragma omp parallel for schedule(static) if (total >= MK_PAR_MIN)
    for (int64_t r = 0; r < N * OH; r++) {
        int64_t n = r / OH, oy = r % OH;
        const char *srow = xin + (size_t)((n * H + ty->idx[ty->ptr[oy]]) * W) * px;
        char *drow = xout + (size_t)(r * OW) * px;
        if (px == 3) {
            for (int64_t ox = 0; ox < OW; ox++) {
                const char *s = srow + (size_t)tx->idx[tx->ptr[ox]] * 3;
                char *d = drow + ox * 3;
                d[0] = s[0]; d[1] = s[1]; d[2] = s[2];
            }
        } else {
            for (int64_t ox = 0; ox < OW; ox++)
                memcpy(drow + ox * px, srow + (size_t)tx->idx[tx->ptr[ox]] * px, px);
        }
    }
    return 0;
}

static int check_resize_attrs(mk_call *c) {
    if (c->a.i[2] < 0 || c->a.i[2] >= RS_COUNT)
        return mk_err(c, "unknown resize method %lld", (long long)c->a.i[2]);
    return 0;
}

static int infer_resize(mk_call *c) {
    mk_tensor *X = c->in[0];
    char s[128];
    mk_shape_str(s, sizeof s, X->ndim, X->shape);
    if (X->ndim != 4) return mk_err(c, "input must be 4-D [batch,height,width,channels], got shape %s", s);
    if (check_resize_attrs(c) < 0) return -1;
    int64_t oh = c->a.i[0], ow = c->a.i[1];
    if (oh <= 0 || ow <= 0)
        return mk_err(c, "output size must be positive, got [%lld,%lld] for input %s",
                      (long long)oh, (long long)ow, s);
    if (X->shape[1] <= 0 || X->shape[2] <= 0)
        return mk_err(c, "input image must be of non-zero size, got shape %s", s);
    if (X->shape[1] > INT32_MAX || X->shape[2] > INT32_MAX || oh > INT32_MAX || ow > INT32_MAX)
        return mk_err(c, "sizes must be below 2^31: %s", s);
    int dt = X->dtype;
    if (c->a.i[2] != RS_NEAREST) {
        if (dt == MK_BOOL) return mk_err(c, "unsupported dtype bool");
        dt = dt == MK_F64 ? MK_F64 : MK_F32;
    }
    int64_t sh[4] = {X->shape[0], oh, ow, X->shape[3]};
    mk_meta_set(&c->meta[0], dt, 4, sh);
    return 0;
}

static int k_resize(mk_call *c) {
    mk_tensor *X = c->in[0], *O = c->out[0];
    int m = (int)c->a.i[2], aa = (int)c->a.i[3];
    wtab ty = {0}, tx = {0};
    int rc = 0;
    if (build_table(&ty, m, X->shape[1], O->shape[1], aa) < 0 ||
        build_table(&tx, m, X->shape[2], O->shape[2], aa) < 0) {
        rc = mk_err(c, "out of memory");
        goto done;
    }
    if (m == RS_NEAREST) rc = gather_nearest(X, O, &ty, &tx);
    else rc = resample(c, X, O, &ty, &tx);
done:
    wtab_free(&ty); wtab_free(&tx);
    return rc;
}

static int infer_resize_grad(mk_call *c) {
    mk_tensor *D = c->in[0];
    char s[128];
    mk_shape_str(s, sizeof s, D->ndim, D->shape);
    if (D->ndim != 4) return mk_err(c, "grads must be 4-D, got shape %s", s);
    if (D->dtype != MK_F32 && D->dtype != MK_F64)
        return mk_err(c, "grads must be float32 or float64, got %s", mk_dtypes[D->dtype].name);
    if (check_resize_attrs(c) < 0) return -1;
    if (c->a.i[0] <= 0 || c->a.i[1] <= 0 || c->a.i[0] > INT32_MAX || c->a.i[1] > INT32_MAX ||
        D->shape[1] <= 0 || D->shape[2] <= 0)
        return mk_err(c, "bad sizes: original [%lld,%lld], grads %s", (long long)c->a.i[0],
                      (long long)c->a.i[1], s);
    int64_t sh[4] = {D->shape[0], c->a.i[0], c->a.i[1], D->shape[3]};
    mk_meta_set(&c->meta[0], D->dtype, 4, sh);
    return 0;
}

static int k_resize_grad(mk_call *c) {
    mk_tensor *D = c->in[0], *O = c->out[0];
    int m = (int)c->a.i[2], aa = (int)c->a.i[3];
    wtab fy = {0}, fx = {0}, ty = {0}, tx = {0};
    int rc = 0;
    if (build_table(&fy, m, O->shape[1], D->shape[1], aa) < 0 ||
        build_table(&fx, m, O->shape[2], D->shape[2], aa) < 0 ||
        transpose_table(&fy, O->shape[1], &ty) < 0 || transpose_table(&fx, O->shape[2], &tx) < 0) {
        rc = mk_err(c, "out of memory");
        goto done;
    }
    rc = resample(c, D, O, &ty, &tx);
done:
    wtab_free(&fy); wtab_free(&fx); wtab_free(&ty); wtab_free(&tx);
    return rc;
}

/* ---- projective transform (ImageProjectiveTransformV3) ----------------------- */

static int infer_transform(mk_call *c) {
    mk_tensor *X = c->in[0], *T = c->in[1];
    char s[128], st[128];
    mk_shape_str(s, sizeof s, X->ndim, X->shape);
    mk_shape_str(st, sizeof st, T->ndim, T->shape);
    if (X->ndim != 4) return mk_err(c, "images must be 4-D [batch,height,width,channels], got shape %s", s);
    if (T->dtype != MK_F32) return mk_err(c, "transforms must be float32, got %s", mk_dtypes[T->dtype].name);
    if (T->ndim != 2 || T->shape[1] != 8 || (T->shape[0] != 1 && T->shape[0] != X->shape[0]))
        return mk_err(c, "transforms must be [1,8] or [batch,8] for images %s, got shape %s", s, st);
    if (c->a.i[0] <= 0 || c->a.i[1] <= 0)
        return mk_err(c, "output_shape must be positive, got [%lld,%lld]", (long long)c->a.i[0],
                      (long long)c->a.i[1]);
    if (c->a.i[2] < 0 || c->a.i[2] > 1) return mk_err(c, "interpolation must be 0 (nearest) or 1 (bilinear)");
    if (c->a.i[3] < 0 || c->a.i[3] > 3) return mk_err(c, "fill mode must be 0..3");
    if (X->dtype == MK_BOOL) return mk_err(c, "unsupported dtype bool");
    int64_t sh[4] = {X->shape[0], c->a.i[0], c->a.i[1], X->shape[3]};
    mk_meta_set(&c->meta[0], X->dtype, 4, sh);
    return 0;
}

#define TRANSFORM(T)                                                                          \
    {                                                                                         \
        const T *xin = (const T *)mk_data(X);                                                 \
        T *xout = (T *)mk_data(O);                                                            \
        _Pragma("omp parallel for schedule(static) if (total >= MK_PAR_MIN)")                 \
        for (int64_t r = 0; r < N * OH; r++) {                                                \
            int64_t n = r / OH, oy = r % OH;                                                  \
            const float *t = tr + (T_n == 1 ? 0 : n * 8);                                     \
            const T *img = xin + n * H * W * Ch;                                              \
            T *dst = xout + r * OW * Ch;                                                      \
            for (int64_t ox = 0; ox < OW; ox++) {                                             \
                T *d = dst + ox * Ch;                                                         \
                float fx = (float)ox, fy = (float)oy;                                         \
                float proj = t[6] * fx + t[7] * fy + 1.f;                                     \
                if (proj == 0) {                                                              \
                    for (int64_t ch = 0; ch < Ch; ch++) d[ch] = (T)fill;                      \
                    continue;                                                                 \
                }                                                                             \
                float inx = (t[0] * fx + t[1] * fy + t[2]) / proj;                            \
                float iny = (t[3] * fx + t[4] * fy + t[5]) / proj;                            \
                float x = map_coord(inx, W, mode), y = map_coord(iny, H, mode);               \
                if (interp == 0) {                                                            \
                    int64_t iy = (int64_t)roundf(y), ix = (int64_t)roundf(x);                 \
                    if (iy >= 0 && iy < H && ix >= 0 && ix < W) {                             \
                        const T *s = img + (iy * W + ix) * Ch;                                \
                        for (int64_t ch = 0; ch < Ch; ch++) d[ch] = s[ch];                    \
                    } else                                                                    \
                        for (int64_t ch = 0; ch < Ch; ch++) d[ch] = (T)fill;                  \
                } else {                                                                      \
                    float yf = floorf(y), xf = floorf(x), yc = yf + 1, xc = xf + 1;           \
                    int64_t y0 = (int64_t)yf, x0 = (int64_t)xf, y1 = (int64_t)yc, x1 = (int64_t)xc; \
                    int vy0 = y0 >= 0 && y0 < H, vy1 = y1 >= 0 && y1 < H;                     \
                    int vx0 = x0 >= 0 && x0 < W, vx1 = x1 >= 0 && x1 < W;                     \
                    for (int64_t ch = 0; ch < Ch; ch++) {                                     \
                        float p00 = vy0 && vx0 ? (float)img[(y0 * W + x0) * Ch + ch] : fill;  \
                        float p01 = vy0 && vx1 ? (float)img[(y0 * W + x1) * Ch + ch] : fill;  \
                        float p10 = vy1 && vx0 ? (float)img[(y1 * W + x0) * Ch + ch] : fill;  \
                        float p11 = vy1 && vx1 ? (float)img[(y1 * W + x1) * Ch + ch] : fill;  \
                        float vf = (xc - x) * p00 + (x - xf) * p01;                           \
                        float vc = (xc - x) * p10 + (x - xf) * p11;                           \
                        d[ch] = (T)((yc - y) * vf + (y - yf) * vc);                           \
                    }                                                                         \
                }                                                                             \
            }                                                                                 \
        }                                                                                     \
    }

static int k_transform(mk_call *c) {
    mk_tensor *X = c->in[0], *Tt = c->in[1], *O = c->out[0];
    int64_t N = X->shape[0], H = X->shape[1], W = X->shape[2], Ch = X->shape[3];
    int64_t OH = O->shape[1], OW = O->shape[2], T_n = Tt->shape[0];
    int interp = (int)c->a.i[2], mode = (int)c->a.i[3];
    float fill = (float)c->a.f[0];
    const float *tr = (const float *)mk_data(Tt);
    int64_t total = mk_numel(O) * (interp ? 4 : 1);
    if (mk_numel(O) == 0) return 0;
    if (H == 0 || W == 0) {
        /* nothing to sample: every pixel is the fill value */
        switch (X->dtype) {
#define FILLC(T, E) case E: { T *o = mk_data(O); for (int64_t i = 0; i < mk_numel(O); i++) o[i] = (T)fill; break; }
            MK_FOR_NUM_DTYPES(FILLC)
#undef FILLC
        default: break;
        }
        return 0;
    }
    switch (X->dtype) {
    case MK_F32: TRANSFORM(float) break;
    case MK_F64: TRANSFORM(double) break;
    case MK_U8: TRANSFORM(uint8_t) break;
    case MK_I32: TRANSFORM(int32_t) break;
    case MK_I64: TRANSFORM(int64_t) break;
    default: return mk_err(c, "unsupported dtype %s", mk_dtypes[X->dtype].name);
    }
    return 0;
}

/* ---- colour spaces -------------------------------------------------------------- */
static int infer_rgb3(mk_call *c) {
    mk_tensor *X = c->in[0];
    char s[128];
    mk_shape_str(s, sizeof s, X->ndim, X->shape);
    if (X->dtype != MK_F32 && X->dtype != MK_F64)
        return mk_err(c, "input must be float32 or float64, got %s", mk_dtypes[X->dtype].name);
    if (X->ndim < 1 || X->shape[X->ndim - 1] != 3)
        return mk_err(c, "input must have 3 channels in its last dimension, got shape %s", s);
    mk_meta_set(&c->meta[0], X->dtype, X->ndim, X->shape);
    return 0;
}

#define RGB2HSV(T, r, g, b, h, s, v)                                                  \
    {                                                                                 \
        T mx = r > g ? r : g; mx = mx > b ? mx : b;                                   \
        T mn = r < g ? r : g; mn = mn < b ? mn : b;                                   \
        T range = mx - mn;                                                            \
        v = mx;                                                                       \
        s = mx > 0 ? range / mx : (T)0;                                               \
        T norm = (T)1 / ((T)6 * range);                                               \
        if (range > 0) {                                                              \
            if (r == mx) h = norm * (g - b);                                          \
            else if (g == mx) h = norm * (b - r) + (T)2 / (T)6;                       \
            else h = norm * (r - g) + (T)4 / (T)6;                                    \
            if (h < 0) h += (T)1;                                                     \
        } else h = 0;                                                                 \
    }

static inline float clamp01f(float x) { return x < 0 ? 0 : x > 1 ? 1 : x; }
static inline double clamp01d(double x) { return x < 0 ? 0 : x > 1 ? 1 : x; }

#define HSV2RGB(T, CL, h, s, v, r, g, b)                                              \
    {                                                                                 \
        T dh = h * (T)6;                                                              \
        T dr = CL(fabs(dh - (T)3) - (T)1);                                            \
        T dg = CL(-fabs(dh - (T)2) + (T)2);                                           \
        T db = CL(-fabs(dh - (T)4) + (T)2);                                           \
        T one_s = (T)1 - s;                                                           \
        r = (one_s + s * dr) * v;                                                     \
        g = (one_s + s * dg) * v;                                                     \
        b = (one_s + s * db) * v;                                                     \
    }

static int k_rgb_to_hsv(mk_call *c) {
    mk_tensor *X = c->in[0], *O = c->out[0];
    int64_t n = mk_numel(X) / 3;
    if (X->dtype == MK_F32) {
        const float *x = mk_data(X); float *o = mk_data(O);
        #pragma omp parallel for schedule(static) if (n * 3 >= MK_PAR_MIN)
        for (int64_t i = 0; i < n; i++) {
            float r = x[3 * i], g = x[3 * i + 1], b = x[3 * i + 2], h, s, v;
            RGB2HSV(float, r, g, b, h, s, v)
            o[3 * i] = h; o[3 * i + 1] = s; o[3 * i + 2] = v;
        }
    } else {
        const double *x = mk_data(X); double *o = mk_data(O);
        #pragma omp parallel for schedule(static) if (n * 3 >= MK_PAR_MIN)
        for (int64_t i = 0; i < n; i++) {
            double r = x[3 * i], g = x[3 * i + 1], b = x[3 * i + 2], h, s, v;
            RGB2HSV(double, r, g, b, h, s, v)
            o[3 * i] = h; o[3 * i + 1] = s; o[3 * i + 2] = v;
        }
    }
    return 0;
}

static int k_hsv_to_rgb(mk_call *c) {
    mk_tensor *X = c->in[0], *O = c->out[0];
    int64_t n = mk_numel(X) / 3;
    if (X->dtype == MK_F32) {
        const float *x = mk_data(X); float *o = mk_data(O);
        #pragma omp parallel for schedule(static) if (n * 3 >= MK_PAR_MIN)
        for (int64_t i = 0; i < n; i++) {
            float h = x[3 * i], s = x[3 * i + 1], v = x[3 * i + 2], r, g, b;
            HSV2RGB(float, clamp01f, h, s, v, r, g, b)
            o[3 * i] = r; o[3 * i + 1] = g; o[3 * i + 2] = b;
        }
    } else {
        const double *x = mk_data(X); double *o = mk_data(O);
        #pragma omp parallel for schedule(static) if (n * 3 >= MK_PAR_MIN)
        for (int64_t i = 0; i < n; i++) {
            double h = x[3 * i], s = x[3 * i + 1], v = x[3 * i + 2], r, g, b;
            HSV2RGB(double, clamp01d, h, s, v, r, g, b)
            o[3 * i] = r; o[3 * i + 1] = g; o[3 * i + 2] = b;
        }
    }
    return 0;
}

static int infer_adjust_hsv(mk_call *c) {
    if (infer_rgb3(c) < 0) return -1;
    for (int i = 1; i < 3; i++) {
        char s[128];
        mk_shape_str(s, sizeof s, c->in[i]->ndim, c->in[i]->shape);
        if (c->in[i]->dtype != c->in[0]->dtype || mk_numel(c->in[i]) != 1)
            return mk_err(c, "%s must be a scalar %s, got %s %s", i == 1 ? "delta" : "scale",
                          mk_dtypes[c->in[0]->dtype].name, mk_dtypes[c->in[i]->dtype].name, s);
    }
    return 0;
}

/* adjust_hsv: rgb -> hsv, h = frac(h + dh), s = clamp(s * fs, 0, 1), -> rgb, written with
 * selects only so that the loop vectorises */
#define ADJUST(T, FABS, FLOOR)                                                        \
    {                                                                                 \
        const T *x = mk_data(X); T *o = mk_data(O);                                   \
        const T d = (T)dh, f = (T)fs, third = (T)1 / (T)3;                            \
        _Pragma("omp parallel for schedule(static) if (n * 3 >= MK_PAR_MIN)")          \
        for (int64_t i = 0; i < n; i++) {                                             \
            T r = x[3 * i], g = x[3 * i + 1], b = x[3 * i + 2];                       \
            T mx = r > g ? r : g; mx = mx > b ? mx : b;                               \
            T mn = r < g ? r : g; mn = mn < b ? mn : b;                               \
            T range = mx - mn;                                                        \
            T inv = range > 0 ? (T)1 / ((T)6 * range) : (T)0;                         \
            T hr = (g - b) * inv, hg = (b - r) * inv + third, hb = (r - g) * inv + 2 * third; \
            T h = r == mx ? hr : (g == mx ? hg : hb);                                 \
            h = h < 0 ? h + 1 : h;                                                    \
            h = h + d;                                                                \
            h = h - FLOOR(h);                                                         \
            T s = mx > 0 ? range / mx : (T)0;                                         \
            T sf = s * f;                                                             \
            sf = sf < 0 ? (T)0 : sf > 1 ? (T)1 : sf;                                  \
            s = f == 1 ? s : sf;                                                      \
            T t = h * 6;                                                              \
            T fr = FABS(t - 3) - 1, fg = 2 - FABS(t - 2), fb = 2 - FABS(t - 4);       \
            fr = fr < 0 ? (T)0 : fr > 1 ? (T)1 : fr;                                  \
            fg = fg < 0 ? (T)0 : fg > 1 ? (T)1 : fg;                                  \
            fb = fb < 0 ? (T)0 : fb > 1 ? (T)1 : fb;                                  \
            T one_s = 1 - s;                                                          \
            o[3 * i] = (one_s + s * fr) * mx;                                         \
            o[3 * i + 1] = (one_s + s * fg) * mx;                                     \
            o[3 * i + 2] = (one_s + s * fb) * mx;                                     \
        }                                                                             \
    }

/* saturation only: with v = max, range = max - min and s = range / v, scaling s by f (clamped
 * to [0, 1]) and converting back gives out_k = v - g * (v - c_k), g = clamp(f, 0, v / range):
 * no hue, no branches, the loop vectorises. */
#define SATURATE(T)                                                                   \
    {                                                                                 \
        const T *x = mk_data(X); T *o = mk_data(O);                                   \
        T f = (T)fs;                                                                  \
        _Pragma("omp parallel for schedule(static) if (n * 3 >= MK_PAR_MIN)")          \
        for (int64_t i = 0; i < n; i++) {                                             \
            T r = x[3 * i], g = x[3 * i + 1], b = x[3 * i + 2];                       \
            T mx = r > g ? r : g; mx = mx > b ? mx : b;                               \
            T mn = r < g ? r : g; mn = mn < b ? mn : b;                               \
            T range = mx - mn;                                                        \
            T lim = range > 0 ? mx / range : (T)0;                                    \
            T k = f < lim ? f : lim;                                                  \
            k = k > 0 ? k : (T)0;                                                     \
            if (!(range > 0)) k = (T)1;                                               \
            o[3 * i] = mx - k * (mx - r);                                             \
            o[3 * i + 1] = mx - k * (mx - g);                                         \
            o[3 * i + 2] = mx - k * (mx - b);                                         \
        }                                                                             \
    }

static int k_adjust_hsv(mk_call *c) {
    mk_tensor *X = c->in[0], *O = c->out[0];
    int64_t n = mk_numel(X) / 3;
    double dh, fs;
    if (X->dtype == MK_F32) { dh = *(const float *)mk_data(c->in[1]); fs = *(const float *)mk_data(c->in[2]); }
    else { dh = *(const double *)mk_data(c->in[1]); fs = *(const double *)mk_data(c->in[2]); }
    if (dh == 0) {
        if (X->dtype == MK_F32) SATURATE(float)
        else SATURATE(double)
        return 0;
    }
    if (X->dtype == MK_F32) ADJUST(float, fabsf, floorf)
    else ADJUST(double, fabs, floor)
    return 0;
}

static int infer_hsv_grad(mk_call *c) {
    if (mk_same_dtype(c) < 0 || infer_rgb3(c) < 0) return -1;
    if (c->in[1]->ndim != c->in[0]->ndim ||
        memcmp(c->in[1]->shape, c->in[0]->shape, sizeof(int64_t) * c->in[0]->ndim))
        return mk_err(c, "x and dy must have the same shape");
    if (c->a.i[0] != 0 && c->a.i[0] != 1) return mk_err(c, "direction must be 0 or 1");
    return 0;
}

static int k_hsv_grad(mk_call *c) {
    mk_tensor *X = c->in[0], *D = c->in[1], *O = c->out[0];
    int64_t n = mk_numel(X) / 3;
    int dir = (int)c->a.i[0];
    int f32 = X->dtype == MK_F32;
    const void *xv = mk_data(X), *dv = mk_data(D);
    void *ov = mk_data(O);
    #pragma omp parallel for schedule(static) if (n * 3 >= MK_PAR_MIN)
    for (int64_t i = 0; i < n; i++) {
        double x[3], dy[3], dx[3];
        for (int k = 0; k < 3; k++) {
            x[k] = f32 ? ((const float *)xv)[3 * i + k] : ((const double *)xv)[3 * i + k];
            dy[k] = f32 ? ((const float *)dv)[3 * i + k] : ((const double *)dv)[3 * i + k];
        }
        if (dir == 0) grad_rgb_to_hsv(x, dy, dx);
        else grad_hsv_to_rgb(x, dy, dx);
        for (int k = 0; k < 3; k++) {
            if (f32) ((float *)ov)[3 * i + k] = (float)dx[k];
            else ((double *)ov)[3 * i + k] = dx[k];
        }
    }
    return 0;
}

void mk_register_image(void) {
    mk_ops[MK_OP_HSV_GRAD] = (mk_opdef){NULL, 2, 1, MK_OP_CONTIG, infer_hsv_grad, {k_hsv_grad}};
    mk_ops[MK_OP_RESIZE] = (mk_opdef){NULL, 1, 1, MK_OP_CONTIG, infer_resize, {k_resize}};
    mk_ops[MK_OP_RESIZE_GRAD] = (mk_opdef){NULL, 1, 1, MK_OP_CONTIG, infer_resize_grad, {k_resize_grad}};
    mk_ops[MK_OP_IMAGE_PROJECTIVE_TRANSFORM] =
        (mk_opdef){NULL, 2, 1, MK_OP_CONTIG | MK_OP_NONDIFF, infer_transform, {k_transform}};
    mk_ops[MK_OP_RGB_TO_HSV] = (mk_opdef){NULL, 1, 1, MK_OP_CONTIG, infer_rgb3, {k_rgb_to_hsv}};
    mk_ops[MK_OP_HSV_TO_RGB] = (mk_opdef){NULL, 1, 1, MK_OP_CONTIG, infer_rgb3, {k_hsv_to_rgb}};
    mk_ops[MK_OP_ADJUST_HSV] = (mk_opdef){NULL, 3, 1, MK_OP_CONTIG, infer_adjust_hsv, {k_adjust_hsv}};
}
