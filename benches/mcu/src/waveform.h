/* Synthesis of the 7-channel test signal into RAM (run once at start-up, not timed). */
#ifndef WAVEFORM_H
#define WAVEFORM_H

/* Nominal values the checks compare against. */
#define U_RMS_FUNDAMENTAL 230.0
#define I_RMS_FUNDAMENTAL 10.0

void waveform_synthesize(void);

#endif /* WAVEFORM_H */
