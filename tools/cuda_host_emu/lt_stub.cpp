/* naive cuBLASLt / cuBLAS stand-ins for the host emulation of matmul.cu: the documented
 * column-major semantics (layout rows x cols with ld, batch count / strided batch offset,
 * TRANSA / TRANSB), checking that the shapes agree as the real library requires */
#include "emu.h"
#include <cuda_fp16.h>
struct Desc { int compute, scale, ta = 0, tb = 0; };
struct Lay { int type; uint64_t rows, cols; int64_t ld; int32_t batch = 1; int64_t stride = 0; };
int g_lt_calls = 0, g_gemm_calls = 0, g_fail_heuristic = 0;
extern "C" {
cublasStatus_t cublasLtMatmulDescCreate(cublasLtMatmulDesc_t *d, cublasComputeType_t c, cudaDataType_t s) {
    Desc *p = new Desc; p->compute = c; p->scale = s; *d = (cublasLtMatmulDesc_t)p; return CUBLAS_STATUS_SUCCESS; }
cublasStatus_t cublasLtMatmulDescDestroy(cublasLtMatmulDesc_t d) { delete (Desc *)d; return CUBLAS_STATUS_SUCCESS; }
cublasStatus_t cublasLtMatmulDescSetAttribute(cublasLtMatmulDesc_t d, cublasLtMatmulDescAttributes_t a, const void *v, size_t n) {
    Desc *p = (Desc *)d;
    if (n != 4) return CUBLAS_STATUS_INVALID_VALUE;
    if (a == CUBLASLT_MATMUL_DESC_TRANSA) p->ta = *(const int32_t *)v;
    else if (a == CUBLASLT_MATMUL_DESC_TRANSB) p->tb = *(const int32_t *)v;
    else return CUBLAS_STATUS_INVALID_VALUE;
    return CUBLAS_STATUS_SUCCESS; }
cublasStatus_t cublasLtMatrixLayoutCreate(cublasLtMatrixLayout_t *l, cudaDataType t, uint64_t r, uint64_t c, int64_t ld) {
    if (ld < (int64_t)r) return CUBLAS_STATUS_INVALID_VALUE;
    Lay *p = new Lay; p->type = t; p->rows = r; p->cols = c; p->ld = ld; *l = (cublasLtMatrixLayout_t)p; return CUBLAS_STATUS_SUCCESS; }
cublasStatus_t cublasLtMatrixLayoutDestroy(cublasLtMatrixLayout_t l) { delete (Lay *)l; return CUBLAS_STATUS_SUCCESS; }
cublasStatus_t cublasLtMatrixLayoutSetAttribute(cublasLtMatrixLayout_t l, cublasLtMatrixLayoutAttribute_t a, const void *v, size_t n) {
    Lay *p = (Lay *)l;
    if (a == CUBLASLT_MATRIX_LAYOUT_BATCH_COUNT && n == 4) p->batch = *(const int32_t *)v;
    else if (a == CUBLASLT_MATRIX_LAYOUT_STRIDED_BATCH_OFFSET && n == 8) p->stride = *(const int64_t *)v;
    else return CUBLAS_STATUS_INVALID_VALUE;
    return CUBLAS_STATUS_SUCCESS; }
cublasStatus_t cublasLtMatmulPreferenceCreate(cublasLtMatmulPreference_t *p) { *p = (cublasLtMatmulPreference_t)new int; return CUBLAS_STATUS_SUCCESS; }
cublasStatus_t cublasLtMatmulPreferenceDestroy(cublasLtMatmulPreference_t p) { delete (int *)p; return CUBLAS_STATUS_SUCCESS; }
cublasStatus_t cublasLtMatmulPreferenceSetAttribute(cublasLtMatmulPreference_t, cublasLtMatmulPreferenceAttributes_t, const void *, size_t) { return CUBLAS_STATUS_SUCCESS; }
cublasStatus_t cublasLtMatmulAlgoGetHeuristic(cublasLtHandle_t, cublasLtMatmulDesc_t, cublasLtMatrixLayout_t, cublasLtMatrixLayout_t,
        cublasLtMatrixLayout_t, cublasLtMatrixLayout_t, cublasLtMatmulPreference_t, int req, cublasLtMatmulHeuristicResult_t *res, int *found) {
    if (g_fail_heuristic) { *found = 0; return CUBLAS_STATUS_NOT_SUPPORTED; }
    memset(res, 0, sizeof *res); res->state = CUBLAS_STATUS_SUCCESS; *found = 1; return CUBLAS_STATUS_SUCCESS; }
}
static double rd(int t, const void *p, int64_t i) {
    if (t == CUDA_R_32F) return ((const float *)p)[i];
    if (t == CUDA_R_64F) return ((const double *)p)[i];
    return __half2float(((const __half *)p)[i]);
}
static void wr(int t, void *p, int64_t i, double v) {
    if (t == CUDA_R_32F) ((float *)p)[i] = (float)v;
    else if (t == CUDA_R_64F) ((double *)p)[i] = v;
    else ((__half *)p)[i] = __float2half_rn((float)v);
}
/* D (m x n) = op(A) (m x k) op(B) (k x n), column-major, element (i, j) at p[i + j*ld] */
static cublasStatus_t gemm(int ta, int tb, int64_t m, int64_t n, int64_t k, int type, const void *A, int64_t lda, int64_t sa,
                           const void *B, int64_t ldb, int64_t sb, void *D, int64_t ldd, int64_t sd, int64_t batch) {
    for (int64_t b = 0; b < batch; b++)
        for (int64_t i = 0; i < m; i++)
            for (int64_t j = 0; j < n; j++) {
                double s = 0;
                for (int64_t p = 0; p < k; p++) {
                    double x = rd(type, A, b * sa + (ta ? p + i * lda : i + p * lda));
                    double y = rd(type, B, b * sb + (tb ? j + p * ldb : p + j * ldb));
                    s += x * y;
                }
                wr(type, D, b * sd + i + j * ldd, s);
            }
    return CUBLAS_STATUS_SUCCESS;
}
extern "C" cublasStatus_t cublasLtMatmul(cublasLtHandle_t, cublasLtMatmulDesc_t d, const void *alpha, const void *A, cublasLtMatrixLayout_t la,
        const void *B, cublasLtMatrixLayout_t lb, const void *beta, const void *C, cublasLtMatrixLayout_t lc, void *D,
        cublasLtMatrixLayout_t ld, const cublasLtMatmulAlgo_t *, void *, size_t, cudaStream_t) {
    Desc *p = (Desc *)d; Lay *a = (Lay *)la, *b = (Lay *)lb, *c = (Lay *)lc, *dd = (Lay *)ld;
    g_lt_calls++;
    int ta = p->ta == CUBLAS_OP_T, tb = p->tb == CUBLAS_OP_T;
    uint64_t m = ta ? a->cols : a->rows, k = ta ? a->rows : a->cols;
    uint64_t kb = tb ? b->cols : b->rows, n = tb ? b->rows : b->cols;
    if (k != kb || dd->rows != m || dd->cols != n || a->batch != b->batch || a->batch != dd->batch || C != D || c != dd)
        return CUBLAS_STATUS_INVALID_VALUE;
    if (a->type != b->type || a->type != dd->type) return CUBLAS_STATUS_INVALID_VALUE;
    if ((a->type == CUDA_R_64F) != (p->compute == CUBLAS_COMPUTE_64F)) return CUBLAS_STATUS_INVALID_VALUE;
    if (p->scale == CUDA_R_64F ? *(const double *)alpha != 1 || *(const double *)beta != 0
                               : *(const float *)alpha != 1 || *(const float *)beta != 0) return CUBLAS_STATUS_INVALID_VALUE;
    return gemm(ta, tb, m, n, k, a->type, A, a->ld, a->stride, B, b->ld, b->stride, D, dd->ld, dd->batch > 1 ? dd->stride : 0, a->batch);
}
extern "C" cublasStatus_t cublasGemmStridedBatchedEx_64(cublasHandle_t, cublasOperation_t ta, cublasOperation_t tb, int64_t m, int64_t n,
        int64_t k, const void *alpha, const void *A, cudaDataType at, int64_t lda, long long sa, const void *B, cudaDataType bt,
        int64_t ldb, long long sb, const void *beta, void *C, cudaDataType ct, int64_t ldc, long long sc, int64_t batch,
        cublasComputeType_t, cublasGemmAlgo_t) {
    g_gemm_calls++;
    if (at != bt || at != ct) return CUBLAS_STATUS_INVALID_VALUE;
    return gemm(ta == CUBLAS_OP_T, tb == CUBLAS_OP_T, m, n, k, at, A, lda, sa, B, ldb, sb, C, ldc, sc, batch);
}
cublasHandle_t mkg_cublas(void) { return (cublasHandle_t)0x1; }
cublasLtHandle_t mkg_cublaslt(void) { return (cublasLtHandle_t)0x1; }
static char g_ws[64];
void *mkg_cublaslt_workspace(size_t *n) { *n = sizeof g_ws; return g_ws; }
int mkg_check_cublas(mk_call *c, cublasStatus_t s, const char *w) { return s ? mkg_err(c, "%s: status %d", w, (int)s) : 0; }
extern "C" int emu_lt_counts(int *lt, int *gemm, int fail) { *lt = g_lt_calls; *gemm = g_gemm_calls; g_fail_heuristic = fail; return 0; }
