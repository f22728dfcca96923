#ifndef ZOO_IMAGE_SHIMS_H
#define ZOO_IMAGE_SHIMS_H

#include <stddef.h>
#include <stdint.h>

/*
 * Thin C wrappers around libjpeg and libpng whose error handling needs
 * setjmp/longjmp, which Swift cannot express. Each decoder turns every
 * library error into a status code plus a message and never exits or prints.
 * Colour conversion is left to the caller: the raster holds the samples the
 * file stores (after the few libpng transforms described below).
 */

/** Outcome of a decode call. */
typedef enum zoo_image_status {
    /** Decoded; the raster owns `pixels`. */
    ZOO_IMAGE_OK = 0,
    /** The data is not a valid image of this format, or it is truncated. */
    ZOO_IMAGE_CORRUPT = 1,
    /** The declared size exceeds the caller's limits; nothing was allocated. */
    ZOO_IMAGE_TOO_LARGE = 2,
    /** Valid, but a variant this decoder does not handle. */
    ZOO_IMAGE_UNSUPPORTED = 3,
    /** The pixel buffer could not be allocated. */
    ZOO_IMAGE_NO_MEMORY = 4
} zoo_image_status;

/** Size limits checked against the declared dimensions before any pixel memory is allocated. */
typedef struct zoo_image_limits {
    uint32_t max_side;
    uint64_t max_pixels;
} zoo_image_limits;

/**
 * Decoded samples, row-major and tightly packed (`width * channels * bit_depth / 8`
 * bytes a row). 16-bit samples are big-endian.
 *
 * JPEG: channels 1 (grey), 3 (RGB) or 4 (CMYK exactly as stored, which for
 * Adobe files means inverted). PNG: channels 1 (grey, or palette indices when
 * `palette_size` > 0), 2 (grey + alpha), 3 (RGB) or 4 (RGBA); grey depths
 * below 8 are scaled to 8 bits, palette indices unpacked to one byte, 16-bit
 * samples kept, tRNS and gamma ignored.
 */
typedef struct zoo_raster {
    unsigned char *pixels;
    uint32_t width;
    uint32_t height;
    int channels;
    int bit_depth;
    int palette_size;
    unsigned char palette[256 * 3];
    char message[200];
} zoo_raster;

/** Decodes a JPEG held in memory. On any status but OK, `pixels` is NULL and `message` says why. */
zoo_image_status zoo_jpeg_decode(
    const unsigned char *data, size_t size, zoo_image_limits limits, zoo_raster *out);

/** Decodes a PNG held in memory. On any status but OK, `pixels` is NULL and `message` says why. */
zoo_image_status zoo_png_decode(
    const unsigned char *data, size_t size, zoo_image_limits limits, zoo_raster *out);

/** Frees the pixels of a raster filled by one of the decoders; safe to call twice. */
void zoo_raster_free(zoo_raster *raster);

#endif
