//! The flood defence of visit registration (docs/visit-api.md, "Flood defence"): whether a
//! site is under a flood, how hard the proof of work it asks for is, the challenge bound to a
//! visit and its site, and whether a proof answers it. Pure: the server keeps each site's
//! [`FloodWatch`] in memory and the clock.
//!
//! A registration without a proof takes one from the site's quota. Once the quota refuses one,
//! the site is under a flood for [`HOLD_MS`] after the last refusal: every registration without
//! a proof then gets a challenge and no code (nothing is stored), so a script that does not run
//! the page's JavaScript never holds a code while the flood lasts, and the quota never refuses
//! a visitor who proves themselves.

use crate::Invalid;
use crate::secret::Secret;
use crate::site::SiteKey;
use crate::token::mac;
use crate::visit::VisitRef;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// How long a site stays under a flood after the last registration its quota refused.
pub const HOLD_MS: i64 = 60_000;
/// How long a challenge may be answered.
pub const CHALLENGE_TTL_MS: i64 = 120_000;
/// The difficulty (leading zero bits) of a flood as strong as the quota: about a thousand
/// hashes, a tenth of a second for the snippet.
pub const BASE_BITS: u8 = 10;
/// The highest difficulty, however strong the flood: about 65,000 hashes.
pub const MAX_BITS: u8 = 16;
/// The longest nonce read: decimal digits.
const MAX_NONCE: usize = 16;
const WINDOW_MS: i64 = 60_000;

/// What the server remembers of a site's registrations without a proof.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FloodWatch {
    /// Until when the site is under a flood (milliseconds since the epoch; 0: never).
    pub until_ms: i64,
    /// When the current minute's window began.
    pub window_ms: i64,
    /// Registrations the quota refused in the current window.
    pub over: u32,
    /// Registrations the quota refused in the window before.
    pub over_before: u32,
}

impl FloodWatch {
    /// Whether the watch can be forgotten at `now_ms` (no flood, nothing counted lately).
    pub fn is_quiet(&self, now_ms: i64) -> bool {
        now_ms >= self.until_ms && now_ms - self.window_ms >= 2 * WINDOW_MS
    }
}

/// What a registration without a proof gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// Registered as usual, with its code.
    Open,
    /// Under a flood: a challenge of this difficulty, no code.
    Prove { bits: u8 },
}

/// The watch after one registration without a proof at `now_ms`, `within_quota` saying whether
/// the site's quota (`quota_per_minute`) took it, and what the registration gets.
pub fn admit(watch: FloodWatch, within_quota: bool, quota_per_minute: u32, now_ms: i64) -> (FloodWatch, Admission) {
    let mut next = watch;
    let elapsed = now_ms - watch.window_ms;
    if elapsed >= WINDOW_MS {
        next.over_before = if elapsed < 2 * WINDOW_MS { watch.over } else { 0 };
        next.over = 0;
        next.window_ms = now_ms;
    }
    if !within_quota {
        next.over = next.over.saturating_add(1);
        next.until_ms = now_ms + HOLD_MS;
    }
    let admission = if now_ms < next.until_ms {
        Admission::Prove {
            bits: difficulty(next.over.max(next.over_before), quota_per_minute),
        }
    } else {
        Admission::Open
    };
    (next, admission)
}

/// The difficulty for a flood that pushed `over` registrations past a quota of
/// `quota_per_minute` in a minute: [`BASE_BITS`], one bit more (twice the work) each time the
/// flood doubles, at most [`MAX_BITS`].
pub fn difficulty(over: u32, quota_per_minute: u32) -> u8 {
    let times = 1 + over / quota_per_minute.max(1);
    let extra = u8::try_from(times.ilog2()).unwrap_or(u8::MAX);
    BASE_BITS.saturating_add(extra).min(MAX_BITS)
}

/// A challenge: the visit it will register, its difficulty, until when it may be answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    pub visit: VisitRef,
    pub bits: u8,
    pub expires_ms: i64,
}

impl Challenge {
    /// A challenge for a new visit, of difficulty `bits`, issued at `now_ms` (bound to a site by
    /// its [`Challenge::text`]).
    pub fn issue(bits: u8, now_ms: i64) -> Self {
        Self {
            visit: VisitRef::generate(),
            bits,
            expires_ms: now_ms + CHALLENGE_TTL_MS,
        }
    }

    /// Its text, `visit.bits.expires.mac`, the MAC binding it to the site under the secret.
    pub fn text(&self, secret: &Secret, site: &SiteKey) -> String {
        format!(
            "{}.{}.{}.{}",
            self.visit,
            self.bits,
            self.expires_ms,
            self.signature(secret, site)
        )
    }

    fn signature(&self, secret: &Secret, site: &SiteKey) -> String {
        let (bits, expires) = (self.bits.to_string(), self.expires_ms.to_string());
        let digest = mac(secret, &["flood", site.as_str(), self.visit.as_str(), &bits, &expires]);
        URL_SAFE_NO_PAD.encode(&digest[..16])
    }
}

/// Why a proof was not taken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProofError {
    /// The challenge or nonce is not of their form, or the work falls short: a 400.
    Invalid(Invalid),
    /// The challenge was not issued for this site (or was altered): a 403.
    Foreign,
}

impl From<Invalid> for ProofError {
    fn from(invalid: Invalid) -> Self {
        Self::Invalid(invalid)
    }
}

/// Checks `nonce` against `challenge` for `site` at `now_ms`: the challenge was issued for this
/// site and has not expired, and SHA-256 of the challenge followed by the nonce starts with its
/// difficulty's zero bits. Answers the visit the challenge was issued for (the caller refuses
/// a visit that already exists: a replayed proof).
pub fn check_proof(
    secret: &Secret,
    site: &SiteKey,
    challenge: &str,
    nonce: &str,
    now_ms: i64,
) -> Result<Challenge, ProofError> {
    let malformed = || {
        Invalid::new(
            "proof",
            "the challenge is not one Leadline issued (visit.bits.expires.mac)",
        )
    };
    let mut parts = challenge.splitn(4, '.');
    let (Some(visit), Some(bits), Some(expires), Some(signature)) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(malformed().into());
    };
    let issued = Challenge {
        visit: VisitRef::parse(visit).map_err(|_| malformed())?,
        bits: bits.parse().map_err(|_| malformed())?,
        expires_ms: expires.parse().map_err(|_| malformed())?,
    };
    let expected = issued.signature(secret, site);
    if expected.len() != signature.len() || !bool::from(expected.as_bytes().ct_eq(signature.as_bytes())) {
        return Err(ProofError::Foreign);
    }
    if now_ms >= issued.expires_ms {
        return Err(Invalid::new("proof", "the challenge has expired; register again for a new one").into());
    }
    if nonce.is_empty() || nonce.len() > MAX_NONCE || !nonce.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Invalid::new("proof", format!("the nonce must be 1 to {MAX_NONCE} decimal digits")).into());
    }
    if !meets(challenge, nonce, issued.bits) {
        return Err(Invalid::new("proof", "the nonce does not answer the challenge").into());
    }
    Ok(issued)
}

/// Whether SHA-256(`challenge` `nonce`) starts with `bits` zero bits.
pub fn meets(challenge: &str, nonce: &str, bits: u8) -> bool {
    let hash = Sha256::new()
        .chain_update(challenge.as_bytes())
        .chain_update(nonce.as_bytes())
        .finalize();
    leading_zeros(&hash) >= u32::from(bits)
}

fn leading_zeros(bytes: &[u8]) -> u32 {
    let mut zeros = 0;
    for byte in bytes {
        zeros += byte.leading_zeros();
        if *byte != 0 {
            break;
        }
    }
    zeros
}

/// The first nonce that answers `challenge` at difficulty `bits`, as the snippet finds it (for
/// tests and tools; the server never solves).
pub fn solve(challenge: &str, bits: u8) -> String {
    (0u64..)
        .map(|n| n.to_string())
        .find(|nonce| meets(challenge, nonce, bits))
        .expect("some nonce answers")
}

#[cfg(test)]
#[path = "flood_tests.rs"]
mod tests;
