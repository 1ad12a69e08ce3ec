//! Whether a conversion may go to ad platforms: the visitor's advertising consent signal
//! ([`AdConsent`], as the snippet read it when the visit was registered) and the site's choice
//! ([`AdsPolicy`], its *Ad platforms* setting), decided together by [`ads_allowed`]. Only the
//! conversions sent to ad platforms by API are concerned; analytics consent is the visitor
//! key's kind ([`crate::visitor::VisitorKey::without_consent`]). See docs/consent.md.

use crate::Invalid;
use serde::{Deserialize, Serialize};

/// A visitor's advertising consent, as the snippet read it: Google Consent Mode's
/// `ad_storage` and `ad_user_data`, `leadline.consent(…)`, Global Privacy Control.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum AdConsent {
    /// No signal said either way (and every visit registered before the signal was read).
    #[default]
    Unknown,
    /// The signal granted advertising storage (`ad_storage: 'granted'` with `ad_user_data`
    /// not denied, or `leadline.consent(true)`).
    Granted,
    /// The signal refused it (`ad_storage` or `ad_user_data` denied, `leadline.consent(false)`,
    /// or Global Privacy Control).
    Denied,
}

impl AdConsent {
    /// Every consent, for tests and forms.
    pub const ALL: [AdConsent; 3] = [Self::Unknown, Self::Granted, Self::Denied];

    /// The signal as the visit API sends it: `granted` or `denied` (unknown is left out).
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        match input {
            "granted" => Ok(Self::Granted),
            "denied" => Ok(Self::Denied),
            other => Err(Invalid::new(
                "ads",
                format!("ads is 'granted' or 'denied' (or left out when unknown), not '{other}'"),
            )),
        }
    }

    /// As stored in `visits.ads_consent` (and read back by [`AdConsent::parse`]): `None` for
    /// unknown.
    pub fn as_stored(&self) -> Option<&'static str> {
        match self {
            Self::Unknown => None,
            Self::Granted => Some("granted"),
            Self::Denied => Some("denied"),
        }
    }
}

/// A site's *Ad platforms* setting: which of its conversions go to ad platforms by API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AdsPolicy {
    /// Send unless the visitor's signal refused advertising (the default).
    #[default]
    Signal,
    /// Send only when the signal explicitly granted it: for sites whose consent banner is
    /// opt-in (in the EEA, for instance), where no signal means no consent yet.
    GrantedOnly,
    /// Send none of the site's conversions to ad platforms.
    Never,
}

impl AdsPolicy {
    /// Every policy, loosest first.
    pub const ALL: [AdsPolicy; 3] = [Self::Signal, Self::GrantedOnly, Self::Never];

    /// The name stored and shown: `signal`, `granted_only`, `never`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Signal => "signal",
            Self::GrantedOnly => "granted_only",
            Self::Never => "never",
        }
    }

    /// Parses a name as forms and the command line write it (`granted-only` too).
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        let input = input.trim();
        Self::ALL
            .into_iter()
            .find(|p| p.as_str() == input.replace('-', "_"))
            .ok_or_else(|| {
                Invalid::new(
                    "ad platforms",
                    format!("'{input}' is not one of signal, granted_only, never"),
                )
            })
    }
}

/// Why a conversion goes to no ad platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AdsRefused {
    #[error("the visitor's consent signal refused advertising")]
    VisitorRefused,
    #[error("the site sends only conversions whose visitor's consent signal granted advertising")]
    NotGranted,
    #[error("the site sends no conversions to ad platforms")]
    SiteNever,
}

/// Whether a conversion whose visitor's signal was `consent` may go to ad platforms from a
/// site with `policy`, and if not, why. The site's `never` comes first, then the visitor's
/// refusal, then the lack of a grant.
pub fn ads_decision(policy: AdsPolicy, consent: AdConsent) -> Result<(), AdsRefused> {
    match (policy, consent) {
        (AdsPolicy::Never, _) => Err(AdsRefused::SiteNever),
        (_, AdConsent::Denied) => Err(AdsRefused::VisitorRefused),
        (AdsPolicy::GrantedOnly, AdConsent::Unknown) => Err(AdsRefused::NotGranted),
        (AdsPolicy::Signal, _) | (AdsPolicy::GrantedOnly, AdConsent::Granted) => Ok(()),
    }
}

/// Whether a conversion whose visitor's signal was `consent` may go to ad platforms from a
/// site with `policy`.
pub fn ads_allowed(policy: AdsPolicy, consent: AdConsent) -> bool {
    ads_decision(policy, consent).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn policy() -> impl Strategy<Value = AdsPolicy> {
        proptest::sample::select(AdsPolicy::ALL.to_vec())
    }

    fn consent() -> impl Strategy<Value = AdConsent> {
        proptest::sample::select(AdConsent::ALL.to_vec())
    }

    /// How strict a policy is: a stricter one sends a subset of what a looser one sends.
    fn strictness(policy: AdsPolicy) -> usize {
        AdsPolicy::ALL.iter().position(|p| *p == policy).unwrap()
    }

    proptest! {
        #[test]
        fn a_refusal_is_never_sent_and_never_means_never(policy in policy(), consent in consent()) {
            if consent == AdConsent::Denied || policy == AdsPolicy::Never {
                prop_assert!(!ads_allowed(policy, consent));
            }
        }

        #[test]
        fn each_policy_sends_exactly_what_it_says(policy in policy(), consent in consent()) {
            let expected = match policy {
                AdsPolicy::Signal => consent != AdConsent::Denied,
                AdsPolicy::GrantedOnly => consent == AdConsent::Granted,
                AdsPolicy::Never => false,
            };
            prop_assert_eq!(ads_allowed(policy, consent), expected);
        }

        #[test]
        fn a_stricter_policy_sends_no_more(a in policy(), b in policy(), consent in consent()) {
            let (loose, strict) = if strictness(a) <= strictness(b) { (a, b) } else { (b, a) };
            prop_assert!(!ads_allowed(strict, consent) || ads_allowed(loose, consent));
        }

        #[test]
        fn a_grant_is_sent_wherever_the_site_sends(policy in policy()) {
            prop_assert_eq!(ads_allowed(policy, AdConsent::Granted), policy != AdsPolicy::Never);
        }
    }

    #[test]
    fn the_reason_names_who_said_no() {
        use AdsRefused::*;
        assert_eq!(ads_decision(AdsPolicy::Never, AdConsent::Denied), Err(SiteNever));
        assert_eq!(ads_decision(AdsPolicy::Signal, AdConsent::Denied), Err(VisitorRefused));
        assert_eq!(
            ads_decision(AdsPolicy::GrantedOnly, AdConsent::Denied),
            Err(VisitorRefused)
        );
        assert_eq!(
            ads_decision(AdsPolicy::GrantedOnly, AdConsent::Unknown),
            Err(NotGranted)
        );
        assert!(VisitorRefused.to_string().contains("refused advertising"));
    }

    #[test]
    fn names_read_back() {
        for policy in AdsPolicy::ALL {
            assert_eq!(AdsPolicy::parse(policy.as_str()).unwrap(), policy);
            let json = serde_json::to_string(&policy).unwrap();
            assert_eq!(json, format!("\"{}\"", policy.as_str()));
        }
        assert_eq!(AdsPolicy::parse("granted-only").unwrap(), AdsPolicy::GrantedOnly);
        assert!(
            AdsPolicy::parse("sometimes")
                .unwrap_err()
                .reason
                .contains("granted_only")
        );
        for consent in AdConsent::ALL {
            let read = consent.as_stored().map(|s| AdConsent::parse(s).unwrap());
            assert_eq!(read.unwrap_or_default(), consent);
        }
        let err = AdConsent::parse("yes").unwrap_err();
        assert_eq!(err.what, "ads");
        assert!(err.reason.contains("'yes'"), "{}", err.reason);
    }
}
