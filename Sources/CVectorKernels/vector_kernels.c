// The public kernels: each calls the copy built for the best instruction set the CPU has, or the
// one ZOO_VECTOR_LANES asks for.
#include "zoo_vector_kernels.h"
#include "kernels_internal.h"

#include <stdatomic.h>
#include <stdlib.h>

#define TABLE(suffix, width)                                                                   \
    {                                                                                          \
        .lanes = width, .bias_gelu_rows = zoo_bias_gelu_rows_##suffix,                         \
        .softmax_rows = zoo_softmax_rows_##suffix, .exp2_row = zoo_exp2_row_##suffix,          \
        .layer_norm_rows = zoo_layer_norm_rows_##suffix,                                       \
        .attend_short = zoo_attend_short_##suffix,                                             \
        .normalized_projection_rows = zoo_normalized_projection_rows_##suffix,                 \
    }

static const zoo_vector_kernel_table generic_table = TABLE(generic, 4);
#if defined(__x86_64__)
static const zoo_vector_kernel_table avx2_table = TABLE(avx2, 8);
static const zoo_vector_kernel_table avx512_table = TABLE(avx512, 16);
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

static const zoo_vector_kernel_table *choose(void) {
    const char *wanted = getenv("ZOO_VECTOR_LANES");
    if (wanted && *wanted) {
        const zoo_vector_kernel_table *table = zoo_vector_kernels_with_lanes(atoi(wanted));
        if (table) return table;
    }
    const zoo_vector_kernel_table *table = zoo_vector_kernels_with_lanes(16);
    if (!table) table = zoo_vector_kernels_with_lanes(8);
    return table ? table : &generic_table;
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

void zoo_bias_gelu_rows(float *values, long rows, long width, const float *bias, int tanh_form) {
    active()->bias_gelu_rows(values, rows, width, bias, tanh_form);
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

void zoo_normalized_projection_rows(const float *input, long rows, long width, float epsilon,
                                    const float *first_table, const int *first_index,
                                    const float *second_table, const int *second_index, const float *sums,
                                    const float *constant, long out_width, float *output) {
    active()->normalized_projection_rows(input, rows, width, epsilon, first_table, first_index, second_table,
                                         second_index, sums, constant, out_width, output);
}
