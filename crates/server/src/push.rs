//! Sending a Web Push message: encrypted for the browser (RFC 8291, aes128gcm) and signed with
//! the install's VAPID key (RFC 8292), posted to the browser's push service through the
//! outbound client. The key is derived from the install secret (`core::web_push::vapid_seed`),
//! so every server of an install signs alike and nothing is stored.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use leadline_core::secret::Secret;
use leadline_core::web_push::{PushSubscription, vapid_seed};
use std::time::Duration;
use web_push_native::jwt_simple::algorithms::{ECDSAP256KeyPairLike, ES256KeyPair};
use web_push_native::jwt_simple::claims::Claims;
use web_push_native::jwt_simple::prelude::Duration as JwtDuration;
use web_push_native::p256::elliptic_curve::sec1::ToEncodedPoint;
use web_push_native::{Auth, WebPushBuilder, p256};

/// How long a push service keeps an alert for a browser that is offline.
const TIME_TO_LIVE: Duration = Duration::from_secs(24 * 3600);
/// How long a VAPID token is good for (RFC 8292 allows up to 24 hours).
const VAPID_HOURS: u64 = 12;

/// The install's VAPID key pair. No `Debug`: it holds the private key.
pub struct PushKey {
    pair: ES256KeyPair,
    /// The public key as browsers take it (`applicationServerKey`): base64url, uncompressed.
    public: String,
}

/// What a push service answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pushed {
    /// Taken for delivery (201).
    Accepted,
    /// The subscription is gone (404, 410): forget the browser.
    Gone,
    /// Worth trying again later (429, 5xx, no answer).
    Retry(String),
    /// Refused for good (a bad request, a key the service does not take).
    Refused(String),
}

impl PushKey {
    /// The key pair of the install whose secret is `secret`.
    pub fn from_secret(secret: &Secret) -> Self {
        for attempt in 0..=u8::MAX {
            let seed = vapid_seed(secret, attempt);
            let (Ok(pair), Ok(secret_key)) = (ES256KeyPair::from_bytes(&seed), p256::SecretKey::from_slice(&seed))
            else {
                continue;
            };
            let point = secret_key.public_key().to_encoded_point(false);
            return Self {
                pair,
                public: URL_SAFE_NO_PAD.encode(point.as_bytes()),
            };
        }
        unreachable!("one of 256 HKDF outputs is a P-256 scalar")
    }

    /// The public key, base64url, for the browser's `pushManager.subscribe`.
    pub fn public_key(&self) -> &str {
        &self.public
    }

    /// Posts `payload` to `subscription`'s push service, signed for `contact` (a `mailto:` or
    /// `https:` address the push service can reach the sender at).
    pub async fn send(
        &self,
        http: &reqwest::Client,
        subscription: &PushSubscription,
        payload: &[u8],
        contact: &str,
        timeout: Duration,
    ) -> Pushed {
        let request = match self.request(subscription, payload, contact) {
            Ok(request) => request,
            Err(why) => return Pushed::Refused(why),
        };
        let (parts, body) = request.into_parts();
        let sent = http
            .post(parts.uri.to_string())
            .headers(parts.headers)
            .header("Urgency", "high")
            .timeout(timeout)
            .body(body)
            .send()
            .await;
        let response = match sent {
            Ok(response) => response,
            Err(e) => return Pushed::Retry(format!("the push service did not answer: {e}")),
        };
        let status = response.status();
        let said = response.text().await.unwrap_or_default();
        let said: String = said.chars().take(200).collect();
        match status.as_u16() {
            200..=299 => Pushed::Accepted,
            404 | 410 => Pushed::Gone,
            429 | 500..=599 => Pushed::Retry(format!("the push service answered {status}: {said}")),
            _ => Pushed::Refused(format!("the push service answered {status}: {said}")),
        }
    }

    fn request(
        &self,
        subscription: &PushSubscription,
        payload: &[u8],
        contact: &str,
    ) -> Result<http::Request<Vec<u8>>, String> {
        let endpoint = subscription
            .endpoint()
            .parse()
            .map_err(|e| format!("the endpoint is not a URL: {e}"))?;
        let browser = p256::PublicKey::from_sec1_bytes(&subscription.p256dh_bytes())
            .map_err(|_| "the browser's key is not a P-256 point".to_owned())?;
        let auth = subscription.auth_bytes();
        let mut request = WebPushBuilder::new(endpoint, browser, Auth::clone_from_slice(&auth))
            .with_valid_duration(TIME_TO_LIVE)
            .build(payload.to_vec())
            .map_err(|e| format!("the message could not be encrypted: {e}"))?;
        let vapid = self.vapid(subscription.endpoint(), contact)?;
        let value = http::HeaderValue::from_str(&vapid).map_err(|e| format!("the VAPID header: {e}"))?;
        request.headers_mut().insert(http::header::AUTHORIZATION, value);
        Ok(request)
    }

    /// `Authorization: vapid t=<JWT>, k=<public key>` (RFC 8292): an ES256 token for the push
    /// service's origin (scheme, host and port: the crate's own header leaves a port out), valid
    /// 12 hours, naming `contact`.
    fn vapid(&self, endpoint: &str, contact: &str) -> Result<String, String> {
        let origin = url::Url::parse(endpoint)
            .map_err(|e| format!("the endpoint is not a URL: {e}"))?
            .origin()
            .ascii_serialization();
        let claims = Claims::create(JwtDuration::from_hours(VAPID_HOURS))
            .with_audience(origin)
            .with_subject(contact);
        let token = self
            .pair
            .sign(claims)
            .map_err(|e| format!("the VAPID token could not be signed: {e}"))?;
        Ok(format!("vapid t={token}, k={}", self.public))
    }
}
