/* Codec family: decode_jpeg on libjpeg-turbo, so that a tf.data map decodes on several
 * threads at once (the kernel never holds the GIL: MK_OP_NOGIL) and with TensorFlow's own
 * libjpeg settings, hence TensorFlow's pixels: dct_method '' = JDCT_IFAST, fancy upsampling.
 *
 * decode_jpeg(contents: uint8 [n], the file's bytes) -> uint8 [height, width, channels]
 *   attrs: i[0] = channels (0: as in the file, 1: gray, 3: RGB), i[1] = ratio (1, 2, 4, 8),
 *          i[2] = fancy_upscaling (0/1), i[3] = dct method (0 IFAST, 1 ISLOW, 2 FLOAT).
 * The output shape depends on the header, which infer reads (MK_OP_DYNAMIC).  libjpeg's
 * default error handler ends the process: ours longjmps back and reports the error instead.
 * Files libjpeg decodes only to CMYK/YCCK are refused; the Python side uses Pillow there. */
#include "../mk.h"
#ifdef MK_HAVE_LIBJPEG
#include <stdio.h>
#include <setjmp.h>
#include <jpeglib.h>
#include <jerror.h>

typedef struct {
    struct jpeg_error_mgr pub;
    jmp_buf jump;
    int truncated;                  /* libjpeg met the end of the data before the image's end */
    char msg[JMSG_LENGTH_MAX];
} jerr_t;

static void on_error(j_common_ptr ci) {
    jerr_t *e = (jerr_t *)ci->err;
    (*ci->err->format_message)(ci, e->msg);
    longjmp(e->jump, 1);
}

static void on_message(j_common_ptr ci, int level) {
    jerr_t *e = (jerr_t *)ci->err;
    if (level < 0 && ci->err->msg_code == JWRN_JPEG_EOF) e->truncated = 1;
}

/* header + output parameters; 0, or -1 with c->err set (cinfo destroyed by the caller) */
static int setup(mk_call *c, struct jpeg_decompress_struct *ci) {
    mk_tensor *x = c->in[0];
    jpeg_mem_src(ci, (const unsigned char *)mk_data(x), (unsigned long)mk_numel(x));
    if (jpeg_read_header(ci, TRUE) != JPEG_HEADER_OK)
        return mk_err(c, "jpeg::Uncompress failed. Invalid JPEG data or crop window.");
    int channels = (int)c->a.i[0];
    if (channels == 1) ci->out_color_space = JCS_GRAYSCALE;
    else if (channels == 3 || ci->num_components == 3) ci->out_color_space = JCS_RGB;
    else if (ci->jpeg_color_space == JCS_GRAYSCALE) ci->out_color_space = JCS_GRAYSCALE;
    else return mk_err(c, "unsupported JPEG colour space %d with %d components",
                       (int)ci->jpeg_color_space, ci->num_components);
    if (ci->jpeg_color_space == JCS_CMYK || ci->jpeg_color_space == JCS_YCCK)
        return mk_err(c, "CMYK JPEG");
    ci->scale_num = 1;
    ci->scale_denom = (unsigned)c->a.i[1];
    ci->do_fancy_upsampling = c->a.i[2] ? TRUE : FALSE;
    ci->dct_method = c->a.i[3] == 1 ? JDCT_ISLOW : c->a.i[3] == 2 ? JDCT_FLOAT : JDCT_IFAST;
    jpeg_calc_output_dimensions(ci);
    return 0;
}

/* Read the header (infer: sets the output's metadata) or decode into c->out[0] (kernel).
 * setjmp must live in the frame that calls libjpeg, hence one function for both. */
static int run_jpeg(mk_call *c, int decode) {
    struct jpeg_decompress_struct ci;
    jerr_t je;
    ci.err = jpeg_std_error(&je.pub);
    je.pub.error_exit = on_error;
    je.pub.emit_message = on_message;
    je.truncated = 0;
    if (setjmp(je.jump)) {
        jpeg_destroy_decompress(&ci);
        return mk_err(c, "jpeg::Uncompress failed. Invalid JPEG data or crop window. (%s)", je.msg);
    }
    jpeg_create_decompress(&ci);
    if (setup(c, &ci) < 0) { jpeg_destroy_decompress(&ci); return -1; }
    int64_t shape[3] = {ci.output_height, ci.output_width, ci.out_color_components};
    if (!decode) {
        mk_meta_set(&c->meta[0], MK_U8, 3, shape);
        jpeg_destroy_decompress(&ci);
        return 0;
    }
    mk_tensor *o = c->out[0];
    if (shape[0] != o->shape[0] || shape[1] != o->shape[1] || shape[2] != o->shape[2]) {
        jpeg_destroy_decompress(&ci);
        return mk_err(c, "the JPEG header changed between shape inference and decoding");
    }
    jpeg_start_decompress(&ci);
    unsigned char *base = (unsigned char *)mk_data(o);
    size_t row = (size_t)ci.output_width * ci.output_components;
    while (ci.output_scanline < ci.output_height) {
        JSAMPROW r = base + (size_t)ci.output_scanline * row;
        if (jpeg_read_scanlines(&ci, &r, 1) != 1) break;
    }
    int short_read = ci.output_scanline < ci.output_height;
    if (!short_read && !je.truncated) jpeg_finish_decompress(&ci);
    jpeg_destroy_decompress(&ci);
    if (short_read || je.truncated)
        return mk_err(c, "jpeg::Uncompress failed. Invalid JPEG data or crop window. "
                      "(premature end of data)");
    return 0;
}

static int infer_decode_jpeg(mk_call *c) {
    mk_tensor *x = c->in[0];
    if (x->dtype != MK_U8 || x->ndim != 1)
        return mk_err(c, "contents must be a 1-D uint8 tensor of the file's bytes, got %s rank %d",
                      mk_dtypes[x->dtype].name, x->ndim);
    int64_t ch = c->a.i[0], ratio = c->a.i[1];
    if (ch != 0 && ch != 1 && ch != 3) return mk_err(c, "channels must be 0, 1 or 3, got %lld", (long long)ch);
    if (ratio != 1 && ratio != 2 && ratio != 4 && ratio != 8)
        return mk_err(c, "ratio must be 1, 2, 4, or 8, got %lld", (long long)ratio);
    if (mk_numel(x) == 0) return mk_err(c, "Input is empty.");
    return run_jpeg(c, 0);
}

static int k_decode_jpeg(mk_call *c) { return run_jpeg(c, 1); }
#else
static int infer_unbuilt(mk_call *c) {
    return mk_err(c, "minikeras was built without libjpeg (jpeglib.h not found)");
}
#endif

void mk_register_codec(void) {
#ifdef MK_HAVE_LIBJPEG
    mk_ops[MK_OP_DECODE_JPEG] = (mk_opdef){NULL, 1, 1,
        MK_OP_CONTIG | MK_OP_NONDIFF | MK_OP_DYNAMIC | MK_OP_NOGIL, infer_decode_jpeg, {k_decode_jpeg}};
#else
    mk_ops[MK_OP_DECODE_JPEG] = (mk_opdef){NULL, 1, 1, MK_OP_NONDIFF | MK_OP_DYNAMIC, infer_unbuilt, {NULL}};
#endif
}
