/* Device family: to_device, the one op that moves a tensor between the CPU and the GPU.
 *
 * mk_exec inserts it wherever an op runs on another device than one of its inputs, so the
 * move is recorded like any op: on tapes (its gradient moves the gradient back) and in
 * traced graphs (a replay copies the new batch again).  attrs: i[0] = the target device.
 * The input is dense (mk_exec makes it so on its own device first); the output is allocated
 * on the target device (MK_OP_XDEV). */
#include "../mk.h"
#include <stdlib.h>
#include <stdio.h>
#include <pthread.h>

const mk_gpu_api *mk_gpu = NULL;
int mk_default_device = MK_CPU;
MK_TLS int mk_device_scope = -1;
mk_copy_stats mk_copies;

static int copy_kind(int dst_dev, int src_dev) {
    if (src_dev == MK_CPU) return dst_dev == MK_CPU ? -1 : MK_COPY_H2D;
    return dst_dev == MK_CPU ? MK_COPY_D2H : MK_COPY_D2D;
}

/* Bytes between dense buffers; the GPU side goes through the backend's stream, so a D2H
 * copy returns with the bytes on the host and an H2D copy may return before they land. */
static int copy_bytes_nogil(void *dst, int dst_dev, const void *src, int src_dev, size_t n) {
    int kind = copy_kind(dst_dev, src_dev);
    if (kind < 0) { memmove(dst, src, n); return 0; }
    if (!mk_gpu) return -1;
    return mk_gpu->copy(dst, src, n, kind);
}

int mk_copy_bytes(void *dst, int dst_dev, const void *src, int src_dev, size_t nbytes) {
    if (!nbytes) return 0;
    if (copy_kind(dst_dev, src_dev) >= 0 && !mk_gpu) {
        PyErr_SetString(PyExc_RuntimeError, "a GPU tensor exists but no GPU backend is installed");
        return -1;
    }
    int rc;
    if (nbytes >= (1 << 20)) {
        Py_BEGIN_ALLOW_THREADS
        rc = copy_bytes_nogil(dst, dst_dev, src, src_dev, nbytes);
        Py_END_ALLOW_THREADS
    } else rc = copy_bytes_nogil(dst, dst_dev, src, src_dev, nbytes);
    if (rc < 0) {
        PyErr_Format(mk_InvalidArgumentError, "copy of %zu bytes between devices failed: %s",
                     nbytes, mk_gpu ? mk_gpu->last_error() : "no GPU backend");
        return -1;
    }
    return 0;
}

mk_tensor *mk_to_device(mk_tensor *t, int device) {
    if (t->device == device) { Py_INCREF(t); return t; }
    mk_attrs a = {0};
    a.i[0] = device;
    a.ni = 1;
    return mk_run1(MK_OP_TO_DEVICE, 1, &t, &a);
}

static int infer_to_device(mk_call *c) {
    if (c->a.i[0] != MK_CPU && c->a.i[0] != MK_GPU)
        return mk_err(c, "unknown device id %lld", (long long)c->a.i[0]);
    if (c->a.i[0] == MK_GPU && !mk_gpu) return mk_err(c, "no GPU is installed");
    mk_meta_set(&c->meta[0], c->in[0]->dtype, c->in[0]->ndim, c->in[0]->shape);
    return 0;
}

static int k_to_device(mk_call *c) {
    mk_tensor *x = c->in[0], *y = c->out[0];
    size_t n = (size_t)mk_numel(x) * mk_dtypes[x->dtype].itemsize;
    if (!n) return 0;
    int kind = copy_kind(y->device, x->device);
    if (copy_bytes_nogil(mk_data(y), y->device, mk_data(x), x->device, n) < 0)
        return mk_err(c, "copy of %zu bytes failed: %s", n, mk_gpu ? mk_gpu->last_error() : "no GPU");
    if (kind >= 0) {   /* statistics: ops run one thread at a time per tensor; atomics for workers */
        __atomic_add_fetch(&mk_copies.count[kind], 1, __ATOMIC_RELAXED);
        __atomic_add_fetch(&mk_copies.bytes[kind], (int64_t)n, __ATOMIC_RELAXED);
    }
    return 0;
}

void mk_register_device(void) {
    mk_ops[MK_OP_TO_DEVICE] = (mk_opdef){NULL, 1, 1, MK_OP_CONTIG | MK_OP_F16_NATIVE | MK_OP_XDEV,
                                         infer_to_device, {k_to_device, k_to_device}};
}

/* ---- the simulated GPU (tests only) ------------------------------------------------
 * _core._install_test_device(capacity) installs a "GPU" whose memory is host memory and
 * whose kernels are the CPU kernels, so that the placement machinery -- to_device moves,
 * copies, GPU buffers, graph replays across devices, fit's device-resident batches,
 * out-of-memory errors -- is exercised where there is no GPU (CI).  It proves nothing about
 * the CUDA kernels; tests/gpu/ runs against it with MINIKERAS_TEST_DEVICE=1. */
static size_t td_capacity = 0, td_in_use = 0;
static pthread_mutex_t td_lock = PTHREAD_MUTEX_INITIALIZER;
static MK_TLS char td_error[128];

static void *td_alloc(size_t n) {
    size_t r = (n + 63) & ~(size_t)63;
    pthread_mutex_lock(&td_lock);
    int over = td_capacity && td_in_use + r > td_capacity;
    if (!over) td_in_use += r;
    pthread_mutex_unlock(&td_lock);
    if (over) {
        snprintf(td_error, sizeof td_error, "test device: %zu bytes over its capacity", n);
        return NULL;
    }
    void *p = aligned_alloc(64, r ? r : 64);
    if (!p) {
        pthread_mutex_lock(&td_lock);
        td_in_use -= r;
        pthread_mutex_unlock(&td_lock);
        snprintf(td_error, sizeof td_error, "test device: out of host memory");
    }
    return p;
}
static void td_free(void *p, size_t n) {
    free(p);
    pthread_mutex_lock(&td_lock);
    td_in_use -= (n + 63) & ~(size_t)63;
    pthread_mutex_unlock(&td_lock);
}
static int td_copy(void *dst, const void *src, size_t n, int kind) { (void)kind; memmove(dst, src, n); return 0; }
static int td_sync(void) { return 0; }
static const char *td_last_error(void) { return td_error; }
static int td_capture_begin(void) { return -1; }     /* no capture: segments replay as launches */
static int td_capture_end(void **exec) { *exec = NULL; return -1; }
static int td_graph_launch(void *exec) { (void)exec; return -1; }
static void td_graph_destroy(void *exec) { (void)exec; }

static const mk_gpu_api td_api = {MK_API_ABI, td_alloc, td_free, td_copy, td_sync, td_last_error,
                                  td_capture_begin, td_capture_end, td_graph_launch, td_graph_destroy};

int mk_install_test_device(size_t capacity) {
    if (mk_gpu && mk_gpu != &td_api) return -1;      /* a real GPU is installed */
    td_capacity = capacity;
    for (int i = 0; i < MK_OP_COUNT; i++)
        if (mk_ops[i].kernel[MK_CPU] && !mk_ops[i].kernel[MK_GPU]) mk_ops[i].kernel[MK_GPU] = mk_ops[i].kernel[MK_CPU];
    mk_gpu = &td_api;
    mk_default_device = MK_GPU;
    return 0;
}

size_t mk_test_device_in_use(void) { return td_in_use; }
