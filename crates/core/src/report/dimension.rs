//! What a report groups by, and which visit a lead is credited to.

use crate::Invalid;

/// The name of a page variable (`language`, `product`): 1 to 40 letters, digits, `_` or `-`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct VariableName(String);

impl VariableName {
    /// Parses a variable's name as a page sets it.
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        let name = input.trim();
        if name.is_empty()
            || name.len() > 40
            || !name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        {
            return Err(Invalid::new(
                "variable",
                format!("'{name}' is not a page variable's name (1 to 40 letters, digits, '_' or '-')"),
            ));
        }
        Ok(Self(name.to_owned()))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// One dimension a report groups by.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Dimension {
    /// `source / medium` of the visit (`google / cpc`), or the offline source a call came through.
    SourceMedium,
    /// The campaign (`utm_campaign`).
    Campaign,
    /// The keyword (`utm_term`).
    Keyword,
    /// The landing page, without scheme, `www.`, query or fragment.
    LandingPage,
    /// The call element clicked (its id or label).
    Element,
    /// A page variable's value.
    Variable(VariableName),
    /// Phone, tablet or desktop.
    Device,
    /// Who answered the call.
    Operator,
    /// Hour of the day, in the site's zone.
    Hour,
    /// Day of the week, in the site's zone.
    Weekday,
    /// First-time or returning (a visitor seen before, a caller who called before).
    Returning,
    /// The caller's city, as the provider gives it.
    City,
    /// The caller's state or region.
    State,
    /// The caller's country: the provider's, else the one the number belongs to.
    Country,
    /// A master ad: ads and campaigns across platforms grouped by the business's rules.
    MasterAd,
    /// A master phrase: keyword variants grouped (spelling, word order, the business's lists).
    MasterPhrase,
}

impl Dimension {
    /// Every dimension but page variables (one per name), in the order a menu shows them.
    pub const FIXED: [Dimension; 15] = [
        Self::SourceMedium,
        Self::Campaign,
        Self::Keyword,
        Self::LandingPage,
        Self::Element,
        Self::Device,
        Self::Operator,
        Self::Hour,
        Self::Weekday,
        Self::Returning,
        Self::City,
        Self::State,
        Self::Country,
        Self::MasterAd,
        Self::MasterPhrase,
    ];

    /// Reads a dimension's wire name; `variable` needs the variable's name.
    pub fn parse(name: &str, variable: Option<&str>) -> Result<Self, Invalid> {
        if name == "variable" {
            let Some(variable) = variable.filter(|v| !v.trim().is_empty()) else {
                return Err(Invalid::new(
                    "dimension",
                    "the 'variable' dimension needs the variable's name",
                ));
            };
            return Ok(Self::Variable(VariableName::parse(variable)?));
        }
        Self::FIXED.into_iter().find(|d| d.name() == name).ok_or_else(|| {
            let known: Vec<&str> = Self::FIXED.iter().map(Dimension::name).collect();
            Invalid::new(
                "dimension",
                format!("'{name}' is not a dimension; use one of {}, variable", known.join(", ")),
            )
        })
    }

    /// The wire name (`source`, `landing-page`, `variable`).
    pub fn name(&self) -> &'static str {
        match self {
            Self::SourceMedium => "source",
            Self::Campaign => "campaign",
            Self::Keyword => "keyword",
            Self::LandingPage => "landing-page",
            Self::Element => "element",
            Self::Variable(_) => "variable",
            Self::Device => "device",
            Self::Operator => "operator",
            Self::Hour => "hour",
            Self::Weekday => "weekday",
            Self::Returning => "returning",
            Self::City => "city",
            Self::State => "state",
            Self::Country => "country",
            Self::MasterAd => "master-ad",
            Self::MasterPhrase => "master-phrase",
        }
    }

    /// The column heading for the dimension's values.
    pub fn label(&self) -> String {
        match self {
            Self::SourceMedium => "Source / medium".into(),
            Self::Campaign => "Campaign".into(),
            Self::Keyword => "Keyword".into(),
            Self::LandingPage => "Landing page".into(),
            Self::Element => "Call element".into(),
            Self::Variable(name) => format!("Page variable '{}'", name.as_str()),
            Self::Device => "Device".into(),
            Self::Operator => "Operator".into(),
            Self::Hour => "Hour of day".into(),
            Self::Weekday => "Weekday".into(),
            Self::Returning => "First-time or returning".into(),
            Self::City => "Caller's city".into(),
            Self::State => "Caller's state".into(),
            Self::Country => "Caller's country".into(),
            Self::MasterAd => "Master ad".into(),
            Self::MasterPhrase => "Master phrase".into(),
        }
    }

    /// The key of the rolled-up rows this dimension reads. A master ad is worked out from the
    /// ads' rows and a master phrase from the keywords' rows when the report is read, so
    /// changing the grouping rules needs no recomputation.
    pub fn stored_key(&self) -> String {
        match self {
            Self::Variable(name) => format!("var:{}", name.as_str()),
            Self::MasterAd => AD_KEY.into(),
            Self::MasterPhrase => Self::Keyword.name().into(),
            other => other.name().into(),
        }
    }
}

/// The stored key of the rows that name an ad: source, campaign and content joined by
/// [`AD_SEPARATOR`].
pub const AD_KEY: &str = "ad";

/// Separates the parts of an ad's stored value.
pub const AD_SEPARATOR: char = '\u{1f}';

/// The stored key of the rows that total each day.
pub const TOTAL_KEY: &str = "total";

/// Which of a lead's visits gets the credit for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Model {
    /// The visit that brought the lead: the last one before it called or wrote.
    #[default]
    LastTouch,
    /// The lead's first visit.
    FirstTouch,
}

impl Model {
    /// Reads `last` or `first`.
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        match input.trim() {
            "last" | "last-touch" => Ok(Self::LastTouch),
            "first" | "first-touch" => Ok(Self::FirstTouch),
            other => Err(Invalid::new(
                "attribution model",
                format!("'{other}' is not a model; use 'last' or 'first'"),
            )),
        }
    }

    /// The wire name.
    pub fn name(&self) -> &'static str {
        match self {
            Self::LastTouch => "last",
            Self::FirstTouch => "first",
        }
    }

    /// How a report names it.
    pub fn label(&self) -> &'static str {
        match self {
            Self::LastTouch => "last touch",
            Self::FirstTouch => "first touch",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_dimension_reads_back_from_its_name() {
        for dimension in Dimension::FIXED {
            assert_eq!(Dimension::parse(dimension.name(), None).unwrap(), dimension);
        }
        let language = Dimension::parse("variable", Some("language")).unwrap();
        assert_eq!(language.stored_key(), "var:language");
    }

    #[test]
    fn an_unknown_dimension_names_the_ones_there_are() {
        let err = Dimension::parse("colour", None).unwrap_err();
        assert!(err.reason.contains("'colour' is not a dimension"), "{}", err.reason);
        assert!(err.reason.contains("landing-page"), "{}", err.reason);
        assert!(Dimension::parse("variable", None).is_err());
        assert!(Dimension::parse("variable", Some("a b")).is_err());
    }

    #[test]
    fn master_ads_and_phrases_read_the_rows_of_ads_and_keywords() {
        assert_eq!(Dimension::MasterAd.stored_key(), AD_KEY);
        assert_eq!(Dimension::MasterPhrase.stored_key(), "keyword");
        assert_eq!(Model::parse("first").unwrap(), Model::FirstTouch);
        assert_eq!(Model::default(), Model::LastTouch);
        assert!(Model::parse("linear").unwrap_err().reason.contains("'last' or 'first'"));
    }
}
