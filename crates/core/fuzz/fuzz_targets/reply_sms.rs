//! Any bytes as an SMS body: read or refused, never a panic, and what is read keeps the
//! parser's promises.
#![no_main]

use leadline_core::reply;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    leadline_core_fuzz::check(reply::parse_sms(&text));
});
