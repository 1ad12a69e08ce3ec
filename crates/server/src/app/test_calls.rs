//! A test call from Settings → Numbers: a phone that plays the provider (the sandbox's, given
//! by the composition root) calls one of the business's tracking numbers through this
//! server's public URL, every request signed with the number's stored auth token, in real
//! time, so that the owner watches it arrive in Activity: IN CALL while it rings, answered
//! while the operator talks, then ended. One at a time per business; it runs in the
//! background, and a failure is logged, never shown to anyone but the log.

use crate::app::AppState;
use crate::app::error::{AppError, AppResult};
use crate::app::test_phone::TestCall;
use leadline_core::keypad::Keys;
use leadline_core::{BusinessId, E164, NumberId};

/// How long the operator's phone rings before it is answered.
pub const RING_SECONDS: u32 = 3;
/// How long the operator talks (or the caller speaks to voicemail) before hanging up.
pub const TALK_SECONDS: u32 = 3;

/// What the owner asks for.
#[derive(Debug, Clone)]
pub struct TestCallRequest {
    /// Who calls (a fictional number by default).
    pub caller: E164,
    /// What the caller keys at the prompt, if anything.
    pub keys: Option<Keys>,
    /// Whether the first destination rung answers; if not, the call goes to voicemail.
    pub operator_answers: bool,
}

/// Starts a test call to `number` of `business` and answers once it is under way (the call
/// itself runs in the background until it ends, or the server shuts down). `NotFound` for
/// another business's number; `Refused` when the number has no auth token; `Conflict` when
/// the business already has a test call in progress; `Unavailable` on a server without a
/// phone.
pub async fn place_test_call(
    state: &AppState,
    business: BusinessId,
    number: NumberId,
    request: TestCallRequest,
) -> AppResult<()> {
    let number = state.store.number(business, number).await?;
    if number.auth_token.expose().is_empty() {
        return Err(AppError::Refused(
            "this number has no auth token: enter it under Settings below, then place the call".into(),
        ));
    }
    let phone = state
        .test_calls
        .phone()
        .ok_or_else(|| AppError::Unavailable("this server places no test calls".into()))?;
    let in_progress = state.test_calls.start(business).ok_or_else(|| {
        AppError::Conflict("a test call is already in progress: wait for it to end (a few seconds)".into())
    })?;
    let call = TestCall {
        server: state.base_url.trim_end_matches('/').to_owned(),
        number: number.number.clone(),
        caller: request.caller,
        keys: request.keys,
        operator_answers: request.operator_answers,
        ring_seconds: RING_SECONDS,
        talk_seconds: TALK_SECONDS,
        auth_token: number.auth_token.clone(),
    };
    let closing = state.closing.clone();
    let called = number.number;
    tokio::spawn(async move {
        let _in_progress = in_progress;
        tokio::select! {
            placed = phone.place(call) => match placed {
                Ok(()) => tracing::info!(number = %called, %business, "test call placed"),
                // The phone's errors name the request and the server's answer, never the token.
                Err(e) => tracing::warn!(number = %called, %business, error = format!("{e:#}"), "test call failed"),
            },
            () = closing.cancelled() => tracing::info!(number = %called, "test call stopped: the server is shutting down"),
        }
    });
    Ok(())
}
