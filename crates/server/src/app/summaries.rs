//! The summary e-mail to owners: for each owner who chose one, each whole period that has ended
//! on their clock and was not sent yet is summed from the reports (`app::reports`, the same
//! numbers the Reports page shows, never recounted) and mailed, then remembered. A period whose
//! reports are still catching up, or whose mail the relay refused, waits for the next round:
//! an outage or a restart delays a summary and never loses it. A server claims a summary before
//! mailing it (`claim_summary`, for two minutes), so servers sharing a database do not both
//! send it; a claim whose server died runs out and is taken over.

use super::alerts::ALERTS_PAGE;
use super::reports::{ReportQuery, Sort, report};
use super::{AppResult, AppState};
use crate::mail::{Mail, Mailer};
use chrono::{DateTime, Utc};
use leadline_core::money::format_minor;
use leadline_core::report::{DayRange, Dimension, Model};
use leadline_core::store::Store;
use leadline_core::summary::{SummaryFigures, SummaryRecipient, due_periods, summary_message};
use leadline_core::{BusinessId, SiteId};
use std::collections::BTreeMap;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// How often the job looks for periods that have ended.
pub const ROUND: Duration = Duration::from_secs(60);

/// How long a server holds a summary it is mailing before another may take it over; a failed
/// attempt is tried again once it runs out.
const CLAIM: Duration = Duration::from_secs(120);

/// How many sources a summary names.
const TOP_SOURCES: usize = 3;

/// What one round did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Round {
    /// Summaries mailed.
    pub sent: u32,
    /// Summaries left for a later round (reports catching up, the relay failing).
    pub waiting: u32,
}

/// Runs a round every [`ROUND`] until `stop`, when a relay is configured.
pub async fn run(state: AppState, stop: CancellationToken) {
    let Some(mailer) = state.mailer.clone() else {
        return;
    };
    crate::jobs::every(ROUND, stop, || async {
        if let Err(e) = send_due(
            state.store.as_ref(),
            &mailer,
            &state.base_url,
            leadline_core::clock::now(),
        )
        .await
        {
            tracing::warn!(error = %e, "summaries: a round failed");
        }
        false
    })
    .await;
}

/// Sends every summary due at `now` that was not sent yet.
pub async fn send_due(store: &dyn Store, mailer: &Mailer, base_url: &str, now: DateTime<Utc>) -> AppResult<Round> {
    let mut round = Round::default();
    for owner in store.summary_recipients().await? {
        for period in due_periods(owner.frequency, owner.zone.tz(), now, owner.since) {
            let (business, user) = (owner.business_id, owner.user_id);
            let (frequency, from) = (owner.frequency, period.from());
            if store.summary_sent(business, user, frequency, from).await? {
                continue;
            }
            let figures = match figures(store, business, period).await? {
                Some(figures) => figures,
                None => {
                    round.waiting += 1;
                    continue;
                }
            };
            // Another server may be mailing it: the claim says who does.
            let claimed_at = leadline_core::clock::now();
            let until = claimed_at + chrono::Duration::from_std(CLAIM).unwrap_or_default();
            if !store
                .claim_summary(business, user, frequency, from, claimed_at, until)
                .await?
            {
                round.waiting += 1;
                continue;
            }
            match send_one(store, mailer, base_url, &owner, period, &figures).await {
                Ok(()) => {
                    store
                        .record_summary_sent(business, user, frequency, from, leadline_core::clock::now())
                        .await?;
                    round.sent += 1;
                }
                Err(e) => {
                    tracing::warn!(business = business.0, user = user.0, error = %e, "summaries: not sent yet");
                    store.release_summary(business, user, frequency, from).await?;
                    round.waiting += 1;
                }
            }
        }
    }
    Ok(round)
}

/// Mails `owner`'s summary of `period`.
async fn send_one(
    store: &dyn Store,
    mailer: &Mailer,
    base_url: &str,
    owner: &SummaryRecipient,
    period: DayRange,
    figures: &SummaryFigures,
) -> anyhow::Result<()> {
    let business = store.business(owner.business_id).await?;
    let settings = format!("{base_url}{ALERTS_PAGE}");
    let (subject, body) = summary_message(business.name.as_str(), period, figures, &settings);
    let mail = Mail {
        to: owner.email.clone(),
        subject,
        body,
        in_reply_to: None,
    };
    mailer.send(&mail).await?;
    Ok(())
}

/// The business's figures over `period`, summed over its sites' reports; `None` while a day of
/// the period is still being rolled up.
pub async fn figures(store: &dyn Store, business: BusinessId, period: DayRange) -> AppResult<Option<SummaryFigures>> {
    let mut figures = SummaryFigures::default();
    let mut revenue: BTreeMap<&'static str, i64> = BTreeMap::new();
    let mut sources: BTreeMap<String, i64> = BTreeMap::new();
    for site in store.list_sites(business).await?.into_iter().filter(|s| !s.removed) {
        let read = report(store, business, &query(site.id, period)?).await?;
        if read.stale_days > 0 {
            return Ok(None);
        }
        figures.calls += read.total.counts.calls;
        figures.forms += read.total.counts.forms;
        figures.leads += read.total.outcomes.leads;
        *revenue.entry(site.currency.code()).or_default() += read.total.outcomes.revenue;
        for row in read.by_source {
            *sources.entry(row.label).or_default() += row.metrics.outcomes.leads;
        }
    }
    figures.revenue = revenue
        .into_iter()
        .filter(|(_, minor)| *minor != 0)
        .map(|(code, minor)| {
            format!(
                "{} {code}",
                format_minor(minor, leadline_core::money::minor_digits(code))
            )
        })
        .collect();
    let mut ranked: Vec<(String, i64)> = sources.into_iter().filter(|(_, leads)| *leads > 0).collect();
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    ranked.truncate(TOP_SOURCES);
    figures.top_sources = ranked;
    Ok(Some(figures))
}

/// The report the Reports page shows for `site` over `period`, by source.
fn query(site: SiteId, period: DayRange) -> AppResult<ReportQuery> {
    let dimension = Dimension::SourceMedium;
    Ok(ReportQuery {
        site: Some(site),
        sort: Sort::parse(None, None, &dimension)?,
        dimension,
        range: Some(period),
        compare: false,
        model: Model::default(),
    })
}
