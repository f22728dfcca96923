// The kernels for the target's baseline instruction set (SSE2 on x86-64, NEON on aarch64):
// 16-lane vectors as four 4-lane registers. Multiply-adds are fused where the baseline has the
// instruction (aarch64; then the bits equal the AVX copies'), rounded twice on x86-64.
#include "kernels_internal.h"

#define ZOO_ISA_LANES 4
#if defined(__aarch64__) || defined(__FMA__)
#define ZOO_FUSED 1
#else
#define ZOO_FUSED 0
#endif
#define KERNEL(name) name##_generic
#include "kernels_body.h"
