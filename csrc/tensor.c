/* Tensors and their storage: allocation, views, contiguity. */
#include "mk.h"
#include <stdlib.h>
#include <sys/mman.h>
#include <pthread.h>

#define MK_HUGE_MIN ((size_t)4 << 20)
#define MK_HUGE_ALIGN ((size_t)2 << 20)

const mk_dtype_info mk_dtypes[MK_NDTYPE] = {
#define MK_DTYPE(id, name, size, typestr, fl, in, sg) {name, size, typestr, fl, in, sg},
#include "dtypes.def"
#undef MK_DTYPE
};

PyTypeObject *mk_tensor_type = &mk_TensorBase_Type;

/* A cache of freed big blocks (>= 4 MiB), reused by exact rounded size.  glibc serves
 * blocks this big from fresh mmaps whenever the allocating thread is not the main one
 * (a thread arena cannot grow past 64 MiB), so a tf.data worker building 59 MB batches
 * paid ~15,000 first-touch page faults per batch: 28 ms instead of 6 ms for the copy. */
#define BIG_CACHE_SLOTS 16
#define BIG_CACHE_MAX_BYTES ((size_t)1 << 30)
static struct { void *p; size_t n; } big_cache[BIG_CACHE_SLOTS];
static size_t big_cache_bytes = 0;
static pthread_mutex_t big_cache_lock = PTHREAD_MUTEX_INITIALIZER;

static void *big_alloc(size_t alloc) {
    void *d = NULL;
    pthread_mutex_lock(&big_cache_lock);
    for (int i = 0; i < BIG_CACHE_SLOTS; i++)
        if (big_cache[i].p && big_cache[i].n == alloc) {
            d = big_cache[i].p;
            big_cache[i].p = NULL;
            big_cache_bytes -= alloc;
            break;
        }
    pthread_mutex_unlock(&big_cache_lock);
    if (d) return d;
    d = aligned_alloc(MK_HUGE_ALIGN, alloc);
    if (!d) {        /* out of memory: give the cached blocks back and try once more */
        pthread_mutex_lock(&big_cache_lock);
        for (int i = 0; i < BIG_CACHE_SLOTS; i++)
            if (big_cache[i].p) { free(big_cache[i].p); big_cache[i].p = NULL; }
        big_cache_bytes = 0;
        pthread_mutex_unlock(&big_cache_lock);
        d = aligned_alloc(MK_HUGE_ALIGN, alloc);
    }
#ifdef MADV_HUGEPAGE
    if (d) madvise(d, alloc, MADV_HUGEPAGE);
#endif
    return d;
}

static void big_free(void *d, size_t alloc) {
    void *evict = NULL;
    pthread_mutex_lock(&big_cache_lock);
    if (alloc <= BIG_CACHE_MAX_BYTES / 4) {
        int slot = -1;
        for (int i = 0; i < BIG_CACHE_SLOTS; i++)
            if (!big_cache[i].p) { slot = i; break; }
        if (slot < 0) {                   /* full: replace a random-ish victim */
            slot = (int)(((uintptr_t)d >> 21) % BIG_CACHE_SLOTS);
            evict = big_cache[slot].p;
            big_cache_bytes -= big_cache[slot].n;
            big_cache[slot].p = NULL;
        }
        while (big_cache_bytes + alloc > BIG_CACHE_MAX_BYTES) {   /* keep the total bounded */
            int j = 0;
            while (j < BIG_CACHE_SLOTS && !big_cache[j].p) j++;
            if (j == BIG_CACHE_SLOTS) break;
            free(big_cache[j].p);
            big_cache_bytes -= big_cache[j].n;
            big_cache[j].p = NULL;
        }
        big_cache[slot].p = d;
        big_cache[slot].n = alloc;
        big_cache_bytes += alloc;
        d = NULL;
    }
    pthread_mutex_unlock(&big_cache_lock);
    free(evict);
    free(d);
}

static size_t big_rounded(size_t nbytes) {
    return (nbytes + MK_HUGE_ALIGN - 1) & ~(size_t)(MK_HUGE_ALIGN - 1);
}

/* One allocation per storage: the header, then the data at the next 64-byte
 * boundary (AVX-512 alignment); small tensors cost a single malloc. */
/* GPU storage: the header on the host, the bytes from the backend's caching allocator */
static mk_storage *gpu_storage_new(size_t nbytes) {
    if (!mk_gpu) {
        PyErr_SetString(PyExc_RuntimeError, "minikeras: no GPU backend is installed");
        return NULL;
    }
    mk_storage *s = malloc(sizeof(mk_storage));
    void *d = s ? mk_gpu->alloc(nbytes) : NULL;
    if (!d) {
        free(s);
        PyErr_Format(mk_ResourceExhaustedError, "OOM when allocating tensor of %zu bytes on GPU:0 "
                     "(%s)", nbytes, mk_gpu->last_error());
        return NULL;
    }
    s->data = d;
    s->refcnt = 1;
    s->nbytes = nbytes;
    s->device = MK_GPU;
    return s;
}

mk_storage *mk_storage_new(size_t nbytes, int device) {
    if (device == MK_GPU) return gpu_storage_new(nbytes);
    if (nbytes > (size_t)1 << 46) {
        PyErr_Format(mk_ResourceExhaustedError, "OOM when allocating tensor of %zu bytes on CPU", nbytes);
        return NULL;
    }
    mk_storage *s;
    if (nbytes >= MK_HUGE_MIN) {
        /* big buffers: 2 MiB aligned and backed by huge pages where the kernel allows
         * (first-touch page faults otherwise dominate a fresh 48 MB output) */
        s = malloc(sizeof(mk_storage));
        void *d = s ? big_alloc(big_rounded(nbytes)) : NULL;
        if (!d) {
            free(s);
            PyErr_Format(mk_ResourceExhaustedError, "OOM when allocating tensor of %zu bytes on CPU", nbytes);
            return NULL;
        }
        s->data = d;
    } else {
        s = malloc(sizeof(mk_storage) + 64 + nbytes);
        if (!s) {
            PyErr_Format(mk_ResourceExhaustedError, "OOM when allocating tensor of %zu bytes on CPU", nbytes);
            return NULL;
        }
        s->data = (void *)(((uintptr_t)(s + 1) + 63) & ~(uintptr_t)63);
    }
    s->refcnt = 1;
    s->nbytes = nbytes;
    s->device = device;
    return s;
}

void mk_storage_decref(mk_storage *s) {
    if (s && --s->refcnt == 0) {
        if (s->device == MK_GPU) { mk_gpu->free(s->data, s->nbytes); free(s); return; }
        if (s->nbytes >= MK_HUGE_MIN) big_free(s->data, big_rounded(s->nbytes));
        free(s);
    }
}

void mk_contiguous_strides(int ndim, const int64_t *shape, int64_t *strides) {
    int64_t st = 1;
    for (int i = ndim - 1; i >= 0; i--) {
        strides[i] = st;
        st *= shape[i] > 0 ? shape[i] : 1;
    }
}

int mk_is_contiguous(const mk_tensor *t) {
    if (mk_numel(t) == 0) return 1;
    int64_t st = 1;
    for (int i = t->ndim - 1; i >= 0; i--) {
        if (t->shape[i] != 1 && t->strides[i] != st) return 0;
        st *= t->shape[i];
    }
    return 1;
}

static mk_tensor *tensor_alloc(void) {
    mk_tensor *t = (mk_tensor *)mk_tensor_type->tp_alloc(mk_tensor_type, 0);
    if (!t) return NULL;
    t->storage = NULL;
    t->offset = 0;
    t->flags = 0;
    t->tape_mask = 0;
    t->weakreflist = NULL;
    return t;
}

mk_tensor *mk_tensor_new(int dtype, int ndim, const int64_t *shape, int device) {
    if (ndim > MK_MAXDIM) {
        PyErr_Format(mk_InvalidArgumentError, "tensors have at most %d dimensions, got %d",
                     MK_MAXDIM, ndim);
        return NULL;
    }
    int64_t n = 1;
    for (int i = 0; i < ndim; i++) {
        if (shape[i] < 0) {
            PyErr_Format(mk_InvalidArgumentError, "negative dimension %lld in a shape",
                         (long long)shape[i]);
            return NULL;
        }
        if (shape[i] && n > INT64_MAX / 16 / shape[i]) {
            PyErr_SetString(mk_ResourceExhaustedError, "tensor size overflows");
            return NULL;
        }
        n *= shape[i];
    }
    mk_tensor *t = tensor_alloc();
    if (!t) return NULL;
    t->storage = mk_storage_new((size_t)n * mk_dtypes[dtype].itemsize, device);
    if (!t->storage) { Py_DECREF(t); return NULL; }
    t->ndim = ndim;
    t->dtype = dtype;
    t->device = device;
    memcpy(t->shape, shape, sizeof(int64_t) * ndim);
    mk_contiguous_strides(ndim, shape, t->strides);
    return t;
}

mk_tensor *mk_tensor_view(mk_tensor *base, int ndim, const int64_t *shape,
                          const int64_t *strides, int64_t offset) {
    mk_tensor *t = tensor_alloc();
    if (!t) return NULL;
    t->storage = base->storage;
    base->storage->refcnt++;
    t->offset = offset;
    t->ndim = ndim;
    t->dtype = base->dtype;
    t->device = base->device;
    memcpy(t->shape, shape, sizeof(int64_t) * ndim);
    memcpy(t->strides, strides, sizeof(int64_t) * ndim);
    return t;
}
