#ifndef ZOO_SHIM_LIMITS_H
#define ZOO_SHIM_LIMITS_H

#include "image_shims.h"

/* Whether a declared size is beyond the caller's limits. */
static inline int zoo_exceeds(uint64_t width, uint64_t height, zoo_image_limits limits) {
    return width > limits.max_side || height > limits.max_side
        || width * height > limits.max_pixels;
}

#endif
