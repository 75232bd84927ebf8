/* The binding layer: the TensorBase type (numbers, buffer protocol, scalars),
 * one fast callable per op, and module set-up. */
#include "mk.h"
#include <malloc.h>
#include <math.h>
#include <stdlib.h>
#ifdef _OPENMP
#include <omp.h>
#endif

extern PyTypeObject mk_Tape_Type, mk_Graph_Type;
int mk_ops_init(void);
static PyObject *converter = NULL;   /* Python fallback: converter(obj, dtype or -1) -> tensor */
static PyObject *symbolic_error = NULL, *symbolic_hook = NULL;   /* see engine/symbolic.py */

/* ---- conversion --------------------------------------------------------- */

static int store_scalar(mk_tensor *t, double v, int64_t iv, int is_int) {
    void *p = mk_data(t);
    switch (t->dtype) {
    case MK_F32: *(float *)p = is_int ? (float)iv : (float)v; break;
    case MK_F64: *(double *)p = is_int ? (double)iv : v; break;
    case MK_F16: *(_Float16 *)p = is_int ? (_Float16)iv : (_Float16)v; break;
    case MK_I32: *(int32_t *)p = is_int ? (int32_t)iv : (int32_t)v; break;
    case MK_I64: *(int64_t *)p = is_int ? iv : (int64_t)v; break;
    case MK_U8: *(uint8_t *)p = is_int ? (uint8_t)iv : (uint8_t)v; break;
    case MK_BOOL: *(uint8_t *)p = is_int ? iv != 0 : v != 0; break;
    }
    return 0;
}

/* Python scalar -> 0-d tensor of `hint` (or TF's default dtype when hint < 0). */
static mk_tensor *scalar_tensor(PyObject *o, int hint) {
    int is_int;
    double v = 0;
    int64_t iv = 0;
    if (PyBool_Check(o)) { is_int = 1; iv = o == Py_True; if (hint < 0) hint = MK_BOOL; }
    else if (PyLong_Check(o)) {
        is_int = 1;
        int overflow;
        iv = PyLong_AsLongLongAndOverflow(o, &overflow);
        if (overflow) return NULL;
        if (hint < 0) hint = (iv >= INT32_MIN && iv <= INT32_MAX) ? MK_I32 : MK_I64;
        else if (hint == MK_BOOL) return NULL;
        else if (mk_dtypes[hint].is_int && hint != MK_I64 &&
                 ((hint == MK_I32 && (iv < INT32_MIN || iv > INT32_MAX)) ||
                  (hint == MK_U8 && (iv < 0 || iv > 255)))) return NULL;
    } else if (PyFloat_Check(o)) {
        is_int = 0;
        v = PyFloat_AS_DOUBLE(o);
        if (hint < 0) hint = MK_F32;
        else if (!mk_dtypes[hint].is_float) {
            /* TF refuses 1.5 for an int tensor; an integral float is accepted */
            if (v != floor(v)) return NULL;
        }
    } else return NULL;
    mk_tensor *t = mk_tensor_new(hint, 0, NULL, MK_CPU);
    if (t) store_scalar(t, v, iv, is_int);
    return t;
}

/* Any object -> new reference to a tensor (hint: dtype for non-tensors, -1 none). */
static mk_tensor *to_tensor(PyObject *o, int hint) {
    if (PyObject_TypeCheck(o, &mk_TensorBase_Type)) { Py_INCREF(o); return (mk_tensor *)o; }
    if (PyFloat_Check(o) || PyLong_Check(o)) {
        mk_tensor *t = scalar_tensor(o, hint);
        if (t || PyErr_Occurred()) return t;
    }
    if (!converter) {
        PyErr_Format(PyExc_TypeError, "cannot convert %R to a tensor", o);
        return NULL;
    }
    PyObject *r = PyObject_CallFunction(converter, "Oi", o, hint);
    if (r && !PyObject_TypeCheck(r, &mk_TensorBase_Type)) {
        Py_DECREF(r);
        PyErr_SetString(PyExc_TypeError, "tensor converter returned a non-tensor");
        return NULL;
    }
    return (mk_tensor *)r;
}

/* ---- running ops from Python --------------------------------------------- */

static int parse_attrs(mk_attrs *a, PyObject *ints, PyObject *floats) {
    if (ints && ints != Py_None) {
        PyObject *seq = PySequence_Fast(ints, "ints must be a sequence");
        if (!seq) return -1;
        Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
        if (n > MK_MAXATTR) { Py_DECREF(seq); PyErr_SetString(PyExc_ValueError, "too many int attrs"); return -1; }
        for (Py_ssize_t i = 0; i < n; i++) {
            a->i[i] = PyLong_AsLongLong(PySequence_Fast_GET_ITEM(seq, i));
            if (a->i[i] == -1 && PyErr_Occurred()) { Py_DECREF(seq); return -1; }
        }
        a->ni = (int)n;
        Py_DECREF(seq);
    }
    if (floats && floats != Py_None) {
        PyObject *seq = PySequence_Fast(floats, "floats must be a sequence");
        if (!seq) return -1;
        Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
        if (n > 4) { Py_DECREF(seq); PyErr_SetString(PyExc_ValueError, "too many float attrs"); return -1; }
        for (Py_ssize_t i = 0; i < n; i++) {
            a->f[i] = PyFloat_AsDouble(PySequence_Fast_GET_ITEM(seq, i));
            if (a->f[i] == -1 && PyErr_Occurred()) { Py_DECREF(seq); return -1; }
        }
        a->nf = (int)n;
        Py_DECREF(seq);
    }
    return 0;
}

/* Run op_id on Python objects; returns a tensor, or a tuple when nout != 1. */
static PyObject *run_op(int op_id, PyObject *const *args, Py_ssize_t nargs, int nout,
                        PyObject *ints, PyObject *floats) {
    const mk_opdef *op = &mk_ops[op_id];
    if (!(op->flags & MK_OP_VARIADIC) && nargs != op->nin) {
        PyErr_Format(PyExc_TypeError, "%s takes %d tensor arguments, got %zd", op->name, op->nin, nargs);
        return NULL;
    }
    if ((op->flags & MK_OP_VARIADIC) && nargs < op->nin) {
        PyErr_Format(PyExc_TypeError, "%s takes at least %d tensor arguments, got %zd", op->name,
                     op->nin, nargs);
        return NULL;
    }
    if (!(op->flags & MK_OP_MULTI_OUT)) nout = op->nout;
    else if (nout < 0 || nout > (1 << 20)) {
        PyErr_Format(PyExc_ValueError, "%s: number of outputs must be in [0, 2^20], got %d",
                     op->name, nout);
        return NULL;
    }
    mk_call c;
    mk_call_init(&c, op_id, (int)nargs, nout);
    if (parse_attrs(&c.a, ints, floats) < 0) { mk_call_free(&c); return NULL; }
    int hint = -1;
    for (Py_ssize_t i = 0; i < nargs; i++)
        if (PyObject_TypeCheck(args[i], &mk_TensorBase_Type)) { hint = ((mk_tensor *)args[i])->dtype; break; }
    PyObject *result = NULL;
    Py_ssize_t got = 0;
    for (; got < nargs; got++) {
        c.in[got] = to_tensor(args[got], hint);
        if (!c.in[got]) {
            if (!PyErr_Occurred())
                PyErr_Format(mk_InvalidArgumentError, "%s: cannot convert %R to a %s tensor",
                             op->name, args[got], hint >= 0 ? mk_dtypes[hint].name : "");
            goto done;
        }
        if (hint < 0) hint = c.in[got]->dtype;
    }
    if (mk_exec(&c) < 0) goto done;
    if (nout == 1 && !(op->flags & MK_OP_MULTI_OUT)) {
        result = (PyObject *)c.out[0];
        c.out[0] = NULL;
    } else {
        result = PyTuple_New(nout);
        if (result)
            for (int k = 0; k < nout; k++) { PyTuple_SET_ITEM(result, k, (PyObject *)c.out[k]); c.out[k] = NULL; }
    }
done:
    for (Py_ssize_t i = 0; i < got; i++) Py_XDECREF(c.in[i]);
    mk_call_free(&c);
    return result;
}

/* One builtin per op: _core.ops.<name>(*tensors, ints=(), floats=(), nout=1, name=None) */
static PyObject *op_entry(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames) {
    int op_id = (int)PyLong_AsLong(self);
    PyObject *ints = NULL, *floats = NULL;
    int nout = 1;
    if (kwnames) {
        Py_ssize_t nk = PyTuple_GET_SIZE(kwnames);
        for (Py_ssize_t k = 0; k < nk; k++) {
            const char *key = PyUnicode_AsUTF8(PyTuple_GET_ITEM(kwnames, k));
            PyObject *v = args[nargs + k];
            if (!strcmp(key, "ints")) ints = v;
            else if (!strcmp(key, "floats")) floats = v;
            else if (!strcmp(key, "nout")) nout = (int)PyLong_AsLong(v);
            else if (!strcmp(key, "name")) ;
            else { PyErr_Format(PyExc_TypeError, "%s got an unexpected keyword '%s'", mk_op_names[op_id], key); return NULL; }
        }
    }
    PyObject *r = run_op(op_id, args, nargs, nout, ints, floats);
    if (!r && symbolic_hook && PyErr_ExceptionMatches(symbolic_error)) {
        /* a symbolic (Keras functional) argument: let Python build a layer instead */
        PyErr_Clear();
        PyObject *targs = PyTuple_New(nargs), *kw = PyDict_New();
        if (!targs || !kw) { Py_XDECREF(targs); Py_XDECREF(kw); return NULL; }
        for (Py_ssize_t i = 0; i < nargs; i++) { Py_INCREF(args[i]); PyTuple_SET_ITEM(targs, i, args[i]); }
        for (Py_ssize_t k = 0; kwnames && k < PyTuple_GET_SIZE(kwnames); k++)
            PyDict_SetItem(kw, PyTuple_GET_ITEM(kwnames, k), args[nargs + k]);
        r = PyObject_CallFunction(symbolic_hook, "sOO", mk_op_names[op_id], targs, kw);
        Py_DECREF(targs);
        Py_DECREF(kw);
    }
    return r;
}
static PyMethodDef op_entry_def = {"op", (PyCFunction)(void (*)(void))op_entry,
                                   METH_FASTCALL | METH_KEYWORDS, "run one op"};

/* ---- the TensorBase type ------------------------------------------------ */

static void tensor_dealloc(mk_tensor *t) {
    if (t->weakreflist) PyObject_ClearWeakRefs((PyObject *)t);
    mk_storage_decref(t->storage);
    Py_TYPE(t)->tp_free((PyObject *)t);
}

static PyObject *binop(int op_id, PyObject *a, PyObject *b) {
    PyObject *args[2] = {a, b};
    /* leave unknown types (e.g. Variable, KerasTensor) their reflected method */
    PyObject *other = PyObject_TypeCheck(a, &mk_TensorBase_Type) ? b : a;
    if (!PyObject_TypeCheck(other, &mk_TensorBase_Type) && !PyFloat_Check(other) &&
        !PyLong_Check(other) && PyObject_HasAttrString((PyObject *)Py_TYPE(other), "_mk_defer_ops"))
        Py_RETURN_NOTIMPLEMENTED;
    return run_op(op_id, args, 2, 1, NULL, NULL);
}

#define BINOP(fn, id) static PyObject *fn(PyObject *a, PyObject *b) { return binop(MK_OP_##id, a, b); }
BINOP(t_add, ADD) BINOP(t_sub, SUB) BINOP(t_mul, MUL) BINOP(t_div, DIV)
BINOP(t_floordiv, FLOORDIV) BINOP(t_mod, MOD) BINOP(t_matmul, MATMUL)
BINOP(t_and, LOGICAL_AND) BINOP(t_or, LOGICAL_OR) BINOP(t_xor, LOGICAL_XOR)

static PyObject *t_truediv(PyObject *a, PyObject *b) {
    /* TF: int / int gives a float (truediv casts to float64 for int32/int64) */
    PyObject *ta = a, *tb = b;
    mk_tensor *x = PyObject_TypeCheck(a, &mk_TensorBase_Type) ? (mk_tensor *)a
                 : PyObject_TypeCheck(b, &mk_TensorBase_Type) ? (mk_tensor *)b : NULL;
    if (x && mk_dtypes[x->dtype].is_int) {
        PyObject *r = NULL, *ca = NULL, *cb = NULL;
        mk_tensor *xa = to_tensor(a, x->dtype), *xb = xa ? to_tensor(b, x->dtype) : NULL;
        if (!xa || !xb) { Py_XDECREF(xa); return NULL; }
        if (xa->dtype != xb->dtype) {   /* 1.5 / int tensor: TF refuses, never a silent float64 */
            PyErr_Format(mk_InvalidArgumentError, "truediv: x and y must have the same dtype, "
                         "got %s and %s", mk_dtypes[xa->dtype].name, mk_dtypes[xb->dtype].name);
            Py_DECREF(xa); Py_DECREF(xb);
            return NULL;
        }
        mk_attrs at = {0};
        at.i[0] = x->dtype == MK_U8 ? MK_F32 : MK_F64;   /* TF: uint8 -> float32, int32/64 -> float64 */
        at.ni = 1;
        ca = (PyObject *)mk_run1(MK_OP_CAST, 1, &xa, &at);
        cb = ca ? (PyObject *)mk_run1(MK_OP_CAST, 1, &xb, &at) : NULL;
        if (ca && cb) r = binop(MK_OP_DIV, ca, cb);
        Py_XDECREF(ca); Py_XDECREF(cb); Py_DECREF(xa); Py_DECREF(xb);
        return r;
    }
    return binop(MK_OP_DIV, ta, tb);
}

static PyObject *t_pow(PyObject *a, PyObject *b, PyObject *mod) {
    if (mod != Py_None) Py_RETURN_NOTIMPLEMENTED;
    return binop(MK_OP_POW, a, b);
}
static PyObject *t_neg(PyObject *a) { return run_op(MK_OP_NEG, &a, 1, 1, NULL, NULL); }
static PyObject *t_abs(PyObject *a) { return run_op(MK_OP_ABS, &a, 1, 1, NULL, NULL); }
static PyObject *t_pos(PyObject *a) { Py_INCREF(a); return a; }
static PyObject *t_invert(PyObject *a) { return run_op(MK_OP_LOGICAL_NOT, &a, 1, 1, NULL, NULL); }

static int check_concrete(mk_tensor *t, const char *what) {
    if (t->flags & MK_T_TRACED) {
        PyErr_Format(PyExc_TypeError,
                     "using a tf.Tensor as a Python %s is not allowed in Graph execution "
                     "(inside tf.function or fit): the value is not known while the graph is "
                     "traced. Use tf.cond / tf.where / tf.while_loop instead of Python "
                     "control flow, or run eagerly (run_eagerly=True, "
                     "tf.config.run_functions_eagerly(True)).", what);
        return -1;
    }
    return 0;
}

static int scalar_value(mk_tensor *t, const char *what, double *d, int64_t *iv) {
    if (check_concrete(t, what) < 0) return -1;
    if (mk_numel(t) != 1) {
        char s[128];
        mk_shape_str(s, sizeof s, t->ndim, t->shape);
        PyErr_Format(PyExc_ValueError, "only a tensor with one element can be converted to a "
                     "Python %s; this one has shape %s", what, s);
        return -1;
    }
    char host[8];
    void *p = mk_data(t);
    if (t->device != MK_CPU) {   /* one element back from the GPU (waits for it) */
        if (mk_copy_bytes(host, MK_CPU, p, t->device, mk_dtypes[t->dtype].itemsize) < 0) return -1;
        p = host;
    }
    switch (t->dtype) {
    case MK_F32: *d = *(float *)p; *iv = (int64_t)*d; break;
    case MK_F64: *d = *(double *)p; *iv = (int64_t)*d; break;
    case MK_F16: *d = (double)*(_Float16 *)p; *iv = (int64_t)*d; break;
    case MK_I32: *iv = *(int32_t *)p; *d = (double)*iv; break;
    case MK_I64: *iv = *(int64_t *)p; *d = (double)*iv; break;
    default: *iv = *(uint8_t *)p; *d = (double)*iv; break;
    }
    return 0;
}

static int t_bool(mk_tensor *t) {
    double d; int64_t iv;
    if (scalar_value(t, "bool", &d, &iv) < 0) return -1;
    return d != 0;
}
static PyObject *t_float(mk_tensor *t) {
    double d; int64_t iv;
    if (scalar_value(t, "float", &d, &iv) < 0) return NULL;
    return PyFloat_FromDouble(d);
}
static PyObject *t_int(mk_tensor *t) {
    double d; int64_t iv;
    if (scalar_value(t, "int", &d, &iv) < 0) return NULL;
    return PyLong_FromLongLong(iv);
}
static PyObject *t_index(mk_tensor *t) {
    if (!mk_dtypes[t->dtype].is_int && t->dtype != MK_BOOL) {
        PyErr_SetString(PyExc_TypeError, "only integer scalar tensors can be used as an index");
        return NULL;
    }
    return t_int(t);
}

static PyNumberMethods tensor_as_number = {
    .nb_add = t_add, .nb_subtract = t_sub, .nb_multiply = t_mul,
    .nb_true_divide = t_truediv, .nb_floor_divide = t_floordiv, .nb_remainder = t_mod,
    .nb_power = (ternaryfunc)t_pow, .nb_negative = t_neg, .nb_absolute = t_abs,
    .nb_positive = t_pos, .nb_invert = t_invert, .nb_bool = (inquiry)t_bool,
    .nb_float = (unaryfunc)t_float, .nb_int = (unaryfunc)t_int, .nb_index = (unaryfunc)t_index,
    .nb_matrix_multiply = t_matmul, .nb_and = t_and, .nb_or = t_or, .nb_xor = t_xor,
};

static PyObject *t_richcompare(PyObject *a, PyObject *b, int op) {
    static const int ids[] = {MK_OP_LESS, MK_OP_LESS_EQUAL, MK_OP_EQUAL, MK_OP_NOT_EQUAL,
                              MK_OP_GREATER, MK_OP_GREATER_EQUAL};
    if (b == Py_None) {   /* TF: t == None is False, t != None is True */
        if (op == Py_EQ) Py_RETURN_FALSE;
        if (op == Py_NE) Py_RETURN_TRUE;
    }
    PyObject *r = binop(ids[op], a, b);
    if (!r && (op == Py_EQ || op == Py_NE) && PyErr_ExceptionMatches(mk_InvalidArgumentError)) {
        /* incompatible shapes/dtypes: TF answers False / True for == / != */
        PyErr_Clear();
        if (op == Py_EQ) Py_RETURN_FALSE;
        Py_RETURN_TRUE;
    }
    return r;
}

static Py_ssize_t t_len(mk_tensor *t) {
    if (t->ndim == 0) { PyErr_SetString(PyExc_TypeError, "Scalar tensor has no `len()`"); return -1; }
    return (Py_ssize_t)t->shape[0];
}
static PySequenceMethods tensor_as_sequence = { .sq_length = (lenfunc)t_len };

/* buffer protocol: np.asarray(t) shares a CPU tensor's memory; a GPU tensor's buffer is a
 * read-only host copy (the copy waits for the GPU), freed with the buffer. */
static int t_getbuffer(mk_tensor *t, Py_buffer *view, int flags) {
    if (check_concrete(t, "buffer") < 0) { PyErr_SetString(PyExc_BufferError, "traced tensor"); return -1; }
    if (t->device != MK_CPU && (flags & PyBUF_WRITABLE)) {
        PyErr_SetString(PyExc_BufferError, "a GPU tensor's buffer is a read-only host copy");
        return -1;
    }
    /* int64 as "l" where long is 64-bit: numpy maps "q" to longlong, not np.int64 */
    static const char *fmt[MK_NDTYPE] = {"f", "e", "d", "i", sizeof(long) == 8 ? "l" : "q", "B", "?"};
    int isz = mk_dtypes[t->dtype].itemsize;
    int64_t n = mk_numel(t);
    size_t head = sizeof(Py_ssize_t) * 2 * (t->ndim ? t->ndim : 1);
    size_t host = t->device != MK_CPU ? (size_t)n * isz : 0;
    Py_ssize_t *mem = PyMem_Malloc(head + host + 64);
    if (!mem) { PyErr_NoMemory(); return -1; }
    void *buf = mk_data(t);
    int dense = 1;
    if (t->device != MK_CPU) {
        mk_tensor *src = t;
        if (!mk_is_contiguous(t) && !(src = mk_run1(MK_OP_COPY, 1, &t, NULL))) { PyMem_Free(mem); return -1; }
        buf = (void *)(((uintptr_t)((char *)mem + head) + 63) & ~(uintptr_t)63);
        int rc = mk_copy_bytes(buf, MK_CPU, mk_data(src), src->device, host);
        if (src != t) Py_DECREF(src);
        if (rc < 0) { PyMem_Free(mem); return -1; }
    } else dense = 0;
    for (int i = 0; i < t->ndim; i++) mem[i] = t->shape[i];
    if (dense) mk_contiguous_strides(t->ndim, t->shape, (int64_t *)(mem + t->ndim));
    for (int i = 0; i < t->ndim; i++)
        mem[t->ndim + i] = (dense ? (Py_ssize_t)((int64_t *)(mem + t->ndim))[i] : t->strides[i]) * isz;
    view->buf = buf;
    view->obj = (PyObject *)t;
    Py_INCREF(t);
    view->len = n * isz;
    view->readonly = t->device != MK_CPU;
    view->itemsize = isz;
    view->format = (flags & PyBUF_FORMAT) ? (char *)fmt[t->dtype] : NULL;
    view->ndim = t->ndim;
    view->shape = mem;
    view->strides = mem + t->ndim;
    view->suboffsets = NULL;
    view->internal = mem;
    return 0;
}
static void t_releasebuffer(mk_tensor *t, Py_buffer *view) { PyMem_Free(view->internal); }
static PyBufferProcs tensor_as_buffer = {(getbufferproc)t_getbuffer, (releasebufferproc)t_releasebuffer};

static PyObject *t_get_shape(mk_tensor *t, void *u) {
    PyObject *r = PyTuple_New(t->ndim);
    for (int i = 0; r && i < t->ndim; i++) PyTuple_SET_ITEM(r, i, PyLong_FromLongLong(t->shape[i]));
    return r;
}
static PyObject *t_get_strides(mk_tensor *t, void *u) {
    PyObject *r = PyTuple_New(t->ndim);
    for (int i = 0; r && i < t->ndim; i++) PyTuple_SET_ITEM(r, i, PyLong_FromLongLong(t->strides[i]));
    return r;
}
static PyObject *t_get_dtype_id(mk_tensor *t, void *u) { return PyLong_FromLong(t->dtype); }
static PyObject *t_get_ndim(mk_tensor *t, void *u) { return PyLong_FromLong(t->ndim); }
static PyObject *t_get_device_id(mk_tensor *t, void *u) { return PyLong_FromLong(t->device); }
static PyObject *t_get_flags(mk_tensor *t, void *u) { return PyLong_FromLong(t->flags); }
static int t_set_flags(mk_tensor *t, PyObject *v, void *u) {
    long f = PyLong_AsLong(v);
    if (f == -1 && PyErr_Occurred()) return -1;
    t->flags = (int)f;
    return 0;
}
static PyObject *t_get_size(mk_tensor *t, void *u) { return PyLong_FromLongLong(mk_numel(t)); }
static PyObject *t_get_storage_id(mk_tensor *t, void *u) { return PyLong_FromVoidPtr(t->storage); }
static PyObject *t_get_traced(mk_tensor *t, void *u) { return PyBool_FromLong(t->flags & MK_T_TRACED); }

static PyGetSetDef tensor_getset[] = {
    {"_shape", (getter)t_get_shape, NULL, "shape as a tuple", NULL},
    {"_strides", (getter)t_get_strides, NULL, "strides in elements", NULL},
    {"_dtype_id", (getter)t_get_dtype_id, NULL, NULL, NULL},
    {"ndim", (getter)t_get_ndim, NULL, "rank", NULL},
    {"_device_id", (getter)t_get_device_id, NULL, NULL, NULL},
    {"_flags", (getter)t_get_flags, (setter)t_set_flags, NULL, NULL},
    {"_size", (getter)t_get_size, NULL, NULL, NULL},
    {"_storage_id", (getter)t_get_storage_id, NULL, NULL, NULL},
    {"_traced", (getter)t_get_traced, NULL, NULL, NULL},
    {NULL}
};

PyTypeObject mk_TensorBase_Type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "minikeras._core.TensorBase",
    .tp_basicsize = sizeof(mk_tensor),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
    .tp_dealloc = (destructor)tensor_dealloc,
    .tp_as_number = &tensor_as_number,
    .tp_as_sequence = &tensor_as_sequence,
    .tp_as_buffer = &tensor_as_buffer,
    .tp_richcompare = t_richcompare,
    .tp_hash = PyObject_HashNotImplemented,
    .tp_getset = tensor_getset,
    .tp_weaklistoffset = offsetof(mk_tensor, weakreflist),
};

/* ---- module functions ----------------------------------------------------- */

static int dtype_of_format(const char *f, Py_ssize_t itemsize) {
    char c = f ? f[strlen(f) - 1] : 'B';
    if (f && (f[0] == '<' || f[0] == '=' || f[0] == '@' || f[0] == '|')) c = f[1];
    switch (c) {
    case 'f': return MK_F32;
    case 'e': return MK_F16;
    case 'd': return MK_F64;
    case 'i': return MK_I32;
    case 'l': case 'q': return itemsize == 8 ? MK_I64 : MK_I32;
    case 'B': return MK_U8;
    case '?': return MK_BOOL;
    }
    return -1;
}

/* from_buffer(obj, device=0): copy any buffer (numpy array) of a supported dtype */
static PyObject *m_from_buffer(PyObject *self, PyObject *args) {
    PyObject *obj;
    int device = MK_CPU;
    if (!PyArg_ParseTuple(args, "O|i", &obj, &device)) return NULL;
    Py_buffer b;
    if (PyObject_GetBuffer(obj, &b, PyBUF_RECORDS_RO) < 0) return NULL;
    int dt = dtype_of_format(b.format, b.itemsize);
    if (dt < 0 || mk_dtypes[dt].itemsize != b.itemsize) {
        PyErr_Format(PyExc_TypeError, "unsupported buffer format '%s'", b.format);
        PyBuffer_Release(&b);
        return NULL;
    }
    int64_t shape[MK_MAXDIM];
    if (b.ndim > MK_MAXDIM) {
        PyErr_Format(mk_InvalidArgumentError, "tensors have at most %d dimensions", MK_MAXDIM);
        PyBuffer_Release(&b);
        return NULL;
    }
    for (int i = 0; i < b.ndim; i++) shape[i] = b.shape[i];
    mk_tensor *t = mk_tensor_new(dt, b.ndim, shape, MK_CPU);
    if (!t) { PyBuffer_Release(&b); return NULL; }
    if (PyBuffer_ToContiguous(mk_data(t), &b, b.len, 'C') < 0) {
        Py_DECREF(t);
        PyBuffer_Release(&b);
        return NULL;
    }
    PyBuffer_Release(&b);
    if (device != MK_CPU) {        /* tf.constant under a GPU: copied there (a counted move) */
        mk_tensor *g = mk_to_device(t, device);
        Py_DECREF(t);
        return (PyObject *)g;
    }
    return (PyObject *)t;
}

/* write_buffer(t, obj): the bytes of a buffer (numpy array of t's dtype and size) into t's
 * storage on whatever device, unrecorded: restoring variables after an aborted trace */
static PyObject *m_write_buffer(PyObject *self, PyObject *args) {
    PyObject *o, *obj;
    if (!PyArg_ParseTuple(args, "OO", &o, &obj)) return NULL;
    if (!PyObject_TypeCheck(o, &mk_TensorBase_Type)) { PyErr_SetString(PyExc_TypeError, "tensor expected"); return NULL; }
    mk_tensor *t = (mk_tensor *)o;
    Py_buffer b;
    if (PyObject_GetBuffer(obj, &b, PyBUF_C_CONTIGUOUS) < 0) return NULL;
    size_t n = (size_t)mk_numel(t) * mk_dtypes[t->dtype].itemsize;
    int rc = -1;
    if (!mk_is_contiguous(t) || (size_t)b.len != n)
        PyErr_Format(PyExc_ValueError, "write_buffer: %zd bytes into a %s tensor of %zu bytes",
                     b.len, mk_is_contiguous(t) ? "dense" : "strided", n);
    else rc = mk_copy_bytes(mk_data(t), t->device, b.buf, MK_CPU, n);
    PyBuffer_Release(&b);
    if (rc < 0) return NULL;
    Py_RETURN_NONE;
}

static PyObject *m_scalar(PyObject *self, PyObject *args) {
    PyObject *o;
    int hint = -1;
    if (!PyArg_ParseTuple(args, "O|i", &o, &hint)) return NULL;
    mk_tensor *t = scalar_tensor(o, hint);
    if (!t && !PyErr_Occurred())
        PyErr_Format(PyExc_TypeError, "cannot convert %R to a %s scalar", o,
                     hint >= 0 ? mk_dtypes[hint].name : "");
    return (PyObject *)t;
}

static PyObject *m_set_tensor_class(PyObject *self, PyObject *cls) {
    if (!PyType_Check(cls) || !PyType_IsSubtype((PyTypeObject *)cls, &mk_TensorBase_Type)
        || ((PyTypeObject *)cls)->tp_basicsize != mk_TensorBase_Type.tp_basicsize) {
        PyErr_SetString(PyExc_TypeError, "tensor class must subclass TensorBase with __slots__ = ()");
        return NULL;
    }
    Py_INCREF(cls);
    mk_tensor_type = (PyTypeObject *)cls;
    Py_RETURN_NONE;
}

static PyObject *m_set_converter(PyObject *self, PyObject *fn) {
    Py_XINCREF(fn);
    Py_XSETREF(converter, fn);
    Py_RETURN_NONE;
}

static PyObject *m_set_symbolic_hook(PyObject *self, PyObject *args) {
    PyObject *err, *hook;
    if (!PyArg_ParseTuple(args, "OO", &err, &hook)) return NULL;
    Py_INCREF(err); Py_XSETREF(symbolic_error, err);
    if (hook == Py_None) { Py_CLEAR(symbolic_hook); }
    else { Py_INCREF(hook); Py_XSETREF(symbolic_hook, hook); }
    Py_RETURN_NONE;
}

static PyObject *m_op_names(PyObject *self, PyObject *u) {
    PyObject *l = PyList_New(MK_OP_COUNT);
    for (int i = 0; l && i < MK_OP_COUNT; i++) PyList_SET_ITEM(l, i, PyUnicode_FromString(mk_op_names[i]));
    return l;
}

static PyObject *m_op_info(PyObject *self, PyObject *arg) {
    int id = (int)PyLong_AsLong(arg);
    if (id < 0 || id >= MK_OP_COUNT) { PyErr_SetString(PyExc_IndexError, "op id"); return NULL; }
    const mk_opdef *o = &mk_ops[id];
    return Py_BuildValue("{s:s,s:i,s:i,s:I,s:O,s:O}", "name", o->name, "nin", o->nin, "nout", o->nout,
                         "flags", o->flags, "cpu", o->kernel[MK_CPU] ? Py_True : Py_False,
                         "gpu", o->kernel[MK_GPU] ? Py_True : Py_False);
}

/* a view of t without the traced mark: for Python nodes reading values at replay time */
static PyObject *m_runtime_view(PyObject *self, PyObject *o) {
    if (!PyObject_TypeCheck(o, &mk_TensorBase_Type)) { PyErr_SetString(PyExc_TypeError, "tensor expected"); return NULL; }
    mk_tensor *t = (mk_tensor *)o;
    return (PyObject *)mk_tensor_view(t, t->ndim, t->shape, t->strides, t->offset);
}

static PyObject *m_is_tracing(PyObject *self, PyObject *u) { return PyBool_FromLong(mk_tracing_graph != NULL); }
static PyObject *m_tapes_active(PyObject *self, PyObject *u) { return PyLong_FromUnsignedLong(mk_active_tapes); }

static PyObject *m_set_num_threads(PyObject *self, PyObject *arg) {
#ifdef _OPENMP
    omp_set_num_threads((int)PyLong_AsLong(arg));
#endif
    Py_RETURN_NONE;
}
static PyObject *m_get_num_threads(PyObject *self, PyObject *u) {
#ifdef _OPENMP
    return PyLong_FromLong(omp_get_max_threads());
#else
    return PyLong_FromLong(1);
#endif
}

/* (dtype name, itemsize, typestr, is_float, is_int, is_signed) for every dtype id */
static PyObject *m_dtype_table(PyObject *self, PyObject *u) {
    PyObject *l = PyList_New(MK_NDTYPE);
    for (int i = 0; l && i < MK_NDTYPE; i++) {
        const mk_dtype_info *d = &mk_dtypes[i];
        PyList_SET_ITEM(l, i, Py_BuildValue("(sisiii)", d->name, d->itemsize, d->typestr,
                                            d->is_float, d->is_int, d->is_signed));
    }
    return l;
}

/* ---- devices -------------------------------------------------------------- */

static int device_arg(PyObject *arg, int *dev) {
    long d = PyLong_AsLong(arg);
    if (d == -1 && PyErr_Occurred()) return -1;
    if (d < -1 || d >= MK_NDEV) { PyErr_Format(PyExc_ValueError, "unknown device id %ld", d); return -1; }
    *dev = (int)d;
    return 0;
}

/* set_device_scope(dev) -> the previous scope of this thread (-1: none) */
static PyObject *m_set_device_scope(PyObject *self, PyObject *arg) {
    int d;
    if (device_arg(arg, &d) < 0) return NULL;
    int prev = mk_device_scope;
    mk_device_scope = d;
    return PyLong_FromLong(prev);
}
static PyObject *m_get_device_scope(PyObject *self, PyObject *u) { return PyLong_FromLong(mk_device_scope); }

static PyObject *m_set_default_device(PyObject *self, PyObject *arg) {
    int d;
    if (device_arg(arg, &d) < 0) return NULL;
    if (d < 0) d = MK_CPU;
    mk_default_device = d;
    Py_RETURN_NONE;
}
static PyObject *m_get_default_device(PyObject *self, PyObject *u) { return PyLong_FromLong(mk_default_device); }

/* set_gpu_loader(fn or None): fn() is called once, on the first op that wants the GPU */
static PyObject *m_set_gpu_loader(PyObject *self, PyObject *fn) {
    if (fn == Py_None) { Py_CLEAR(mk_gpu_loader); Py_RETURN_NONE; }
    Py_INCREF(fn);
    Py_XSETREF(mk_gpu_loader, fn);
    Py_RETURN_NONE;
}
static PyObject *m_gpu_installed(PyObject *self, PyObject *u) { return PyBool_FromLong(mk_gpu != NULL); }

static PyObject *m_copy_stats(PyObject *self, PyObject *u) {
    return Py_BuildValue("{s:L,s:L,s:L,s:L,s:L,s:L}",
        "h2d_count", (long long)mk_copies.count[MK_COPY_H2D], "h2d_bytes", (long long)mk_copies.bytes[MK_COPY_H2D],
        "d2h_count", (long long)mk_copies.count[MK_COPY_D2H], "d2h_bytes", (long long)mk_copies.bytes[MK_COPY_D2H],
        "d2d_count", (long long)mk_copies.count[MK_COPY_D2D], "d2d_bytes", (long long)mk_copies.bytes[MK_COPY_D2D]);
}
static PyObject *m_reset_copy_stats(PyObject *self, PyObject *u) {
    memset(&mk_copies, 0, sizeof mk_copies);
    Py_RETURN_NONE;
}

/* wait for every GPU launch so far (timing, tests) */
static PyObject *m_synchronize(PyObject *self, PyObject *u) {
    if (!mk_gpu) Py_RETURN_NONE;
    int rc;
    Py_BEGIN_ALLOW_THREADS
    rc = mk_gpu->synchronize();
    Py_END_ALLOW_THREADS
    if (rc < 0) { PyErr_Format(mk_InvalidArgumentError, "GPU error: %s", mk_gpu->last_error()); return NULL; }
    Py_RETURN_NONE;
}

int mk_install_test_device(size_t capacity);   /* kernels/device.c */
size_t mk_test_device_in_use(void);
static PyObject *m_install_test_device(PyObject *self, PyObject *arg) {
    unsigned long long cap = PyLong_AsUnsignedLongLong(arg);
    if (PyErr_Occurred()) return NULL;
    if (mk_install_test_device((size_t)cap) < 0) {
        PyErr_SetString(PyExc_RuntimeError, "a real GPU backend is installed");
        return NULL;
    }
    Py_RETURN_NONE;
}
static PyObject *m_test_device_in_use(PyObject *self, PyObject *u) {
    return PyLong_FromSize_t(mk_test_device_in_use());
}

extern int mk_cuda_graphs_enabled;   /* graph.c */
static PyObject *m_set_cuda_graphs(PyObject *self, PyObject *arg) {
    int prev = mk_cuda_graphs_enabled;
    mk_cuda_graphs_enabled = PyObject_IsTrue(arg);
    return PyBool_FromLong(prev);
}

/* the core API handed to minikeras._cuda through the capsule "minikeras._core._api" */
static int install_gpu(const mk_gpu_api *gpu) {
    if (!gpu || gpu->abi != MK_API_ABI) {
        PyErr_Format(PyExc_ImportError, "minikeras._cuda was built for another core (ABI %d, core %d)",
                     gpu ? gpu->abi : -1, MK_API_ABI);
        return -1;
    }
    mk_gpu = gpu;
    return 0;
}
static const mk_core_api core_api = {MK_API_ABI, mk_ops, MK_OP_COUNT, mk_op_names, install_gpu,
                                     mk_random_reserve};

static PyMethodDef module_methods[] = {
    {"set_device_scope", m_set_device_scope, METH_O, "tf.device for this thread: -1 none, 0 CPU, 1 GPU; returns the previous"},
    {"get_device_scope", m_get_device_scope, METH_NOARGS, "this thread's device scope (-1: none)"},
    {"set_default_device", m_set_default_device, METH_O, "device of ops outside any scope"},
    {"get_default_device", m_get_default_device, METH_NOARGS, "device of ops outside any scope"},
    {"set_gpu_loader", m_set_gpu_loader, METH_O, "fn() installing the GPU backend on first use"},
    {"gpu_installed", m_gpu_installed, METH_NOARGS, "True once minikeras._cuda has installed itself"},
    {"copy_stats", m_copy_stats, METH_NOARGS, "copies between devices made by to_device"},
    {"reset_copy_stats", m_reset_copy_stats, METH_NOARGS, "zero the copy statistics"},
    {"synchronize", m_synchronize, METH_NOARGS, "wait for the GPU"},
    {"_install_test_device", m_install_test_device, METH_O,
     "tests only: a simulated GPU (host memory, CPU kernels) of the given capacity in bytes (0: unlimited)"},
    {"_test_device_in_use", m_test_device_in_use, METH_NOARGS, "tests only: bytes held by the simulated GPU"},
    {"set_cuda_graphs", m_set_cuda_graphs, METH_O, "replay traced GPU segments as CUDA Graphs; returns the previous"},
    {"from_buffer", m_from_buffer, METH_VARARGS, "copy a buffer (numpy array) into a new tensor"},
    {"scalar", m_scalar, METH_VARARGS, "scalar(value, dtype=-1) -> 0-d tensor"},
    {"write_buffer", m_write_buffer, METH_VARARGS, "write_buffer(t, array): bytes into t's storage, unrecorded"},
    {"set_tensor_class", m_set_tensor_class, METH_O, "class instantiated for new tensors"},
    {"set_converter", m_set_converter, METH_O, "fallback converter(obj, dtype_hint) -> tensor"},
    {"op_names", m_op_names, METH_NOARGS, "names of all ops, by id"},
    {"set_symbolic_hook", m_set_symbolic_hook, METH_VARARGS,
     "set_symbolic_hook(error_class, hook): hook(op_name, args, kwargs) on symbolic arguments"},
    {"op_info", m_op_info, METH_O, "properties of one op"},
    {"runtime_view", m_runtime_view, METH_O, "view without the traced mark (replay-time reads)"},
    {"is_tracing", m_is_tracing, METH_NOARGS, "True while a graph is being traced"},
    {"tapes_active", m_tapes_active, METH_NOARGS, "bit mask of recording tapes"},
    {"set_num_threads", m_set_num_threads, METH_O, "threads for the C kernels"},
    {"get_num_threads", m_get_num_threads, METH_NOARGS, "threads for the C kernels"},
    {"dtype_table", m_dtype_table, METH_NOARGS, "dtype descriptions by id"},
    {NULL}
};

static struct PyModuleDef core_module = {PyModuleDef_HEAD_INIT, "minikeras._core",
    "minikeras C core: tensors, kernels, tape and traced graphs", -1, module_methods};

PyMODINIT_FUNC PyInit__core(void) {
    if (PyType_Ready(&mk_TensorBase_Type) < 0 || PyType_Ready(&mk_Tape_Type) < 0 ||
        PyType_Ready(&mk_Graph_Type) < 0) return NULL;
    PyObject *m = PyModule_Create(&core_module);
    if (!m) return NULL;
    mk_InvalidArgumentError = PyErr_NewExceptionWithDoc("minikeras._core.InvalidArgumentError",
        "bad shapes, dtypes or arguments given to an op", PyExc_ValueError, NULL);
    mk_ResourceExhaustedError = PyErr_NewExceptionWithDoc("minikeras._core.ResourceExhaustedError",
        "out of memory", PyExc_MemoryError, NULL);
    if (mk_ops_init() < 0) { Py_DECREF(m); return NULL; }
    /* Keep freed tensor memory in the heap: glibc otherwise maps and unmaps every
     * buffer over 128 KB, and each op then pays page faults on its fresh output. */
    mallopt(M_MMAP_THRESHOLD, 64 << 20);
    mallopt(M_TRIM_THRESHOLD, 1 << 30);
    PyModule_AddObjectRef(m, "InvalidArgumentError", mk_InvalidArgumentError);
    PyModule_AddObjectRef(m, "ResourceExhaustedError", mk_ResourceExhaustedError);
    PyModule_AddObjectRef(m, "TensorBase", (PyObject *)&mk_TensorBase_Type);
    PyModule_AddObjectRef(m, "Tape", (PyObject *)&mk_Tape_Type);
    PyModule_AddObjectRef(m, "Graph", (PyObject *)&mk_Graph_Type);
    PyObject *ops = PyDict_New();
    for (int i = 0; ops && i < MK_OP_COUNT; i++) {
        PyObject *id = PyLong_FromLong(i);
        PyObject *fn = PyCFunction_NewEx(&op_entry_def, id, NULL);
        Py_DECREF(id);
        if (!fn) return NULL;
        PyDict_SetItemString(ops, mk_op_names[i], fn);
        Py_DECREF(fn);
    }
    PyModule_AddObject(m, "ops", ops);
    PyModule_AddIntConstant(m, "MAXDIM", MK_MAXDIM);
    PyModule_AddIntConstant(m, "T_VARIABLE", MK_T_VARIABLE);
    PyModule_AddIntConstant(m, "T_TRAINABLE", MK_T_TRAINABLE);
    PyModule_AddIntConstant(m, "T_TRACED", MK_T_TRACED);
    PyModule_AddIntConstant(m, "CPU", MK_CPU);
    PyModule_AddIntConstant(m, "GPU", MK_GPU);
    PyModule_AddObject(m, "_api", PyCapsule_New((void *)&core_api, "minikeras._core._api", NULL));
    return m;
}
