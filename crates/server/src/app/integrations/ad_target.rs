//! The ad platform integrations as an owner gives them (the settings form, the CLI's flags and
//! secret files): Google Ads, Microsoft Advertising and Meta's Conversions API. The typed
//! values arrive in the stored configuration's own shape and are checked here, field by
//! field, before anything is written.

use super::checks::{endpoint_of, given, secret_of, single_word};
use leadline_core::Invalid;
use leadline_core::conversion::ConversionName;
use leadline_core::outbox::{GoogleAds, GoogleAdsRoute, IntegrationConfig, MetaCapi, MicrosoftAds};

/// An ad platform integration as typed.
pub enum AdTarget {
    Google(GoogleAds),
    Microsoft(MicrosoftAds),
    Meta(MetaCapi),
}

impl AdTarget {
    /// The kind's name, as [`IntegrationConfig::kind`] says it.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Google(_) => "google_ads",
            Self::Microsoft(_) => "microsoft_ads",
            Self::Meta(_) => "meta_capi",
        }
    }

    /// The target with every secret left blank taken from `current` (an edit form never
    /// shows secrets, so blank means "keep").
    pub fn keeping_secrets(self, current: &IntegrationConfig) -> Self {
        let keep = |typed: String, kept: &str| {
            if typed.trim().is_empty() {
                kept.to_owned()
            } else {
                typed
            }
        };
        let keep_optional = |typed: Option<String>, kept: &Option<String>| given(typed).or_else(|| kept.clone());
        match (self, current) {
            (Self::Google(mut typed), IntegrationConfig::GoogleAds(kept)) => {
                typed.client_secret = keep(typed.client_secret, &kept.client_secret);
                typed.refresh_token = keep(typed.refresh_token, &kept.refresh_token);
                typed.developer_token = keep_optional(typed.developer_token, &kept.developer_token);
                Self::Google(typed)
            }
            (Self::Microsoft(mut typed), IntegrationConfig::MicrosoftAds(kept)) => {
                typed.developer_token = keep(typed.developer_token, &kept.developer_token);
                typed.refresh_token = keep(typed.refresh_token, &kept.refresh_token);
                typed.client_secret = keep_optional(typed.client_secret, &kept.client_secret);
                Self::Microsoft(typed)
            }
            (Self::Meta(mut typed), IntegrationConfig::MetaCapi(kept)) => {
                typed.access_token = keep(typed.access_token, &kept.access_token);
                Self::Meta(typed)
            }
            (other, _) => other,
        }
    }

    /// The configuration to store, checked; `Invalid` names the field that is wrong.
    pub fn config(self) -> Result<IntegrationConfig, Invalid> {
        Ok(match self {
            Self::Google(c) => {
                let developer_token = given(c.developer_token)
                    .map(|t| secret_of("developer token", &t))
                    .transpose()?;
                if c.route == GoogleAdsRoute::AdsApi && developer_token.is_none() {
                    return Err(Invalid::new("developer token", "the Google Ads API route needs one"));
                }
                let call_conversion_action_id = given(c.call_conversion_action_id)
                    .map(|id| numeric_id("call conversion action id", &id))
                    .transpose()?;
                if call_conversion_action_id.is_some() && developer_token.is_none() {
                    return Err(Invalid::new(
                        "developer token",
                        "call conversions go through the Google Ads API, which needs one",
                    ));
                }
                IntegrationConfig::GoogleAds(GoogleAds {
                    route: c.route,
                    customer_id: customer_id("Google Ads customer id", &c.customer_id)?,
                    login_customer_id: given(c.login_customer_id)
                        .map(|id| customer_id("login customer id", &id))
                        .transpose()?,
                    conversion_action_id: numeric_id("conversion action id", &c.conversion_action_id)?,
                    call_conversion_action_id,
                    client_id: single_word("OAuth client id", &c.client_id)?,
                    client_secret: secret_of("OAuth client secret", &c.client_secret)?,
                    refresh_token: secret_of("refresh token", &c.refresh_token)?,
                    developer_token,
                    send: c.send,
                    enhanced: c.enhanced,
                    api_version: version("Google Ads API version", &c.api_version, false)?,
                    token_url: checked_url("token URL", c.token_url)?,
                    endpoint: checked_url("Google endpoint", c.endpoint)?,
                })
            }
            Self::Microsoft(c) => IntegrationConfig::MicrosoftAds(MicrosoftAds {
                customer_id: numeric_id("Microsoft Advertising customer id", &c.customer_id)?,
                account_id: numeric_id("Microsoft Advertising account id", &c.account_id)?,
                developer_token: secret_of("developer token", &c.developer_token)?,
                client_id: single_word("application (client) id", &c.client_id)?,
                client_secret: given(c.client_secret)
                    .map(|s| secret_of("client secret", &s))
                    .transpose()?,
                refresh_token: secret_of("refresh token", &c.refresh_token)?,
                goal_name: given(c.goal_name)
                    .map(|g| ConversionName::parse(&g).map(|n| n.as_str().to_owned()))
                    .transpose()?,
                send: c.send,
                enhanced: c.enhanced,
                token_url: checked_url("token URL", c.token_url)?,
                endpoint: checked_url("Microsoft endpoint", c.endpoint)?,
            }),
            Self::Meta(c) => IntegrationConfig::MetaCapi(MetaCapi {
                pixel_id: numeric_id("pixel id", &c.pixel_id)?,
                access_token: secret_of("access token", &c.access_token)?,
                test_event_code: given(c.test_event_code)
                    .map(|code| single_word("test event code", &code))
                    .transpose()?,
                api_version: version("Graph API version", &c.api_version, true)?,
                send: c.send,
                endpoint: checked_url("Graph API endpoint", c.endpoint)?,
            }),
        })
    }
}

/// What an ad integration sends to, without its secrets; `None` for other kinds.
pub fn describe(config: &IntegrationConfig) -> Option<String> {
    Some(match config {
        IntegrationConfig::GoogleAds(c) => {
            let route = match c.route {
                GoogleAdsRoute::DataManager => "Data Manager API",
                GoogleAdsRoute::AdsApi => "Google Ads API",
            };
            format!(
                "Google Ads {} conversion action {} by the {route}, sending {}",
                dashed(&c.customer_id),
                c.conversion_action_id,
                c.send.to_text()
            )
        }
        IntegrationConfig::MicrosoftAds(c) => format!(
            "Microsoft Advertising account {}, goal {}, sending {}",
            c.account_id,
            c.goal_name.as_deref().unwrap_or("(the conversion's name)"),
            c.send.to_text()
        ),
        IntegrationConfig::MetaCapi(c) => {
            let mut text = format!(
                "Meta pixel {} ({}), sending {}",
                c.pixel_id,
                c.api_version,
                c.send.to_text()
            );
            if c.test_event_code.is_some() {
                text.push_str(" (test events only)");
            }
            text
        }
        _ => return None,
    })
}

/// Another token URL or API endpoint than the platform's own (a test's fake), checked.
fn checked_url(what: &'static str, input: Option<String>) -> Result<Option<String>, Invalid> {
    given(input).map(|url| endpoint_of(what, &url)).transpose()
}

/// A Google Ads customer id: ten digits, dashes allowed (`123-456-7890`); stored as digits.
pub fn customer_id(what: &'static str, input: &str) -> Result<String, Invalid> {
    let digits: String = input.chars().filter(|c| *c != '-' && !c.is_whitespace()).collect();
    if digits.len() != 10 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Invalid::new(
            what,
            "is ten digits, as Google Ads shows it (123-456-7890)",
        ));
    }
    Ok(digits)
}

/// An id of digits only (a conversion action, an account, a pixel).
pub fn numeric_id(what: &'static str, input: &str) -> Result<String, Invalid> {
    let text = input.trim();
    if text.is_empty() || text.len() > 20 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Invalid::new(what, "is its digits (1 to 20)"));
    }
    Ok(text.to_owned())
}

/// An API version: `v26`, or with `minor` `v21.0`.
fn version(what: &'static str, input: &str, minor: bool) -> Result<String, Invalid> {
    let text = input.trim();
    let number = text.strip_prefix('v').unwrap_or_default();
    let shaped = match number.split_once('.') {
        Some((major, min)) => minor && is_number(major) && is_number(min),
        None => !minor && is_number(number),
    };
    if !shaped {
        let like = if minor { "v21.0" } else { "v26" };
        return Err(Invalid::new(what, format!("looks like {like}")));
    }
    Ok(text.to_owned())
}

fn is_number(text: &str) -> bool {
    !text.is_empty() && text.len() <= 3 && text.bytes().all(|b| b.is_ascii_digit())
}

/// `1234567890` as `123-456-7890`.
fn dashed(id: &str) -> String {
    if id.len() == 10 {
        format!("{}-{}-{}", &id[..3], &id[3..6], &id[6..])
    } else {
        id.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn customer_ids_are_ten_digits_with_or_without_dashes() {
        assert_eq!(customer_id("id", "123-456-7890").unwrap(), "1234567890");
        assert_eq!(customer_id("id", " 1234567890 ").unwrap(), "1234567890");
        for bad in ["123-456-789", "12345678901", "abc-def-ghij", ""] {
            assert!(customer_id("id", bad).is_err(), "{bad}");
        }
        assert_eq!(dashed("1234567890"), "123-456-7890");
    }

    #[test]
    fn versions_and_ids_are_checked() {
        assert!(version("v", "v26", false).is_ok());
        assert!(version("v", "v21.0", true).is_ok());
        assert!(version("v", "21", false).is_err());
        assert!(version("v", "v21", true).is_err());
        assert!(numeric_id("pixel id", "1234567890123").is_ok());
        assert!(numeric_id("pixel id", "12a").is_err());
    }
}
