/* The autodiff tape: records (op, inputs, outputs, attrs) of every op that
 * touches a watched tensor while the tape is active.  Gradient rules live in
 * Python (minikeras/engine/gradients/), composed of ops, so they run on every
 * device, are recorded by outer tapes (second derivatives) and traced graphs. */
#include "mk.h"
#include <stdlib.h>

#define MK_MAXTAPES 32

typedef struct {
    int op_id;
    int nin, nout;
    mk_attrs a;
    PyObject **io;       /* nin inputs then nout outputs, owned references */
} mk_record;

typedef struct {
    PyObject_HEAD
    int slot;            /* -1 when not active */
    int watch_vars;      /* watch trainable variables automatically */
    mk_record *recs;
    Py_ssize_t n, cap;
} mk_tape;

uint32_t mk_active_tapes = 0;
static mk_tape *tape_slots[MK_MAXTAPES];
static uint32_t tape_watch_vars = 0;   /* slots whose tape watches variables */

static void rec_clear(mk_record *r) {
    for (int i = 0; i < r->nin + r->nout; i++) Py_XDECREF(r->io[i]);
    free(r->io);
}

void mk_tape_record(mk_call *c) {
    uint32_t mask = 0;
    for (int i = 0; i < c->nin; i++) {
        mk_tensor *t = c->in[i];
        mask |= t->tape_mask;
        if (t->flags & MK_T_TRAINABLE) mask |= tape_watch_vars;
    }
    mask &= mk_active_tapes;
    if (!mask) return;
    int any_float = 0;
    for (int k = 0; k < c->nout; k++)
        if (mk_dtypes[c->out[k]->dtype].is_float) {
            c->out[k]->tape_mask |= mask;
            any_float = 1;
        }
    if (!any_float) return;
    for (int s = 0; s < MK_MAXTAPES; s++) {
        if (!(mask & (1u << s))) continue;
        mk_tape *tp = tape_slots[s];
        if (tp->n == tp->cap) {
            Py_ssize_t cap = tp->cap ? tp->cap * 2 : 64;
            mk_record *nr = realloc(tp->recs, cap * sizeof(mk_record));
            if (!nr) continue;   /* out of memory: the gradient will miss this op */
            tp->recs = nr;
            tp->cap = cap;
        }
        mk_record *r = &tp->recs[tp->n];
        r->io = malloc(sizeof(PyObject *) * (c->nin + c->nout));
        if (!r->io) continue;
        r->op_id = c->op_id;
        r->nin = c->nin;
        r->nout = c->nout;
        r->a = c->a;
        for (int i = 0; i < c->nin; i++) { r->io[i] = (PyObject *)c->in[i]; Py_INCREF(r->io[i]); }
        for (int k = 0; k < c->nout; k++) {
            r->io[c->nin + k] = (PyObject *)c->out[k];
            Py_INCREF(r->io[c->nin + k]);
        }
        tp->n++;
    }
}

static PyObject *tape_new(PyTypeObject *type, PyObject *args, PyObject *kw) {
    int watch_vars = 1;
    static char *kwlist[] = {"watch_accessed_variables", NULL};
    if (!PyArg_ParseTupleAndKeywords(args, kw, "|p", kwlist, &watch_vars)) return NULL;
    mk_tape *t = (mk_tape *)type->tp_alloc(type, 0);
    if (!t) return NULL;
    t->slot = -1;
    t->watch_vars = watch_vars;
    t->recs = NULL;
    t->n = t->cap = 0;
    return (PyObject *)t;
}

static void tape_clear_records(mk_tape *t) {
    for (Py_ssize_t i = 0; i < t->n; i++) rec_clear(&t->recs[i]);
    free(t->recs);
    t->recs = NULL;
    t->n = t->cap = 0;
}

static PyObject *tape_stop(mk_tape *t, PyObject *unused) {
    if (t->slot >= 0) {
        mk_active_tapes &= ~(1u << t->slot);
        tape_watch_vars &= ~(1u << t->slot);
        tape_slots[t->slot] = NULL;
        t->slot = -1;
    }
    Py_RETURN_NONE;
}

static void tape_dealloc(mk_tape *t) {
    tape_stop(t, NULL);
    tape_clear_records(t);
    Py_TYPE(t)->tp_free((PyObject *)t);
}

static PyObject *tape_start(mk_tape *t, PyObject *unused) {
    if (t->slot >= 0) Py_RETURN_NONE;
    for (int s = 0; s < MK_MAXTAPES; s++) {
        if (!(mk_active_tapes & (1u << s))) {
            t->slot = s;
            tape_slots[s] = t;
            mk_active_tapes |= 1u << s;
            if (t->watch_vars) tape_watch_vars |= 1u << s;
            Py_RETURN_NONE;
        }
    }
    PyErr_Format(PyExc_RuntimeError, "more than %d GradientTapes active at once", MK_MAXTAPES);
    return NULL;
}

static PyObject *tape_watch(mk_tape *t, PyObject *obj) {
    if (!PyObject_TypeCheck(obj, &mk_TensorBase_Type)) {
        PyErr_SetString(PyExc_TypeError, "GradientTape.watch expects tensors");
        return NULL;
    }
    if (t->slot >= 0) ((mk_tensor *)obj)->tape_mask |= 1u << t->slot;
    Py_RETURN_NONE;
}

static PyObject *tape_records(mk_tape *t, PyObject *unused) {
    PyObject *list = PyList_New(t->n);
    if (!list) return NULL;
    for (Py_ssize_t i = 0; i < t->n; i++) {
        mk_record *r = &t->recs[i];
        PyObject *ins = PyTuple_New(r->nin), *outs = PyTuple_New(r->nout);
        PyObject *ints = PyTuple_New(r->a.ni), *fl = PyTuple_New(r->a.nf);
        if (!ins || !outs || !ints || !fl) goto fail_item;
        for (int k = 0; k < r->nin; k++) { Py_INCREF(r->io[k]); PyTuple_SET_ITEM(ins, k, r->io[k]); }
        for (int k = 0; k < r->nout; k++) {
            Py_INCREF(r->io[r->nin + k]);
            PyTuple_SET_ITEM(outs, k, r->io[r->nin + k]);
        }
        for (int k = 0; k < r->a.ni; k++) PyTuple_SET_ITEM(ints, k, PyLong_FromLongLong(r->a.i[k]));
        for (int k = 0; k < r->a.nf; k++) PyTuple_SET_ITEM(fl, k, PyFloat_FromDouble(r->a.f[k]));
        PyObject *item = Py_BuildValue("(sNNNN)", mk_op_names[r->op_id], ins, outs, ints, fl);
        if (!item) goto fail;
        PyList_SET_ITEM(list, i, item);
        continue;
    fail_item:
        Py_XDECREF(ins); Py_XDECREF(outs); Py_XDECREF(ints); Py_XDECREF(fl);
    fail:
        Py_DECREF(list);
        return NULL;
    }
    return list;
}

static PyObject *tape_reset(mk_tape *t, PyObject *unused) {
    tape_clear_records(t);
    Py_RETURN_NONE;
}

static PyObject *tape_active(mk_tape *t, void *unused) { return PyBool_FromLong(t->slot >= 0); }

static PyMethodDef tape_methods[] = {
    {"start", (PyCFunction)tape_start, METH_NOARGS, "begin recording"},
    {"stop", (PyCFunction)tape_stop, METH_NOARGS, "stop recording (records are kept)"},
    {"watch", (PyCFunction)tape_watch, METH_O, "watch a tensor"},
    {"records", (PyCFunction)tape_records, METH_NOARGS,
     "list of (op_name, inputs, outputs, ints, floats) in execution order"},
    {"reset", (PyCFunction)tape_reset, METH_NOARGS, "drop all records"},
    {NULL}
};
static PyGetSetDef tape_getset[] = {
    {"active", (getter)tape_active, NULL, NULL, NULL},
    {NULL}
};

PyTypeObject mk_Tape_Type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "minikeras._core.Tape",
    .tp_basicsize = sizeof(mk_tape),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
    .tp_new = tape_new,
    .tp_dealloc = (destructor)tape_dealloc,
    .tp_methods = tape_methods,
    .tp_getset = tape_getset,
};
