#include "image_shims.h"
#include "shim_limits.h"

#include <limits.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
#include <jerror.h>

/* Progressive files with more scans than this are refused (a known CPU-exhaustion trick). */
#define ZOO_JPEG_MAX_SCANS 500

/* libjpeg's error manager extended with the jump target and the last message. */
struct zoo_jpeg_error {
    struct jpeg_error_mgr base;
    jmp_buf jump;
    char message[JMSG_LENGTH_MAX];
};

static void zoo_jpeg_fail(j_common_ptr cinfo) {
    struct zoo_jpeg_error *error = (struct zoo_jpeg_error *)cinfo->err;
    (*cinfo->err->format_message)(cinfo, error->message);
    longjmp(error->jump, 1);
}

/* Warnings are tolerated, as PIL does, except running out of data: a truncated file is an error. */
static void zoo_jpeg_emit(j_common_ptr cinfo, int level) {
    if (level < 0) {
        if (cinfo->err->msg_code == JWRN_JPEG_EOF) {
            zoo_jpeg_fail(cinfo);
        }
        cinfo->err->num_warnings++;
    }
}

static void zoo_jpeg_silent(j_common_ptr cinfo) {
    (void)cinfo;
}

static void zoo_jpeg_progress(j_common_ptr cinfo) {
    if (cinfo->is_decompressor) {
        j_decompress_ptr decompress = (j_decompress_ptr)cinfo;
        if (decompress->input_scan_number > ZOO_JPEG_MAX_SCANS) {
            struct zoo_jpeg_error *error = (struct zoo_jpeg_error *)cinfo->err;
            snprintf(error->message, sizeof error->message,
                     "more than %d progressive scans", ZOO_JPEG_MAX_SCANS);
            longjmp(error->jump, 1);
        }
    }
}

zoo_image_status zoo_jpeg_decode(
    const unsigned char *data, size_t size, zoo_image_limits limits, zoo_raster *out) {
    memset(out, 0, sizeof *out);
    if (size > ULONG_MAX) {
        snprintf(out->message, sizeof out->message, "file too large for libjpeg");
        return ZOO_IMAGE_TOO_LARGE;
    }

    struct jpeg_decompress_struct cinfo;
    struct zoo_jpeg_error error;
    struct jpeg_progress_mgr progress;
    unsigned char *volatile pixels = NULL;

    memset(&cinfo, 0, sizeof cinfo);
    cinfo.err = jpeg_std_error(&error.base);
    error.base.error_exit = zoo_jpeg_fail;
    error.base.emit_message = zoo_jpeg_emit;
    error.base.output_message = zoo_jpeg_silent;
    error.message[0] = '\0';
    memset(&progress, 0, sizeof progress);
    progress.progress_monitor = zoo_jpeg_progress;

    if (setjmp(error.jump)) {
        snprintf(out->message, sizeof out->message, "%s", error.message);
        jpeg_destroy_decompress(&cinfo);
        free(pixels);
        return ZOO_IMAGE_CORRUPT;
    }

    jpeg_create_decompress(&cinfo);
    cinfo.progress = &progress;
    jpeg_mem_src(&cinfo, data, (unsigned long)size);
    (void)jpeg_read_header(&cinfo, TRUE);

    if (zoo_exceeds(cinfo.image_width, cinfo.image_height, limits)) {
        out->width = cinfo.image_width;
        out->height = cinfo.image_height;
        snprintf(out->message, sizeof out->message, "declared size %ux%u exceeds the limits",
                 (unsigned)cinfo.image_width, (unsigned)cinfo.image_height);
        jpeg_destroy_decompress(&cinfo);
        return ZOO_IMAGE_TOO_LARGE;
    }

    switch (cinfo.num_components) {
    case 1:
        cinfo.out_color_space = JCS_GRAYSCALE;
        break;
    case 3:
        cinfo.out_color_space = JCS_RGB;
        break;
    case 4:
        cinfo.out_color_space = JCS_CMYK;
        break;
    default:
        snprintf(out->message, sizeof out->message, "%d colour components",
                 cinfo.num_components);
        jpeg_destroy_decompress(&cinfo);
        return ZOO_IMAGE_UNSUPPORTED;
    }

    (void)jpeg_start_decompress(&cinfo);
    const size_t channels = (size_t)cinfo.output_components;
    const size_t stride = (size_t)cinfo.output_width * channels;
    pixels = malloc(stride * cinfo.output_height);
    if (pixels == NULL) {
        snprintf(out->message, sizeof out->message, "cannot allocate %ux%u pixels",
                 (unsigned)cinfo.output_width, (unsigned)cinfo.output_height);
        jpeg_destroy_decompress(&cinfo);
        return ZOO_IMAGE_NO_MEMORY;
    }
    while (cinfo.output_scanline < cinfo.output_height) {
        JSAMPROW row = pixels + (size_t)cinfo.output_scanline * stride;
        (void)jpeg_read_scanlines(&cinfo, &row, 1);
    }

    /* Like PIL, stop once every row is decoded: whatever follows the last scan is not read. */
    out->pixels = pixels;
    out->width = cinfo.output_width;
    out->height = cinfo.output_height;
    out->channels = (int)channels;
    out->bit_depth = 8;
    jpeg_destroy_decompress(&cinfo);
    return ZOO_IMAGE_OK;
}
