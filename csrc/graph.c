/* Traced graphs.  A function runs once eagerly while every op it executes is
 * appended here with the very tensors it read and wrote; those tensors are the
 * graph's buffers (planned once, at trace time).  A replay copies the new
 * arguments into the input buffers and calls the kernels in order, in C, with
 * the GIL released; view ops cost nothing since their outputs already alias
 * the right storage.  Python callbacks (tf.print) and control flow (tf.cond,
 * tf.while_loop over sub-graphs) are node kinds of their own. */
#include "mk.h"
#include <stdlib.h>

enum { NODE_OP = 0, NODE_PYCALL, NODE_COND, NODE_WHILE };

typedef struct mk_graph mk_graph;

enum { SEG_FRESH = 0, SEG_WARM, SEG_CAPTURED, SEG_NEVER };

typedef struct {
    int kind;
    int fuse_len;              /* > 1: this node starts a chain of elementwise nodes run chunk-wise */
    int64_t fuse_n;            /* the chain's element count */
    int seg_len;               /* > 1: this node starts a run of GPU launches replayed as one CUDA Graph */
    int seg_state;             /* SEG_*: the first replay warms up (library plans), the second captures */
    void *cuda_exec;           /* the captured graph (SEG_CAPTURED) */
    mk_call c;                 /* NODE_OP: owned refs in c.in / c.out */
    PyObject *fn;              /* NODE_PYCALL: fn(*c.in) */
    mk_graph *sub[2];          /* COND: true/false; WHILE: cond/body */
} mk_node;

struct mk_graph {
    PyObject_HEAD
    mk_node *nodes;
    Py_ssize_t n, cap;
    PyObject *inputs;          /* list of tensors: buffers the arguments are copied into */
    PyObject *outputs;         /* list of tensors */
    mk_graph *parent;          /* the graph that was being traced before this one */
    int tracing;
};

_Thread_local mk_graph *mk_tracing_graph = NULL;
extern PyTypeObject mk_Graph_Type;

static mk_node *graph_push(mk_graph *g) {
    if (g->n == g->cap) {
        Py_ssize_t cap = g->cap ? g->cap * 2 : 64;
        mk_node *nn = realloc(g->nodes, cap * sizeof(mk_node));
        if (!nn) { PyErr_NoMemory(); return NULL; }
        g->nodes = nn;
        g->cap = cap;
    }
    mk_node *nd = &g->nodes[g->n];
    memset(nd, 0, sizeof *nd);
    return nd;
}

/* copy the call's tensors into a node that owns them */
static int node_set_call(mk_node *nd, const mk_call *c) {
    nd->c.op = c->op;
    nd->c.op_id = c->op_id;
    nd->c.nin = c->nin;
    nd->c.nout = c->nout;
    nd->c.a = c->a;
    nd->c.err[0] = 0;
    nd->c.meta = NULL;
    nd->c.in = malloc(sizeof(mk_tensor *) * (c->nin ? c->nin : 1));
    nd->c.out = malloc(sizeof(mk_tensor *) * (c->nout ? c->nout : 1));
    if (!nd->c.in || !nd->c.out) { free(nd->c.in); free(nd->c.out); PyErr_NoMemory(); return -1; }
    for (int i = 0; i < c->nin; i++) { nd->c.in[i] = c->in[i]; Py_INCREF(c->in[i]); }
    for (int k = 0; k < c->nout; k++) {
        nd->c.out[k] = c->out[k];
        Py_INCREF(c->out[k]);
        c->out[k]->flags |= MK_T_TRACED;
    }
    return 0;
}

int mk_graph_record(mk_call *c) {
    mk_graph *g = mk_tracing_graph;
    if (c->op->flags & MK_OP_DYNAMIC) {
        PyErr_Format(mk_InvalidArgumentError,
                     "%s: its output shape depends on the input values, which a traced graph "
                     "(tf.function / fit) cannot replay; run it eagerly (run_eagerly=True)",
                     c->op->name);
        return -1;
    }
    /* a constant moved to another device is moved once, now: its copy is a constant too
     * (only traced values and variables change between replays) */
    if ((c->op->flags & MK_OP_XDEV) && !(c->in[0]->flags & (MK_T_TRACED | MK_T_VARIABLE)))
        return 0;
    mk_node *nd = graph_push(g);
    if (!nd) return -1;
    nd->kind = NODE_OP;
    if (node_set_call(nd, c) < 0) return -1;
    g->n++;
    return 0;
}

static void node_clear(mk_node *nd) {
    if (nd->cuda_exec && mk_gpu) mk_gpu->graph_destroy(nd->cuda_exec);
    nd->cuda_exec = NULL;
    for (int i = 0; i < nd->c.nin; i++) Py_XDECREF(nd->c.in[i]);
    for (int k = 0; k < nd->c.nout; k++) Py_XDECREF(nd->c.out[k]);
    free(nd->c.in);
    free(nd->c.out);
    Py_XDECREF(nd->fn);
    Py_XDECREF((PyObject *)nd->sub[0]);
    Py_XDECREF((PyObject *)nd->sub[1]);
}

/* dense bytes of src into dst, on any devices (the GPU side on the backend's stream) */
static int copy_into(mk_tensor *dst, mk_tensor *src) {
    if (dst->dtype != src->dtype || mk_numel(dst) != mk_numel(src) || !mk_is_contiguous(src)
        || !mk_is_contiguous(dst)) return -1;
    size_t n = mk_numel(dst) * mk_dtypes[dst->dtype].itemsize;
    if (dst->device == MK_CPU && src->device == MK_CPU) {
        memmove(mk_data(dst), mk_data(src), n);
        return 0;
    }
    if (!n) return 0;
    int kind = src->device == MK_CPU ? MK_COPY_H2D : dst->device == MK_CPU ? MK_COPY_D2H : MK_COPY_D2D;
    return mk_gpu ? mk_gpu->copy(mk_data(dst), mk_data(src), n, kind) : -1;
}

static int truth(mk_tensor *t) {
    char host[8];
    char *p = mk_data(t);
    if (t->device != MK_CPU) {     /* a condition computed on the GPU: wait for it */
        if (!mk_gpu || mk_gpu->copy(host, p, mk_dtypes[t->dtype].itemsize, MK_COPY_D2H) < 0) return 0;
        p = host;
    }
    switch (t->dtype) {
    case MK_BOOL: case MK_U8: return *(uint8_t *)p != 0;
    case MK_F32: return *(float *)p != 0;
    case MK_F64: return *(double *)p != 0;
    case MK_I32: return *(int32_t *)p != 0;
    case MK_I64: return *(int64_t *)p != 0;
    default: return *(uint16_t *)p & 0x7fff;
    }
}

/* Run the nodes of g.  Called without the GIL; takes it only for Python nodes.
 * Returns 0, or -1 with *err set to a static or node-owned message. */
static int graph_run_range(mk_graph *g, Py_ssize_t from, Py_ssize_t to, const char **err);
#define graph_run_nodes(g, err) graph_run_range((g), 0, (g)->n, (err))

static int graph_run_with(mk_graph *g, PyObject *in_list, const char **err) {
    /* copy tensors of in_list (borrowed, list of mk_tensor) into g's inputs */
    Py_ssize_t n = PyList_GET_SIZE(g->inputs);
    for (Py_ssize_t i = 0; i < n; i++) {
        if (copy_into((mk_tensor *)PyList_GET_ITEM(g->inputs, i),
                      (mk_tensor *)PyList_GET_ITEM(in_list, i)) < 0) {
            *err = "loop variable changed shape or dtype between iterations";
            return -1;
        }
    }
    return graph_run_nodes(g, err);
}

/* Run nodes [start, start+len) -- a chain of elementwise ops over n elements --
 * chunk by chunk: every op of the chain on elements [lo, lo+FUSE_CHUNK), then
 * the next chunk.  Intermediates stay in cache instead of streaming through
 * memory once per op; chunks are spread over the threads.  Per-element program
 * order is kept, which is all an elementwise chain depends on. */
#define FUSE_CHUNK 8192

static void chunk_view(mk_tensor *dst, const mk_tensor *src, int64_t n, int64_t lo, int64_t len) {
    if (mk_numel(src) != n) { *dst = *src; return; }   /* a 1-element operand */
    *dst = *src;
    dst->ndim = 1;
    dst->shape[0] = len;
    dst->strides[0] = 1;
    dst->offset = src->offset + lo;
}

static int graph_run_fused(mk_graph *g, Py_ssize_t start, int len, int64_t n, const char **err) {
    int64_t nch = (n + FUSE_CHUNK - 1) / FUSE_CHUNK;
    int failed = 0;
    /* dynamic: a thread that the OS delays does not hold the others at the barrier */
    #pragma omp parallel for schedule(dynamic, 1) if (n >= MK_PAR_MIN)
    for (int64_t ch = 0; ch < nch; ch++) {
        int64_t lo = ch * FUSE_CHUNK, cl = n - lo < FUSE_CHUNK ? n - lo : FUSE_CHUNK;
        for (int j = 0; j < len && !failed; j++) {
            const mk_call *src = &g->nodes[start + j].c;
            mk_tensor tin[4], tout[2];
            mk_tensor *pin[4], *pout[2];
            mk_call cc;
            cc.op = src->op; cc.op_id = src->op_id; cc.nin = src->nin; cc.nout = src->nout;
            cc.a = src->a; cc.in = pin; cc.out = pout; cc.meta = NULL; cc.err[0] = 0;
            for (int k = 0; k < src->nin; k++) { chunk_view(&tin[k], src->in[k], n, lo, cl); pin[k] = &tin[k]; }
            for (int k = 0; k < src->nout; k++) { chunk_view(&tout[k], src->out[k], n, lo, cl); pout[k] = &tout[k]; }
            if (src->op->kernel[MK_CPU](&cc) < 0) {
                #pragma omp atomic write
                failed = 1;
            }
        }
    }
    if (failed) *err = "elementwise kernel failed inside a fused chain";
    return failed ? -1 : 0;
}

/* CUDA Graphs (MINIKERAS_CUDA_GRAPHS=0 or _core.set_cuda_graphs(False) turns them off) */
int mk_cuda_graphs_enabled = 1;
#define cuda_graphs_enabled mk_cuda_graphs_enabled
static int graph_run_nodes_plain(mk_graph *g, Py_ssize_t from, Py_ssize_t to, const char **err);

/* A run of GPU launches [start, start + seg_len): the first replay runs it as launches (and
 * lets cuBLAS/cuDNN settle their plans), the second captures it into a CUDA Graph and every
 * later replay is one graph launch.  Buffers are the graph's planned tensors, fixed since
 * the trace, so the captured pointers stay valid; scratch memory taken during the capture
 * belongs to the captured graph (cuda_device.cu). */
static int run_segment(mk_graph *g, Py_ssize_t start, const char **err) {
    mk_node *nd = &g->nodes[start];
    Py_ssize_t end = start + nd->seg_len;
    if (nd->seg_state == SEG_CAPTURED) {
        if (mk_gpu->graph_launch(nd->cuda_exec) < 0) { *err = "CUDA graph launch failed"; return -1; }
        return 0;
    }
    if (nd->seg_state == SEG_WARM && cuda_graphs_enabled) {
        nd->seg_state = SEG_NEVER;         /* unless the capture below succeeds */
        if (mk_gpu->capture_begin() == 0) {
            int rc = graph_run_nodes_plain(g, start, end, err);
            void *exec = NULL;
            int cap = mk_gpu->capture_end(&exec);
            if (rc == 0 && cap == 0 && exec) {
                nd->cuda_exec = exec;
                nd->seg_state = SEG_CAPTURED;
                if (mk_gpu->graph_launch(exec) < 0) { *err = "CUDA graph launch failed"; return -1; }
                return 0;
            }
            if (exec) mk_gpu->graph_destroy(exec);
            /* not capturable: the launches were only recorded, so run them for real below */
        }
    } else if (nd->seg_state == SEG_FRESH) nd->seg_state = SEG_WARM;
    return graph_run_nodes_plain(g, start, end, err);
}

static int graph_run_range_ex(mk_graph *g, Py_ssize_t from, Py_ssize_t to, const char **err, int segments);
static int graph_run_range(mk_graph *g, Py_ssize_t from, Py_ssize_t to, const char **err) {
    return graph_run_range_ex(g, from, to, err, 1);
}
static int graph_run_nodes_plain(mk_graph *g, Py_ssize_t from, Py_ssize_t to, const char **err) {
    return graph_run_range_ex(g, from, to, err, 0);
}

static int graph_run_range_ex(mk_graph *g, Py_ssize_t from, Py_ssize_t to, const char **err, int segments) {
    for (Py_ssize_t i = from; i < to; i++) {
        mk_node *nd = &g->nodes[i];
        if (segments && nd->seg_len > 1 && i + nd->seg_len <= to && mk_gpu) {
            if (run_segment(g, i, err) < 0) return -1;
            i += nd->seg_len - 1;
            continue;
        }
        if (nd->fuse_len > 1 && i + nd->fuse_len <= to) {
            if (graph_run_fused(g, i, nd->fuse_len, nd->fuse_n, err) < 0) return -1;
            i += nd->fuse_len - 1;
            continue;
        }
        switch (nd->kind) {
        case NODE_OP:
            if (nd->c.op->flags & MK_OP_VIEW) break;
            if (nd->c.op->kernel[nd->c.nout ? nd->c.out[0]->device : nd->c.in[0]->device](&nd->c) < 0) {
                *err = nd->c.err;
                return -1;
            }
            break;
        case NODE_PYCALL: {
            PyGILState_STATE st = PyGILState_Ensure();
            PyObject *args = PyTuple_New(nd->c.nin);
            for (int k = 0; args && k < nd->c.nin; k++) {
                Py_INCREF(nd->c.in[k]);
                PyTuple_SET_ITEM(args, k, (PyObject *)nd->c.in[k]);
            }
            PyObject *r = args ? PyObject_Call(nd->fn, args, NULL) : NULL;
            Py_XDECREF(args);
            int ok = r != NULL;
            Py_XDECREF(r);
            if (!ok) *err = "a Python function inside the graph raised";   /* exception stays set */
            PyGILState_Release(st);
            if (!ok) return -1;
            break;
        }
        case NODE_COND: {
            mk_graph *br = nd->sub[truth(nd->c.in[0]) ? 0 : 1];
            if (graph_run_nodes(br, err) < 0) return -1;
            for (int k = 0; k < nd->c.nout; k++)
                copy_into(nd->c.out[k], (mk_tensor *)PyList_GET_ITEM(br->outputs, k));
            break;
        }
        case NODE_WHILE: {
            mk_graph *cg = nd->sub[0], *bg = nd->sub[1];
            /* node inputs are the initial loop variables; outputs the final ones */
            for (int k = 0; k < nd->c.nout; k++) copy_into(nd->c.out[k], nd->c.in[k]);
            PyObject *state = NULL;
            {   /* a borrowed list view of the node outputs */
                PyGILState_STATE st = PyGILState_Ensure();
                state = PyList_New(nd->c.nout);
                for (int k = 0; state && k < nd->c.nout; k++) {
                    Py_INCREF(nd->c.out[k]);
                    PyList_SET_ITEM(state, k, (PyObject *)nd->c.out[k]);
                }
                PyGILState_Release(st);
            }
            if (!state) { *err = "out of memory"; return -1; }
            int rc = 0;
            for (;;) {
                if ((rc = graph_run_with(cg, state, err)) < 0) break;
                if (!truth((mk_tensor *)PyList_GET_ITEM(cg->outputs, 0))) break;
                if ((rc = graph_run_with(bg, state, err)) < 0) break;
                for (int k = 0; k < nd->c.nout; k++)
                    copy_into(nd->c.out[k], (mk_tensor *)PyList_GET_ITEM(bg->outputs, k));
            }
            PyGILState_STATE st = PyGILState_Ensure();
            Py_DECREF(state);
            PyGILState_Release(st);
            if (rc < 0) return -1;
            break;
        }
        }
    }
    return 0;
}

/* ---- Python type -------------------------------------------------------- */

static PyObject *graph_new(PyTypeObject *type, PyObject *args, PyObject *kw) {
    mk_graph *g = (mk_graph *)type->tp_alloc(type, 0);
    if (!g) return NULL;
    g->inputs = PyList_New(0);
    g->outputs = PyList_New(0);
    if (!g->inputs || !g->outputs) { Py_DECREF(g); return NULL; }
    return (PyObject *)g;
}

static void graph_dealloc(mk_graph *g) {
    if (g->tracing && mk_tracing_graph == g) mk_tracing_graph = g->parent;
    for (Py_ssize_t i = 0; i < g->n; i++) node_clear(&g->nodes[i]);
    free(g->nodes);
    Py_XDECREF(g->inputs);
    Py_XDECREF(g->outputs);
    Py_TYPE(g)->tp_free((PyObject *)g);
}

static PyObject *graph_begin(mk_graph *g, PyObject *unused) {
    if (g->tracing) { PyErr_SetString(PyExc_RuntimeError, "graph is already tracing"); return NULL; }
    g->parent = mk_tracing_graph;
    g->tracing = 1;
    mk_tracing_graph = g;
    Py_RETURN_NONE;
}

static PyObject *graph_end(mk_graph *g, PyObject *unused) {
    if (g->tracing) {
        if (mk_tracing_graph != g) {
            PyErr_SetString(PyExc_RuntimeError, "graphs must end in the order they began");
            return NULL;
        }
        mk_tracing_graph = g->parent;
        g->parent = NULL;
        g->tracing = 0;
    }
    Py_RETURN_NONE;
}

static int check_tensor_list(PyObject *l, const char *what) {
    if (!PyList_Check(l)) { PyErr_Format(PyExc_TypeError, "%s must be a list", what); return -1; }
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(l); i++)
        if (!PyObject_TypeCheck(PyList_GET_ITEM(l, i), &mk_TensorBase_Type)) {
            PyErr_Format(PyExc_TypeError, "%s[%zd] is not a tensor", what, i);
            return -1;
        }
    return 0;
}


/* ---- buffer planning ------------------------------------------------------
 * After tracing, every intermediate has its own buffer.  Reuse them: walk the
 * nodes in order, give each newly defined buffer a free one of the same size
 * if there is one, and free a buffer after its last reader.  Buffers are
 * storages (views share them); graph inputs/outputs, captured tensors and
 * variables are never moved.  Graphs with Python or control-flow nodes (whose
 * sub-graphs read outer buffers) are left as traced. */
typedef struct {
    mk_storage *s;         /* the storage as traced */
    mk_storage *repl;      /* the one it will use */
    Py_ssize_t def, last;
    int fixed, assigned, released;
} st_info;

static int ptr_cmp(const void *a, const void *b) {
    uintptr_t x = *(const uintptr_t *)a, y = *(const uintptr_t *)b;
    return x < y ? -1 : x > y;
}
static int info_cmp(const void *a, const void *b) {
    uintptr_t x = (uintptr_t)((const st_info *)a)->s, y = (uintptr_t)((const st_info *)b)->s;
    return x < y ? -1 : x > y;
}
static st_info *info_find(st_info *inf, size_t n, mk_storage *s) {
    st_info key = {.s = s};
    return bsearch(&key, inf, n, sizeof(st_info), info_cmp);
}

/* element count of an elementwise node whose operands all line up element by
 * element (same count, contiguous) or are single elements; 0 if not fusable */
static int64_t fusable_n(const mk_node *nd) {
    const mk_call *c = &nd->c;
    if (nd->kind != NODE_OP || !(c->op->flags & MK_OP_ELEMENTWISE) || c->nin > 4 || c->nout > 2)
        return 0;
    int dev = c->nout ? c->out[0]->device : c->in[0]->device;
    if (dev != MK_CPU) return 0;
    int64_t n = c->nout ? mk_numel(c->out[0]) : mk_numel(c->in[0]);
    for (int k = 0; k < c->nout; k++)
        if (mk_numel(c->out[k]) != n || !mk_is_contiguous(c->out[k])) return 0;
    for (int k = 0; k < c->nin; k++) {
        int64_t m = mk_numel(c->in[k]);
        if (m == 1) continue;
        if (m != n || !mk_is_contiguous(c->in[k])) return 0;
    }
    return n;
}

static void graph_find_chains(mk_graph *g) {
    for (Py_ssize_t i = 0; i < g->n;) {
        int64_t n = fusable_n(&g->nodes[i]);
        Py_ssize_t j = i + 1;
        if (n >= 4 * FUSE_CHUNK)
            while (j < g->n && fusable_n(&g->nodes[j]) == n) j++;
        if (j - i > 1 && n >= 4 * FUSE_CHUNK) {
            g->nodes[i].fuse_len = (int)(j - i);
            g->nodes[i].fuse_n = n;
        }
        i = j;
    }
}

/* 1: a node a CUDA Graph can hold (a GPU kernel launch, or a view: nothing to launch);
 * 0: it breaks a segment (CPU work, device copies, host-state launches, Python, control) */
static int capturable(const mk_node *nd, int *launches) {
    const mk_call *c = &nd->c;
    if (nd->kind != NODE_OP) return 0;
    if (c->op->flags & MK_OP_VIEW) return 1;
    int dev = c->nout ? c->out[0]->device : c->nin ? c->in[0]->device : MK_CPU;
    if (dev != MK_GPU || (c->op->flags & (MK_OP_XDEV | MK_OP_NOCAPTURE))) return 0;
    (*launches)++;
    return 1;
}

static void graph_find_segments(mk_graph *g) {
    for (Py_ssize_t i = 0; i < g->n;) {
        int launches = 0;
        Py_ssize_t j = i;
        while (j < g->n && capturable(&g->nodes[j], &launches)) j++;
        if (launches >= 2) g->nodes[i].seg_len = (int)(j - i);
        i = j > i ? j : i + 1;
    }
}

static void graph_plan(mk_graph *g) {
    size_t cap = 0;
    for (Py_ssize_t i = 0; i < g->n; i++) {
        if (g->nodes[i].kind != NODE_OP) return;
        cap += g->nodes[i].c.nin + g->nodes[i].c.nout;
    }
    if (cap == 0) return;
    /* every tensor object the graph touches, once */
    mk_tensor **ts = malloc(sizeof(mk_tensor *) * cap);
    st_info *inf = calloc(cap, sizeof(st_info));
    mk_storage **pool = malloc(sizeof(mk_storage *) * cap);
    if (!ts || !inf || !pool) { free(ts); free(inf); free(pool); return; }
    size_t nt = 0;
    for (Py_ssize_t i = 0; i < g->n; i++) {
        mk_call *c = &g->nodes[i].c;
        for (int k = 0; k < c->nin; k++) ts[nt++] = c->in[k];
        for (int k = 0; k < c->nout; k++) ts[nt++] = c->out[k];
    }
    qsort(ts, nt, sizeof(mk_tensor *), ptr_cmp);
    size_t u = 0;
    for (size_t i = 0; i < nt; i++) if (!u || ts[i] != ts[u - 1]) ts[u++] = ts[i];
    nt = u;
    size_t ns = 0;
    for (size_t i = 0; i < nt; i++) { inf[ns].s = ts[i]->storage; inf[ns].def = -1; inf[ns].last = -1; ns++; }
    qsort(inf, ns, sizeof(st_info), info_cmp);
    u = 0;
    for (size_t i = 0; i < ns; i++) if (!u || inf[i].s != inf[u - 1].s) inf[u++] = inf[i];
    ns = u;
    for (size_t i = 0; i < ns; i++) inf[i].repl = inf[i].s;
    /* definitions and last uses */
    for (Py_ssize_t i = 0; i < g->n; i++) {
        mk_call *c = &g->nodes[i].c;
        for (int k = 0; k < c->nin; k++) {
            st_info *f = info_find(inf, ns, c->in[k]->storage);
            f->last = i;
            if (f->def < 0) f->fixed = 1;       /* read before any node wrote it: external */
        }
        for (int k = 0; k < c->nout; k++) {
            st_info *f = info_find(inf, ns, c->out[k]->storage);
            if (f->def < 0 && !f->fixed) f->def = i;
            if (f->last < i) f->last = i;
        }
    }
    for (size_t i = 0; i < nt; i++)
        if (ts[i]->flags & MK_T_VARIABLE) info_find(inf, ns, ts[i]->storage)->fixed = 1;
    PyObject *lists[2] = {g->inputs, g->outputs};
    for (int l = 0; l < 2; l++)
        for (Py_ssize_t i = 0; i < PyList_GET_SIZE(lists[l]); i++) {
            st_info *f = info_find(inf, ns, ((mk_tensor *)PyList_GET_ITEM(lists[l], i))->storage);
            if (f) f->fixed = 1;
        }
    /* assign */
    size_t npool = 0;
    for (Py_ssize_t i = 0; i < g->n; i++) {
        mk_call *c = &g->nodes[i].c;
        for (int k = 0; k < c->nout; k++) {
            st_info *f = info_find(inf, ns, c->out[k]->storage);
            if (f->fixed || f->assigned || f->def != i) continue;
            f->assigned = 1;
            for (size_t p = 0; p < npool; p++)
                if (pool[p]->nbytes == f->s->nbytes && pool[p]->device == f->s->device) {
                    f->repl = pool[p];
                    pool[p] = pool[--npool];
                    break;
                }
        }
        for (int side = 0; side < 2; side++) {
            int n = side ? c->nout : c->nin;
            for (int k = 0; k < n; k++) {
                st_info *f = info_find(inf, ns, (side ? c->out[k] : c->in[k])->storage);
                if (f->fixed || f->released || f->last != i || f->def < 0) continue;
                f->released = 1;
                pool[npool++] = f->repl;
            }
        }
    }
    /* redirect every tensor to its planned storage */
    for (size_t i = 0; i < nt; i++) {
        st_info *f = info_find(inf, ns, ts[i]->storage);
        if (f->repl != f->s) {
            f->repl->refcnt++;
            mk_storage_decref(ts[i]->storage);
            ts[i]->storage = f->repl;
        }
    }
    free(ts);
    free(inf);
    free(pool);
    graph_find_chains(g);
}

static PyObject *graph_set_io(mk_graph *g, PyObject *args) {
    PyObject *ins, *outs;
    if (!PyArg_ParseTuple(args, "OO", &ins, &outs)) return NULL;
    if (check_tensor_list(ins, "inputs") < 0 || check_tensor_list(outs, "outputs") < 0) return NULL;
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(ins); i++)
        if (!mk_is_contiguous((mk_tensor *)PyList_GET_ITEM(ins, i))) {
            PyErr_SetString(PyExc_ValueError, "graph inputs must be contiguous buffers");
            return NULL;
        }
    Py_INCREF(ins); Py_SETREF(g->inputs, ins);
    Py_INCREF(outs); Py_SETREF(g->outputs, outs);
    graph_plan(g);
    graph_find_segments(g);
    Py_RETURN_NONE;
}

/* add a node that calls fn(*tensors) with the GIL at run time (tf.print) */
static PyObject *graph_add_pycall(mk_graph *g, PyObject *args) {
    PyObject *fn, *tensors;
    if (!PyArg_ParseTuple(args, "OO!", &fn, &PyList_Type, &tensors)) return NULL;
    if (check_tensor_list(tensors, "tensors") < 0) return NULL;
    mk_node *nd = graph_push(g);
    if (!nd) return NULL;
    nd->kind = NODE_PYCALL;
    int n = (int)PyList_GET_SIZE(tensors);
    nd->c.nin = n;
    nd->c.in = malloc(sizeof(mk_tensor *) * (n ? n : 1));
    nd->c.out = malloc(sizeof(mk_tensor *));
    if (!nd->c.in || !nd->c.out) { free(nd->c.in); free(nd->c.out); return PyErr_NoMemory(); }
    for (int i = 0; i < n; i++) {
        nd->c.in[i] = (mk_tensor *)PyList_GET_ITEM(tensors, i);
        Py_INCREF(nd->c.in[i]);
    }
    Py_INCREF(fn);
    nd->fn = fn;
    g->n++;
    Py_RETURN_NONE;
}

/* control flow node: kind COND (in: [pred], subs: true/false) or
 * WHILE (in: initial loop vars, subs: cond/body); outs are fresh buffers */
static PyObject *graph_add_control(mk_graph *g, PyObject *args) {
    const char *kind;
    PyObject *ins, *outs;
    mk_graph *s0, *s1;
    if (!PyArg_ParseTuple(args, "sO!O!O!O!", &kind, &PyList_Type, &ins, &PyList_Type, &outs,
                          &mk_Graph_Type, &s0, &mk_Graph_Type, &s1)) return NULL;
    if (check_tensor_list(ins, "inputs") < 0 || check_tensor_list(outs, "outputs") < 0) return NULL;
    mk_node *nd = graph_push(g);
    if (!nd) return NULL;
    nd->kind = strcmp(kind, "cond") == 0 ? NODE_COND : NODE_WHILE;
    int nin = (int)PyList_GET_SIZE(ins), nout = (int)PyList_GET_SIZE(outs);
    nd->c.nin = nin;
    nd->c.nout = nout;
    nd->c.in = malloc(sizeof(mk_tensor *) * (nin ? nin : 1));
    nd->c.out = malloc(sizeof(mk_tensor *) * (nout ? nout : 1));
    if (!nd->c.in || !nd->c.out) { free(nd->c.in); free(nd->c.out); return PyErr_NoMemory(); }
    for (int i = 0; i < nin; i++) {
        nd->c.in[i] = (mk_tensor *)PyList_GET_ITEM(ins, i);
        Py_INCREF(nd->c.in[i]);
    }
    for (int k = 0; k < nout; k++) {
        nd->c.out[k] = (mk_tensor *)PyList_GET_ITEM(outs, k);
        Py_INCREF(nd->c.out[k]);
        nd->c.out[k]->flags |= MK_T_TRACED;
    }
    Py_INCREF(s0); Py_INCREF(s1);
    nd->sub[0] = s0;
    nd->sub[1] = s1;
    g->n++;
    Py_RETURN_NONE;
}

/* run(args): copy args into the input buffers, replay, return copies of the outputs */
static PyObject *graph_run(mk_graph *g, PyObject *arglist) {
    if (!PyList_Check(arglist) || PyList_GET_SIZE(arglist) != PyList_GET_SIZE(g->inputs)) {
        PyErr_SetString(PyExc_TypeError, "Graph.run expects a list with one tensor per input");
        return NULL;
    }
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(arglist); i++) {
        PyObject *a = PyList_GET_ITEM(arglist, i);
        if (!PyObject_TypeCheck(a, &mk_TensorBase_Type)
            || copy_into((mk_tensor *)PyList_GET_ITEM(g->inputs, i), (mk_tensor *)a) < 0) {
            PyErr_Format(PyExc_ValueError, "Graph.run: argument %zd does not match the traced "
                         "input (dtype, size, contiguity)", i);
            return NULL;
        }
    }
    const char *err = NULL;
    int rc;
    Py_BEGIN_ALLOW_THREADS
    rc = graph_run_nodes(g, &err);
    Py_END_ALLOW_THREADS
    if (rc < 0) {
        if (!PyErr_Occurred()) PyErr_SetString(mk_InvalidArgumentError, err ? err : "graph replay failed");
        return NULL;
    }
    Py_ssize_t n = PyList_GET_SIZE(g->outputs);
    PyObject *res = PyTuple_New(n);
    if (!res) return NULL;
    for (Py_ssize_t k = 0; k < n; k++) {
        mk_tensor *o = (mk_tensor *)PyList_GET_ITEM(g->outputs, k);
        mk_tensor *r = mk_tensor_new(o->dtype, o->ndim, o->shape, o->device);
        if (!r) { Py_DECREF(res); return NULL; }
        if (mk_is_contiguous(o)) copy_into(r, o);
        else {
            mk_tensor *cp = mk_run1(MK_OP_COPY, 1, &o, NULL);
            if (!cp) { Py_DECREF(r); Py_DECREF(res); return NULL; }
            copy_into(r, cp);
            Py_DECREF(cp);
        }
        PyTuple_SET_ITEM(res, k, (PyObject *)r);
    }
    return res;
}

/* run only the newest node (a control-flow or Python node just added while tracing) */
static PyObject *graph_run_last(mk_graph *g, PyObject *unused) {
    if (g->n == 0) Py_RETURN_NONE;
    const char *err = NULL;
    int rc;
    Py_BEGIN_ALLOW_THREADS
    rc = graph_run_range(g, g->n - 1, g->n, &err);
    Py_END_ALLOW_THREADS
    if (rc < 0) {
        if (!PyErr_Occurred()) PyErr_SetString(mk_InvalidArgumentError, err ? err : "graph node failed");
        return NULL;
    }
    Py_RETURN_NONE;
}

static PyObject *graph_len(mk_graph *g, void *unused) { return PyLong_FromSsize_t(g->n); }
static PyObject *graph_get_inputs(mk_graph *g, void *u) { Py_INCREF(g->inputs); return g->inputs; }
static PyObject *graph_get_outputs(mk_graph *g, void *u) { Py_INCREF(g->outputs); return g->outputs; }

static PyObject *graph_op_names(mk_graph *g, PyObject *unused) {
    PyObject *l = PyList_New(g->n);
    if (!l) return NULL;
    for (Py_ssize_t i = 0; i < g->n; i++) {
        mk_node *nd = &g->nodes[i];
        const char *nm = nd->kind == NODE_OP ? nd->c.op->name
                       : nd->kind == NODE_PYCALL ? "py_call"
                       : nd->kind == NODE_COND ? "cond" : "while";
        PyList_SET_ITEM(l, i, PyUnicode_FromString(nm));
    }
    return l;
}

/* [(first node, node count, state)] of the runs replayed as CUDA Graphs; state is
 * 'fresh', 'warm' (ran once as launches), 'captured' or 'launches' (capture failed) */
static PyObject *graph_cuda_segments(mk_graph *g, PyObject *unused) {
    static const char *names[] = {"fresh", "warm", "captured", "launches"};
    PyObject *l = PyList_New(0);
    for (Py_ssize_t i = 0; l && i < g->n; i++) {
        mk_node *nd = &g->nodes[i];
        if (nd->seg_len < 2) continue;
        PyObject *t = Py_BuildValue("(nis)", i, nd->seg_len, names[nd->seg_state]);
        if (!t || PyList_Append(l, t) < 0) { Py_XDECREF(t); Py_DECREF(l); return NULL; }
        Py_DECREF(t);
    }
    return l;
}

static PyMethodDef graph_methods[] = {
    {"cuda_segments", (PyCFunction)graph_cuda_segments, METH_NOARGS, "runs of GPU nodes replayed as CUDA Graphs"},
    {"begin", (PyCFunction)graph_begin, METH_NOARGS, "start recording ops into this graph"},
    {"end", (PyCFunction)graph_end, METH_NOARGS, "stop recording"},
    {"set_io", (PyCFunction)graph_set_io, METH_VARARGS, "set_io(input_tensors, output_tensors)"},
    {"add_pycall", (PyCFunction)graph_add_pycall, METH_VARARGS, "add_pycall(fn, tensors)"},
    {"add_control", (PyCFunction)graph_add_control, METH_VARARGS,
     "add_control('cond'|'while', inputs, outputs, graph0, graph1)"},
    {"run_last", (PyCFunction)graph_run_last, METH_NOARGS, "run the newest node only"},
    {"run", (PyCFunction)graph_run, METH_O, "run(list_of_tensors) -> tuple of output tensors"},
    {"op_names", (PyCFunction)graph_op_names, METH_NOARGS, "names of the nodes in order"},
    {NULL}
};
static PyGetSetDef graph_getset[] = {
    {"num_nodes", (getter)graph_len, NULL, NULL, NULL},
    {"inputs", (getter)graph_get_inputs, NULL, NULL, NULL},
    {"outputs", (getter)graph_get_outputs, NULL, NULL, NULL},
    {NULL}
};

PyTypeObject mk_Graph_Type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "minikeras._core.Graph",
    .tp_basicsize = sizeof(mk_graph),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_new = graph_new,
    .tp_dealloc = (destructor)graph_dealloc,
    .tp_methods = graph_methods,
    .tp_getset = graph_getset,
};

/* subgraph replays inside cond/while run without copying (their inputs are captured) */
PyObject *mk_graph_is_tracing(void) { return PyBool_FromLong(mk_tracing_graph != NULL); }
