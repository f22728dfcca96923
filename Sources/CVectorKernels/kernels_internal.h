// Declarations of the per-instruction-set copies of the kernels, for the dispatcher.
#ifndef ZOO_KERNELS_INTERNAL_H
#define ZOO_KERNELS_INTERNAL_H

#define ZOO_KERNEL_DECLARATIONS(suffix)                                                          \
    void zoo_bias_gelu_rows_##suffix(float *, long, long, const float *, int);                  \
    void zoo_softmax_rows_##suffix(float *, long, long, long);                                  \
    float zoo_exp2_row_##suffix(float *, long);                                                 \
    void zoo_layer_norm_rows_##suffix(float *, long, long, const float *, const float *, float, \
                                      float *, const float *);                                  \
    void zoo_attend_short_##suffix(const float *, const float *, const float *, long, long,     \
                                   long, float, float *, float *, float *, long);                \
    void zoo_attend_short_biased_##suffix(const float *, const float *, const float *, long, long, \
                                          long, float, float *, float *, float *, long,         \
                                          const float *, long);                                 \
    void zoo_normalized_projection_rows_##suffix(const float *, long, long, float, const float *, \
                                                 const int *, const float *, const int *,       \
                                                 const float *, const float *, long, float *);       \
    void zoo_packed_linear_activated_##suffix(const float *, long, long, const float *, long,   \
                                              const float *, const float *, float *, int);

ZOO_KERNEL_DECLARATIONS(generic)
#if defined(__x86_64__)
ZOO_KERNEL_DECLARATIONS(avx2)
ZOO_KERNEL_DECLARATIONS(avx512)
#endif

#define KERNEL_EXPORT __attribute__((visibility("hidden")))

#endif
