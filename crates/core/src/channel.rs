//! Where a visit came from: the source / medium / campaign classification of the landing page
//! and referrer. The ad click ids on the landing page live in [`crate::click_id`]; they are
//! re-exported here, where the rest of the code has always found them.

pub use crate::click_id::{Captured, ClickIds};
use crate::net::DomainName;
use url::Url;

/// The longest value kept in any attribution field, in characters.
const MAX_FIELD_CHARS: usize = 200;

/// The first value of query parameter `name` in `url` that `clean` accepts.
fn query_value(url: &Url, name: &str, clean: fn(&str) -> Option<String>) -> Option<String> {
    url.query_pairs()
        .filter(|(key, _)| key == name)
        .find_map(|(_, value)| clean(&value))
}

/// A free-text field: control characters removed, trimmed, cut to 200 characters; `None` when
/// nothing is left.
fn clean_text(value: &str) -> Option<String> {
    let kept: String = value.chars().filter(|c| !c.is_control()).collect();
    let kept: String = kept.trim().chars().take(MAX_FIELD_CHARS).collect();
    let kept = kept.trim_end();
    (!kept.is_empty()).then(|| kept.to_owned())
}

/// Where a visit came from, in the words analytics tools use.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Attribution {
    /// Who sent the visit: `google`, `newsletter`, `partner.example`, `(direct)`. Lower case.
    pub source: String,
    /// How: `cpc`, `organic`, `social`, `referral`, `email`, `(none)`. Lower case.
    pub medium: String,
    /// The campaign name, from `utm_campaign`.
    pub campaign: Option<String>,
    /// The keyword, from `utm_term`.
    pub term: Option<String>,
    /// The ad or link variant, from `utm_content`.
    pub content: Option<String>,
}

impl Attribution {
    fn channel(source: &str, medium: &str) -> Self {
        let lower = |text: &str| clean_text(&text.to_lowercase()).unwrap_or_default();
        Self {
            source: lower(source),
            medium: lower(medium),
            campaign: None,
            term: None,
            content: None,
        }
    }
}

/// How a host is recognised as a known site.
#[derive(Clone, Copy)]
enum Known {
    /// This domain or any subdomain of it.
    Domain(&'static str),
    /// This label followed by a top-level domain (`google.de`) or a country's second-level
    /// domain (`google.co.uk`, `google.com.br`), with any subdomain before it.
    Brand(&'static str),
}

const SEARCH_ENGINES: [(Known, &str); 10] = [
    (Known::Brand("google"), "google"),
    (Known::Domain("bing.com"), "bing"),
    (Known::Brand("yahoo"), "yahoo"),
    (Known::Domain("duckduckgo.com"), "duckduckgo"),
    (Known::Domain("baidu.com"), "baidu"),
    (Known::Brand("yandex"), "yandex"),
    (Known::Domain("ecosia.org"), "ecosia"),
    (Known::Domain("ask.com"), "ask"),
    (Known::Domain("search.brave.com"), "brave"),
    (Known::Domain("startpage.com"), "startpage"),
];

const SOCIAL_NETWORKS: [(Known, &str); 12] = [
    (Known::Domain("facebook.com"), "facebook"),
    (Known::Domain("fb.com"), "facebook"),
    (Known::Domain("instagram.com"), "instagram"),
    (Known::Domain("t.co"), "twitter"),
    (Known::Domain("twitter.com"), "twitter"),
    (Known::Domain("x.com"), "twitter"),
    (Known::Domain("linkedin.com"), "linkedin"),
    (Known::Domain("lnkd.in"), "linkedin"),
    (Known::Brand("pinterest"), "pinterest"),
    (Known::Domain("reddit.com"), "reddit"),
    (Known::Domain("youtube.com"), "youtube"),
    (Known::Domain("tiktok.com"), "tiktok"),
];

/// Second-level labels under which countries register names (`co.uk`, `com.au`, `ne.jp`).
const COUNTRY_SECOND_LEVELS: [&str; 10] = ["co", "com", "net", "org", "ac", "gov", "edu", "or", "ne", "gob"];

fn is_within(host: &str, domain: &str) -> bool {
    host == domain
        || host
            .strip_suffix(domain)
            .is_some_and(|rest| rest.len() > 1 && rest.ends_with('.'))
}

fn is_brand(host: &str, brand: &str) -> bool {
    let labels: Vec<&str> = host.split('.').collect();
    let is_tld = |label: &str| label.len() >= 2 && label.bytes().all(|b| b.is_ascii_alphabetic());
    labels.iter().enumerate().any(|(i, label)| {
        *label == brand
            && match &labels[i + 1..] {
                [tld] => is_tld(tld),
                [second, country] => COUNTRY_SECOND_LEVELS.contains(second) && country.len() == 2 && is_tld(country),
                _ => false,
            }
    })
}

fn lookup(host: &str, table: &[(Known, &'static str)]) -> Option<&'static str> {
    table.iter().find_map(|(known, name)| {
        let hit = match known {
            Known::Domain(domain) => is_within(host, domain),
            Known::Brand(brand) => is_brand(host, brand),
        };
        hit.then_some(*name)
    })
}

fn normal_host(host: &str) -> String {
    host.trim_end_matches('.').to_ascii_lowercase()
}

/// Whether `host` is `domain` or a subdomain of it, ignoring ASCII case and a trailing dot
/// (`Shop.Example.com.` is within `example.com`; `notexample.com` is not). An IP address
/// domain matches only itself. Give the bare host, without a port.
pub fn host_matches(host: &str, domain: &DomainName) -> bool {
    let host = normal_host(host);
    if domain.as_str().parse::<std::net::IpAddr>().is_ok() {
        return host == domain.as_str();
    }
    is_within(&host, domain.as_str())
}

/// Classifies a visit from its landing page, its referrer and the site's own domains; the first
/// rule that applies wins:
/// 1. `utm_source` on the landing page: the UTM parameters (`utm_medium` defaults to `(not set)`);
/// 2. a click id: `gclid`/`gbraid`/`wbraid` → google / cpc, `msclkid` → bing / cpc, `fbclid` →
///    facebook / paid_social (the term from `utm_term`, if any);
/// 3. a search engine's referrer → the engine / organic;
/// 4. a social network's referrer → the network / social;
/// 5. another referrer, not on the site's own domains nor the landing page's host → the
///    referrer's host without `www.` / referral;
/// 6. otherwise `(direct)` / `(none)`.
///
/// Source and medium are lower case; every field is trimmed and cut to 200 characters.
pub fn classify(landing: &Url, referrer: Option<&Url>, own_domains: &[DomainName]) -> Attribution {
    let utm = |name: &str| query_value(landing, name, clean_text);
    if let Some(source) = utm("utm_source") {
        let medium = utm("utm_medium").unwrap_or_else(|| "(not set)".to_owned());
        return Attribution {
            campaign: utm("utm_campaign"),
            term: utm("utm_term"),
            content: utm("utm_content"),
            ..Attribution::channel(&source, &medium)
        };
    }
    // Only real click ids count: a junk `gclid=` is no evidence of an ad click.
    let ids = ClickIds::from_url(landing).ids;
    let paid = if ids.gclid.is_some() || ids.gbraid.is_some() || ids.wbraid.is_some() {
        Some(("google", "cpc"))
    } else if ids.msclkid.is_some() {
        Some(("bing", "cpc"))
    } else if ids.fbclid.is_some() {
        Some(("facebook", "paid_social"))
    } else {
        None
    };
    if let Some((source, medium)) = paid {
        return Attribution {
            term: utm("utm_term"),
            ..Attribution::channel(source, medium)
        };
    }
    let referrer_host = referrer
        .and_then(Url::host_str)
        .map(normal_host)
        .filter(|h| !h.is_empty());
    if let Some(host) = referrer_host {
        if let Some(engine) = lookup(&host, &SEARCH_ENGINES) {
            return Attribution::channel(engine, "organic");
        }
        if let Some(network) = lookup(&host, &SOCIAL_NETWORKS) {
            return Attribution::channel(network, "social");
        }
        let is_landing_host = landing.host_str().is_some_and(|h| normal_host(h) == host);
        let is_own = is_landing_host || own_domains.iter().any(|domain| host_matches(&host, domain));
        if !is_own {
            return Attribution::channel(host.strip_prefix("www.").unwrap_or(&host), "referral");
        }
    }
    Attribution::channel("(direct)", "(none)")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(text: &str) -> Url {
        Url::parse(text).unwrap()
    }

    fn own() -> Vec<DomainName> {
        vec![DomainName::parse("example.com").unwrap()]
    }

    /// (source, medium) of a landing page and an optional referrer on a site at example.com.
    fn channel_of(landing: &str, referrer: Option<&str>) -> (String, String) {
        let referrer = referrer.map(url);
        let attribution = classify(&url(landing), referrer.as_ref(), &own());
        (attribution.source, attribution.medium)
    }

    #[test]
    fn utm_parameters_win_and_are_normalised() {
        let landing = url(
            "https://example.com/?utm_source=%20Newsletter%20&utm_medium=EMAIL&utm_campaign=Spring%20Sale\
             &utm_term=roof%20repair&utm_content=Button-A&gclid=abc",
        );
        let attribution = classify(&landing, Some(&url("https://www.google.com/")), &own());
        assert_eq!(
            attribution,
            Attribution {
                source: "newsletter".into(),
                medium: "email".into(),
                campaign: Some("Spring Sale".into()),
                term: Some("roof repair".into()),
                content: Some("Button-A".into()),
            }
        );
    }

    #[test]
    fn utm_source_without_medium_has_medium_not_set_and_blank_source_is_ignored() {
        assert_eq!(
            channel_of("https://example.com/?utm_source=flyer", None),
            ("flyer".into(), "(not set)".into())
        );
        let blank = classify(&url("https://example.com/?utm_source=%20&utm_campaign=x"), None, &own());
        assert_eq!((blank.source.as_str(), blank.medium.as_str()), ("(direct)", "(none)"));
        assert_eq!(blank.campaign, None);
    }

    #[test]
    fn fields_are_cut_to_200_characters_and_lose_control_characters() {
        let long = "é".repeat(300);
        let landing = url(&format!(
            "https://example.com/?utm_source={long}&utm_campaign=a%09b%00c"
        ));
        let attribution = classify(&landing, None, &own());
        assert_eq!(attribution.source.chars().count(), 200);
        assert_eq!(attribution.campaign.as_deref(), Some("abc"));
    }

    #[test]
    fn click_ids_name_the_ad_platform_and_keep_only_the_term() {
        let google = "https://example.com/?gclid=abc&utm_term=Plumber&utm_campaign=ignored";
        let attribution = classify(&url(google), Some(&url("https://www.bing.com/")), &own());
        assert_eq!(
            attribution,
            Attribution {
                source: "google".into(),
                medium: "cpc".into(),
                campaign: None,
                term: Some("Plumber".into()),
                content: None,
            }
        );
        for (landing, source, medium) in [
            ("https://example.com/?gbraid=x", "google", "cpc"),
            ("https://example.com/?wbraid=x", "google", "cpc"),
            ("https://example.com/?msclkid=x", "bing", "cpc"),
            ("https://example.com/?fbclid=x", "facebook", "paid_social"),
            ("https://example.com/?msclkid=x&gclid=y", "google", "cpc"),
            ("https://example.com/?gclid=", "(direct)", "(none)"),
            ("https://example.com/?gclid=%3D1%2B1", "(direct)", "(none)"),
        ] {
            assert_eq!(channel_of(landing, None), (source.into(), medium.into()), "{landing}");
        }
    }

    #[test]
    fn search_engine_referrers_are_organic() {
        for (referrer, engine) in [
            ("https://www.google.com/", "google"),
            ("https://www.google.co.uk/search?q=x", "google"),
            ("https://google.de/", "google"),
            ("https://www.google.com.br/", "google"),
            ("https://news.google.com/", "google"),
            ("https://WWW.GOOGLE.FR./", "google"),
            ("https://www.bing.com/search?q=x", "bing"),
            ("https://cn.bing.com/", "bing"),
            ("https://search.yahoo.com/", "yahoo"),
            ("https://search.yahoo.co.jp/", "yahoo"),
            ("https://duckduckgo.com/", "duckduckgo"),
            ("https://www.baidu.com/", "baidu"),
            ("https://yandex.ru/", "yandex"),
            ("https://yandex.com.tr/", "yandex"),
            ("https://www.ecosia.org/", "ecosia"),
            ("https://www.ask.com/", "ask"),
            ("https://search.brave.com/search?q=x", "brave"),
            ("https://www.startpage.com/", "startpage"),
        ] {
            let landing = "https://example.com/";
            assert_eq!(
                channel_of(landing, Some(referrer)),
                (engine.into(), "organic".into()),
                "{referrer}"
            );
        }
    }

    #[test]
    fn social_network_referrers_are_social() {
        for (referrer, network) in [
            ("https://www.facebook.com/", "facebook"),
            ("https://m.facebook.com/", "facebook"),
            ("https://l.facebook.com/l.php?u=x", "facebook"),
            ("https://fb.com/", "facebook"),
            ("https://www.instagram.com/", "instagram"),
            ("https://t.co/abc", "twitter"),
            ("https://twitter.com/", "twitter"),
            ("https://x.com/", "twitter"),
            ("https://www.linkedin.com/", "linkedin"),
            ("https://lnkd.in/abc", "linkedin"),
            ("https://www.pinterest.com/", "pinterest"),
            ("https://pinterest.co.uk/", "pinterest"),
            ("https://old.reddit.com/", "reddit"),
            ("https://www.youtube.com/", "youtube"),
            ("https://www.tiktok.com/", "tiktok"),
        ] {
            let landing = "https://example.com/";
            assert_eq!(
                channel_of(landing, Some(referrer)),
                (network.into(), "social".into()),
                "{referrer}"
            );
        }
    }

    #[test]
    fn look_alike_hosts_are_plain_referrals() {
        for (referrer, source) in [
            ("https://notgoogle.com/", "notgoogle.com"),
            ("https://google.example.org/", "google.example.org"),
            ("https://www.google.com.evil.net/", "google.com.evil.net"),
            ("https://googleadservices.com/", "googleadservices.com"),
            ("https://mybing.com/", "mybing.com"),
            ("https://brave.com/", "brave.com"),
            ("https://box.com/", "box.com"),
            ("https://notfacebook.com/", "notfacebook.com"),
            ("https://www.partner.example/blog", "partner.example"),
            ("https://Blog.Partner.Example/", "blog.partner.example"),
            ("http://192.0.2.7:8080/", "192.0.2.7"),
        ] {
            let landing = "https://example.com/";
            assert_eq!(
                channel_of(landing, Some(referrer)),
                (source.into(), "referral".into()),
                "{referrer}"
            );
        }
    }

    #[test]
    fn own_domains_and_the_landing_host_are_direct() {
        for (landing, referrer) in [
            ("https://example.com/b", Some("https://example.com/a")),
            ("https://example.com/b", Some("https://www.example.com/a")),
            ("https://example.com/b", Some("https://shop.EXAMPLE.com./a")),
            ("https://other-site.test/b", Some("https://other-site.test/a")),
            ("https://example.com/", None),
            ("https://example.com/", Some("about:blank")),
            ("https://example.com/", Some("file:///tmp/x.html")),
        ] {
            assert_eq!(
                channel_of(landing, referrer),
                ("(direct)".into(), "(none)".into()),
                "{landing} from {referrer:?}"
            );
        }
    }

    #[test]
    fn host_matches_the_domain_and_its_subdomains_only() {
        let domain = DomainName::parse("example.com").unwrap();
        for (host, expected) in [
            ("example.com", true),
            ("EXAMPLE.com", true),
            ("example.com.", true),
            ("www.example.com", true),
            ("a.b.example.com", true),
            ("notexample.com", false),
            ("example.com.evil.net", false),
            ("example.co", false),
            (".example.com", false),
            ("", false),
            ("example.com:443", false),
        ] {
            assert_eq!(host_matches(host, &domain), expected, "{host:?}");
        }
        let ip = DomainName::parse("127.0.0.1").unwrap();
        assert!(host_matches("127.0.0.1", &ip));
        assert!(!host_matches("1.127.0.0.1", &ip));
    }
}
