/*
 * The reference metering job on CMSIS-DSP (see job.h). Every part is a separate non-inlined
 * function so that the whole-job run and the per-part runs execute the same code.
 */
#include "job.h"

float32_t cycle_rms[MAINS_CYCLES][N_CHANNELS];
float32_t cycle_power[MAINS_CYCLES][N_PHASES];
float32_t harmonic_sq[N_CHANNELS][N_HARMONICS + 1u];
float32_t window_thd[N_WINDOWS][N_CHANNELS];

/* First sample of mains cycle k, k = 0..MAINS_CYCLES: floor(k * 204.8), so cycle lengths are
 * 204 or 205 samples and average exactly fs / f = 204.8. */
static uint32_t cycle_start[MAINS_CYCLES + 1u];

static arm_rfft_fast_instance_f32 rfft;
/* arm_rfft_fast_f32 overwrites its input, so each window is copied here first. */
static float32_t fft_in[FFT_LEN];
/* Packed spectrum [Re0, Re(N/2), Re1, Im1, ...] and |X|^2, per channel. */
static float32_t spectrum[N_CHANNELS][FFT_LEN];
static float32_t mag_sq[N_CHANNELS][N_BINS];

void job_init(void)
{
    (void)arm_rfft_fast_init_2048_f32(&rfft);
    for (uint32_t k = 0; k <= MAINS_CYCLES; k++) {
        cycle_start[k] = (k * FS_HZ) / MAINS_HZ; /* exact integer floor(k * fs / f) */
    }
}

__attribute__((noinline)) void job_rms(uint32_t k)
{
    const uint32_t start = cycle_start[k];
    const uint32_t len = cycle_start[k + 1u] - start;
    for (uint32_t ch = 0; ch < N_CHANNELS; ch++) {
        arm_rms_f32(&waveform[ch][start], len, &cycle_rms[k][ch]);
    }
}

__attribute__((noinline)) void job_power(uint32_t k)
{
    const uint32_t start = cycle_start[k];
    const uint32_t len = cycle_start[k + 1u] - start;
    const float32_t inv_len = 1.0f / (float32_t)len;
    for (uint32_t ph = 0; ph < N_PHASES; ph++) {
        float32_t sum;
        arm_dot_prod_f32(&waveform[CH_U1 + ph][start], &waveform[CH_I1 + ph][start], len, &sum);
        cycle_power[k][ph] = sum * inv_len;
    }
}

__attribute__((noinline)) void job_fft_copy(uint32_t w, uint32_t ch)
{
    arm_copy_f32(&waveform[ch][w * FFT_LEN], fft_in, FFT_LEN);
}

__attribute__((noinline)) void job_fft(uint32_t w, uint32_t ch)
{
    job_fft_copy(w, ch);
    arm_rfft_fast_f32(&rfft, fft_in, spectrum[ch], 0);
}

__attribute__((noinline)) void job_mag_squared(uint32_t ch)
{
    arm_cmplx_mag_squared_f32(spectrum[ch], mag_sq[ch], N_BINS);
}

__attribute__((noinline)) void job_subgroups_thd(uint32_t w, uint32_t ch)
{
    const float32_t *m = mag_sq[ch];
    float32_t *g = harmonic_sq[ch];

    /* Harmonic subgroup h: the bin of the harmonic and its two neighbours. */
    g[1] = m[BINS_PER_HARMONIC - 1u] + m[BINS_PER_HARMONIC] + m[BINS_PER_HARMONIC + 1u];
    float32_t distortion = 0.0f;
    for (uint32_t h = 2; h <= N_HARMONICS; h++) {
        const uint32_t b = BINS_PER_HARMONIC * h;
        const float32_t v = m[b - 1u] + m[b] + m[b + 1u];
        g[h] = v;
        distortion += v;
    }
    /* THD = sqrt(sum_{h>=2} G_h^2 / G_1^2); the FFT scale cancels in the ratio. */
    window_thd[w][ch] = sqrtf(distortion / g[1]);
}

void job_cycle(uint32_t k)
{
    job_rms(k);
    job_power(k);
    if ((k + 1u) % CYCLES_PER_WINDOW == 0u) {
        const uint32_t w = (k + 1u) / CYCLES_PER_WINDOW - 1u;
        for (uint32_t ch = 0; ch < N_CHANNELS; ch++) {
            job_fft(w, ch);
            job_mag_squared(ch);
            job_subgroups_thd(w, ch);
        }
    }
}
