/* naive host stand-ins for the cuDNN legacy convolution API (semantics as documented) */
#include "emu.h"
struct cudnnTensorStruct { cudnnTensorFormat_t fmt; cudnnDataType_t dt; int n, c, h, w; };
struct cudnnFilterStruct { cudnnTensorFormat_t fmt; cudnnDataType_t dt; int k, c, h, w; };
struct cudnnConvolutionStruct { int ph, pw, sh, sw, dh, dw, groups; cudnnMathType_t math; };
static bool nhwc_fail() { return getenv("EMU_NHWC_FAIL") != nullptr; }
extern "C" {
const char *cudnnGetErrorString(cudnnStatus_t s) { static char b[32]; snprintf(b, 32, "status %d", (int)s); return b; }
cudnnStatus_t cudnnCreateTensorDescriptor(cudnnTensorDescriptor_t *d) { *d = new cudnnTensorStruct(); return CUDNN_STATUS_SUCCESS; }
cudnnStatus_t cudnnDestroyTensorDescriptor(cudnnTensorDescriptor_t d) { delete d; return CUDNN_STATUS_SUCCESS; }
cudnnStatus_t cudnnCreateFilterDescriptor(cudnnFilterDescriptor_t *d) { *d = new cudnnFilterStruct(); return CUDNN_STATUS_SUCCESS; }
cudnnStatus_t cudnnDestroyFilterDescriptor(cudnnFilterDescriptor_t d) { delete d; return CUDNN_STATUS_SUCCESS; }
cudnnStatus_t cudnnCreateConvolutionDescriptor(cudnnConvolutionDescriptor_t *d) { *d = new cudnnConvolutionStruct(); (*d)->groups = 1; return CUDNN_STATUS_SUCCESS; }
cudnnStatus_t cudnnDestroyConvolutionDescriptor(cudnnConvolutionDescriptor_t d) { delete d; return CUDNN_STATUS_SUCCESS; }
cudnnStatus_t cudnnSetTensor4dDescriptor(cudnnTensorDescriptor_t d, cudnnTensorFormat_t f, cudnnDataType_t t, int n, int c, int h, int w) {
    *d = {f, t, n, c, h, w}; return CUDNN_STATUS_SUCCESS; }
cudnnStatus_t cudnnSetFilter4dDescriptor(cudnnFilterDescriptor_t d, cudnnDataType_t t, cudnnTensorFormat_t f, int k, int c, int h, int w) {
    *d = {f, t, k, c, h, w}; return CUDNN_STATUS_SUCCESS; }
cudnnStatus_t cudnnSetConvolution2dDescriptor(cudnnConvolutionDescriptor_t d, int ph, int pw, int sh, int sw, int dh, int dw,
                                              cudnnConvolutionMode_t m, cudnnDataType_t) {
    if (m != CUDNN_CROSS_CORRELATION) return CUDNN_STATUS_BAD_PARAM;
    d->ph = ph; d->pw = pw; d->sh = sh; d->sw = sw; d->dh = dh; d->dw = dw; return CUDNN_STATUS_SUCCESS; }
cudnnStatus_t cudnnSetConvolutionGroupCount(cudnnConvolutionDescriptor_t d, int g) { d->groups = g; return CUDNN_STATUS_SUCCESS; }
cudnnStatus_t cudnnSetConvolutionMathType(cudnnConvolutionDescriptor_t d, cudnnMathType_t m) { d->math = m; return CUDNN_STATUS_SUCCESS; }
cudnnStatus_t cudnnGetConvolution2dForwardOutputDim(const cudnnConvolutionDescriptor_t cd, const cudnnTensorDescriptor_t x,
                                                    const cudnnFilterDescriptor_t f, int *n, int *c, int *h, int *w) {
    *n = x->n; *c = f->k;
    *h = 1 + (x->h + 2 * cd->ph - ((f->h - 1) * cd->dh + 1)) / cd->sh;
    *w = 1 + (x->w + 2 * cd->pw - ((f->w - 1) * cd->dw + 1)) / cd->sw;
    return CUDNN_STATUS_SUCCESS; }
cudnnStatus_t cudnnGetConvolutionForwardAlgorithmMaxCount(cudnnHandle_t, int *c) { *c = 2; return CUDNN_STATUS_SUCCESS; }
cudnnStatus_t cudnnGetConvolutionBackwardDataAlgorithmMaxCount(cudnnHandle_t, int *c) { *c = 2; return CUDNN_STATUS_SUCCESS; }
cudnnStatus_t cudnnGetConvolutionBackwardFilterAlgorithmMaxCount(cudnnHandle_t, int *c) { *c = 2; return CUDNN_STATUS_SUCCESS; }
#define V7(Perf, Algo) { if (max < 2) return CUDNN_STATUS_BAD_PARAM; memset(p, 0, 2 * sizeof(Perf)); \
    p[0].algo = (Algo)1; p[0].status = CUDNN_STATUS_SUCCESS; /* declines when run */ p[1].algo = (Algo)0; p[1].status = CUDNN_STATUS_SUCCESS; \
    p[1].mathType = CUDNN_FMA_MATH; *got = 2; return CUDNN_STATUS_SUCCESS; }
cudnnStatus_t cudnnGetConvolutionForwardAlgorithm_v7(cudnnHandle_t, const cudnnTensorDescriptor_t, const cudnnFilterDescriptor_t,
    const cudnnConvolutionDescriptor_t, const cudnnTensorDescriptor_t, const int max, int *got, cudnnConvolutionFwdAlgoPerf_t *p)
    V7(cudnnConvolutionFwdAlgoPerf_t, cudnnConvolutionFwdAlgo_t)
cudnnStatus_t cudnnGetConvolutionBackwardDataAlgorithm_v7(cudnnHandle_t, const cudnnFilterDescriptor_t, const cudnnTensorDescriptor_t,
    const cudnnConvolutionDescriptor_t, const cudnnTensorDescriptor_t, const int max, int *got, cudnnConvolutionBwdDataAlgoPerf_t *p)
    V7(cudnnConvolutionBwdDataAlgoPerf_t, cudnnConvolutionBwdDataAlgo_t)
cudnnStatus_t cudnnGetConvolutionBackwardFilterAlgorithm_v7(cudnnHandle_t, const cudnnTensorDescriptor_t, const cudnnTensorDescriptor_t,
    const cudnnConvolutionDescriptor_t, const cudnnFilterDescriptor_t, const int max, int *got, cudnnConvolutionBwdFilterAlgoPerf_t *p)
    V7(cudnnConvolutionBwdFilterAlgoPerf_t, cudnnConvolutionBwdFilterAlgo_t)
cudnnStatus_t cudnnGetConvolutionForwardWorkspaceSize(cudnnHandle_t, const cudnnTensorDescriptor_t, const cudnnFilterDescriptor_t,
    const cudnnConvolutionDescriptor_t, const cudnnTensorDescriptor_t, cudnnConvolutionFwdAlgo_t, size_t *s) { *s = 64; return CUDNN_STATUS_SUCCESS; }
cudnnStatus_t cudnnGetConvolutionBackwardDataWorkspaceSize(cudnnHandle_t, const cudnnFilterDescriptor_t, const cudnnTensorDescriptor_t,
    const cudnnConvolutionDescriptor_t, const cudnnTensorDescriptor_t, cudnnConvolutionBwdDataAlgo_t, size_t *s) { *s = 0; return CUDNN_STATUS_SUCCESS; }
cudnnStatus_t cudnnGetConvolutionBackwardFilterWorkspaceSize(cudnnHandle_t, const cudnnTensorDescriptor_t, const cudnnTensorDescriptor_t,
    const cudnnConvolutionDescriptor_t, const cudnnFilterDescriptor_t, cudnnConvolutionBwdFilterAlgo_t, size_t *s) { *s = 8; return CUDNN_STATUS_SUCCESS; }
}
static long toff(const cudnnTensorStruct *t, long n, long c, long h, long w) {
    return t->fmt == CUDNN_TENSOR_NHWC ? ((n * t->h + h) * t->w + w) * t->c + c : ((n * t->c + c) * t->h + h) * t->w + w; }
static long foff(const cudnnFilterStruct *f, long k, long c, long r, long s) {
    return f->fmt == CUDNN_TENSOR_NHWC ? ((k * f->h + r) * f->w + s) * f->c + c : ((k * f->c + c) * f->h + r) * f->w + s; }
/* mode 0: y = conv(x, w); 1: dx = conv^T(dy, w); 2: dw = corr(x, dy) */
template <typename T>
static void naive(int mode, const cudnnTensorStruct *xd, T *x, const cudnnFilterStruct *fd, T *w,
                  const cudnnConvolutionStruct *cd, const cudnnTensorStruct *yd, T *y) {
    if (mode == 0) for (long i = 0; i < (long)yd->n * yd->c * yd->h * yd->w; i++) y[i] = 0;
    if (mode == 1) for (long i = 0; i < (long)xd->n * xd->c * xd->h * xd->w; i++) x[i] = 0;
    if (mode == 2) for (long i = 0; i < (long)fd->k * fd->c * fd->h * fd->w; i++) w[i] = 0;
    long Kg = fd->k / cd->groups;
    if (xd->c != fd->c * cd->groups) { fprintf(stderr, "stub: channel mismatch\n"); abort(); }
    for (long n = 0; n < yd->n; n++) for (long k = 0; k < yd->c; k++) for (long oh = 0; oh < yd->h; oh++)
        for (long ow = 0; ow < yd->w; ow++) {
            long g = k / Kg;
            for (long c = 0; c < fd->c; c++) for (long r = 0; r < fd->h; r++) for (long s = 0; s < fd->w; s++) {
                long ih = oh * cd->sh - cd->ph + r * cd->dh, iw = ow * cd->sw - cd->pw + s * cd->dw;
                if (ih < 0 || ih >= xd->h || iw < 0 || iw >= xd->w) continue;
                long xo = toff(xd, n, g * fd->c + c, ih, iw), wo = foff(fd, k, c, r, s), yo = toff(yd, n, k, oh, ow);
                if (mode == 0) y[yo] += x[xo] * w[wo];
                else if (mode == 1) x[xo] += y[yo] * w[wo];
                else w[wo] += x[xo] * y[yo];
            }
        }
}
static cudnnStatus_t run(int mode, const cudnnTensorStruct *xd, void *x, const cudnnFilterStruct *fd, void *w,
                         const cudnnConvolutionStruct *cd, const cudnnTensorStruct *yd, void *y, int algo, void *ws, size_t wsz) {
    if (algo != 0) return CUDNN_STATUS_BAD_PARAM;
    if (nhwc_fail() && xd->fmt == CUDNN_TENSOR_NHWC) return CUDNN_STATUS_NOT_SUPPORTED;
    if (xd->fmt != yd->fmt || xd->fmt != fd->fmt) return CUDNN_STATUS_NOT_SUPPORTED;
    if (wsz && !ws) return CUDNN_STATUS_BAD_PARAM;
    if (xd->dt == CUDNN_DATA_FLOAT) naive<float>(mode, xd, (float *)x, fd, (float *)w, cd, yd, (float *)y);
    else naive<double>(mode, xd, (double *)x, fd, (double *)w, cd, yd, (double *)y);
    return CUDNN_STATUS_SUCCESS;
}
extern "C" {
cudnnStatus_t cudnnConvolutionForward(cudnnHandle_t, const void *, const cudnnTensorDescriptor_t xd, const void *x,
    const cudnnFilterDescriptor_t fd, const void *w, const cudnnConvolutionDescriptor_t cd, cudnnConvolutionFwdAlgo_t a,
    void *ws, size_t wsz, const void *, const cudnnTensorDescriptor_t yd, void *y) {
    return run(0, xd, (void *)x, fd, (void *)w, cd, yd, y, (int)a, ws, wsz); }
cudnnStatus_t cudnnConvolutionBackwardData(cudnnHandle_t, const void *, const cudnnFilterDescriptor_t fd, const void *w,
    const cudnnTensorDescriptor_t yd, const void *dy, const cudnnConvolutionDescriptor_t cd, cudnnConvolutionBwdDataAlgo_t a,
    void *ws, size_t wsz, const void *, const cudnnTensorDescriptor_t xd, void *dx) {
    return run(1, xd, dx, fd, (void *)w, cd, yd, (void *)dy, (int)a, ws, wsz); }
cudnnStatus_t cudnnConvolutionBackwardFilter(cudnnHandle_t, const void *, const cudnnTensorDescriptor_t xd, const void *x,
    const cudnnTensorDescriptor_t yd, const void *dy, const cudnnConvolutionDescriptor_t cd, cudnnConvolutionBwdFilterAlgo_t a,
    void *ws, size_t wsz, const void *, const cudnnFilterDescriptor_t fd, void *dw) {
    return run(2, xd, (void *)x, fd, dw, cd, yd, (void *)dy, (int)a, ws, wsz); }
}
/* batch norm, spatial, x described as 4-D (any format: the stub needs N*H*W rows of C when H = W = 1) */
struct bnstat { long M, C; };
static bnstat bn_dims(const cudnnTensorStruct *x) { return {(long)x->n * x->h * x->w, (long)x->c}; }
extern "C" cudnnStatus_t cudnnDeriveBNTensorDescriptor(cudnnTensorDescriptor_t d, const cudnnTensorDescriptor_t x, cudnnBatchNormMode_t m) {
    if (m != CUDNN_BATCHNORM_SPATIAL) return CUDNN_STATUS_NOT_SUPPORTED;
    *d = {CUDNN_TENSOR_NCHW, x->dt, 1, x->c, 1, 1}; return CUDNN_STATUS_SUCCESS; }
template <typename T> static void bn_train(bnstat s, const T *x, T *y, const T *sc, const T *b, double f, T *rm, T *rv, double eps, T *sm, T *si) {
    for (long c = 0; c < s.C; c++) {
        double m = 0, v = 0;
        for (long r = 0; r < s.M; r++) m += x[r * s.C + c];
        m /= s.M;
        for (long r = 0; r < s.M; r++) v += (x[r * s.C + c] - m) * (x[r * s.C + c] - m);
        v /= s.M;
        double inv = 1.0 / sqrt(v + eps);
        for (long r = 0; r < s.M; r++) y[r * s.C + c] = (T)((x[r * s.C + c] - m) * inv * sc[c] + b[c]);
        rm[c] = (T)(rm[c] * (1 - f) + f * m);
        rv[c] = (T)(rv[c] * (1 - f) + f * v * s.M / (s.M - 1));
        if (sm) sm[c] = (T)m;
        if (si) si[c] = (T)inv;
    }
}
template <typename T> static void bn_infer(bnstat s, const T *x, T *y, const T *sc, const T *b, const T *m, const T *v, double eps) {
    for (long r = 0; r < s.M; r++) for (long c = 0; c < s.C; c++)
        y[r * s.C + c] = (T)(sc[c] * (x[r * s.C + c] - m[c]) / sqrt(v[c] + eps) + b[c]);
}
template <typename T> static void bn_bwd(bnstat s, const T *x, const T *dy, T *dx, const T *sc, T *ds, T *db, const T *sm, const T *si) {
    for (long c = 0; c < s.C; c++) {
        double sdb = 0, sds = 0;
        for (long r = 0; r < s.M; r++) { double xh = (x[r * s.C + c] - sm[c]) * si[c]; sdb += dy[r * s.C + c]; sds += dy[r * s.C + c] * xh; }
        for (long r = 0; r < s.M; r++) {
            double xh = (x[r * s.C + c] - sm[c]) * si[c];
            dx[r * s.C + c] = (T)(sc[c] * si[c] * (dy[r * s.C + c] - sdb / s.M - xh * sds / s.M));
        }
        ds[c] = (T)sds; db[c] = (T)sdb;
    }
}
extern "C" {
cudnnStatus_t cudnnBatchNormalizationForwardTraining(cudnnHandle_t, cudnnBatchNormMode_t, const void *, const void *,
    const cudnnTensorDescriptor_t xd, const void *x, const cudnnTensorDescriptor_t, void *y, const cudnnTensorDescriptor_t,
    const void *sc, const void *b, double f, void *rm, void *rv, double eps, void *sm, void *si) {
    bnstat s = bn_dims(xd);
    if (xd->dt == CUDNN_DATA_FLOAT) bn_train<float>(s, (const float *)x, (float *)y, (const float *)sc, (const float *)b, f, (float *)rm, (float *)rv, eps, (float *)sm, (float *)si);
    else bn_train<double>(s, (const double *)x, (double *)y, (const double *)sc, (const double *)b, f, (double *)rm, (double *)rv, eps, (double *)sm, (double *)si);
    return CUDNN_STATUS_SUCCESS; }
cudnnStatus_t cudnnBatchNormalizationForwardInference(cudnnHandle_t, cudnnBatchNormMode_t, const void *, const void *,
    const cudnnTensorDescriptor_t xd, const void *x, const cudnnTensorDescriptor_t, void *y, const cudnnTensorDescriptor_t,
    const void *sc, const void *b, const void *m, const void *v, double eps) {
    bnstat s = bn_dims(xd);
    if (xd->dt == CUDNN_DATA_FLOAT) bn_infer<float>(s, (const float *)x, (float *)y, (const float *)sc, (const float *)b, (const float *)m, (const float *)v, eps);
    else bn_infer<double>(s, (const double *)x, (double *)y, (const double *)sc, (const double *)b, (const double *)m, (const double *)v, eps);
    return CUDNN_STATUS_SUCCESS; }
cudnnStatus_t cudnnBatchNormalizationBackward(cudnnHandle_t, cudnnBatchNormMode_t, const void *, const void *, const void *, const void *,
    const cudnnTensorDescriptor_t xd, const void *x, const cudnnTensorDescriptor_t, const void *dy, const cudnnTensorDescriptor_t, void *dx,
    const cudnnTensorDescriptor_t, const void *sc, void *ds, void *db, double, const void *sm, const void *si) {
    bnstat s = bn_dims(xd);
    if (!sm || !si) return CUDNN_STATUS_NOT_SUPPORTED;
    if (xd->dt == CUDNN_DATA_FLOAT) bn_bwd<float>(s, (const float *)x, (const float *)dy, (float *)dx, (const float *)sc, (float *)ds, (float *)db, (const float *)sm, (const float *)si);
    else bn_bwd<double>(s, (const double *)x, (const double *)dy, (double *)dx, (const double *)sc, (double *)ds, (double *)db, (const double *)sm, (const double *)si);
    return CUDNN_STATUS_SUCCESS; }
}
cudnnHandle_t mkg_cudnn(void) { return (cudnnHandle_t)0x1; }
int mkg_check_cudnn(mk_call *c, cudnnStatus_t s, const char *w) { return s ? mkg_err(c, "%s: status %d", w, (int)s) : 0; }
