//! Local fakes of the ad platforms' conversion APIs (Microsoft Advertising, Meta's Conversions
//! API), on the CRM fakes' harness ([`crate::crm_fakes::Fake`]). Each checks every request as
//! the real API documents it (paths, headers, exact body keys, time formats, the hashes of
//! normalised contact details against the published vectors, the token); what does not pass
//! is answered as the real API answers it AND noted in `problems`, which every test asserts is
//! empty.

mod meta;
mod microsoft;

pub use meta::{FakeMeta, META_PIXEL, META_TEST_CODE, META_TOKEN, META_VERSION};
pub use microsoft::{
    FakeMicrosoft, MS_ACCOUNT_ID, MS_CLIENT_ID, MS_CLIENT_SECRET, MS_CUSTOMER_ID, MS_DEVELOPER_TOKEN, MS_GOAL,
    MS_REFRESH_TOKEN, MS_TOKEN_PATH,
};

/// Whether `text` is a SHA-256 in lowercase hex.
fn is_sha256_hex(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}
