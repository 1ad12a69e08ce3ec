//! Each request's id: the client's `x-request-id` when it sends one, else a random UUID (v4)
//! drawn from the thread's own generator. tower-http's `MakeRequestUuid` asks the kernel for
//! its randomness once per request (`getrandom`), which took about 2% of a bare request's
//! samples; an id needs to be unique, and `rand`'s thread generator, seeded once from the
//! kernel, gives as many random bits from user space.

use axum::http::{HeaderValue, Request};
use tower_http::request_id::{MakeRequestId, RequestId};

/// Makes a random UUID (v4) per request.
#[derive(Debug, Clone, Copy, Default)]
pub struct MakeRandomId;

impl MakeRequestId for MakeRandomId {
    fn make_request_id<B>(&mut self, _: &Request<B>) -> Option<RequestId> {
        Some(RequestId::new(random_uuid()))
    }
}

/// A version 4 UUID in its lower-case hyphenated form, as a header value.
fn random_uuid() -> HeaderValue {
    let uuid = uuid::Builder::from_random_bytes(rand::random()).into_uuid();
    let mut text = [0u8; uuid::fmt::Hyphenated::LENGTH];
    let text = uuid.hyphenated().encode_lower(&mut text);
    HeaderValue::from_str(text).expect("a UUID's text is a valid header value")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn every_request_gets_a_different_version_4_uuid() {
        let mut make = MakeRandomId;
        let request = Request::new(());
        let ids: HashSet<String> = (0..1_000)
            .map(|_| {
                let id = make.make_request_id(&request).expect("an id");
                id.header_value().to_str().expect("text").to_owned()
            })
            .collect();
        assert_eq!(ids.len(), 1_000);
        for id in &ids {
            let parsed = uuid::Uuid::parse_str(id).expect("a UUID");
            assert_eq!(parsed.get_version(), Some(uuid::Version::Random), "{id}");
            assert_eq!(parsed.get_variant(), uuid::Variant::RFC4122, "{id}");
            assert_eq!(id, &parsed.hyphenated().to_string(), "lower-case hyphenated");
        }
    }
}
