// The public kernels: each calls the copy built for the best instruction set the CPU has, or the
// one ZOO_VECTOR_LANES asks for.
#include "zoo_vector_kernels.h"
#include "kernels_internal.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

// The arithmetic here (the attention's query scaling, bias and normalisation) must round the same
// on every target: without this, clang fuses `a * b + c` where the baseline has a fused
// multiply-add (aarch64), and the biased attention's bytes would differ from the x86-64 copies'
// (found by scripts/aarch64_kernel_check.sh).
#pragma clang fp contract(off)

#define TABLE(suffix, width, panel, fuses)                                                          \
    {                                                                                          \
        .lanes = width, .bias_gelu_rows = zoo_bias_gelu_rows_##suffix,                         \
        .softmax_rows = zoo_softmax_rows_##suffix, .exp2_row = zoo_exp2_row_##suffix,          \
        .layer_norm_rows = zoo_layer_norm_rows_##suffix,                                       \
        .attend_short = zoo_attend_short_##suffix,                                             \
        .attend_short_biased = zoo_attend_short_biased_##suffix,                               \
        .normalized_projection_rows = zoo_normalized_projection_rows_##suffix,                 \
        .panel_width = panel, .packed_linear_activated = zoo_packed_linear_activated_##suffix, \
        .fused = fuses,                                                                        \
    }

// kernels_generic.c fuses multiply-adds under the same condition.
#if defined(__aarch64__) || defined(__FMA__)
#define GENERIC_FUSED 1
#else
#define GENERIC_FUSED 0
#endif
static const zoo_vector_kernel_table generic_table = TABLE(generic, 4, 16, GENERIC_FUSED);
#if defined(__x86_64__)
static const zoo_vector_kernel_table avx2_table = TABLE(avx2, 8, 16, 1);
static const zoo_vector_kernel_table avx512_table = TABLE(avx512, 16, 32, 1);
#endif

const zoo_vector_kernel_table *zoo_vector_kernels_with_lanes(int lanes) {
    switch (lanes) {
    case 4: return &generic_table;
#if defined(__x86_64__)
    // __builtin_cpu_supports reads flags the C runtime fills in before main.
    case 8:
        return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") ? &avx2_table : NULL;
    case 16:
        return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") ? &avx512_table
                                                                                      : NULL;
#endif
    default: return NULL;
    }
}

int zoo_vector_kernels_widest_lanes(void) {
    static const int widths[] = {16, 8, 4};
    for (int i = 0; i < 3; i++) {
        if (zoo_vector_kernels_with_lanes(widths[i])) return widths[i];
    }
    return 4;
}

int zoo_vector_kernels_requested_lanes(void) {
    const char *wanted = getenv("ZOO_VECTOR_LANES");
    if (!wanted || !*wanted) return 0;
    if (!strcmp(wanted, "16")) return zoo_vector_kernels_with_lanes(16) ? 16 : -2;
    if (!strcmp(wanted, "8")) return zoo_vector_kernels_with_lanes(8) ? 8 : -2;
    if (!strcmp(wanted, "4")) return 4;
    return -1;
}

static const zoo_vector_kernel_table *choose(void) {
    int requested = zoo_vector_kernels_requested_lanes();
    // A value that cannot be honoured falls back to the widest copy here; the zoo command line
    // refuses it before any kernel runs (exit 64).
    return zoo_vector_kernels_with_lanes(requested > 0 ? requested : zoo_vector_kernels_widest_lanes());
}

static _Atomic(const zoo_vector_kernel_table *) chosen = NULL;

// Threads that race here all compute the same table.
static const zoo_vector_kernel_table *active(void) {
    const zoo_vector_kernel_table *table = atomic_load_explicit(&chosen, memory_order_acquire);
    if (!table) {
        table = choose();
        atomic_store_explicit(&chosen, table, memory_order_release);
    }
    return table;
}

int zoo_vector_kernels_lanes(void) { return active()->lanes; }

void zoo_bias_gelu_rows(float *values, long rows, long width, const float *bias, int form) {
    active()->bias_gelu_rows(values, rows, width, bias, form);
}

void zoo_softmax_rows(float *values, long rows, long columns, long stride) {
    active()->softmax_rows(values, rows, columns, stride);
}

float zoo_exp2_row(float *line, long count) { return active()->exp2_row(line, count); }

void zoo_layer_norm_rows(float *hidden, long rows, long width, const float *weight,
                         const float *bias, float epsilon, float *output, const float *addend) {
    active()->layer_norm_rows(hidden, rows, width, weight, bias, epsilon, output, addend);
}

void zoo_attend_short(const float *query, const float *key, const float *value, long stride,
                      long length, long head_width, float scale, float *scores, float *keys,
                      float *output, long output_stride) {
    active()->attend_short(query, key, value, stride, length, head_width, scale, scores, keys, output,
                           output_stride);
}

void zoo_attend_short_biased(const float *query, const float *key, const float *value, long stride,
                             long length, long head_width, float scale, float *scores, float *keys,
                             float *output, long output_stride, const float *bias, long bias_stride) {
    active()->attend_short_biased(query, key, value, stride, length, head_width, scale, scores, keys, output,
                                  output_stride, bias, bias_stride);
}

void zoo_normalized_projection_rows(const float *input, long rows, long width, float epsilon,
                                    const float *first_table, const int *first_index,
                                    const float *second_table, const int *second_index, const float *sums,
                                    const float *constant, long out_width, float *output) {
    active()->normalized_projection_rows(input, rows, width, epsilon, first_table, first_index, second_table,
                                         second_index, sums, constant, out_width, output);
}

int zoo_packed_panel_width(void) { return active()->panel_width; }

long zoo_packed_weights_count(long out_features, long in_features) {
    return zoo_packed_weights_count_for(out_features, in_features, active()->panel_width);
}

void zoo_pack_weights(const float *weight, long out_features, long in_features, float *packed) {
    zoo_pack_weights_for(weight, out_features, in_features, active()->panel_width, packed);
}

int zoo_packed_linear_available(void) { return 1; }

void zoo_packed_linear_activated(const float *input, long rows, long in_features, const float *packed,
                                 long out_features, const float *bias, const float *residual, float *output,
                                 int activation) {
    active()->packed_linear_activated(input, rows, in_features, packed, out_features, bias, residual, output,
                                      activation);
}

void zoo_packed_linear(const float *input, long rows, long in_features, const float *packed,
                       long out_features, const float *bias, const float *residual, float *output) {
    active()->packed_linear_activated(input, rows, in_features, packed, out_features, bias, residual, output, 0);
}

long zoo_attend_long_scratch_count(long length, long head_width) {
    // The widest panel of any copy, so the scratch fits every table.
    int panel = 32;
    return 2 * length * head_width + zoo_packed_weights_count_for(length, head_width, panel) +
           zoo_packed_weights_count_for(head_width, length, panel) + length * length + length;
}

void zoo_attend_long_with(const zoo_vector_kernel_table *table, const float *query, const float *key,
                          const float *value, long stride, long length, long head_width, float scale, float *scratch,
                          float *output, long output_stride) {
    zoo_attend_long_biased_with(table, query, key, value, stride, length, head_width, scale, scratch, output,
                                output_stride, NULL, 0);
}

void zoo_attend_long_biased_with(const zoo_vector_kernel_table *table, const float *query, const float *key,
                                 const float *value, long stride, long length, long head_width, float scale,
                                 float *scratch, float *output, long output_stride, const float *bias,
                                 long bias_stride) {
    if (length <= 0 || head_width <= 0) return;
    int panel = table->panel_width;
    float *queries = scratch;
    float *keys = queries + length * head_width;
    float *values = keys + zoo_packed_weights_count_for(length, head_width, panel);
    float *scores = values + zoo_packed_weights_count_for(head_width, length, panel);
    float *context = scores + length * length;
    float *sums = context + length * head_width;
    // Scores in base-2 units: the queries carry scale · log2(e), so e^x becomes 2^x.
    const float factor = scale * 1.44269504f;
    for (long i = 0; i < length; i++) {
        const float *row = query + i * stride;
        for (long d = 0; d < head_width; d++) queries[i * head_width + d] = row[d] * factor;
    }
    zoo_pack_weights_strided_for(key, length, head_width, stride, 1, panel, keys);
    table->packed_linear_activated(queries, length, head_width, keys, length, NULL, NULL, scores, 0);
    // The additive bias in the same base-2 units; bias[j · bias_stride + i] is query i's for key j.
    if (bias) {
        for (long i = 0; i < length; i++) {
            float *line = scores + i * length;
            for (long j = 0; j < length; j++) line[j] += bias[j * bias_stride + i] * 1.44269504f;
        }
    }
    for (long i = 0; i < length; i++) sums[i] = table->exp2_row(scores + i * length, length);
    // Vₕᵀ as the weight of the second product: output feature d reads column d of Vₕ.
    zoo_pack_weights_strided_for(value, head_width, length, 1, stride, panel, values);
    table->packed_linear_activated(scores, length, length, values, head_width, NULL, NULL, context, 0);
    for (long i = 0; i < length; i++) {
        const float inverse = 1.0f / sums[i];
        float *line = output + i * output_stride;
        for (long d = 0; d < head_width; d++) line[d] = context[i * head_width + d] * inverse;
    }
}

void zoo_attend_long_biased(const float *query, const float *key, const float *value, long stride, long length,
                            long head_width, float scale, float *scratch, float *output, long output_stride,
                            const float *bias, long bias_stride) {
    zoo_attend_long_biased_with(active(), query, key, value, stride, length, head_width, scale, scratch, output,
                                output_stride, bias, bias_stride);
}

void zoo_attend_long(const float *query, const float *key, const float *value, long stride, long length,
                     long head_width, float scale, float *scratch, float *output, long output_stride) {
    zoo_attend_long_with(active(), query, key, value, stride, length, head_width, scale, scratch, output,
                         output_stride);
}
