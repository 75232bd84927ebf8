/* What every CUDA kernel family (kernels/<family>.cu) shares: the stream, scratch memory,
 * library handles and error reporting of the device glue (csrc/cuda_device.cu), and small
 * launch helpers.  A GPU kernel has the CPU kernel's contract (mk.h): outputs are allocated
 * (on the GPU) before it runs, it reads c->in / c->a and writes c->out, and it returns 0 or
 * -1 with c->err set.  It only enqueues work on mkg_stream: it never synchronises. */
#ifndef MK_CUDA_COMMON_CUH
#define MK_CUDA_COMMON_CUH

#include "../mk.h"
#include <cuda_runtime.h>
#include <cuda_fp16.h>
#include <cublas_v2.h>
#include <cublasLt.h>
#include <cudnn.h>
#include <stdint.h>

/* the one stream of the device: every kernel, copy and library call goes on it */
extern cudaStream_t mkg_stream;

/* scratch memory from the caching allocator, stream-ordered: freeing it right after the
 * launch that uses it is safe (a later allocation of the block is ordered after it). */
void *mkg_alloc(size_t nbytes);            /* NULL when out of memory */
void mkg_free(void *p, size_t nbytes);

/* library handles, created on first use and bound to mkg_stream */
cublasHandle_t mkg_cublas(void);
cublasLtHandle_t mkg_cublaslt(void);
void *mkg_cublaslt_workspace(size_t *nbytes);   /* one workspace for every cuBLASLt call */
cudnnHandle_t mkg_cudnn(void);
int mkg_tf32_enabled(void);                 /* tf.config.experimental.enable_tensor_float_32_execution */
int mkg_sm_count(void);

/* the core's API (random streams, op table) */
extern const mk_core_api *mkg_core;

/* errors: format c->err and return -1 */
int mkg_err(mk_call *c, const char *fmt, ...);
/* after a launch: -1 with c->err naming the op and CUDA's message if the launch failed */
int mkg_check_launch(mk_call *c);
int mkg_check_cuda(mk_call *c, cudaError_t e, const char *what);
int mkg_check_cublas(mk_call *c, cublasStatus_t s, const char *what);
int mkg_check_cudnn(mk_call *c, cudnnStatus_t s, const char *what);

/* ---- launch helpers ------------------------------------------------------ */
#define MKG_THREADS 256

/* blocks for a grid-stride loop over n elements (enough to fill the GPU, no more) */
static inline unsigned mkg_blocks(int64_t n, int threads = MKG_THREADS) {
    int64_t b = (n + threads - 1) / threads;
    int64_t cap = (int64_t)mkg_sm_count() * 32;
    if (b > cap) b = cap;
    return b < 1 ? 1u : (unsigned)b;
}

#define MKG_GRID_STRIDE(i, n) \
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < (n); \
         i += (int64_t)blockDim.x * gridDim.x)

/* A tensor's geometry passed by value to a kernel: element i (row-major over shape) is at
 * data + offset(i).  Strides are in elements; 0 strides broadcast. */
typedef struct {
    int ndim;
    int64_t shape[MK_MAXDIM];
    int64_t strides[MK_MAXDIM];
} mkg_geom;

static inline mkg_geom mkg_geom_of(const mk_tensor *t) {
    mkg_geom g;
    g.ndim = t->ndim;
    for (int d = 0; d < t->ndim; d++) { g.shape[d] = t->shape[d]; g.strides[d] = t->strides[d]; }
    return g;
}

/* geometry of t read as if broadcast to (ndim, shape) */
static inline mkg_geom mkg_geom_broadcast(const mk_tensor *t, int ndim, const int64_t *shape) {
    mkg_geom g;
    g.ndim = ndim;
    int lead = ndim - t->ndim;
    for (int d = 0; d < ndim; d++) {
        g.shape[d] = shape[d];
        g.strides[d] = (d < lead || t->shape[d - lead] == 1) ? 0 : t->strides[d - lead];
    }
    return g;
}

__device__ __forceinline__ int64_t mkg_offset(const mkg_geom &g, int64_t i) {
    int64_t off = 0;
    for (int d = g.ndim - 1; d >= 0; d--) {
        int64_t q = i / g.shape[d];
        off += (i - q * g.shape[d]) * g.strides[d];
        i = q;
    }
    return off;
}

/* the typed data pointer of a tensor (device memory for GPU tensors) */
template <typename T> static inline T *mkg_ptr(const mk_tensor *t) { return (T *)mk_data(t); }

/* Data movement: run the body with T an unsigned type of the element's size (1, 2, 4 or 8
 * bytes: float16 and bool move like any other element).  The body must return. */
#define MKG_BY_ITEMSIZE(c, isz, T, ...)                                        \
    switch (isz) {                                                             \
    case 1: { typedef uint8_t T; __VA_ARGS__; }                                \
    case 2: { typedef uint16_t T; __VA_ARGS__; }                               \
    case 4: { typedef uint32_t T; __VA_ARGS__; }                               \
    case 8: { typedef uint64_t T; __VA_ARGS__; }                               \
    default: return mkg_err(c, "unsupported element size %d", (int)(isz));    \
    }

#endif
