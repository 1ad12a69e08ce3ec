//! The call as it comes in: the prompt for the code, the keyed code resolved to its visit,
//! click or offline source, the call record, the forwarded `<Dial>` and the whisper.

use super::signed::{Signed, verify};
use super::twiml::{DialNumber, Heard, Speech, Verb};
use super::{callback_url, fallback_verbs, twiml_response};
use crate::app::AppError;
use crate::app::AppState;
use crate::app::calls::{self, Incoming};
use crate::app::routing::{Ringing, route};
use crate::app::spam;
use axum::extract::{Request, State};
use axum::response::Response;
use leadline_core::E164;
use leadline_core::call::{Call, CallReport};
use leadline_core::call_handling::{self, CallPlan, DEFAULT_GREETING, Moment, OPERATOR_DISCLOSURE};
use leadline_core::keypad::{self, KeyableCodes};
use leadline_core::provider::{CallSid, Caller, CallerPlace};
use leadline_core::routing::Condition;
use leadline_core::site::SiteKey;
use leadline_core::spam::BlockedAnswer;
use leadline_core::store::StoreError;
use leadline_core::tenant::Site;

/// Seconds the operators' phones ring before voicemail.
const RING_SECONDS: u32 = 20;

/// The site the call is for: `?site=KEY` where one number serves several, else the first.
async fn site_of(state: &AppState, signed: &Signed) -> Result<Site, StoreError> {
    if let Some(key) = signed.query("site").and_then(|k| SiteKey::parse(k).ok()) {
        let site = state.store.site_by_key(&key).await?;
        if signed.number.site_ids.contains(&site.id) {
            return Ok(site);
        }
    }
    let first = *signed.number.site_ids.first().ok_or(StoreError::NotFound)?;
    state.store.site_by_id(first).await
}

/// The numbers of the business's destinations (at most ten are rung).
pub(crate) async fn destinations(state: &AppState, signed: &Signed) -> Result<Vec<String>, StoreError> {
    business_destinations(state, &site_of(state, signed).await?).await
}

async fn business_destinations(state: &AppState, site: &Site) -> Result<Vec<String>, StoreError> {
    let all = state.store.list_destinations(site.business_id).await?;
    Ok(leadline_core::routing::ringable(&all))
}

/// `POST /twilio/voice`: ask for the extension.
pub async fn incoming(State(state): State<AppState>, request: Request) -> Response {
    let signed = match verify(&state, request).await {
        Ok(signed) => signed,
        Err(refusal) => return refusal.answer(state.telephony_fallback.as_ref()),
    };
    let (num_digits, site_query, greeting) = match site_of(&state, &signed).await {
        // The site is passed on only when the number serves it (`site_of` checked).
        Ok(site) => {
            if let Some(verbs) = screened(&state, &signed, &site).await {
                return twiml_response(&verbs);
            }
            // A number of the site's pool names its visit by itself: no code is asked.
            if signed.number.pool_of == Some(site.id) {
                return answer(&state, &signed).await;
            }
            let named = signed.query("site") == Some(site.key.as_str());
            let query = if named {
                vec![("site", site.key.to_string())]
            } else {
                Vec::new()
            };
            let calls = &site.settings.calls;
            let greeting = Heard::of(calls, calls.greeting());
            (gather_length(&state, &signed, &site).await, query, greeting)
        }
        Err(e) => {
            tracing::warn!(error = %e, "incoming call: no site; gathering anyway");
            (None, Vec::new(), Heard::plain(DEFAULT_GREETING))
        }
    };
    let site_query: Vec<(&str, &str)> = site_query.iter().map(|(k, v)| (*k, v.as_str())).collect();
    twiml_response(&[Verb::Gather {
        action: callback_url(&state, "/twilio/gather", &signed.number.number, &site_query),
        num_digits,
        timeout_seconds: 5,
        prompt: greeting,
    }])
}

/// A caller whose number the business blocked (or listed as spam) is answered here, before
/// the code is asked for and before anyone rings: rejected, or told the business's message.
/// The call is logged, flagged spam (`app::spam::screen`).
async fn screened(state: &AppState, signed: &Signed, site: &Site) -> Option<Vec<Verb>> {
    let incoming = incoming_call(signed, site.clone(), "")?;
    let screened = spam::screen(state.store.as_ref(), incoming).await?;
    Some(match screened.answer {
        BlockedAnswer::Reject => vec![Verb::Reject],
        BlockedAnswer::Message(text) => vec![Verb::Say(text), Verb::Hangup],
    })
}

/// The call as the application layer takes it; `None` without the provider's call id.
fn incoming_call<'a>(signed: &'a Signed, site: Site, digits: &'a str) -> Option<Incoming<'a>> {
    Some(Incoming {
        number: &signed.number,
        site,
        digits,
        caller: signed.caller("From"),
        call_id: signed.call_sid()?,
        place: CallerPlace::parse(
            signed.param("FromCity"),
            signed.param("FromState"),
            signed.param("FromCountry"),
        ),
    })
}

/// The number of keys every code that can be keyed on the number takes, when they agree: the
/// gather then ends the moment the last key is pressed. Reserved (printed) codes, the star
/// pool, the check digit and business extensions all count, so no caller is cut short.
async fn gather_length(state: &AppState, signed: &Signed, site: &Site) -> Option<usize> {
    let spans = state
        .store
        .keyable_code_spans(signed.number.id)
        .await
        .inspect_err(|e| tracing::warn!(error = %e, "incoming call: codes unknown; gathering without a length"))
        .ok()?;
    let rules = state.store.routing_rules(site.id).await.ok()?;
    let extensions = rules
        .iter()
        .flat_map(|rule| &rule.conditions)
        .any(|c| matches!(c, Condition::Extension(_)));
    keypad::gather_length(&KeyableCodes {
        plain: spans.plain,
        star: spans.star,
        check_digit: site.settings.check_digit,
        star_pool: site.settings.star_click_codes,
        extensions,
    })
}

/// `POST /twilio/gather`: resolve the keyed code, record the call, then put it through
/// (after the recording disclosure) or handle it as after hours.
pub async fn keyed(State(state): State<AppState>, request: Request) -> Response {
    let signed = match verify(&state, request).await {
        Ok(signed) => signed,
        Err(refusal) => return refusal.answer(state.telephony_fallback.as_ref()),
    };
    answer(&state, &signed).await
}

/// Opens the call from what was keyed (nothing, on a pool number) and answers what it hears
/// and whom it rings.
async fn answer(state: &AppState, signed: &Signed) -> Response {
    // The site is read once: its business gives the destinations, its settings the call.
    let (site, destinations) = match site_of(state, signed).await {
        Ok(site) => {
            let destinations = business_destinations(state, &site).await.unwrap_or_else(|e| {
                tracing::error!(error = %e, "cannot load the destinations of a call");
                Vec::new()
            });
            (Ok(site), destinations)
        }
        Err(e) => (Err(AppError::from(e)), Vec::new()),
    };
    let tracked = match site {
        Ok(site) => forward(state, signed, site, &destinations).await,
        Err(e) => Err(e),
    };
    match tracked {
        Ok(verbs) => twiml_response(&verbs),
        Err(e) => {
            tracing::error!(error = %e, "the call could not be tracked; forwarding it untracked");
            twiml_response(&fallback_verbs(destinations.into_iter()))
        }
    }
}

async fn forward(
    state: &AppState,
    signed: &Signed,
    site: Site,
    destinations: &[String],
) -> Result<Vec<Verb>, AppError> {
    let record = site.settings.record_calls;
    let speech = Speech::of(&site.settings.calls);
    let moment = Moment {
        recorded: record,
        anyone_to_ring: !destinations.is_empty(),
        zone: site.timezone.tz(),
        at: leadline_core::clock::now(),
    };
    let plan = call_handling::plan(&site.settings.calls, moment);
    let digits = signed.param("Digits").unwrap_or("");
    let incoming = incoming_call(signed, site, digits).ok_or(AppError::NotFound)?;
    // The call is opened whatever the plan: a caller after hours is a lead with a source too.
    let call = calls::open_call(state.store.as_ref(), incoming).await?;
    let number = &signed.number.number;
    let heard = |prompt| Verb::Hear(speech.hear(prompt));
    Ok(match plan {
        CallPlan::Connect { disclosure } => {
            let ringing = route(state.store.as_ref(), &call, destinations)
                .await
                .unwrap_or_else(|e| {
                    tracing::warn!(error = %e, "routing rules could not be read; ringing everyone");
                    Ringing::all(destinations)
                });
            let dial = ring_operators(state, number, &call, &ringing, record);
            disclosure.map(heard).into_iter().chain([dial]).collect()
        }
        CallPlan::Forward { to, disclosure } => {
            let dial = ring_operators(state, number, &call, &Ringing::all(&[to.to_string()]), record);
            disclosure.map(heard).into_iter().chain([dial]).collect()
        }
        CallPlan::Voicemail { message } => {
            let transcribe = provider_transcribes(state, call.business_id).await;
            voicemail(state, number, speech.hear(message), transcribe)
        }
        CallPlan::Hangup { message } => vec![heard(message), Verb::Hangup],
    })
}

/// The `<Dial>` that rings `ringing.now` for `call`, with the whisper, the business
/// extension, recording as the site wants, and the dial callback (which rings `ringing.then`,
/// one by one, if nobody answers).
pub fn ring_operators(state: &AppState, number: &E164, call: &Call, ringing: &Ringing, record: bool) -> Verb {
    let whisper = callback_url(state, "/twilio/whisper", number, &[("call", &call.provider_call_sid)]);
    let numbers = ringing
        .now
        .iter()
        .map(|to| DialNumber {
            number: to.clone(),
            whisper_url: Some(whisper.clone()),
            send_digits: call.extension.clone(),
        })
        .collect();
    let then = ringing.then.join(",");
    let action = if then.is_empty() {
        Vec::new()
    } else {
        vec![("then", then.as_str())]
    };
    Verb::Dial {
        action: Some(callback_url(state, "/twilio/dial", number, &action)),
        timeout_seconds: RING_SECONDS,
        record,
        recording_callback: callback_url(state, "/twilio/recording", number, &[]),
        numbers,
    }
}

/// The verbs of a voicemail: `message`, a recording, and the end of the call. When the
/// business has the provider transcribe, the message is capped at 119 s (Twilio transcribes
/// only recordings shorter than 120 s) and the text comes back to `/twilio/transcription`.
pub fn voicemail(state: &AppState, number: &leadline_core::E164, message: Heard, transcribe: bool) -> Vec<Verb> {
    vec![
        Verb::Hear(message),
        Verb::Record {
            action: callback_url(state, "/twilio/status", number, &[]),
            max_length_seconds: if transcribe { 119 } else { 120 },
            recording_callback: callback_url(state, "/twilio/recording", number, &[]),
            transcribe_callback: transcribe.then(|| callback_url(state, "/twilio/transcription", number, &[])),
        },
        Verb::Hangup,
    ]
}

/// Whether `business` has the telephony provider transcribe its voicemails (a failure to
/// read it is logged, and the message is recorded without).
pub async fn provider_transcribes(state: &AppState, business: leadline_core::BusinessId) -> bool {
    match state.store.transcription_service(business).await {
        Ok(service) => service == Some(leadline_core::transcript::TranscriptionService::Provider),
        Err(e) => {
            tracing::warn!(error = %e, "the transcription service could not be read");
            false
        }
    }
}

/// `POST /twilio/whisper`: on the answering operator's leg, say whose call it is. The
/// request's `To` is the operator who answered, recorded on the call.
pub async fn whisper(State(state): State<AppState>, request: Request) -> Response {
    let signed = match verify(&state, request).await {
        Ok(signed) => signed,
        Err(refusal) => return refusal.answer(None),
    };
    let Some(sid) = signed.query("call").and_then(|sid| CallSid::parse(sid).ok()) else {
        return twiml_response(&[]);
    };
    let answered_by = match signed.caller("To") {
        Caller::Anonymous => None,
        known => Some(known.as_stored().to_owned()),
    };
    let report = CallReport {
        answered_by,
        ..CallReport::default()
    };
    // Only a call of the signing number: another tenant's signed whisper learns nothing.
    match calls::report_call(state.store.as_ref(), signed.call_key(&sid), &report).await {
        Ok(call) => twiml_response(&[Verb::Say(operator_hears(&state, &call).await)]),
        Err(e) => {
            tracing::warn!(error = %e, "whisper: unknown call; bridging without an announcement");
            twiml_response(&[])
        }
    }
}

/// The announcement of `call`, and that it is recorded when its site tells its operators so.
async fn operator_hears(state: &AppState, call: &Call) -> String {
    let announcement = call.announcement();
    match state.store.site_by_id(call.site_id).await {
        Ok(site) if site.settings.record_calls && site.settings.calls.disclose_to_operator => {
            format!("{announcement} {OPERATOR_DISCLOSURE}")
        }
        Ok(_) => announcement,
        Err(e) => {
            tracing::warn!(error = %e, "whisper: the site is unknown; announcing without the disclosure");
            announcement
        }
    }
}
