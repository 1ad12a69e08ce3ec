//! `leadline outbox …`: the deliveries of events to integrations, with their state, and
//! retrying the dead ones.

use crate::app::AppError;
use crate::cli::{BusinessRef, OutboxCommand};
use crate::commands::InputError;
use crate::commands::tenants::{find_business, said};
use chrono::{DateTime, SecondsFormat, Utc};
use leadline_core::BusinessId;
use leadline_core::lead::Author;
use leadline_core::outbox::{Delivery, DeliveryStatus};
use leadline_core::store::Store;
use std::collections::{BTreeSet, HashMap};

/// Who changes things from the command line (the audit log's actor).
fn author() -> Author {
    Author::from_stored("cli")
}

/// Most deliveries `outbox list` shows at once.
const MAX_LIMIT: u32 = 10_000;
/// Dead deliveries fetched per round by `outbox retry --all-dead`.
const RETRY_BATCH: u32 = 500;

/// `leadline outbox …`
pub async fn outbox(store: &dyn Store, command: OutboxCommand) -> anyhow::Result<()> {
    match command {
        OutboxCommand::List {
            business,
            status,
            limit,
        } => {
            let status = status.as_deref().map(DeliveryStatus::parse).transpose()?;
            if limit == 0 || limit > MAX_LIMIT {
                return Err(InputError(format!("--limit must be 1 to {MAX_LIMIT}")).into());
            }
            let business = business_id(store, business).await?;
            let names = business_slugs(store).await?;
            let deliveries = store.list_deliveries(business, status, limit).await.map_err(said)?;
            print!("{}", table(&deliveries, &names));
        }
        OutboxCommand::Retry { id, all_dead, business } => {
            let business = business_id(store, business).await?;
            if let Some(id) = id {
                crate::app::integrations::retry_delivery(store, business, id, &author())
                    .await
                    .map_err(|e| {
                        crate::commands::app_failure(e, || {
                            format!("no dead or pending delivery {id}: see `leadline outbox list --status dead`")
                        })
                    })?;
                println!("delivery {id} is due again now");
            } else if all_dead {
                let retried = retry_all_dead(store, business).await?;
                println!("{retried} dead deliveries are due again now");
            }
        }
    }
    Ok(())
}

/// Revives every dead delivery (of one business); a delivery that dies again meanwhile is
/// not retried twice.
async fn retry_all_dead(store: &dyn Store, business: Option<BusinessId>) -> anyhow::Result<usize> {
    let mut done = BTreeSet::new();
    loop {
        let dead = store
            .list_deliveries(business, Some(DeliveryStatus::Dead), RETRY_BATCH)
            .await
            .map_err(said)?;
        let fresh: Vec<i64> = dead.iter().map(|d| d.id).filter(|id| !done.contains(id)).collect();
        if fresh.is_empty() {
            return Ok(done.len());
        }
        for id in fresh {
            match crate::app::integrations::retry_delivery(store, business, id, &author()).await {
                // Gone or changed meanwhile: nothing to revive.
                Ok(()) | Err(AppError::NotFound) | Err(AppError::Conflict(_)) => {}
                Err(other) => return Err(crate::commands::app_failure(other, String::new)),
            }
            done.insert(id);
        }
    }
}

async fn business_id(store: &dyn Store, slug: Option<String>) -> anyhow::Result<Option<BusinessId>> {
    match slug {
        None => Ok(None),
        Some(business) => Ok(Some(find_business(store, &BusinessRef { business }).await?.id)),
    }
}

async fn business_slugs(store: &dyn Store) -> anyhow::Result<HashMap<BusinessId, String>> {
    Ok(store
        .list_businesses()
        .await
        .map_err(said)?
        .into_iter()
        .map(|b| (b.id, b.slug.to_string()))
        .collect())
}

/// The deliveries as a table: id, business, target, event kind, status, attempts, next
/// attempt (for those still to go), last error (one line, shortened).
fn table(deliveries: &[Delivery], slugs: &HashMap<BusinessId, String>) -> String {
    let mut rows = vec![[
        "ID".to_owned(),
        "BUSINESS".to_owned(),
        "TARGET".to_owned(),
        "EVENT".to_owned(),
        "STATUS".to_owned(),
        "ATTEMPTS".to_owned(),
        "NEXT ATTEMPT".to_owned(),
        "LAST ERROR".to_owned(),
    ]];
    for d in deliveries {
        let next = match d.status {
            DeliveryStatus::Pending | DeliveryStatus::InFlight => time(d.next_attempt_at),
            DeliveryStatus::Delivered | DeliveryStatus::Dead => "-".to_owned(),
        };
        rows.push([
            d.id.to_string(),
            slugs
                .get(&d.business_id)
                .cloned()
                .unwrap_or_else(|| format!("#{}", d.business_id.0)),
            format!("{}#{}", d.integration_kind, d.integration_id),
            d.event_kind.as_str().to_owned(),
            d.status.as_str().to_owned(),
            d.attempts.to_string(),
            next,
            d.last_error.as_deref().map_or_else(|| "-".to_owned(), one_line),
        ]);
    }
    let mut widths = [0usize; 8];
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for row in &rows {
        let mut line = String::new();
        for (i, (cell, width)) in row.iter().zip(widths).enumerate() {
            if i + 1 == row.len() {
                line.push_str(cell);
            } else {
                line.push_str(&format!("{cell:<width$}  "));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

fn time(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// An error on one line, at most 100 characters.
fn one_line(text: &str) -> String {
    let flat: String = text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    let flat = flat.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() > 100 {
        format!("{}…", flat.chars().take(99).collect::<String>())
    } else {
        flat
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use leadline_core::event::EventKind;
    use leadline_core::outbox::IntegrationId;

    fn delivery(id: i64, status: DeliveryStatus, error: Option<&str>) -> Delivery {
        let at = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        Delivery {
            id,
            business_id: BusinessId(1),
            lead_id: None,
            integration_id: IntegrationId(4),
            integration_kind: "webhook".into(),
            event_id: "ev_x".into(),
            event_kind: EventKind::NoteAdded,
            status,
            attempts: 3,
            next_attempt_at: at,
            last_error: error.map(str::to_owned),
            response: None,
            created_at: at,
            delivered_at: None,
        }
    }

    #[test]
    fn the_table_aligns_its_columns_and_flattens_errors() {
        let slugs = HashMap::from([(BusinessId(1), "acme".to_owned())]);
        let text = table(
            &[
                delivery(12, DeliveryStatus::Dead, Some("HTTP 500 Internal Server Error:\nboom")),
                delivery(9, DeliveryStatus::Pending, None),
            ],
            &slugs,
        );
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[0].starts_with("ID  BUSINESS  TARGET     EVENT"), "{text}");
        assert!(
            lines[1].ends_with("dead     3         -                     HTTP 500 Internal Server Error: boom"),
            "{text}"
        );
        assert!(lines[2].contains("webhook#4"), "{text}");
        assert!(lines[2].contains("2023-11-14T22:13:20Z"), "{text}");
        assert!(lines[2].ends_with(" -"), "{text}");
    }

    #[test]
    fn long_errors_are_shortened() {
        let shown = one_line(&"x".repeat(300));
        assert_eq!(shown.chars().count(), 100);
        assert!(shown.ends_with('…'));
    }
}
