/* minikeras core: tensors, storage, the op table and the call record shared by
 * every kernel family.  Kernels see only mk_call: outputs first, then inputs,
 * then attributes; they never touch the Python API (they run without the GIL). */
#ifndef MK_H
#define MK_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <stddef.h>
#include <string.h>

#define MK_MAXDIM 8
#define MK_MAXATTR 32
#define MK_INLINE_ARGS 8
#define MK_ERRLEN 512

/* ---- dtypes ------------------------------------------------------------ */
typedef enum {
    MK_F32 = 0, MK_F16, MK_F64, MK_I32, MK_I64, MK_U8, MK_BOOL,
    MK_NDTYPE
} mk_dtype;

typedef struct {
    const char *name;      /* TensorFlow's name: "float32" */
    int itemsize;
    const char *typestr;   /* numpy __array_interface__ typestr */
    int is_float, is_int, is_signed;
} mk_dtype_info;

extern const mk_dtype_info mk_dtypes[MK_NDTYPE];   /* built from dtypes.def */

/* functions shared by a CPU kernel family and its CUDA twin (philox.h, image_math.h) */
#ifdef __CUDACC__
#define MK_HD __host__ __device__ __forceinline__
#else
#define MK_HD inline
#endif

#ifdef __cplusplus
#define MK_TLS thread_local
#else
#define MK_TLS _Thread_local
#endif

/* ---- devices ----------------------------------------------------------- */
typedef enum { MK_CPU = 0, MK_GPU, MK_NDEV } mk_device;

/* ---- storage and tensors ----------------------------------------------- */
typedef struct mk_storage {
    int64_t refcnt;
    void *data;
    size_t nbytes;
    int device;
} mk_storage;

enum {
    MK_T_VARIABLE  = 1,   /* the value tensor of a tf.Variable (assign writes in place) */
    MK_T_TRAINABLE = 2,   /* watched automatically by every tape */
    MK_T_TRACED    = 4,   /* produced inside a graph being traced: value not fixed */
};

typedef struct {
    PyObject_HEAD
    mk_storage *storage;
    int64_t offset;               /* in elements */
    int ndim;
    int dtype;
    int device;
    int flags;
    uint32_t tape_mask;           /* bit k: watched by the active tape in slot k */
    int64_t shape[MK_MAXDIM];
    int64_t strides[MK_MAXDIM];   /* in elements */
    PyObject *weakreflist;
} mk_tensor;

extern PyTypeObject *mk_tensor_type;   /* the Python subclass used for new tensors */
extern PyTypeObject mk_TensorBase_Type;

static inline int64_t mk_numel_of(int ndim, const int64_t *shape) {
    int64_t n = 1;
    for (int i = 0; i < ndim; i++) n *= shape[i];
    return n;
}
static inline int64_t mk_numel(const mk_tensor *t) { return mk_numel_of(t->ndim, t->shape); }
static inline void *mk_data(const mk_tensor *t) {
    return (char *)t->storage->data + t->offset * mk_dtypes[t->dtype].itemsize;
}
int mk_is_contiguous(const mk_tensor *t);
void mk_contiguous_strides(int ndim, const int64_t *shape, int64_t *strides);

/* New tensor with fresh (uninitialised) contiguous storage; NULL + Python error on failure. */
mk_tensor *mk_tensor_new(int dtype, int ndim, const int64_t *shape, int device);
/* New tensor sharing `base`'s storage. */
mk_tensor *mk_tensor_view(mk_tensor *base, int ndim, const int64_t *shape,
                          const int64_t *strides, int64_t offset);
mk_storage *mk_storage_new(size_t nbytes, int device);
void mk_storage_decref(mk_storage *s);

/* ---- ops --------------------------------------------------------------- */
typedef struct {
    int64_t i[MK_MAXATTR];
    double f[4];
    int ni, nf;
} mk_attrs;

typedef struct {           /* what infer decides about one output */
    int dtype, ndim;
    int64_t shape[MK_MAXDIM];
    int view;              /* output is a view of input `view_of` */
    int view_of;
    int64_t strides[MK_MAXDIM];
    int64_t offset;
} mk_meta;

struct mk_opdef;
typedef struct mk_call {
    const struct mk_opdef *op;
    int op_id;
    int nin, nout;
    mk_tensor **in;
    mk_tensor **out;
    mk_meta *meta;         /* nout entries, filled by infer */
    mk_attrs a;
    char err[MK_ERRLEN];   /* message when infer/kernel return -1 */
    mk_tensor *in_inline[MK_INLINE_ARGS];
    mk_tensor *out_inline[MK_INLINE_ARGS];
    mk_meta meta_inline[MK_INLINE_ARGS];
} mk_call;

typedef int (*mk_infer_fn)(mk_call *c);
typedef int (*mk_kernel_fn)(mk_call *c);

enum {
    MK_OP_VIEW      = 1,    /* outputs alias input storage: no kernel runs */
    MK_OP_CONTIG    = 2,    /* kernel needs contiguous inputs */
    MK_OP_NONDIFF   = 4,    /* never recorded on a tape */
    MK_OP_DYNAMIC   = 8,    /* output shape depends on input values */
    MK_OP_STATEFUL  = 16,   /* random / side effects: never folded */
    MK_OP_F16_NATIVE = 32,  /* handles float16 itself (data movement ops) */
    MK_OP_VARIADIC  = 64,   /* any number of inputs */
    MK_OP_MULTI_OUT = 128,  /* number of outputs decided by infer (c->nout set by caller) */
    MK_OP_ELEMENTWISE = 256, /* out[j] depends only on in[k][j] (or a 1-element input): a traced
                                graph may run a chain of these chunk by chunk (graph.c) */
    MK_OP_NOGIL     = 512,  /* slow per element (decoders): the kernel never holds the GIL */
    MK_OP_F16_GPU   = 1024, /* its GPU kernel computes float16 itself (TF does, e.g. matmul on
                               tensor cores); on the CPU float16 still goes through float32 */
    MK_OP_XDEV      = 2048, /* to_device: output on the device in attr i[0], input not moved */
    MK_OP_NOCAPTURE = 4096, /* its GPU launch reads host state each run (random counters): a
                               replay never bakes it into a CUDA Graph */
};

typedef struct mk_opdef {
    const char *name;
    int nin;               /* fixed input count, or minimum when VARIADIC */
    int nout;              /* fixed output count (ignored with MULTI_OUT) */
    unsigned flags;
    mk_infer_fn infer;
    mk_kernel_fn kernel[MK_NDEV];
} mk_opdef;

/* One enum over every op family; each family lists its ops in kernels/<family>.def */
enum {
#define MK_OP(id, name) MK_OP_##id,
#include "kernels/ops.def"
#undef MK_OP
    MK_OP_COUNT
};
extern const char *const mk_op_names[MK_OP_COUNT];
extern mk_opdef mk_ops[MK_OP_COUNT];

/* each family fills its entries of mk_ops */
#define MK_FAMILY(fam) void mk_register_##fam(void);
#include "kernels/families.def"
#undef MK_FAMILY

/* ---- helpers for infer functions --------------------------------------- */
int mk_err(mk_call *c, const char *fmt, ...);
void mk_shape_str(char *buf, size_t n, int ndim, const int64_t *shape);
/* broadcast a and b shapes into out; -1 with c->err set on mismatch */
int mk_broadcast_shapes(mk_call *c, int na, const int64_t *a, int nb, const int64_t *b,
                        int *nout, int64_t *out);
/* strides of t broadcast to (ndim, shape): 0 where t has size 1 */
void mk_broadcast_strides(const mk_tensor *t, int ndim, const int64_t *shape, int64_t *strides);
/* normalise axis into [0, ndim); -1 + err if out of range */
int mk_norm_axis(mk_call *c, int64_t axis, int ndim, int *out);
static inline void mk_meta_set(mk_meta *m, int dtype, int ndim, const int64_t *shape) {
    m->dtype = dtype; m->ndim = ndim; m->view = 0;
    for (int i = 0; i < ndim; i++) m->shape[i] = shape[i];
}
int mk_same_dtype(mk_call *c);          /* all inputs share a dtype, or error */

/* ---- execution --------------------------------------------------------- */
/* Run one op eagerly (and record it on tapes / the traced graph).
 * Inputs are borrowed; on success the call owns new output references in c->out.
 * Returns 0, or -1 with a Python exception set. */
int mk_exec(mk_call *c);
void mk_call_init(mk_call *c, int op_id, int nin, int nout);
void mk_call_free(mk_call *c);   /* releases output refs and any heap arrays */
/* Convenience: run an op on tensors, return the single output (new ref) or NULL. */
mk_tensor *mk_run1(int op_id, int nin, mk_tensor **in, const mk_attrs *a);

/* number of elements above which a kernel releases the GIL / uses threads */
#define MK_PAR_MIN 32768

/* ---- the GPU backend ---------------------------------------------------
 * minikeras._cuda (csrc/cuda_device.cu + kernels/<family>.cu) is a second extension.  When a
 * GPU is used it takes the core API from _core's capsule "minikeras._core._api", writes its
 * kernels into ops[id].kernel[MK_GPU] and hands back an mk_gpu_api: from then on GPU storage,
 * copies and CUDA Graphs go through it.  Without it every tensor lives on the CPU. */
#define MK_API_ABI 1
enum { MK_COPY_H2D = 0, MK_COPY_D2H, MK_COPY_D2D };

typedef struct mk_gpu_api {
    int abi;                                  /* MK_API_ABI */
    /* stream-ordered caching allocator: NULL when the GPU is out of memory (the cache is
     * emptied and the allocation retried first); the free may happen right after a launch */
    void *(*alloc)(size_t nbytes);
    void (*free)(void *p, size_t nbytes);
    /* copy on the device's stream; D2H returns once the bytes are on the host */
    int (*copy)(void *dst, const void *src, size_t nbytes, int kind);
    int (*synchronize)(void);
    const char *(*last_error)(void);          /* text of the last failure (this thread) */
    /* CUDA Graphs: capture the launches of a replay segment, then launch it as one */
    int (*capture_begin)(void);
    int (*capture_end)(void **exec);          /* exec NULL + -1 when capture failed */
    int (*graph_launch)(void *exec);
    void (*graph_destroy)(void *exec);
} mk_gpu_api;

typedef struct mk_core_api {
    int abi;                                  /* MK_API_ABI */
    mk_opdef *ops;                            /* MK_OP_COUNT entries */
    int nops;
    const char *const *op_names;
    int (*install_gpu)(const mk_gpu_api *gpu); /* 0, or -1 with a Python error */
    /* the random family's Philox streams, shared by both devices (kernels/random.c) */
    void (*random_reserve)(const mk_call *c, uint64_t nblocks, uint64_t *key, uint64_t *base);
} mk_core_api;

extern const mk_gpu_api *mk_gpu;              /* NULL until _cuda installs itself */
extern int mk_default_device;                 /* MK_GPU once a visible GPU is installed */
extern MK_TLS int mk_device_scope;            /* tf.device in this thread: -1 none, else a device */
extern PyObject *mk_gpu_loader;               /* engine/device.py: loads _cuda on first GPU use */
/* copies between devices (what mk_exec moved for ops), for tests and tuning */
typedef struct { int64_t count[3]; int64_t bytes[3]; } mk_copy_stats;   /* by MK_COPY_* kind */
extern mk_copy_stats mk_copies;
/* bytes between two dense buffers on any devices; -1 + Python error */
int mk_copy_bytes(void *dst, int dst_dev, const void *src, int src_dev, size_t nbytes);
/* t itself (new ref) if on `device`, else a dense copy there (recorded like any op) */
mk_tensor *mk_to_device(mk_tensor *t, int device);
void mk_random_reserve(const mk_call *c, uint64_t nblocks, uint64_t *key, uint64_t *base);

/* errors (Python classes created at module init) */
extern PyObject *mk_InvalidArgumentError;
extern PyObject *mk_ResourceExhaustedError;

/* tapes and graphs hooks (tape.c, graph.c) */
extern uint32_t mk_active_tapes;
void mk_tape_record(mk_call *c);
extern MK_TLS struct mk_graph *mk_tracing_graph;   /* per thread: a trace records only its own thread's ops */
int mk_graph_record(mk_call *c);

#endif
