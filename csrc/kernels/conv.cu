/* Conv family on the GPU (the twin of conv.c: same ops, same attributes, NHWC data, HWIO
 * filters).  Every op is one cuDNN legacy call (cudnnConvolutionForward / BackwardData /
 * BackwardFilter) plus small relayout kernels:
 *   - filters: cuDNN takes KRSC (NHWC filter format) or KCRS, not TF's HWIO [KH,KW,CIg,CO],
 *     so the filter is transposed into scratch (and the filter gradient transposed back);
 *   - TF's SAME padding puts the odd extra row/column at the bottom/right, cuDNN pads
 *     symmetrically: as TF does, the input is zero-padded by that one row/column into
 *     scratch and cuDNN pads the rest symmetrically (backprop_input crops it back off);
 *   - float32 runs in NHWC; float64 (cuDNN has no NHWC double convolutions) and any float32
 *     shape for which no NHWC algorithm runs go through NCHW copies.
 * Grouped conv2d: cuDNN group count G = CI / CIg (same channel blocks as conv.c).
 * Depthwise: groups = C; the filter [KH,KW,C,DM] is the HWIO filter [KH,KW,1,C*DM] (output
 * channel c*DM+m belongs to group c), so it shares every code path with conv2d.
 * The fused bias + relu of the forward ops is a small kernel after the convolution.
 * Algorithms come from the cudnnGet*Algorithm_v7 heuristics (no benchmarking: Find* would
 * synchronise and could not be captured in a CUDA Graph), cached per shape; the first one
 * that runs is used, its workspace from mkg_alloc.  float32 may use TF32 tensor cores only
 * when mkg_tf32_enabled() (CUDNN_FMA_MATH otherwise). */
#include "cuda_common.cuh"
#include <map>
#include <mutex>
#include <vector>
#include <climits>

namespace {

/* ---- geometry (conv.c's get_geom without the checks: infer already ran) ---------- */
struct cgeom {
    int64_t N, H, W, CI, KH, KW, CIg, CO, OH, OW, sh, sw, dh, dw, ph, pw, G;
    int64_t eh, ew;   /* extra bottom / right zero row / column of TF's odd SAME padding */
    int64_t Cf, Gc;   /* cuDNN's filter in-channels and group count */
};

void conv_dim(int64_t in, int64_t k, int64_t s, int64_t d, int same, int64_t *out, int64_t *pb,
              int64_t *extra) {
    int64_t ek = (k - 1) * d + 1;
    if (same) {
        *out = (in + s - 1) / s;
        int64_t pt = (*out - 1) * s + ek - in;
        if (pt < 0) pt = 0;
        *pb = pt / 2;
        *extra = pt - 2 * *pb;
    } else {
        *out = in >= ek ? (in - ek) / s + 1 : 0;
        *pb = 0;
        *extra = 0;
    }
}

/* which: 0 conv2d, 1 backprop_input, 2 backprop_filter; 3..5 the same for depthwise */
cgeom get_geom(const mk_call *c, int which) {
    cgeom g;
    const mk_tensor *A = c->in[0], *B = c->in[1];
    int depthwise = which >= 3, kind = which % 3;
    if (kind == 0) {
        g.N = A->shape[0]; g.H = A->shape[1]; g.W = A->shape[2]; g.CI = A->shape[3];
        g.KH = B->shape[0]; g.KW = B->shape[1]; g.CIg = B->shape[2]; g.CO = B->shape[3];
    } else if (kind == 1) {
        g.N = A->shape[0]; g.H = c->a.i[5]; g.W = c->a.i[6]; g.CI = c->a.i[7];
        g.KH = B->shape[0]; g.KW = B->shape[1]; g.CIg = B->shape[2]; g.CO = B->shape[3];
    } else {
        g.N = A->shape[0]; g.H = A->shape[1]; g.W = A->shape[2]; g.CI = A->shape[3];
        g.KH = c->a.i[5]; g.KW = c->a.i[6]; g.CIg = c->a.i[7]; g.CO = B->shape[3];
    }
    if (depthwise) {
        if (kind != 2) { g.CIg = B->shape[3]; g.CO = g.CI * g.CIg; }   /* CIg = DM */
        g.G = g.CI;
        g.Cf = 1;
        g.Gc = g.CI;
    } else {
        g.G = g.CIg == 0 ? 1 : g.CI / g.CIg;
        g.Cf = g.CIg;
        g.Gc = g.G;
    }
    g.sh = c->a.i[0]; g.sw = c->a.i[1]; g.dh = c->a.i[2]; g.dw = c->a.i[3];
    conv_dim(g.H, g.KH, g.sh, g.dh, (int)c->a.i[4], &g.OH, &g.ph, &g.eh);
    conv_dim(g.W, g.KW, g.sw, g.dw, (int)c->a.i[4], &g.OW, &g.pw, &g.ew);
    return g;
}

/* ---- relayout: copy a logical [n, c, h, w] tensor between layouts ----------------
 * Layouts: NCHW, NHWC, HWIO (a filter: n = out channels, c = in channels, h, w = KH, KW).
 * The destination is dense in its layout; where its h / w exceed the source's, it gets
 * zeros (padding), where they are smaller the source is cropped. */
enum { L_NCHW = 0, L_NHWC = 1, L_HWIO = 2 };

struct relay {
    int64_t shape[4];   /* destination dims in its memory order */
    int64_t sstr[4];    /* source strides of those dims */
    int64_t lim[4];     /* source extents of those dims: beyond them, zeros */
};

template <typename T>
__global__ void k_relayout(const T *__restrict__ src, T *__restrict__ dst, int64_t n, relay r) {
    MKG_GRID_STRIDE(i, n) {
        int64_t rem = i, off = 0;
        bool in = true;
        for (int d = 3; d >= 0; d--) {
            int64_t q = rem / r.shape[d], x = rem - q * r.shape[d];
            rem = q;
            if (x >= r.lim[d]) in = false;
            off += x * r.sstr[d];
        }
        dst[i] = in ? src[off] : T(0);
    }
}

/* strides of the logical dims (n, c, h, w) of a dense tensor in layout `lay` */
void lay_strides(int lay, const int64_t d[4], int64_t s[4]) {
    int64_t n = d[0], c = d[1], h = d[2], w = d[3];
    (void)h;
    if (lay == L_NCHW) { s[0] = c * h * w; s[1] = h * w; s[2] = w; s[3] = 1; }
    else if (lay == L_NHWC) { s[0] = h * w * c; s[1] = 1; s[2] = w * c; s[3] = c; }
    else { s[0] = 1; s[1] = n; s[2] = w * c * n; s[3] = c * n; }
}

/* the logical dims in memory order */
void lay_order(int lay, int o[4]) {
    static const int ord[3][4] = {{0, 1, 2, 3}, {0, 2, 3, 1}, {2, 3, 1, 0}};
    for (int k = 0; k < 4; k++) o[k] = ord[lay][k];
}

int relayout(mk_call *c, int dt, const void *src, int slay, const int64_t sd[4], void *dst, int dlay,
             const int64_t dd[4]) {
    int64_t ss[4];
    int o[4];
    lay_strides(slay, sd, ss);
    lay_order(dlay, o);
    relay r;
    int64_t n = 1;
    for (int k = 0; k < 4; k++) {
        r.shape[k] = dd[o[k]];
        r.sstr[k] = ss[o[k]];
        r.lim[k] = sd[o[k]];
        n *= dd[o[k]];
    }
    if (n == 0) return 0;
    if (dt == MK_F32)
        k_relayout<float><<<mkg_blocks(n), MKG_THREADS, 0, mkg_stream>>>((const float *)src, (float *)dst, n, r);
    else
        k_relayout<double><<<mkg_blocks(n), MKG_THREADS, 0, mkg_stream>>>((const double *)src, (double *)dst, n, r);
    return mkg_check_launch(c);
}

/* y[i] = act(y[i] + bias[i % C]) over a dense NHWC output (relu as conv.c: NaN -> 0) */
template <typename T>
__global__ void k_bias_act(T *y, int64_t n, int64_t C, const T *bias, int relu) {
    MKG_GRID_STRIDE(i, n) {
        T v = y[i];
        if (bias) v += bias[i % C];
        if (relu) v = v > T(0) ? v : T(0);
        y[i] = v;
    }
}

int bias_act(mk_call *c, int dt, void *y, int64_t n, int64_t C, const void *bias, int relu) {
    if (n == 0 || (!bias && !relu)) return 0;
    if (dt == MK_F32)
        k_bias_act<float><<<mkg_blocks(n), MKG_THREADS, 0, mkg_stream>>>((float *)y, n, C, (const float *)bias, relu);
    else
        k_bias_act<double><<<mkg_blocks(n), MKG_THREADS, 0, mkg_stream>>>((double *)y, n, C, (const double *)bias, relu);
    return mkg_check_launch(c);
}

/* ---- scratch and descriptors, released at scope exit -------------------------- */
struct scratch {
    std::vector<std::pair<void *, size_t>> v;
    void *get(size_t n) {
        void *p = mkg_alloc(n);
        if (p) v.push_back({p, n});
        return p;
    }
    ~scratch() { for (auto &e : v) mkg_free(e.first, e.second); }
};

struct descs {
    cudnnTensorDescriptor_t x = nullptr, y = nullptr;
    cudnnFilterDescriptor_t f = nullptr;
    cudnnConvolutionDescriptor_t cv = nullptr;
    ~descs() {
        if (x) cudnnDestroyTensorDescriptor(x);
        if (y) cudnnDestroyTensorDescriptor(y);
        if (f) cudnnDestroyFilterDescriptor(f);
        if (cv) cudnnDestroyConvolutionDescriptor(cv);
    }
};

enum { D_FWD = 0, D_BWD_DATA = 1, D_BWD_FILTER = 2 };

struct algo_choice {
    int algo;
    cudnnMathType_t math;
};

std::mutex cache_mu;
std::map<std::vector<int64_t>, std::vector<algo_choice>> algo_cache;

bool is_not_supported(cudnnStatus_t s) { return (int)s / 1000 == 3 || (int)s / 1000 == 2; }

/* heuristics' ranked list of the algorithms usable for these descriptors */
template <typename Perf>
void keep_algos(const Perf *p, int got, bool no_tensor_ops, std::vector<algo_choice> &out) {
    for (int i = 0; i < got; i++) {
        if (p[i].status != CUDNN_STATUS_SUCCESS) continue;
        if (no_tensor_ops && p[i].mathType != CUDNN_FMA_MATH && p[i].mathType != CUDNN_DEFAULT_MATH) continue;
        out.push_back({(int)p[i].algo, p[i].mathType});
    }
}

cudnnStatus_t find_algos(int dir, cudnnHandle_t h, const descs &d, bool no_tensor_ops,
                         std::vector<algo_choice> &out) {
    int maxc = 0, got = 0;
    cudnnStatus_t s;
    if (dir == D_FWD) {
        if ((s = cudnnGetConvolutionForwardAlgorithmMaxCount(h, &maxc)) != CUDNN_STATUS_SUCCESS) return s;
        std::vector<cudnnConvolutionFwdAlgoPerf_t> p(maxc > 0 ? maxc : 1);
        s = cudnnGetConvolutionForwardAlgorithm_v7(h, d.x, d.f, d.cv, d.y, maxc, &got, p.data());
        if (s == CUDNN_STATUS_SUCCESS) keep_algos(p.data(), got, no_tensor_ops, out);
    } else if (dir == D_BWD_DATA) {
        if ((s = cudnnGetConvolutionBackwardDataAlgorithmMaxCount(h, &maxc)) != CUDNN_STATUS_SUCCESS) return s;
        std::vector<cudnnConvolutionBwdDataAlgoPerf_t> p(maxc > 0 ? maxc : 1);
        s = cudnnGetConvolutionBackwardDataAlgorithm_v7(h, d.f, d.y, d.cv, d.x, maxc, &got, p.data());
        if (s == CUDNN_STATUS_SUCCESS) keep_algos(p.data(), got, no_tensor_ops, out);
    } else {
        if ((s = cudnnGetConvolutionBackwardFilterAlgorithmMaxCount(h, &maxc)) != CUDNN_STATUS_SUCCESS) return s;
        std::vector<cudnnConvolutionBwdFilterAlgoPerf_t> p(maxc > 0 ? maxc : 1);
        s = cudnnGetConvolutionBackwardFilterAlgorithm_v7(h, d.x, d.y, d.cv, d.f, maxc, &got, p.data());
        if (s == CUDNN_STATUS_SUCCESS) keep_algos(p.data(), got, no_tensor_ops, out);
    }
    return s;
}

bool fits_int(int64_t v) { return v >= 0 && v <= INT_MAX; }

/* One convolution through cuDNN in layout `lay` (L_NHWC or L_NCHW).
 *   D_FWD:        x (NHWC user data), w (HWIO) -> out (NHWC y)
 *   D_BWD_DATA:   dy (NHWC), w (HWIO) -> out (NHWC dx)
 *   D_BWD_FILTER: x (NHWC), dy (NHWC) -> out (HWIO dw)
 * Returns 0, -1 with c->err set, or 1 (c->err set too) when no algorithm runs in this layout. */
int run_conv(mk_call *c, const cgeom &g, int dir, int lay, int dt, const void *x, const void *w,
             const void *dy, void *out) {
    const int64_t Hp = g.H + g.eh, Wp = g.W + g.ew;
    const int64_t xdim[4] = {g.N, g.CI, g.H, g.W}, xpdim[4] = {g.N, g.CI, Hp, Wp};
    const int64_t ydim[4] = {g.N, g.CO, g.OH, g.OW}, fdim[4] = {g.CO, g.Cf, g.KH, g.KW};
    for (int k = 0; k < 4; k++)
        if (!fits_int(xpdim[k]) || !fits_int(ydim[k]) || !fits_int(fdim[k]))
            return mkg_err(c, "dimension too large for cuDNN (> INT_MAX)");
    const cudnnDataType_t cdt = dt == MK_F32 ? CUDNN_DATA_FLOAT : CUDNN_DATA_DOUBLE;
    const cudnnTensorFormat_t fmt = lay == L_NHWC ? CUDNN_TENSOR_NHWC : CUDNN_TENSOR_NCHW;
    const bool f32 = dt == MK_F32, tf32 = f32 && mkg_tf32_enabled();
    const cudnnMathType_t base_math = !f32 ? CUDNN_DEFAULT_MATH : tf32 ? CUDNN_TENSOR_OP_MATH : CUDNN_FMA_MATH;
    cudnnHandle_t h = mkg_cudnn();
    if (!h) return mkg_err(c, "no cuDNN handle");

    descs d;
    if (mkg_check_cudnn(c, cudnnCreateTensorDescriptor(&d.x), "cudnnCreateTensorDescriptor") < 0 ||
        mkg_check_cudnn(c, cudnnCreateTensorDescriptor(&d.y), "cudnnCreateTensorDescriptor") < 0 ||
        mkg_check_cudnn(c, cudnnCreateFilterDescriptor(&d.f), "cudnnCreateFilterDescriptor") < 0 ||
        mkg_check_cudnn(c, cudnnCreateConvolutionDescriptor(&d.cv), "cudnnCreateConvolutionDescriptor") < 0)
        return -1;
    if (mkg_check_cudnn(c, cudnnSetTensor4dDescriptor(d.x, fmt, cdt, (int)g.N, (int)g.CI, (int)Hp, (int)Wp),
                        "cudnnSetTensor4dDescriptor(x)") < 0 ||
        mkg_check_cudnn(c, cudnnSetTensor4dDescriptor(d.y, fmt, cdt, (int)g.N, (int)g.CO, (int)g.OH, (int)g.OW),
                        "cudnnSetTensor4dDescriptor(y)") < 0 ||
        mkg_check_cudnn(c, cudnnSetFilter4dDescriptor(d.f, cdt, fmt, (int)g.CO, (int)g.Cf, (int)g.KH, (int)g.KW),
                        "cudnnSetFilter4dDescriptor") < 0 ||
        mkg_check_cudnn(c, cudnnSetConvolution2dDescriptor(d.cv, (int)g.ph, (int)g.pw, (int)g.sh, (int)g.sw,
                                                           (int)g.dh, (int)g.dw, CUDNN_CROSS_CORRELATION, cdt),
                        "cudnnSetConvolution2dDescriptor") < 0 ||
        mkg_check_cudnn(c, cudnnSetConvolutionGroupCount(d.cv, (int)g.Gc), "cudnnSetConvolutionGroupCount") < 0 ||
        mkg_check_cudnn(c, cudnnSetConvolutionMathType(d.cv, base_math), "cudnnSetConvolutionMathType") < 0)
        return -1;
    /* cuDNN must agree with TF's output size (the padded input makes SAME exact) */
    int on, oc, oh, ow;
    if (mkg_check_cudnn(c, cudnnGetConvolution2dForwardOutputDim(d.cv, d.x, d.f, &on, &oc, &oh, &ow),
                        "cudnnGetConvolution2dForwardOutputDim") < 0)
        return -1;
    if (on != g.N || oc != g.CO || oh != g.OH || ow != g.OW)
        return mkg_err(c, "internal error: cuDNN output %dx%dx%dx%d, expected %lldx%lldx%lldx%lld", on, oc, oh, ow,
                       (long long)g.N, (long long)g.CO, (long long)g.OH, (long long)g.OW);

    /* the algorithms, cached per shape */
    std::vector<int64_t> key = {dir, dt, lay, (int64_t)base_math, g.N, g.CI, Hp, Wp, g.CO, g.Cf, g.KH, g.KW,
                                g.ph, g.pw, g.sh, g.sw, g.dh, g.dw, g.Gc, g.OH, g.OW};
    std::vector<algo_choice> algos;
    {
        std::lock_guard<std::mutex> lk(cache_mu);
        auto it = algo_cache.find(key);
        if (it != algo_cache.end()) algos = it->second;
        else {
            cudnnStatus_t s = find_algos(dir, h, d, f32 && !tf32, algos);
            if (s != CUDNN_STATUS_SUCCESS) {   /* not cached: the error shows every time */
                if (!is_not_supported(s)) return mkg_check_cudnn(c, s, "cudnnGetConvolution*Algorithm_v7");
                mkg_err(c, "cudnnGetConvolution*Algorithm_v7 (%s layout): %s", lay == L_NHWC ? "NHWC" : "NCHW",
                        cudnnGetErrorString(s));
                return 1;
            }
            algo_cache[key] = algos;
        }
    }
    if (algos.empty()) {
        mkg_err(c, "cuDNN has no algorithm for this convolution (%s layout)", lay == L_NHWC ? "NHWC" : "NCHW");
        return 1;
    }

    /* operands in cuDNN's layout */
    scratch sc;
    const size_t isz = dt == MK_F32 ? 4 : 8;
    const size_t fbytes = (size_t)(g.CO * g.Cf * g.KH * g.KW) * isz;
    const bool copy_x = lay != L_NHWC || g.eh || g.ew;
    const size_t xpbytes = (size_t)(g.N * g.CI * Hp * Wp) * isz, ybytes = (size_t)(g.N * g.CO * g.OH * g.OW) * isz;
    void *cx = nullptr, *cw = nullptr, *cy = nullptr;   /* x / dx, w / dw, y / dy as cuDNN sees them */
    const int flay = lay;                                /* KRSC for NHWC, KCRS for NCHW */
    cw = sc.get(fbytes);
    if (!cw) return mkg_err(c, "out of GPU memory for the filter copy (%zu bytes)", fbytes);
    if (dir != D_BWD_FILTER && relayout(c, dt, w, L_HWIO, fdim, cw, flay, fdim) < 0) return -1;
    if (dir != D_BWD_DATA) {
        if (copy_x) {
            cx = sc.get(xpbytes);
            if (!cx) return mkg_err(c, "out of GPU memory for the input copy (%zu bytes)", xpbytes);
            if (relayout(c, dt, x, L_NHWC, xdim, cx, lay, xpdim) < 0) return -1;
        } else cx = (void *)x;
    } else {
        if (copy_x) {
            cx = sc.get(xpbytes);
            if (!cx) return mkg_err(c, "out of GPU memory for the input gradient (%zu bytes)", xpbytes);
        } else cx = out;
    }
    if (dir == D_FWD) {
        if (lay != L_NHWC) {
            cy = sc.get(ybytes);
            if (!cy) return mkg_err(c, "out of GPU memory for the output copy (%zu bytes)", ybytes);
        } else cy = out;
    } else {
        if (lay != L_NHWC) {
            cy = sc.get(ybytes);
            if (!cy) return mkg_err(c, "out of GPU memory for the gradient copy (%zu bytes)", ybytes);
            if (relayout(c, dt, dy, L_NHWC, ydim, cy, lay, ydim) < 0) return -1;
        } else cy = (void *)dy;
    }

    /* the first algorithm that runs */
    const float one_f = 1.f, zero_f = 0.f;
    const double one_d = 1.0, zero_d = 0.0;
    const void *alpha = f32 ? (const void *)&one_f : (const void *)&one_d;
    const void *beta = f32 ? (const void *)&zero_f : (const void *)&zero_d;
    cudnnStatus_t last = CUDNN_STATUS_NOT_SUPPORTED;
    size_t used = algos.size();
    for (size_t ai = 0; ai < algos.size(); ai++) {
        const algo_choice &a = algos[ai];
        /* FMA math for float32 without TF32, cuDNN's choice otherwise */
        cudnnMathType_t m = (f32 && !tf32) ? CUDNN_FMA_MATH : !f32 ? CUDNN_DEFAULT_MATH : a.math;
        if (mkg_check_cudnn(c, cudnnSetConvolutionMathType(d.cv, m), "cudnnSetConvolutionMathType") < 0) return -1;
        size_t wsz = 0;
        cudnnStatus_t s;
        if (dir == D_FWD)
            s = cudnnGetConvolutionForwardWorkspaceSize(h, d.x, d.f, d.cv, d.y, (cudnnConvolutionFwdAlgo_t)a.algo, &wsz);
        else if (dir == D_BWD_DATA)
            s = cudnnGetConvolutionBackwardDataWorkspaceSize(h, d.f, d.y, d.cv, d.x,
                                                             (cudnnConvolutionBwdDataAlgo_t)a.algo, &wsz);
        else
            s = cudnnGetConvolutionBackwardFilterWorkspaceSize(h, d.x, d.y, d.cv, d.f,
                                                               (cudnnConvolutionBwdFilterAlgo_t)a.algo, &wsz);
        if (s != CUDNN_STATUS_SUCCESS) { last = s; continue; }
        void *ws = nullptr;
        if (wsz > 0) {
            ws = mkg_alloc(wsz);
            if (!ws) { last = CUDNN_STATUS_INTERNAL_ERROR_DEVICE_ALLOCATION_FAILED; continue; }   /* a leaner one */
        }
        if (dir == D_FWD)
            s = cudnnConvolutionForward(h, alpha, d.x, cx, d.f, cw, d.cv, (cudnnConvolutionFwdAlgo_t)a.algo, ws, wsz,
                                        beta, d.y, cy);
        else if (dir == D_BWD_DATA)
            s = cudnnConvolutionBackwardData(h, alpha, d.f, cw, d.y, cy, d.cv, (cudnnConvolutionBwdDataAlgo_t)a.algo,
                                             ws, wsz, beta, d.x, cx);
        else
            s = cudnnConvolutionBackwardFilter(h, alpha, d.x, cx, d.y, cy, d.cv,
                                               (cudnnConvolutionBwdFilterAlgo_t)a.algo, ws, wsz, beta, d.f, cw);
        if (ws) mkg_free(ws, wsz);
        if (s == CUDNN_STATUS_SUCCESS) { used = ai; break; }
        last = s;
        if (!is_not_supported(s)) return mkg_check_cudnn(c, s, "cudnnConvolution*");
    }
    if (used == algos.size()) {
        mkg_err(c, "no cuDNN algorithm ran (%s layout): %s", lay == L_NHWC ? "NHWC" : "NCHW", cudnnGetErrorString(last));
        return 1;
    }
    if (used > 0) {   /* the ones before it declined: try this one first next time */
        std::lock_guard<std::mutex> lk(cache_mu);
        std::vector<algo_choice> &v = algo_cache[key];
        v.assign(algos.begin() + used, algos.end());
    }

    /* results back to the user's layout */
    if (dir == D_FWD) {
        if (cy != out && relayout(c, dt, cy, lay, ydim, out, L_NHWC, ydim) < 0) return -1;
    } else if (dir == D_BWD_DATA) {
        if (cx != out && relayout(c, dt, cx, lay, xpdim, out, L_NHWC, xdim) < 0) return -1;
    } else {
        if (relayout(c, dt, cw, flay, fdim, out, L_HWIO, fdim) < 0) return -1;
    }
    return 0;
}

/* float32: NHWC, else NCHW; float64: NCHW */
int conv(mk_call *c, const cgeom &g, int dir, const void *x, const void *w, const void *dy, void *out) {
    int dt = c->out[0]->dtype;
    int rc = 1;
    if (dt == MK_F32) rc = run_conv(c, g, dir, L_NHWC, dt, x, w, dy, out);
    if (rc == 1) rc = run_conv(c, g, dir, L_NCHW, dt, x, w, dy, out);
    return rc == 0 ? 0 : -1;
}

int zero_out(mk_call *c) {
    mk_tensor *O = c->out[0];
    size_t n = (size_t)mk_numel(O) * mk_dtypes[O->dtype].itemsize;
    if (n == 0) return 0;
    return mkg_check_cuda(c, cudaMemsetAsync(mk_data(O), 0, n, mkg_stream), "cudaMemsetAsync");
}

/* conv2d / depthwise_conv2d (x, w [, bias]); i[5] = relu */
int fwd(mk_call *c, int which) {
    cgeom g = get_geom(c, which);
    mk_tensor *O = c->out[0];
    int64_t n = mk_numel(O);
    if (n == 0) return 0;
    int dt = O->dtype;
    const void *bias = c->nin == 3 ? mk_data(c->in[2]) : nullptr;
    int relu = c->a.i[5] == 1;
    if (g.Cf * g.KH * g.KW == 0) {   /* no input channels: y = act(bias) */
        if (zero_out(c) < 0) return -1;
    } else if (conv(c, g, D_FWD, mk_data(c->in[0]), mk_data(c->in[1]), nullptr, mk_data(O)) < 0) {
        return -1;
    }
    return bias_act(c, dt, mk_data(O), n, g.CO, bias, relu);
}

/* backprop_input (dy, w) -> dx */
int bin(mk_call *c, int which) {
    cgeom g = get_geom(c, which);
    mk_tensor *O = c->out[0];
    if (mk_numel(O) == 0) return 0;
    if (g.N * g.OH * g.OW * g.CO == 0 || g.Cf == 0) return zero_out(c);
    return conv(c, g, D_BWD_DATA, nullptr, mk_data(c->in[1]), mk_data(c->in[0]), mk_data(O));
}

/* backprop_filter (x, dy) -> dw */
int bfil(mk_call *c, int which) {
    cgeom g = get_geom(c, which);
    mk_tensor *O = c->out[0];
    if (mk_numel(O) == 0) return 0;
    if (g.N * g.OH * g.OW * g.CO == 0 || g.Cf == 0) return zero_out(c);
    return conv(c, g, D_BWD_FILTER, mk_data(c->in[0]), nullptr, mk_data(c->in[1]), mk_data(O));
}

int k_conv2d_gpu(mk_call *c) { return fwd(c, 0); }
int k_conv2d_bin_gpu(mk_call *c) { return bin(c, 1); }
int k_conv2d_bfil_gpu(mk_call *c) { return bfil(c, 2); }
int k_dw_gpu(mk_call *c) { return fwd(c, 3); }
int k_dw_bin_gpu(mk_call *c) { return bin(c, 4); }
int k_dw_bfil_gpu(mk_call *c) { return bfil(c, 5); }

}  // namespace

void mkg_register_conv(mk_opdef *ops) {
    ops[MK_OP_CONV2D].kernel[MK_GPU] = k_conv2d_gpu;
    ops[MK_OP_CONV2D_BACKPROP_INPUT].kernel[MK_GPU] = k_conv2d_bin_gpu;
    ops[MK_OP_CONV2D_BACKPROP_FILTER].kernel[MK_GPU] = k_conv2d_bfil_gpu;
    ops[MK_OP_DEPTHWISE_CONV2D].kernel[MK_GPU] = k_dw_gpu;
    ops[MK_OP_DEPTHWISE_CONV2D_BACKPROP_INPUT].kernel[MK_GPU] = k_dw_bin_gpu;
    ops[MK_OP_DEPTHWISE_CONV2D_BACKPROP_FILTER].kernel[MK_GPU] = k_dw_bfil_gpu;
}
