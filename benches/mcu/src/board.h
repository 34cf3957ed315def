/*
 * Bare-metal board support for QEMU mps2-an386 (Cortex-M4F): semihosting console and exit,
 * and the SysTick tick counter used to count instructions under `-icount`.
 */
#ifndef BOARD_H
#define BOARD_H

#include <stdint.h>

/* mps2-an386 core clock: SysTick with CLKSOURCE = core counts at this rate. It is the value
 * the project's firmware reports (hil/firmware/src/board.rs, CORE_CLOCK_HZ). */
#define CORE_CLOCK_HZ 25000000u

/* Write a NUL-terminated string to the host (semihosting SYS_WRITE0). */
void sh_write(const char *s);

/* End the emulation: QEMU exits with status 0 when `ok` is non-zero, 1 otherwise. */
__attribute__((noreturn)) void sh_exit(int ok);

/* Start SysTick on the core clock with a 24-bit reload and a wrap interrupt. */
void clock_start(void);

/* Core clock ticks since clock_start(), widened to 64 bits by counting wraps. */
uint64_t clock_now(void);

/* SysTick exception handler (counts wraps). */
void systick_handler(void);

/* Output helpers: one "R <key> <value>" line per result, parsed by run.sh. */
void put_u64(const char *key, uint64_t value);
void put_f64(const char *key, double value);
void put_text(const char *key, const char *value);

#endif /* BOARD_H */
