//! The "add an integration" forms of Settings → Integrations: one per kind, with the fields
//! that kind needs. A refused form comes back with the reason next to its field, its values
//! kept (never a secret's).

use super::ad_platform_form::{AD_FIELD_OF, AD_FORMS, AD_SECRETS};
use super::form::{Errors, Fields};
use crate::app::integrations::Target;
use leadline_core::SiteId;
use leadline_core::outbox::{Integration, IntegrationConfig};

/// How a field is typed: an `<input>` of this type, a `textarea`, a `checkbox`, or `site`
/// (the business's sites to choose from).
type Input = &'static str;

/// One field of a form: its name, label, hint, how it is typed, whether it is required.
type Field = (&'static str, &'static str, &'static str, Input, bool);

const NAME: Field = ("name", "Name", "e.g. Data warehouse", "text", true);
const SITE: Field = ("site", "Site", "", "site", false);

/// The kinds that can be added here: the kind, what its form is called, its own fields.
const FORMS: [(&str, &str, &[Field]); 6] = [
    (
        "webhook",
        "signed webhook",
        &[
            (
                "url",
                "URL to POST to",
                "https:// (each event's JSON, signed)",
                "url",
                true,
            ),
            (
                "secret",
                "Signing secret",
                "at least 16 characters; leave empty to have one generated and shown once",
                "password",
                false,
            ),
        ],
    ),
    (
        "ga4",
        "Google Analytics 4",
        &[
            (
                "measurement_id",
                "Measurement id",
                "G-XXXXXXX (Admin → Data streams)",
                "text",
                true,
            ),
            ("api_secret", "Measurement Protocol API secret", "", "password", true),
            (
                "endpoint",
                "Other collection endpoint",
                "leave empty for Google's",
                "url",
                false,
            ),
            (
                "debug",
                "Validation only (send to GA4's debug endpoint and keep its messages)",
                "",
                "checkbox",
                false,
            ),
        ],
    ),
    (
        "matomo",
        "Matomo",
        &[
            ("url", "Matomo URL", "e.g. https://analytics.example/", "url", true),
            ("site_id", "Matomo site id", "", "text", true),
            (
                "token_auth",
                "token_auth",
                "needed to backdate hits and send the visitor's address",
                "password",
                false,
            ),
            (
                "goal_id",
                "Goal id",
                "the goal a completed form or call counts for",
                "text",
                false,
            ),
        ],
    ),
    (
        "salesforce",
        "Salesforce",
        &[
            (
                "login_url",
                "Login URL",
                "https://login.salesforce.com or the org's My Domain",
                "url",
                true,
            ),
            ("client_id", "Consumer key", "", "text", true),
            ("client_secret", "Consumer secret", "", "password", true),
            ("api_version", "API version", "default v60.0", "text", false),
            (
                "campaigns",
                "Campaigns",
                "one SOURCE=CAMPAIGN_ID per line: leads from that source join that Campaign",
                "textarea",
                false,
            ),
        ],
    ),
    (
        "hubspot",
        "HubSpot",
        &[
            ("token", "Private app access token", "", "password", true),
            (
                "endpoint",
                "Other API endpoint",
                "leave empty for https://api.hubapi.com",
                "url",
                false,
            ),
        ],
    ),
    (
        "ga4_deletion",
        "Google Analytics user deletion (erasures)",
        &[
            (
                "property_id",
                "GA4 property id",
                "its digits (Admin → Property details)",
                "text",
                true,
            ),
            ("client_id", "OAuth client id", "", "text", true),
            ("client_secret", "OAuth client secret", "", "password", true),
            (
                "refresh_token",
                "Refresh token",
                "granted the analytics.user.deletion scope (docs/erasure.md)",
                "password",
                true,
            ),
        ],
    ),
];

/// A field as the page shows it.
pub struct FieldView {
    pub name: &'static str,
    pub label: &'static str,
    pub hint: &'static str,
    pub input: Input,
    pub required: bool,
    /// What was posted in it (never a secret).
    pub value: String,
    pub error: Option<String>,
}

/// A kind's form as the page shows it.
pub struct KindView {
    pub kind: &'static str,
    pub title: &'static str,
    /// Open when it was the form posted.
    pub open: bool,
    pub refused: bool,
    /// A reason about the form as a whole.
    pub error: Option<String>,
    pub fields: Vec<FieldView>,
}

/// Fields whose values are secrets: never written back into a page.
const SECRETS: [&str; 6] = [
    "secret",
    "api_secret",
    "token_auth",
    "client_secret",
    "token",
    "refresh_token",
];

/// Which field a refusal is about, from the name the checks give the value.
const FIELD_OF: [(&str, &str); 20] = [
    ("integration name", "name"),
    ("webhook URL", "url"),
    ("webhook secret", "secret"),
    ("measurement id", "measurement_id"),
    ("API secret", "api_secret"),
    ("GA4 endpoint", "endpoint"),
    ("Matomo URL", "url"),
    ("Matomo site id", "site_id"),
    ("Matomo goal id", "goal_id"),
    ("token_auth", "token_auth"),
    ("Salesforce login URL", "login_url"),
    ("Salesforce client id", "client_id"),
    ("Salesforce API version", "api_version"),
    ("campaign", "campaigns"),
    ("client secret", "client_secret"),
    ("access token", "token"),
    ("GA4 property id", "property_id"),
    ("OAuth client id", "client_id"),
    ("OAuth client secret", "client_secret"),
    ("refresh token", "refresh_token"),
];

/// The add form as posted (or empty), and why it was refused.
#[derive(Default)]
pub struct AddForm {
    /// The kind whose form was posted; its `<details>` is open.
    pub kind: String,
    fields: Option<Fields>,
    pub errors: Errors,
}

impl AddForm {
    /// The posted form.
    pub fn posted(fields: Fields) -> Self {
        Self {
            kind: fields.get("kind").to_owned(),
            fields: Some(fields),
            errors: Errors::default(),
        }
    }

    /// The value to show in `field` of `kind`'s form: what was posted there, unless secret.
    pub fn value(&self, kind: &str, field: &str) -> &str {
        match &self.fields {
            Some(fields) if kind == self.kind && !SECRETS.contains(&field) && !AD_SECRETS.contains(&field) => {
                fields.get(field)
            }
            _ => "",
        }
    }

    /// Why `field` of `kind`'s form was refused.
    pub fn error(&self, kind: &str, field: &str) -> Option<&str> {
        (kind == self.kind).then(|| self.errors.get(field)).flatten()
    }

    /// Whether `kind`'s form was refused.
    pub fn refused(&self, kind: &str) -> bool {
        kind == self.kind && !self.errors.is_empty()
    }

    /// The form filled with a stored integration's values (never its secrets).
    pub fn of(integration: &Integration) -> Self {
        let mut pairs = vec![
            ("kind", integration.config.kind().to_owned()),
            ("name", integration.name.clone()),
            ("site", integration.site_id.map(|s| s.0.to_string()).unwrap_or_default()),
        ];
        match &integration.config {
            IntegrationConfig::Webhook { url, .. } => pairs.push(("url", url.clone())),
            IntegrationConfig::Ga4 {
                measurement_id,
                endpoint,
                debug,
                ..
            } => {
                pairs.push(("measurement_id", measurement_id.clone()));
                pairs.push(("endpoint", endpoint.clone().unwrap_or_default()));
                if *debug {
                    pairs.push(("debug", "on".into()));
                }
            }
            IntegrationConfig::Matomo {
                url, site_id, goal_id, ..
            } => {
                pairs.push(("url", url.clone()));
                pairs.push(("site_id", site_id.to_string()));
                pairs.push(("goal_id", goal_id.map(|g| g.to_string()).unwrap_or_default()));
            }
            IntegrationConfig::Salesforce {
                login_url,
                client_id,
                api_version,
                campaigns,
                ..
            } => {
                pairs.push(("login_url", login_url.clone()));
                pairs.push(("client_id", client_id.clone()));
                pairs.push(("api_version", api_version.clone()));
                let lines: Vec<String> = campaigns.iter().map(|(s, c)| format!("{s}={c}")).collect();
                pairs.push(("campaigns", lines.join("\n")));
            }
            IntegrationConfig::Hubspot { endpoint, .. } => {
                pairs.push(("endpoint", endpoint.clone().unwrap_or_default()));
            }
            IntegrationConfig::Ga4Deletion {
                property_id, client_id, ..
            } => {
                pairs.push(("property_id", property_id.clone()));
                pairs.push(("client_id", client_id.clone()));
            }
            IntegrationConfig::OperatorPrompt { .. } | IntegrationConfig::Alerts => {}
            ads @ (IntegrationConfig::GoogleAds(_)
            | IntegrationConfig::MicrosoftAds(_)
            | IntegrationConfig::MetaCapi(_)) => {
                pairs.extend(super::ad_platform_form::pairs_of(ads));
            }
        }
        let pairs = pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
        Self::posted(Fields::from_pairs(pairs))
    }

    /// The form of this form's kind, for changing an integration: secrets not required (left
    /// empty, the stored one is kept).
    pub fn editing(&self) -> Option<KindView> {
        let mut view = self.views().into_iter().find(|k| k.kind == self.kind)?;
        for field in &mut view.fields {
            if SECRETS.contains(&field.name) || AD_SECRETS.contains(&field.name) {
                field.required = false;
            }
        }
        Some(view)
    }

    /// Every kind's form, as the page shows it.
    pub fn views(&self) -> Vec<KindView> {
        FORMS
            .iter()
            .chain(AD_FORMS.iter())
            .map(|(kind, title, own)| KindView {
                kind,
                title,
                open: *kind == self.kind,
                refused: self.refused(kind),
                error: self.error(kind, "").map(str::to_owned),
                fields: [NAME, SITE]
                    .iter()
                    .chain(own.iter())
                    .map(|&(name, label, hint, input, required)| FieldView {
                        name,
                        label,
                        hint,
                        input,
                        required,
                        value: self.value(kind, name).to_owned(),
                        error: self.error(kind, name).map(str::to_owned),
                    })
                    .collect(),
            })
            .collect()
    }

    /// Records a refusal from the checks against the field it names (the form as a whole when
    /// it names none).
    pub fn refuse(&mut self, reason: &str) {
        let named = reason.strip_prefix("invalid ").unwrap_or(reason);
        // The ad platforms' names first: "Google Ads customer id" before "client id"-like ones.
        let field = AD_FIELD_OF
            .iter()
            .chain(FIELD_OF.iter())
            .find(|(what, _)| named.starts_with(what))
            .map_or("", |(_, field)| *field);
        self.errors.add(field, reason);
    }

    /// The name, the site (`None`: every site) and the target the form describes, or `None`
    /// with the reasons in `errors`.
    pub fn parse(&mut self) -> Option<(String, Option<SiteId>, Target)> {
        let fields = self.fields.as_ref()?;
        let text = |name: &str| Some(fields.get(name).to_owned()).filter(|v| !v.is_empty());
        let mut errors = Errors::default();
        let mut number = |name: &'static str| match fields.get(name) {
            "" => None,
            given => errors.take(
                name,
                given
                    .parse::<u32>()
                    .map_err(|_| format!("'{given}' is not a whole number")),
            ),
        };
        let site = number("site").map(|id| SiteId(i64::from(id)));
        let target = match self.kind.as_str() {
            "webhook" => Target::Webhook {
                url: fields.get("url").to_owned(),
                secret: text("secret"),
            },
            "ga4" => Target::Ga4 {
                measurement_id: fields.get("measurement_id").to_owned(),
                api_secret: fields.get("api_secret").to_owned(),
                endpoint: text("endpoint"),
                debug: fields.ticked("debug"),
            },
            "matomo" => Target::Matomo {
                url: fields.get("url").to_owned(),
                site_id: number("site_id").unwrap_or(0),
                token_auth: text("token_auth"),
                goal_id: number("goal_id"),
            },
            "salesforce" => Target::Salesforce {
                login_url: fields.get("login_url").to_owned(),
                client_id: fields.get("client_id").to_owned(),
                client_secret: fields.get("client_secret").to_owned(),
                api_version: text("api_version").unwrap_or_else(|| "v60.0".into()),
                campaigns: fields
                    .get("campaigns")
                    .lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
                    .map(str::to_owned)
                    .collect(),
            },
            "hubspot" => Target::Hubspot {
                token: fields.get("token").to_owned(),
                endpoint: text("endpoint"),
            },
            "ga4_deletion" => Target::Ga4Deletion {
                property_id: fields.get("property_id").to_owned(),
                client_id: fields.get("client_id").to_owned(),
                client_secret: fields.get("client_secret").to_owned(),
                refresh_token: fields.get("refresh_token").to_owned(),
            },
            other => match super::ad_platform_form::parse(other, fields, &mut errors) {
                Some(target) => target,
                None => {
                    errors.add(
                        "",
                        format!("'{other}' is not a kind of integration that can be added here"),
                    );
                    return self.keep(errors);
                }
            },
        };
        let name = fields.get("name").to_owned();
        if errors.is_empty() {
            Some((name, site, target))
        } else {
            self.keep(errors)
        }
    }

    fn keep<T>(&mut self, errors: Errors) -> Option<T> {
        self.errors = errors;
        None
    }
}
