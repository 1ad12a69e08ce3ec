//! The "add an integration" forms of the ad platforms (Google Ads, Microsoft Advertising,
//! Meta's Conversions API), beside the other kinds' in `integration_form`.

use super::form::{Errors, Fields};
use crate::app::integrations::{AdTarget, Target};
use leadline_core::ad_upload::SendRule;
use leadline_core::outbox::{GoogleAds, GoogleAdsRoute, IntegrationConfig, MetaCapi, MicrosoftAds};

/// One field: name, label, hint, input type, required (as `integration_form`'s).
type Field = (&'static str, &'static str, &'static str, &'static str, bool);

const SEND: Field = (
    "send",
    "Which records go",
    "marked (calls and forms an operator marks; the default), status:qualified, call-longer-than:60 \
     or first-time-caller",
    "text",
    false,
);
const ENHANCED: Field = (
    "enhanced",
    "Also send the lead's e-mail and phone, SHA-256 hashed (enhanced conversions)",
    "",
    "checkbox",
    false,
);

/// The ad platforms' forms: kind, title, own fields.
pub const AD_FORMS: [(&str, &str, &[Field]); 3] = [
    (
        "google_ads",
        "Google Ads conversions",
        &[
            (
                "customer_id",
                "Google Ads customer id",
                "123-456-7890: the account that owns the conversion action",
                "text",
                true,
            ),
            (
                "conversion_action_id",
                "Conversion action id",
                "its digits (type Import › Other data sources or CRMs)",
                "text",
                true,
            ),
            ("client_id", "OAuth client id", "", "text", true),
            ("client_secret", "OAuth client secret", "", "password", true),
            (
                "refresh_token",
                "Refresh token",
                "granted the datamanager scope (adwords for the Google Ads API)",
                "password",
                true,
            ),
            (
                "login_customer_id",
                "Manager account id",
                "when you sign in through a manager account",
                "text",
                false,
            ),
            (
                "route",
                "Route",
                "data_manager (default) or ads_api (only for developer tokens that already uploaded click conversions)",
                "text",
                false,
            ),
            (
                "developer_token",
                "Developer token",
                "for the ads_api route, call conversions and retractions",
                "password",
                false,
            ),
            (
                "call_conversion_action_id",
                "Call conversion action id",
                "calls without a click id, by caller number (needs the developer token)",
                "text",
                false,
            ),
            SEND,
            ENHANCED,
        ],
    ),
    (
        "microsoft_ads",
        "Microsoft Advertising conversions",
        &[
            (
                "customer_id",
                "Customer id",
                "the manager account (CustomerId)",
                "text",
                true,
            ),
            (
                "account_id",
                "Account id",
                "the ad account (CustomerAccountId)",
                "text",
                true,
            ),
            ("developer_token", "Developer token", "", "password", true),
            ("client_id", "Application (client) id", "", "text", true),
            (
                "client_secret",
                "Client secret",
                "leave empty for a public client",
                "password",
                false,
            ),
            (
                "refresh_token",
                "Refresh token",
                "granted https://ads.microsoft.com/msads.manage and offline_access",
                "password",
                true,
            ),
            (
                "goal_name",
                "Offline conversion goal",
                "its exact name; empty: the conversion's own name (Phone Call, Form…)",
                "text",
                false,
            ),
            SEND,
            ENHANCED,
        ],
    ),
    (
        "meta_capi",
        "Meta Conversions API",
        &[
            ("pixel_id", "Pixel (dataset) id", "", "text", true),
            (
                "access_token",
                "Access token",
                "a system user's token for the pixel",
                "password",
                true,
            ),
            ("api_version", "Graph API version", "default v21.0", "text", false),
            (
                "test_event_code",
                "Test event code",
                "sends to Events Manager › Test events only",
                "text",
                false,
            ),
            SEND,
        ],
    ),
];

/// The ad forms' secret fields: never written back into a page.
pub const AD_SECRETS: [&str; 3] = ["developer_token", "access_token", "refresh_token"];

/// Which field a refusal is about, from the name the checks give the value.
pub const AD_FIELD_OF: [(&str, &str); 14] = [
    ("Google Ads customer id", "customer_id"),
    ("login customer id", "login_customer_id"),
    ("conversion action id", "conversion_action_id"),
    ("call conversion action id", "call_conversion_action_id"),
    ("developer token", "developer_token"),
    ("Google Ads route", "route"),
    ("send rule", "send"),
    ("Microsoft Advertising customer id", "customer_id"),
    ("Microsoft Advertising account id", "account_id"),
    ("application (client) id", "client_id"),
    ("conversion name", "goal_name"),
    ("pixel id", "pixel_id"),
    ("Graph API version", "api_version"),
    ("test event code", "test_event_code"),
];

/// The target an ad form describes; `None` when `kind` is not an ad platform. A value that
/// cannot even be read (a rule, a route) is an error in `errors`.
pub fn parse(kind: &str, fields: &Fields, errors: &mut Errors) -> Option<Target> {
    let text = |name: &str| Some(fields.get(name).trim().to_owned()).filter(|v| !v.is_empty());
    let get = |name: &str| fields.get(name).to_owned();
    let send = errors
        .take(
            "send",
            text("send")
                .map_or(Ok(SendRule::Marked), |r| SendRule::parse(&r))
                .map_err(|e| e.to_string()),
        )
        .unwrap_or_default();
    let target = match kind {
        "google_ads" => {
            let route = errors
                .take(
                    "route",
                    text("route")
                        .map_or(Ok(GoogleAdsRoute::DataManager), |r| GoogleAdsRoute::parse(&r))
                        .map_err(|e| e.to_string()),
                )
                .unwrap_or_default();
            AdTarget::Google(GoogleAds {
                route,
                customer_id: get("customer_id"),
                login_customer_id: text("login_customer_id"),
                conversion_action_id: get("conversion_action_id"),
                call_conversion_action_id: text("call_conversion_action_id"),
                client_id: get("client_id"),
                client_secret: get("client_secret"),
                refresh_token: get("refresh_token"),
                developer_token: text("developer_token"),
                send,
                enhanced: fields.ticked("enhanced"),
                api_version: "v26".into(),
                token_url: None,
                endpoint: None,
            })
        }
        "microsoft_ads" => AdTarget::Microsoft(MicrosoftAds {
            customer_id: get("customer_id"),
            account_id: get("account_id"),
            developer_token: get("developer_token"),
            client_id: get("client_id"),
            client_secret: text("client_secret"),
            refresh_token: get("refresh_token"),
            goal_name: text("goal_name"),
            send,
            enhanced: fields.ticked("enhanced"),
            token_url: None,
            endpoint: None,
        }),
        "meta_capi" => AdTarget::Meta(MetaCapi {
            pixel_id: get("pixel_id"),
            access_token: get("access_token"),
            test_event_code: text("test_event_code"),
            api_version: text("api_version").unwrap_or_else(|| "v21.0".into()),
            send,
            endpoint: None,
        }),
        _ => return None,
    };
    Some(Target::Ads(target))
}

/// A stored ad integration's values for its form (never its secrets); empty for other kinds.
pub fn pairs_of(config: &IntegrationConfig) -> Vec<(&'static str, String)> {
    match config {
        IntegrationConfig::GoogleAds(c) => {
            let mut pairs = vec![
                ("customer_id", c.customer_id.clone()),
                ("conversion_action_id", c.conversion_action_id.clone()),
                ("client_id", c.client_id.clone()),
                ("login_customer_id", c.login_customer_id.clone().unwrap_or_default()),
                ("route", c.route.as_str().to_owned()),
                (
                    "call_conversion_action_id",
                    c.call_conversion_action_id.clone().unwrap_or_default(),
                ),
                ("send", c.send.to_text()),
            ];
            if c.enhanced {
                pairs.push(("enhanced", "on".into()));
            }
            pairs
        }
        IntegrationConfig::MicrosoftAds(c) => {
            let mut pairs = vec![
                ("customer_id", c.customer_id.clone()),
                ("account_id", c.account_id.clone()),
                ("client_id", c.client_id.clone()),
                ("goal_name", c.goal_name.clone().unwrap_or_default()),
                ("send", c.send.to_text()),
            ];
            if c.enhanced {
                pairs.push(("enhanced", "on".into()));
            }
            pairs
        }
        IntegrationConfig::MetaCapi(c) => vec![
            ("pixel_id", c.pixel_id.clone()),
            ("api_version", c.api_version.clone()),
            ("test_event_code", c.test_event_code.clone().unwrap_or_default()),
            ("send", c.send.to_text()),
        ],
        _ => Vec::new(),
    }
}
