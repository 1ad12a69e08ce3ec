//! What an owner gives to add an integration, kind by kind, as typed (in the browser's form
//! or the CLI's flags and secret files), and the checks that turn it into the stored
//! configuration: every URL, id and secret is checked before anything is written.

use super::ad_target::AdTarget;
use super::checks::{endpoint_of, given, http_url, secret_of, single_word};
use leadline_core::Invalid;
use leadline_core::outbox::IntegrationConfig;
use std::collections::BTreeMap;
use url::Url;

/// An integration's target as typed; secrets are the values themselves (the CLI reads them
/// from files first).
pub enum Target {
    /// GA4 Measurement Protocol for one web stream.
    Ga4 {
        measurement_id: String,
        api_secret: String,
        /// Another collection endpoint; empty or `None` for Google's.
        endpoint: Option<String>,
        debug: bool,
    },
    /// Matomo HTTP Tracking API.
    Matomo {
        url: String,
        site_id: u32,
        token_auth: Option<String>,
        goal_id: Option<u32>,
    },
    /// Salesforce REST API, client-credentials flow.
    Salesforce {
        login_url: String,
        client_id: String,
        client_secret: String,
        api_version: String,
        /// `SOURCE=CAMPAIGN_ID` pairs.
        campaigns: Vec<String>,
    },
    /// HubSpot CRM with a private-app token.
    Hubspot { token: String, endpoint: Option<String> },
    /// Google Analytics' User Deletion API for one GA4 property (erasures only).
    Ga4Deletion {
        property_id: String,
        client_id: String,
        client_secret: String,
        refresh_token: String,
    },
    /// A signed webhook to `url`; without a secret one is generated (and shown once).
    Webhook { url: String, secret: Option<String> },
    /// An ad platform: Google Ads, Microsoft Advertising or Meta.
    Ads(AdTarget),
}

impl Target {
    /// The kind's name, as [`IntegrationConfig::kind`] says it.
    pub fn kind(&self) -> &'static str {
        match self {
            Target::Ga4 { .. } => "ga4",
            Target::Matomo { .. } => "matomo",
            Target::Salesforce { .. } => "salesforce",
            Target::Hubspot { .. } => "hubspot",
            Target::Ga4Deletion { .. } => "ga4_deletion",
            Target::Webhook { .. } => "webhook",
            Target::Ads(ads) => ads.kind(),
        }
    }

    /// The target with every secret left empty taken from `current` (an edit form leaves
    /// secrets blank: they are never shown, so blank means "keep").
    pub fn keeping_secrets(self, current: &IntegrationConfig) -> Self {
        let keep = |typed: String, kept: &str| {
            if typed.trim().is_empty() {
                kept.to_owned()
            } else {
                typed
            }
        };
        let keep_optional = |typed: Option<String>, kept: Option<&String>| given(typed).or_else(|| kept.cloned());
        match (self, current) {
            (
                Target::Ga4 {
                    measurement_id,
                    api_secret,
                    endpoint,
                    debug,
                },
                IntegrationConfig::Ga4 { api_secret: kept, .. },
            ) => Target::Ga4 {
                measurement_id,
                api_secret: keep(api_secret, kept),
                endpoint,
                debug,
            },
            (
                Target::Matomo {
                    url,
                    site_id,
                    token_auth,
                    goal_id,
                },
                IntegrationConfig::Matomo { token_auth: kept, .. },
            ) => Target::Matomo {
                url,
                site_id,
                token_auth: keep_optional(token_auth, kept.as_ref()),
                goal_id,
            },
            (
                Target::Salesforce {
                    login_url,
                    client_id,
                    client_secret,
                    api_version,
                    campaigns,
                },
                IntegrationConfig::Salesforce {
                    client_secret: kept, ..
                },
            ) => Target::Salesforce {
                login_url,
                client_id,
                client_secret: keep(client_secret, kept),
                api_version,
                campaigns,
            },
            (Target::Hubspot { token, endpoint }, IntegrationConfig::Hubspot { token: kept, .. }) => Target::Hubspot {
                token: keep(token, kept),
                endpoint,
            },
            (
                Target::Ga4Deletion {
                    property_id,
                    client_id,
                    client_secret,
                    refresh_token,
                },
                IntegrationConfig::Ga4Deletion {
                    client_secret: kept_secret,
                    refresh_token: kept_token,
                    ..
                },
            ) => Target::Ga4Deletion {
                property_id,
                client_id,
                client_secret: keep(client_secret, kept_secret),
                refresh_token: keep(refresh_token, kept_token),
            },
            (Target::Webhook { url, secret }, IntegrationConfig::Webhook { secret: kept, .. }) => Target::Webhook {
                url,
                secret: keep_optional(secret, Some(kept)),
            },
            (Target::Ads(ads), current) => Target::Ads(ads.keeping_secrets(current)),
            (other, _) => other,
        }
    }

    /// The configuration to store, checked, with the webhook secret when one was generated
    /// (to show once). `Invalid` names the field that is wrong and why.
    pub fn config(self) -> Result<(IntegrationConfig, Option<String>), Invalid> {
        let config = match self {
            Target::Ga4 {
                measurement_id,
                api_secret,
                endpoint,
                debug,
            } => IntegrationConfig::Ga4 {
                measurement_id: measurement_id_of(&measurement_id)?,
                endpoint: given(endpoint).map(|e| endpoint_of("GA4 endpoint", &e)).transpose()?,
                api_secret: secret_of("API secret", &api_secret)?,
                debug,
            },
            Target::Matomo {
                url,
                site_id,
                token_auth,
                goal_id,
            } => IntegrationConfig::Matomo {
                url: http_url("Matomo URL", &url)?.to_string(),
                site_id: positive("Matomo site id", site_id)?,
                goal_id: goal_id.map(|g| positive("Matomo goal id", g)).transpose()?,
                token_auth: given(token_auth).map(|t| secret_of("token_auth", &t)).transpose()?,
            },
            Target::Salesforce {
                login_url,
                client_id,
                client_secret,
                api_version,
                campaigns,
            } => IntegrationConfig::Salesforce {
                login_url: endpoint_of("Salesforce login URL", &login_url)?,
                client_id: single_word("Salesforce client id", &client_id)?,
                api_version: api_version_of(&api_version)?,
                campaigns: campaigns_of(&campaigns)?,
                client_secret: secret_of("client secret", &client_secret)?,
            },
            Target::Hubspot { token, endpoint } => IntegrationConfig::Hubspot {
                endpoint: given(endpoint)
                    .map(|e| endpoint_of("HubSpot endpoint", &e))
                    .transpose()?,
                token: secret_of("access token", &token)?,
            },
            Target::Ga4Deletion {
                property_id,
                client_id,
                client_secret,
                refresh_token,
            } => IntegrationConfig::Ga4Deletion {
                property_id: property_id_of(&property_id)?,
                client_id: single_word("OAuth client id", &client_id)?,
                client_secret: secret_of("OAuth client secret", &client_secret)?,
                refresh_token: secret_of("refresh token", &refresh_token)?,
                token_url: None,
                endpoint: None,
            },
            Target::Ads(ads) => ads.config()?,
            Target::Webhook { url, secret } => {
                let url = http_url("webhook URL", &url)?.to_string();
                let (secret, generated) = match given(secret) {
                    Some(secret) => {
                        let secret = secret_of("webhook secret", &secret)?;
                        if secret.chars().count() < MIN_WEBHOOK_SECRET_CHARS {
                            return Err(Invalid::new(
                                "webhook secret",
                                format!("it is shorter than {MIN_WEBHOOK_SECRET_CHARS} characters"),
                            ));
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
}

/// A GA4 property id: its digits (Admin → Property details), not the `G-` measurement id.
fn property_id_of(input: &str) -> Result<String, Invalid> {
    let id = input.trim();
    if id.is_empty() || id.len() > 20 || !id.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Invalid::new(
            "GA4 property id",
            format!("'{id}' is not a property id (its digits, as Admin → Property details shows them)"),
        ));
    }
    Ok(id.to_owned())
}

/// Shortest signing secret accepted from a file.
const MIN_WEBHOOK_SECRET_CHARS: usize = 16;

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

/// What an integration delivers to, without its secrets.
pub fn describe(config: &IntegrationConfig) -> String {
    if let Some(ad_platform) = super::ad_target::describe(config) {
        return ad_platform;
    }
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
        IntegrationConfig::Ga4Deletion { property_id, .. } => {
            format!("GA4 user deletion for property {property_id} (erasures only)")
        }
        IntegrationConfig::Hubspot { endpoint, .. } => format!(
            "HubSpot at {}",
            shown_url(endpoint.as_deref().unwrap_or("https://api.hubapi.com"))
        ),
        IntegrationConfig::Webhook { url, .. } => format!("POST {} (signed)", shown_url(url)),
        IntegrationConfig::OperatorPrompt { channel } => {
            format!("post-call prompt to the operator by {}", channel.as_str())
        }
        IntegrationConfig::Alerts => "members' alerts, by the channels each chose".to_owned(),
        IntegrationConfig::GoogleAds(_) | IntegrationConfig::MicrosoftAds(_) | IntegrationConfig::MetaCapi(_) => {
            unreachable!("ad platforms are described above")
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

#[cfg(test)]
#[path = "target_tests.rs"]
mod tests;
