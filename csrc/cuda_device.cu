/* minikeras._cuda: the GPU backend.  Device glue shared by every kernel family
 * (kernels/<family>.cu): one device, one stream, a caching allocator, cuBLAS / cuBLASLt /
 * cuDNN handles created once, CUDA Graph capture, and the Python module that installs all of
 * it into _core (install(): the kernels go into the op table, mk_gpu_api into the core).
 *
 * Allocator: blocks are cudaMalloc'ed once and cached by rounded size; a freed block goes
 * back to the cache and may be handed out again at once, which is safe because every
 * kernel and copy runs on the one stream (stream order).  Out of memory: the cache is
 * released (cudaFree) and the allocation retried once; then NULL, and the core raises
 * ResourceExhaustedError with the op and size; the allocator stays usable.
 *
 * CUDA Graph capture: while a replay segment is captured, every block allocated or freed
 * belongs to the captured graph until the graph is destroyed, since its kernels will use
 * those addresses again at each launch. */
#include "kernels/cuda_common.cuh"

#include <stdarg.h>
#include <stdio.h>
#include <mutex>
#include <map>
#include <unordered_map>
#include <vector>

/* the dtype table of this extension, from the same list as _core's */
const mk_dtype_info mk_dtypes[MK_NDTYPE] = {
#define MK_DTYPE(id, name, size, typestr, fl, in, sg) {name, size, typestr, fl, in, sg},
#include "dtypes.def"
#undef MK_DTYPE
};

cudaStream_t mkg_stream = NULL;
const mk_core_api *mkg_core = NULL;

static int g_device_count = -1;
static cudaDeviceProp g_prop;
static int g_tf32 = 1;                 /* TF allows TF32 for float32 on Ampere and newer */
static thread_local char g_last_error[512];

static void set_error(const char *what, cudaError_t e) {
    snprintf(g_last_error, sizeof g_last_error, "%s: %s (%s)", what, cudaGetErrorString(e),
             cudaGetErrorName(e));
}

/* ---- caching allocator ---------------------------------------------------- */

static std::mutex g_alloc_lock;
static std::multimap<size_t, void *> g_cache;        /* rounded size -> free block */
static std::unordered_map<void *, size_t> g_live;    /* block -> rounded size (handed out) */
static size_t g_in_use = 0, g_cached = 0, g_peak = 0, g_reserved = 0;
static int64_t g_malloc_calls = 0;

/* capture: the blocks a graph being captured touches (allocated or freed meanwhile) */
static bool g_capturing = false;
static std::vector<std::pair<void *, size_t>> *g_capture_blocks = NULL;

static size_t round_size(size_t n) {
    if (n < 512) return 512;
    if (n < ((size_t)1 << 20)) return (n + 511) & ~(size_t)511;              /* 512 B steps */
    if (n < ((size_t)64 << 20)) return (n + ((1 << 20) - 1)) & ~(size_t)((1 << 20) - 1);  /* 1 MiB */
    return (n + ((size_t)(2 << 20) - 1)) & ~(size_t)((2 << 20) - 1);          /* 2 MiB */
}

static void release_cache_locked(void) {
    if (g_cache.empty()) return;
    cudaStreamSynchronize(mkg_stream);
    for (auto &kv : g_cache) { cudaFree(kv.second); g_reserved -= kv.first; }
    g_cache.clear();
    g_cached = 0;
}

void *mkg_alloc(size_t nbytes) {
    size_t n = round_size(nbytes);
    std::lock_guard<std::mutex> lock(g_alloc_lock);
    void *p = NULL;
    auto it = g_cache.find(n);
    if (it != g_cache.end()) {
        p = it->second;
        g_cache.erase(it);
        g_cached -= n;
    } else {
        cudaError_t e = cudaMalloc(&p, n);
        if (e != cudaSuccess && !g_capturing) {   /* give the cache back and try once more */
            cudaGetLastError();
            release_cache_locked();
            e = cudaMalloc(&p, n);
        }
        if (e != cudaSuccess) {
            cudaGetLastError();
            snprintf(g_last_error, sizeof g_last_error, "cudaMalloc of %zu bytes failed: %s "
                     "(%zu bytes in use, %zu reserved)", n, cudaGetErrorString(e), g_in_use, g_reserved);
            return NULL;
        }
        g_reserved += n;
        g_malloc_calls++;
    }
    g_live[p] = n;
    g_in_use += n;
    if (g_in_use > g_peak) g_peak = g_in_use;
    if (g_capturing) g_capture_blocks->push_back({p, n});
    return p;
}

static void cache_put_locked(void *p, size_t n) {
    g_cache.insert({n, p});
    g_cached += n;
}

void mkg_free(void *p, size_t nbytes) {
    (void)nbytes;
    if (!p) return;
    std::lock_guard<std::mutex> lock(g_alloc_lock);
    auto it = g_live.find(p);
    if (it == g_live.end()) return;        /* not ours: nothing to do (never happens) */
    size_t n = it->second;
    g_live.erase(it);
    g_in_use -= n;
    if (g_capturing) {
        /* the captured kernels use this address at every launch: the graph keeps it */
        bool owned = false;
        for (auto &b : *g_capture_blocks) if (b.first == p) { owned = true; break; }
        if (!owned) g_capture_blocks->push_back({p, n});
        /* blocks allocated in the capture and freed in it stay listed; mark them freed by
         * leaving them out of g_live: graph_destroy puts every listed, non-live block back */
        return;
    }
    cache_put_locked(p, n);
}

/* ---- library handles ------------------------------------------------------ */

static cublasHandle_t g_cublas = NULL;
static cublasLtHandle_t g_cublaslt = NULL;
static cudnnHandle_t g_cudnn = NULL;
static void *g_lt_workspace = NULL, *g_cublas_workspace = NULL;
static const size_t LT_WORKSPACE = (size_t)32 << 20;
static const size_t CUBLAS_WORKSPACE = (size_t)8 << 20;

static void apply_tf32(void) {
    if (g_cublas)
        cublasSetMathMode(g_cublas, g_tf32 ? CUBLAS_TF32_TENSOR_OP_MATH : CUBLAS_DEFAULT_MATH);
}

cublasHandle_t mkg_cublas(void) {
    if (!g_cublas) {
        if (cublasCreate(&g_cublas) != CUBLAS_STATUS_SUCCESS) { g_cublas = NULL; return NULL; }
        cublasSetStream(g_cublas, mkg_stream);
        /* a fixed workspace: cuBLAS then never allocates, so its calls can be captured */
        if (!g_cublas_workspace && cudaMalloc(&g_cublas_workspace, CUBLAS_WORKSPACE) != cudaSuccess) {
            cudaGetLastError();
            g_cublas_workspace = NULL;
        }
        if (g_cublas_workspace) cublasSetWorkspace(g_cublas, g_cublas_workspace, CUBLAS_WORKSPACE);
        apply_tf32();
    }
    return g_cublas;
}

cublasLtHandle_t mkg_cublaslt(void) {
    if (!g_cublaslt && cublasLtCreate(&g_cublaslt) != CUBLAS_STATUS_SUCCESS) g_cublaslt = NULL;
    return g_cublaslt;
}

void *mkg_cublaslt_workspace(size_t *nbytes) {
    if (!g_lt_workspace && cudaMalloc(&g_lt_workspace, LT_WORKSPACE) != cudaSuccess) {
        cudaGetLastError();
        g_lt_workspace = NULL;
    }
    *nbytes = g_lt_workspace ? LT_WORKSPACE : 0;
    return g_lt_workspace;
}

cudnnHandle_t mkg_cudnn(void) {
    if (!g_cudnn) {
        if (cudnnCreate(&g_cudnn) != CUDNN_STATUS_SUCCESS) { g_cudnn = NULL; return NULL; }
        cudnnSetStream(g_cudnn, mkg_stream);
    }
    return g_cudnn;
}

int mkg_tf32_enabled(void) { return g_tf32; }
int mkg_sm_count(void) { return g_prop.multiProcessorCount > 0 ? g_prop.multiProcessorCount : 80; }

/* ---- errors ---------------------------------------------------------------- */

int mkg_err(mk_call *c, const char *fmt, ...) {
    int k = snprintf(c->err, MK_ERRLEN, "%s (GPU): ", c->op ? c->op->name : "op");
    if (k < 0 || k >= MK_ERRLEN) k = 0;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->err + k, MK_ERRLEN - k, fmt, ap);
    va_end(ap);
    return -1;
}

int mkg_check_cuda(mk_call *c, cudaError_t e, const char *what) {
    if (e == cudaSuccess) return 0;
    return mkg_err(c, "%s failed: %s", what, cudaGetErrorString(e));
}

int mkg_check_launch(mk_call *c) { return mkg_check_cuda(c, cudaGetLastError(), "kernel launch"); }

int mkg_check_cublas(mk_call *c, cublasStatus_t s, const char *what) {
    if (s == CUBLAS_STATUS_SUCCESS) return 0;
    return mkg_err(c, "%s failed: %s", what, cublasGetStatusString(s));
}

int mkg_check_cudnn(mk_call *c, cudnnStatus_t s, const char *what) {
    if (s == CUDNN_STATUS_SUCCESS) return 0;
    return mkg_err(c, "%s failed: %s", what, cudnnGetErrorString(s));
}

/* ---- mk_gpu_api --------------------------------------------------------------- */

static void *api_alloc(size_t nbytes) { return mkg_alloc(nbytes); }
static void api_free(void *p, size_t nbytes) { mkg_free(p, nbytes); }

static int api_copy(void *dst, const void *src, size_t nbytes, int kind) {
    cudaMemcpyKind k = kind == MK_COPY_H2D ? cudaMemcpyHostToDevice
                     : kind == MK_COPY_D2H ? cudaMemcpyDeviceToHost : cudaMemcpyDeviceToDevice;
    cudaError_t e = cudaMemcpyAsync(dst, src, nbytes, k, mkg_stream);
    if (e == cudaSuccess && kind == MK_COPY_D2H) e = cudaStreamSynchronize(mkg_stream);
    if (e != cudaSuccess) { set_error("copy", e); cudaGetLastError(); return -1; }
    return 0;
}

static int api_synchronize(void) {
    cudaError_t e = cudaStreamSynchronize(mkg_stream);
    if (e != cudaSuccess) { set_error("synchronize", e); cudaGetLastError(); return -1; }
    return 0;
}

static const char *api_last_error(void) { return g_last_error; }

struct captured_graph {
    cudaGraphExec_t exec;
    std::vector<std::pair<void *, size_t>> blocks;
};

static int api_capture_begin(void) {
    {
        std::lock_guard<std::mutex> lock(g_alloc_lock);
        if (g_capturing) return -1;
        g_capture_blocks = new std::vector<std::pair<void *, size_t>>();
        g_capturing = true;
    }
    cudaError_t e = cudaStreamBeginCapture(mkg_stream, cudaStreamCaptureModeRelaxed);
    if (e != cudaSuccess) {
        set_error("cudaStreamBeginCapture", e);
        cudaGetLastError();
        std::lock_guard<std::mutex> lock(g_alloc_lock);
        delete g_capture_blocks;
        g_capture_blocks = NULL;
        g_capturing = false;
        return -1;
    }
    return 0;
}

/* the blocks of a capture that are no longer live go back to the cache */
static void return_blocks_locked(std::vector<std::pair<void *, size_t>> &blocks) {
    for (auto &b : blocks)
        if (g_live.find(b.first) == g_live.end()) cache_put_locked(b.first, b.second);
}

static int api_capture_end(void **exec_out) {
    *exec_out = NULL;
    cudaGraph_t graph = NULL;
    cudaError_t e = cudaStreamEndCapture(mkg_stream, &graph);
    std::vector<std::pair<void *, size_t>> *blocks;
    {
        std::lock_guard<std::mutex> lock(g_alloc_lock);
        blocks = g_capture_blocks;
        g_capture_blocks = NULL;
        g_capturing = false;
    }
    cudaGraphExec_t exec = NULL;
    if (e == cudaSuccess && graph) e = cudaGraphInstantiate(&exec, graph, 0);
    if (graph) cudaGraphDestroy(graph);
    if (e != cudaSuccess || !exec) {
        set_error("CUDA graph capture", e);
        cudaGetLastError();
        std::lock_guard<std::mutex> lock(g_alloc_lock);
        return_blocks_locked(*blocks);     /* nothing ran: the blocks are free to reuse */
        delete blocks;
        return -1;
    }
    captured_graph *cg = new captured_graph;
    cg->exec = exec;
    cg->blocks.swap(*blocks);
    delete blocks;
    *exec_out = cg;
    return 0;
}

static int api_graph_launch(void *p) {
    cudaError_t e = cudaGraphLaunch(((captured_graph *)p)->exec, mkg_stream);
    if (e != cudaSuccess) { set_error("cudaGraphLaunch", e); cudaGetLastError(); return -1; }
    return 0;
}

static void api_graph_destroy(void *p) {
    captured_graph *cg = (captured_graph *)p;
    cudaGraphExecDestroy(cg->exec);
    {
        std::lock_guard<std::mutex> lock(g_alloc_lock);
        return_blocks_locked(cg->blocks);
    }
    delete cg;
}

static const mk_gpu_api g_api = {
    MK_API_ABI, api_alloc, api_free, api_copy, api_synchronize, api_last_error,
    api_capture_begin, api_capture_end, api_graph_launch, api_graph_destroy,
};

/* ---- kernel families ------------------------------------------------------------ */
/* a family whose file is not linked in registers nothing: its ops run on the CPU */
#define MKG_FAMILY(fam) extern void mkg_register_##fam(mk_opdef *ops) __attribute__((weak));
#include "kernels/cuda_families.def"
#undef MKG_FAMILY

static void register_families(mk_opdef *ops) {
#define MKG_FAMILY(fam) if (mkg_register_##fam) mkg_register_##fam(ops);
#include "kernels/cuda_families.def"
#undef MKG_FAMILY
    /* random launches reserve Philox counters on the host each time they run */
    static const int host_state_ops[] = {MK_OP_RANDOM_UNIFORM, MK_OP_RANDOM_NORMAL, MK_OP_TRUNCATED_NORMAL,
                                         MK_OP_CATEGORICAL, MK_OP_RANDOM_SHUFFLE, MK_OP_DROPOUT_MASK};
    for (int id : host_state_ops) ops[id].flags |= MK_OP_NOCAPTURE;
}

/* ---- Python module --------------------------------------------------------------- */

static int count_devices(void) {
    if (g_device_count >= 0) return g_device_count;
    int n = 0;
    cudaError_t e = cudaGetDeviceCount(&n);
    if (e != cudaSuccess) { set_error("cudaGetDeviceCount", e); cudaGetLastError(); n = 0; }
    g_device_count = n;
    return n;
}

static PyObject *m_device_count(PyObject *self, PyObject *u) { return PyLong_FromLong(count_devices()); }

/* install(): 0 without a usable GPU (nothing changes), else the device count after the
 * kernels went into the core's op table and the core took this backend */
static PyObject *m_install(PyObject *self, PyObject *u) {
    if (mkg_core) return PyLong_FromLong(count_devices());
    if (count_devices() < 1) return PyLong_FromLong(0);
    cudaError_t e = cudaSetDevice(0);
    if (e == cudaSuccess) e = cudaGetDeviceProperties(&g_prop, 0);
    if (e == cudaSuccess) e = cudaStreamCreateWithFlags(&mkg_stream, cudaStreamNonBlocking);
    if (e != cudaSuccess) {
        PyErr_Format(PyExc_RuntimeError, "minikeras._cuda: cannot start GPU 0: %s", cudaGetErrorString(e));
        cudaGetLastError();
        return NULL;
    }
    const mk_core_api *core = (const mk_core_api *)PyCapsule_Import("minikeras._core._api", 0);
    if (!core) return NULL;
    if (core->abi != MK_API_ABI || core->nops != MK_OP_COUNT) {
        PyErr_Format(PyExc_ImportError, "minikeras._cuda was built for another _core (ops %d vs %d)",
                     MK_OP_COUNT, core->nops);
        return NULL;
    }
    register_families(core->ops);
    if (!core->ops[MK_OP_COPY].kernel[MK_GPU]) {
        for (int i = 0; i < core->nops; i++) core->ops[i].kernel[MK_GPU] = NULL;
        PyErr_SetString(PyExc_ImportError, "minikeras._cuda: the copy kernel is missing");
        return NULL;
    }
    mkg_core = core;
    if (core->install_gpu(&g_api) < 0) return NULL;
    return PyLong_FromLong(count_devices());
}

static PyObject *m_device_properties(PyObject *self, PyObject *arg) {
    int i = (int)PyLong_AsLong(arg);
    if (i < 0 || i >= count_devices()) { PyErr_Format(PyExc_ValueError, "no GPU %d", i); return NULL; }
    cudaDeviceProp p;
    cudaError_t e = cudaGetDeviceProperties(&p, i);
    if (e != cudaSuccess) { PyErr_SetString(PyExc_RuntimeError, cudaGetErrorString(e)); return NULL; }
    int mem_clock_khz = 0, bus_width = 0;
    cudaDeviceGetAttribute(&mem_clock_khz, cudaDevAttrMemoryClockRate, i);
    cudaDeviceGetAttribute(&bus_width, cudaDevAttrGlobalMemoryBusWidth, i);
    cudaGetLastError();
    return Py_BuildValue("{s:s,s:(ii),s:K,s:i,s:i,s:i}", "name", p.name, "compute_capability",
                         p.major, p.minor, "total_memory", (unsigned long long)p.totalGlobalMem,
                         "multiprocessor_count", p.multiProcessorCount,
                         "memory_clock_khz", mem_clock_khz, "memory_bus_width", bus_width);
}

static PyObject *m_set_tf32(PyObject *self, PyObject *arg) {
    g_tf32 = PyObject_IsTrue(arg);
    apply_tf32();
    Py_RETURN_NONE;
}
static PyObject *m_get_tf32(PyObject *self, PyObject *u) { return PyBool_FromLong(g_tf32); }

static PyObject *m_memory_info(PyObject *self, PyObject *u) {
    size_t free_b = 0, total_b = 0;
    if (mkg_core && cudaMemGetInfo(&free_b, &total_b) != cudaSuccess) cudaGetLastError();
    std::lock_guard<std::mutex> lock(g_alloc_lock);
    return Py_BuildValue("{s:K,s:K,s:K,s:K,s:L,s:K,s:K}", "current", (unsigned long long)g_in_use,
                         "peak", (unsigned long long)g_peak, "cached", (unsigned long long)g_cached,
                         "reserved", (unsigned long long)g_reserved, "cuda_malloc_calls", (long long)g_malloc_calls,
                         "device_free", (unsigned long long)free_b, "device_total", (unsigned long long)total_b);
}

static PyObject *m_reset_peak(PyObject *self, PyObject *u) {
    std::lock_guard<std::mutex> lock(g_alloc_lock);
    g_peak = g_in_use;
    Py_RETURN_NONE;
}

static PyObject *m_empty_cache(PyObject *self, PyObject *u) {
    if (!mkg_core) Py_RETURN_NONE;
    std::lock_guard<std::mutex> lock(g_alloc_lock);
    release_cache_locked();
    Py_RETURN_NONE;
}

static PyObject *m_versions(PyObject *self, PyObject *u) {
    int rt = 0, drv = 0;
    cudaRuntimeGetVersion(&rt);
    cudaDriverGetVersion(&drv);
    cudaGetLastError();
    return Py_BuildValue("{s:i,s:i,s:n,s:n,s:i}", "cuda_runtime", rt, "cuda_driver", drv,
                         "cudnn", (Py_ssize_t)cudnnGetVersion(), "cublaslt", (Py_ssize_t)cublasLtGetVersion(),
                         "compiled_ops", MK_OP_COUNT);
}

static PyMethodDef cuda_methods[] = {
    {"install", m_install, METH_NOARGS, "start GPU 0 and install the kernels into minikeras._core; returns the GPU count (0: nothing done)"},
    {"device_count", m_device_count, METH_NOARGS, "number of CUDA devices (0 without a driver or GPU)"},
    {"device_properties", m_device_properties, METH_O, "name, compute capability, memory of GPU i"},
    {"set_tf32", m_set_tf32, METH_O, "allow TF32 tensor cores for float32 matmul/conv"},
    {"get_tf32", m_get_tf32, METH_NOARGS, "whether TF32 is allowed"},
    {"memory_info", m_memory_info, METH_NOARGS, "allocator statistics in bytes"},
    {"reset_peak", m_reset_peak, METH_NOARGS, "peak := current"},
    {"empty_cache", m_empty_cache, METH_NOARGS, "give cached blocks back to the driver"},
    {"versions", m_versions, METH_NOARGS, "CUDA runtime/driver, cuDNN, cuBLASLt versions"},
    {NULL}
};

static struct PyModuleDef cuda_module = {PyModuleDef_HEAD_INIT, "minikeras._cuda",
    "minikeras GPU backend: CUDA kernels, cuBLAS(Lt), cuDNN, caching allocator, CUDA Graphs", -1, cuda_methods};

PyMODINIT_FUNC PyInit__cuda(void) { return PyModule_Create(&cuda_module); }
