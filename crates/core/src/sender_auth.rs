//! Whether an e-mailed reply really comes from its sender's domain (SPF, DKIM, DMARC), and
//! whether a business that asked for it takes the reply. The checks themselves (DNS, the
//! signatures) run at the edge; this is the decision over what they found.

use crate::BusinessId;
use crate::store::StoreResult;
use async_trait::async_trait;

/// What one check found, in the words of RFC 7208 (SPF), RFC 6376 (DKIM) and RFC 7489 (DMARC).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Check {
    /// The check passed.
    Pass,
    /// The domain says the message is not its own (SPF `-all`, a bad signature, DMARC fail).
    Fail,
    /// SPF `~all`: probably not the domain's.
    SoftFail,
    /// The domain says nothing either way (SPF `?all`).
    Neutral,
    /// Nothing to check: no record, no signature.
    None,
    /// The check could not be made now (a DNS error).
    TempError,
    /// The domain's record is broken.
    PermError,
}

impl Check {
    /// What a message's DKIM signatures say together: one pass is a pass; otherwise the first
    /// of fail, temporary error, permanent error and neutral any of them said; none without one.
    pub fn of_signatures(checks: impl IntoIterator<Item = Check>) -> Check {
        let said: Vec<Check> = checks.into_iter().collect();
        [Self::Pass, Self::Fail, Self::TempError, Self::PermError, Self::Neutral]
            .into_iter()
            .find(|check| said.contains(check))
            .unwrap_or(Self::None)
    }

    /// The label used in logs and Authentication-Results (`pass`, `fail`, …).
    pub fn label(self) -> &'static str {
        match self {
            Self::Pass => "pass",
            Self::Fail => "fail",
            Self::SoftFail => "softfail",
            Self::Neutral => "neutral",
            Self::None => "none",
            Self::TempError => "temperror",
            Self::PermError => "permerror",
        }
    }

    /// Reads a result as SendGrid and Mailgun report it (`pass`, `Fail`, `SoftFail`, …); an
    /// unknown word is `None` (nothing known), never a pass.
    pub fn from_label(label: &str) -> Self {
        match label.trim().to_ascii_lowercase().as_str() {
            "pass" => Self::Pass,
            "fail" | "hardfail" => Self::Fail,
            "softfail" => Self::SoftFail,
            "neutral" => Self::Neutral,
            "temperror" => Self::TempError,
            "permerror" => Self::PermError,
            _ => Self::None,
        }
    }
}

/// What the checks of one message found. `dmarc` is `Pass` only when SPF or DKIM passed for a
/// domain aligned with the From address's (RFC 7489 §3.1): a pass for some other domain
/// proves nothing about the From address, which is what a forger writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Verdict {
    /// SPF of the envelope sender (MAIL FROM, else the HELO name) for the client's address.
    pub spf: Check,
    /// The message's DKIM signatures: `Pass` when one passed, `Fail` when one failed and none
    /// passed, `None` without a signature.
    pub dkim: Check,
    /// DMARC over the From domain: `Pass` for an aligned SPF or DKIM pass, `Fail` when the
    /// domain publishes a policy and neither passed aligned, `None` without a policy and
    /// without an aligned pass.
    pub dmarc: Check,
}

/// Why a reply that had to be authenticated was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuthRefusal {
    /// The From domain's DMARC policy says the message is not its own.
    DmarcFail,
    /// The envelope sender's SPF record excludes the client's address.
    SpfFail,
    /// A DKIM signature did not verify.
    DkimFail,
    /// A check could not be made (DNS error): refused rather than taken unproven.
    Unverifiable,
    /// Nothing proves the From domain sent it (no aligned SPF or DKIM pass).
    NotAuthenticated,
}

impl AuthRefusal {
    /// The reason in a sentence, for the sender and the log.
    pub fn reason(self) -> &'static str {
        match self {
            Self::DmarcFail => "the message failed its domain's DMARC check, so it may be forged",
            Self::SpfFail => "the message came from a server its domain's SPF record does not allow",
            Self::DkimFail => "the message's DKIM signature did not verify",
            Self::Unverifiable => "the sender's domain could not be checked (a DNS error): send it again later",
            Self::NotAuthenticated => {
                "nothing shows the message came from its sender's domain (no aligned SPF or DKIM pass)"
            }
        }
    }
}

/// Whether a reply is taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Decision {
    /// Taken: the business does not require authentication, or the reply passed DMARC.
    Accept,
    /// Refused, and why; nothing is changed.
    Refuse(AuthRefusal),
}

/// Whether a business takes a reply with this verdict. A business that does not ask takes
/// every reply (what the verdict is does not matter, and the edge need not compute it). One
/// that asks takes a reply only when DMARC passed, i.e. SPF or DKIM passed for the From
/// domain: as in DMARC, an aligned DKIM pass outweighs an SPF fail (mail forwarded by another
/// server) and is not outweighed by another, foreign signature's failure. Everything else is
/// refused, the most telling reason first: the domain's own DMARC fail, then an explicit SPF
/// or DKIM fail, then a check that could not be made, then the mere absence of proof.
pub fn decide(required: bool, verdict: Verdict) -> Decision {
    if !required || verdict.dmarc == Check::Pass {
        return Decision::Accept;
    }
    let refusal = if verdict.dmarc == Check::Fail {
        AuthRefusal::DmarcFail
    } else if verdict.spf == Check::Fail {
        AuthRefusal::SpfFail
    } else if verdict.dkim == Check::Fail {
        AuthRefusal::DkimFail
    } else if [verdict.spf, verdict.dkim, verdict.dmarc].contains(&Check::TempError) {
        AuthRefusal::Unverifiable
    } else {
        AuthRefusal::NotAuthenticated
    };
    Decision::Refuse(refusal)
}

/// Whether `domain` is aligned with the From domain `author` when no DMARC record names an
/// organizational domain: the same name (strict alignment, RFC 7489 §3.1.1), case aside. A
/// relaxed match would need the organizational domain, which only a record tells.
pub fn strictly_aligned(domain: &str, author: &str) -> bool {
    let trim = |d: &str| d.trim().trim_end_matches('.').to_ascii_lowercase();
    let (domain, author) = (trim(domain), trim(author));
    !author.is_empty() && domain == author
}

/// The business's switch: "Refuse e-mailed replies that fail SPF/DKIM/DMARC".
#[async_trait]
pub trait SenderAuthStore {
    /// Whether the business refuses replies that do not pass DMARC (off until it is set).
    async fn sender_auth_required(&self, business: BusinessId) -> StoreResult<bool>;
    /// Turns the switch on or off; `NotFound` for an unknown business.
    async fn set_sender_auth_required(&self, business: BusinessId, required: bool) -> StoreResult<()>;
}

#[cfg(test)]
mod tests {
    use super::*;
    use Check::*;

    fn verdict(spf: Check, dkim: Check, dmarc: Check) -> Verdict {
        Verdict { spf, dkim, dmarc }
    }

    #[test]
    fn signatures_together_pass_on_one_pass_and_else_say_the_first_trouble() {
        use Check::*;
        assert_eq!(Check::of_signatures([Fail, Pass]), Pass);
        assert_eq!(Check::of_signatures([Neutral, PermError, Fail]), Fail);
        assert_eq!(Check::of_signatures([Neutral, TempError]), TempError);
        assert_eq!(Check::of_signatures([Neutral]), Neutral);
        assert_eq!(Check::of_signatures([]), None);
    }

    #[test]
    fn a_business_that_does_not_ask_takes_every_reply() {
        for spf in [Pass, Fail, SoftFail, Neutral, None, TempError, PermError] {
            for dmarc in [Pass, Fail, None, TempError] {
                assert_eq!(decide(false, verdict(spf, Fail, dmarc)), Decision::Accept);
            }
        }
    }

    #[test]
    fn a_business_that_asks_decides_by_this_table() {
        let refuse = Decision::Refuse;
        let table = [
            // An aligned pass is all DMARC asks, whatever else failed.
            (verdict(Pass, None, Pass), Decision::Accept),
            (verdict(Fail, Pass, Pass), Decision::Accept),
            (verdict(Pass, Fail, Pass), Decision::Accept),
            (verdict(TempError, Pass, Pass), Decision::Accept),
            // The domain's own verdict comes first.
            (verdict(Pass, Pass, Fail), refuse(AuthRefusal::DmarcFail)),
            (verdict(Fail, Fail, Fail), refuse(AuthRefusal::DmarcFail)),
            // Explicit failures without a policy.
            (verdict(Fail, None, None), refuse(AuthRefusal::SpfFail)),
            (verdict(Fail, Fail, None), refuse(AuthRefusal::SpfFail)),
            (verdict(None, Fail, None), refuse(AuthRefusal::DkimFail)),
            (verdict(Pass, Fail, None), refuse(AuthRefusal::DkimFail)),
            // A check that could not be made is not taken as a pass.
            (verdict(TempError, None, None), refuse(AuthRefusal::Unverifiable)),
            (verdict(Pass, Pass, TempError), refuse(AuthRefusal::Unverifiable)),
            // Passes for other domains than the From address's prove nothing.
            (verdict(Pass, Pass, None), refuse(AuthRefusal::NotAuthenticated)),
            (verdict(SoftFail, None, None), refuse(AuthRefusal::NotAuthenticated)),
            (verdict(Neutral, None, None), refuse(AuthRefusal::NotAuthenticated)),
            (verdict(None, None, None), refuse(AuthRefusal::NotAuthenticated)),
            (
                verdict(PermError, PermError, PermError),
                refuse(AuthRefusal::NotAuthenticated),
            ),
        ];
        for (verdict, expected) in table {
            assert_eq!(decide(true, verdict), expected, "{verdict:?}");
        }
    }

    #[test]
    fn every_refusal_says_why_in_words() {
        for refusal in [
            AuthRefusal::DmarcFail,
            AuthRefusal::SpfFail,
            AuthRefusal::DkimFail,
            AuthRefusal::Unverifiable,
            AuthRefusal::NotAuthenticated,
        ] {
            assert!(refusal.reason().len() > 20, "{refusal:?}");
        }
    }

    #[test]
    fn provider_labels_are_read_and_unknown_words_are_never_a_pass() {
        assert_eq!(Check::from_label("Pass"), Pass);
        assert_eq!(Check::from_label(" fail "), Fail);
        assert_eq!(Check::from_label("SoftFail"), SoftFail);
        assert_eq!(Check::from_label("passed"), None);
        assert_eq!(Check::from_label(""), None);
        for check in [Pass, Fail, SoftFail, Neutral, None, TempError, PermError] {
            assert_eq!(Check::from_label(check.label()), check);
        }
    }

    #[test]
    fn strict_alignment_is_the_same_domain_case_aside() {
        assert!(strictly_aligned("Example.COM.", "example.com"));
        assert!(!strictly_aligned("mail.example.com", "example.com"));
        assert!(!strictly_aligned("example.com.evil.test", "example.com"));
        assert!(!strictly_aligned("", ""));
    }
}
