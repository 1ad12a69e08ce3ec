//! The SPF and DKIM results SendGrid and Mailgun report with a message they received, read
//! into core's [`Verdict`]. They check the message themselves (Leadline never sees the
//! client's address), so their word is all there is; a missing field is read as "nothing
//! known", which a business that requires authentication refuses (fail closed).
//!
//! Like DMARC, only a pass for the From address's own domain counts (`dmarc: Pass`): a forger
//! can pass SPF and DKIM for a domain of their own. Without the organizational domain (no DMARC
//! record here), "the same domain" means the very same name.

use leadline_core::sender_auth::{Check, Verdict, strictly_aligned};

/// SendGrid Inbound Parse (parsed and raw mode alike) posts `SPF` ("the results of the Sender
/// Policy Framework verification of the message sender and receiving IP address", e.g.
/// `pass`), `dkim` ("the verification results of any DKIM and domain keys signatures in the
/// message", e.g. `{@example.com : pass}`) and `envelope` (JSON whose `from` is the return
/// path): SendGrid's "Setting up the Inbound Parse Webhook", default parameters.
pub fn sendgrid(spf: Option<&str>, dkim: Option<&str>, envelope: Option<&str>, from_domain: &str) -> Verdict {
    let spf = spf.map_or(Check::None, Check::from_label);
    let return_path = envelope
        .and_then(|e| serde_json::from_str::<serde_json::Value>(e).ok())
        .and_then(|e| e["from"].as_str().map(str::to_owned))
        .unwrap_or_default();
    let signatures = dkim.map(sendgrid_signatures).unwrap_or_default();
    let dkim_aligned = signatures
        .iter()
        .any(|(domain, check)| *check == Check::Pass && strictly_aligned(domain, from_domain));
    verdict(spf, &return_path, &signatures, dkim_aligned, from_domain)
}

/// `{@a.example : pass, @b.example : fail}` (braces optional): each signing domain and its
/// result.
fn sendgrid_signatures(text: &str) -> Vec<(String, Check)> {
    text.trim()
        .trim_start_matches('{')
        .trim_end_matches('}')
        .split(',')
        .filter_map(|entry| {
            let (domain, result) = entry.split_once(':')?;
            Some((
                domain.trim().trim_start_matches('@').to_owned(),
                Check::from_label(result),
            ))
        })
        .collect()
}

/// A Mailgun route's forward posts `sender` (the envelope sender) and `message-headers`, a
/// JSON list of `[name, value]` pairs (Mailgun's "Receiving Messages via HTTP through a
/// forward() action"). Mailgun adds its own checks to the message's headers as `X-Mailgun-Spf`
/// (`Pass`, `Neutral`, `Fail` or `SoftFail`) and `X-Mailgun-Dkim-Check-Result` (`Pass` or
/// `Fail`), but only when the domain's spam filter is set to "Mark spam with MIME headers"
/// (Mailgun's "Spam Filter" page); without them the post is read as unauthenticated (fail
/// closed). Mailgun's DKIM result names no domain, so it counts as the From domain's only when
/// every `DKIM-Signature` of the message is signed by that domain (`d=`).
pub fn mailgun(message_headers: Option<&str>, sender: Option<&str>, from_domain: &str) -> Verdict {
    let headers: Vec<(String, String)> = message_headers
        .and_then(|h| serde_json::from_str(h).ok())
        .unwrap_or_default();
    let header = |name: &str| {
        headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    };
    let spf = header("X-Mailgun-Spf").map_or(Check::None, Check::from_label);
    let dkim = header("X-Mailgun-Dkim-Check-Result").map_or(Check::None, Check::from_label);
    let signers: Vec<String> = headers
        .iter()
        .filter(|(key, _)| key.eq_ignore_ascii_case("DKIM-Signature"))
        .map(|(_, value)| signing_domain(value).unwrap_or_default())
        .collect();
    let dkim_aligned =
        dkim == Check::Pass && !signers.is_empty() && signers.iter().all(|d| strictly_aligned(d, from_domain));
    let return_path = sender.unwrap_or_default();
    let signatures = [(String::new(), dkim)];
    verdict(spf, return_path, &signatures, dkim_aligned, from_domain)
}

/// The `d=` tag of a DKIM-Signature value.
fn signing_domain(signature: &str) -> Option<String> {
    signature.split(';').find_map(|tag| {
        let (name, value) = tag.split_once('=')?;
        (name.trim() == "d").then(|| value.trim().to_owned())
    })
}

fn verdict(spf: Check, return_path: &str, signatures: &[(String, Check)], dkim_aligned: bool, from: &str) -> Verdict {
    let spf_domain = return_path.rsplit_once('@').map_or("", |(_, domain)| domain);
    let spf_aligned = spf == Check::Pass && strictly_aligned(spf_domain, from);
    let dkim = Check::of_signatures(signatures.iter().map(|(_, check)| *check));
    Verdict {
        spf,
        dkim,
        dmarc: if spf_aligned || dkim_aligned {
            Check::Pass
        } else {
            Check::None
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sendgrid_passes_only_for_the_from_domain() {
        let signed = sendgrid(Some("softfail"), Some("{@example.com : pass}"), None, "example.com");
        assert_eq!(signed.dmarc, Check::Pass);
        let foreign = sendgrid(
            Some("pass"),
            Some("{@evil.test : pass}"),
            Some(r#"{"from":"x@evil.test"}"#),
            "example.com",
        );
        assert_eq!(
            (foreign.spf, foreign.dkim, foreign.dmarc),
            (Check::Pass, Check::Pass, Check::None)
        );
        let spf = sendgrid(
            Some("pass"),
            None,
            Some(r#"{"to":["r@in.test"],"from":"ann@example.com"}"#),
            "example.com",
        );
        assert_eq!(spf.dmarc, Check::Pass);
        let failed = sendgrid(
            Some("fail"),
            Some("{@example.com : fail, @other.test : pass}"),
            None,
            "example.com",
        );
        assert_eq!(
            (failed.spf, failed.dkim, failed.dmarc),
            (Check::Fail, Check::Pass, Check::None)
        );
        let missing = sendgrid(None, None, None, "example.com");
        assert_eq!(
            (missing.spf, missing.dkim, missing.dmarc),
            (Check::None, Check::None, Check::None)
        );
    }

    #[test]
    fn mailgun_dkim_counts_only_when_every_signature_is_the_from_domains() {
        let headers = |sigs: &[&str]| {
            let mut list = vec![
                vec!["X-Mailgun-Spf".to_owned(), "Fail".to_owned()],
                vec!["X-Mailgun-Dkim-Check-Result".to_owned(), "Pass".to_owned()],
            ];
            list.extend(sigs.iter().map(|s| vec!["DKIM-Signature".to_owned(), (*s).to_owned()]));
            serde_json::to_string(&list).unwrap()
        };
        let own = mailgun(
            Some(&headers(&["v=1; a=rsa-sha256; d=example.com; s=s1"])),
            None,
            "example.com",
        );
        assert_eq!((own.spf, own.dkim, own.dmarc), (Check::Fail, Check::Pass, Check::Pass));
        let mixed = headers(&["v=1; d=example.com; s=s1", "v=1; d=evil.test; s=s1"]);
        assert_eq!(mailgun(Some(&mixed), None, "example.com").dmarc, Check::None);
        assert_eq!(mailgun(Some(&headers(&[])), None, "example.com").dmarc, Check::None);
        let missing = mailgun(None, Some("ann@example.com"), "example.com");
        assert_eq!(
            (missing.spf, missing.dkim, missing.dmarc),
            (Check::None, Check::None, Check::None)
        );
    }
}
