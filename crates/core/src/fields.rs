//! Custom fields: each business defines its own (name, type, required) and every lead may
//! carry a value for each.

use crate::Invalid;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A lead's custom values by field name.
pub type CustomValues = Map<String, Value>;

/// What a custom field holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldKind {
    Text,
    Number,
    Boolean,
    /// A calendar date, `YYYY-MM-DD`.
    Date,
}

impl FieldKind {
    /// The stored and wire name.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Text => "text",
            Self::Number => "number",
            Self::Boolean => "boolean",
            Self::Date => "date",
        }
    }

    /// Parses a stored or wire name.
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        [Self::Text, Self::Number, Self::Boolean, Self::Date]
            .into_iter()
            .find(|k| k.as_str() == input.trim())
            .ok_or_else(|| {
                Invalid::new(
                    "field type",
                    format!("'{input}' is not one of text, number, boolean, date"),
                )
            })
    }
}

/// A custom field of a business.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldDef {
    pub name: FieldName,
    pub kind: FieldKind,
    /// A lead edited through the API must keep a value for it.
    pub required: bool,
}

/// A custom field's name: 1 to 40 of lowercase letters, digits and `_`, starting with a letter.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct FieldName(String);

impl FieldName {
    /// Parses a field name.
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        let ok_start = input.chars().next().is_some_and(|c| c.is_ascii_lowercase());
        let ok_chars = input
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !ok_start || !ok_chars || input.len() > 40 {
            return Err(Invalid::new(
                "field name",
                format!("'{input}' must be 1 to 40 lowercase letters, digits or '_', starting with a letter"),
            ));
        }
        Ok(Self(input.to_owned()))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for FieldName {
    type Error = Invalid;
    fn try_from(value: String) -> Result<Self, Invalid> {
        Self::parse(&value)
    }
}

impl From<FieldName> for String {
    fn from(name: FieldName) -> String {
        name.0
    }
}

/// The longest text value, in characters.
pub const MAX_TEXT_CHARS: usize = 2_000;

/// Checks one value against its field's type; text is trimmed.
pub fn check_value(def: &FieldDef, value: &Value) -> Result<Value, Invalid> {
    let wrong = || {
        Invalid::new(
            "custom field",
            format!(
                "'{}' takes a {} value, not {value}",
                def.name.as_str(),
                def.kind.as_str()
            ),
        )
    };
    match (def.kind, value) {
        (FieldKind::Text, Value::String(text)) if text.chars().count() <= MAX_TEXT_CHARS => {
            Ok(Value::String(text.trim().to_owned()))
        }
        (FieldKind::Text, Value::String(_)) => Err(Invalid::new(
            "custom field",
            format!("'{}' is longer than {MAX_TEXT_CHARS} characters", def.name.as_str()),
        )),
        (FieldKind::Number, Value::Number(_)) | (FieldKind::Boolean, Value::Bool(_)) => Ok(value.clone()),
        (FieldKind::Date, Value::String(text)) => chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .map(|_| value.clone())
            .map_err(|_| wrong()),
        _ => Err(wrong()),
    }
}

/// Applies `patch` to `current` under the business's definitions: unknown names and values of
/// the wrong type are refused, JSON null removes a value, and every required field must have
/// a value afterwards. Returns the new values; `current` is untouched on error.
pub fn apply_custom(defs: &[FieldDef], current: &CustomValues, patch: &CustomValues) -> Result<CustomValues, Invalid> {
    let mut next = current.clone();
    for (name, value) in patch {
        let def = defs
            .iter()
            .find(|d| d.name.as_str() == name)
            .ok_or_else(|| Invalid::new("custom field", format!("'{name}' is not defined for this business")))?;
        match value {
            Value::Null => {
                next.remove(name);
            }
            value => {
                next.insert(name.clone(), check_value(def, value)?);
            }
        }
    }
    let missing: Vec<&str> = defs
        .iter()
        .filter(|d| d.required && next.get(d.name.as_str()).is_none_or(is_blank))
        .map(|d| d.name.as_str())
        .collect();
    if !missing.is_empty() {
        return Err(Invalid::new(
            "custom field",
            format!("required fields have no value: {}", missing.join(", ")),
        ));
    }
    Ok(next)
}

fn is_blank(value: &Value) -> bool {
    matches!(value, Value::Null) || value.as_str().is_some_and(str::is_empty)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn def(name: &str, kind: FieldKind, required: bool) -> FieldDef {
        FieldDef {
            name: FieldName::parse(name).unwrap(),
            kind,
            required,
        }
    }

    fn values(value: Value) -> CustomValues {
        value.as_object().unwrap().clone()
    }

    #[test]
    fn names_are_short_lowercase_identifiers() {
        assert!(FieldName::parse("budget_2027").is_ok());
        for bad in ["", "Budget", "2x", "a-b", &"a".repeat(41)] {
            assert!(FieldName::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn values_must_match_their_type() {
        let defs = [
            def("budget", FieldKind::Number, false),
            def("moving", FieldKind::Date, false),
            def("vip", FieldKind::Boolean, false),
        ];
        let ok = apply_custom(
            &defs,
            &Map::new(),
            &values(json!({"budget": 1200, "moving": "2027-01-31", "vip": true})),
        );
        assert_eq!(ok.unwrap().len(), 3);
        for bad in [
            json!({"budget": "lots"}),
            json!({"moving": "31/01/2027"}),
            json!({"vip": "yes"}),
        ] {
            let err = apply_custom(&defs, &Map::new(), &values(bad.clone())).unwrap_err();
            assert!(err.to_string().contains("takes a"), "{bad}: {err}");
        }
    }

    #[test]
    fn unknown_fields_are_refused_and_null_removes() {
        let defs = [def("budget", FieldKind::Number, false)];
        let err = apply_custom(&defs, &Map::new(), &values(json!({"colour": "red"}))).unwrap_err();
        assert!(err.to_string().contains("'colour' is not defined"), "{err}");
        let current = values(json!({"budget": 5}));
        assert!(
            apply_custom(&defs, &current, &values(json!({"budget": null})))
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn required_fields_must_keep_a_value() {
        let defs = [
            def("budget", FieldKind::Number, true),
            def("notes", FieldKind::Text, false),
        ];
        let err = apply_custom(&defs, &Map::new(), &values(json!({"notes": "x"}))).unwrap_err();
        assert!(
            err.to_string().contains("required fields have no value: budget"),
            "{err}"
        );
        assert!(apply_custom(&defs, &Map::new(), &values(json!({"budget": 3}))).is_ok());
    }
}
