#include "image_shims.h"

#include <stdlib.h>

void zoo_raster_free(zoo_raster *raster) {
    if (raster != NULL) {
        free(raster->pixels);
        raster->pixels = NULL;
    }
}
