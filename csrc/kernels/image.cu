/* Image family on the GPU (the twin of image.c: same ops, attributes, dtypes, NHWC data).
 *
 * resize / resize_grad: image.c's separable resampler.  Its per-axis weight tables (for each
 * output index: the input indices and weights that make it) are built ON THE DEVICE by a small
 * kernel with image.c's arithmetic (build_table), in a fixed-width layout (span taps per output
 * index plus a tap count), so nothing is copied from the host and the launch stays capturable.
 * The sizes (span) are computed on the host from the attributes only.  The main kernel runs
 * one thread per output element and sums in image.c's order (the H pass inner, the W pass
 * outer, float accumulation, double for float64).  resize_grad runs the transposed tables in
 * gather form (no atomics on data, deterministic): per input index, the range of output
 * indices that reference it (min/max found with integer atomics, order-independent), scanned
 * in image.c's transposed-table order (output index ascending, tap ascending).
 * NEAREST resize is a gather computed on the fly (any dtype, moved by item size).
 * image_projective_transform: one thread per output element, image.c's map_coord / rounding.
 * Colour ops: one thread per pixel, image.c's formulas (hsv_grad in double, as image.c).
 * adjust_hsv reads its scalar delta / scale tensors on the device (no host read).
 * Note: the CPU core is built with FMA contraction (gcc -O3 -march=x86-64-v3) and nvcc
 * contracts too, not necessarily the same products: results agree to a few ulp, and an index
 * that depends on rounding (floor / lrint / roundf) could differ only at exact ties. */
#include "cuda_common.cuh"
#include <math.h>
#include "image_math.h"

namespace {

/* ---- weight tables (image.c's build_table, per output index) ----------------------- */
struct axis_p {
    int m, aa;
    int64_t in, out;      /* input and output sizes of the axis */
    int64_t span;         /* taps per output index in the fixed-width table */
    float scale;          /* in/out (nearest, bilinear, bicubic, area) or out/in (s&t) */
    float inv;            /* area: 1/scale */
    float inv_scale, inv_translate, ks, radius, one_over_ks;   /* scale_and_translate */
};

/* the host half of build_table: the scalars and the table width, from the sizes only */
axis_p make_axis(int m, int64_t in, int64_t out, int aa) {
    axis_p p;
    memset(&p, 0, sizeof p);
    p.m = m; p.aa = aa; p.in = in; p.out = out;
    if (m == RS_NEAREST || m == RS_BILINEAR || m == RS_BICUBIC) {
        p.span = m == RS_NEAREST ? 1 : m == RS_BILINEAR ? 2 : 4;
        p.scale = (float)in / (float)out;
    } else if (m == RS_AREA) {
        p.scale = (float)in / (float)out;
        p.inv = 1.0f / p.scale;
        int64_t span = 1;
        for (int64_t o = 0; o < out; o++) {      /* image.c's cap loop, the widest row */
            float a = (float)o * p.scale, b = (float)(o + 1) * p.scale;
            int64_t w = (int64_t)ceilf(b) - (int64_t)floorf(a);
            if (w > span) span = w;
        }
        p.span = span;
    } else {
        p.scale = (float)out / (float)in;
        p.inv_scale = (float)(1.0 / p.scale);
        p.inv_translate = -p.inv_scale * 0.0f;
        p.ks = aa ? (p.inv_scale > 1.0f ? p.inv_scale : 1.0f) : 1.0f;
        p.radius = k_radius(m);
        int64_t span = 2 * (int64_t)ceilf(p.radius * p.ks) + 1;
        if (span > in) span = in;
        p.span = span;
        p.one_over_ks = 1.0f / p.ks;
    }
    return p;
}

/* the row o of the table: *cnt taps, idx[0..cnt) / w[0..cnt) (idx, w: this row's span slots) */
__host__ __device__ inline void build_row(const axis_p &p, int64_t o, int32_t *cnt, int32_t *idx,
                                          float *w) {
    const int m = p.m;
    const int64_t in = p.in;
    if (m == RS_NEAREST) {
        int64_t i = (int64_t)floorf(((float)o + 0.5f) * p.scale);
        idx[0] = (int32_t)clampi(i, 0, in - 1);
        w[0] = 1.f;
        *cnt = 1;
    } else if (m == RS_BILINEAR) {
        float f = ((float)o + 0.5f) * p.scale - 0.5f;
        float fl = floorf(f);
        int64_t lo = (int64_t)fl < 0 ? 0 : (int64_t)fl;
        int64_t hi = (int64_t)ceilf(f);
        if (hi > in - 1) hi = in - 1;
        float lerp = f - fl;
        idx[0] = (int32_t)lo; w[0] = 1.f - lerp;
        idx[1] = (int32_t)hi; w[1] = lerp;
        *cnt = 2;
    } else if (m == RS_BICUBIC) {
        float f = ((float)o + 0.5f) * p.scale - 0.5f;
        int64_t loc = (int64_t)floorf(f);
        float delta = f - (float)loc;
        int64_t off = (int64_t)lrintf(delta * 1024);
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
            idx[j] = (int32_t)clampi(loc - 1 + j, 0, in - 1);
            w[j] = w4[j] * inv;
        }
        *cnt = 4;
    } else if (m == RS_AREA) {
        float a = (float)o * p.scale, b = (float)(o + 1) * p.scale;
        int64_t s = (int64_t)floorf(a), e = (int64_t)ceilf(b);
        if (e - s > p.span) e = s + p.span;    /* never: span is the widest row */
        int32_t k = 0;
        for (int64_t i = s; i < e; i++) {
            float sc;
            if ((float)i < a) sc = ((float)(i + 1) > b) ? p.scale : (float)(i + 1) - a;
            else sc = ((float)(i + 1) > b) ? b - (float)i : 1.0f;
            idx[k] = (int32_t)clampi(i, 0, in - 1);
            w[k++] = sc * p.inv;
        }
        *cnt = k;
    } else {   /* scale_and_translate (TF's ComputeSpansCore), translation 0 */
        *cnt = 0;
        float sample = ((float)o + 0.5f) * p.inv_scale + p.inv_translate;
        if (sample < 0 || sample > (float)in) return;
        int64_t s = (int64_t)ceilf(sample - p.radius * p.ks - 0.5f);
        int64_t e = (int64_t)floorf(sample + p.radius * p.ks - 0.5f);
        s = clampi(s, 0, in - 1);
        e = clampi(e, 0, in - 1) + 1;
        if (e - s > p.span) e = s + p.span;
        float tot = 0.f;
        for (int64_t i = s; i < e; i++) {
            float pos = (float)i + 0.5f - sample;
            float wt = k_eval(m, fabsf(pos * p.one_over_ks));
            w[i - s] = wt;
            tot += wt;
        }
        if (fabsf(tot) >= 1000.0f * 1.17549435e-38f) {
            float inv = 1.0f / tot;
            for (int64_t i = s; i < e; i++) {
                idx[i - s] = (int32_t)i;
                w[i - s] = w[i - s] * inv;
            }
            *cnt = (int32_t)(e - s);
        }
    }
}

/* one table on the device: cnt[out], idx/w[out * span]; lo/hi[in] for the transposed use */
struct dtab {
    int32_t *cnt, *idx;
    float *w;
    int32_t *lo, *hi;
    int64_t span;
};

__global__ void build_tables_kernel(axis_p py, dtab ty, axis_p px, dtab tx) {
    MKG_GRID_STRIDE(i, py.out + px.out) {
        if (i < py.out) build_row(py, i, ty.cnt + i, ty.idx + i * ty.span, ty.w + i * ty.span);
        else {
            int64_t o = i - py.out;
            build_row(px, o, tx.cnt + o, tx.idx + o * tx.span, tx.w + o * tx.span);
        }
    }
}

__global__ void init_ranges_kernel(int64_t ny, int32_t *loy, int32_t *hiy, int64_t nx, int32_t *lox,
                                   int32_t *hix) {
    MKG_GRID_STRIDE(i, ny + nx) {
        if (i < ny) { loy[i] = INT32_MAX; hiy[i] = -1; }
        else { lox[i - ny] = INT32_MAX; hix[i - ny] = -1; }
    }
}

/* per input index: the first and last output index whose row references it (integer
 * min/max: the result does not depend on the atomics' order) */
__global__ void ranges_kernel(int64_t ny, dtab ty, int64_t nx, dtab tx) {
    int64_t ey = ny * ty.span, ex = nx * tx.span;
    MKG_GRID_STRIDE(i, ey + ex) {
        const dtab &t = i < ey ? ty : tx;
        int64_t j = i < ey ? i : i - ey;
        int64_t o = j / t.span, k = j - o * t.span;
        if (k < t.cnt[o]) {
            int32_t in = t.idx[j];
            atomicMin(t.lo + in, (int32_t)o);
            atomicMax(t.hi + in, (int32_t)o);
        }
    }
}

/* ---- resize forward: out = sum_kx wx * (sum_ky wy * x[iy, ix]) (image.c's order) -------- */
template <typename TI, typename TA>
__host__ __device__ inline TA resample_elem(const TI *x, int64_t i, int64_t H, int64_t W, int64_t C,
                                            int64_t OH, int64_t OW, const dtab &ty, const dtab &tx) {
    int64_t c = i % C, r = i / C;
    int64_t ox = r % OW; r /= OW;
    int64_t oy = r % OH, n = r / OH;
    const TI *img = x + n * H * W * C + c;
    const int32_t *iys = ty.idx + oy * ty.span, *ixs = tx.idx + ox * tx.span;
    const float *wys = ty.w + oy * ty.span, *wxs = tx.w + ox * tx.span;
    int32_t cy = ty.cnt[oy], cx = tx.cnt[ox];
    TA acc = 0;
    for (int32_t kx = 0; kx < cx; kx++) {
        const TI *col = img + (int64_t)ixs[kx] * C;
        TA inner = 0;
        for (int32_t ky = 0; ky < cy; ky++)
            inner += (TA)wys[ky] * (TA)col[(int64_t)iys[ky] * W * C];
        acc += (TA)wxs[kx] * inner;
    }
    return acc;
}

template <typename TI, typename TO, typename TA>
__global__ void resample_kernel(const TI *__restrict__ x, TO *__restrict__ y, int64_t N, int64_t H,
                                int64_t W, int64_t C, int64_t OH, int64_t OW, dtab ty, dtab tx) {
    MKG_GRID_STRIDE(i, N * OH * OW * C) y[i] = (TO)resample_elem<TI, TA>(x, i, H, W, C, OH, OW, ty, tx);
}

/* ---- resize backward: the transposed tables in gather form ----------------------------
 * dx[n,iy,ix,c] = sum over (ox,kx) with idx==ix of wx * sum over (oy,ky) with idx==iy of
 * wy * dy[n,oy,ox,c], entries in image.c's transposed order (output index, then tap). */
template <typename T>
__host__ __device__ inline T resample_grad_elem(const T *dy, int64_t i, int64_t H, int64_t W, int64_t C,
                                                int64_t OH, int64_t OW, const dtab &ty, const dtab &tx) {
    int64_t c = i % C, r = i / C;
    int64_t ix = r % W; r /= W;
    int64_t iy = r % H, n = r / H;
    const T *g = dy + n * OH * OW * C + c;
    int32_t y0 = ty.lo[iy], y1 = ty.hi[iy], x0 = tx.lo[ix], x1 = tx.hi[ix];
    T acc = 0;
    for (int32_t ox = x0; ox <= x1; ox++) {
        int32_t cx = tx.cnt[ox];
        for (int32_t kx = 0; kx < cx; kx++) {
            if (tx.idx[(int64_t)ox * tx.span + kx] != ix) continue;
            T inner = 0;
            for (int32_t oy = y0; oy <= y1; oy++) {
                int32_t cy = ty.cnt[oy];
                for (int32_t ky = 0; ky < cy; ky++) {
                    if (ty.idx[(int64_t)oy * ty.span + ky] != iy) continue;
                    inner += (T)ty.w[(int64_t)oy * ty.span + ky] * g[((int64_t)oy * OW + ox) * C];
                }
            }
            acc += (T)tx.w[(int64_t)ox * tx.span + kx] * inner;
        }
    }
    return acc;
}

template <typename T>
__global__ void resample_grad_kernel(const T *__restrict__ dy, T *__restrict__ dx, int64_t N,
                                     int64_t H, int64_t W, int64_t C, int64_t OH, int64_t OW,
                                     dtab ty, dtab tx) {
    MKG_GRID_STRIDE(i, N * H * W * C) dx[i] = resample_grad_elem<T>(dy, i, H, W, C, OH, OW, ty, tx);
}

/* nearest: a gather of elements (any dtype, moved by size); the source element of output i */
__host__ __device__ inline int64_t nearest_src(int64_t i, int64_t H, int64_t W, int64_t C, int64_t OH,
                                               int64_t OW, float sy, float sx) {
    int64_t c = i % C, r = i / C;
    int64_t ox = r % OW; r /= OW;
    int64_t oy = r % OH, n = r / OH;
    int64_t iy = clampi((int64_t)floorf(((float)oy + 0.5f) * sy), 0, H - 1);
    int64_t ix = clampi((int64_t)floorf(((float)ox + 0.5f) * sx), 0, W - 1);
    return ((n * H + iy) * W + ix) * C + c;
}

template <typename T>
__global__ void nearest_kernel(const T *__restrict__ x, T *__restrict__ y, int64_t N, int64_t H,
                               int64_t W, int64_t C, int64_t OH, int64_t OW, float sy, float sx) {
    MKG_GRID_STRIDE(i, N * OH * OW * C) y[i] = x[nearest_src(i, H, W, C, OH, OW, sy, sx)];
}

/* scratch of the two tables (and the transposed ranges when grad) */
struct tables {
    void *mem;
    size_t bytes;
    dtab ty, tx;
};

size_t align_up(size_t v) { return (v + 255) & ~(size_t)255; }

/* allocate and enqueue the tables of axes (py, px); ranges too when grad */
int make_tables(mk_call *c, const axis_p &py, const axis_p &px, int grad, tables *t) {
    const axis_p *ps[2] = {&py, &px};
    dtab *ds[2] = {&t->ty, &t->tx};
    size_t sz[2][5], total = 0;
    for (int a = 0; a < 2; a++) {
        const axis_p &p = *ps[a];
        sz[a][0] = align_up(sizeof(int32_t) * (size_t)p.out);
        sz[a][1] = align_up(sizeof(int32_t) * (size_t)(p.out * p.span));
        sz[a][2] = align_up(sizeof(float) * (size_t)(p.out * p.span));
        sz[a][3] = grad ? align_up(sizeof(int32_t) * (size_t)p.in) : 0;
        sz[a][4] = sz[a][3];
        for (int k = 0; k < 5; k++) total += sz[a][k];
    }
    t->bytes = total;
    t->mem = mkg_alloc(total);
    if (!t->mem) return mkg_err(c, "out of GPU memory (%zu bytes of resize tables)", total);
    char *q = (char *)t->mem;
    for (int a = 0; a < 2; a++) {
        dtab &d = *ds[a];
        d.span = ps[a]->span;
        d.cnt = (int32_t *)q; q += sz[a][0];
        d.idx = (int32_t *)q; q += sz[a][1];
        d.w = (float *)q; q += sz[a][2];
        d.lo = grad ? (int32_t *)q : NULL; q += sz[a][3];
        d.hi = grad ? (int32_t *)q : NULL; q += sz[a][4];
    }
    build_tables_kernel<<<mkg_blocks(py.out + px.out), MKG_THREADS, 0, mkg_stream>>>(py, t->ty, px, t->tx);
    if (mkg_check_launch(c) < 0) return -1;
    if (grad) {
        init_ranges_kernel<<<mkg_blocks(py.in + px.in), MKG_THREADS, 0, mkg_stream>>>(
            py.in, t->ty.lo, t->ty.hi, px.in, t->tx.lo, t->tx.hi);
        if (mkg_check_launch(c) < 0) return -1;
        int64_t e = py.out * py.span + px.out * px.span;
        ranges_kernel<<<mkg_blocks(e), MKG_THREADS, 0, mkg_stream>>>(py.out, t->ty, px.out, t->tx);
        if (mkg_check_launch(c) < 0) return -1;
    }
    return 0;
}

/* resize attrs: i[0] = out_h, i[1] = out_w, i[2] = method, i[3] = antialias */
int k_resize_gpu(mk_call *c) {
    mk_tensor *X = c->in[0], *O = c->out[0];
    int64_t N = X->shape[0], H = X->shape[1], W = X->shape[2], C = X->shape[3];
    int64_t OH = O->shape[1], OW = O->shape[2];
    int64_t total = N * OH * OW * C;
    if (total == 0) return 0;
    int m = (int)c->a.i[2], aa = (int)c->a.i[3];
    unsigned blocks = mkg_blocks(total);
    if (m == RS_NEAREST) {
        float sy = (float)H / (float)OH, sx = (float)W / (float)OW;
        MKG_BY_ITEMSIZE(c, mk_dtypes[X->dtype].itemsize, T,
            nearest_kernel<T><<<blocks, MKG_THREADS, 0, mkg_stream>>>(
                mkg_ptr<const T>(X), mkg_ptr<T>(O), N, H, W, C, OH, OW, sy, sx);
            return mkg_check_launch(c))
    }
    axis_p py = make_axis(m, H, OH, aa), px = make_axis(m, W, OW, aa);
    tables t = {};
    if (make_tables(c, py, px, 0, &t) < 0) {
        if (t.mem) mkg_free(t.mem, t.bytes);
        return -1;
    }
#define RS_LAUNCH(TI, TO, TA)                                                                   \
    resample_kernel<TI, TO, TA><<<blocks, MKG_THREADS, 0, mkg_stream>>>(                        \
        mkg_ptr<const TI>(X), mkg_ptr<TO>(O), N, H, W, C, OH, OW, t.ty, t.tx)
    int rc = 0;
    if (O->dtype == MK_F64) RS_LAUNCH(double, double, double);
    else {
        switch (X->dtype) {
        case MK_F32: RS_LAUNCH(float, float, float); break;
        case MK_U8: RS_LAUNCH(uint8_t, float, float); break;
        case MK_I32: RS_LAUNCH(int32_t, float, float); break;
        case MK_I64: RS_LAUNCH(int64_t, float, float); break;
        default: rc = mkg_err(c, "unsupported dtype %s", mk_dtypes[X->dtype].name); break;
        }
    }
#undef RS_LAUNCH
    if (rc == 0) rc = mkg_check_launch(c);
    mkg_free(t.mem, t.bytes);
    return rc;
}

/* resize_grad attrs: i[0] = H, i[1] = W (forward input), i[2] = method, i[3] = antialias;
 * dy [N,OH,OW,C] float32/float64 -> [N,H,W,C] */
int k_resize_grad_gpu(mk_call *c) {
    mk_tensor *D = c->in[0], *O = c->out[0];
    int64_t N = O->shape[0], H = O->shape[1], W = O->shape[2], C = O->shape[3];
    int64_t OH = D->shape[1], OW = D->shape[2];
    int64_t total = N * H * W * C;
    if (total == 0) return 0;
    int m = (int)c->a.i[2], aa = (int)c->a.i[3];
    axis_p py = make_axis(m, H, OH, aa), px = make_axis(m, W, OW, aa);
    tables t = {};
    if (make_tables(c, py, px, 1, &t) < 0) {
        if (t.mem) mkg_free(t.mem, t.bytes);
        return -1;
    }
    unsigned blocks = mkg_blocks(total);
    if (D->dtype == MK_F64)
        resample_grad_kernel<double><<<blocks, MKG_THREADS, 0, mkg_stream>>>(
            mkg_ptr<const double>(D), mkg_ptr<double>(O), N, H, W, C, OH, OW, t.ty, t.tx);
    else
        resample_grad_kernel<float><<<blocks, MKG_THREADS, 0, mkg_stream>>>(
            mkg_ptr<const float>(D), mkg_ptr<float>(O), N, H, W, C, OH, OW, t.ty, t.tx);
    int rc = mkg_check_launch(c);
    mkg_free(t.mem, t.bytes);
    return rc;
}

/* ---- projective transform (ImageProjectiveTransformV3) ------------------------------- */

/* float -> T as the CPU build converts (x86: through a 32-bit integer for uint8); values out
 * of the type's range (or NaN) are undefined in C: the GPU's conversions saturate */
template <typename T> __host__ __device__ inline T from_f(float v) { return (T)v; }
template <> __host__ __device__ inline uint8_t from_f<uint8_t>(float v) { return (uint8_t)(int32_t)v; }

template <typename T>
__host__ __device__ inline T transform_elem(const T *xin, const float *tr, int64_t i, int64_t H, int64_t W,
                                            int64_t C, int64_t OH, int64_t OW, int64_t T_n, int interp,
                                            int mode, float fill) {
    int64_t ch = i % C, r = i / C;
    int64_t ox = r % OW; r /= OW;
    int64_t oy = r % OH, n = r / OH;
    const float *t = tr + (T_n == 1 ? 0 : n * 8);
    const T *img = xin + n * H * W * C;
    float fx = (float)ox, fy = (float)oy;
    float proj = t[6] * fx + t[7] * fy + 1.f;
    if (proj == 0) return from_f<T>(fill);
    float inx = (t[0] * fx + t[1] * fy + t[2]) / proj;
    float iny = (t[3] * fx + t[4] * fy + t[5]) / proj;
    float xx = map_coord(inx, W, mode), yy = map_coord(iny, H, mode);
    if (interp == 0) {
        int64_t iy = (int64_t)roundf(yy), ix = (int64_t)roundf(xx);
        if (iy >= 0 && iy < H && ix >= 0 && ix < W) return img[(iy * W + ix) * C + ch];
        return from_f<T>(fill);
    } else {
        float yf = floorf(yy), xf = floorf(xx), yc = yf + 1, xc = xf + 1;
        int64_t y0 = (int64_t)yf, x0 = (int64_t)xf, y1 = (int64_t)yc, x1 = (int64_t)xc;
        bool vy0 = y0 >= 0 && y0 < H, vy1 = y1 >= 0 && y1 < H;
        bool vx0 = x0 >= 0 && x0 < W, vx1 = x1 >= 0 && x1 < W;
        float p00 = vy0 && vx0 ? (float)img[(y0 * W + x0) * C + ch] : fill;
        float p01 = vy0 && vx1 ? (float)img[(y0 * W + x1) * C + ch] : fill;
        float p10 = vy1 && vx0 ? (float)img[(y1 * W + x0) * C + ch] : fill;
        float p11 = vy1 && vx1 ? (float)img[(y1 * W + x1) * C + ch] : fill;
        float vf = (xc - xx) * p00 + (xx - xf) * p01;
        float vc = (xc - xx) * p10 + (xx - xf) * p11;
        return from_f<T>((yc - yy) * vf + (yy - yf) * vc);
    }
}

template <typename T>
__global__ void transform_kernel(const T *__restrict__ xin, const float *__restrict__ tr, T *__restrict__ y,
                                 int64_t N, int64_t H, int64_t W, int64_t C, int64_t OH, int64_t OW,
                                 int64_t T_n, int interp, int mode, float fill) {
    MKG_GRID_STRIDE(i, N * OH * OW * C)
        y[i] = transform_elem<T>(xin, tr, i, H, W, C, OH, OW, T_n, interp, mode, fill);
}

template <typename T>
__global__ void fill_kernel(T *y, int64_t n, float fill) {
    MKG_GRID_STRIDE(i, n) y[i] = from_f<T>(fill);
}

/* attrs: i[0] = out_h, i[1] = out_w, i[2] = interpolation (0 nearest, 1 bilinear),
 * i[3] = fill mode (0 reflect, 1 wrap, 2 constant, 3 nearest), f[0] = fill_value */
int k_transform_gpu(mk_call *c) {
    mk_tensor *X = c->in[0], *Tt = c->in[1], *O = c->out[0];
    int64_t N = X->shape[0], H = X->shape[1], W = X->shape[2], C = X->shape[3];
    int64_t OH = O->shape[1], OW = O->shape[2], T_n = Tt->shape[0];
    int interp = (int)c->a.i[2], mode = (int)c->a.i[3];
    float fill = (float)c->a.f[0];
    int64_t total = N * OH * OW * C;
    if (total == 0) return 0;
    unsigned blocks = mkg_blocks(total);
#define TR_LAUNCH(T)                                                                             \
    if (H == 0 || W == 0) /* nothing to sample: every pixel is the fill value */                 \
        fill_kernel<T><<<blocks, MKG_THREADS, 0, mkg_stream>>>(mkg_ptr<T>(O), total, fill);      \
    else                                                                                         \
        transform_kernel<T><<<blocks, MKG_THREADS, 0, mkg_stream>>>(                             \
            mkg_ptr<const T>(X), mkg_ptr<const float>(Tt), mkg_ptr<T>(O), N, H, W, C, OH, OW,    \
            T_n, interp, mode, fill);
    switch (X->dtype) {
    case MK_F32: TR_LAUNCH(float) break;
    case MK_F64: TR_LAUNCH(double) break;
    case MK_U8: TR_LAUNCH(uint8_t) break;
    case MK_I32: TR_LAUNCH(int32_t) break;
    case MK_I64: TR_LAUNCH(int64_t) break;
    default: return mkg_err(c, "unsupported dtype %s", mk_dtypes[X->dtype].name);
    }
#undef TR_LAUNCH
    return mkg_check_launch(c);
}

/* ---- colour spaces (image.c's formulas, one thread per pixel) ------------------------- */
template <typename T> __host__ __device__ inline T clamp01(T x) { return x < 0 ? (T)0 : x > 1 ? (T)1 : x; }

template <typename T>
__host__ __device__ inline void rgb2hsv(T r, T g, T b, T &h, T &s, T &v) {
    T mx = r > g ? r : g; mx = mx > b ? mx : b;
    T mn = r < g ? r : g; mn = mn < b ? mn : b;
    T range = mx - mn;
    v = mx;
    s = mx > 0 ? range / mx : (T)0;
    T norm = (T)1 / ((T)6 * range);
    if (range > 0) {
        if (r == mx) h = norm * (g - b);
        else if (g == mx) h = norm * (b - r) + (T)2 / (T)6;
        else h = norm * (r - g) + (T)4 / (T)6;
        if (h < 0) h += (T)1;
    } else h = 0;
}

template <typename T>
__host__ __device__ inline void hsv2rgb(T h, T s, T v, T &r, T &g, T &b) {
    T dh = h * (T)6;
    T dr = clamp01<T>(fabs(dh - (T)3) - (T)1);
    T dg = clamp01<T>(-fabs(dh - (T)2) + (T)2);
    T db = clamp01<T>(-fabs(dh - (T)4) + (T)2);
    T one_s = (T)1 - s;
    r = (one_s + s * dr) * v;
    g = (one_s + s * dg) * v;
    b = (one_s + s * db) * v;
}

template <typename T>
__global__ void rgb_to_hsv_kernel(const T *__restrict__ x, T *__restrict__ o, int64_t n) {
    MKG_GRID_STRIDE(i, n) {
        T h, s, v;
        rgb2hsv<T>(x[3 * i], x[3 * i + 1], x[3 * i + 2], h, s, v);
        o[3 * i] = h; o[3 * i + 1] = s; o[3 * i + 2] = v;
    }
}

template <typename T>
__global__ void hsv_to_rgb_kernel(const T *__restrict__ x, T *__restrict__ o, int64_t n) {
    MKG_GRID_STRIDE(i, n) {
        T r, g, b;
        hsv2rgb<T>(x[3 * i], x[3 * i + 1], x[3 * i + 2], r, g, b);
        o[3 * i] = r; o[3 * i + 1] = g; o[3 * i + 2] = b;
    }
}

/* adjust_hsv (image.c's ADJUST, and SATURATE when the hue delta is 0) */
template <typename T>
__host__ __device__ inline void adjust_px(const T *x, T *o, T d, T f) {
    T r = x[0], g = x[1], b = x[2];
    T mx = r > g ? r : g; mx = mx > b ? mx : b;
    T mn = r < g ? r : g; mn = mn < b ? mn : b;
    T range = mx - mn;
    if (d == 0) {   /* saturation only: out_k = v - k * (v - c_k), k = clamp(f, 0, v / range) */
        T lim = range > 0 ? mx / range : (T)0;
        T k = f < lim ? f : lim;
        k = k > 0 ? k : (T)0;
        if (!(range > 0)) k = (T)1;
        o[0] = mx - k * (mx - r);
        o[1] = mx - k * (mx - g);
        o[2] = mx - k * (mx - b);
        return;
    }
    const T third = (T)1 / (T)3;
    T inv = range > 0 ? (T)1 / ((T)6 * range) : (T)0;
    T hr = (g - b) * inv, hg = (b - r) * inv + third, hb = (r - g) * inv + 2 * third;
    T h = r == mx ? hr : (g == mx ? hg : hb);
    h = h < 0 ? h + 1 : h;
    h = h + d;
    h = h - floor(h);
    T s = mx > 0 ? range / mx : (T)0;
    T sf = s * f;
    sf = sf < 0 ? (T)0 : sf > 1 ? (T)1 : sf;
    s = f == 1 ? s : sf;
    T t = h * 6;
    T fr = fabs(t - 3) - 1, fg = 2 - fabs(t - 2), fb = 2 - fabs(t - 4);
    fr = fr < 0 ? (T)0 : fr > 1 ? (T)1 : fr;
    fg = fg < 0 ? (T)0 : fg > 1 ? (T)1 : fg;
    fb = fb < 0 ? (T)0 : fb > 1 ? (T)1 : fb;
    T one_s = 1 - s;
    o[0] = (one_s + s * fr) * mx;
    o[1] = (one_s + s * fg) * mx;
    o[2] = (one_s + s * fb) * mx;
}

/* delta and scale are 1-element device tensors, read here (never on the host) */
template <typename T>
__global__ void adjust_hsv_kernel(const T *__restrict__ x, const T *__restrict__ dh,
                                  const T *__restrict__ fs, T *__restrict__ o, int64_t n) {
    const T d = *dh, f = *fs;
    MKG_GRID_STRIDE(i, n) adjust_px<T>(x + 3 * i, o + 3 * i, d, f);
}

/* hsv_grad attrs: i[0] = 0 (gradient of rgb_to_hsv) or 1 (of hsv_to_rgb); computed in double
 * as image.c does */
template <typename T>
__global__ void hsv_grad_kernel(const T *__restrict__ xv, const T *__restrict__ dv, T *__restrict__ ov,
                                int64_t n, int dir) {
    MKG_GRID_STRIDE(i, n) {
        double x[3], dy[3], dx[3];
        for (int k = 0; k < 3; k++) { x[k] = (double)xv[3 * i + k]; dy[k] = (double)dv[3 * i + k]; }
        if (dir == 0) grad_rgb_to_hsv(x, dy, dx);
        else grad_hsv_to_rgb(x, dy, dx);
        for (int k = 0; k < 3; k++) ov[3 * i + k] = (T)dx[k];
    }
}

/* infer allowed float32 / float64 only (float16 arrives as float32) */
#define FLOAT_DISPATCH(dt, T, ...)                                                              \
    switch (dt) {                                                                               \
    case MK_F32: { typedef float T; __VA_ARGS__; break; }                                       \
    case MK_F64: { typedef double T; __VA_ARGS__; break; }                                      \
    default: return mkg_err(c, "unsupported dtype %s", mk_dtypes[dt].name);                     \
    }

int k_rgb_to_hsv_gpu(mk_call *c) {
    mk_tensor *X = c->in[0], *O = c->out[0];
    int64_t n = mk_numel(X) / 3;
    if (n == 0) return 0;
    FLOAT_DISPATCH(X->dtype, T,
        rgb_to_hsv_kernel<T><<<mkg_blocks(n), MKG_THREADS, 0, mkg_stream>>>(
            mkg_ptr<const T>(X), mkg_ptr<T>(O), n))
    return mkg_check_launch(c);
}

int k_hsv_to_rgb_gpu(mk_call *c) {
    mk_tensor *X = c->in[0], *O = c->out[0];
    int64_t n = mk_numel(X) / 3;
    if (n == 0) return 0;
    FLOAT_DISPATCH(X->dtype, T,
        hsv_to_rgb_kernel<T><<<mkg_blocks(n), MKG_THREADS, 0, mkg_stream>>>(
            mkg_ptr<const T>(X), mkg_ptr<T>(O), n))
    return mkg_check_launch(c);
}

int k_adjust_hsv_gpu(mk_call *c) {
    mk_tensor *X = c->in[0], *O = c->out[0];
    int64_t n = mk_numel(X) / 3;
    if (n == 0) return 0;
    FLOAT_DISPATCH(X->dtype, T,
        adjust_hsv_kernel<T><<<mkg_blocks(n), MKG_THREADS, 0, mkg_stream>>>(
            mkg_ptr<const T>(X), mkg_ptr<const T>(c->in[1]), mkg_ptr<const T>(c->in[2]),
            mkg_ptr<T>(O), n))
    return mkg_check_launch(c);
}

int k_hsv_grad_gpu(mk_call *c) {
    mk_tensor *X = c->in[0], *D = c->in[1], *O = c->out[0];
    int64_t n = mk_numel(X) / 3;
    if (n == 0) return 0;
    int dir = (int)c->a.i[0];
    FLOAT_DISPATCH(X->dtype, T,
        hsv_grad_kernel<T><<<mkg_blocks(n), MKG_THREADS, 0, mkg_stream>>>(
            mkg_ptr<const T>(X), mkg_ptr<const T>(D), mkg_ptr<T>(O), n, dir))
    return mkg_check_launch(c);
}

} // namespace

void mkg_register_image(mk_opdef *ops) {
    ops[MK_OP_RESIZE].kernel[MK_GPU] = k_resize_gpu;
    ops[MK_OP_RESIZE_GRAD].kernel[MK_GPU] = k_resize_grad_gpu;
    ops[MK_OP_IMAGE_PROJECTIVE_TRANSFORM].kernel[MK_GPU] = k_transform_gpu;
    ops[MK_OP_RGB_TO_HSV].kernel[MK_GPU] = k_rgb_to_hsv_gpu;
    ops[MK_OP_HSV_TO_RGB].kernel[MK_GPU] = k_hsv_to_rgb_gpu;
    ops[MK_OP_ADJUST_HSV].kernel[MK_GPU] = k_adjust_hsv_gpu;
    ops[MK_OP_HSV_GRAD].kernel[MK_GPU] = k_hsv_grad_gpu;
}
