//! Human-entered names and the slugs that identify businesses on the command line.

use crate::Invalid;

/// A display name (business, site, person, department): trimmed, 1 to 200 characters, no
/// control characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Name(String);

impl Name {
    /// Longest accepted name, in characters.
    pub const MAX_CHARS: usize = 200;

    /// Parses a name; `what` says which name it is in the error ("business name").
    pub fn parse_as(what: &'static str, input: &str) -> Result<Self, Invalid> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(Invalid::new(what, "it is empty"));
        }
        if trimmed.chars().count() > Self::MAX_CHARS {
            return Err(Invalid::new(
                what,
                format!("it is longer than {} characters", Self::MAX_CHARS),
            ));
        }
        if trimmed.chars().any(char::is_control) {
            return Err(Invalid::new(what, "it contains control characters"));
        }
        Ok(Self(trimmed.to_owned()))
    }

    /// The name as entered, trimmed.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Name {
    type Error = Invalid;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse_as("name", &value)
    }
}

impl From<Name> for String {
    fn from(value: Name) -> Self {
        value.0
    }
}

impl std::fmt::Display for Name {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A short identifier of a business used on the command line and in URLs: 2 to 40 of
/// `a-z`, `0-9` and `-`, starting with a letter or digit.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Slug(String);

impl Slug {
    /// Parses a slug exactly as given (no case folding: a slug is typed, not derived).
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        let invalid = |reason: String| Invalid::new("slug", reason);
        if !(2..=40).contains(&input.len()) {
            return Err(invalid(format!("'{input}' must be 2 to 40 characters long")));
        }
        if !input
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            return Err(invalid(format!(
                "'{input}' may hold only lower-case letters, digits and '-'"
            )));
        }
        if input.starts_with('-') || input.ends_with('-') {
            return Err(invalid(format!("'{input}' must not start or end with '-'")));
        }
        Ok(Self(input.to_owned()))
    }

    /// Derives a slug from a display name: ASCII letters and digits kept, the rest folded into
    /// single dashes ("Acme Sofas & Co." becomes "acme-sofas-co").
    pub fn from_name(name: &Name) -> Result<Self, Invalid> {
        let mut slug = String::new();
        for c in name.as_str().chars() {
            if c.is_ascii_alphanumeric() {
                slug.push(c.to_ascii_lowercase());
            } else if !slug.ends_with('-') && !slug.is_empty() {
                slug.push('-');
            }
        }
        let slug: String = slug.trim_end_matches('-').chars().take(40).collect();
        Self::parse(slug.trim_end_matches('-')).map_err(|_| {
            Invalid::new(
                "slug",
                format!("no slug can be made from '{name}': give one with --slug"),
            )
        })
    }

    /// The slug text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Slug {
    type Error = Invalid;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Slug> for String {
    fn from(value: Slug) -> Self {
        value.0
    }
}

impl std::fmt::Display for Slug {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_must_not_be_empty() {
        assert_eq!(Name::parse_as("name", "  Acme ").unwrap().as_str(), "Acme");
        assert!(Name::parse_as("name", "   ").is_err());
        assert!(Name::parse_as("name", "a\u{7}b").is_err());
        assert!(Name::parse_as("name", &"x".repeat(201)).is_err());
    }

    #[test]
    fn slugs_are_derived_from_names() {
        let name = Name::parse_as("name", "Acme Sofas & Co.").unwrap();
        assert_eq!(Slug::from_name(&name).unwrap().as_str(), "acme-sofas-co");
        let unicode = Name::parse_as("name", "ÜÖ").unwrap();
        assert!(Slug::from_name(&unicode).is_err());
    }

    #[test]
    fn slugs_reject_upper_case_and_punctuation() {
        assert!(Slug::parse("Acme").is_err());
        assert!(Slug::parse("ac me").is_err());
        assert!(Slug::parse("-acme").is_err());
        assert!(Slug::parse("a").is_err());
        assert!(Slug::parse("acme-2").is_ok());
    }
}
