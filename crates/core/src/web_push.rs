//! Web Push (RFC 8030, 8291, 8292): a member's browser subscribed to their alerts, as the
//! browser's Push API describes it (an endpoint at its push service and the keys that encrypt
//! for it), and the server's VAPID key, derived from the install secret so every server of an
//! install signs with the same key and nothing more is kept.

use crate::secret::Secret;
use crate::store::StoreResult;
use crate::{BusinessId, Invalid, UserId};
use async_trait::async_trait;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hkdf::Hkdf;
use sha2::Sha256;

/// The longest endpoint kept (push services' URLs are a few hundred characters).
const MAX_ENDPOINT: usize = 2048;

/// A browser's push subscription: where to post (its push service's endpoint) and its keys,
/// checked once here (`PushSubscription.toJSON()` in the browser gives all three).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushSubscription {
    endpoint: String,
    p256dh: String,
    auth: String,
}

impl PushSubscription {
    /// Checks the endpoint (an `https` URL; `http` only on this machine, for a local push
    /// service), the browser's P-256 public key (65 bytes, uncompressed) and its auth secret
    /// (16 bytes), both base64url as browsers give them.
    pub fn parse(endpoint: &str, p256dh: &str, auth: &str) -> Result<Self, Invalid> {
        let endpoint = endpoint.trim();
        let local = ["http://127.0.0.1:", "http://localhost:", "http://[::1]:"]
            .iter()
            .any(|prefix| endpoint.starts_with(prefix));
        if !(endpoint.starts_with("https://") || local)
            || endpoint.len() > MAX_ENDPOINT
            || endpoint.chars().any(|c| c.is_control() || c.is_whitespace())
        {
            return Err(Invalid::new(
                "endpoint",
                format!("a push service's https URL of at most {MAX_ENDPOINT} characters"),
            ));
        }
        let key = decoded("p256dh", p256dh)?;
        if key.len() != 65 || key[0] != 4 {
            return Err(Invalid::new("p256dh", "an uncompressed P-256 public key (65 bytes)"));
        }
        if decoded("auth", auth)?.len() != 16 {
            return Err(Invalid::new("auth", "a 16-byte authentication secret"));
        }
        Ok(Self {
            endpoint: endpoint.to_owned(),
            p256dh: p256dh.trim().trim_end_matches('=').to_owned(),
            auth: auth.trim().trim_end_matches('=').to_owned(),
        })
    }

    /// The push service's URL.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// The browser's public key, base64url.
    pub fn p256dh(&self) -> &str {
        &self.p256dh
    }

    /// The browser's authentication secret, base64url.
    pub fn auth(&self) -> &str {
        &self.auth
    }

    /// The browser's public key's bytes (checked when parsed).
    pub fn p256dh_bytes(&self) -> Vec<u8> {
        URL_SAFE_NO_PAD.decode(&self.p256dh).unwrap_or_default()
    }

    /// The authentication secret's bytes (checked when parsed).
    pub fn auth_bytes(&self) -> Vec<u8> {
        URL_SAFE_NO_PAD.decode(&self.auth).unwrap_or_default()
    }
}

fn decoded(field: &'static str, text: &str) -> Result<Vec<u8>, Invalid> {
    URL_SAFE_NO_PAD
        .decode(text.trim().trim_end_matches('='))
        .map_err(|_| Invalid::new(field, "not base64url"))
}

/// The 32 bytes of the install's VAPID private key, try `attempt` (a P-256 scalar must be
/// below the group order: a seed that is not one, about once in 2^32, is followed by the next).
/// HKDF-SHA256 of the install secret under its own label, so the key says nothing of the secret
/// and changes with it.
pub fn vapid_seed(secret: &Secret, attempt: u8) -> [u8; 32] {
    let hkdf = Hkdf::<Sha256>::new(Some(b"leadline web push"), secret.expose().as_bytes());
    let mut seed = [0u8; 32];
    hkdf.expand(&[b"vapid p-256 key ".as_slice(), &[attempt]].concat(), &mut seed)
        .expect("32 bytes is a valid HKDF-SHA256 length");
    seed
}

/// Members' browsers subscribed to their alerts.
#[async_trait]
pub trait WebPushStore {
    /// Keeps `user`'s browser subscription in `business` (the same endpoint again replaces its
    /// keys); `NotFound` when they are not a member.
    async fn add_push_subscription(
        &self,
        business: BusinessId,
        user: UserId,
        subscription: &PushSubscription,
    ) -> StoreResult<()>;
    /// `user`'s subscribed browsers in `business`, oldest first.
    async fn push_subscriptions(&self, business: BusinessId, user: UserId) -> StoreResult<Vec<PushSubscription>>;
    /// Forgets a browser (unsubscribed, or gone at its push service); `false` when it was not kept.
    async fn remove_push_subscription(&self, business: BusinessId, user: UserId, endpoint: &str) -> StoreResult<bool>;
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "BLn9b-VR0ca83knDNZ32dCHGyjJp-1riX9ZTN40MqV8K_LpQmLqxC_DoHvqvFXO_nGdAB4W9dogZb_sM-uV4JbY";
    const AUTH: &str = "_ordMnz7uTCmrpBTeUV4Bw";

    #[test]
    fn a_browsers_subscription_is_kept_as_given_and_bad_parts_are_refused_by_name() {
        let sub = PushSubscription::parse("https://fcm.googleapis.com/fcm/send/abc", KEY, AUTH).unwrap();
        assert_eq!(sub.p256dh_bytes().len(), 65);
        assert_eq!(sub.auth_bytes().len(), 16);
        assert!(PushSubscription::parse("http://127.0.0.1:4000/push/1", KEY, AUTH).is_ok());
        for (endpoint, key, auth, field) in [
            ("http://push.example/1", KEY, AUTH, "endpoint"),
            ("javascript:alert(1)", KEY, AUTH, "endpoint"),
            ("https://push.example/a b", KEY, AUTH, "endpoint"),
            ("https://push.example/1", "not*base64", AUTH, "p256dh"),
            ("https://push.example/1", AUTH, AUTH, "p256dh"),
            ("https://push.example/1", KEY, KEY, "auth"),
        ] {
            let error = PushSubscription::parse(endpoint, key, auth).unwrap_err();
            assert!(error.to_string().contains(field), "{endpoint} {key} {auth}: {error}");
        }
    }

    #[test]
    fn the_vapid_key_is_the_same_for_one_secret_and_another_for_another() {
        let one = Secret::new("a".repeat(40));
        assert_eq!(vapid_seed(&one, 0), vapid_seed(&one, 0));
        assert_ne!(vapid_seed(&one, 0), vapid_seed(&one, 1));
        assert_ne!(vapid_seed(&one, 0), vapid_seed(&Secret::new("b".repeat(40)), 0));
    }
}
