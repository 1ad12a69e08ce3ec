//! SPF, DKIM and DMARC of a message the SMTP listener received, with Stalwart's `mail-auth`:
//! SPF of the envelope sender (MAIL FROM, else the HELO name) for the client's address, every
//! DKIM signature over the raw message, and DMARC over the From domain. The answer is core's
//! [`Verdict`]; what a business does with it is [`leadline_core::sender_auth::decide`].
//!
//! DNS goes through the system's resolver (hickory), built on first use so that a server whose
//! businesses never ask does no DNS work at all. Answers are kept in small caches for as long
//! as their TTL says; tests fill the caches ([`SenderAuth::publish_txt`]) and never reach DNS.

use leadline_core::sender_auth::{Check, Verdict, strictly_aligned};
use mail_auth::common::parse::TxtRecordParser;
use mail_auth::common::verify::DomainKey;
use mail_auth::dmarc::Dmarc;
use mail_auth::dmarc::verify::DmarcParameters;
use mail_auth::hickory_resolver::proto::op::ResponseCode;
use mail_auth::spf::Spf;
use mail_auth::spf::verify::SpfParameters;
use mail_auth::{
    AuthenticatedMessage, DkimOutput, DkimResult, DmarcResult, DnsError, MX, MessageAuthenticator, Parameters,
    RecordSet, ResolverCache, SpfResult, Txt,
};
use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::Hash;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// Most answers each cache keeps; beyond it the expired ones go, then all.
const CACHE_ENTRIES: usize = 4096;

/// What the SMTP session knew of the sender before the message.
#[derive(Debug, Clone)]
pub struct Envelope {
    /// The client's address.
    pub peer: IpAddr,
    /// The name it gave in EHLO or HELO.
    pub helo: String,
    /// The reverse path of MAIL FROM (empty for a bounce).
    pub mail_from: String,
}

/// The checker: the resolver (made on first use) and its caches.
pub struct SenderAuth {
    resolver: OnceLock<Option<MessageAuthenticator>>,
    txt: Cache<Box<str>, Txt>,
    mx: Cache<Box<str>, RecordSet<MX>>,
    ipv4: Cache<Box<str>, RecordSet<Ipv4Addr>>,
    ipv6: Cache<Box<str>, RecordSet<Ipv6Addr>>,
    ptr: Cache<IpAddr, RecordSet<Box<str>>>,
}

impl Default for SenderAuth {
    fn default() -> Self {
        Self {
            resolver: OnceLock::new(),
            txt: Cache::default(),
            mx: Cache::default(),
            ipv4: Cache::default(),
            ipv6: Cache::default(),
            ptr: Cache::default(),
        }
    }
}

impl SenderAuth {
    /// Checks the message `raw` received with `envelope`, whose From address is at
    /// `from_domain` (the address the reply is applied for). Only a DMARC pass for that very
    /// domain is a pass: a message whose From headers name other domains is not.
    pub async fn verify(&self, raw: &[u8], envelope: &Envelope, from_domain: &str) -> Verdict {
        let Some(authenticator) = self.resolver() else {
            return Verdict {
                spf: Check::TempError,
                dkim: Check::TempError,
                dmarc: Check::TempError,
            };
        };
        let Some(message) = AuthenticatedMessage::parse(raw) else {
            return Verdict {
                spf: Check::None,
                dkim: Check::None,
                dmarc: Check::None,
            };
        };
        let helo = envelope.helo.trim();
        let spf = authenticator
            .verify_spf(self.caches(SpfParameters::verify_mail_from(
                envelope.peer,
                helo,
                "leadline",
                &envelope.mail_from,
            )))
            .await;
        let dkim = authenticator.verify_dkim(self.caches(&message)).await;
        let mail_from_domain = envelope.mail_from.rsplit_once('@').map_or(helo, |(_, domain)| domain);
        let dmarc = authenticator
            .verify_dmarc(self.caches(DmarcParameters {
                message: &message,
                dkim_output: &dkim,
                dkim2_output: None,
                rfc5321_mail_from_domain: mail_from_domain,
                spf_output: &spf,
            }))
            .await;
        let dmarc_check = if !strictly_aligned(dmarc.domain(), from_domain) && dmarc.dmarc_record().is_some() {
            // The policy found is another domain's than the address the reply is taken for.
            Check::None
        } else if dmarc.dmarc_record().is_some() {
            dmarc_check(&dmarc.result())
        } else if [dmarc.spf_result(), dmarc.dkim_result()]
            .iter()
            .any(|r| matches!(r, DmarcResult::TempError(_)))
        {
            Check::TempError
        } else {
            aligned_without_policy(&spf, &dkim, from_domain, mail_from_domain)
        };
        Verdict {
            spf: spf_check(spf.result()),
            dkim: dkim_check(&dkim),
            dmarc: dmarc_check,
        }
    }

    /// Puts a TXT answer in the cache as if DNS had given it, for a day: an SPF record, a
    /// DMARC record (`_dmarc.` names) or a DKIM key (`._domainkey.` names); `None` is "no
    /// such record". For tests, which never reach real DNS; an unreadable record is stored as
    /// the error DNS would have led to.
    pub fn publish_txt(&self, name: &str, text: Option<&str>) {
        let record: Txt = match text {
            None => Txt::Error(mail_auth::Error::Dns(DnsError::RecordNotFound(ResponseCode::NXDomain))),
            Some(text) if name.starts_with("_dmarc.") => Dmarc::parse(text.as_bytes()).into(),
            Some(text) if name.contains("._domainkey.") => DomainKey::parse(text.as_bytes()).into(),
            Some(text) => Spf::parse(text.as_bytes()).into(),
        };
        let mut key = name.to_ascii_lowercase();
        if !key.ends_with('.') {
            key.push('.');
        }
        self.txt.insert(
            key.into_boxed_str(),
            record,
            Instant::now() + Duration::from_secs(86_400),
        );
    }

    /// The resolver, made from the system's configuration on first use; `None` (every check
    /// a temporary error) when it cannot be read.
    fn resolver(&self) -> Option<&MessageAuthenticator> {
        self.resolver
            .get_or_init(|| match MessageAuthenticator::new_system_conf() {
                Ok(resolver) => Some(resolver),
                Err(e) => {
                    tracing::error!(error = %e, "no DNS resolver for SPF/DKIM/DMARC checks");
                    None
                }
            })
            .as_ref()
    }

    #[allow(clippy::type_complexity)]
    fn caches<P>(
        &self,
        params: P,
    ) -> Parameters<
        '_,
        P,
        Cache<Box<str>, Txt>,
        Cache<Box<str>, RecordSet<MX>>,
        Cache<Box<str>, RecordSet<Ipv4Addr>>,
        Cache<Box<str>, RecordSet<Ipv6Addr>>,
        Cache<IpAddr, RecordSet<Box<str>>>,
    > {
        Parameters::new(params)
            .with_txt_cache(&self.txt)
            .with_mx_cache(&self.mx)
            .with_ipv4_cache(&self.ipv4)
            .with_ipv6_cache(&self.ipv6)
            .with_ptr_cache(&self.ptr)
    }
}

/// Without a DMARC record no organizational domain is known, so only the same domain aligns:
/// an SPF pass for a MAIL FROM at the From domain, or a DKIM pass signed by it.
fn aligned_without_policy(
    spf: &mail_auth::SpfOutput,
    dkim: &[DkimOutput<'_>],
    from_domain: &str,
    mail_from_domain: &str,
) -> Check {
    let spf_aligned = spf.result() == SpfResult::Pass && strictly_aligned(mail_from_domain, from_domain);
    let dkim_aligned = dkim.iter().any(|output| {
        output.result() == &DkimResult::Pass
            && output
                .signature()
                .is_some_and(|signature| strictly_aligned(&signature.d, from_domain))
    });
    if spf_aligned || dkim_aligned {
        Check::Pass
    } else {
        Check::None
    }
}

fn spf_check(result: SpfResult) -> Check {
    match result {
        SpfResult::Pass => Check::Pass,
        SpfResult::Fail => Check::Fail,
        SpfResult::SoftFail => Check::SoftFail,
        SpfResult::Neutral => Check::Neutral,
        SpfResult::TempError => Check::TempError,
        SpfResult::PermError => Check::PermError,
        SpfResult::None => Check::None,
    }
}

/// The message's signatures as one check ([`Check::of_signatures`]).
fn dkim_check(outputs: &[DkimOutput<'_>]) -> Check {
    Check::of_signatures(outputs.iter().map(|output| match output.result() {
        DkimResult::Pass => Check::Pass,
        DkimResult::Fail(_) => Check::Fail,
        DkimResult::Neutral(_) => Check::Neutral,
        DkimResult::TempError(_) => Check::TempError,
        DkimResult::PermError(_) => Check::PermError,
        DkimResult::None => Check::None,
    }))
}

fn dmarc_check(result: &DmarcResult) -> Check {
    match result {
        DmarcResult::Pass => Check::Pass,
        DmarcResult::Fail(_) => Check::Fail,
        DmarcResult::TempError(_) => Check::TempError,
        DmarcResult::PermError(_) => Check::PermError,
        DmarcResult::None => Check::None,
    }
}

/// A small DNS cache: answers kept until their TTL ends, at most [`CACHE_ENTRIES`].
struct Cache<K, V>(Mutex<HashMap<K, (V, Instant)>>);

impl<K, V> Default for Cache<K, V> {
    fn default() -> Self {
        Self(Mutex::new(HashMap::new()))
    }
}

impl<K: Hash + Eq, V: Clone> ResolverCache<K, V> for Cache<K, V> {
    fn get<Q>(&self, name: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let entries = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        entries
            .get(name)
            .filter(|(_, until)| *until > Instant::now())
            .map(|(value, _)| value.clone())
    }

    fn remove<Q>(&self, name: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let mut entries = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        entries.remove(name).map(|(value, _)| value)
    }

    fn insert(&self, key: K, value: V, valid_until: Instant) {
        let mut entries = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if entries.len() >= CACHE_ENTRIES {
            let now = Instant::now();
            entries.retain(|_, (_, until)| *until > now);
            if entries.len() >= CACHE_ENTRIES {
                entries.clear();
            }
        }
        entries.insert(key, (value, valid_until));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn envelope(mail_from: &str) -> Envelope {
        Envelope {
            peer: IpAddr::V4(Ipv4Addr::new(192, 0, 2, 7)),
            helo: "mx.example.net".into(),
            mail_from: mail_from.into(),
        }
    }

    const MESSAGE: &[u8] = b"From: Ann <ann@example.net>\r\nSubject: Re: Call 1042\r\n\r\nBlue velvet\r\n";

    /// example.net allows 192.0.2.7 and publishes no DMARC record; other.test allows it too.
    fn checker() -> SenderAuth {
        let checker = SenderAuth::default();
        checker.publish_txt("example.net", Some("v=spf1 ip4:192.0.2.7 -all"));
        checker.publish_txt("other.test", Some("v=spf1 ip4:192.0.2.7 -all"));
        for name in ["_dmarc.example.net", "_dmarc.net", "_dmarc.other.test", "_dmarc.test"] {
            checker.publish_txt(name, None);
        }
        checker
    }

    #[tokio::test]
    async fn without_a_dmarc_record_an_spf_pass_counts_only_for_the_from_domain_itself() {
        let checker = checker();
        let own = checker
            .verify(MESSAGE, &envelope("ann@example.net"), "example.net")
            .await;
        assert_eq!((own.spf, own.dkim, own.dmarc), (Check::Pass, Check::None, Check::Pass));
        let other = checker
            .verify(MESSAGE, &envelope("bounce@other.test"), "example.net")
            .await;
        assert_eq!(
            (other.spf, other.dmarc),
            (Check::Pass, Check::None),
            "a pass for another domain"
        );
    }

    #[tokio::test]
    async fn a_policy_found_for_another_domain_than_the_replys_is_no_pass() {
        let checker = checker();
        checker.publish_txt("_dmarc.other.test", Some("v=DMARC1; p=none"));
        let message = b"From: Eve <eve@other.test>\r\nSubject: x\r\n\r\nx\r\n";
        let verdict = checker
            .verify(message, &envelope("eve@other.test"), "example.net")
            .await;
        assert_eq!((verdict.spf, verdict.dmarc), (Check::Pass, Check::None));
    }
}
