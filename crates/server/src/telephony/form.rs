//! A provider's form body (or a URL's query), decoded once into one buffer. Twilio sends two
//! dozen parameters with every request; decoding each name and value into a `String` of its
//! own took about 15% of the voice webhook's samples with their frees.

use std::ops::Range;

/// Names and values of an `application/x-www-form-urlencoded` text, in order, each a range
/// of one decoded buffer.
#[derive(Debug, Default)]
pub struct Form {
    text: String,
    pairs: Vec<(Range<usize>, Range<usize>)>,
}

impl Form {
    /// Decodes `raw` (`+` as a space, percent escapes; invalid UTF-8 replaced).
    pub fn parse(raw: &[u8]) -> Self {
        let mut form = Form {
            text: String::with_capacity(raw.len()),
            pairs: Vec::new(),
        };
        for (name, value) in form_urlencoded::parse(raw) {
            let start = form.text.len();
            form.text.push_str(&name);
            let middle = form.text.len();
            form.text.push_str(&value);
            form.pairs.push((start..middle, middle..form.text.len()));
        }
        form
    }

    /// The value of the first parameter named `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.iter().find(|(n, _)| *n == name).map(|(_, v)| v)
    }

    /// Every name and value, in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.pairs
            .iter()
            .map(|(name, value)| (&self.text[name.clone()], &self.text[value.clone()]))
    }

    /// Every name and value, as the signature takes them.
    pub fn pairs(&self) -> Vec<(&str, &str)> {
        self.iter().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_form_decodes_as_the_url_encoding_says_and_keeps_order_and_repeats() {
        let form = Form::parse(b"From=%2B12025550100&Caller+Name=Ann+Lee&Digits=&Digits=2&To=%E2%82%AC&bare");
        assert_eq!(
            form.pairs(),
            [
                ("From", "+12025550100"),
                ("Caller Name", "Ann Lee"),
                ("Digits", ""),
                ("Digits", "2"),
                ("To", "€"),
                ("bare", ""),
            ]
        );
        assert_eq!(form.get("Digits"), Some(""), "the first of repeated names");
        assert_eq!(form.get("Missing"), None);
        assert!(Form::parse(b"").pairs().is_empty());
    }

    #[test]
    fn a_form_holds_what_the_reference_decoder_gives() {
        let raw = b"a=1%202&b=%ZZ&c=%F0%9F%93%9E+x&%3D=%26&d=\xff";
        let owned: Vec<(String, String)> = form_urlencoded::parse(raw).into_owned().collect();
        let expected: Vec<(&str, &str)> = owned.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        assert_eq!(Form::parse(raw).pairs(), expected);
    }
}
