//! Keyed digests under the install secret: the token that proves a browser registered a
//! visit, and the daily digest that stands in for a visitor on cookie-less sites.

use crate::BusinessId;
use crate::secret::Secret;
use crate::site::SiteKey;
use crate::visit::VisitRef;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

type HmacSha256 = Hmac<Sha256>;

pub(crate) fn mac(secret: &Secret, parts: &[&str]) -> Vec<u8> {
    let mut mac = HmacSha256::new_from_slice(secret.expose().as_bytes()).expect("HMAC takes keys of any length");
    for part in parts {
        mac.update(part.as_bytes());
        // A separator that cannot occur in the parts keeps ("ab","c") apart from ("a","bc").
        mac.update(&[0]);
    }
    mac.finalize().into_bytes().to_vec()
}

/// The token issued with a visit: base64url(HMAC-SHA256(secret, "visit", site key, visit id)).
pub fn visit_token(secret: &Secret, site: &SiteKey, visit: &VisitRef) -> String {
    URL_SAFE_NO_PAD.encode(mac(secret, &["visit", site.as_str(), visit.as_str()]))
}

/// Whether `token` is the one issued for this visit of this site (constant time).
pub fn verify_visit_token(secret: &Secret, site: &SiteKey, visit: &VisitRef, token: &str) -> bool {
    let expected = visit_token(secret, site, visit);
    expected.len() == token.len() && bool::from(expected.as_bytes().ct_eq(token.as_bytes()))
}

/// A visitor digest for cookie-less sites: the same browser (address and user agent) on the
/// same site and UTC day gives the same 32 hex digits; it cannot be reversed, and it changes
/// every day, so nothing follows a person across days.
pub fn anonymous_digest(secret: &Secret, site: &SiteKey, ip: &str, user_agent: &str, day: &str) -> String {
    mac(secret, &["anon", site.as_str(), ip, user_agent, day])
        .iter()
        .take(16)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The signature of a link to a call's recording, good until `until_s` (seconds since the
/// epoch): base64url(HMAC-SHA256(secret, "recording", business, ref, until)).
pub fn recording_link_signature(secret: &Secret, business: BusinessId, record_ref: u64, until_s: i64) -> String {
    let (business, record_ref, until) = (business.0.to_string(), record_ref.to_string(), until_s.to_string());
    URL_SAFE_NO_PAD.encode(mac(secret, &["recording", &business, &record_ref, &until]))
}

/// Whether a recording link is signed for this call of this business and still good at
/// `now_s` (constant-time comparison).
pub fn verify_recording_link(
    secret: &Secret,
    business: BusinessId,
    record_ref: u64,
    until_s: i64,
    signature: &str,
    now_s: i64,
) -> bool {
    let expected = recording_link_signature(secret, business, record_ref, until_s);
    now_s <= until_s && expected.len() == signature.len() && bool::from(expected.as_bytes().ct_eq(signature.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret() -> Secret {
        Secret::new("an install secret of enough length")
    }

    #[test]
    fn a_token_verifies_only_for_its_visit_and_site() {
        let site = SiteKey::generate();
        let visit = VisitRef::generate();
        let token = visit_token(&secret(), &site, &visit);
        assert!(verify_visit_token(&secret(), &site, &visit, &token));
        assert!(!verify_visit_token(&secret(), &site, &VisitRef::generate(), &token));
        assert!(!verify_visit_token(&secret(), &SiteKey::generate(), &visit, &token));
        assert!(!verify_visit_token(
            &Secret::new("another secret"),
            &site,
            &visit,
            &token
        ));
        assert!(!verify_visit_token(&secret(), &site, &visit, &token[1..]));
    }

    #[test]
    fn anonymous_digests_are_stable_per_day_and_differ_across_days() {
        let site = SiteKey::generate();
        let today = anonymous_digest(&secret(), &site, "203.0.113.7", "Mozilla/5.0", "2026-11-28");
        assert_eq!(
            today,
            anonymous_digest(&secret(), &site, "203.0.113.7", "Mozilla/5.0", "2026-11-28")
        );
        assert_ne!(
            today,
            anonymous_digest(&secret(), &site, "203.0.113.7", "Mozilla/5.0", "2026-11-29")
        );
        assert_ne!(
            today,
            anonymous_digest(&secret(), &site, "203.0.113.8", "Mozilla/5.0", "2026-11-28")
        );
        assert_eq!(today.len(), 32);
    }

    #[test]
    fn a_recording_link_opens_only_its_call_of_its_business_until_it_expires() {
        let signature = recording_link_signature(&secret(), BusinessId(1), 1042, 1_000);
        assert!(verify_recording_link(
            &secret(),
            BusinessId(1),
            1042,
            1_000,
            &signature,
            1_000
        ));
        assert!(
            !verify_recording_link(&secret(), BusinessId(1), 1042, 1_000, &signature, 1_001),
            "expired"
        );
        assert!(
            !verify_recording_link(&secret(), BusinessId(2), 1042, 1_000, &signature, 10),
            "another business"
        );
        assert!(
            !verify_recording_link(&secret(), BusinessId(1), 1043, 1_000, &signature, 10),
            "another call"
        );
        assert!(
            !verify_recording_link(&secret(), BusinessId(1), 1042, 2_000, &signature, 10),
            "a later expiry"
        );
    }
}
