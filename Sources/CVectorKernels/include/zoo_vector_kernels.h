#ifndef ZOO_VECTOR_KERNELS_H
#define ZOO_VECTOR_KERNELS_H

/// Element-wise and row-wise kernels of the encoders' forward passes, written once with 16-lane
/// vector types (kernels_body.h) and compiled for AVX-512, AVX2 with FMA, and the baseline
/// instruction set; each call runs the copy for the best set the CPU supports. Swift code is
/// compiled for baseline x86-64 only, so these loops run 2-4x faster here than the same loops in
/// Swift. Each kernel runs on the calling thread; callers split rows across threads.
///
/// The formulas are those of Runtime's FastMath: the same polynomials, so results agree with the
/// Swift versions to a few units in the last place.

/// Lanes per vector of the copy in use: 16 (AVX-512), 8 (AVX2 with FMA) or 4 (baseline). The
/// widest the CPU supports, unless the environment variable ZOO_VECTOR_LANES names another one
/// the CPU supports (read on first use), for benchmarks and tests.
int zoo_vector_kernels_lanes(void);

/// One instruction set's copy of every kernel below; the functions have the same contracts.
typedef struct zoo_vector_kernel_table {
    int lanes;
    void (*bias_gelu_rows)(float *values, long rows, long width, const float *bias, int tanh_form);
    void (*softmax_rows)(float *values, long rows, long columns, long stride);
    float (*exp2_row)(float *line, long count);
    void (*layer_norm_rows)(float *hidden, long rows, long width, const float *weight,
                            const float *bias, float epsilon, float *output, const float *addend);
    void (*attend_short)(const float *query, const float *key, const float *value, long stride,
                         long length, long head_width, float scale, float *scores, float *keys,
                         float *output, long output_stride);
    void (*normalized_projection_rows)(const float *input, long rows, long width, float epsilon,
                                       const float *first_table, const int *first_index,
                                       const float *second_table, const int *second_index,
                                       const float *sums, const float *constant, long out_width,
                                       float *output);
} zoo_vector_kernel_table;

/// The copy with `lanes` lanes per vector (16, 8 or 4), or NULL when this CPU cannot run it.
const zoo_vector_kernel_table *zoo_vector_kernels_with_lanes(int lanes);

/// GELU in place over `rows` rows of `width` floats, after adding `bias` (`width` floats, or
/// NULL) to each row. `tanh_form` 0: x/2 (1 + erf(x/sqrt 2)); otherwise the tanh approximation.
void zoo_bias_gelu_rows(float *values, long rows, long width, const float *bias, int tanh_form);

/// Softmax in place along each of `rows` rows of `columns` floats, rows `stride` floats apart.
/// The row maximum is subtracted first; a row whose entries are all -infinity becomes uniform.
void zoo_softmax_rows(float *values, long rows, long columns, long stride);

/// Replaces `count` scores in base-2 units by 2^(score - max) and returns their sum.
float zoo_exp2_row(float *line, long count);

/// LayerNorm of each of `rows` rows of `width` floats of `hidden`, with the biased variance:
/// (x - mean) / sqrt(variance + epsilon) * weight + bias, written to `output` (which may be
/// `hidden` itself). When `addend` is not NULL, it is then added to each row of `hidden`
/// (`output` must then differ from `hidden`).
void zoo_layer_norm_rows(float *hidden, long rows, long width, const float *weight,
                         const float *bias, float epsilon, float *output, const float *addend);

/// Scaled dot-product attention of one short sequence and one head, without BLAS:
/// target[i] = softmax_j(q_i . k_j * scale) v_j for i, j < length. Q, K and V rows are `stride`
/// floats apart, starting at `query`, `key` and `value`; output rows are `output_stride` apart
/// and hold `head_width` floats. `scores` (scratch: the transposed scores) has room for
/// length x round_up(length, 16) floats and `keys` (scratch: the transposed, scaled queries and
/// each query's softmax denominator) for (head_width + 1) x round_up(length, 16).
void zoo_attend_short(const float *query, const float *key, const float *value, long stride,
                      long length, long head_width, float scale, float *scores, float *keys,
                      float *output, long output_stride);

/// A linear layer applied to LayerNorm'd rows, from precomputed parts: for each of `rows` rows
/// of `width` floats of `input` (the rows before LayerNorm), with the row's mean m and
/// r = 1 / sqrt(biased variance + epsilon) computed as zoo_layer_norm_rows does, writes
///     output[row] = r · (first[row] + second[row] − m · sums) + constant
/// (`out_width` floats), where first[row] is row first_index[row] of `first_table` and
/// second[row] row second_index[row] of `second_table` (both `out_width` floats a row). With
/// W' = W·diag(γ), first = W'·a, second = W'·b, sums = W'·1 and constant = W·β + bias, this is
/// W·LayerNorm(a + b) + bias.
void zoo_normalized_projection_rows(const float *input, long rows, long width, float epsilon,
                                    const float *first_table, const int *first_index,
                                    const float *second_table, const int *second_index, const float *sums,
                                    const float *constant, long out_width, float *output);

/// Floats of a weight `[out_features, in_features]` packed by zoo_pack_weights: whole 32-row
/// panels, the last one padded with zeros.
long zoo_packed_weights_count(long out_features, long in_features);

/// Packs a PyTorch-layout weight `[out_features, in_features]` into 32-output panels, each
/// `in_features` steps of 32 floats, for zoo_packed_linear.
void zoo_pack_weights(const float *weight, long out_features, long in_features, float *packed);

/// 1 when zoo_packed_linear can run here (AVX-512, and ZOO_VECTOR_LANES not asking for fewer
/// lanes); 0 otherwise, and callers use BLAS.
int zoo_packed_linear_available(void);

/// output[r] = input[r] · Wᵀ + bias + residual[r] for `rows` rows, on the calling thread, with W
/// packed by zoo_pack_weights. `bias` and `residual` may be NULL; `residual` may equal `output`
/// (rows `out_features` apart); `output` must not overlap `input`. Only when
/// zoo_packed_linear_available() is 1.
void zoo_packed_linear(const float *input, long rows, long in_features, const float *packed,
                       long out_features, const float *bias, const float *residual, float *output);

/// zoo_packed_linear followed, for `activation` 1 or 2, by GELU (1: the erf form, 2: the tanh
/// form, as zoo_bias_gelu_rows) of each output value, applied to each tile in registers before
/// its only store; `activation` 0 is zoo_packed_linear. The residual, when given, is added
/// before the GELU.
void zoo_packed_linear_activated(const float *input, long rows, long in_features, const float *packed,
                                 long out_features, const float *bias, const float *residual, float *output,
                                 int activation);

#endif
