//! What Settings' test calls are placed with (a phone that plays the provider, given by the
//! composition root, since the application layer may not use the sandbox itself) and which
//! businesses have one under way. The use case is `app::test_calls`.

use futures::future::BoxFuture;
use leadline_core::BusinessId;
use leadline_core::E164;
use leadline_core::keypad::Keys;
use leadline_core::secret::Secret;
use std::collections::HashSet;
use std::sync::{Arc, Mutex};

/// A call for the phone to place. No `Debug`: it holds the number's token.
pub struct TestCall {
    /// The server's public base URL, without a trailing slash: what the signatures cover.
    pub server: String,
    /// The tracking number called.
    pub number: E164,
    pub caller: E164,
    pub keys: Option<Keys>,
    pub operator_answers: bool,
    /// Seconds the operator's phone rings before it answers.
    pub ring_seconds: u32,
    /// Seconds of talk (or of the message left).
    pub talk_seconds: u32,
    /// The number's auth token, which signs every request.
    pub auth_token: Secret,
}

/// What places test calls: plays the provider against the server, in real time.
pub trait TestPhone: Send + Sync {
    /// Places `call` to its end; an error says which request failed and how.
    fn place(&self, call: TestCall) -> BoxFuture<'static, anyhow::Result<()>>;
}

/// The phone test calls are placed with, and the businesses with one in progress.
#[derive(Default)]
pub struct TestCalls {
    phone: Option<Arc<dyn TestPhone>>,
    busy: Arc<Mutex<HashSet<BusinessId>>>,
}

impl TestCalls {
    /// Test calls placed with `phone`.
    pub fn with_phone(phone: Arc<dyn TestPhone>) -> Self {
        Self {
            phone: Some(phone),
            busy: Arc::default(),
        }
    }

    /// The phone, when the server has one.
    pub(crate) fn phone(&self) -> Option<Arc<dyn TestPhone>> {
        self.phone.clone()
    }

    /// Marks `business` busy until the answer is dropped, or `None` when it already is.
    pub(crate) fn start(&self, business: BusinessId) -> Option<InProgress> {
        let mut busy = self.busy.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        busy.insert(business).then(|| InProgress {
            busy: self.busy.clone(),
            business,
        })
    }
}

/// A business's test call in progress; dropped (the call over, failed or cancelled), the
/// business may place another.
pub(crate) struct InProgress {
    busy: Arc<Mutex<HashSet<BusinessId>>>,
    business: BusinessId,
}

impl Drop for InProgress {
    fn drop(&mut self) {
        let mut busy = self.busy.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        busy.remove(&self.business);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_business_has_one_test_call_at_a_time_and_another_once_it_ended() {
        let calls = TestCalls::default();
        let first = calls.start(BusinessId(1)).expect("the first call starts");
        assert!(calls.start(BusinessId(1)).is_none(), "a second waits");
        let other = calls.start(BusinessId(2)).expect("another business is not held up");
        drop(first);
        assert!(calls.start(BusinessId(1)).is_some(), "free again once ended");
        drop(other);
    }
}
