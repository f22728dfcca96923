#ifndef ZOO_VECTOR_KERNELS_H
#define ZOO_VECTOR_KERNELS_H

/// The encoders' linear layers (over weights packed once) and their element-wise and row-wise
/// kernels, written once with 16-lane vector types (kernels_body.h, packed_narrow.h; the AVX-512
/// linear kernel in packed_linear.c) and compiled for AVX-512, AVX2 with FMA, and the baseline
/// instruction set; each call runs the copy for the best set the CPU supports. Swift code is
/// compiled for baseline x86-64 only, so these loops run 2-4x faster here than the same loops in
/// Swift. Each kernel runs on the calling thread; callers split rows across threads.
///
/// Every copy computes each value in the same order with the same roundings (kernels_math.h):
/// the AVX-512 and AVX2 copies give the same bits, as does the baseline copy where the target
/// fuses multiply-adds (aarch64); on x86-64 the baseline copy rounds products separately. No
/// value depends on how many rows a call has. The formulas are those of Runtime's FastMath.

/// Lanes per vector of the copy in use: 16 (AVX-512), 8 (AVX2 with FMA) or 4 (baseline). The
/// widest the CPU supports, unless the environment variable ZOO_VECTOR_LANES names another one
/// the CPU supports (read on first use), for benchmarks and tests.
int zoo_vector_kernels_lanes(void);

/// The widest copy this CPU runs: 16, 8 or 4.
int zoo_vector_kernels_widest_lanes(void);

/// What ZOO_VECTOR_LANES asks for: 0 when unset or empty; 16, 8 or 4 when it names a copy this
/// CPU runs; -2 when it names a copy this CPU cannot run; -1 for any other value. The kernels
/// use the widest copy in the last two cases; the command line refuses them.
int zoo_vector_kernels_requested_lanes(void);

/// One instruction set's copy of every kernel below; the functions have the same contracts.
typedef struct zoo_vector_kernel_table {
    int lanes;
    void (*bias_gelu_rows)(float *values, long rows, long width, const float *bias, int form);
    void (*softmax_rows)(float *values, long rows, long columns, long stride);
    float (*exp2_row)(float *line, long count);
    void (*layer_norm_rows)(float *hidden, long rows, long width, const float *weight,
                            const float *bias, float epsilon, float *output, const float *addend);
    void (*attend_short)(const float *query, const float *key, const float *value, long stride,
                         long length, long head_width, float scale, float *scores, float *keys,
                         float *output, long output_stride);
    void (*attend_short_biased)(const float *query, const float *key, const float *value, long stride,
                                long length, long head_width, float scale, float *scores, float *keys,
                                float *output, long output_stride, const float *bias, long bias_stride);
    void (*normalized_projection_rows)(const float *input, long rows, long width, float epsilon,
                                       const float *first_table, const int *first_index,
                                       const float *second_table, const int *second_index,
                                       const float *sums, const float *constant, long out_width,
                                       float *output);
    /// Output columns per weight panel of this copy's packed linear kernel (32 or 16).
    int panel_width;
    void (*packed_linear_activated)(const float *input, long rows, long in_features, const float *packed,
                                    long out_features, const float *bias, const float *residual,
                                    float *output, int activation);
    /// 1 when this copy fuses each multiply-add (one rounding): then its results are the same
    /// bits as every other fused copy's.
    int fused;
} zoo_vector_kernel_table;

/// The copy with `lanes` lanes per vector (16, 8 or 4), or NULL when this CPU cannot run it.
const zoo_vector_kernel_table *zoo_vector_kernels_with_lanes(int lanes);

/// GELU in place over `rows` rows of `width` floats, after adding `bias` (`width` floats, or
/// NULL) to each row. `form` 0: x/2 (1 + erf(x/sqrt 2)); 1: the tanh approximation; 2: CLIP's
/// quick_gelu, x / (1 + e^(-1.702 x)).
void zoo_bias_gelu_rows(float *values, long rows, long width, const float *bias, int form);

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

/// zoo_attend_short with an additive bias on the scores, before the softmax:
/// target[i] = softmax_j(q_i . k_j * scale + bias[j * bias_stride + i]) v_j (MPNet's relative
/// position bias, say). `bias_stride` is at least round_up(length, 16) and the entries past
/// `length` in each line are finite (zero). NULL `bias`: zoo_attend_short.
void zoo_attend_short_biased(const float *query, const float *key, const float *value, long stride,
                             long length, long head_width, float scale, float *scores, float *keys,
                             float *output, long output_stride, const float *bias, long bias_stride);

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

/// Output columns per weight panel of the copy in use (32 for AVX-512, 16 otherwise).
int zoo_packed_panel_width(void);

/// Floats of a weight `[out_features, in_features]` packed in panels of `panel` outputs: whole
/// panels, the last one padded with zeros.
long zoo_packed_weights_count_for(long out_features, long in_features, int panel);

/// Packs a PyTorch-layout weight `[out_features, in_features]` into panels of `panel` outputs,
/// each `in_features` steps of `panel` floats, for a table's packed_linear_activated.
void zoo_pack_weights_for(const float *weight, long out_features, long in_features, int panel, float *packed);

/// zoo_pack_weights_for for a weight whose element (row j, column k) is at
/// `weight[j · row_stride + k · column_stride]`: a block of rows inside a wider matrix
/// (column_stride 1), or a transposed one (row_stride 1).
void zoo_pack_weights_strided_for(const float *weight, long out_features, long in_features, long row_stride,
                                  long column_stride, int panel, float *packed);

/// Floats of scratch that zoo_attend_long (with any table) needs for one sequence of `length`
/// rows and one head.
long zoo_attend_long_scratch_count(long length, long head_width);

/// Scaled dot-product attention of one sequence and one head on the packed linear kernel, for
/// sequences of any length: target[i] = softmax_j(q_i · k_j · scale) v_j. Q, K and V rows are
/// `stride` floats apart from `query`, `key` and `value`; output rows `output_stride` apart,
/// `head_width` floats each. The queries are scaled by scale · log2(e) and copied, Kₕ and Vₕᵀ
/// packed as weights, the scores exponentiated in base 2 after subtracting each row's maximum,
/// multiplied by Vₕ unnormalised, and each output row divided by its sum. No value depends on
/// any other sequence or head; the AVX-512 and AVX2 copies give the same bits. `scratch` holds
/// zoo_attend_long_scratch_count(length, head_width) floats.
void zoo_attend_long(const float *query, const float *key, const float *value, long stride, long length,
                     long head_width, float scale, float *scratch, float *output, long output_stride);

/// zoo_attend_long with an additive bias on the scores: bias[j * bias_stride + i] (natural
/// units, as zoo_attend_short_biased's) is added to query i's score for key j before the softmax.
void zoo_attend_long_biased(const float *query, const float *key, const float *value, long stride, long length,
                            long head_width, float scale, float *scratch, float *output, long output_stride,
                            const float *bias, long bias_stride);

/// zoo_attend_long_biased with one table's kernels.
void zoo_attend_long_biased_with(const zoo_vector_kernel_table *table, const float *query, const float *key,
                                 const float *value, long stride, long length, long head_width, float scale,
                                 float *scratch, float *output, long output_stride, const float *bias,
                                 long bias_stride);

/// zoo_attend_long with one table's kernels.
void zoo_attend_long_with(const zoo_vector_kernel_table *table, const float *query, const float *key,
                          const float *value, long stride, long length, long head_width, float scale, float *scratch,
                          float *output, long output_stride);

/// zoo_packed_weights_count_for with the panel width of the copy in use.
long zoo_packed_weights_count(long out_features, long in_features);

/// zoo_pack_weights_for with the panel width of the copy in use, for zoo_packed_linear.
void zoo_pack_weights(const float *weight, long out_features, long in_features, float *packed);

/// 1: every copy has a packed linear kernel.
int zoo_packed_linear_available(void);

/// output[r] = input[r] · Wᵀ + bias + residual[r] for `rows` rows, on the calling thread, with W
/// packed by zoo_pack_weights. `bias` and `residual` may be NULL; `residual` may equal `output`
/// (rows `out_features` apart); `output` must not overlap `input`. Each value is the bias (or 0),
/// then one fused multiply-add per input feature in order, then the residual.
void zoo_packed_linear(const float *input, long rows, long in_features, const float *packed,
                       long out_features, const float *bias, const float *residual, float *output);

/// zoo_packed_linear followed, for `activation` 1, 2 or 3, by GELU (1: the erf form, 2: the tanh
/// form, 3: quick_gelu; zoo_bias_gelu_rows' form plus one) of each output value, applied to each tile in registers before
/// its only store; `activation` 0 is zoo_packed_linear. The residual, when given, is added
/// before the GELU.
void zoo_packed_linear_activated(const float *input, long rows, long in_features, const float *packed,
                                 long out_features, const float *bias, const float *residual, float *output,
                                 int activation);

#endif
