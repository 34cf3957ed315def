/*
 * Semihosting console and exit, SysTick tick counter and result printing.
 *
 * Built with -fno-builtin -fno-tree-loop-distribute-patterns like startup.c: this file is
 * linked without a C runtime start-up, and must not have loops turned into library calls.
 */
#include "board.h"

/* ---- semihosting (ARM32 `bkpt 0xAB` convention) ---- */

#define SYS_WRITE0 0x04u
#define SYS_EXIT 0x18u
/* SYS_EXIT reasons: QEMU exits 0 for ApplicationExit and 1 for any other reason. */
#define ADP_STOPPED_APPLICATION_EXIT 0x20026u
#define ADP_STOPPED_RUNTIME_ERROR_UNKNOWN 0x20023u

static uint32_t sh_call(uint32_t op, const void *arg)
{
    register uint32_t r0 __asm__("r0") = op;
    register const void *r1 __asm__("r1") = arg;
    __asm__ volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

void sh_write(const char *s)
{
    (void)sh_call(SYS_WRITE0, s);
}

void sh_exit(int ok)
{
    uintptr_t reason = ok ? ADP_STOPPED_APPLICATION_EXIT : ADP_STOPPED_RUNTIME_ERROR_UNKNOWN;
    /* On 32-bit ARM the reason is passed in r1 directly, not through a parameter block. */
    (void)sh_call(SYS_EXIT, (const void *)reason);
    for (;;) {
    }
}

/* ---- SysTick: the same counter as the project's firmware (hil/firmware/src/main.rs) ---- */

#define SYST_CSR (*(volatile uint32_t *)0xE000E010u)
#define SYST_RVR (*(volatile uint32_t *)0xE000E014u)
#define SYST_CVR (*(volatile uint32_t *)0xE000E018u)
#define SYST_CSR_ENABLE (1u << 0)
#define SYST_CSR_TICKINT (1u << 1)
#define SYST_CSR_CLKSOURCE_CORE (1u << 2)
#define SYST_RELOAD 0x00FFFFFFu

static volatile uint32_t systick_wraps;

void clock_start(void)
{
    SYST_RVR = SYST_RELOAD;
    SYST_CVR = 0; /* any write clears the counter */
    SYST_CSR = SYST_CSR_CLKSOURCE_CORE | SYST_CSR_TICKINT | SYST_CSR_ENABLE;
}

uint64_t clock_now(void)
{
    /* Re-read if a wrap was counted between the two reads. */
    for (;;) {
        uint32_t before = systick_wraps;
        uint32_t current = SYST_CVR;
        if (systick_wraps == before) {
            return ((uint64_t)before << 24) + (uint64_t)(SYST_RELOAD - current);
        }
    }
}

void systick_handler(void)
{
    systick_wraps = systick_wraps + 1u;
}

/* ---- result lines ---- */

/* Append `s` at `p`; returns the new end. `end` bounds the buffer (one byte kept for NUL). */
static char *append(char *p, char *end, const char *s)
{
    while (*s != '\0' && p < end) {
        *p++ = *s++;
    }
    return p;
}

static char *append_u64(char *p, char *end, uint64_t v)
{
    char digits[20];
    int n = 0;
    do {
        digits[n++] = (char)('0' + (int)(v % 10u));
        v /= 10u;
    } while (v != 0u);
    while (n > 0 && p < end) {
        *p++ = digits[--n];
    }
    return p;
}

static void put_line(const char *key, const char *value_text)
{
    char line[128];
    char *end = line + sizeof line - 2;
    char *p = append(line, end, "R ");
    p = append(p, end, key);
    p = append(p, end, " ");
    p = append(p, end, value_text);
    *p++ = '\n';
    *p = '\0';
    sh_write(line);
}

void put_u64(const char *key, uint64_t value)
{
    char text[24];
    char *p = append_u64(text, text + sizeof text - 1, value);
    *p = '\0';
    put_line(key, text);
}

void put_f64(const char *key, double value)
{
    /* Fixed point with 6 decimals: enough for the check values (volts, amperes, percent). */
    char text[40];
    char *end = text + sizeof text - 1;
    char *p = text;
    if (value < 0.0) {
        *p++ = '-';
        value = -value;
    }
    uint64_t micro = (uint64_t)(value * 1e6 + 0.5);
    p = append_u64(p, end, micro / 1000000u);
    *p++ = '.';
    uint64_t frac = micro % 1000000u;
    for (uint64_t scale = 100000u; scale != 0u; scale /= 10u) {
        *p++ = (char)('0' + (int)((frac / scale) % 10u));
    }
    *p = '\0';
    put_line(key, text);
}

void put_text(const char *key, const char *value)
{
    put_line(key, value);
}
