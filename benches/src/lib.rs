//! Criterion benches of the percycle engine live in `benches/`; this library is empty.
