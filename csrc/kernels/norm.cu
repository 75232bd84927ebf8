/* Norm family on the GPU (the twin of norm.c): fused batch normalisation over the last axis of
 * a dense x [M, C] (every axis but the last flattened; NCHW is transposed in Python).
 *
 * Two paths:
 *  - cuDNN (CUDNN_BATCHNORM_SPATIAL on x described as [M, C, 1, 1]) for the hot cases:
 *    fused_batch_norm with M >= 2, fused_batch_norm_inference, fused_batch_norm_grad in
 *    training mode with M >= 2.  Training forward runs with exponentialAverageFactor = 1 into
 *    zeroed outputs, so cuDNN's "running" mean / variance ARE the batch mean and the UNBIASED
 *    batch variance (cuDNN applies Bessel's correction to the running variance), as norm.c
 *    defines batch_var; its saved mean / saved inverse variance are norm.c's saved_mean and
 *    saved_inv_std = rsqrt(biased var + eps).  Backward takes the op's mean / inv_std inputs as
 *    cuDNN's saved statistics (the same formula as norm.c's training-mode dx, dscale, doffset).
 *  - direct kernels (norm.c's formulas: per-channel sums in double, then a per-channel
 *    finalize and an affine pass) for everything else: M <= 1 (cuDNN divides by M - 1),
 *    the inference-mode backward (cuDNN has none), and tensors too large for cuDNN's int dims.
 *    Set kUseCudnn = false to run everything on this path; it is also taken whenever cuDNN
 *    declines a call (CUDNN_STATUS_NOT_SUPPORTED* / BAD_PARAM*, reported before it enqueues work).
 * epsilon: cuDNN requires eps >= CUDNN_BN_MIN_EPSILON (0.0 in cuDNN 9); a smaller eps (only
 * possible with an older cuDNN) takes the direct path.
 * float32 / float64; every tensor of a call has one dtype (infer checked it). */
#include "cuda_common.cuh"
#include <climits>

namespace {

const bool kUseCudnn = true;
/* cuDNN documents Bessel's correction for the running variance; if a cuDNN ever returned the
 * biased one, set this to false and the batch variance is rescaled by M / (M - 1) */
const bool kCudnnRunningVarUnbiased = true;

/* ---- direct path ------------------------------------------------------------------ */
#define CS_TX 32
#define CS_TY 8

/* Partial column sums over the row block blockIdx.y (rows [r0, r1)), for channels
 * blockIdx.x*32 + threadIdx.x:  b == NULL: p1 = sum (a - sh), p2 = sum (a - sh)^2;
 * b given: p1 = sum b, p2 = sum (a - sh) * b.  sh = the first row of a (first_row) or shift[c]. */
template <typename T>
__global__ void k_colsums(const T *__restrict__ a, const T *__restrict__ b, const T *__restrict__ shift,
                          int64_t M, int64_t C, int64_t rows_per, double *p1, double *p2) {
    __shared__ double s1[CS_TY][CS_TX + 1], s2[CS_TY][CS_TX + 1];
    int tx = threadIdx.x, ty = threadIdx.y;
    int64_t c = (int64_t)blockIdx.x * CS_TX + tx;
    int64_t r0 = (int64_t)blockIdx.y * rows_per, r1 = r0 + rows_per < M ? r0 + rows_per : M;
    double a1 = 0, a2 = 0;
    if (c < C) {
        double sh = shift ? (double)shift[c] : (M > 0 ? (double)a[c] : 0.0);
        for (int64_t r = r0 + ty; r < r1; r += CS_TY) {
            double av = (double)a[r * C + c] - sh;
            if (b) {
                double bv = (double)b[r * C + c];
                a1 += bv;
                a2 += av * bv;
            } else {
                a1 += av;
                a2 += av * av;
            }
        }
    }
    s1[ty][tx] = a1;
    s2[ty][tx] = a2;
    __syncthreads();
    if (ty == 0 && c < C) {
        double t1 = 0, t2 = 0;
        for (int k = 0; k < CS_TY; k++) { t1 += s1[k][tx]; t2 += s2[k][tx]; }
        p1[(int64_t)blockIdx.y * C + c] = t1;
        p2[(int64_t)blockIdx.y * C + c] = t2;
    }
}

/* the per-channel sums of the RB partial rows, in a fixed order (deterministic) */
__device__ __forceinline__ void total(const double *p1, const double *p2, int64_t RB, int64_t C, int64_t c,
                                      double &s1, double &s2) {
    s1 = 0; s2 = 0;
    for (int64_t k = 0; k < RB; k++) { s1 += p1[k * C + c]; s2 += p2[k * C + c]; }
}

/* training forward statistics (norm.c's k_bn_train); coef = [A | B] for y = x*A + B */
template <typename T>
__global__ void k_train_finalize(const T *x, const T *scale, const T *offset, const double *p1, const double *p2,
                                 int64_t RB, int64_t M, int64_t C, double eps, T *mean_o, T *var_o, T *smean_o,
                                 T *sinv_o, double *coef) {
    MKG_GRID_STRIDE(c, C) {
        double s1, s2;
        total(p1, p2, RB, C, c, s1, s2);
        double sh = M > 0 ? (double)x[c] : 0.0;
        double mean = M ? sh + s1 / M : (double)NAN;
        double var = M ? (s2 - s1 * s1 / M) / M : (double)NAN;
        if (var < 0) var = 0;
        double inv = 1.0 / sqrt(var + eps);
        double A = (double)scale[c] * inv;
        coef[c] = A;
        coef[C + c] = (double)offset[c] - mean * A;
        mean_o[c] = (T)mean;
        var_o[c] = (T)(var * (M > 1 ? (double)M / (M - 1) : 1.0));   /* unbiased */
        smean_o[c] = (T)mean;
        sinv_o[c] = (T)inv;
    }
}

/* inference forward: A = scale / sqrt(var + eps), B = offset - mean * A */
template <typename T>
__global__ void k_infer_coef(const T *scale, const T *offset, const T *mean, const T *var, int64_t C, double eps,
                             double *coef) {
    MKG_GRID_STRIDE(c, C) {
        double A = (double)scale[c] / sqrt((double)var[c] + eps);
        coef[c] = A;
        coef[C + c] = (double)offset[c] - (double)mean[c] * A;
    }
}

/* backward (norm.c's k_bn_grad): coef = [A | B | D] for dx = x*A + dy*D + B */
template <typename T>
__global__ void k_grad_finalize(const T *scale, const T *mean, const T *inv_std, const double *p1,
                                const double *p2, int64_t RB, int64_t M, int64_t C, int training, T *dscale_o,
                                T *doffset_o, double *coef) {
    MKG_GRID_STRIDE(c, C) {
        double db, ds;
        total(p1, p2, RB, C, c, db, ds);
        double inv = (double)inv_std[c], mu = (double)mean[c];
        ds *= inv;
        double k = (double)scale[c] * inv, A = 0, B = 0;
        if (training && M > 0) {
            A = -k * inv * ds / M;
            B = -k * db / M - mu * A;
        }
        coef[c] = A;
        coef[C + c] = B;
        coef[2 * C + c] = k;
        dscale_o[c] = (T)ds;
        doffset_o[c] = (T)db;
    }
}

/* y = x * A + B (+ dy * D) per channel, the coefficients rounded to T first as norm.c does */
template <typename T>
__global__ void k_affine(const T *__restrict__ x, const T *__restrict__ dy, const double *coef, T *__restrict__ y,
                         int64_t n, int64_t C) {
    MKG_GRID_STRIDE(i, n) {
        int64_t c = i % C;
        if (dy) y[i] = x[i] * (T)coef[c] + dy[i] * (T)coef[2 * C + c] + (T)coef[C + c];
        else y[i] = x[i] * (T)coef[c] + (T)coef[C + c];
    }
}

struct scratch {
    void *p = nullptr;
    size_t n = 0;
    void *get(size_t nb) { p = mkg_alloc(nb); n = nb; return p; }
    ~scratch() { if (p) mkg_free(p, n); }
};

/* row blocks of the column sums: at most 1024 (grid.y), at least 256 rows each */
void row_blocks(int64_t M, int64_t *rows_per, int64_t *RB) {
    int64_t rp = (M + 1023) / 1024;
    if (rp < 256) rp = 256;
    *rows_per = rp;
    *RB = M > 0 ? (M + rp - 1) / rp : 1;
}

template <typename T>
int colsums(mk_call *c, const T *a, const T *b, const T *shift, int64_t M, int64_t C, int64_t rows_per, int64_t RB,
            double *p1, double *p2) {
    dim3 grid((unsigned)((C + CS_TX - 1) / CS_TX), (unsigned)RB), block(CS_TX, CS_TY);
    k_colsums<T><<<grid, block, 0, mkg_stream>>>(a, b, shift, M, C, rows_per, p1, p2);
    return mkg_check_launch(c);
}

template <typename T>
int affine(mk_call *c, const T *x, const T *dy, const double *coef, T *y, int64_t n, int64_t C) {
    if (n == 0) return 0;
    k_affine<T><<<mkg_blocks(n), MKG_THREADS, 0, mkg_stream>>>(x, dy, coef, y, n, C);
    return mkg_check_launch(c);
}

template <typename T> const T *IN(const mk_call *c, int k) { return (const T *)mk_data(c->in[k]); }
template <typename T> T *OUT(const mk_call *c, int k) { return (T *)mk_data(c->out[k]); }

void dims(const mk_call *c, int xi, int64_t *M, int64_t *C) {
    const mk_tensor *x = c->in[xi];
    *C = x->shape[x->ndim - 1];
    *M = *C ? mk_numel(x) / *C : 0;
}

template <typename T>
int train_direct(mk_call *c, int64_t M, int64_t C) {
    int64_t rows_per, RB;
    row_blocks(M, &rows_per, &RB);
    scratch s;
    double *w = (double *)s.get((size_t)(2 * RB * C + 2 * C) * sizeof(double));
    if (!w) return mkg_err(c, "out of GPU memory");
    double *p1 = w, *p2 = w + RB * C, *coef = w + 2 * RB * C;
    const T *x = IN<T>(c, 0);
    if (colsums<T>(c, x, nullptr, nullptr, M, C, rows_per, RB, p1, p2) < 0) return -1;
    k_train_finalize<T><<<mkg_blocks(C), MKG_THREADS, 0, mkg_stream>>>(
        x, IN<T>(c, 1), IN<T>(c, 2), p1, p2, RB, M, C, c->a.f[0], OUT<T>(c, 1), OUT<T>(c, 2), OUT<T>(c, 3),
        OUT<T>(c, 4), coef);
    if (mkg_check_launch(c) < 0) return -1;
    return affine<T>(c, x, nullptr, coef, OUT<T>(c, 0), M * C, C);
}

template <typename T>
int infer_direct(mk_call *c, int64_t M, int64_t C) {
    scratch s;
    double *coef = (double *)s.get((size_t)(2 * C) * sizeof(double));
    if (!coef) return mkg_err(c, "out of GPU memory");
    k_infer_coef<T><<<mkg_blocks(C), MKG_THREADS, 0, mkg_stream>>>(IN<T>(c, 1), IN<T>(c, 2), IN<T>(c, 3),
                                                                   IN<T>(c, 4), C, c->a.f[0], coef);
    if (mkg_check_launch(c) < 0) return -1;
    return affine<T>(c, IN<T>(c, 0), nullptr, coef, OUT<T>(c, 0), M * C, C);
}

template <typename T>
int grad_direct(mk_call *c, int64_t M, int64_t C, int training) {
    int64_t rows_per, RB;
    row_blocks(M, &rows_per, &RB);
    scratch s;
    double *w = (double *)s.get((size_t)(2 * RB * C + 3 * C) * sizeof(double));
    if (!w) return mkg_err(c, "out of GPU memory");
    double *p1 = w, *p2 = w + RB * C, *coef = w + 2 * RB * C;
    const T *dy = IN<T>(c, 0), *x = IN<T>(c, 1);
    /* p1 = sum dy, p2 = sum (x - mean) * dy */
    if (colsums<T>(c, x, dy, IN<T>(c, 3), M, C, rows_per, RB, p1, p2) < 0) return -1;
    k_grad_finalize<T><<<mkg_blocks(C), MKG_THREADS, 0, mkg_stream>>>(IN<T>(c, 2), IN<T>(c, 3), IN<T>(c, 4), p1, p2,
                                                                      RB, M, C, training, OUT<T>(c, 1),
                                                                      OUT<T>(c, 2), coef);
    if (mkg_check_launch(c) < 0) return -1;
    return affine<T>(c, x, dy, coef, OUT<T>(c, 0), M * C, C);
}

/* ---- cuDNN path -------------------------------------------------------------------- */
struct bn_descs {
    cudnnTensorDescriptor_t x = nullptr, p = nullptr;
    ~bn_descs() {
        if (x) cudnnDestroyTensorDescriptor(x);
        if (p) cudnnDestroyTensorDescriptor(p);
    }
};

bool cudnn_ok(int64_t M, int64_t C, int64_t min_m, double eps) {
    return kUseCudnn && M >= min_m && C >= 1 && M <= INT_MAX && C <= INT_MAX && M * C <= INT_MAX &&
           eps >= CUDNN_BN_MIN_EPSILON;
}

/* 0; 1 when cuDNN declines (not supported / bad parameter: checked before anything is enqueued),
 * and the caller takes the direct path; -1 with c->err set on a real failure */
int cudnn_rc(mk_call *c, cudnnStatus_t s, const char *what) {
    if (s == CUDNN_STATUS_SUCCESS) return 0;
    if ((int)s / 1000 == 2 || (int)s / 1000 == 3) return 1;
    return mkg_check_cudnn(c, s, what);
}

/* x as [M, C, 1, 1] (the same bytes as [M, C]) and the derived [1, C, 1, 1] parameters */
int make_descs(mk_call *c, bn_descs &d, int dt, int64_t M, int64_t C) {
    cudnnDataType_t cdt = dt == MK_F32 ? CUDNN_DATA_FLOAT : CUDNN_DATA_DOUBLE;
    if (mkg_check_cudnn(c, cudnnCreateTensorDescriptor(&d.x), "cudnnCreateTensorDescriptor") < 0 ||
        mkg_check_cudnn(c, cudnnCreateTensorDescriptor(&d.p), "cudnnCreateTensorDescriptor") < 0)
        return -1;
    /* NHWC [M, C, 1, 1] and NCHW [M, C, 1, 1] are the same bytes: float32 takes cuDNN's NHWC
     * kernels, float64 its NCHW ones (the layout every cuDNN batch norm supports) */
    cudnnTensorFormat_t fmt = dt == MK_F32 ? CUDNN_TENSOR_NHWC : CUDNN_TENSOR_NCHW;
    int rc = cudnn_rc(c, cudnnSetTensor4dDescriptor(d.x, fmt, cdt, (int)M, (int)C, 1, 1),
                      "cudnnSetTensor4dDescriptor");
    if (rc) return rc;
    return cudnn_rc(c, cudnnDeriveBNTensorDescriptor(d.p, d.x, CUDNN_BATCHNORM_SPATIAL), "cudnnDeriveBNTensorDescriptor");
}

template <typename T>
__global__ void k_scale(T *v, int64_t n, double f) {
    MKG_GRID_STRIDE(i, n) v[i] = (T)((double)v[i] * f);
}

int train_cudnn(mk_call *c, int dt, int64_t M, int64_t C) {
    bn_descs d;
    if (int rc = make_descs(c, d, dt, M, C)) return rc;
    size_t isz = dt == MK_F32 ? 4 : 8;
    /* factor 1: running = 0 * old + 1 * batch; zeroed first so no stale NaN leaks in */
    for (int k = 1; k <= 2; k++)
        if (mkg_check_cuda(c, cudaMemsetAsync(mk_data(c->out[k]), 0, (size_t)C * isz, mkg_stream),
                           "cudaMemsetAsync") < 0)
            return -1;
    float one_f = 1.f, zero_f = 0.f;
    double one_d = 1.0, zero_d = 0.0;
    const void *one = dt == MK_F32 ? (const void *)&one_f : (const void *)&one_d;
    const void *zero = dt == MK_F32 ? (const void *)&zero_f : (const void *)&zero_d;
    int rc = cudnn_rc(
            c,
            cudnnBatchNormalizationForwardTraining(mkg_cudnn(), CUDNN_BATCHNORM_SPATIAL, one, zero, d.x,
                                                   mk_data(c->in[0]), d.x, mk_data(c->out[0]), d.p,
                                                   mk_data(c->in[1]), mk_data(c->in[2]), 1.0, mk_data(c->out[1]),
                                                   mk_data(c->out[2]), c->a.f[0], mk_data(c->out[3]),
                                                   mk_data(c->out[4])),
            "cudnnBatchNormalizationForwardTraining");
    if (rc || kCudnnRunningVarUnbiased) return rc;
    double f = (double)M / (double)(M - 1);   /* M >= 2 on this path */
    if (dt == MK_F32)
        k_scale<float><<<mkg_blocks(C), MKG_THREADS, 0, mkg_stream>>>((float *)mk_data(c->out[2]), C, f);
    else
        k_scale<double><<<mkg_blocks(C), MKG_THREADS, 0, mkg_stream>>>((double *)mk_data(c->out[2]), C, f);
    return mkg_check_launch(c);
}

int infer_cudnn(mk_call *c, int dt, int64_t M, int64_t C) {
    bn_descs d;
    if (int rc = make_descs(c, d, dt, M, C)) return rc;
    float one_f = 1.f, zero_f = 0.f;
    double one_d = 1.0, zero_d = 0.0;
    const void *one = dt == MK_F32 ? (const void *)&one_f : (const void *)&one_d;
    const void *zero = dt == MK_F32 ? (const void *)&zero_f : (const void *)&zero_d;
    return cudnn_rc(
        c,
        cudnnBatchNormalizationForwardInference(mkg_cudnn(), CUDNN_BATCHNORM_SPATIAL, one, zero, d.x,
                                                mk_data(c->in[0]), d.x, mk_data(c->out[0]), d.p,
                                                mk_data(c->in[1]), mk_data(c->in[2]), mk_data(c->in[3]),
                                                mk_data(c->in[4]), c->a.f[0]),
        "cudnnBatchNormalizationForwardInference");
}

/* training-mode backward with the op's mean / inv_std as cuDNN's saved statistics (epsilon is
 * then unused by cuDNN; 1e-5 satisfies any CUDNN_BN_MIN_EPSILON) */
int grad_cudnn(mk_call *c, int dt, int64_t M, int64_t C) {
    bn_descs d;
    if (int rc = make_descs(c, d, dt, M, C)) return rc;
    float one_f = 1.f, zero_f = 0.f;
    double one_d = 1.0, zero_d = 0.0;
    const void *one = dt == MK_F32 ? (const void *)&one_f : (const void *)&one_d;
    const void *zero = dt == MK_F32 ? (const void *)&zero_f : (const void *)&zero_d;
    return cudnn_rc(
        c,
        cudnnBatchNormalizationBackward(mkg_cudnn(), CUDNN_BATCHNORM_SPATIAL, one, zero, one, zero, d.x,
                                        mk_data(c->in[1]), d.x, mk_data(c->in[0]), d.x, mk_data(c->out[0]), d.p,
                                        mk_data(c->in[2]), mk_data(c->out[1]), mk_data(c->out[2]), 1e-5,
                                        mk_data(c->in[3]), mk_data(c->in[4])),
        "cudnnBatchNormalizationBackward");
}

/* ---- the ops --------------------------------------------------------------------- */
/* fused_batch_norm(x, scale, offset; f[0] = eps) -> (y, batch_mean, batch_var, saved_mean, saved_inv_std) */
int k_bn_train_gpu(mk_call *c) {
    int64_t M, C;
    dims(c, 0, &M, &C);
    if (C == 0) return 0;
    int dt = c->in[0]->dtype;
    int rc = cudnn_ok(M, C, 2, c->a.f[0]) ? train_cudnn(c, dt, M, C) : 1;
    if (rc != 1) return rc;
    return dt == MK_F32 ? train_direct<float>(c, M, C) : train_direct<double>(c, M, C);
}

/* fused_batch_norm_inference(x, scale, offset, mean, variance; f[0] = eps) -> y */
int k_bn_infer_gpu(mk_call *c) {
    int64_t M, C;
    dims(c, 0, &M, &C);
    if (C == 0 || M == 0) return 0;
    int dt = c->in[0]->dtype;
    int rc = cudnn_ok(M, C, 1, c->a.f[0]) ? infer_cudnn(c, dt, M, C) : 1;
    if (rc != 1) return rc;
    return dt == MK_F32 ? infer_direct<float>(c, M, C) : infer_direct<double>(c, M, C);
}

/* fused_batch_norm_grad(dy, x, scale, mean, inv_std; i[0] = training) -> (dx, dscale, doffset) */
int k_bn_grad_gpu(mk_call *c) {
    int64_t M, C;
    dims(c, 1, &M, &C);
    if (C == 0) return 0;
    int dt = c->in[1]->dtype, training = c->a.ni > 0 ? (int)c->a.i[0] : 1;
    int rc = training && cudnn_ok(M, C, 2, 1e-5) ? grad_cudnn(c, dt, M, C) : 1;
    if (rc != 1) return rc;
    return dt == MK_F32 ? grad_direct<float>(c, M, C, training) : grad_direct<double>(c, M, C, training);
}

}  // namespace

void mkg_register_norm(mk_opdef *ops) {
    ops[MK_OP_FUSED_BATCH_NORM].kernel[MK_GPU] = k_bn_train_gpu;
    ops[MK_OP_FUSED_BATCH_NORM_INFERENCE].kernel[MK_GPU] = k_bn_infer_gpu;
    ops[MK_OP_FUSED_BATCH_NORM_GRAD].kernel[MK_GPU] = k_bn_grad_gpu;
}
