/*
 * Minimal stand-in for the CMSIS Core `cmsis_compiler.h`, for GCC on a Cortex-M4F.
 *
 * The CMSIS-DSP sources in the `cmsisdsp` PyPI source distribution include
 * "cmsis_compiler.h" but do not ship the CMSIS Core headers. The f32 kernels this
 * benchmark links need only the attribute macros below and `__CLZ` (used by an
 * inline helper in dsp/utils.h), so they are defined here instead of pulling in
 * CMSIS Core.
 */
#ifndef PERCYCLE_BENCH_CMSIS_COMPILER_H
#define PERCYCLE_BENCH_CMSIS_COMPILER_H

#include <stdint.h>

#if !defined(__GNUC__) || !defined(__thumb2__)
#error "this header only supports GCC targeting Thumb-2 (Cortex-M3/M4/M7)"
#endif

#define __ASM                  __asm
#define __INLINE               inline
#define __STATIC_INLINE        static inline
#define __STATIC_FORCEINLINE   __attribute__((always_inline)) static inline
#define __ALIGNED(x)           __attribute__((aligned(x)))
#define __WEAK                 __attribute__((weak))
#define __PACKED               __attribute__((packed, aligned(1)))
#define __RESTRICT             __restrict
#define __NO_RETURN            __attribute__((__noreturn__))
#define __USED                 __attribute__((used))

/* Count leading zeros; 32 for 0, as the CLZ instruction and CMSIS Core define it. */
__STATIC_FORCEINLINE uint8_t __CLZ(uint32_t value)
{
    if (value == 0U) {
        return 32U;
    }
    return (uint8_t)__builtin_clz(value);
}

#endif /* PERCYCLE_BENCH_CMSIS_COMPILER_H */
