#![no_main]
// The body is in bodies.rs, shared with the stable harness tests/fuzz.rs.
libfuzzer_sys::fuzz_target!(|data: &[u8]| mcpc_fuzz::fmt(data));
