/* Pool family on the GPU (the twin of pool.c: same ops, attributes, NHWC data).
 * These are direct kernels, not cuDNN: cuDNN's legacy pooling pads symmetrically, so it cannot
 * do TF's SAME padding with the odd extra row/column at the bottom/right while excluding the
 * padding from the average's divisor (explicit zero padding would be counted), and its max
 * pooling backward does not promise pool.c's rule (the gradient goes to the FIRST maximum of the
 * window in row-major order; NaN only wins when it is the window's first element) — which
 * max_pool2d_grad_grad must share with max_pool2d_grad.  Pooling is memory-bound: one thread
 * per output (forward, grad_grad) or per input element (backward, gather form: no atomics,
 * deterministic, windows added in pool.c's order), channels fastest so warps read coalesced.
 * float32 and float64 (float16 goes through float32 in mk_exec).
 * Attributes: i[0..1] = ksize h, w; i[2..3] = strides h, w; i[4] = padding (0 VALID, 1 SAME);
 * avg_pool2d_grad: i[5..6] = the forward input's H, W. */
#include "cuda_common.cuh"

namespace {

struct pgeom {
    int64_t N, H, W, C, OH, OW, kh, kw, sh, sw, ph, pw;
};

/* pool.c's pool_dim (infer already rejected negative sizes) */
void pool_dim(int64_t in, int64_t k, int64_t s, int same, int64_t *out, int64_t *pb) {
    if (same) {
        *out = (in + s - 1) / s;
        int64_t pt = (*out - 1) * s + k - in;
        if (pt < 0) pt = 0;
        *pb = *out > 0 ? pt / 2 : 0;
    } else {
        *out = (in - k + s) / s;
        *pb = 0;
    }
}

pgeom make_geom(const mk_call *c, int64_t N, int64_t H, int64_t W, int64_t C) {
    pgeom g;
    g.N = N; g.H = H; g.W = W; g.C = C;
    g.kh = c->a.i[0]; g.kw = c->a.i[1]; g.sh = c->a.i[2]; g.sw = c->a.i[3];
    int same = (int)c->a.i[4];
    pool_dim(H, g.kh, g.sh, same, &g.OH, &g.ph);
    pool_dim(W, g.kw, g.sw, same, &g.OW, &g.pw);
    return g;
}

pgeom geom_x(const mk_call *c, const mk_tensor *X) {
    return make_geom(c, X->shape[0], X->shape[1], X->shape[2], X->shape[3]);
}

/* the window of output (oy, ox), clipped to the input */
__device__ __forceinline__ void window(const pgeom &g, int64_t oy, int64_t ox, int64_t &y0, int64_t &y1,
                                       int64_t &x0, int64_t &x1) {
    y0 = oy * g.sh - g.ph; x0 = ox * g.sw - g.pw;
    y1 = y0 + g.kh; x1 = x0 + g.kw;
    if (y0 < 0) y0 = 0;
    if (x0 < 0) x0 = 0;
    if (y1 > g.H) y1 = g.H;
    if (x1 > g.W) x1 = g.W;
}

/* first maximum of the window in row-major order (pool.c's win_max: starts from the window's
 * first element and moves only on a strictly greater value): its value and (iy, ix).
 * xi points at channel c of image n; pixel stride C. */
template <typename T>
__device__ __forceinline__ T win_argmax(const T *xi, const pgeom &g, int64_t oy, int64_t ox, int64_t &by,
                                        int64_t &bx) {
    int64_t y0, y1, x0, x1;
    window(g, oy, ox, y0, y1, x0, x1);
    T best = xi[(y0 * g.W + x0) * g.C];
    by = y0; bx = x0;
    for (int64_t iy = y0; iy < y1; iy++)
        for (int64_t ix = (iy == y0 ? x0 + 1 : x0); ix < x1; ix++) {
            T v = xi[(iy * g.W + ix) * g.C];
            if (v > best) { best = v; by = iy; bx = ix; }
        }
    return best;
}

/* i over [N, OH, OW, C] -> (n, oy, ox, ch) */
__device__ __forceinline__ void split_out(const pgeom &g, int64_t i, int64_t &n, int64_t &oy, int64_t &ox,
                                          int64_t &ch) {
    ch = i % g.C; int64_t r = i / g.C;
    ox = r % g.OW; r /= g.OW;
    oy = r % g.OH; n = r / g.OH;
}

/* i over [N, H, W, C] -> (n, iy, ix, ch) */
__device__ __forceinline__ void split_in(const pgeom &g, int64_t i, int64_t &n, int64_t &iy, int64_t &ix,
                                         int64_t &ch) {
    ch = i % g.C; int64_t r = i / g.C;
    ix = r % g.W; r /= g.W;
    iy = r % g.H; n = r / g.H;
}

/* the outputs whose windows hold input (iy, ix): oy in [oy0, oy1], ox in [ox0, ox1] (pool.c's avg_bwd) */
__device__ __forceinline__ void covering(const pgeom &g, int64_t iy, int64_t ix, int64_t &oy0, int64_t &oy1,
                                         int64_t &ox0, int64_t &ox1) {
    int64_t a = iy + g.ph - g.kh + 1;
    oy0 = a <= 0 ? 0 : (a + g.sh - 1) / g.sh;
    oy1 = (iy + g.ph) / g.sh;
    if (oy1 > g.OH - 1) oy1 = g.OH - 1;
    int64_t b = ix + g.pw - g.kw + 1;
    ox0 = b <= 0 ? 0 : (b + g.sw - 1) / g.sw;
    ox1 = (ix + g.pw) / g.sw;
    if (ox1 > g.OW - 1) ox1 = g.OW - 1;
}

template <typename T>
__global__ void k_max_fwd(const T *__restrict__ x, T *__restrict__ y, int64_t n, pgeom g) {
    MKG_GRID_STRIDE(i, n) {
        int64_t b, oy, ox, ch, by, bx;
        split_out(g, i, b, oy, ox, ch);
        y[i] = win_argmax(x + b * g.H * g.W * g.C + ch, g, oy, ox, by, bx);
    }
}

template <typename T>
__global__ void k_avg_fwd(const T *__restrict__ x, T *__restrict__ y, int64_t n, pgeom g) {
    MKG_GRID_STRIDE(i, n) {
        int64_t b, oy, ox, ch, y0, y1, x0, x1;
        split_out(g, i, b, oy, ox, ch);
        window(g, oy, ox, y0, y1, x0, x1);
        const T *xi = x + b * g.H * g.W * g.C + ch;
        T s = 0;
        for (int64_t iy = y0; iy < y1; iy++)
            for (int64_t ix = x0; ix < x1; ix++) s += xi[(iy * g.W + ix) * g.C];
        T inv = (T)1 / (T)((y1 - y0) * (x1 - x0));   /* padding not counted (TF's AvgPool) */
        y[i] = s * inv;
    }
}

/* dx[n,iy,ix,c] = sum of dy over the windows whose first maximum is (iy, ix) */
template <typename T>
__global__ void k_max_bwd(const T *__restrict__ x, const T *__restrict__ dy, T *__restrict__ dx, int64_t n,
                          pgeom g) {
    MKG_GRID_STRIDE(i, n) {
        int64_t b, iy, ix, ch, oy0, oy1, ox0, ox1;
        split_in(g, i, b, iy, ix, ch);
        covering(g, iy, ix, oy0, oy1, ox0, ox1);
        const T *xi = x + b * g.H * g.W * g.C + ch;
        const T *d = dy + b * g.OH * g.OW * g.C + ch;
        T s = 0;
        for (int64_t oy = oy0; oy <= oy1; oy++)
            for (int64_t ox = ox0; ox <= ox1; ox++) {
                int64_t by, bx;
                win_argmax(xi, g, oy, ox, by, bx);
                if (by == iy && bx == ix) s += d[(oy * g.OW + ox) * g.C];
            }
        dx[i] = s;
    }
}

/* out[n,oy,ox,c] = gg at the window's first maximum */
template <typename T>
__global__ void k_max_gg(const T *__restrict__ x, const T *__restrict__ gg, T *__restrict__ out, int64_t n,
                         pgeom g) {
    MKG_GRID_STRIDE(i, n) {
        int64_t b, oy, ox, ch, by, bx;
        split_out(g, i, b, oy, ox, ch);
        int64_t base = b * g.H * g.W * g.C + ch;
        win_argmax(x + base, g, oy, ox, by, bx);
        out[i] = gg[base + (by * g.W + bx) * g.C];
    }
}

/* dx[n,iy,ix,c] = sum over the windows holding (iy,ix) of dy / (the window's valid count) */
template <typename T>
__global__ void k_avg_bwd(const T *__restrict__ dy, T *__restrict__ dx, int64_t n, pgeom g) {
    MKG_GRID_STRIDE(i, n) {
        int64_t b, iy, ix, ch, oy0, oy1, ox0, ox1;
        split_in(g, i, b, iy, ix, ch);
        covering(g, iy, ix, oy0, oy1, ox0, ox1);
        const T *d = dy + b * g.OH * g.OW * g.C + ch;
        T s = 0;
        for (int64_t oy = oy0; oy <= oy1; oy++)
            for (int64_t ox = ox0; ox <= ox1; ox++) {
                int64_t y0, y1, x0, x1;
                window(g, oy, ox, y0, y1, x0, x1);
                T inv = (T)1 / (T)((y1 - y0) * (x1 - x0));
                s += d[(oy * g.OW + ox) * g.C] * inv;
            }
        dx[i] = s;
    }
}

template <typename T> const T *cin(const mk_call *c, int k) { return (const T *)mk_data(c->in[k]); }
template <typename T> T *cout(const mk_call *c) { return (T *)mk_data(c->out[0]); }

int k_max_pool_gpu(mk_call *c) {
    pgeom g = geom_x(c, c->in[0]);
    int64_t n = mk_numel(c->out[0]);
    if (n == 0) return 0;
    if (c->out[0]->dtype == MK_F32)
        k_max_fwd<float><<<mkg_blocks(n), MKG_THREADS, 0, mkg_stream>>>(cin<float>(c, 0), cout<float>(c), n, g);
    else
        k_max_fwd<double><<<mkg_blocks(n), MKG_THREADS, 0, mkg_stream>>>(cin<double>(c, 0), cout<double>(c), n, g);
    return mkg_check_launch(c);
}

int k_avg_pool_gpu(mk_call *c) {
    pgeom g = geom_x(c, c->in[0]);
    int64_t n = mk_numel(c->out[0]);
    if (n == 0) return 0;
    if (c->out[0]->dtype == MK_F32)
        k_avg_fwd<float><<<mkg_blocks(n), MKG_THREADS, 0, mkg_stream>>>(cin<float>(c, 0), cout<float>(c), n, g);
    else
        k_avg_fwd<double><<<mkg_blocks(n), MKG_THREADS, 0, mkg_stream>>>(cin<double>(c, 0), cout<double>(c), n, g);
    return mkg_check_launch(c);
}

/* max_pool2d_grad(x, dy) -> dx [N,H,W,C] (every element written: 0 where no window picks it) */
int k_max_grad_gpu(mk_call *c) {
    pgeom g = geom_x(c, c->in[0]);
    int64_t n = mk_numel(c->out[0]);
    if (n == 0) return 0;
    if (c->out[0]->dtype == MK_F32)
        k_max_bwd<float><<<mkg_blocks(n), MKG_THREADS, 0, mkg_stream>>>(cin<float>(c, 0), cin<float>(c, 1),
                                                                        cout<float>(c), n, g);
    else
        k_max_bwd<double><<<mkg_blocks(n), MKG_THREADS, 0, mkg_stream>>>(cin<double>(c, 0), cin<double>(c, 1),
                                                                         cout<double>(c), n, g);
    return mkg_check_launch(c);
}

/* max_pool2d_grad_grad(x, g [N,H,W,C]) -> [N,OH,OW,C] */
int k_max_grad_grad_gpu(mk_call *c) {
    pgeom g = geom_x(c, c->in[0]);
    int64_t n = mk_numel(c->out[0]);
    if (n == 0) return 0;
    if (c->out[0]->dtype == MK_F32)
        k_max_gg<float><<<mkg_blocks(n), MKG_THREADS, 0, mkg_stream>>>(cin<float>(c, 0), cin<float>(c, 1),
                                                                       cout<float>(c), n, g);
    else
        k_max_gg<double><<<mkg_blocks(n), MKG_THREADS, 0, mkg_stream>>>(cin<double>(c, 0), cin<double>(c, 1),
                                                                        cout<double>(c), n, g);
    return mkg_check_launch(c);
}

/* avg_pool2d_grad(dy; i[5], i[6] = H, W) -> dx [N,H,W,C] */
int k_avg_grad_gpu(mk_call *c) {
    const mk_tensor *D = c->in[0];
    pgeom g = make_geom(c, D->shape[0], c->a.i[5], c->a.i[6], D->shape[3]);
    int64_t n = mk_numel(c->out[0]);
    if (n == 0) return 0;
    if (c->out[0]->dtype == MK_F32)
        k_avg_bwd<float><<<mkg_blocks(n), MKG_THREADS, 0, mkg_stream>>>(cin<float>(c, 0), cout<float>(c), n, g);
    else
        k_avg_bwd<double><<<mkg_blocks(n), MKG_THREADS, 0, mkg_stream>>>(cin<double>(c, 0), cout<double>(c), n, g);
    return mkg_check_launch(c);
}

}  // namespace

void mkg_register_pool(mk_opdef *ops) {
    ops[MK_OP_MAX_POOL2D].kernel[MK_GPU] = k_max_pool_gpu;
    ops[MK_OP_AVG_POOL2D].kernel[MK_GPU] = k_avg_pool_gpu;
    ops[MK_OP_MAX_POOL2D_GRAD].kernel[MK_GPU] = k_max_grad_gpu;
    ops[MK_OP_MAX_POOL2D_GRAD_GRAD].kernel[MK_GPU] = k_max_grad_grad_gpu;
    ops[MK_OP_AVG_POOL2D_GRAD].kernel[MK_GPU] = k_avg_grad_gpu;
}
