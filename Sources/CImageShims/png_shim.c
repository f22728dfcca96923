#include "image_shims.h"
#include "shim_limits.h"

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <png.h>

/* The bytes being read, and where libpng's errors jump to. */
struct zoo_png_source {
    const unsigned char *data;
    size_t size;
    size_t offset;
    jmp_buf jump;
    char message[200];
};

static void zoo_png_fail(png_structp png, png_const_charp message) {
    struct zoo_png_source *source = (struct zoo_png_source *)png_get_error_ptr(png);
    snprintf(source->message, sizeof source->message, "%s", message);
    longjmp(source->jump, 1);
}

/* Warnings (bad ancillary chunks, benign errors) are tolerated, as PIL does. */
static void zoo_png_warn(png_structp png, png_const_charp message) {
    (void)png;
    (void)message;
}

static void zoo_png_read(png_structp png, png_bytep out, size_t length) {
    struct zoo_png_source *source = (struct zoo_png_source *)png_get_io_ptr(png);
    if (length > source->size - source->offset) {
        png_error(png, "file is truncated");
    }
    memcpy(out, source->data + source->offset, length);
    source->offset += length;
}

zoo_image_status zoo_png_decode(
    const unsigned char *data, size_t size, zoo_image_limits limits, zoo_raster *out) {
    memset(out, 0, sizeof *out);
    struct zoo_png_source source;
    memset(&source, 0, sizeof source);
    source.data = data;
    source.size = size;

    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &source, zoo_png_fail, zoo_png_warn);
    if (png == NULL) {
        snprintf(out->message, sizeof out->message, "cannot create the libpng reader");
        return ZOO_IMAGE_NO_MEMORY;
    }
    png_infop info = png_create_info_struct(png);
    if (info == NULL) {
        png_destroy_read_struct(&png, NULL, NULL);
        snprintf(out->message, sizeof out->message, "cannot create the libpng reader");
        return ZOO_IMAGE_NO_MEMORY;
    }

    unsigned char *volatile pixels = NULL;
    png_bytep *volatile rows = NULL;
    if (setjmp(source.jump)) {
        snprintf(out->message, sizeof out->message, "%s", source.message);
        png_destroy_read_struct(&png, &info, NULL);
        free(rows);
        free(pixels);
        return ZOO_IMAGE_CORRUPT;
    }

    /* The caller's limits apply below; lift libpng's own so that it does not refuse first. */
    png_set_user_limits(png, 0x7fffffff, 0x7fffffff);
    png_set_read_fn(png, &source, zoo_png_read);
    png_read_info(png, info);

    png_uint_32 width = 0, height = 0;
    int depth = 0, colour = 0, interlace = 0;
    png_get_IHDR(png, info, &width, &height, &depth, &colour, &interlace, NULL, NULL);
    if (zoo_exceeds(width, height, limits)) {
        out->width = width;
        out->height = height;
        snprintf(out->message, sizeof out->message, "declared size %ux%u exceeds the limits",
                 (unsigned)width, (unsigned)height);
        png_destroy_read_struct(&png, &info, NULL);
        return ZOO_IMAGE_TOO_LARGE;
    }

    if (colour == PNG_COLOR_TYPE_PALETTE) {
        png_colorp palette = NULL;
        int count = 0;
        if (png_get_PLTE(png, info, &palette, &count) && palette != NULL) {
            if (count > 256) {
                count = 256;
            }
            for (int i = 0; i < count; i++) {
                out->palette[3 * i] = palette[i].red;
                out->palette[3 * i + 1] = palette[i].green;
                out->palette[3 * i + 2] = palette[i].blue;
            }
            out->palette_size = count;
        }
        if (depth < 8) {
            png_set_packing(png);
        }
    } else if (colour == PNG_COLOR_TYPE_GRAY && depth < 8) {
        png_set_expand_gray_1_2_4_to_8(png);
    }
    (void)png_set_interlace_handling(png);
    png_read_update_info(png, info);

    const int channels = png_get_channels(png, info);
    const int bit_depth = png_get_bit_depth(png, info);
    const size_t row_bytes = png_get_rowbytes(png, info);
    if ((bit_depth != 8 && bit_depth != 16)
        || row_bytes != (size_t)width * (size_t)channels * (size_t)(bit_depth / 8)) {
        snprintf(out->message, sizeof out->message, "unexpected row layout (%d channels, %d bits)",
                 channels, bit_depth);
        png_destroy_read_struct(&png, &info, NULL);
        return ZOO_IMAGE_UNSUPPORTED;
    }

    /* Zero-filled, so rows that libpng only warns about are deterministic. */
    pixels = calloc(height, row_bytes);
    rows = malloc((size_t)height * sizeof(png_bytep));
    if (pixels == NULL || rows == NULL) {
        snprintf(out->message, sizeof out->message, "cannot allocate %ux%u pixels",
                 (unsigned)width, (unsigned)height);
        png_destroy_read_struct(&png, &info, NULL);
        free(rows);
        free(pixels);
        return ZOO_IMAGE_NO_MEMORY;
    }
    for (png_uint_32 y = 0; y < height; y++) {
        rows[y] = pixels + (size_t)y * row_bytes;
    }
    png_read_image(png, rows);

    /* Like PIL, the chunks after the image data are not needed, so IEND is not required. */
    out->pixels = pixels;
    out->width = width;
    out->height = height;
    out->channels = channels;
    out->bit_depth = bit_depth;
    png_destroy_read_struct(&png, &info, NULL);
    free(rows);
    return ZOO_IMAGE_OK;
}
