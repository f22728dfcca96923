/*
 * zoo_plugin.h — the C ABI between zoo and an external encoder backend (version 1).
 *
 * A plugin is a shared library that exports one function, `zoo_plugin_v1`, returning a
 * pointer to a static, read-only `zoo_plugin_api_v1` table. Only the C types below cross
 * the boundary: no C++ objects, no Swift types, no memory that one side allocates and the
 * other frees.
 *
 * Life of a model:
 *   1. zoo calls `create(folder, …)` with a checkpoint folder; the plugin returns an opaque
 *      handle or NULL plus a message.
 *   2. zoo calls `describe(model, &info)` once to learn the model's widths.
 *   3. For each batch zoo asks how many tokens an input yields (`image_tokens`, vision) or
 *      uses `info.max_tokens` (text), allocates every output buffer itself, and calls
 *      `encode_images` / `encode_texts`. The plugin writes into zoo's buffers, never past the
 *      capacities zoo passes, and reports the sizes it wrote; zoo compares them with what it
 *      expects and rejects the batch on any mismatch.
 *   4. zoo calls `destroy(model)` exactly once.
 *
 * Rules for plugin authors (docs/PLUGINS.md explains them with an example):
 *   - Every function except `create` receives a handle returned by this plugin's `create`.
 *   - zoo never calls into one model from two threads at once; different models may be used
 *     from different threads, so `create` and global state must be thread-safe.
 *   - Functions returning `int` return ZOO_PLUGIN_OK (0) on success and any other value on
 *     failure; after a failure `last_error(model)` says why.
 *   - The plugin must not keep any pointer zoo passed in (folder, pixels, texts, output
 *     buffers) after the call returns.
 *   - Strings are NUL-terminated UTF-8.
 */
#ifndef ZOO_PLUGIN_H
#define ZOO_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** The ABI version this header describes; `zoo_plugin_api_v1.abi_version` must equal it. */
#define ZOO_PLUGIN_ABI_VERSION 1

/** The name of the exported entry point, for `dlsym`. */
#define ZOO_PLUGIN_ENTRY_POINT "zoo_plugin_v1"

/** Success; any other return value of an `int` function is a failure. */
#define ZOO_PLUGIN_OK 0

/** A conventional failure code (any non-zero value is a failure). */
#define ZOO_PLUGIN_FAILED 1

/** Room zoo gives `create` for its error message, terminating NUL included. */
#define ZOO_PLUGIN_ERROR_CAPACITY 1024

/** Marks the entry point as exported from the shared library. */
#if defined(_WIN32)
#define ZOO_PLUGIN_EXPORT __declspec(dllexport)
#else
#define ZOO_PLUGIN_EXPORT __attribute__((visibility("default")))
#endif

/**
 * What a loaded model reports about itself through `describe`. zoo fills every field with
 * -1 before the call; the plugin sets all of them.
 */
typedef struct zoo_plugin_model_info {
    /** Floats in one pooled embedding (1 … 65536). */
    int64_t pooled_width;
    /** Floats in one token state (1 … 65536). A vision model's token width must equal its
     *  pooled width. */
    int64_t token_width;
    /** Text: the most tokens one text yields (1 … 65536); zoo sizes token buffers for it.
     *  Vision: 0 (token counts come from `image_tokens`). */
    int64_t max_tokens;
    /** Vision: side of the square image patches in pixels, 0 when the model has no patches.
     *  Text: 0. */
    int64_t patch_size;
    /** Vision: tokens between the leading summary token and the patch tokens (0 when none).
     *  Text: 0. */
    int64_t register_count;
} zoo_plugin_model_info;

/**
 * The buffers of one encode call. zoo allocates them and sets the first group of fields;
 * the plugin writes the data and sets the second group.
 *
 * Layout for a batch of `n` inputs, with T = `token_capacity` and the widths from `describe`:
 *   pooled        [n, pooled_width]      row-major floats
 *   tokens        [n, T, token_width]    row-major floats; item i's tokens start at
 *                                        tokens + i * T * token_width
 *   token_lengths [n]                    tokens written for each item
 * Vision: every image yields exactly T tokens (the count `image_tokens` returned), laid out as
 * one summary token, then `register_count` register tokens, then the patch tokens in
 * row-major grid order. Text: text i yields token_lengths[i] tokens (1 … T); rows past it may
 * be left untouched (zoo zeroes them).
 */
typedef struct zoo_plugin_output {
    /* ---- set by zoo; the plugin must not change them ---- */
    /** Pooled embeddings; room for exactly `pooled_capacity` floats. */
    float *pooled;
    /** Floats `pooled` can hold: n * pooled_width. */
    int64_t pooled_capacity;
    /** Token states; room for exactly `tokens_capacity` floats. */
    float *tokens;
    /** Floats `tokens` can hold: n * token_capacity * token_width. */
    int64_t tokens_capacity;
    /** Token slots per item (T above). */
    int64_t token_capacity;
    /** Tokens written per item; room for exactly n values. */
    int64_t *token_lengths;

    /* ---- set by the plugin before it returns ZOO_PLUGIN_OK (zoo presets them to -1) ---- */
    /** Floats per pooled embedding actually written; must equal `describe`'s pooled_width. */
    int64_t pooled_width;
    /** Token slots per item actually used as the stride; must equal `token_capacity`. */
    int64_t token_count;
    /** Floats per token state actually written; must equal `describe`'s token_width. */
    int64_t token_width;
} zoo_plugin_output;

/**
 * The table a plugin exports, version 1. It must stay valid and unchanged while the library
 * is loaded (a `static const` object is ideal). `abi_version` and `struct_size` are the first
 * two fields in every version, so zoo can read them before trusting anything else.
 */
typedef struct zoo_plugin_api_v1 {
    /** ZOO_PLUGIN_ABI_VERSION (1). zoo refuses any other value. */
    uint32_t abi_version;
    /** sizeof(zoo_plugin_api_v1) as the plugin was compiled; zoo refuses a smaller value. */
    uint32_t struct_size;
    /** The plugin's id: 1 … 64 characters of [a-z0-9_-]. zoo calls the backend "plugin:NAME". */
    const char *name;
    /** "vision" or "text". */
    const char *modality;
    /** One line for `zoo plugin list` (at most 256 bytes are shown); may be NULL. */
    const char *description;

    /**
     * Loads the model in the checkpoint folder `folder` (an absolute path). On success returns
     * a non-NULL handle. On failure returns NULL and writes a NUL-terminated message of at most
     * `error_capacity` bytes (terminator included) into `error`, e.g. "model.safetensors has
     * no tensor 'projection'".
     */
    void *(*create)(const char *folder, char *error, size_t error_capacity);

    /** Fills `info` (see zoo_plugin_model_info). */
    int (*describe)(void *model, zoo_plugin_model_info *info);

    /**
     * Vision only (NULL for text): stores in `*token_count` how many tokens one image of
     * `channels` × `height` × `width` yields (1 … 1048576), or fails when the model cannot take
     * that size (wrong channel count, image too small, …).
     */
    int (*image_tokens)(void *model, int64_t channels, int64_t height, int64_t width,
                        int64_t *token_count);

    /**
     * Vision only (NULL for text): encodes `n` preprocessed images. `pixels` holds
     * n × channels × height × width floats in row-major [N, C, H, W] order (already resized,
     * cropped, rescaled and normalised as the folder's preprocessor_config.json says).
     */
    int (*encode_images)(void *model, const float *pixels, int64_t n, int64_t channels,
                         int64_t height, int64_t width, zoo_plugin_output *out);

    /**
     * Text only (NULL for vision): encodes `n` texts. `texts[i]` is NUL-terminated UTF-8 of
     * `text_bytes[i]` bytes (terminator not counted). The plugin tokenizes itself and truncates
     * to `token_capacity` tokens.
     */
    int (*encode_texts)(void *model, const char *const *texts, const int64_t *text_bytes,
                        int64_t n, zoo_plugin_output *out);

    /**
     * The message of the last failure on `model`, NUL-terminated, valid until the next call on
     * that model; NULL or "" when there is none. zoo reads at most 4096 bytes of it.
     */
    const char *(*last_error)(void *model);

    /** Frees the model. zoo calls it exactly once per handle, and uses the handle no more. */
    void (*destroy)(void *model);
} zoo_plugin_api_v1;

/** The type of the entry point, for callers that look it up with `dlsym`. */
typedef const zoo_plugin_api_v1 *(*zoo_plugin_entry_v1)(void);

/**
 * The entry point every plugin defines and exports:
 *
 *     ZOO_PLUGIN_EXPORT const zoo_plugin_api_v1 *zoo_plugin_v1(void) { return &my_table; }
 *
 * It may be called several times and must return the same table each time.
 */
ZOO_PLUGIN_EXPORT const zoo_plugin_api_v1 *zoo_plugin_v1(void);

#ifdef __cplusplus
}
#endif

#endif /* ZOO_PLUGIN_H */
