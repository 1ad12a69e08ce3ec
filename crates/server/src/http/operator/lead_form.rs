//! What the lead page's edit forms show: the contact fields, the business's custom fields
//! (each by its kind) and the tags, filled with the lead or with what was typed when a change
//! was refused, and the reason next to the field it concerns.

use leadline_core::fields::{FieldDef, FieldKind};
use leadline_core::lead::Lead;
use serde_json::Value;

/// A form's fields as posted, in order.
type Fields = Vec<(String, String)>;

/// One input of an edit form.
pub struct Input {
    /// The form field's name (`email`, `custom.budget`).
    pub name: String,
    pub label: String,
    /// `text`, `email`, `tel`, `number`, `date`, or `boolean` (a yes / no / blank choice).
    pub kind: &'static str,
    pub value: String,
    pub required: bool,
}

/// What the page's edit forms show.
pub struct Edit {
    pub contact: Vec<Input>,
    pub custom: Vec<Input>,
    pub tags: Vec<String>,
    /// The field (a form field's name, or `tags`, `contact`, `custom`) a change was refused
    /// for, and why.
    pub problem: Option<(String, String)>,
}

impl Edit {
    /// The forms filled with the lead as it is.
    pub fn of(lead: &Lead, defs: &[FieldDef]) -> Self {
        let c = &lead.contact;
        let input = |name: &str, label: &str, kind, value: Option<&str>| Input {
            name: name.to_owned(),
            label: label.to_owned(),
            kind,
            value: value.unwrap_or_default().to_owned(),
            required: false,
        };
        Self {
            contact: vec![
                input("name", "Name", "text", c.name.as_deref()),
                input("email", "E-mail", "email", c.email.as_ref().map(|e| e.as_str())),
                input("phone", "Phone", "tel", c.phone.as_ref().map(|p| p.as_str())),
                input("company", "Company", "text", c.company.as_deref()),
            ],
            custom: defs
                .iter()
                .map(|def| Input {
                    name: format!("custom.{}", def.name.as_str()),
                    label: def.name.as_str().replace('_', " "),
                    kind: match def.kind {
                        FieldKind::Text => "text",
                        FieldKind::Number => "number",
                        FieldKind::Boolean => "boolean",
                        FieldKind::Date => "date",
                    },
                    value: lead.custom.get(def.name.as_str()).map(shown).unwrap_or_default(),
                    required: def.required,
                })
                .collect(),
            tags: lead.tags.clone(),
            problem: None,
        }
    }

    /// The reason a change of `field` was refused, if it was.
    pub fn reason(&self, field: &str) -> Option<&str> {
        self.problem
            .as_ref()
            .filter(|(name, _)| name == field)
            .map(|(_, reason)| reason.as_str())
    }

    /// The forms showing what was typed, with the reason `field` was refused.
    pub(super) fn refused(mut self, typed: &Fields, field: &str, reason: String) -> Self {
        for input in self.contact.iter_mut().chain(self.custom.iter_mut()) {
            if let Some((_, value)) = typed.iter().find(|(name, _)| *name == input.name) {
                input.value.clone_from(value);
            }
        }
        self.problem = Some((field.to_owned(), reason));
        self
    }
}

/// A stored custom value as its input shows it.
fn shown(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Bool(true) => "yes".into(),
        Value::Bool(false) => "no".into(),
        other => other.to_string(),
    }
}
