// The one instruction Swift has no spelling for that the bfloat16 tiles need: vdpbf16ps
// (AVX512-BF16), on 256 and 512 bits. Header only; called solely from KernelsBF16, which is
// compiled for a CPU that has it, so each inlines to the single instruction.
#if defined(__x86_64__)
#include <immintrin.h>

typedef float strawberry_f32x8 __attribute__((vector_size(32)));
typedef short strawberry_bf16x16 __attribute__((vector_size(32)));

// sums[i] + a[2i]·b[2i] + a[2i+1]·b[2i+1], the 16 values of a and b bfloat16 bit patterns.
__attribute__((target("avx512f,avx512vl,avx512bf16")))
static inline strawberry_f32x8 strawberry_dot_bf16(strawberry_f32x8 sums, strawberry_bf16x16 a, strawberry_bf16x16 b) {
    return (strawberry_f32x8)_mm256_dpbf16_ps((__m256)sums, (__m256bh)a, (__m256bh)b);
}

typedef float strawberry_f32x16 __attribute__((vector_size(64)));
typedef short strawberry_bf16x32 __attribute__((vector_size(64)));

// The same over 32 values: sums[i] + a[2i]·b[2i] + a[2i+1]·b[2i+1] for sixteen sums.
__attribute__((target("avx512f,avx512bf16")))
static inline strawberry_f32x16 strawberry_dot_bf16x32(strawberry_f32x16 sums, strawberry_bf16x32 a, strawberry_bf16x32 b) {
    return (strawberry_f32x16)_mm512_dpbf16_ps((__m512)sums, (__m512bh)a, (__m512bh)b);
}
#endif
