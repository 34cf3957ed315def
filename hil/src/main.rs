//! hil
fn main() {}
