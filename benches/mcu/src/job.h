/*
 * The reference metering job, built on CMSIS-DSP f32 kernels.
 *
 * 7 channels (U1..U3, I1..I3, IN) at 10.24 kHz, 50 Hz mains. Per mains cycle: RMS of every
 * channel and active power of the three phases. Every 10 mains cycles (2048 samples): per
 * channel a 2048-point real FFT, |X|^2 of bins 0..501, the 50 harmonic subgroups (IEC
 * 61000-4-7 style, bins 10h-1..10h+1) and THD.
 */
#ifndef JOB_H
#define JOB_H

#include <stdint.h>

/* Only the groups used: arm_math.h would also pull in inline q15/q31 helpers that need the
 * CMSIS Core DSP intrinsics, which the stand-in cmsis_compiler.h does not provide. */
#include "dsp/basic_math_functions.h"
#include "dsp/complex_math_functions.h"
#include "dsp/statistics_functions.h"
#include "dsp/support_functions.h"
#include "dsp/transform_functions.h"

#define FS_HZ 10240u
#define MAINS_HZ 50u
#define SIGNAL_SECONDS 5u
#define SAMPLES (FS_HZ * SIGNAL_SECONDS) /* per channel */
#define MAINS_CYCLES (MAINS_HZ * SIGNAL_SECONDS)

#define N_CHANNELS 7u
#define N_PHASES 3u
enum channel { CH_U1, CH_U2, CH_U3, CH_I1, CH_I2, CH_I3, CH_IN };

#define FFT_LEN 2048u
#define CYCLES_PER_WINDOW 10u /* 2048 samples = exactly 10 mains cycles at 10.24 kHz */
#define N_WINDOWS (MAINS_CYCLES / CYCLES_PER_WINDOW)
#define N_HARMONICS 50u
#define BINS_PER_HARMONIC 10u                             /* harmonic h sits on bin 10h */
#define N_BINS (BINS_PER_HARMONIC * N_HARMONICS + 2u) /* bins 0..501 */

/* Input: the synthesised samples of every channel (waveform.c). */
extern float32_t waveform[N_CHANNELS][SAMPLES];

/* Outputs. */
extern float32_t cycle_rms[MAINS_CYCLES][N_CHANNELS];
extern float32_t cycle_power[MAINS_CYCLES][N_PHASES];
extern float32_t harmonic_sq[N_CHANNELS][N_HARMONICS + 1u]; /* [ch][h], h = 1..50, last window */
extern float32_t window_thd[N_WINDOWS][N_CHANNELS];

/* Set up the FFT instance and the mains-cycle boundaries (not timed). */
void job_init(void);

/* The whole job for mains cycle k: the per-cycle parts, and the spectral parts for every
 * channel when cycle k closes a 10-cycle window. */
void job_cycle(uint32_t k);

/* The parts, as job_cycle() calls them. */
void job_rms(uint32_t k);                           /* arm_rms_f32 on the 7 channels */
void job_power(uint32_t k);                         /* arm_dot_prod_f32 on the 3 U/I pairs */
void job_fft_copy(uint32_t w, uint32_t ch);         /* copy window w into the FFT buffer */
void job_fft(uint32_t w, uint32_t ch);              /* job_fft_copy + arm_rfft_fast_f32 */
void job_mag_squared(uint32_t ch);                  /* arm_cmplx_mag_squared_f32, bins 0..501 */
void job_subgroups_thd(uint32_t w, uint32_t ch);    /* 50 subgroups + THD */

#endif /* JOB_H */
