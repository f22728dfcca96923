/*
 * pixel_stats — an example zoo vision plugin (ABI version 1).
 *
 * It describes an image by colour statistics instead of a neural network:
 *   - the image is cut into a grid_size × grid_size grid of cells (config.json, default 8);
 *   - each region (the whole image, then every cell in row-major order) gives 18 features:
 *     per channel the mean and the standard deviation, then per channel a 4-bin histogram of
 *     the normalised values (< -1, [-1, 0), [0, 1), >= 1) as fractions of the region's pixels;
 *   - a token is the projection of those features by the weight `projection` [D, 18] read
 *     from model.safetensors: token = projection · features;
 *   - the pooled embedding is the mean of the cell tokens, L2-normalised.
 * So an image yields 1 + grid_size² tokens of width D (config.json's hidden_size).
 *
 * Everything is deterministic and uses no global mutable state, so models can be used from
 * several threads at once (zoo serialises the calls into each single model anyway).
 */
#include "zoo_plugin.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHANNELS 3
#define BINS 4
#define FEATURES (CHANNELS * 2 + CHANNELS * BINS)
#define MAX_GRID 32
#define MAX_HEADER (1 << 20)

typedef struct model {
    int64_t width;    /* D: rows of the projection */
    int64_t grid;     /* cells per side */
    float *projection; /* [D, FEATURES] */
    char error[512];
} model;

/* ---- small helpers ---------------------------------------------------------------------- */

static void set_error(char *buffer, size_t capacity, const char *format, ...) {
    if (buffer == NULL || capacity == 0) return;
    va_list arguments;
    va_start(arguments, format);
    vsnprintf(buffer, capacity, format, arguments);
    va_end(arguments);
}

/* Reads a whole file of at most `limit` bytes into a NUL-terminated buffer the caller frees;
 * NULL when it cannot be read or is larger. */
static char *read_file(const char *path, long limit, size_t *size) {
    FILE *file = fopen(path, "rb");
    if (file == NULL) return NULL;
    char *data = NULL;
    long length = fseek(file, 0, SEEK_END) == 0 ? ftell(file) : -1;
    if (length >= 0 && length <= limit && fseek(file, 0, SEEK_SET) == 0) {
        data = malloc((size_t)length + 1);
        if (data != NULL && fread(data, 1, (size_t)length, file) != (size_t)length) {
            free(data);
            data = NULL;
        }
    }
    fclose(file);
    if (data == NULL) return NULL;
    data[length] = '\0';
    *size = (size_t)length;
    return data;
}

static const char *skip_space(const char *at) {
    while (*at == ' ' || *at == '\t' || *at == '\n' || *at == '\r') at++;
    return at;
}

/* The text of the value after the first `"key":` in JSON text, or NULL. A scan, not a JSON
 * parser: enough for the flat config.json of this example. */
static const char *json_value(const char *json, const char *key) {
    char quoted[64];
    snprintf(quoted, sizeof quoted, "\"%s\"", key);
    const char *at = strstr(json, quoted);
    if (at == NULL) return NULL;
    at = skip_space(at + strlen(quoted));
    return *at == ':' ? skip_space(at + 1) : NULL;
}

/* The non-negative integer value of `key`; `fallback` when absent, -1 when not an integer. */
static long long json_integer(const char *json, const char *key, long long fallback) {
    const char *at = json_value(json, key);
    if (at == NULL) return fallback;
    char *end = NULL;
    long long value = strtoll(at, &end, 10);
    return end == at || value < 0 || (*end != ',' && *end != '}' && !strchr(" \t\r\n", *end)) ? -1 : value;
}

/* Whether the string value of `key` is exactly `expected`. */
static int json_string_is(const char *json, const char *key, const char *expected) {
    const char *at = json_value(json, key);
    size_t length = strlen(expected);
    return at != NULL && at[0] == '"' && strncmp(at + 1, expected, length) == 0 && at[length + 1] == '"';
}

/* Parses up to `capacity` integers of the JSON array starting at `at` ('['); returns the count or -1. */
static int json_integers(const char *at, long long *values, int capacity) {
    if (*at != '[') return -1;
    at++;
    int count = 0;
    for (;;) {
        while (*at == ' ') at++;
        if (*at == ']') return count;
        if (count == capacity) return -1;
        char *end = NULL;
        values[count++] = strtoll(at, &end, 10);
        if (end == at) return -1;
        at = end;
        while (*at == ' ') at++;
        if (*at == ',') at++;
    }
}

/* The value after `"key":` inside [begin, end), or NULL. */
static const char *field(const char *begin, const char *end, const char *key) {
    size_t length = strlen(key);
    for (const char *at = begin; at + length + 2 < end; at++) {
        if (at[0] == '"' && strncmp(at + 1, key, length) == 0 && at[length + 1] == '"') {
            const char *value = at + length + 2;
            while (value < end && (*value == ' ' || *value == ':')) value++;
            return value < end ? value : NULL;
        }
    }
    return NULL;
}

/* Loads tensor "projection" (F32, [rows, FEATURES]) from a safetensors file. */
static float *load_projection(const char *path, int64_t *rows, char *error, size_t capacity) {
    size_t size = 0;
    FILE *file = fopen(path, "rb");
    if (file == NULL) { set_error(error, capacity, "cannot open %s", path); return NULL; }
    unsigned char prefix[8];
    if (fread(prefix, 1, 8, file) != 8) {
        fclose(file);
        set_error(error, capacity, "%s is shorter than a safetensors header", path);
        return NULL;
    }
    fclose(file);
    unsigned long long header = 0;
    for (int i = 7; i >= 0; i--) header = header << 8 | prefix[i];
    if (header < 2 || header > MAX_HEADER) {
        set_error(error, capacity, "%s has a safetensors header of %llu bytes; expected 2 to %d", path, header, MAX_HEADER);
        return NULL;
    }
    char *data = read_file(path, 8 + (long)header + (1L << 24), &size);
    if (data == NULL) {
        set_error(error, capacity, "cannot read %s (or it is larger than 16 MiB)", path);
        return NULL;
    }
    if (size < 8 + header) {
        free(data);
        set_error(error, capacity, "%s is truncated: shorter than its %llu-byte header", path, header);
        return NULL;
    }
    char *json = data + 8;
    char saved = json[header];
    json[header] = '\0';
    const char *name = strstr(json, "\"projection\"");
    const char *open = name ? strchr(name, '{') : NULL;
    const char *close = open ? strchr(open, '}') : NULL;
    if (close == NULL) {
        free(data);
        set_error(error, capacity, "%s has no tensor 'projection'", path);
        return NULL;
    }
    const char *dtype = field(open, close, "dtype");
    long long shape[2], offsets[2];
    const char *shape_at = field(open, close, "shape");
    const char *offsets_at = field(open, close, "data_offsets");
    int ok = dtype && strncmp(dtype, "\"F32\"", 5) == 0 && shape_at && offsets_at
        && json_integers(shape_at, shape, 2) == 2 && json_integers(offsets_at, offsets, 2) == 2;
    json[header] = saved;
    if (!ok) {
        free(data);
        set_error(error, capacity, "%s: tensor 'projection' must be F32 with a 2-D shape", path);
        return NULL;
    }
    if (shape[1] != FEATURES || shape[0] < 1 || shape[0] > 4096) {
        free(data);
        set_error(error, capacity, "%s: 'projection' has shape [%lld, %lld]; pixel_stats needs [D, %d] with 1 <= D <= 4096",
                  path, shape[0], shape[1], FEATURES);
        return NULL;
    }
    size_t bytes = (size_t)shape[0] * FEATURES * sizeof(float);
    if (offsets[0] < 0 || offsets[1] - offsets[0] != (long long)bytes || 8 + header + (size_t)offsets[1] > size) {
        free(data);
        set_error(error, capacity, "%s: the data of 'projection' lies outside the file or has the wrong size", path);
        return NULL;
    }
    float *projection = malloc(bytes);
    if (projection == NULL) { free(data); set_error(error, capacity, "out of memory"); return NULL; }
    memcpy(projection, data + 8 + header + offsets[0], bytes); /* little-endian hosts only */
    free(data);
    *rows = shape[0];
    return projection;
}

/* ---- the model ---------------------------------------------------------------------------- */

/* The 18 features of the rectangle [top, bottom) × [left, right) of image `pixels` [3, H, W]. */
static void region_features(const float *pixels, int64_t height, int64_t width, int64_t top, int64_t bottom,
                            int64_t left, int64_t right, double *features) {
    double count = (double)((bottom - top) * (right - left));
    for (int c = 0; c < CHANNELS; c++) {
        const float *plane = pixels + (size_t)c * height * width;
        double sum = 0, squares = 0, bins[BINS] = {0, 0, 0, 0};
        for (int64_t y = top; y < bottom; y++) {
            for (int64_t x = left; x < right; x++) {
                double value = plane[y * width + x];
                sum += value;
                squares += value * value;
                bins[value < -1 ? 0 : value < 0 ? 1 : value < 1 ? 2 : 3] += 1;
            }
        }
        double mean = sum / count;
        double variance = squares / count - mean * mean;
        features[2 * c] = mean;
        features[2 * c + 1] = sqrt(variance > 0 ? variance : 0);
        for (int b = 0; b < BINS; b++) features[2 * CHANNELS + BINS * c + b] = bins[b] / count;
    }
}

/* token = projection · features, in `out` [D]. */
static void project(const model *m, const double *features, float *out) {
    for (int64_t d = 0; d < m->width; d++) {
        double total = 0;
        for (int f = 0; f < FEATURES; f++) total += (double)m->projection[d * FEATURES + f] * features[f];
        out[d] = (float)total;
    }
}

static void *create(const char *folder, char *error, size_t capacity) {
    char path[4096];
    size_t size = 0;
    snprintf(path, sizeof path, "%s/config.json", folder);
    char *config = read_file(path, 1 << 20, &size);
    if (config == NULL) { set_error(error, capacity, "cannot read %s", path); return NULL; }
    long long grid = json_integer(config, "grid_size", 8);
    long long hidden = json_integer(config, "hidden_size", -1);
    int typed = json_string_is(config, "model_type", "pixel_stats");
    free(config);
    if (!typed) { set_error(error, capacity, "%s: model_type is not \"pixel_stats\"", path); return NULL; }
    if (grid < 1 || grid > MAX_GRID) {
        set_error(error, capacity, "%s: grid_size must be an integer from 1 to %d", path, MAX_GRID);
        return NULL;
    }
    if (hidden < 1) {
        set_error(error, capacity, "%s: hidden_size must be a positive integer", path);
        return NULL;
    }
    model *m = calloc(1, sizeof *m);
    if (m == NULL) { set_error(error, capacity, "out of memory"); return NULL; }
    m->grid = grid;
    snprintf(path, sizeof path, "%s/model.safetensors", folder);
    m->projection = load_projection(path, &m->width, error, capacity);
    if (m->projection == NULL) { free(m); return NULL; }
    if (hidden != m->width) {
        set_error(error, capacity, "%s/config.json: hidden_size is %lld but 'projection' has %lld rows",
                  folder, hidden, (long long)m->width);
        free(m->projection);
        free(m);
        return NULL;
    }
    return m;
}

static int describe(void *handle, zoo_plugin_model_info *info) {
    model *m = handle;
    info->pooled_width = m->width;
    info->token_width = m->width;
    info->max_tokens = 0;
    info->patch_size = 0;     /* grid cells follow the image size: no fixed patch */
    info->register_count = 0;
    return ZOO_PLUGIN_OK;
}

static int image_tokens(void *handle, int64_t channels, int64_t height, int64_t width, int64_t *count) {
    model *m = handle;
    if (channels != CHANNELS) {
        snprintf(m->error, sizeof m->error, "pixel_stats takes %d channels (RGB), got %lld", CHANNELS, (long long)channels);
        return ZOO_PLUGIN_FAILED;
    }
    if (height < m->grid || width < m->grid) {
        snprintf(m->error, sizeof m->error, "a %lldx%lld image is smaller than the %lldx%lld grid",
                 (long long)height, (long long)width, (long long)m->grid, (long long)m->grid);
        return ZOO_PLUGIN_FAILED;
    }
    *count = 1 + m->grid * m->grid;
    return ZOO_PLUGIN_OK;
}

static int encode_images(void *handle, const float *pixels, int64_t n, int64_t channels, int64_t height,
                         int64_t width, zoo_plugin_output *out) {
    model *m = handle;
    int64_t tokens = 0;
    if (image_tokens(m, channels, height, width, &tokens) != ZOO_PLUGIN_OK) return ZOO_PLUGIN_FAILED;
    if (out->token_capacity != tokens || out->pooled_capacity < n * m->width
        || out->tokens_capacity < n * tokens * m->width) {
        snprintf(m->error, sizeof m->error, "the output buffers are too small for %lld images", (long long)n);
        return ZOO_PLUGIN_FAILED;
    }
    double features[FEATURES];
    for (int64_t i = 0; i < n; i++) {
        const float *image = pixels + (size_t)(i * channels * height * width);
        float *states = out->tokens + (size_t)(i * tokens * m->width);
        region_features(image, height, width, 0, height, 0, width, features);
        project(m, features, states);
        for (int64_t row = 0; row < m->grid; row++) {
            for (int64_t column = 0; column < m->grid; column++) {
                region_features(image, height, width, row * height / m->grid, (row + 1) * height / m->grid,
                                column * width / m->grid, (column + 1) * width / m->grid, features);
                project(m, features, states + (1 + row * m->grid + column) * m->width);
            }
        }
        float *pooled = out->pooled + (size_t)(i * m->width);
        double norm = 0;
        for (int64_t d = 0; d < m->width; d++) {
            double total = 0;
            for (int64_t t = 1; t < tokens; t++) total += states[t * m->width + d];
            pooled[d] = (float)(total / (double)(tokens - 1));
            norm += (double)pooled[d] * pooled[d];
        }
        norm = sqrt(norm);
        if (norm > 1e-12) {
            for (int64_t d = 0; d < m->width; d++) pooled[d] = (float)(pooled[d] / norm);
        }
        out->token_lengths[i] = tokens;
    }
    out->pooled_width = m->width;
    out->token_count = tokens;
    out->token_width = m->width;
    return ZOO_PLUGIN_OK;
}

static const char *last_error(void *handle) {
    return handle ? ((model *)handle)->error : "";
}

static void destroy(void *handle) {
    model *m = handle;
    if (m == NULL) return;
    free(m->projection);
    free(m);
}

static const zoo_plugin_api_v1 table = {
    .abi_version = ZOO_PLUGIN_ABI_VERSION,
    .struct_size = sizeof(zoo_plugin_api_v1),
    .name = "pixel_stats",
    .modality = "vision",
    .description = "colour statistics of an 8x8 grid of cells, projected (example plugin)",
    .create = create,
    .describe = describe,
    .image_tokens = image_tokens,
    .encode_images = encode_images,
    .encode_texts = NULL,
    .last_error = last_error,
    .destroy = destroy,
};

ZOO_PLUGIN_EXPORT const zoo_plugin_api_v1 *zoo_plugin_v1(void) { return &table; }
