/* The op table and eager execution: infer shapes, allocate, run the kernel,
 * record on tapes and on the graph being traced. */
#include "mk.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

const char *const mk_op_names[MK_OP_COUNT] = {
#define MK_OP(id, name) [MK_OP_##id] = name,
#include "kernels/ops.def"
#undef MK_OP
};
/* the enum and the name table come from the same list; this catches a family
 * .def that forgot a name (an empty slot would be NULL) at module init. */
mk_opdef mk_ops[MK_OP_COUNT];

PyObject *mk_InvalidArgumentError;
PyObject *mk_ResourceExhaustedError;

int mk_err(mk_call *c, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = snprintf(c->err, MK_ERRLEN, "%s: ", c->op ? c->op->name : "op");
    if (n < 0 || n >= MK_ERRLEN) n = 0;
    vsnprintf(c->err + n, MK_ERRLEN - n, fmt, ap);
    va_end(ap);
    return -1;
}

void mk_shape_str(char *buf, size_t n, int ndim, const int64_t *shape) {
    size_t k = 0;
    k += snprintf(buf + k, n - k, "[");
    for (int i = 0; i < ndim && k < n; i++)
        k += snprintf(buf + k, n - k, i ? ",%lld" : "%lld", (long long)shape[i]);
    if (k < n) snprintf(buf + k, n - k, "]");
}

int mk_broadcast_shapes(mk_call *c, int na, const int64_t *a, int nb, const int64_t *b,
                        int *nout, int64_t *out) {
    int n = na > nb ? na : nb;
    for (int i = 0; i < n; i++) {
        int64_t da = i < n - na ? 1 : a[i - (n - na)];
        int64_t db = i < n - nb ? 1 : b[i - (n - nb)];
        if (da == db || db == 1) out[i] = da;
        else if (da == 1) out[i] = db;
        else {
            char sa[128], sb[128];
            mk_shape_str(sa, sizeof sa, na, a);
            mk_shape_str(sb, sizeof sb, nb, b);
            return mk_err(c, "Incompatible shapes: %s vs. %s", sa, sb);
        }
    }
    *nout = n;
    return 0;
}

void mk_broadcast_strides(const mk_tensor *t, int ndim, const int64_t *shape, int64_t *strides) {
    int off = ndim - t->ndim;
    for (int i = 0; i < ndim; i++) {
        if (i < off) strides[i] = 0;
        else strides[i] = (t->shape[i - off] == 1 && shape[i] != 1) ? 0 : t->strides[i - off];
    }
}

int mk_norm_axis(mk_call *c, int64_t axis, int ndim, int *out) {
    int64_t a = axis < 0 ? axis + ndim : axis;
    if (a < 0 || a >= (ndim ? ndim : 1))
        return mk_err(c, "axis %lld is out of bounds for a tensor of rank %d",
                      (long long)axis, ndim);
    *out = (int)a;
    return 0;
}

int mk_same_dtype(mk_call *c) {
    for (int i = 1; i < c->nin; i++)
        if (c->in[i]->dtype != c->in[0]->dtype)
            return mk_err(c, "cannot compute %s as input #%d(zero-based) was expected to be a %s "
                          "tensor but is a %s tensor", c->op->name, i,
                          mk_dtypes[c->in[0]->dtype].name, mk_dtypes[c->in[i]->dtype].name);
    return 0;
}

void mk_call_init(mk_call *c, int op_id, int nin, int nout) {
    c->op = &mk_ops[op_id];
    c->op_id = op_id;
    c->nin = nin;
    c->nout = nout;
    c->err[0] = 0;
    memset(&c->a, 0, sizeof c->a);
    c->in = nin <= MK_INLINE_ARGS ? c->in_inline : calloc(nin, sizeof(mk_tensor *));
    c->out = nout <= MK_INLINE_ARGS ? c->out_inline : calloc(nout, sizeof(mk_tensor *));
    c->meta = nout <= MK_INLINE_ARGS ? c->meta_inline : calloc(nout, sizeof(mk_meta));
    for (int i = 0; i < nout; i++) c->out[i] = NULL;
}

void mk_call_free(mk_call *c) {
    for (int i = 0; i < c->nout; i++) Py_CLEAR(c->out[i]);
    if (c->in != c->in_inline) free(c->in);
    if (c->out != c->out_inline) free(c->out);
    if (c->meta != c->meta_inline) free(c->meta);
    c->in = c->in_inline; c->out = c->out_inline; c->meta = c->meta_inline;
    c->nin = c->nout = 0;
}

mk_tensor *mk_run1(int op_id, int nin, mk_tensor **in, const mk_attrs *a) {
    mk_call c;
    mk_call_init(&c, op_id, nin, 1);
    for (int i = 0; i < nin; i++) c.in[i] = in[i];
    if (a) c.a = *a;
    if (mk_exec(&c) < 0) { mk_call_free(&c); return NULL; }
    mk_tensor *r = c.out[0];
    c.out[0] = NULL;
    mk_call_free(&c);
    return r;
}

static mk_tensor *cast_to(mk_tensor *t, int dtype) {
    mk_attrs a = {0};
    a.i[0] = dtype; a.ni = 1;
    return mk_run1(MK_OP_CAST, 1, &t, &a);
}

/* float16 is stored, computed in float32: cast in, run, cast float outputs back. */
static int exec_via_f32(mk_call *c) {
    mk_call sub;
    mk_call_init(&sub, c->op_id, c->nin, c->nout);
    sub.a = c->a;
    int rc = -1;
    int ncast = 0;
    for (int i = 0; i < c->nin; i++) {
        if (c->in[i]->dtype == MK_F16) {
            sub.in[i] = cast_to(c->in[i], MK_F32);
            if (!sub.in[i]) goto done;
            ncast = i + 1;
        } else sub.in[i] = c->in[i];
    }
    if (mk_exec(&sub) < 0) goto done;
    for (int k = 0; k < c->nout; k++) {
        if (sub.out[k]->dtype == MK_F32) {
            c->out[k] = cast_to(sub.out[k], MK_F16);
            if (!c->out[k]) goto done;
        } else {
            c->out[k] = sub.out[k];
            Py_INCREF(c->out[k]);
        }
    }
    rc = 0;
done:
    for (int i = 0; i < ncast; i++)
        if (c->in[i]->dtype == MK_F16) Py_XDECREF(sub.in[i]);
    mk_call_free(&sub);
    return rc;
}

static void restore_inputs(mk_call *c, mk_tensor **orig) {
    if (!orig) return;
    for (int i = 0; i < c->nin; i++) {
        if (c->in[i] != orig[i]) Py_DECREF(c->in[i]);
        c->in[i] = orig[i];
    }
    if (c->nin > MK_INLINE_ARGS) free(orig);
}

/* Put t (a new reference) in place of input i; the caller's pointers are kept in *orig
 * (allocated on first use) so restore_inputs can put them back. */
static int replace_input(mk_call *c, int i, mk_tensor *t, mk_tensor ***orig, mk_tensor **orig_inline) {
    if (!*orig) {
        *orig = c->nin <= MK_INLINE_ARGS ? orig_inline : malloc(sizeof(mk_tensor *) * c->nin);
        if (!*orig) { Py_DECREF(t); PyErr_NoMemory(); return -1; }
        memcpy(*orig, c->in, sizeof(mk_tensor *) * c->nin);
    }
    if (c->in[i] != (*orig)[i]) Py_DECREF(c->in[i]);
    c->in[i] = t;
    return 0;
}

/* the Python-side GPU loader (engine/device.py): imports minikeras._cuda on first use */
PyObject *mk_gpu_loader = NULL;

static int gpu_ready(void) {
    if (mk_gpu) return 1;
    if (!mk_gpu_loader) return 0;
    PyObject *loader = mk_gpu_loader;
    mk_gpu_loader = NULL;                  /* one try: a failed load leaves the CPU in charge */
    PyObject *r = PyObject_CallNoArgs(loader);
    Py_DECREF(loader);
    if (!r) PyErr_WriteUnraisable(NULL);
    Py_XDECREF(r);
    if (!mk_gpu) mk_default_device = MK_CPU;
    return mk_gpu != NULL;
}

/* The device an op runs on, by TensorFlow's placement rules: the tf.device scope of this
 * thread, else the default device (the GPU where one is visible); soft placement sends ops
 * without a GPU kernel, and ops whose infer reads input values (MK_OP_DYNAMIC), to the CPU.
 * Views stay with their input, to_device reads where its input is, and in-place ops (no
 * outputs: assign, optimizer updates) run where the variable they update lives. */
static int op_device(const mk_call *c) {
    const mk_opdef *op = c->op;
    if (c->nin && ((op->flags & (MK_OP_XDEV | MK_OP_VIEW)) ||
                   (!(op->flags & MK_OP_MULTI_OUT) && op->nout == 0)))
        return c->in[0]->device;
    int dev = mk_device_scope >= 0 ? mk_device_scope : mk_default_device;
    if (dev == MK_GPU && (!op->kernel[MK_GPU] || (op->flags & MK_OP_DYNAMIC) || !gpu_ready()))
        dev = MK_CPU;
    return dev;
}

/* mk_run1 with this thread's device scope forced to dev (copies made for an op on dev) */
static mk_tensor *run1_on(int dev, int op_id, int nin, mk_tensor **in, const mk_attrs *a) {
    int saved = mk_device_scope;
    mk_device_scope = dev;
    mk_tensor *r = mk_run1(op_id, nin, in, a);
    mk_device_scope = saved;
    return r;
}

int mk_exec(mk_call *c) {
    const mk_opdef *op = c->op;
    if (!op->infer) {
        PyErr_Format(PyExc_NotImplementedError, "op %s has no implementation", op->name);
        return -1;
    }
    int dev = op_device(c);
    mk_tensor *orig_inline[MK_INLINE_ARGS], **orig = NULL;

    /* inputs on another device are moved by a recorded to_device op (tapes, graphs) */
    int in_place = !(op->flags & MK_OP_MULTI_OUT) && op->nout == 0;
    for (int i = 0; i < c->nin; i++) {
        if (c->in[i]->device == dev) continue;
        if (in_place && (c->in[i]->flags & MK_T_VARIABLE)) {
            PyErr_Format(mk_InvalidArgumentError, "%s: the variables it updates live on different "
                         "devices (input %d is on %s, input 0 on %s)", op->name, i,
                         c->in[i]->device == MK_CPU ? "CPU:0" : "GPU:0", dev == MK_CPU ? "CPU:0" : "GPU:0");
            goto fail;
        }
        mk_tensor *moved = mk_to_device(c->in[i], dev);
        if (!moved || replace_input(c, i, moved, &orig, orig_inline) < 0) goto fail;
    }

    int f16_native = (op->flags & MK_OP_F16_NATIVE) || (dev == MK_GPU && (op->flags & MK_OP_F16_GPU));
    int need_f32 = 0, has_f32 = -1;
    for (int i = 0; i < c->nin; i++) {
        if (c->in[i]->dtype == MK_F16 && !f16_native) need_f32 = 1;
        if (c->in[i]->dtype == MK_F32 && has_f32 < 0) has_f32 = i;
    }
    if (need_f32 && has_f32 >= 0) {
        /* computing float16 in float32 must not make float16 + float32 legal (TF refuses it) */
        PyErr_Format(mk_InvalidArgumentError, "%s: cannot compute %s as input #%d(zero-based) was "
                     "expected to be a float16 tensor but is a float32 tensor", op->name, op->name,
                     has_f32);
        goto fail;
    }
    if (need_f32) {
        int saved = mk_device_scope;
        mk_device_scope = dev;             /* the casts run where the op runs */
        int rc = exec_via_f32(c);
        mk_device_scope = saved;
        restore_inputs(c, orig);
        return rc;
    }

    /* kernels that want dense inputs get a recorded copy first, made on their device */
    if ((op->flags & MK_OP_CONTIG) && op->kernel[dev]) {
        for (int i = 0; i < c->nin; i++) {
            if (mk_is_contiguous(c->in[i])) continue;
            mk_tensor *t = run1_on(c->in[i]->device, MK_OP_COPY, 1, &c->in[i], NULL);
            if (!t || replace_input(c, i, t, &orig, orig_inline) < 0) goto fail;
        }
    }
    if (op->infer(c) < 0) {
        PyErr_SetString(mk_InvalidArgumentError, c->err);
        goto fail;
    }
    int out_dev = (op->flags & MK_OP_XDEV) ? (int)c->a.i[0] : dev;
    int64_t work = 0;
    for (int k = 0; k < c->nout; k++) {
        mk_meta *m = &c->meta[k];
        if (m->view) {
            c->out[k] = mk_tensor_view(c->in[m->view_of], m->ndim, m->shape, m->strides, m->offset);
        } else {
            c->out[k] = mk_tensor_new(m->dtype, m->ndim, m->shape, out_dev);
            if (c->out[k]) work += mk_numel(c->out[k]);
        }
        if (!c->out[k]) {               /* out of memory: say which op and what, as TF does */
            if (PyErr_ExceptionMatches(mk_ResourceExhaustedError)) {
                char sh[160];
                mk_shape_str(sh, sizeof sh, m->ndim, m->shape);
                PyErr_Clear();
                PyErr_Format(mk_ResourceExhaustedError, "OOM when allocating tensor with shape%s and "
                             "type %s on /job:localhost/replica:0/task:0/device:%s:0 [Op:%s] (%lld bytes)",
                             sh, mk_dtypes[m->dtype].name, out_dev == MK_CPU ? "CPU" : "GPU", op->name,
                             (long long)(mk_numel_of(m->ndim, m->shape) * mk_dtypes[m->dtype].itemsize));
            }
            goto fail;
        }
    }
    if (!(op->flags & MK_OP_VIEW)) {
        mk_kernel_fn k = op->kernel[dev];
        if (!k) {
            PyErr_Format(PyExc_NotImplementedError, "%s has no kernel for device %s", op->name,
                         dev == MK_CPU ? "CPU" : "GPU");
            goto fail;
        }
        for (int i = 0; i < c->nin; i++) work += mk_numel(c->in[i]);
        /* GPU kernels only enqueue work: the GIL is released where a call may wait (copies) */
        int nogil = (op->flags & (MK_OP_NOGIL | MK_OP_XDEV)) || (dev == MK_CPU && work >= MK_PAR_MIN);
        int rc;
        if (nogil) {
            Py_BEGIN_ALLOW_THREADS
            rc = k(c);
            Py_END_ALLOW_THREADS
        } else rc = k(c);
        if (rc < 0) {
            PyErr_SetString(mk_InvalidArgumentError, c->err[0] ? c->err : op->name);
            goto fail;
        }
    }
    if (mk_active_tapes && !(op->flags & MK_OP_NONDIFF)) mk_tape_record(c);
    if (mk_tracing_graph && mk_graph_record(c) < 0) goto fail;
    restore_inputs(c, orig);
    return 0;
fail:
    for (int k = 0; k < c->nout; k++) Py_CLEAR(c->out[k]);
    restore_inputs(c, orig);
    return -1;
}

/* Fill the table from every family; fail if an op was listed but not registered. */
int mk_ops_init(void) {
#define MK_FAMILY(fam) mk_register_##fam();
#include "kernels/families.def"
#undef MK_FAMILY
    for (int i = 0; i < MK_OP_COUNT; i++) {
        if (!mk_op_names[i]) {
            PyErr_Format(PyExc_SystemError, "op #%d has no name", i);
            return -1;
        }
        if (!mk_ops[i].infer) {
            PyErr_Format(PyExc_SystemError, "op %s is listed but not registered", mk_op_names[i]);
            return -1;
        }
        mk_ops[i].name = mk_op_names[i];
    }
    return 0;
}
