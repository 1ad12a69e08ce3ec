//! One arm of a bench run: the day's visitors sent, in order of time, through the real
//! snippet API and signed call webhooks of the bench server, the clock set to each event's
//! instant before it is sent; every call read back and judged against the visit the caller
//! really came from.

use super::server::{BenchServer, BenchSite};
use super::tally::{Judged, Tally};
use super::traffic::{self, Dialled, HEARTBEAT_MS, Visitor};
use crate::sandbox::{self, Pace};
use anyhow::Context;
use leadline_core::call::CallKey;
use leadline_core::provider::CallSid;
use leadline_core::{E164, NumberId};
use serde::Deserialize;
use serde_json::json;
use std::collections::HashMap;

/// The code sweep's interval on the simulated clock (the server's default).
const SWEEP_MS: i64 = 30_000;
/// How often live codes are counted for the report.
const SAMPLE_MS: i64 = 15 * 60_000;

/// What happens at an instant, in the order events of one instant are sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Event {
    Sweep,
    Arrive(u32),
    PageView(u32, u16),
    Heartbeat(u32),
    Click(u32),
    Call(u32),
    Redial(u32),
    Sample,
}

/// The visit state the API answers (the fields the bench reads).
#[derive(Debug, Deserialize)]
struct State {
    visit: Option<String>,
    token: Option<String>,
    number: Option<String>,
    code: Option<String>,
}

/// What the bench knows of one visitor while the day runs.
#[derive(Debug, Default, Clone)]
struct Seen {
    visit: String,
    token: String,
    /// The number and code the page shows now (what a caller on the page dials).
    number: Option<String>,
    code: Option<String>,
    /// What the first call dialled: the number and the keys, repeated by a redial.
    dialled: Option<(String, String)>,
}

/// Sends the day to `site` starting at `start_ms` on the simulated clock and judges its calls.
pub async fn run(
    server: &BenchServer,
    site: &BenchSite,
    day: &[Visitor],
    start_ms: i64,
    hours: f64,
) -> anyhow::Result<Tally> {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(4)
        .user_agent("Mozilla/5.0 (X11; Linux x86_64) leadline-bench")
        .build()
        .context("cannot build the HTTP client")?;
    let mut arm = Arm {
        server,
        site,
        client,
        seen: HashMap::new(),
        tally: Tally::default(),
        numbers: site.numbers.iter().map(|(e164, id)| (e164.to_string(), *id)).collect(),
    };
    for (at_ms, event) in schedule(day, hours) {
        leadline_core::clock::simulate(start_ms + at_ms);
        arm.send(day, event, at_ms).await?;
    }
    Ok(arm.tally)
}

/// Every event of the day, in order of time (and, at one instant, of [`Event`]).
fn schedule(day: &[Visitor], hours: f64) -> Vec<(i64, Event)> {
    let end_ms = (hours * 3_600_000.0) as i64;
    let mut events: Vec<(i64, Event)> = Vec::with_capacity(day.len() * 8 + 2 * (end_ms / SWEEP_MS) as usize);
    events.extend((0..=end_ms / SWEEP_MS).map(|n| (n * SWEEP_MS, Event::Sweep)));
    events.extend((1..=end_ms / SAMPLE_MS).map(|n| (n * SAMPLE_MS, Event::Sample)));
    for v in day {
        events.push((v.arrive_ms, Event::Arrive(v.id)));
        for (i, at) in v.page_views.iter().enumerate() {
            events.push((
                v.arrive_ms + at,
                Event::PageView(v.id, u16::try_from(i).unwrap_or(u16::MAX)),
            ));
        }
        let mut beat = v.arrive_ms + HEARTBEAT_MS;
        while beat < v.leave_ms() {
            events.push((beat, Event::Heartbeat(v.id)));
            beat += HEARTBEAT_MS;
        }
        if let Some(call) = &v.call {
            if call.clicked {
                events.push((call.at_ms - traffic::click_before_call_ms(), Event::Click(v.id)));
            }
            events.push((call.at_ms, Event::Call(v.id)));
            events.extend(call.redial_at_ms.map(|at| (at, Event::Redial(v.id))));
        }
    }
    events.retain(|(at, _)| *at <= end_ms);
    events.sort_unstable();
    events
}

struct Arm<'a> {
    server: &'a BenchServer,
    site: &'a BenchSite,
    client: reqwest::Client,
    seen: HashMap<u32, Seen>,
    tally: Tally,
    numbers: HashMap<String, NumberId>,
}

impl Arm<'_> {
    async fn send(&mut self, day: &[Visitor], event: Event, at_ms: i64) -> anyhow::Result<()> {
        let visitor = |id: u32| &day[id as usize];
        match event {
            Event::Sweep => {
                crate::jobs::sweep_once(self.server.store.as_ref()).await;
            }
            Event::Sample => {
                let live = if self.site.numbers.len() > 1 {
                    let now = leadline_core::clock::now_millis();
                    let pool = self.server.store.pool_numbers(self.site.id, now).await?;
                    pool.iter().filter(|n| n.holder.is_some()).count() as u64
                } else {
                    self.server.store.live_codes_of_site(self.site.id).await?
                };
                self.tally.sample(at_ms, live);
            }
            Event::Arrive(id) => self.arrive(visitor(id)).await?,
            Event::PageView(id, n) => {
                let body = json!({"type": "page_view", "url": format!("https://{}/page/{n}", self.site.domain)});
                self.event(id, body).await?;
            }
            Event::Heartbeat(id) => self.event(id, json!({"type": "heartbeat"})).await?,
            Event::Click(id) => self.click(visitor(id)).await?,
            Event::Call(id) => self.call(visitor(id), false).await?,
            Event::Redial(id) => self.call(visitor(id), true).await?,
        }
        Ok(())
    }

    async fn arrive(&mut self, v: &Visitor) -> anyhow::Result<()> {
        let body = json!({
            "site": self.site.key.as_str(),
            "url": format!("https://{}/?utm_source=bench&utm_medium=cpc&utm_campaign=c{}", self.site.domain, v.id % 7),
            "device": if v.phone { "mobile" } else { "desktop" },
            "vid": format!("bench{:012}", v.id),
        });
        let state: State = self.post("/v1/visits", &body).await?;
        self.tally.shown(state.code.as_deref());
        self.seen.insert(
            v.id,
            Seen {
                visit: state.visit.context("a registration answers its visit")?,
                token: state.token.context("a registration answers its token")?,
                number: state.number,
                code: state.code,
                dialled: None,
            },
        );
        Ok(())
    }

    /// A touch of the visit; the page shows what it answers.
    async fn event(&mut self, id: u32, mut body: serde_json::Value) -> anyhow::Result<()> {
        let Some(seen) = self.seen.get(&id) else {
            return Ok(());
        };
        body["site"] = json!(self.site.key.as_str());
        body["token"] = json!(seen.token);
        let path = format!("/v1/visits/{}/events", seen.visit);
        let state: State = self.post(&path, &body).await?;
        if let Some(seen) = self.seen.get_mut(&id) {
            seen.number = state.number.or(seen.number.take());
            seen.code = state.code;
        }
        Ok(())
    }

    /// A click on the page's call button (desktop) or its `tel:` link (a phone's tap goes with
    /// the page's last heartbeat as the page hides, as the snippet sends it).
    async fn click(&mut self, v: &Visitor) -> anyhow::Result<()> {
        let url = format!("https://{}/contact", self.site.domain);
        let body = if v.phone {
            json!({"type": "heartbeat", "clicks": [{"element": "tel0", "url": url}]})
        } else {
            json!({"type": "click", "element": "call-now", "url": url})
        };
        self.event(v.id, body).await
    }

    async fn call(&mut self, v: &Visitor, redial: bool) -> anyhow::Result<()> {
        let (Some(plan), Some(seen)) = (&v.call, self.seen.get(&v.id).cloned()) else {
            return Ok(());
        };
        let (to, digits) = match (&seen.dialled, redial) {
            (Some(first), true) => first.clone(),
            (None, true) => return Ok(()),
            _ => {
                let number = seen.number.clone().unwrap_or_default();
                let code = seen.code.clone().unwrap_or_default();
                let digits = match plan.dialled {
                    Dialled::AutoDial => code,
                    Dialled::ByHand(keying) => traffic::keyed(&code, keying, plan.twist),
                };
                (number, digits)
            }
        };
        if let Some(seen) = self.seen.get_mut(&v.id) {
            seen.dialled = Some((to.clone(), digits.clone()));
        }
        let Some(&number_id) = self.numbers.get(&to) else {
            self.tally.judge(Judged::no_number(redial));
            return Ok(());
        };
        let transcript = sandbox::place(&sandbox::Settings {
            server: self.server.base_url.clone(),
            to: to.clone(),
            from: caller_of(v.id),
            digits: (!digits.is_empty()).then_some(digits),
            answer_after: 0,
            talk: 60,
            no_answer: false,
            auth_token: self.site.auth_token.clone(),
            pace: Pace::Reported,
        })
        .await?;
        let sid = CallSid::parse(&transcript.call_sid)?;
        let call = self
            .server
            .store
            .call(CallKey::Provider {
                number: number_id,
                sid: &sid,
            })
            .await
            .with_context(|| format!("the call {} was not recorded", transcript.call_sid))?;
        let visit = call.origin.visit.as_ref().map(|v| v.as_str().to_owned());
        self.tally.judge(Judged {
            redial,
            on_page: plan.on_page && !redial,
            matched_by: call.origin.matched_by,
            correct: visit.as_deref().map(|visit| visit == seen.visit),
        });
        Ok(())
    }

    async fn post<T: serde::de::DeserializeOwned>(&self, path: &str, body: &serde_json::Value) -> anyhow::Result<T> {
        let answer = self
            .client
            .post(format!("{}{path}", self.server.base_url))
            .header("Origin", format!("https://{}", self.site.domain))
            .header("Content-Type", "text/plain;charset=UTF-8")
            .body(body.to_string())
            .send()
            .await?;
        let status = answer.status();
        if !status.is_success() {
            let text = answer.text().await.unwrap_or_default();
            anyhow::bail!("{path} answered {status}: {text}");
        }
        Ok(answer.json().await?)
    }
}

/// The caller's own number: one per visitor, a valid North American number.
fn caller_of(id: u32) -> String {
    let e164 = format!("+1415{}", 2_000_000 + id % 8_000_000);
    E164::parse(&e164).map(|n| n.to_string()).unwrap_or(e164)
}
