//! Any bytes as an e-mail, the subject up to the first newline and the body after it: read
//! or refused, never a panic, and what is read keeps the parser's promises.
#![no_main]

use leadline_core::reply;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (subject, body) = text.split_once('\n').unwrap_or((&text, ""));
    leadline_core_fuzz::check(reply::parse_email(subject, body));
});
