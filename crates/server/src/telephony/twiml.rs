//! TwiML, the answer Twilio-compatible providers follow: the few verbs Leadline speaks,
//! written with an XML writer so that every text and attribute is escaped.

use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};

/// A number rung by `<Dial>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DialNumber {
    /// E.164 number.
    pub number: String,
    /// TwiML run on the answering leg before it is bridged (the whisper).
    pub whisper_url: Option<String>,
    /// Digits sent once the leg answers (a business extension).
    pub send_digits: Option<String>,
}

/// One TwiML verb.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verb {
    /// Speak a sentence.
    Say(String),
    /// Collect keyed digits, then post them to `action` (also when nothing was keyed).
    Gather {
        action: String,
        num_digits: Option<usize>,
        timeout_seconds: u32,
        prompt: String,
    },
    /// Ring `numbers` at once; the first to answer is bridged.
    Dial {
        action: Option<String>,
        timeout_seconds: u32,
        record: bool,
        recording_callback: String,
        numbers: Vec<DialNumber>,
    },
    /// Record a message (voicemail). `action` is requested when the recording ends and its
    /// answer ends the call (without one the provider would run this document again).
    Record {
        action: String,
        max_length_seconds: u32,
        recording_callback: String,
    },
    /// End the call.
    Hangup,
}

/// The `<Response>` document for `verbs`.
pub fn render(verbs: &[Verb]) -> String {
    let mut writer = Writer::new(Vec::new());
    let mut out = |event: Event<'_>| writer.write_event(event).expect("writing to a Vec cannot fail");
    out(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)));
    out(Event::Start(BytesStart::new("Response")));
    for verb in verbs {
        match verb {
            Verb::Say(text) => text_element(&mut out, "Say", &[], text),
            Verb::Gather {
                action,
                num_digits,
                timeout_seconds,
                prompt,
            } => {
                let timeout = timeout_seconds.to_string();
                let digits = num_digits.map(|n| n.to_string());
                let mut attrs = vec![
                    ("input", "dtmf"),
                    ("action", action.as_str()),
                    ("method", "POST"),
                    ("timeout", timeout.as_str()),
                    ("actionOnEmptyResult", "true"),
                ];
                if let Some(digits) = &digits {
                    attrs.push(("numDigits", digits));
                }
                out(Event::Start(start("Gather", &attrs)));
                text_element(&mut out, "Say", &[], prompt);
                out(Event::End(BytesEnd::new("Gather")));
            }
            Verb::Dial {
                action,
                timeout_seconds,
                record,
                recording_callback,
                numbers,
            } => {
                let timeout = timeout_seconds.to_string();
                let mut attrs = vec![("timeout", timeout.as_str())];
                if let Some(action) = action {
                    attrs.extend([("action", action.as_str()), ("method", "POST")]);
                }
                if *record {
                    attrs.push(("record", "record-from-answer-dual"));
                    attrs.push(("recordingStatusCallback", recording_callback));
                    attrs.push(("recordingStatusCallbackMethod", "POST"));
                }
                out(Event::Start(start("Dial", &attrs)));
                for n in numbers.iter().take(10) {
                    let mut attrs = Vec::new();
                    if let Some(url) = &n.whisper_url {
                        attrs.extend([("url", url.as_str()), ("method", "POST")]);
                    }
                    if let Some(digits) = &n.send_digits {
                        attrs.push(("sendDigits", digits));
                    }
                    text_element(&mut out, "Number", &attrs, &n.number);
                }
                out(Event::End(BytesEnd::new("Dial")));
            }
            Verb::Record {
                action,
                max_length_seconds,
                recording_callback,
            } => {
                let length = max_length_seconds.to_string();
                let attrs = [
                    ("action", action.as_str()),
                    ("method", "POST"),
                    ("maxLength", length.as_str()),
                    ("playBeep", "true"),
                    ("recordingStatusCallback", recording_callback.as_str()),
                    ("recordingStatusCallbackMethod", "POST"),
                ];
                out(Event::Empty(start("Record", &attrs)));
            }
            Verb::Hangup => out(Event::Empty(BytesStart::new("Hangup"))),
        }
    }
    out(Event::End(BytesEnd::new("Response")));
    String::from_utf8(writer.into_inner()).expect("the writer wrote UTF-8")
}

fn start<'a>(name: &'a str, attrs: &[(&'a str, &'a str)]) -> BytesStart<'a> {
    let mut element = BytesStart::new(name);
    for attr in attrs {
        element.push_attribute(*attr);
    }
    element
}

fn text_element(out: &mut impl FnMut(Event<'_>), name: &str, attrs: &[(&str, &str)], text: &str) {
    out(Event::Start(start(name, attrs)));
    out(Event::Text(BytesText::new(text)));
    out(Event::End(BytesEnd::new(name)));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_and_attributes_are_escaped() {
        let xml = render(&[Verb::Say("Tom & Jerry <3 \"sofas\"".into()), Verb::Hangup]);
        let doc = roxmltree::Document::parse(&xml).unwrap();
        let say = doc.descendants().find(|n| n.has_tag_name("Say")).unwrap();
        assert_eq!(say.text(), Some("Tom & Jerry <3 \"sofas\""));
        assert!(doc.descendants().any(|n| n.has_tag_name("Hangup")));
    }

    #[test]
    fn a_dial_rings_at_most_ten_numbers_with_their_whisper() {
        let numbers: Vec<DialNumber> = (0..12)
            .map(|i| DialNumber {
                number: format!("+1202555{:04}", 100 + i),
                whisper_url: Some(format!("https://t.example/w?a=1&b={i}")),
                send_digits: Some("305".into()),
            })
            .collect();
        let xml = render(&[Verb::Dial {
            action: Some("https://t.example/d".into()),
            timeout_seconds: 20,
            record: true,
            recording_callback: "https://t.example/r".into(),
            numbers,
        }]);
        let doc = roxmltree::Document::parse(&xml).unwrap();
        let dial = doc.descendants().find(|n| n.has_tag_name("Dial")).unwrap();
        assert_eq!(dial.attribute("record"), Some("record-from-answer-dual"));
        let rung: Vec<_> = dial.children().filter(|n| n.has_tag_name("Number")).collect();
        assert_eq!(rung.len(), 10);
        assert_eq!(rung[3].attribute("url"), Some("https://t.example/w?a=1&b=3"));
        assert_eq!(rung[3].attribute("sendDigits"), Some("305"));
    }
}
