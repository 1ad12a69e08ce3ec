//! Internet names: the domains a site is served from and e-mail addresses.

use crate::Invalid;
use std::str::FromStr;

/// A host a site is served from: a lower-case ASCII domain name (IDNs become punycode),
/// `localhost`, or an IP address. No scheme, port or path.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct DomainName(String);

impl DomainName {
    /// Parses a host name as a person would type it (`Example.COM`, `bücher.de`).
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        let trimmed = input.trim().trim_end_matches('.');
        let invalid = |reason: String| Invalid::new("domain", reason);
        if trimmed.is_empty() {
            return Err(invalid("it is empty".into()));
        }
        if trimmed.contains("://") || trimmed.contains('/') || trimmed.contains(':') {
            return Err(invalid(format!(
                "'{trimmed}' is not a bare host name: give only the host, e.g. example.com"
            )));
        }
        let host = url::Host::parse(trimmed).map_err(|e| invalid(format!("'{trimmed}' is not a host name ({e})")))?;
        let ascii = match host {
            url::Host::Domain(domain) => domain,
            url::Host::Ipv4(ip) => return Ok(Self(ip.to_string())),
            url::Host::Ipv6(_) => {
                return Err(invalid(format!(
                    "'{trimmed}': IPv6 literals are not supported as site domains"
                )));
            }
        };
        if ascii.len() > 253 {
            return Err(invalid(format!("'{trimmed}' is longer than 253 characters")));
        }
        if !ascii.contains('.') && ascii != "localhost" {
            return Err(invalid(format!(
                "'{trimmed}' has no top-level domain (e.g. example.com)"
            )));
        }
        for label in ascii.split('.') {
            let ok_chars = label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
            if label.is_empty() || label.len() > 63 || !ok_chars || label.starts_with('-') || label.ends_with('-') {
                return Err(invalid(format!("'{trimmed}' has an invalid label '{label}'")));
            }
        }
        Ok(Self(ascii))
    }

    /// The ASCII host name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for DomainName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for DomainName {
    type Error = Invalid;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<DomainName> for String {
    fn from(value: DomainName) -> Self {
        value.0
    }
}

/// An e-mail address, stored lower-case so that logins and lead matching ignore case.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

impl Email {
    /// Parses a bare address (`ann@example.com`, no display name).
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        let trimmed = input.trim();
        let invalid = |reason: String| Invalid::new("e-mail address", reason);
        if trimmed.len() > 254 {
            return Err(invalid("it is longer than 254 characters".into()));
        }
        let parsed = email_address::EmailAddress::from_str(trimmed)
            .map_err(|e| invalid(format!("'{trimmed}' is not an e-mail address ({e})")))?;
        if parsed.display_part() != "" || trimmed != parsed.email() {
            return Err(invalid(format!(
                "'{trimmed}': give the bare address, without a display name"
            )));
        }
        Ok(Self(trimmed.to_lowercase()))
    }

    /// The address, lower-case.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Email {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for Email {
    type Error = Invalid;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Email> for String {
    fn from(value: Email) -> Self {
        value.0
    }
}

/// Whether a URL names this machine (`localhost`, 127.0.0.0/8, `::1`): plain `http://` is
/// accepted there, for local relays, buckets and test servers, and nowhere else.
pub fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(host)) => host.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_urls_are_this_machine_only() {
        for (url, local) in [
            ("http://localhost:9000/", true),
            ("http://127.0.0.2/", true),
            ("http://[::1]:8080/", true),
            ("http://localhost.evil.example/", false),
            ("http://10.0.0.1/", false),
        ] {
            assert_eq!(is_loopback(&url::Url::parse(url).unwrap()), local, "{url}");
        }
    }

    #[test]
    fn domains_are_lower_cased_and_punycoded() {
        assert_eq!(
            DomainName::parse("WWW.Example.com.").unwrap().as_str(),
            "www.example.com"
        );
        assert_eq!(DomainName::parse("bücher.de").unwrap().as_str(), "xn--bcher-kva.de");
        assert_eq!(DomainName::parse("localhost").unwrap().as_str(), "localhost");
        assert_eq!(DomainName::parse("127.0.0.1").unwrap().as_str(), "127.0.0.1");
    }

    #[test]
    fn urls_ports_and_junk_are_not_domains() {
        for bad in [
            "https://example.com",
            "example.com/x",
            "example.com:8080",
            "exa mple.com",
            "examplecom",
            "-a.com",
            "a_b.com",
            "",
        ] {
            assert!(DomainName::parse(bad).is_err(), "{bad} was accepted");
        }
    }

    #[test]
    fn emails_are_bare_and_lower_cased() {
        assert_eq!(Email::parse(" Ann@Example.COM ").unwrap().as_str(), "ann@example.com");
        assert!(Email::parse("Ann <ann@example.com>").is_err());
        assert!(Email::parse("ann@").is_err());
        assert!(Email::parse("not an address").is_err());
    }
}
