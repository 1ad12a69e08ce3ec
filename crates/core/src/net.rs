//! Internet names: the domains a site is served from and e-mail addresses, and which
//! addresses Leadline may connect to when it delivers to a URL it was given.

use crate::Invalid;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
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

/// IPv4 networks that are not the public internet (IANA special-purpose registry): this
/// network, private and shared (CGNAT) networks, loopback, link-local (cloud metadata lives at
/// 169.254.169.254), protocol assignments, documentation, benchmarking, multicast, reserved
/// and broadcast.
const V4_NOT_PUBLIC: [([u8; 4], u8); 14] = [
    ([0, 0, 0, 0], 8),
    ([10, 0, 0, 0], 8),
    ([100, 64, 0, 0], 10),
    ([127, 0, 0, 0], 8),
    ([169, 254, 0, 0], 16),
    ([172, 16, 0, 0], 12),
    ([192, 0, 0, 0], 24),
    ([192, 0, 2, 0], 24),
    ([192, 168, 0, 0], 16),
    ([198, 18, 0, 0], 15),
    ([198, 51, 100, 0], 24),
    ([203, 0, 113, 0], 24),
    ([224, 0, 0, 0], 4),
    ([240, 0, 0, 0], 4),
];

/// IPv6 networks inside global unicast (2000::/3) that are not the public internet: IETF
/// protocol assignments (Teredo, benchmarking, ORCHID) and documentation.
const V6_NOT_PUBLIC: [(Ipv6Addr, u8); 3] = [
    (Ipv6Addr::new(0x2001, 0, 0, 0, 0, 0, 0, 0), 23),
    (Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0), 32),
    (Ipv6Addr::new(0x3fff, 0, 0, 0, 0, 0, 0, 0), 20),
];

/// Whether `ip` is an address on the public internet, not one of this machine, a private or
/// link-local network, multicast, documentation or reserved. An IPv6 address that carries an
/// IPv4 one (mapped, NAT64, 6to4) is judged by the IPv4 address.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let bits = u32::from(v4);
            !V4_NOT_PUBLIC
                .iter()
                .any(|(net, len)| same_prefix(bits, u32::from_be_bytes(*net), *len, 32))
        }
        IpAddr::V6(v6) => match embedded_v4(v6) {
            Some(v4) => is_public(IpAddr::V4(v4)),
            None => {
                let bits = u128::from(v6);
                same_prefix(bits, 0x2000 << 112, 3, 128)
                    && !V6_NOT_PUBLIC
                        .iter()
                        .any(|(net, len)| same_prefix(bits, u128::from(*net), *len, 128))
            }
        },
    }
}

/// Which addresses outbound requests may reach: the public Internet always; this machine
/// (loopback) only where the install says so (`outbound_loopback`: a local relay, the fakes
/// tests run against), since a target a business types in must not reach the services
/// listening on the server itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    /// Public addresses only.
    Public,
    /// Public addresses, and this machine when the URL names it itself.
    PublicAndLoopback,
}

/// Whether Leadline may connect to `ip`, found for the host `name` (`None`: the address
/// was given literally). Public addresses always; this machine (loopback) only when `reach`
/// allows it and the URL names it itself, as `localhost` or a loopback address, as local
/// fakes and relays do; a name that resolves to loopback or to a private network is refused,
/// so that a target's DNS cannot point deliveries inside the network Leadline runs in.
pub fn may_connect(name: Option<&str>, ip: IpAddr, reach: Reach) -> bool {
    let ip = ip.to_canonical();
    let names_this_machine = name.is_none_or(|name| name.eq_ignore_ascii_case("localhost"));
    is_public(ip) || (reach == Reach::PublicAndLoopback && ip.is_loopback() && names_this_machine)
}

/// The network a client address stands for when clients are counted per address: an IPv4
/// address itself, and for IPv6 its /64, which one subscriber usually holds whole (so counting
/// single IPv6 addresses would let one sender pass as many).
pub fn client_network(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V6(v6) => IpAddr::V6(Ipv6Addr::from(u128::from(v6) & !(u128::MAX >> 64))),
        v4 => v4,
    }
}

/// The IPv4 address inside an IPv4-mapped (::ffff:0:0/96), NAT64 (64:ff9b::/96) or 6to4
/// (2002::/16) address.
fn embedded_v4(v6: Ipv6Addr) -> Option<Ipv4Addr> {
    let bits = u128::from(v6);
    if let Some(v4) = v6.to_ipv4_mapped() {
        return Some(v4);
    }
    if same_prefix(bits, 0x0064_ff9b << 96, 96, 128) {
        return Some(Ipv4Addr::from(bits as u32));
    }
    if same_prefix(bits, 0x2002 << 112, 16, 128) {
        return Some(Ipv4Addr::from((bits >> 80) as u32));
    }
    None
}

/// Whether the first `len` of `width` bits of `a` and `b` are the same.
fn same_prefix<T>(a: T, b: T, len: u8, width: u32) -> bool
where
    T: Copy + std::ops::BitXor<Output = T> + std::ops::Shr<u32, Output = T> + PartialEq + From<u8>,
{
    len == 0 || (a ^ b) >> (width - u32::from(len)) == T::from(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn only_public_internet_addresses_are_public() {
        for public in [
            "8.8.8.8",
            "1.1.1.1",
            "93.184.216.34",
            "2606:4700::1111",
            "2a00:1450::1",
            "::ffff:8.8.8.8",
        ] {
            assert!(is_public(ip(public)), "{public}");
        }
        for inside in [
            "0.0.0.0",
            "10.1.2.3",
            "100.64.0.1",
            "127.0.0.1",
            "169.254.169.254",
            "172.16.0.1",
            "172.31.255.255",
            "192.0.2.2",
            "192.168.1.1",
            "224.0.0.1",
            "255.255.255.255",
            "::",
            "::1",
            "fd00::1",
            "fe80::1",
            "ff02::1",
            "2001:db8::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "64:ff9b::a00:1",
            "2002:a00:1::",
        ] {
            assert!(!is_public(ip(inside)), "{inside}");
        }
        assert!(is_public(ip("172.32.0.1")) && is_public(ip("100.128.0.1")));
    }

    #[test]
    fn this_machine_is_reached_only_when_the_url_names_it_and_the_install_allows_it() {
        let may_connect = |name, address| may_connect(name, address, Reach::PublicAndLoopback);
        assert!(may_connect(None, ip("127.0.0.1")));
        assert!(may_connect(None, ip("::1")));
        assert!(may_connect(Some("localhost"), ip("127.0.0.1")));
        assert!(may_connect(Some("LocalHost"), ip("::ffff:127.0.0.1")));
        assert!(!may_connect(Some("hooks.example"), ip("127.0.0.1")));
        assert!(!may_connect(Some("localhost.evil.example"), ip("::1")));
        assert!(!may_connect(None, ip("10.0.0.5")));
        assert!(!may_connect(Some("localhost"), ip("10.0.0.5")));
        assert!(may_connect(Some("hooks.example"), ip("93.184.216.34")));
    }

    #[test]
    fn this_machine_is_never_reached_when_only_public_addresses_are_allowed() {
        for (name, address) in [(None, "127.0.0.1"), (None, "::1"), (Some("localhost"), "127.0.0.1")] {
            assert!(!may_connect(name, ip(address), Reach::Public), "{name:?} {address}");
        }
        assert!(may_connect(Some("hooks.example"), ip("93.184.216.34"), Reach::Public));
    }

    /// An address in the IPv4 network `net`/`len` with random host bits.
    fn in_v4(net: [u8; 4], len: u32) -> impl Strategy<Value = Ipv4Addr> {
        any::<u32>().prop_map(move |host| {
            let mask = u32::MAX.checked_shl(32 - len).unwrap_or(0);
            Ipv4Addr::from((u32::from_be_bytes(net) & mask) | (host & !mask))
        })
    }

    proptest! {
        #[test]
        fn an_ipv4_address_is_judged_the_same_however_ipv6_carries_it(bits in any::<u32>()) {
            let v4 = Ipv4Addr::from(bits);
            let public = is_public(IpAddr::V4(v4));
            let nat64 = Ipv6Addr::from((0x0064_ff9b_u128 << 96) | u128::from(bits));
            let six_to_four = Ipv6Addr::from((0x2002_u128 << 112) | (u128::from(bits) << 80));
            prop_assert_eq!(is_public(IpAddr::V6(v4.to_ipv6_mapped())), public);
            prop_assert_eq!(is_public(IpAddr::V6(nat64)), public);
            prop_assert_eq!(is_public(IpAddr::V6(six_to_four)), public);
            for reach in [Reach::Public, Reach::PublicAndLoopback] {
                prop_assert_eq!(may_connect(Some("h.example"), IpAddr::V6(v4.to_ipv6_mapped()), reach), public);
            }
        }

        #[test]
        fn private_loopback_and_link_local_addresses_are_never_reached_by_name(
            v4 in prop_oneof![
                in_v4([10, 0, 0, 0], 8),
                in_v4([172, 16, 0, 0], 12),
                in_v4([192, 168, 0, 0], 16),
                in_v4([169, 254, 0, 0], 16),
                in_v4([127, 0, 0, 0], 8),
                in_v4([100, 64, 0, 0], 10),
            ],
            name in "[a-z]{1,12}\\.example",
        ) {
            prop_assert!(!is_public(IpAddr::V4(v4)));
            let reach = Reach::PublicAndLoopback;
            prop_assert!(!may_connect(Some(&name), IpAddr::V4(v4), reach));
            prop_assert!(!may_connect(Some(&name), IpAddr::V6(v4.to_ipv6_mapped()), reach));
        }

        #[test]
        fn a_name_reaches_only_public_addresses_unless_it_is_localhost(
            bits in any::<u128>(),
            name in "[a-z]{1,12}(\\.[a-z]{2,6})?",
        ) {
            let ip = IpAddr::V6(Ipv6Addr::from(bits));
            if name != "localhost" {
                prop_assert_eq!(may_connect(Some(&name), ip, Reach::PublicAndLoopback), is_public(ip));
            }
        }

        #[test]
        fn clients_in_one_ipv6_64_are_one_network_and_ipv4_clients_are_their_own(
            a in any::<u128>(),
            b in any::<u64>(),
            v4 in any::<u32>(),
        ) {
            let same_64 = (a & !u128::from(u64::MAX)) | u128::from(b);
            let (a, same_64) = (IpAddr::V6(Ipv6Addr::from(a)), IpAddr::V6(Ipv6Addr::from(same_64)));
            prop_assert_eq!(client_network(a), client_network(same_64));
            let v4 = Ipv4Addr::from(v4);
            prop_assert_eq!(client_network(IpAddr::V4(v4)), IpAddr::V4(v4));
            prop_assert_eq!(client_network(IpAddr::V6(v4.to_ipv6_mapped())), IpAddr::V4(v4));
        }

        #[test]
        fn unique_local_and_link_local_ipv6_are_not_public(host in any::<u128>()) {
            let ula = Ipv6Addr::from((0xfc00_u128 << 112) | (host >> 7));
            let link_local = Ipv6Addr::from((0xfe80_u128 << 112) | (host >> 10));
            prop_assert!(!is_public(IpAddr::V6(ula)));
            prop_assert!(!is_public(IpAddr::V6(link_local)));
        }
    }

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
