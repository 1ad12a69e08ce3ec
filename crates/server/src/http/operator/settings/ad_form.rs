//! The fields of the master ad and master phrase forms, as typed, and what they parse into.
//! A master ad's rules are rows of three fields (source, campaign, content); a row left
//! empty is skipped, so the form shows two spare rows for new rules.

use super::form::{Errors, Fields};
use leadline_core::adgroup::{
    AdRule, MasterAd, MasterPhrase, NewMasterAd, NewMasterPhrase, Pattern, normalise_variants, validate_rules,
};
use leadline_core::names::Name;

/// Empty rule rows shown below a master ad's rules.
const SPARE_ROWS: usize = 2;

/// One rule row as typed.
pub struct RuleRow {
    pub source: String,
    pub campaign: String,
    pub content: String,
}

/// A master ad's form as typed.
#[derive(Default)]
pub struct AdForm {
    pub name: String,
    pub rules: Vec<RuleRow>,
}

impl AdForm {
    /// An empty form for a new master ad.
    pub fn empty() -> Self {
        Self::default().with_spare_rows()
    }

    /// The form filled with a master ad's values.
    pub fn of(ad: &MasterAd) -> Self {
        let text = |p: &Option<Pattern>| p.as_ref().map(|p| p.as_str().to_owned()).unwrap_or_default();
        Self {
            name: ad.name.to_string(),
            rules: ad
                .rules
                .iter()
                .map(|r| RuleRow {
                    source: text(&r.source),
                    campaign: text(&r.campaign),
                    content: text(&r.content),
                })
                .collect(),
        }
        .with_spare_rows()
    }

    /// The form as posted (fields `name`, and `rule_source`, `rule_campaign`, `rule_content`
    /// once per row).
    pub fn posted(fields: &Fields) -> Self {
        let (sources, campaigns, contents) = (
            fields.all("rule_source"),
            fields.all("rule_campaign"),
            fields.all("rule_content"),
        );
        let rows = sources.len().max(campaigns.len()).max(contents.len());
        let at = |list: &[&str], i: usize| list.get(i).copied().unwrap_or_default().to_owned();
        Self {
            name: fields.get("name").to_owned(),
            rules: (0..rows)
                .map(|i| RuleRow {
                    source: at(&sources, i),
                    campaign: at(&campaigns, i),
                    content: at(&contents, i),
                })
                .filter(|r| !(r.source.is_empty() && r.campaign.is_empty() && r.content.is_empty()))
                .collect(),
        }
        .with_spare_rows()
    }

    fn with_spare_rows(mut self) -> Self {
        for _ in 0..SPARE_ROWS {
            self.rules.push(RuleRow {
                source: String::new(),
                campaign: String::new(),
                content: String::new(),
            });
        }
        self
    }

    /// The master ad the form describes, or `None` with the reasons in `errors` (fields
    /// `name` and `rules`).
    pub fn parse(&self, errors: &mut Errors) -> Option<NewMasterAd> {
        let name = errors.take("name", Name::parse_as("name", &self.name));
        let mut rules = Vec::new();
        for (i, row) in self.rules.iter().enumerate() {
            if row.source.is_empty() && row.campaign.is_empty() && row.content.is_empty() {
                continue;
            }
            match AdRule::parse(&row.source, &row.campaign, &row.content) {
                Ok(rule) => rules.push(rule),
                Err(e) => errors.add("rules", format!("rule {}: {e}", i + 1)),
            }
        }
        if errors.get("rules").is_none() {
            errors.take("rules", validate_rules(&rules));
        }
        let new = NewMasterAd { name: name?, rules };
        errors.is_empty().then_some(new)
    }
}

/// A master phrase's form as typed: its name, and its variants one per line.
#[derive(Default)]
pub struct PhraseForm {
    pub name: String,
    pub variants: String,
}

impl PhraseForm {
    /// The form filled with a master phrase's values.
    pub fn of(phrase: &MasterPhrase) -> Self {
        Self {
            name: phrase.name.to_string(),
            variants: phrase.variants.join("\n"),
        }
    }

    /// The form as posted (fields `name` and `variants`).
    pub fn posted(fields: &Fields) -> Self {
        Self {
            name: fields.get("name").to_owned(),
            variants: fields.get("variants").to_owned(),
        }
    }

    /// The master phrase the form describes, or `None` with the reasons in `errors` (fields
    /// `name` and `variants`).
    pub fn parse(&self, errors: &mut Errors) -> Option<NewMasterPhrase> {
        let name = errors.take("name", Name::parse_as("name", &self.name));
        let variants: Vec<String> = self
            .variants
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect();
        errors.take("variants", normalise_variants(&variants))?;
        Some(NewMasterPhrase { name: name?, variants })
    }
}

/// A rule in words: "source google* · campaign *brand*".
pub fn describe(rule: &AdRule) -> String {
    [
        ("source", &rule.source),
        ("campaign", &rule.campaign),
        ("content", &rule.content),
    ]
    .into_iter()
    .filter_map(|(field, p)| p.as_ref().map(|p| format!("{field} {p}")))
    .collect::<Vec<_>>()
    .join(" · ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_rule_rows_are_skipped_and_a_bad_rule_is_named_by_its_row() {
        let fields = Fields::parse(
            b"name=Brand&rule_source=google*&rule_campaign=&rule_content=&rule_source=&rule_campaign=&rule_content=&rule_source=*&rule_campaign=&rule_content=",
        );
        let form = AdForm::posted(&fields);
        assert_eq!(form.rules.len(), 2 + SPARE_ROWS, "the blank row is dropped");
        let mut errors = Errors::default();
        assert!(form.parse(&mut errors).is_none());
        assert!(
            errors.get("rules").unwrap().starts_with("rule 2:"),
            "{:?}",
            errors.get("rules")
        );
        let fields = Fields::parse(b"name=Brand&rule_source=google*");
        let mut errors = Errors::default();
        let new = AdForm::posted(&fields).parse(&mut errors).unwrap();
        assert_eq!(describe(&new.rules[0]), "source google*");
    }

    #[test]
    fn a_phrase_takes_one_variant_per_line() {
        let fields = Fields::parse(b"name=Repair&variants=Sofa+Repair%0D%0A%0D%0Afix+sofa");
        let mut errors = Errors::default();
        let new = PhraseForm::posted(&fields).parse(&mut errors).unwrap();
        assert_eq!(new.variants().unwrap(), vec!["fix sofa", "repair sofa"]);
        let fields = Fields::parse(b"name=&variants=");
        let mut errors = Errors::default();
        assert!(PhraseForm::posted(&fields).parse(&mut errors).is_none());
        assert!(errors.get("name").is_some());
    }
}
