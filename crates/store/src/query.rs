//! What the list queries share: a `WHERE` clause built with its parameters in order, text
//! search patterns, and tag membership in a stored JSON list.

use sqlx::Any;
use sqlx::any::AnyArguments;
use sqlx::query::Query;

/// A value bound to a list query.
#[derive(Clone)]
pub(crate) enum Param {
    Int(i64),
    Text(String),
}

/// A `WHERE` clause being built, with its parameters in order.
pub(crate) struct Conditions {
    pub(crate) sql: String,
    pub(crate) params: Vec<Param>,
}

impl Conditions {
    /// A clause that starts with `first`, which names no parameter.
    pub(crate) fn new(first: &str) -> Self {
        Self {
            sql: first.to_owned(),
            params: Vec::new(),
        }
    }

    /// `$n` for the next parameter.
    pub(crate) fn bind(&mut self, param: Param) -> String {
        self.params.push(param);
        format!("${}", self.params.len())
    }

    /// Adds `AND {clause}`, where `clause` names the parameter it is given.
    pub(crate) fn and(&mut self, param: Param, clause: impl FnOnce(&str) -> String) {
        let n = self.bind(param);
        self.push(&clause(&n));
    }

    /// Adds `AND {clause}`, a clause whose parameters are already bound.
    pub(crate) fn push(&mut self, clause: &str) {
        self.sql.push_str(" AND ");
        self.sql.push_str(clause);
    }
}

/// Binds `params` to `query`, in order.
pub(crate) fn bind_all<'q>(
    mut query: Query<'q, Any, AnyArguments<'q>>,
    params: Vec<Param>,
) -> Query<'q, Any, AnyArguments<'q>> {
    for param in params {
        query = match param {
            Param::Int(value) => query.bind(value),
            Param::Text(value) => query.bind(value),
        };
    }
    query
}

/// `input` as a `LIKE` pattern matching it anywhere, with `\` as the escape character.
pub(crate) fn contains_pattern(input: &str) -> String {
    let mut pattern = String::from("%");
    for c in input.chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

/// The parameter [`has_tag`] compares with: the tag as an element of the list form.
pub(crate) fn tag_element(tag: &str) -> Param {
    Param::Text(format!(",{},", serde_json::to_string(tag.trim()).unwrap_or_default()))
}

/// Whether the JSON tag list in `column` holds the tag bound as `element` by [`tag_element`].
/// The column is read as `,"a","b",`: a tag is an element when `,"tag",` occurs in it (inside
/// a JSON string every `"` is escaped, so the commas and quotes can only be separators).
/// REPLACE is case-sensitive on both engines, unlike SQLite's LIKE.
pub(crate) fn has_tag(column: &str, element: &str) -> String {
    let list = format!("(',' || SUBSTR({column}, 2, LENGTH({column}) - 2) || ',')");
    format!("REPLACE({list}, {element}, '') <> {list}")
}
