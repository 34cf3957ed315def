//! Readers of recorded waveforms that stream: WAV (with a JSON sidecar or a channel map), CSV
//! and MATLAB level-5 MAT-files.
