/*
 * CMSIS-DSP reference metering job, timed in instructions on QEMU mps2-an386.
 *
 * QEMU runs with `-icount shift=4,align=off,sleep=off`: every guest instruction advances the
 * virtual clock by 2^4 ns, and SysTick (core clock, 25 MHz) counts that clock. So
 *     instructions = ticks * (1e9 / CORE_CLOCK_HZ) / 2^4,
 * exactly as the project counts its own firmware (hil/src/bench.rs, fn cost). The firmware
 * only prints raw tick counts; run.sh converts them and writes the JSON.
 *
 * Order of work:
 *   1. calibration: a loop of known instruction count, to check the conversion;
 *   2. synthesis of the test signal (not timed);
 *   3. (b) the whole job, mains cycle by mains cycle, each cycle timed;
 *   4. (a) each part alone over the whole run (one timed region per part);
 *   5. result check values.
 */
#include "board.h"
#include "job.h"
#include "waveform.h"

#define CALIBRATION_ITERATIONS 1000000u
#define CALIBRATION_INSTRUCTIONS_PER_ITERATION 4u

/* Exactly 4 instructions per iteration (nop, nop, subs, bne), n >= 1. */
__attribute__((naked, noinline)) static void spin(uint32_t n)
{
    (void)n;
    __asm__ volatile(
        "1:\n\t"
        "nop\n\t"
        "nop\n\t"
        "subs r0, r0, #1\n\t"
        "bne 1b\n\t"
        "bx lr\n\t");
}

/* Ticks of an empty timed region: what two clock reads cost. Smallest of a few tries. */
static uint64_t empty_region_ticks(void)
{
    uint64_t best = UINT64_MAX;
    for (int i = 0; i < 8; i++) {
        const uint64_t t0 = clock_now();
        const uint64_t t1 = clock_now();
        if (t1 - t0 < best) {
            best = t1 - t0;
        }
    }
    return best;
}

static void calibrate(void)
{
    put_u64("calib_empty_ticks", empty_region_ticks());
    const uint64_t t0 = clock_now();
    spin(CALIBRATION_ITERATIONS);
    const uint64_t t1 = clock_now();
    put_u64("calib_iterations", CALIBRATION_ITERATIONS);
    put_u64("calib_instructions_per_iteration", CALIBRATION_INSTRUCTIONS_PER_ITERATION);
    put_u64("calib_ticks", t1 - t0);
}

/* (b) The whole job, timed per mains cycle like the firmware times each sample block. */
static void time_whole_job(void)
{
    uint64_t total = 0;
    uint64_t worst = 0;
    for (uint32_t k = 0; k < MAINS_CYCLES; k++) {
        const uint64_t t0 = clock_now();
        job_cycle(k);
        const uint64_t d = clock_now() - t0;
        total += d;
        if (d > worst) {
            worst = d;
        }
    }
    put_u64("ticks_total", total);
    put_u64("ticks_max_mains_cycle", worst);
}

/* (a) Each part alone over the whole run. The instruction counts of these kernels do not
 * depend on the sample values, so the spectral parts may run on the last spectrum of each
 * channel, which job_cycle() left behind. */
static void time_parts(void)
{
    uint64_t t0 = clock_now();
    for (uint32_t k = 0; k < MAINS_CYCLES; k++) {
        job_rms(k);
    }
    put_u64("ticks_rms", clock_now() - t0);

    t0 = clock_now();
    for (uint32_t k = 0; k < MAINS_CYCLES; k++) {
        job_power(k);
    }
    put_u64("ticks_dot_prod", clock_now() - t0);

    t0 = clock_now();
    for (uint32_t w = 0; w < N_WINDOWS; w++) {
        for (uint32_t ch = 0; ch < N_CHANNELS; ch++) {
            job_fft_copy(w, ch);
        }
    }
    put_u64("ticks_fft_copy", clock_now() - t0);

    t0 = clock_now();
    for (uint32_t w = 0; w < N_WINDOWS; w++) {
        for (uint32_t ch = 0; ch < N_CHANNELS; ch++) {
            job_fft(w, ch);
        }
    }
    put_u64("ticks_rfft_2048", clock_now() - t0);

    t0 = clock_now();
    for (uint32_t w = 0; w < N_WINDOWS; w++) {
        for (uint32_t ch = 0; ch < N_CHANNELS; ch++) {
            job_mag_squared(ch);
        }
    }
    put_u64("ticks_mag_squared", clock_now() - t0);

    t0 = clock_now();
    for (uint32_t w = 0; w < N_WINDOWS; w++) {
        for (uint32_t ch = 0; ch < N_CHANNELS; ch++) {
            job_subgroups_thd(w, ch);
        }
    }
    put_u64("ticks_subgroups_thd", clock_now() - t0);
}

static double mean_cycle_rms(uint32_t ch)
{
    double sum = 0.0;
    for (uint32_t k = 0; k < MAINS_CYCLES; k++) {
        sum += cycle_rms[k][ch];
    }
    return sum / MAINS_CYCLES;
}

static double mean_cycle_power(uint32_t ph)
{
    double sum = 0.0;
    for (uint32_t k = 0; k < MAINS_CYCLES; k++) {
        sum += cycle_power[k][ph];
    }
    return sum / MAINS_CYCLES;
}

/* Check values from the whole-job run (the part runs recompute the same values). */
static void report_checks(void)
{
    put_f64("u1_rms", mean_cycle_rms(CH_U1));
    put_f64("u1_rms_cycle0", cycle_rms[0][CH_U1]);
    put_f64("u3_rms", mean_cycle_rms(CH_U3));
    put_f64("i1_rms", mean_cycle_rms(CH_I1));
    put_f64("in_rms", mean_cycle_rms(CH_IN));
    put_f64("p1_w", mean_cycle_power(0));
    put_f64("p3_w", mean_cycle_power(2));
    put_f64("u1_thd_pct", 100.0 * window_thd[N_WINDOWS - 1u][CH_U1]);
    put_f64("u3_thd_pct", 100.0 * window_thd[0][CH_U3]);
    put_f64("i1_thd_pct", 100.0 * window_thd[N_WINDOWS - 1u][CH_I1]);
}

int main(void)
{
    clock_start();
    put_u64("core_clock_hz", CORE_CLOCK_HZ);
    put_u64("channels", N_CHANNELS);
    put_u64("mains_cycles", MAINS_CYCLES);
    put_u64("fft_windows", N_WINDOWS);

    calibrate();
    waveform_synthesize();
    job_init();
    time_whole_job();
    report_checks();
    time_parts();
    sh_write("DONE\n");
    return 0;
}
