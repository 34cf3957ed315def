/*
 * Start-up for QEMU mps2-an386: vector table, .data/.bss initialisation, FPU enable, and a
 * fault handler that reports over semihosting and exits with status 1.
 *
 * Must be built with -fno-builtin -fno-tree-loop-distribute-patterns: otherwise GCC may turn
 * the copy/zero loops below into memcpy/memset calls (or a memset into a call to itself).
 */
#include <stdint.h>

#include "board.h"

/* Symbols from link.ld. */
extern uint32_t _data_start[], _data_end[], _data_load[];
extern uint32_t _bss_start[], _bss_end[];
extern uint32_t _stack_top[];

int main(void);
void reset_handler(void);
void fault_entry(void);

#define SCB_CPACR (*(volatile uint32_t *)0xE000ED88u)
#define SCB_CFSR (*(volatile uint32_t *)0xE000ED28u)
#define CPACR_CP10_CP11_FULL (0xFu << 20)

typedef void (*vector_t)(void);

/* Cortex-M4 core exceptions only: the benchmark uses no peripheral interrupts. */
__attribute__((section(".vectors"), used)) static const vector_t vectors[16] = {
    (vector_t)_stack_top, /* initial MSP */
    reset_handler,
    fault_entry,     /* NMI */
    fault_entry,     /* HardFault */
    fault_entry,     /* MemManage */
    fault_entry,     /* BusFault */
    fault_entry,     /* UsageFault */
    0, 0, 0, 0,      /* reserved */
    fault_entry,     /* SVCall */
    fault_entry,     /* DebugMonitor */
    0,               /* reserved */
    fault_entry,     /* PendSV */
    systick_handler, /* SysTick */
};

void reset_handler(void)
{
    /* Give CP10/CP11 (the FPU) full access before any floating-point instruction runs. */
    SCB_CPACR |= CPACR_CP10_CP11_FULL;
    __asm__ volatile("dsb\n\tisb" ::: "memory");

    const uint32_t *src = _data_load;
    for (uint32_t *dst = _data_start; dst < _data_end;) {
        *dst++ = *src++;
    }
    for (uint32_t *dst = _bss_start; dst < _bss_end;) {
        *dst++ = 0u;
    }

    sh_exit(main() == 0);
}

static char hex_digit(uint32_t v)
{
    return (char)(v < 10u ? '0' + v : 'a' + (v - 10u));
}

static void format_hex(char *out, uint32_t v)
{
    out[0] = '0';
    out[1] = 'x';
    for (int i = 0; i < 8; i++) {
        out[2 + i] = hex_digit((v >> (28 - 4 * i)) & 0xFu);
    }
    out[10] = '\0';
}

/* Called with the stacked exception frame (r0-r3, r12, lr, pc, xpsr). */
__attribute__((used, noreturn)) static void fault_report(const uint32_t *frame)
{
    char pc[11];
    char cfsr[11];
    format_hex(pc, frame[6]);
    format_hex(cfsr, SCB_CFSR);
    sh_write("FAULT pc=");
    sh_write(pc);
    sh_write(" cfsr=");
    sh_write(cfsr);
    sh_write("\n");
    sh_exit(0); /* not ok: QEMU exits with status 1 */
}

/* Pick the stack the frame was pushed on, then report. */
__attribute__((naked)) void fault_entry(void)
{
    __asm__ volatile(
        "tst lr, #4\n\t"
        "ite eq\n\t"
        "mrseq r0, msp\n\t"
        "mrsne r0, psp\n\t"
        "b fault_report\n\t");
}
