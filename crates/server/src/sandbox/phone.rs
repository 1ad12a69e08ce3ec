//! The sandbox phone: places one call against a Leadline server as the provider would. Every
//! request is a signed form POST; every TwiML answer is followed verb by verb; the caller keys
//! the digits it was given, the first operator answers (or nobody does), and the callbacks
//! are posted once the call ends. Nothing is slept but the operator's ring time, unless the
//! call is placed at [`Pace::RealTime`]: then the talk, a message and an unanswered ring are
//! waited for as well.

use super::transcript::{Outcome, Step, Transcript};
use super::twiml::{self, Number, Recording, Verb};
use super::wire::{Params, excerpt, pair, push, recording, resolve, rung, sid};
use super::{Pace, Settings};
use anyhow::{Context, bail};
use std::collections::VecDeque;
use std::time::Duration;

/// More requests than this means the server's TwiML loops.
const MAX_REQUESTS: usize = 20;
/// What a provider gives a webhook to answer, connection included.
const WEBHOOK_TIMEOUT: Duration = Duration::from_secs(15);
/// Parameters the transcript leaves out of `sent` when they hold the call's usual values.
const USUAL: [&str; 3] = ["AccountSid", "ApiVersion", "Direction"];

/// A request made after the call: recording callbacks.
struct Later {
    url: String,
    params: Params,
    note: String,
}

struct Phone<'a> {
    settings: &'a Settings,
    client: reqwest::Client,
    account_sid: String,
    call_sid: String,
    steps: Vec<Step>,
    /// Simulated seconds since the call was answered by the provider.
    elapsed: u32,
}

/// The operator's leg once answered.
struct Leg {
    sid: String,
    number: String,
}

/// Places the call and returns its transcript.
pub async fn place(settings: &Settings) -> anyhow::Result<Transcript> {
    let client = reqwest::Client::builder()
        .timeout(WEBHOOK_TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("leadline-sim/", env!("CARGO_PKG_VERSION")))
        .build()
        .context("cannot build the HTTP client")?;
    let mut phone = Phone {
        settings,
        client,
        account_sid: sid("AC"),
        call_sid: sid("CA"),
        steps: Vec::new(),
        elapsed: 0,
    };
    let mut result = CallResult::default();
    let mut later = Vec::new();
    phone.follow(&mut result, &mut later).await?;

    let mut status = phone.call_params("completed");
    push(&mut status, "CallDuration", phone.elapsed.to_string());
    push(&mut status, "CallbackSource", "call-progress-events");
    push(&mut status, "SequenceNumber", "0");
    push(&mut status, "Timestamp", leadline_core::clock::now().to_rfc2822());
    let status_url = format!("{}/twilio/status", settings.server);
    phone
        .post(&status_url, status, Some("the call ended".into()), false)
        .await?;
    for Later { url, params, note } in later {
        phone.post(&url, params, Some(note), false).await?;
    }

    let outcome = match (&result.answered_by, result.dialled) {
        (Some(_), _) => Outcome::Answered,
        (None, true) => Outcome::NoAnswer,
        (None, false) => Outcome::NotForwarded,
    };
    Ok(Transcript {
        call_sid: phone.call_sid,
        account_sid: phone.account_sid,
        from: settings.from.clone(),
        to: settings.to.clone(),
        digits: settings.digits.clone(),
        steps: phone.steps,
        whisper: result.whisper,
        answered_by: result.answered_by,
        outcome,
        voicemail: result.voicemail,
        recording_url: result.recording_url,
        duration_seconds: phone.elapsed,
    })
}

#[derive(Default)]
struct CallResult {
    dialled: bool,
    answered_by: Option<String>,
    whisper: Option<String>,
    voicemail: bool,
    recording_url: Option<String>,
}

impl Phone<'_> {
    /// Runs the call from the incoming-call webhook until a `<Hangup>`, the end of a
    /// document, or the caller hanging up after a message.
    async fn follow(&mut self, result: &mut CallResult, later: &mut Vec<Later>) -> anyhow::Result<()> {
        let mut url = format!("{}/twilio/voice", self.settings.server);
        let note = format!("{} calls {}", self.settings.from, self.settings.to);
        let mut verbs: VecDeque<Verb> = self
            .post(&url, self.call_params("ringing"), Some(note), true)
            .await?
            .into();
        while let Some(verb) = verbs.pop_front() {
            let next = match verb {
                Verb::Say(_) | Verb::Other(_) => None,
                Verb::Hangup | Verb::Reject => break,
                Verb::Redirect(target) => Some((resolve(&url, Some(&target))?, self.call_params("in-progress"), None)),
                Verb::Gather {
                    action,
                    num_digits,
                    action_on_empty_result,
                    ..
                } => {
                    let mut keyed = self.settings.digits.clone().unwrap_or_default();
                    if let Some(n) = num_digits {
                        keyed.truncate(n);
                    }
                    if keyed.is_empty() && !action_on_empty_result {
                        continue;
                    }
                    let finished_on = match num_digits {
                        Some(n) if keyed.len() >= n => "",
                        _ if keyed.is_empty() => "",
                        _ => "#",
                    };
                    let note = if keyed.is_empty() {
                        "the caller keys nothing".to_owned()
                    } else {
                        format!("the caller keys {keyed}{finished_on}")
                    };
                    let mut params = self.call_params("in-progress");
                    push(&mut params, "Digits", keyed);
                    push(&mut params, "FinishedOnKey", finished_on);
                    Some((resolve(&url, action.as_deref())?, params, Some(note)))
                }
                Verb::Dial {
                    action,
                    timeout_seconds,
                    record,
                    recording_callback,
                    numbers,
                } => {
                    result.dialled = true;
                    let leg = self.ring(&url, &numbers, timeout_seconds, result).await?;
                    let recording = match (&leg, record) {
                        (Some(_), Some(mode)) => {
                            let (recording_sid, recording_url) = recording();
                            result.recording_url = Some(recording_url.clone());
                            if let Some(callback) = recording_callback {
                                let channels = if mode == Recording::Dual { "2" } else { "1" };
                                later.push(self.recording_callback(
                                    resolve(&url, Some(&callback))?,
                                    &recording_sid,
                                    &recording_url,
                                    self.settings.talk,
                                    channels,
                                    "DialVerb",
                                ));
                            }
                            Some(recording_url)
                        }
                        _ => None,
                    };
                    let Some(action) = action else {
                        continue;
                    };
                    let mut params = self.call_params("in-progress");
                    match &leg {
                        Some(leg) => {
                            push(&mut params, "DialCallStatus", "completed");
                            push(&mut params, "DialCallSid", leg.sid.clone());
                            push(&mut params, "DialCallDuration", self.settings.talk.to_string());
                            push(&mut params, "DialBridged", "true");
                        }
                        None => {
                            push(&mut params, "DialCallStatus", "no-answer");
                            push(&mut params, "DialCallSid", sid("CA"));
                            push(&mut params, "DialBridged", "false");
                        }
                    }
                    if let Some(recording_url) = recording {
                        push(&mut params, "RecordingUrl", recording_url);
                    }
                    let rang = rung(&numbers);
                    let note = match &leg {
                        Some(leg) => format!(
                            "rang {rang}; {} answered after {} s, talked for {} s and hung up",
                            leg.number, self.settings.answer_after, self.settings.talk
                        ),
                        None => format!("rang {rang}; nobody answered within {timeout_seconds} s"),
                    };
                    Some((resolve(&url, Some(&action))?, params, Some(note)))
                }
                Verb::Record {
                    action,
                    max_length_seconds,
                    recording_callback,
                    ..
                } => {
                    self.leave_message(&url, action, max_length_seconds, recording_callback, result, later)
                        .await?;
                    break;
                }
            };
            if let Some((target, params, note)) = next {
                verbs = self.post(&target, params, note, true).await?.into();
                url = target;
            }
        }
        Ok(())
    }

    /// Rings the numbers of a `<Dial>`: the first answers after `--answer-after` seconds
    /// unless nobody does, and hears its whisper.
    async fn ring(
        &mut self,
        url: &str,
        numbers: &[Number],
        timeout_seconds: u32,
        result: &mut CallResult,
    ) -> anyhow::Result<Option<Leg>> {
        let answer_after = self.settings.answer_after;
        let first = match numbers.first() {
            Some(first) if !self.settings.no_answer && answer_after < timeout_seconds => first,
            _ => {
                let rings = !numbers.is_empty() && (!self.settings.no_answer || self.real_time());
                if rings {
                    tokio::time::sleep(Duration::from_secs(timeout_seconds.into())).await;
                }
                self.elapsed += timeout_seconds;
                return Ok(None);
            }
        };
        tokio::time::sleep(Duration::from_secs(answer_after.into())).await;
        self.elapsed += answer_after + self.settings.talk;
        let leg = Leg {
            sid: sid("CA"),
            number: first.number.clone(),
        };
        result.answered_by = Some(leg.number.clone());
        if let Some(whisper) = &first.url {
            let mut note = format!("{} answered after {answer_after} s and hears the whisper", leg.number);
            if let Some(digits) = &first.send_digits {
                note.push_str(&format!("; digits {digits} were sent on its line"));
            }
            let params = vec![
                pair("CallSid", &leg.sid),
                pair("ParentCallSid", &self.call_sid),
                pair("AccountSid", &self.account_sid),
                pair("From", &self.settings.from),
                pair("To", &leg.number),
                pair("CallStatus", "in-progress"),
                pair("Direction", "outbound-dial"),
                pair("ApiVersion", "2010-04-01"),
            ];
            let verbs = self
                .post(&resolve(url, Some(whisper))?, params, Some(note), true)
                .await?;
            let said: Vec<String> = verbs.iter().flat_map(Verb::said).collect();
            result.whisper = (!said.is_empty()).then(|| said.join(" "));
        }
        self.wait(self.settings.talk).await;
        Ok(Some(leg))
    }

    /// The caller speaks for `--talk` seconds (at most the maximum length) and hangs up. The
    /// provider then requests the `<Record>` action (by default the current document) with
    /// `Digits=hangup`, whose answer nobody hears, and later posts the recording callback.
    async fn leave_message(
        &mut self,
        url: &str,
        action: Option<String>,
        max_length_seconds: u32,
        recording_callback: Option<String>,
        result: &mut CallResult,
        later: &mut Vec<Later>,
    ) -> anyhow::Result<()> {
        let length = self.settings.talk.min(max_length_seconds);
        self.wait(length).await;
        self.elapsed += length;
        let (recording_sid, recording_url) = recording();
        result.voicemail = true;
        result.recording_url = Some(recording_url.clone());
        let mut params = self.call_params("in-progress");
        push(&mut params, "RecordingUrl", recording_url.clone());
        push(&mut params, "RecordingSid", recording_sid.clone());
        push(&mut params, "RecordingDuration", length.to_string());
        push(&mut params, "Digits", "hangup");
        let note = format!("the caller left a {length} s message and hung up; this answer is not followed");
        self.post(&resolve(url, action.as_deref())?, params, Some(note), false)
            .await?;
        if let Some(callback) = recording_callback {
            later.push(self.recording_callback(
                resolve(url, Some(&callback))?,
                &recording_sid,
                &recording_url,
                length,
                "1",
                "RecordVerb",
            ));
        }
        Ok(())
    }

    /// A recording status callback: the provider sends the call's ids and the recording's,
    /// not the caller or the number (the callback URL must say which number it is about).
    fn recording_callback(
        &self,
        url: String,
        recording_sid: &str,
        recording_url: &str,
        seconds: u32,
        channels: &str,
        source: &str,
    ) -> Later {
        let params = vec![
            pair("AccountSid", &self.account_sid),
            pair("CallSid", &self.call_sid),
            pair("RecordingSid", recording_sid),
            pair("RecordingUrl", recording_url),
            pair("RecordingStatus", "completed"),
            pair("RecordingDuration", &seconds.to_string()),
            pair("RecordingChannels", channels),
            pair("RecordingSource", source),
        ];
        Later {
            url,
            params,
            note: format!("the recording {recording_sid} is ready"),
        }
    }

    fn real_time(&self) -> bool {
        self.settings.pace == Pace::RealTime
    }

    /// Waits `seconds` when the call is placed in real time; otherwise they are only reported.
    async fn wait(&self, seconds: u32) {
        if self.real_time() {
            tokio::time::sleep(Duration::from_secs(seconds.into())).await;
        }
    }

    /// The parameters of every request about the call.
    fn call_params(&self, status: &str) -> Params {
        vec![
            pair("CallSid", &self.call_sid),
            pair("AccountSid", &self.account_sid),
            pair("From", &self.settings.from),
            pair("To", &self.settings.to),
            pair("CallStatus", status),
            pair("Direction", "inbound"),
            pair("ApiVersion", "2010-04-01"),
        ]
    }

    /// Posts a signed request and records it. A document answer (`follow`) must be TwiML;
    /// anything but 200 is an error that says what the server answered.
    async fn post(
        &mut self,
        url: &str,
        params: Params,
        note: Option<String>,
        follow: bool,
    ) -> anyhow::Result<Vec<Verb>> {
        let path = url::Url::parse(url)
            .map(|u| u.path().to_owned())
            .with_context(|| format!("the server sent the sandbox to '{url}', which is not a URL"))?;
        let request = format!("POST {path}");
        if self.steps.len() >= MAX_REQUESTS {
            bail!("the call took more than {MAX_REQUESTS} requests (the last: {request}): the server's TwiML loops");
        }
        if !url.starts_with("http://") && !url.starts_with("https://") {
            bail!("{request}: {url} is not an http:// or https:// URL");
        }
        let signature = leadline_core::twilio::signature(&self.settings.auth_token, url, &params);
        let response = self
            .client
            .post(url)
            .header("X-Twilio-Signature", signature)
            .form(&params)
            .send()
            .await
            .with_context(|| format!("{request}: cannot reach {url} (is the server running?)"))?;
        let status = response.status();
        let body = response
            .text()
            .await
            .with_context(|| format!("{request}: the answer could not be read"))?;
        if status != reqwest::StatusCode::OK {
            let hint = if status == reqwest::StatusCode::FORBIDDEN {
                " (the server did not take the request as its provider's: check --auth-token (the tracking \
                 number's auth token signs every request), --to, and that --server is the server's public \
                 base URL, which the signature covers)"
            } else {
                ""
            };
            bail!("{request} answered {status}: {}{hint}", excerpt(&body));
        }
        let verbs = match twiml::parse(&body) {
            Ok(verbs) => verbs,
            Err(e) if follow => {
                return Err(e.context(format!("{request} answered 200 but not TwiML: {}", excerpt(&body))));
            }
            Err(_) => Vec::new(),
        };
        let sent = params
            .into_iter()
            .filter(|(k, v)| {
                let usual = USUAL.contains(&k.as_str())
                    || (k == "CallSid" && *v == self.call_sid)
                    || (k == "From" && *v == self.settings.from)
                    || (k == "To" && *v == self.settings.to);
                !usual
            })
            .collect();
        self.steps.push(Step {
            request,
            sent,
            status: status.as_u16(),
            verbs: verbs.iter().map(|v| v.name().to_owned()).collect(),
            said: verbs.iter().flat_map(Verb::said).collect(),
            note,
        });
        Ok(verbs)
    }
}
