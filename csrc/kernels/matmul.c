/* Matmul family: batched matrix products through OpenBLAS (cblas_?gemm).
 * attrs: i[0] = transpose_a, i[1] = transpose_b.  Batch dimensions broadcast.
 * Backward (composed in Python): dA = dC @ B^T, dB = A^T @ dC, via the
 * transpose attributes, so no transposed copies are made. */
#include "../mk.h"
#include "blas.h"
#include <omp.h>

static int infer_matmul(mk_call *c) {
    if (mk_same_dtype(c) < 0) return -1;
    mk_tensor *A = c->in[0], *B = c->in[1];
    int dt = A->dtype;
    /* float16 reaches here only on the GPU (MK_OP_F16_GPU, matmul.cu); the CPU computes it in float32 */
    if (dt != MK_F32 && dt != MK_F64 && dt != MK_I32 && dt != MK_I64 && dt != MK_F16)
        return mk_err(c, "unsupported dtype %s", mk_dtypes[dt].name);
    if (A->ndim < 2 || B->ndim < 2) {
        char sa[128], sb[128];
        mk_shape_str(sa, sizeof sa, A->ndim, A->shape);
        mk_shape_str(sb, sizeof sb, B->ndim, B->shape);
        return mk_err(c, "In[0] and In[1] must be at least rank 2: %s vs. %s", sa, sb);
    }
    int ta = (int)c->a.i[0], tb = (int)c->a.i[1];
    int64_t m = ta ? A->shape[A->ndim - 1] : A->shape[A->ndim - 2];
    int64_t ka = ta ? A->shape[A->ndim - 2] : A->shape[A->ndim - 1];
    int64_t kb = tb ? B->shape[B->ndim - 1] : B->shape[B->ndim - 2];
    int64_t n = tb ? B->shape[B->ndim - 2] : B->shape[B->ndim - 1];
    if (ka != kb) {
        char sa[128], sb[128];
        mk_shape_str(sa, sizeof sa, A->ndim, A->shape);
        mk_shape_str(sb, sizeof sb, B->ndim, B->shape);
        return mk_err(c, "Matrix size-incompatible: In[0]: %s, In[1]: %s (transpose_a=%d, transpose_b=%d)",
                      sa, sb, ta, tb);
    }
    mk_meta *mt = &c->meta[0];
    int nb;
    if (mk_broadcast_shapes(c, A->ndim - 2, A->shape, B->ndim - 2, B->shape, &nb, mt->shape) < 0)
        return -1;
    mt->shape[nb] = m;
    mt->shape[nb + 1] = n;
    mt->ndim = nb + 2;
    mt->dtype = dt;
    mt->view = 0;
    return 0;
}

/* offset (elements) of batch b of tensor t broadcast into the output's batch shape */
static int64_t batch_offset(const mk_tensor *t, const mk_tensor *O, int64_t b) {
    int nbo = O->ndim - 2, nbt = t->ndim - 2;
    int64_t off = 0;
    for (int d = nbo - 1; d >= 0; d--) {
        int64_t i = b % O->shape[d];
        b /= O->shape[d];
        int td = d - (nbo - nbt);
        if (td >= 0 && t->shape[td] != 1) off += i * t->strides[td];
    }
    return off;
}

/* One GEMM on a block: o[m x n] (leading dimension ldc) = op(a) @ op(b). */
static void gemm(int dt, int ta, int tb, int64_t m, int64_t n, int64_t k,
                 const void *a, int64_t lda, const void *b, int64_t ldb, void *o, int64_t ldc) {
    if (m <= 0 || n <= 0) return;
    switch (dt) {
    case MK_F32:
        MK_CBLAS(sgemm)(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
                        (blasint)m, (blasint)n, (blasint)k, 1.0f, a, (blasint)lda, b, (blasint)ldb,
                        0.0f, o, (blasint)ldc);
        break;
    case MK_F64:
        MK_CBLAS(dgemm)(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
                        (blasint)m, (blasint)n, (blasint)k, 1.0, a, (blasint)lda, b, (blasint)ldb,
                        0.0, o, (blasint)ldc);
        break;
#define INT_GEMM(T)                                                                      \
    {                                                                                    \
        const T *pa = a, *pb = b;                                                        \
        T *po = o;                                                                       \
        for (int64_t i = 0; i < m; i++)                                                  \
            for (int64_t j = 0; j < n; j++) {                                            \
                T s = 0;                                                                 \
                for (int64_t p = 0; p < k; p++)                                          \
                    s += pa[ta ? p * lda + i : i * lda + p] * pb[tb ? j * ldb + p : p * ldb + j]; \
                po[i * ldc + j] = s;                                                     \
            }                                                                            \
    }
    case MK_I32: INT_GEMM(int32_t) break;
    case MK_I64: INT_GEMM(int64_t) break;
    }
}

/* OpenBLAS runs single-threaded (set at module init): we split the product over
 * our own OpenMP threads, by batch, else by rows, else by columns.  One thread
 * pool on the machine, so BLAS and elementwise kernels never fight for cores. */
static int k_matmul(mk_call *c) {
    mk_tensor *A = c->in[0], *B = c->in[1], *O = c->out[0];
    int ta = (int)c->a.i[0], tb = (int)c->a.i[1];
    int64_t m = O->shape[O->ndim - 2], n = O->shape[O->ndim - 1];
    int64_t k = ta ? A->shape[A->ndim - 2] : A->shape[A->ndim - 1];
    int64_t lda = A->shape[A->ndim - 1], ldb = B->shape[B->ndim - 1];
    int64_t batches = (m > 0 && n > 0) ? mk_numel(O) / (m * n) : 0;
    if (batches == 0) return 0;
    int isz = mk_dtypes[O->dtype].itemsize, dt = O->dtype;
    if (k == 0) { memset(mk_data(O), 0, mk_numel(O) * isz); return 0; }
    int nt = omp_get_max_threads();
    double flops = 2.0 * (double)m * n * k * batches;
    if (nt < 2 || flops < 4e6) nt = 1;
    const char *ab = mk_data(A), *bb = mk_data(B);
    char *ob = mk_data(O);
    if (batches >= nt) {
        #pragma omp parallel for schedule(static) num_threads(nt) if (nt > 1)
        for (int64_t bi = 0; bi < batches; bi++)
            gemm(dt, ta, tb, m, n, k, ab + batch_offset(A, O, bi) * isz, lda,
                 bb + batch_offset(B, O, bi) * isz, ldb, ob + bi * m * n * isz, n);
        return 0;
    }
    int split_rows = m >= n;
    int64_t len = split_rows ? m : n;
    for (int64_t bi = 0; bi < batches; bi++) {
        const char *a0 = ab + batch_offset(A, O, bi) * isz, *b0 = bb + batch_offset(B, O, bi) * isz;
        char *o0 = ob + bi * m * n * isz;
        #pragma omp parallel for schedule(static) num_threads(nt)
        for (int t = 0; t < nt; t++) {
            int64_t lo = len * t / nt, hi = len * (t + 1) / nt;
            if (split_rows)
                gemm(dt, ta, tb, hi - lo, n, k, a0 + (ta ? lo : lo * lda) * isz, lda, b0, ldb,
                     o0 + lo * n * isz, n);
            else
                gemm(dt, ta, tb, m, hi - lo, k, a0, lda, b0 + (tb ? lo * ldb : lo) * isz, ldb,
                     o0 + lo * isz, n);
        }
    }
    return 0;
}

void mk_register_matmul(void) {
    MK_BLAS_SET_THREADS(1);
    /* BLAS wants each matrix dense: a contiguous copy is made (and recorded) if not */
    mk_ops[MK_OP_MATMUL] = (mk_opdef){NULL, 2, 1, MK_OP_CONTIG, infer_matmul, {k_matmul}};
}
