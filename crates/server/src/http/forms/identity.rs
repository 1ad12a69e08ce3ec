//! What a form says beyond the visitor's own data: the snippet's hidden `leadline_*` fields
//! (the visit, the temporary id, the visitor key, click ids, the GA client id) and the
//! contact details read from the visitor's fields.

use crate::app::submissions::{Form, Upload};
use crate::web::error::ApiError;
use leadline_core::channel::ClickIds;
use leadline_core::click_id::{ClickId, ClickKind};
use leadline_core::form::SubmissionVia;
use leadline_core::form::{FormIdentity, TempId};
use leadline_core::tenant::Site;
use leadline_core::visit::VisitRef;
use leadline_core::visitor::{self, VisitorKey};

/// The prefix of the snippet's own fields; they are never stored as the visitor's data.
pub const PREFIX: &str = "leadline_";

/// The snippet's fields of one form, read but not yet trusted.
#[derive(Debug, Default, Clone)]
pub struct Hidden {
    pub site: Option<String>,
    pub token: Option<String>,
    pub visit: Option<VisitRef>,
    pub temp: Option<TempId>,
    pub visitor: Option<String>,
    pub click_ids: ClickIds,
    /// Click id fields that held something else: dropped, for the caller to count.
    pub dropped_click_ids: Vec<ClickKind>,
    pub ga_client_id: Option<String>,
    pub page: Option<String>,
    pub next: Option<String>,
}

/// Splits the snippet's fields from the visitor's. A malformed identifier is a 400 that
/// names the field (the snippet never sends one, so it is a forgery or a broken page). A
/// click id field is the exception: its value came from the landing page's URL, which anyone
/// can write, so one that is not a click id is dropped and the form kept.
pub fn split(fields: Vec<(String, String)>) -> Result<(Hidden, Vec<(String, String)>), ApiError> {
    let mut hidden = Hidden::default();
    let mut own = Vec::new();
    for (name, value) in fields {
        let Some(key) = name.strip_prefix(PREFIX) else {
            own.push((name, value));
            continue;
        };
        let value = value.trim().to_owned();
        if value.is_empty() {
            continue;
        }
        if let Some(kind) = ClickKind::from_param(key) {
            hidden.click_id(kind, &value);
            continue;
        }
        let bad = |e: leadline_core::Invalid| ApiError::BadRequest(format!("field {name}: {e}"));
        match key {
            "site" => hidden.site = Some(value),
            "token" => hidden.token = Some(value),
            "visit" => hidden.visit = Some(VisitRef::parse(&value).map_err(bad)?),
            "temp" => hidden.temp = Some(TempId::parse(&value).map_err(bad)?),
            "visitor" => hidden.visitor = Some(visitor_key(&name, &value)?),
            "ga" => hidden.ga_client_id = Some(ga_client_id(&name, &value)?),
            "page" => hidden.page = Some(short(&name, value, 2048)?),
            "next" => hidden.next = Some(short(&name, value, 2048)?),
            _ => {
                return Err(ApiError::BadRequest(format!(
                    "unknown field {name}: names starting {PREFIX} are Leadline's"
                )));
            }
        }
    }
    Ok((hidden, own))
}

fn short(name: &str, value: String, max: usize) -> Result<String, ApiError> {
    if value.len() > max || value.chars().any(char::is_control) {
        return Err(ApiError::BadRequest(format!(
            "field {name} must be at most {max} bytes without control characters"
        )));
    }
    Ok(value)
}

fn ga_client_id(name: &str, value: &str) -> Result<String, ApiError> {
    visitor::form_client_id(value)
        .map(str::to_owned)
        .ok_or_else(|| ApiError::BadRequest(format!("field {name} is not a GA client id like 123456789.1700000000")))
}

fn visitor_key(name: &str, value: &str) -> Result<String, ApiError> {
    if VisitorKey::is_claimed(value) {
        Ok(value.to_owned())
    } else {
        Err(ApiError::BadRequest(format!("field {name} is not a visitor key")))
    }
}

impl Hidden {
    /// Keeps a click id field's value when it is one, else notes the field as dropped.
    fn click_id(&mut self, kind: ClickKind, value: &str) {
        match ClickId::parse(kind, value) {
            Ok(id) => *self.click_ids.slot(kind) = Some(id),
            Err(_) => self.dropped_click_ids.push(kind),
        }
    }

    /// The identity to record; `visit` is the visit Leadline vouches for (or `None`), and
    /// the form's own visitor key is kept only when `trust_visitor` (a form processor with
    /// the business's key; a browser's claim alone could tie a stranger to a lead).
    pub fn identity(&self, visit: Option<VisitRef>, trust_visitor: bool) -> FormIdentity {
        FormIdentity {
            visit,
            temp_id: self.temp.clone(),
            visitor_key: self.visitor.clone().filter(|_| trust_visitor),
            click_ids: self.click_ids.clone(),
            ga_client_id: self.ga_client_id.clone(),
        }
    }

    /// The form these fields make, for the submission use case.
    pub fn form(
        &self,
        site: Site,
        via: SubmissionVia,
        visit: Option<VisitRef>,
        fields: Vec<(String, String)>,
        files: Vec<Upload>,
    ) -> Form {
        Form {
            site,
            via,
            identity: self.identity(visit, via == SubmissionVia::Processor),
            dropped_click_ids: self.dropped_click_ids.clone(),
            page_url: self.page.clone(),
            fields,
            files,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
        items.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect()
    }

    #[test]
    fn hidden_fields_are_split_from_the_visitors_own() {
        let visit = VisitRef::generate();
        let (hidden, own) = split(pairs(&[
            ("leadline_visit", visit.as_str()),
            ("leadline_gclid", "Cj0KCQ"),
            ("leadline_ga", "123456789.1700000000"),
            ("leadline_temp", ""),
            ("email", "ann@example.com"),
        ]))
        .unwrap();
        assert_eq!(hidden.visit, Some(visit));
        assert_eq!(hidden.click_ids.gclid.as_ref().map(ClickId::as_str), Some("Cj0KCQ"));
        assert_eq!(hidden.temp, None);
        assert_eq!(own, pairs(&[("email", "ann@example.com")]));
    }

    #[test]
    fn malformed_identifiers_are_named() {
        for (name, value) in [
            ("leadline_visit", "../x"),
            ("leadline_temp", "t_short"),
            ("leadline_ga", "GA1.1.x"),
            ("leadline_visitor", "someone"),
            ("leadline_colour", "red"),
        ] {
            let err = split(pairs(&[(name, value)])).unwrap_err().to_string();
            assert!(err.contains(name), "{name}: {err}");
        }
    }

    #[test]
    fn a_field_that_is_not_a_click_id_is_dropped_and_reported() {
        let (hidden, own) = split(pairs(&[
            ("leadline_gclid", "=cmd|'/C calc'!A0"),
            ("leadline_msclkid", "5f2b8c1e"),
            ("leadline_wbraid", "+1"),
        ]))
        .unwrap();
        assert_eq!(hidden.click_ids.gclid, None);
        assert_eq!(hidden.click_ids.msclkid.as_ref().map(ClickId::as_str), Some("5f2b8c1e"));
        assert_eq!(hidden.dropped_click_ids, [ClickKind::Gclid, ClickKind::Wbraid]);
        assert!(own.is_empty());
    }

    #[test]
    fn a_browsers_visitor_claim_is_not_trusted() {
        let (hidden, _) = split(pairs(&[("leadline_visitor", "ga:1.2")])).unwrap();
        assert_eq!(hidden.identity(None, false).visitor_key, None);
        assert_eq!(hidden.identity(None, true).visitor_key.as_deref(), Some("ga:1.2"));
    }
}
