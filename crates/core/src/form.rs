//! Form submissions and their attachments. The snippet appends the visit's identifiers to
//! every form; a submission carries them to its lead. Attachments are stored under names no
//! one can guess: the message id and a keyed hash of (message id, site, original name).

use crate::channel::ClickIds;
use crate::lead::{Contact, LeadMatch, contact_text};
use crate::net::Email;
use crate::secret::Secret;
use crate::token::mac;
use crate::visit::VisitRef;
use crate::{BusinessId, E164, Invalid, LeadId, SiteId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;

/// Length of message ids and temporary visit ids.
const ID_CHARS: usize = 22;

fn random_id(prefix: &str) -> String {
    format!("{prefix}{}", crate::secret::random_token(ID_CHARS))
}

fn parse_id(what: &'static str, prefix: &str, input: &str) -> Result<String, Invalid> {
    let ok = input
        .strip_prefix(prefix)
        .is_some_and(|rest| rest.len() == ID_CHARS && rest.bytes().all(|b| b.is_ascii_alphanumeric()));
    if ok {
        Ok(input.to_owned())
    } else {
        Err(Invalid::new(
            what,
            format!("'{input}' is not '{prefix}' and {ID_CHARS} letters or digits"),
        ))
    }
}

/// The public id of one submission ("message id" in the patent): `m_` and 22 random
/// characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct MessageId(String);

impl MessageId {
    /// A fresh random id.
    pub fn generate() -> Self {
        Self(random_id("m_"))
    }
    /// Parses an id.
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        parse_id("message id", "m_", input).map(Self)
    }
    /// The id.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for MessageId {
    type Error = Invalid;
    fn try_from(value: String) -> Result<Self, Invalid> {
        Self::parse(&value)
    }
}

impl From<MessageId> for String {
    fn from(id: MessageId) -> String {
        id.0
    }
}

/// The id a page gives its visit before registration answers (`t_` and 22 random
/// characters, made by the snippet). It is sent with the registration, so a form submitted
/// before the answer arrived is still exchanged for the permanent visit at submission.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TempId(String);

impl TempId {
    /// A fresh random id (the snippet makes its own; this is for tests and tools).
    pub fn generate() -> Self {
        Self(random_id("t_"))
    }
    /// Parses an id.
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        parse_id("temporary visit id", "t_", input).map(Self)
    }
    /// The id.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// How a submission reached Leadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SubmissionVia {
    /// The visitor's browser posted the form to Leadline.
    Browser,
    /// The site's own form processor forwarded it with the business's API key.
    Processor,
}

impl SubmissionVia {
    /// The stored name.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Browser => "browser",
            Self::Processor => "processor",
        }
    }
    /// Parses a stored name.
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        match input {
            "browser" => Ok(Self::Browser),
            "processor" => Ok(Self::Processor),
            other => Err(Invalid::new("submission origin", format!("'{other}' is unknown"))),
        }
    }
}

/// An attachment's storage name: `{message id}-{64 hex digits}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct StoredName(String);

impl StoredName {
    /// The name of `original` attached to `message` on `site`: the message id, then
    /// HMAC-SHA256 under the install secret of (message id, site id, original name).
    pub fn derive(secret: &Secret, message: &MessageId, site: SiteId, original: &str) -> Self {
        let digest: String = mac(secret, &["attachment", message.as_str(), &site.0.to_string(), original])
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        Self(format!("{}-{digest}", message.as_str()))
    }

    /// Parses a name from a link; anything else is refused before any lookup.
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        let bad = || Invalid::new("attachment name", "is not a stored attachment name");
        let (message, digest) = input.split_once('-').ok_or_else(bad)?;
        MessageId::parse(message).map_err(|_| bad())?;
        if digest.len() != 64 || !digest.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
            return Err(bad());
        }
        Ok(Self(input.to_owned()))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The signature of a download link valid until `expires` (Unix seconds).
    pub fn link_signature(&self, secret: &Secret, expires: i64) -> String {
        mac(secret, &["download", self.as_str(), &expires.to_string()])
            .iter()
            .take(16)
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// Whether `signature` signs this name until `expires`, and `expires` has not passed.
    pub fn verify_link(&self, secret: &Secret, expires: i64, signature: &str, now: i64) -> bool {
        let expected = self.link_signature(secret, expires);
        now < expires
            && expected.len() == signature.len()
            && bool::from(expected.as_bytes().ct_eq(signature.as_bytes()))
    }
}

impl TryFrom<String> for StoredName {
    type Error = Invalid;
    fn try_from(value: String) -> Result<Self, Invalid> {
        Self::parse(&value)
    }
}

impl From<StoredName> for String {
    fn from(name: StoredName) -> String {
        name.0
    }
}

/// An attachment already written to storage, to be recorded with its submission.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAttachment {
    /// The file name the visitor's browser gave, cleaned for display.
    pub original_name: String,
    pub stored_name: StoredName,
    /// The type found from the file's content.
    pub content_type: String,
    pub size_bytes: u64,
}

/// An attachment as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    pub business_id: BusinessId,
    pub site_id: SiteId,
    pub lead_id: LeadId,
    pub message_id: MessageId,
    pub original_name: String,
    pub stored_name: StoredName,
    pub content_type: String,
    pub size_bytes: u64,
}

/// The identifiers the snippet appends to a form (all optional: a form may arrive without
/// the snippet, and must not be lost for that).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FormIdentity {
    pub visit: Option<VisitRef>,
    pub temp_id: Option<TempId>,
    /// The visitor key as the page knew it; the visit's own key wins when the visit is known.
    pub visitor_key: Option<String>,
    pub click_ids: ClickIds,
    /// The GA client id (`123.456`) from `_ga`.
    pub ga_client_id: Option<String>,
}

/// A submission to record.
#[derive(Debug, Clone, PartialEq)]
pub struct NewSubmission {
    pub business_id: BusinessId,
    pub site_id: SiteId,
    pub message_id: MessageId,
    pub via: SubmissionVia,
    pub identity: FormIdentity,
    /// The contact details read from the fields (e-mail, phone, name, company).
    pub contact: Contact,
    /// Every field as submitted, in order, without the snippet's own fields.
    pub fields: Vec<(String, String)>,
    /// The page the form was on, when known.
    pub page_url: Option<String>,
    pub attachments: Vec<NewAttachment>,
}

/// A submission as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Submission {
    pub message_id: MessageId,
    pub business_id: BusinessId,
    pub site_id: SiteId,
    pub lead_id: LeadId,
    pub via: SubmissionVia,
    pub visit: Option<VisitRef>,
    pub identity: FormIdentity,
    pub fields: Vec<(String, String)>,
    pub page_url: Option<String>,
    pub attachments: Vec<Attachment>,
    /// How the submission found its lead.
    pub matched_by: LeadMatch,
    pub created_at: DateTime<Utc>,
}

/// Reads the contact details from the visitor's fields by their usual names. A value that
/// does not parse (a mistyped e-mail) is left in the fields and not used for matching: the
/// submission is still kept.
pub fn contact_from_fields(fields: &[(String, String)], like: Option<&E164>) -> Contact {
    let mut contact = Contact::default();
    let mut first_last = (None, None);
    for (name, value) in fields {
        let key: String = name
            .to_ascii_lowercase()
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .collect();
        if contact.email.is_none() && key.contains("email") {
            contact.email = Email::parse(value.trim()).ok();
        } else if contact.phone.is_none() && ["phone", "tel", "mobile", "cell"].iter().any(|k| key.contains(k)) {
            contact.phone = match like {
                Some(like) => E164::parse_like(value, like).ok(),
                None => E164::parse(value).ok(),
            };
        } else if contact.company.is_none()
            && ["company", "organisation", "organization", "business"]
                .iter()
                .any(|k| key.contains(k))
        {
            contact.company = contact_text("company", value).ok().flatten();
        } else if matches!(key.as_str(), "firstname" | "givenname" | "fname") {
            first_last.0 = contact_text("name", value).ok().flatten();
        } else if matches!(key.as_str(), "lastname" | "surname" | "familyname" | "lname") {
            first_last.1 = contact_text("name", value).ok().flatten();
        } else if contact.name.is_none() && matches!(key.as_str(), "name" | "fullname" | "yourname" | "contactname") {
            contact.name = contact_text("name", value).ok().flatten();
        }
    }
    if contact.name.is_none() {
        contact.name = match first_last {
            (Some(first), Some(last)) => Some(format!("{first} {last}")),
            (first, last) => first.or(last),
        };
    }
    contact
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret() -> Secret {
        Secret::new("an install secret of enough length")
    }

    #[test]
    fn stored_names_depend_on_message_site_name_and_secret() {
        let message = MessageId::generate();
        let name = StoredName::derive(&secret(), &message, SiteId(1), "cv.pdf");
        assert!(name.as_str().starts_with(message.as_str()));
        assert_eq!(StoredName::parse(name.as_str()).unwrap(), name);
        assert_eq!(name, StoredName::derive(&secret(), &message, SiteId(1), "cv.pdf"));
        for other in [
            StoredName::derive(&secret(), &MessageId::generate(), SiteId(1), "cv.pdf"),
            StoredName::derive(&secret(), &message, SiteId(2), "cv.pdf"),
            StoredName::derive(&secret(), &message, SiteId(1), "cv2.pdf"),
            StoredName::derive(&Secret::new("another secret"), &message, SiteId(1), "cv.pdf"),
        ] {
            assert_ne!(other, name);
        }
    }

    #[test]
    fn malformed_names_are_refused() {
        let good = StoredName::derive(&secret(), &MessageId::generate(), SiteId(1), "a")
            .as_str()
            .to_owned();
        for bad in [
            "../etc/passwd".to_owned(),
            good.replace('-', "_"),
            format!("{good}0"),
            good.to_uppercase(),
            good[..good.len() - 1].to_owned(),
        ] {
            assert!(StoredName::parse(&bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn links_verify_until_they_expire_and_not_after_tampering() {
        let name = StoredName::derive(&secret(), &MessageId::generate(), SiteId(1), "a.pdf");
        let sig = name.link_signature(&secret(), 2_000);
        assert!(name.verify_link(&secret(), 2_000, &sig, 1_999));
        assert!(!name.verify_link(&secret(), 2_000, &sig, 2_000));
        assert!(!name.verify_link(&secret(), 3_000, &sig, 1_999));
        let other = StoredName::derive(&secret(), &MessageId::generate(), SiteId(1), "a.pdf");
        assert!(!other.verify_link(&secret(), 2_000, &sig, 1_999));
    }

    #[test]
    fn ids_have_their_prefix_and_length() {
        assert!(MessageId::parse(MessageId::generate().as_str()).is_ok());
        assert!(TempId::parse(TempId::generate().as_str()).is_ok());
        assert!(TempId::parse("m_aaaaaaaaaaaaaaaaaaaaaa").is_err());
        assert!(MessageId::parse("m_short").is_err());
    }

    fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
        items.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn contact_details_come_from_the_usual_field_names() {
        let us = E164::parse("+12025550100").unwrap();
        let contact = contact_from_fields(
            &pairs(&[
                ("First-Name", "Ann"),
                ("last_name", "Lee"),
                ("your-email", " Ann@Example.com "),
                ("Phone Number", "(202) 555-0169"),
                ("company", "Lee Sofas"),
            ]),
            Some(&us),
        );
        assert_eq!(contact.name.as_deref(), Some("Ann Lee"));
        assert_eq!(contact.email.unwrap().as_str(), "ann@example.com");
        assert_eq!(contact.phone.unwrap().as_str(), "+12025550169");
        assert_eq!(contact.company.as_deref(), Some("Lee Sofas"));
    }

    #[test]
    fn unparseable_contact_values_are_not_used() {
        let contact = contact_from_fields(&pairs(&[("email", "not an address"), ("phone", "call me")]), None);
        assert_eq!(contact.email, None);
        assert_eq!(contact.phone, None);
    }
}
