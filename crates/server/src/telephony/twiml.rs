//! TwiML, the answer Twilio-compatible providers follow: the few verbs Leadline speaks,
//! written with an XML writer so that every text and attribute is escaped.

use leadline_core::call_handling::{CallHandling, Language, Prompt, Voice};
use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};

/// A site's prompt as the caller hears it: a sentence carries the site's language and voice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heard {
    pub prompt: Prompt,
    pub language: Option<Language>,
    pub voice: Option<Voice>,
}

/// The language and voice a site says its prompts in: all of its call handling a call's
/// answer needs once the plan is made.
#[derive(Debug, Clone, Default)]
pub struct Speech {
    language: Option<Language>,
    voice: Option<Voice>,
}

impl Speech {
    /// How `handling` says its prompts.
    pub fn of(handling: &CallHandling) -> Self {
        Self {
            language: handling.language.clone(),
            voice: handling.voice.clone(),
        }
    }

    /// `prompt`, said this way.
    pub fn hear(&self, prompt: Prompt) -> Heard {
        Heard {
            prompt,
            language: self.language.clone(),
            voice: self.voice.clone(),
        }
    }
}

impl Heard {
    /// `prompt` said as `handling` says every prompt.
    pub fn of(handling: &CallHandling, prompt: Prompt) -> Self {
        Speech::of(handling).hear(prompt)
    }

    /// A sentence in the provider's default language and voice.
    pub fn plain(text: &str) -> Self {
        Self {
            prompt: Prompt::parse(text)
                .ok()
                .flatten()
                .expect("Leadline's own sentences are valid prompts"),
            language: None,
            voice: None,
        }
    }
}

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
    /// Speak or play a site's prompt.
    Hear(Heard),
    /// Collect keyed digits while `prompt` is heard, then post them to `action` (also when
    /// nothing was keyed).
    Gather {
        action: String,
        num_digits: Option<usize>,
        timeout_seconds: u32,
        prompt: Heard,
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
        /// Where the provider posts its transcription of the message, when the business
        /// chose the provider's (`transcribe="true"`).
        transcribe_callback: Option<String>,
    },
    /// End the call.
    Hangup,
    /// Refuse the call before it is answered: the caller hears a busy tone and is not billed.
    Reject,
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
            Verb::Hear(heard) => hear(&mut out, heard),
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
                hear(&mut out, prompt);
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
                transcribe_callback,
            } => {
                let length = max_length_seconds.to_string();
                let mut attrs = vec![
                    ("action", action.as_str()),
                    ("method", "POST"),
                    ("maxLength", length.as_str()),
                    ("playBeep", "true"),
                    ("recordingStatusCallback", recording_callback.as_str()),
                    ("recordingStatusCallbackMethod", "POST"),
                ];
                if let Some(callback) = transcribe_callback {
                    attrs.extend([("transcribe", "true"), ("transcribeCallback", callback.as_str())]);
                }
                out(Event::Empty(start("Record", &attrs)));
            }
            Verb::Hangup => out(Event::Empty(BytesStart::new("Hangup"))),
            Verb::Reject => out(Event::Empty(start("Reject", &[("reason", "busy")]))),
        }
    }
    out(Event::End(BytesEnd::new("Response")));
    String::from_utf8(writer.into_inner()).expect("the writer wrote UTF-8")
}

/// `<Say voice language>` for a sentence, `<Play>` for a recording.
fn hear(out: &mut impl FnMut(Event<'_>), heard: &Heard) {
    match &heard.prompt {
        Prompt::Say(text) => {
            let mut attrs = Vec::new();
            if let Some(voice) = &heard.voice {
                attrs.push(("voice", voice.as_str()));
            }
            if let Some(language) = &heard.language {
                attrs.push(("language", language.as_str()));
            }
            text_element(out, "Say", &attrs, text.as_str());
        }
        Prompt::Play(url) => text_element(out, "Play", &[], url.as_str()),
    }
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
    fn a_prompt_is_said_in_the_sites_voice_and_language_or_played_from_its_address() {
        let handling = CallHandling {
            language: Some(Language::parse("de-DE").unwrap()),
            voice: Some(Voice::parse("Polly.Marlene").unwrap()),
            ..CallHandling::default()
        };
        let said = Heard::of(&handling, Prompt::parse("Guten Tag & willkommen").unwrap().unwrap());
        let played = Heard::of(
            &handling,
            Prompt::parse("https://a.example/hi.mp3?x=1&y=2").unwrap().unwrap(),
        );
        let xml = render(&[
            Verb::Gather {
                action: "https://t.example/g".into(),
                num_digits: None,
                timeout_seconds: 5,
                prompt: said,
            },
            Verb::Hear(played),
        ]);
        let doc = roxmltree::Document::parse(&xml).unwrap();
        let say = doc.descendants().find(|n| n.has_tag_name("Say")).unwrap();
        assert_eq!(say.parent().unwrap().tag_name().name(), "Gather");
        assert_eq!(say.text(), Some("Guten Tag & willkommen"));
        assert_eq!(
            (say.attribute("voice"), say.attribute("language")),
            (Some("Polly.Marlene"), Some("de-DE"))
        );
        let play = doc.descendants().find(|n| n.has_tag_name("Play")).unwrap();
        assert_eq!(play.text(), Some("https://a.example/hi.mp3?x=1&y=2"));
        assert_eq!(play.attributes().count(), 0);
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
