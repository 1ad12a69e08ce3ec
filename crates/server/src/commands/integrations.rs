//! `leadline integration …`: where a business's events are delivered. Every input (URLs,
//! ids, the secrets read from their files) is checked before anything is written, so bad
//! input changes nothing; secrets never come from the command line (where `ps` shows them)
//! and are never printed, except a generated webhook secret, once.

use crate::cli::{BusinessRef, IntegrationAddArgs, IntegrationCommand, IntegrationTarget};
use crate::commands::InputError;
use crate::commands::tenants::{find_business, said};
use leadline_core::Invalid;
use leadline_core::names::Name;
use leadline_core::net::is_loopback;
use leadline_core::outbox::{Integration, IntegrationConfig, IntegrationId, NewIntegration};
use leadline_core::site::SiteKey;
use leadline_core::store::{Store, StoreError};
use std::collections::BTreeMap;
use std::io::BufRead;
use std::path::Path;
use url::Url;

/// `leadline integration …`
pub async fn integration(store: &dyn Store, command: IntegrationCommand) -> anyhow::Result<()> {
    match command {
        IntegrationCommand::Add(args) => add(store, args).await,
        IntegrationCommand::List { business } => list(store, &business).await,
        IntegrationCommand::Disable { business, id } => set_enabled(store, &business, id, false).await,
        IntegrationCommand::Enable { business, id } => set_enabled(store, &business, id, true).await,
    }
}

async fn add(store: &dyn Store, args: IntegrationAddArgs) -> anyhow::Result<()> {
    let name = Name::parse_as("integration name", &args.name)?;
    let site_key = args.site.as_deref().map(SiteKey::parse).transpose()?;
    let (config, generated) = target_config(&args.target)?;
    let business = find_business(store, &args.business).await?;
    let site_id = match site_key {
        None => None,
        Some(key) => match store.site_by_key(&key).await {
            Ok(site) if site.business_id == business.id => Some(site.id),
            Ok(_) | Err(StoreError::NotFound) => {
                return Err(InputError(format!("'{}' has no site {key}", business.slug)).into());
            }
            Err(other) => return Err(other.into()),
        },
    };
    let new = NewIntegration {
        business_id: business.id,
        site_id,
        name: name.as_str().to_owned(),
        config,
    };
    let created = match store.add_integration(&new).await {
        Err(StoreError::NotFound) => {
            return Err(InputError(format!("'{}' has no such site", business.slug)).into());
        }
        other => other.map_err(said)?,
    };
    println!(
        "created {} integration {} '{}' for '{}': {}",
        created.config.kind(),
        created.id,
        created.name,
        business.slug,
        describe(&created.config)
    );
    if let Some(secret) = generated {
        println!("signing secret (shown once; verify the Leadline-Signature header with it): {secret}");
    }
    Ok(())
}

/// The configuration the flags describe, checked, with the webhook secret when one was
/// generated (to show once).
fn target_config(target: &IntegrationTarget) -> anyhow::Result<(IntegrationConfig, Option<String>)> {
    let config = match target {
        IntegrationTarget::Ga4 {
            measurement_id,
            api_secret_file,
            endpoint,
            debug,
        } => IntegrationConfig::Ga4 {
            measurement_id: measurement_id_of(measurement_id)?,
            endpoint: endpoint
                .as_deref()
                .map(|e| endpoint_of("GA4 endpoint", e))
                .transpose()?,
            api_secret: read_secret(api_secret_file, "API secret")?,
            debug: *debug,
        },
        IntegrationTarget::Matomo {
            url,
            site_id,
            token_auth_file,
            goal_id,
        } => IntegrationConfig::Matomo {
            url: http_url("Matomo URL", url)?.to_string(),
            site_id: positive("Matomo site id", *site_id)?,
            goal_id: goal_id.map(|g| positive("Matomo goal id", g)).transpose()?,
            token_auth: token_auth_file
                .as_deref()
                .map(|f| read_secret(f, "token_auth"))
                .transpose()?,
        },
        IntegrationTarget::Salesforce {
            login_url,
            client_id,
            client_secret_file,
            api_version,
            campaigns,
        } => IntegrationConfig::Salesforce {
            login_url: endpoint_of("Salesforce login URL", login_url)?,
            client_id: single_word("Salesforce client id", client_id)?,
            api_version: api_version_of(api_version)?,
            campaigns: campaigns_of(campaigns)?,
            client_secret: read_secret(client_secret_file, "client secret")?,
        },
        IntegrationTarget::Hubspot { token_file, endpoint } => IntegrationConfig::Hubspot {
            endpoint: endpoint
                .as_deref()
                .map(|e| endpoint_of("HubSpot endpoint", e))
                .transpose()?,
            token: read_secret(token_file, "access token")?,
        },
        IntegrationTarget::Webhook { url, secret_file } => {
            let url = http_url("webhook URL", url)?.to_string();
            let (secret, generated) = match secret_file {
                Some(file) => {
                    let secret = read_secret(file, "webhook secret")?;
                    if secret.chars().count() < MIN_WEBHOOK_SECRET_CHARS {
                        return Err(Invalid::new(
                            "webhook secret",
                            format!("it is shorter than {MIN_WEBHOOK_SECRET_CHARS} characters"),
                        )
                        .into());
                    }
                    (secret, None)
                }
                None => {
                    let secret = format!("whsec_{}", leadline_core::secret::random_token(32));
                    (secret.clone(), Some(secret))
                }
            };
            return Ok((IntegrationConfig::Webhook { url, secret }, generated));
        }
    };
    Ok((config, None))
}

/// Shortest signing secret accepted from a file.
const MIN_WEBHOOK_SECRET_CHARS: usize = 16;

/// An http(s) URL with a host; plain http only to this machine (a test receiver, a local
/// relay), as the data goes over the network otherwise.
fn http_url(what: &'static str, input: &str) -> Result<Url, Invalid> {
    let input = input.trim();
    let url = Url::parse(input).map_err(|e| Invalid::new(what, format!("'{input}' is not a URL: {e}")))?;
    if url.host().is_none() {
        return Err(Invalid::new(what, format!("'{input}' has no host")));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Invalid::new(what, "it must not carry a user name or password"));
    }
    match url.scheme() {
        "https" => Ok(url),
        "http" if is_loopback(&url) => Ok(url),
        "http" => Err(Invalid::new(
            what,
            format!("'{input}' is plain http: use https (http is allowed only on this machine)"),
        )),
        other => Err(Invalid::new(what, format!("'{other}:' is not http or https"))),
    }
}

/// An API base URL: checked like any URL, without its trailing slash, and without a query
/// or fragment (paths are appended to it).
fn endpoint_of(what: &'static str, input: &str) -> Result<String, Invalid> {
    let url = http_url(what, input)?;
    if url.query().is_some() || url.fragment().is_some() {
        return Err(Invalid::new(what, "it must not have a query or fragment"));
    }
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

/// `G-` and 4 to 20 letters or digits (upper-cased).
fn measurement_id_of(input: &str) -> Result<String, Invalid> {
    let id = input.trim().to_ascii_uppercase();
    let ok = id
        .strip_prefix("G-")
        .is_some_and(|rest| (4..=20).contains(&rest.len()) && rest.bytes().all(|b| b.is_ascii_alphanumeric()));
    if ok {
        Ok(id)
    } else {
        Err(Invalid::new(
            "measurement id",
            format!("'{}' does not look like G-XXXXXXX (Admin → Data streams)", input.trim()),
        ))
    }
}

fn positive(what: &'static str, value: u32) -> Result<u32, Invalid> {
    if value == 0 {
        Err(Invalid::new(what, "it must be at least 1"))
    } else {
        Ok(value)
    }
}

/// A non-empty value without spaces or control characters, at most 255 characters.
fn single_word(what: &'static str, input: &str) -> Result<String, Invalid> {
    let value = input.trim();
    if value.is_empty() {
        return Err(Invalid::new(what, "it is empty"));
    }
    if value.len() > 255 || value.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(Invalid::new(what, "it must be at most 255 characters without spaces"));
    }
    Ok(value.to_owned())
}

/// `v` and a version such as `60.0`.
fn api_version_of(input: &str) -> Result<String, Invalid> {
    let version = input.trim();
    let ok = version
        .strip_prefix('v')
        .and_then(|v| v.split_once('.'))
        .is_some_and(|(major, minor)| {
            !major.is_empty()
                && !minor.is_empty()
                && major.bytes().all(|b| b.is_ascii_digit())
                && minor.bytes().all(|b| b.is_ascii_digit())
        });
    if ok {
        Ok(version.to_owned())
    } else {
        Err(Invalid::new(
            "Salesforce API version",
            format!("'{version}' is not like v60.0"),
        ))
    }
}

/// `SOURCE=CAMPAIGN_ID` pairs; a Campaign id is 15 or 18 letters and digits.
fn campaigns_of(pairs: &[String]) -> Result<BTreeMap<String, String>, Invalid> {
    let mut campaigns = BTreeMap::new();
    for pair in pairs {
        let Some((source, id)) = pair.split_once('=') else {
            return Err(Invalid::new("campaign", format!("'{pair}' is not SOURCE=CAMPAIGN_ID")));
        };
        let (source, id) = (source.trim(), id.trim());
        if source.is_empty() {
            return Err(Invalid::new("campaign", format!("'{pair}' names no source")));
        }
        if !matches!(id.len(), 15 | 18) || !id.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(Invalid::new(
                "campaign",
                format!("'{id}' is not a Salesforce id (15 or 18 letters and digits)"),
            ));
        }
        if campaigns.insert(source.to_owned(), id.to_owned()).is_some() {
            return Err(Invalid::new("campaign", format!("source '{source}' is given twice")));
        }
    }
    Ok(campaigns)
}

/// The first line of `path` (standard input for `-`), trimmed: a secret without spaces.
fn read_secret(path: &Path, what: &str) -> anyhow::Result<String> {
    let line = if path == Path::new("-") {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        line
    } else {
        let text = std::fs::read_to_string(path)
            .map_err(|e| InputError(format!("cannot read the {what} from {}: {e}", path.display())))?;
        text.lines().next().unwrap_or("").to_owned()
    };
    let secret = line.trim();
    let source = if path == Path::new("-") {
        "standard input".to_owned()
    } else {
        path.display().to_string()
    };
    if secret.is_empty() {
        return Err(InputError(format!("{source} holds no {what}")).into());
    }
    if secret.len() > 4096 || secret.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(InputError(format!(
            "the {what} in {source} must be one line of at most 4096 characters without spaces"
        ))
        .into());
    }
    Ok(secret.to_owned())
}

/// What an integration delivers to, without its secrets.
pub fn describe(config: &IntegrationConfig) -> String {
    match config {
        IntegrationConfig::Ga4 {
            measurement_id,
            endpoint,
            debug,
            ..
        } => {
            let mut text = format!("GA4 stream {measurement_id}");
            if let Some(endpoint) = endpoint {
                text.push_str(&format!(" at {}", shown_url(endpoint)));
            }
            if *debug {
                text.push_str(" (debug: validation only)");
            }
            text
        }
        IntegrationConfig::Matomo {
            url,
            site_id,
            goal_id,
            token_auth,
        } => {
            let mut text = format!("Matomo site {site_id} at {}", shown_url(url));
            if let Some(goal) = goal_id {
                text.push_str(&format!(", goal {goal}"));
            }
            if token_auth.is_some() {
                text.push_str(", with token_auth");
            }
            text
        }
        IntegrationConfig::Salesforce {
            login_url,
            client_id,
            api_version,
            campaigns,
            ..
        } => format!(
            "Salesforce {api_version} at {} (client {}…, {} campaign(s))",
            shown_url(login_url),
            client_id.chars().take(8).collect::<String>(),
            campaigns.len()
        ),
        IntegrationConfig::Hubspot { endpoint, .. } => format!(
            "HubSpot at {}",
            shown_url(endpoint.as_deref().unwrap_or("https://api.hubapi.com"))
        ),
        IntegrationConfig::Webhook { url, .. } => format!("POST {} (signed)", shown_url(url)),
        IntegrationConfig::OperatorPrompt { channel } => {
            format!("post-call prompt to the operator by {}", channel.as_str())
        }
    }
}

/// A URL as listed: its origin, with `/…` for a path or query, which may hold a token
/// (many webhook URLs are secret paths).
fn shown_url(url: &str) -> String {
    match Url::parse(url) {
        Ok(parsed) => {
            let origin = parsed.origin().ascii_serialization();
            if parsed.path().trim_matches('/').is_empty() && parsed.query().is_none() {
                origin
            } else {
                format!("{origin}/…")
            }
        }
        Err(_) => "(not a URL)".to_owned(),
    }
}

async fn list(store: &dyn Store, business: &BusinessRef) -> anyhow::Result<()> {
    let business = find_business(store, business).await?;
    let sites = store.list_sites(business.id).await.map_err(said)?;
    for i in store.integrations(business.id).await.map_err(said)? {
        println!("{}", listed(&i, &sites));
    }
    Ok(())
}

fn listed(i: &Integration, sites: &[leadline_core::tenant::Site]) -> String {
    let site = match i.site_id {
        None => "all sites".to_owned(),
        Some(id) => sites
            .iter()
            .find(|s| s.id == id)
            .map_or_else(|| format!("site #{}", id.0), |s| s.key.to_string()),
    };
    let state = if i.enabled { "enabled" } else { "disabled" };
    format!(
        "{:<6} {:<10} {:<8} {:<24} {:<22} {}",
        i.id,
        i.config.kind(),
        state,
        i.name,
        site,
        describe(&i.config)
    )
}

async fn set_enabled(store: &dyn Store, business: &BusinessRef, id: i64, enabled: bool) -> anyhow::Result<()> {
    let business = find_business(store, business).await?;
    crate::app::integrations::set_enabled(store, business.id, IntegrationId(id), enabled)
        .await
        .map_err(|e| {
            crate::commands::app_failure(e, || {
                format!(
                    "'{}' has no integration {id}: see `leadline integration list`",
                    business.slug
                )
            })
        })?;
    let state = if enabled { "enabled" } else { "disabled" };
    println!("{state} integration {id} of '{}'", business.slug);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_must_be_https_or_http_on_this_machine() {
        assert!(http_url("u", "https://hooks.example/x?y=1").is_ok());
        assert!(http_url("u", "http://127.0.0.1:9000/hook").is_ok());
        assert!(http_url("u", "http://localhost/hook").is_ok());
        assert!(http_url("u", "http://[::1]:8080/").is_ok());
        for bad in [
            "http://hooks.example/x",
            "ftp://hooks.example/",
            "hooks.example",
            "https://user:pw@hooks.example/",
            "",
        ] {
            assert!(http_url("u", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn endpoints_lose_their_trailing_slash_and_may_not_carry_a_query() {
        assert_eq!(endpoint_of("e", "https://api.example/").unwrap(), "https://api.example");
        assert_eq!(
            endpoint_of("e", "http://127.0.0.1:9/base/").unwrap(),
            "http://127.0.0.1:9/base"
        );
        assert!(endpoint_of("e", "https://api.example/?a=1").is_err());
    }

    #[test]
    fn measurement_ids_look_like_ga4s() {
        assert_eq!(measurement_id_of(" g-abc1234 ").unwrap(), "G-ABC1234");
        for bad in [
            "UA-12345-1",
            "G-",
            "G-AB",
            "G-ABC 123",
            "ABC1234",
            "G-ABCDEFGHIJKLMNOPQRSTU",
        ] {
            assert!(measurement_id_of(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn campaigns_are_source_and_salesforce_id_pairs() {
        let parsed = campaigns_of(&["google=701000000000001".into(), "Herald=701000000000001AAA".into()]).unwrap();
        assert_eq!(parsed["google"], "701000000000001");
        assert_eq!(parsed["Herald"], "701000000000001AAA");
        for bad in ["google", "=701000000000001", "google=701", "google=70100000000000!"] {
            assert!(campaigns_of(&[bad.into()]).is_err(), "{bad}");
        }
        assert!(campaigns_of(&["a=701000000000001".into(), "a=701000000000002".into()]).is_err());
    }

    #[test]
    fn api_versions_look_like_v60() {
        assert!(api_version_of("v60.0").is_ok());
        for bad in ["60.0", "v60", "vx.0", "v60."] {
            assert!(api_version_of(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn descriptions_show_no_secret_and_no_secret_path() {
        let hook = IntegrationConfig::Webhook {
            url: "https://hooks.example/T000/B000/XXXXSECRETPATH".into(),
            secret: "whsec_shh".into(),
        };
        let text = describe(&hook);
        assert_eq!(text, "POST https://hooks.example/… (signed)");
        let ga4 = IntegrationConfig::Ga4 {
            measurement_id: "G-ABC1234".into(),
            api_secret: "apisecretvalue".into(),
            endpoint: None,
            debug: true,
        };
        assert!(!describe(&ga4).contains("apisecretvalue"));
        let sf = IntegrationConfig::Salesforce {
            login_url: "https://acme.my.salesforce.com".into(),
            client_id: "3MVG9consumerkeyvalue".into(),
            client_secret: "sfsecret".into(),
            api_version: "v60.0".into(),
            campaigns: BTreeMap::new(),
        };
        assert!(!describe(&sf).contains("sfsecret"));
    }
}
