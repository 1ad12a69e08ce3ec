//! Editing a lead in place from its page: contact fields, the business's custom fields (each
//! with its kind) and tags. Every change goes through the one lead use case; input it cannot
//! take shows the page again (400) with the reason next to the field and what was typed, and
//! changes nothing.

use super::lead_form::Edit;
use super::pages::{View, lead_of, render_page};
use super::session::Operator;
use crate::app::{AppError, AppState, leads};
use crate::web::error::ApiError;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use leadline_core::E164;
use leadline_core::fields::{CustomValues, FieldDef, FieldKind, apply_custom};
use leadline_core::lead::{Author, FieldsPatch, Lead, LeadChange, contact_text};
use leadline_core::net::Email;
use serde_json::{Number, Value};

/// A form's fields as posted, in order (custom fields have names known only at run time).
type Fields = Vec<(String, String)>;

/// Checks the form's token, and finds the lead of the session's business.
async fn posted(
    state: &AppState,
    operator: &Operator,
    headers: &HeaderMap,
    record_ref: &str,
    form: &Fields,
) -> Result<Lead, ApiError> {
    let csrf = form
        .iter()
        .find(|(name, _)| name == "csrf")
        .map_or("", |(_, v)| v.as_str());
    operator.check_post(state, headers, csrf)?;
    lead_of(state, operator, record_ref).await
}

/// Applies the change, then shows the lead (303) or, refused, the page with the reason next
/// to `field` (400).
async fn apply(
    state: &AppState,
    operator: &Operator,
    lead: &Lead,
    change: Result<LeadChange, (String, String)>,
    typed: &Fields,
    field: &str,
) -> Result<Response, ApiError> {
    let refusal = match change {
        Err(refusal) => refusal,
        Ok(change) => {
            let author = Author::user(&operator.user.email);
            match leads::change_lead(state.store.as_ref(), lead, &author, &change).await {
                Ok(_) => return Ok(Redirect::to(&format!("/app/leads/{}", lead.record_ref)).into_response()),
                Err(AppError::Invalid(reason) | AppError::Conflict(reason) | AppError::Refused(reason)) => {
                    (field.to_owned(), reason)
                }
                Err(other) => return Err(other.into()),
            }
        }
    };
    let defs = state.store.fields(lead.business_id).await?;
    let edit = Edit::of(lead, &defs).refused(typed, &refusal.0, refusal.1);
    render_page(state, operator, lead, View::refused_edit(edit)).await
}

fn value<'a>(form: &'a Fields, name: &str) -> Option<&'a str> {
    form.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
}

/// The contact fields posted, as a patch (a blank field clears it); refused with the field.
fn contact_patch(form: &Fields) -> Result<FieldsPatch, (String, String)> {
    fn refuse(field: &'static str) -> impl Fn(leadline_core::Invalid) -> (String, String) {
        move |e| (field.to_owned(), e.to_string())
    }
    fn blank(text: &str) -> Option<&str> {
        Some(text.trim()).filter(|t| !t.is_empty())
    }
    let mut patch = FieldsPatch::default();
    if let Some(name) = value(form, "name") {
        patch.name = Some(contact_text("name", name).map_err(refuse("name"))?);
    }
    if let Some(company) = value(form, "company") {
        patch.company = Some(contact_text("company", company).map_err(refuse("company"))?);
    }
    if let Some(email) = value(form, "email") {
        patch.email = Some(blank(email).map(Email::parse).transpose().map_err(refuse("email"))?);
    }
    if let Some(phone) = value(form, "phone") {
        patch.phone = Some(blank(phone).map(E164::parse).transpose().map_err(refuse("phone"))?);
    }
    Ok(patch)
}

/// `POST /app/leads/{ref}/contact`: name, e-mail, phone and company.
pub async fn change_contact(
    State(state): State<AppState>,
    operator: Operator,
    Path(record_ref): Path<String>,
    headers: HeaderMap,
    Form(form): Form<Fields>,
) -> Result<Response, ApiError> {
    let lead = posted(&state, &operator, &headers, &record_ref, &form).await?;
    let change = contact_patch(&form).map(LeadChange::Fields);
    apply(&state, &operator, &lead, change, &form, "contact").await
}

/// The custom values posted that differ from the lead's, each read by its field's kind and
/// checked alone so that a refusal names its field. A blank input removes the value.
fn custom_patch(defs: &[FieldDef], current: &CustomValues, form: &Fields) -> Result<CustomValues, (String, String)> {
    let mut patch = CustomValues::new();
    for def in defs {
        let field = format!("custom.{}", def.name.as_str());
        let Some(typed) = value(form, &field).map(str::trim) else {
            continue;
        };
        let wrong = |what: &str| (field.clone(), format!("'{}' takes {what}", def.name.as_str()));
        let value = match (def.kind, typed) {
            (_, "") => Value::Null,
            (FieldKind::Number, text) => text
                .parse::<i64>()
                .map(Number::from)
                .ok()
                .or_else(|| text.parse::<f64>().ok().and_then(Number::from_f64))
                .map(Value::Number)
                .ok_or_else(|| wrong("a number"))?,
            (FieldKind::Boolean, "yes") => Value::Bool(true),
            (FieldKind::Boolean, "no") => Value::Bool(false),
            (FieldKind::Boolean, _) => return Err(wrong("yes or no")),
            (FieldKind::Text | FieldKind::Date, text) => Value::String(text.to_owned()),
        };
        if current.get(def.name.as_str()).unwrap_or(&Value::Null) == &value {
            continue;
        }
        let one = CustomValues::from_iter([(def.name.as_str().to_owned(), value.clone())]);
        apply_custom(defs, current, &one).map_err(|e| (field.clone(), e.to_string()))?;
        patch.insert(def.name.as_str().to_owned(), value);
    }
    Ok(patch)
}

/// `POST /app/leads/{ref}/custom`: the business's custom fields.
pub async fn change_custom(
    State(state): State<AppState>,
    operator: Operator,
    Path(record_ref): Path<String>,
    headers: HeaderMap,
    Form(form): Form<Fields>,
) -> Result<Response, ApiError> {
    let lead = posted(&state, &operator, &headers, &record_ref, &form).await?;
    let defs = state.store.fields(lead.business_id).await?;
    let change = custom_patch(&defs, &lead.custom, &form).map(|custom| {
        LeadChange::Fields(FieldsPatch {
            custom,
            ..FieldsPatch::default()
        })
    });
    apply(&state, &operator, &lead, change, &form, "custom").await
}

/// `POST /app/leads/{ref}/tags`: `add` (one tag, or several separated by commas) or `remove`.
pub async fn change_tags(
    State(state): State<AppState>,
    operator: Operator,
    Path(record_ref): Path<String>,
    headers: HeaderMap,
    Form(form): Form<Fields>,
) -> Result<Response, ApiError> {
    let lead = posted(&state, &operator, &headers, &record_ref, &form).await?;
    let list = |name: &str| -> Vec<String> {
        value(&form, name)
            .map(|v| v.split(',').map(|t| t.trim().to_owned()).collect())
            .unwrap_or_default()
    };
    let (add, remove) = (list("add"), list("remove"));
    let change = if add.is_empty() && remove.is_empty() {
        Err(("tags".to_owned(), "give a tag to add or remove".to_owned()))
    } else {
        Ok(LeadChange::Tags { add, remove })
    };
    apply(&state, &operator, &lead, change, &form, "tags").await
}

#[cfg(test)]
mod tests {
    use super::*;
    use leadline_core::fields::FieldName;

    fn def(name: &str, kind: FieldKind) -> FieldDef {
        FieldDef {
            name: FieldName::parse(name).unwrap(),
            kind,
            required: false,
        }
    }

    fn typed(pairs: &[(&str, &str)]) -> Fields {
        pairs.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect()
    }

    #[test]
    fn custom_inputs_are_read_by_their_kind_and_a_refusal_names_its_field() {
        let defs = [
            def("budget", FieldKind::Number),
            def("vip", FieldKind::Boolean),
            def("due", FieldKind::Date),
            def("note", FieldKind::Text),
        ];
        let current = CustomValues::from_iter([("note".to_owned(), Value::String("old".into()))]);
        let form = typed(&[
            ("custom.budget", "1200.5"),
            ("custom.vip", "yes"),
            ("custom.due", ""),
            ("custom.note", ""),
        ]);
        let patch = custom_patch(&defs, &current, &form).unwrap();
        assert_eq!(patch["budget"], serde_json::json!(1200.5));
        assert_eq!(patch["vip"], Value::Bool(true));
        assert_eq!(patch["note"], Value::Null, "a blank input removes the value");
        assert!(!patch.contains_key("due"), "nothing to remove");
        let (field, reason) = custom_patch(&defs, &current, &typed(&[("custom.budget", "lots")])).unwrap_err();
        assert_eq!(field, "custom.budget");
        assert!(reason.contains("number"), "{reason}");
        let (field, _) = custom_patch(&defs, &current, &typed(&[("custom.due", "31/01/2026")])).unwrap_err();
        assert_eq!(field, "custom.due");
    }

    #[test]
    fn a_bad_contact_field_is_named_and_a_blank_one_clears() {
        let patch = contact_patch(&typed(&[("email", " "), ("name", "Ann")])).unwrap();
        assert_eq!(patch.email, Some(None));
        assert_eq!(patch.name, Some(Some("Ann".into())));
        assert_eq!(patch.phone, None, "not posted: unchanged");
        let (field, _) = contact_patch(&typed(&[("phone", "12")])).unwrap_err();
        assert_eq!(field, "phone");
    }
}
