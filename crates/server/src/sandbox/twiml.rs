//! TwiML as the sandbox phone reads it: the verbs of a `<Response>`, in order, with the
//! attributes it acts on. Verbs it does not act on are kept by name so the transcript shows
//! them.

use anyhow::Context;

/// A number rung by `<Dial>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Number {
    pub number: String,
    /// The whisper: TwiML run on the answering leg before it is bridged.
    pub url: Option<String>,
    /// Digits sent on the answering leg (an extension).
    pub send_digits: Option<String>,
}

/// One verb of a TwiML document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verb {
    Say(String),
    Gather {
        action: Option<String>,
        num_digits: Option<usize>,
        action_on_empty_result: bool,
        /// What the prompt inside says.
        said: Vec<String>,
    },
    Dial {
        action: Option<String>,
        timeout_seconds: u32,
        /// Dual-channel when the `record` mode says so.
        record: Option<Recording>,
        recording_callback: Option<String>,
        numbers: Vec<Number>,
    },
    Record {
        action: Option<String>,
        max_length_seconds: u32,
        recording_callback: Option<String>,
    },
    Redirect(String),
    Hangup,
    Reject,
    /// A verb the sandbox does not act on (`Play`, `Pause`, `Enqueue`…): skipped.
    Other(String),
}

/// How a `<Dial>` is recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recording {
    Mono,
    Dual,
}

impl Verb {
    /// The element name, as the transcript lists it.
    pub fn name(&self) -> &str {
        match self {
            Self::Say(_) => "Say",
            Self::Gather { .. } => "Gather",
            Self::Dial { .. } => "Dial",
            Self::Record { .. } => "Record",
            Self::Redirect(_) => "Redirect",
            Self::Hangup => "Hangup",
            Self::Reject => "Reject",
            Self::Other(name) => name,
        }
    }

    /// What the caller hears from this verb.
    pub fn said(&self) -> Vec<String> {
        match self {
            Self::Say(text) => vec![text.clone()],
            Self::Gather { said, .. } => said.clone(),
            _ => Vec::new(),
        }
    }
}

/// The verbs of a TwiML document; an empty body counts as an empty `<Response>`.
pub fn parse(xml: &str) -> anyhow::Result<Vec<Verb>> {
    if xml.trim().is_empty() {
        return Ok(Vec::new());
    }
    let doc = roxmltree::Document::parse(xml).context("the answer is not XML")?;
    let root = doc.root_element();
    anyhow::ensure!(
        root.has_tag_name("Response"),
        "the answer's root element is <{}>, not <Response>",
        root.tag_name().name()
    );
    Ok(root.children().filter(|n| n.is_element()).map(verb).collect())
}

fn verb(node: roxmltree::Node<'_, '_>) -> Verb {
    let attr = |name: &str| node.attribute(name).map(str::to_owned);
    let seconds = |name: &str, default: u32| {
        node.attribute(name)
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(default)
    };
    match node.tag_name().name() {
        "Say" => Verb::Say(text(node)),
        "Play" => Verb::Say(played(node)),
        "Gather" => Verb::Gather {
            action: attr("action"),
            num_digits: node.attribute("numDigits").and_then(|n| n.trim().parse().ok()),
            action_on_empty_result: node.attribute("actionOnEmptyResult") == Some("true"),
            said: node
                .children()
                .filter_map(|n| match n.tag_name().name() {
                    "Say" => Some(text(n)),
                    "Play" => Some(played(n)),
                    _ => None,
                })
                .collect(),
        },
        "Dial" => Verb::Dial {
            action: attr("action"),
            timeout_seconds: seconds("timeout", 30),
            record: match node.attribute("record") {
                None | Some("do-not-record" | "false") => None,
                Some(mode) if mode.ends_with("-dual") => Some(Recording::Dual),
                Some(_) => Some(Recording::Mono),
            },
            recording_callback: attr("recordingStatusCallback"),
            numbers: dialled_numbers(node),
        },
        "Record" => Verb::Record {
            action: attr("action"),
            max_length_seconds: match seconds("maxLength", 3600) {
                0 => 3600,
                n => n,
            },
            recording_callback: attr("recordingStatusCallback"),
        },
        "Redirect" => Verb::Redirect(text(node)),
        "Hangup" => Verb::Hangup,
        "Reject" => Verb::Reject,
        other => Verb::Other(other.to_owned()),
    }
}

/// The `<Number>` nouns of a `<Dial>`, or the number written as its text.
fn dialled_numbers(dial: roxmltree::Node<'_, '_>) -> Vec<Number> {
    let numbers: Vec<Number> = dial
        .children()
        .filter(|n| n.has_tag_name("Number"))
        .map(|n| Number {
            number: text(n),
            url: n.attribute("url").map(str::to_owned),
            send_digits: n.attribute("sendDigits").map(str::to_owned),
        })
        .collect();
    if !numbers.is_empty() {
        return numbers;
    }
    let bare: String = dial
        .children()
        .filter(|n| n.is_text())
        .filter_map(|n| n.text())
        .collect();
    let bare = bare.trim();
    if bare.is_empty() {
        return Vec::new();
    }
    vec![Number {
        number: bare.to_owned(),
        url: None,
        send_digits: None,
    }]
}

/// What the sandbox caller hears of a `<Play>`: the recording's address.
fn played(node: roxmltree::Node<'_, '_>) -> String {
    format!("(plays {})", text(node))
}

fn text(node: roxmltree::Node<'_, '_>) -> String {
    node.text().unwrap_or_default().trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_gather_keeps_its_action_and_prompt() {
        let verbs = parse(
            r#"<?xml version="1.0" encoding="UTF-8"?><Response><Gather input="dtmf" action="https://t.example/g?number=%2B1&amp;site=k" numDigits="2" actionOnEmptyResult="true"><Say>Enter it now.</Say></Gather></Response>"#,
        )
        .unwrap();
        assert_eq!(
            verbs,
            [Verb::Gather {
                action: Some("https://t.example/g?number=%2B1&site=k".into()),
                num_digits: Some(2),
                action_on_empty_result: true,
                said: vec!["Enter it now.".into()],
            }]
        );
        assert_eq!(verbs[0].said(), ["Enter it now."]);
    }

    #[test]
    fn a_dial_lists_its_numbers_in_order_with_whisper_and_digits() {
        let verbs = parse(
            r#"<Response><Dial timeout="20" action="/d" record="record-from-answer-dual" recordingStatusCallback="/r"><Number url="/w" sendDigits="42">+12025550111</Number><Number>+12025550112</Number></Dial></Response>"#,
        )
        .unwrap();
        let Verb::Dial {
            action,
            timeout_seconds,
            record,
            recording_callback,
            numbers,
        } = &verbs[0]
        else {
            panic!("{verbs:?}")
        };
        assert_eq!((action.as_deref(), *timeout_seconds), (Some("/d"), 20));
        assert_eq!(
            (*record, recording_callback.as_deref()),
            (Some(Recording::Dual), Some("/r"))
        );
        assert_eq!(
            numbers[0],
            Number {
                number: "+12025550111".into(),
                url: Some("/w".into()),
                send_digits: Some("42".into()),
            }
        );
        assert_eq!(numbers[1].url, None);
    }

    #[test]
    fn a_dial_of_a_bare_number_rings_it_unrecorded_for_30_seconds() {
        let verbs = parse("<Response><Dial record=\"do-not-record\"> +12025550111 </Dial></Response>").unwrap();
        let Verb::Dial {
            timeout_seconds,
            record,
            numbers,
            ..
        } = &verbs[0]
        else {
            panic!("{verbs:?}")
        };
        assert_eq!((*timeout_seconds, *record), (30, None));
        assert_eq!(numbers[0].number, "+12025550111");
    }

    #[test]
    fn voicemail_is_say_record_hangup_and_unknown_verbs_are_kept_by_name() {
        let verbs = parse(
            r#"<Response><Say>Leave a message.</Say><Pause length="1"/><Record maxLength="120" recordingStatusCallback="/r"/><Hangup/></Response>"#,
        )
        .unwrap();
        let names: Vec<&str> = verbs.iter().map(Verb::name).collect();
        assert_eq!(names, ["Say", "Pause", "Record", "Hangup"]);
        assert_eq!(
            verbs[2],
            Verb::Record {
                action: None,
                max_length_seconds: 120,
                recording_callback: Some("/r".into()),
            }
        );
    }

    #[test]
    fn an_empty_answer_is_an_empty_document_and_html_is_refused() {
        assert_eq!(parse("").unwrap(), []);
        assert_eq!(parse("<Response></Response>").unwrap(), []);
        assert!(parse("<html><body>Not found</body></html>").is_err());
        assert!(parse("Forbidden").is_err());
    }
}
