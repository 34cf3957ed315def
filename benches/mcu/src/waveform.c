/*
 * Test signal: a balanced three-phase system at 50 Hz sampled at 10.24 kHz.
 *
 *   U1..U3: 230 V rms fundamental, 5 % 3rd, 6 % 5th and 5 % 7th harmonic;
 *   I1..I3: 10 A rms fundamental, 10 % 3rd and 5 % 5th harmonic, in phase with the voltage;
 *   IN    : I1 + I2 + I3 (the triplen 3rd harmonics add up, the rest cancels).
 *
 * Phase 2 lags phase 1 by 120 degrees, phase 3 leads it by 120 degrees. 1024 samples hold
 * exactly 5 mains cycles, so sin(h * theta_n) comes from one 1024-entry table, and the phase
 * offset is applied with sin(a + b) = sin a cos b + cos a sin b.
 */
#include <math.h>

#include "job.h"
#include "waveform.h"

float32_t waveform[N_CHANNELS][SAMPLES];

#define TABLE_LEN 1024u
#define CYCLES_PER_TABLE 5u /* TABLE_LEN * MAINS_HZ / FS_HZ */
#define TWO_PI 6.283185307179586

struct harmonic {
    uint32_t order;
    float32_t ratio; /* to the fundamental */
};

#define MAX_HARMONICS 8u

static const struct harmonic u_harmonics[] = {{1, 1.0f}, {3, 0.05f}, {5, 0.06f}, {7, 0.05f}};
static const struct harmonic i_harmonics[] = {{1, 1.0f}, {3, 0.10f}, {5, 0.05f}};

static float32_t sine[TABLE_LEN]; /* sin(2 pi i / TABLE_LEN) */

/* One phase quantity: peak * sum_h ratio_h * sin(h * (theta_n + phase)). */
static void synthesize_channel(float32_t *out, double rms, const struct harmonic *harmonics,
                               uint32_t count, double phase)
{
    const float32_t peak = (float32_t)(rms * sqrt(2.0));
    float32_t cos_shift[MAX_HARMONICS];
    float32_t sin_shift[MAX_HARMONICS];
    if (count > MAX_HARMONICS) {
        count = MAX_HARMONICS;
    }
    for (uint32_t j = 0; j < count; j++) {
        cos_shift[j] = (float32_t)cos(harmonics[j].order * phase);
        sin_shift[j] = (float32_t)sin(harmonics[j].order * phase);
    }
    for (uint32_t n = 0; n < SAMPLES; n++) {
        float32_t x = 0.0f;
        for (uint32_t j = 0; j < count; j++) {
            const uint32_t i = (harmonics[j].order * CYCLES_PER_TABLE * n) % TABLE_LEN;
            const float32_t s = sine[i];
            const float32_t c = sine[(i + TABLE_LEN / 4u) % TABLE_LEN];
            x += harmonics[j].ratio * (s * cos_shift[j] + c * sin_shift[j]);
        }
        out[n] = peak * x;
    }
}

void waveform_synthesize(void)
{
    for (uint32_t i = 0; i < TABLE_LEN; i++) {
        sine[i] = (float32_t)sin(TWO_PI * (double)i / (double)TABLE_LEN);
    }
    const uint32_t nu = sizeof u_harmonics / sizeof u_harmonics[0];
    const uint32_t ni = sizeof i_harmonics / sizeof i_harmonics[0];
    for (uint32_t ph = 0; ph < N_PHASES; ph++) {
        const double phase = -TWO_PI / 3.0 * (double)ph; /* 0, -120, -240 (= +120) degrees */
        synthesize_channel(waveform[CH_U1 + ph], U_RMS_FUNDAMENTAL, u_harmonics, nu, phase);
        synthesize_channel(waveform[CH_I1 + ph], I_RMS_FUNDAMENTAL, i_harmonics, ni, phase);
    }
    for (uint32_t n = 0; n < SAMPLES; n++) {
        waveform[CH_IN][n] = waveform[CH_I1][n] + waveform[CH_I2][n] + waveform[CH_I3][n];
    }
}
