//! The site form: every field as the owner typed it (to show it again), read from a site or
//! from a post, and parsed into a [`SiteEdit`] with each bad field's reason next to it.

use super::form::{Errors, Fields};
use leadline_core::ad_consent::AdsPolicy;
use leadline_core::callme::Region;
use leadline_core::names::Name;
use leadline_core::net::DomainName;
use leadline_core::site::{Currency, ExtensionMode, SiteKind, SiteSettings, Timezone};
use leadline_core::tenant::{Site, SiteEdit};
use std::str::FromStr;

/// The site form's values as typed.
pub struct SiteForm {
    pub name: String,
    /// Domains, one a line (or separated by commas or spaces).
    pub domains: String,
    pub timezone: String,
    pub currency: String,
    /// `extensions` or `pool` (a number pool); empty reads as extensions.
    pub kind: String,
    /// `page_load` or `click`.
    pub mode: String,
    pub idle_minutes: String,
    pub click_idle_minutes: String,
    pub max_live_codes: String,
    pub reuse_quarantine_minutes: String,
    pub cost_per_minute_minor: String,
    pub call_me_countries: String,
    pub call_me_per_visit: String,
    pub call_me_per_day: String,
    /// `signal`, `granted_only` or `never`: which conversions go to ad platforms.
    pub ad_platforms: String,
    pub check_digit: bool,
    pub cookieless: bool,
    pub record_calls: bool,
    pub star_click_codes: bool,
    pub match_redials: bool,
    pub match_rested_codes: bool,
    pub match_recent_callers: bool,
    pub match_click_intent: bool,
}

impl SiteForm {
    /// The form of a new site: the default settings.
    pub fn blank() -> Self {
        Self::with("", "", "UTC", "USD", &SiteSettings::default())
    }

    /// The form of an existing site.
    pub fn of(site: &Site) -> Self {
        let domains: Vec<&str> = site.domains.iter().map(DomainName::as_str).collect();
        Self::with(
            site.name.as_str(),
            &domains.join("\n"),
            site.timezone.name(),
            site.currency.code(),
            &site.settings,
        )
    }

    fn with(name: &str, domains: &str, timezone: &str, currency: &str, s: &SiteSettings) -> Self {
        let countries: Vec<&str> = s.call_me_countries.iter().map(Region::as_str).collect();
        Self {
            name: name.to_owned(),
            domains: domains.to_owned(),
            timezone: timezone.to_owned(),
            currency: currency.to_owned(),
            kind: s.kind.as_str().to_owned(),
            mode: match s.mode {
                ExtensionMode::PageLoad => "page_load".into(),
                ExtensionMode::Click => "click".into(),
            },
            idle_minutes: s.idle_minutes.to_string(),
            click_idle_minutes: s.click_idle_minutes.to_string(),
            max_live_codes: s.max_live_codes.to_string(),
            reuse_quarantine_minutes: s.reuse_quarantine_minutes.to_string(),
            cost_per_minute_minor: s.cost_per_minute_minor.to_string(),
            call_me_countries: countries.join(", "),
            call_me_per_visit: s.call_me_per_visit.to_string(),
            call_me_per_day: s.call_me_per_day.to_string(),
            ad_platforms: s.ad_platforms.as_str().to_owned(),
            check_digit: s.check_digit,
            cookieless: s.cookieless,
            record_calls: s.record_calls,
            star_click_codes: s.star_click_codes,
            match_redials: s.match_redials,
            match_rested_codes: s.match_rested_codes,
            match_recent_callers: s.match_recent_callers,
            match_click_intent: s.match_click_intent,
        }
    }

    /// The form as posted.
    pub fn posted(f: &Fields) -> Self {
        let text = |name: &str| f.get(name).to_owned();
        Self {
            name: text("name"),
            domains: text("domains"),
            timezone: text("timezone"),
            currency: text("currency"),
            kind: text("kind"),
            mode: text("mode"),
            idle_minutes: text("idle_minutes"),
            click_idle_minutes: text("click_idle_minutes"),
            max_live_codes: text("max_live_codes"),
            reuse_quarantine_minutes: text("reuse_quarantine_minutes"),
            cost_per_minute_minor: text("cost_per_minute_minor"),
            call_me_countries: text("call_me_countries"),
            call_me_per_visit: text("call_me_per_visit"),
            call_me_per_day: text("call_me_per_day"),
            ad_platforms: text("ad_platforms"),
            check_digit: f.ticked("check_digit"),
            cookieless: f.ticked("cookieless"),
            record_calls: f.ticked("record_calls"),
            star_click_codes: f.ticked("star_click_codes"),
            match_redials: f.ticked("match_redials"),
            match_rested_codes: f.ticked("match_rested_codes"),
            match_recent_callers: f.ticked("match_recent_callers"),
            match_click_intent: f.ticked("match_click_intent"),
        }
    }

    /// The site the form describes, or `None` with every bad field's reason in `errors`.
    pub fn parse(&self, errors: &mut Errors) -> Option<SiteEdit> {
        let name = errors.take("name", Name::parse_as("site name", &self.name));
        let domains = errors.take(
            "domains",
            self.domains
                .split(|c: char| c == ',' || c.is_whitespace())
                .filter(|d| !d.is_empty())
                .map(DomainName::parse)
                .collect::<Result<Vec<_>, _>>(),
        );
        let timezone = errors.take("timezone", Timezone::parse(&self.timezone));
        let currency = errors.take("currency", Currency::parse(&self.currency));
        let kind = match self.kind.trim() {
            "" => Some(SiteKind::Extensions),
            typed => errors.take("kind", SiteKind::parse(typed)),
        };
        let mode = match self.mode.as_str() {
            "page_load" => Some(ExtensionMode::PageLoad),
            "click" => Some(ExtensionMode::Click),
            _ => {
                errors.add("mode", "choose page load or click");
                None
            }
        };
        let countries = match self.call_me_countries.trim() {
            "" => Some(Vec::new()),
            text if text.eq_ignore_ascii_case("home") => Some(Vec::new()),
            text => errors.take(
                "call_me_countries",
                text.split(',').map(Region::parse).collect::<Result<Vec<_>, _>>(),
            ),
        };
        let idle_minutes = whole(errors, "idle_minutes", &self.idle_minutes);
        let click_idle_minutes = whole(errors, "click_idle_minutes", &self.click_idle_minutes);
        let max_live_codes = whole(errors, "max_live_codes", &self.max_live_codes);
        let quarantine = whole(errors, "reuse_quarantine_minutes", &self.reuse_quarantine_minutes);
        let cost = whole(errors, "cost_per_minute_minor", &self.cost_per_minute_minor);
        let per_visit = whole(errors, "call_me_per_visit", &self.call_me_per_visit);
        let per_day = whole(errors, "call_me_per_day", &self.call_me_per_day);
        let ad_platforms = errors.take("ad_platforms", AdsPolicy::parse(&self.ad_platforms));
        // A field that did not parse takes its default, so that the rules between settings
        // are still checked and every reason shown at once.
        let d = SiteSettings::default();
        let settings = SiteSettings {
            kind: kind.unwrap_or_default(),
            mode: mode.unwrap_or_default(),
            idle_minutes: idle_minutes.unwrap_or(d.idle_minutes),
            click_idle_minutes: click_idle_minutes.unwrap_or(d.click_idle_minutes),
            max_live_codes: max_live_codes.unwrap_or(d.max_live_codes),
            reuse_quarantine_minutes: quarantine.unwrap_or(d.reuse_quarantine_minutes),
            cost_per_minute_minor: cost.unwrap_or(d.cost_per_minute_minor),
            call_me_countries: countries.unwrap_or_default(),
            call_me_per_visit: per_visit.unwrap_or(d.call_me_per_visit),
            call_me_per_day: per_day.unwrap_or(d.call_me_per_day),
            ad_platforms: ad_platforms.unwrap_or_default(),
            check_digit: self.check_digit,
            cookieless: self.cookieless,
            record_calls: self.record_calls,
            star_click_codes: self.star_click_codes,
            match_redials: self.match_redials,
            match_rested_codes: self.match_rested_codes,
            match_recent_callers: self.match_recent_callers,
            match_click_intent: self.match_click_intent,
            // The call handling has its own page; the site's edit keeps it (`sites::edit`).
            calls: Default::default(),
        };
        if let Err(invalid) = settings.validate() {
            errors.add(field_of(invalid.what), invalid.reason);
        }
        let edit = SiteEdit {
            name: name?,
            domains: domains?,
            timezone: timezone?,
            currency: currency?,
            settings,
        };
        if let Err(invalid) = edit.validate() {
            errors.add("domains", invalid.reason);
        }
        errors.is_empty().then_some(edit)
    }
}

/// A whole number (0 or more), or `None` with the reason next to `field`.
fn whole<T: FromStr>(errors: &mut Errors, field: &'static str, text: &str) -> Option<T> {
    let parsed = text.trim().parse::<T>().ok();
    if parsed.is_none() {
        errors.add(field, format!("'{text}' is not a whole number"));
    }
    parsed
}

/// The form field a settings rule names.
fn field_of(what: &str) -> &'static str {
    match what {
        "idle minutes" => "idle_minutes",
        "click idle minutes" => "click_idle_minutes",
        "max live codes" => "max_live_codes",
        _ => "",
    }
}
