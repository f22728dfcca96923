// Declarations of the Strassen experiment (Benchmarks/strassen_linear.c); not part of zoo.
#ifndef ZOO_STRASSEN_LINEAR_H
#define ZOO_STRASSEN_LINEAR_H

/// 1 when a weight [out_features, in_features] fits: out_features a multiple of 64, in_features
/// even and at least 64.
int zoo_strassen_shape_supported(long out_features, long in_features);

/// Floats of a weight packed by zoo_pack_weights_strassen: seven (in/2) × (out/2) blocks.
long zoo_strassen_weights_count(long out_features, long in_features);

/// Packs a PyTorch-layout weight into the seven weight combinations of one Strassen level.
void zoo_pack_weights_strassen(const float *weight, long out_features, long in_features, float *packed);

/// Floats of scratch zoo_strassen_linear needs for `rows` rows of `in_features`.
long zoo_strassen_scratch_count(long rows, long in_features);

/// output[r] = input[r] · Wᵀ + bias + residual[r], as zoo_packed_linear, by one level of
/// Strassen's algorithm over the rows that fill two halves of whole tiles (64 rows and up).
void zoo_strassen_linear(const float *input, long rows, long in_features, const float *packed,
                         long out_features, const float *bias, const float *residual, float *output,
                         float *scratch);

#endif
