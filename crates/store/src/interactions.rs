//! The Activity list: calls, form submissions and operators' replies of one business in one
//! list, newest first. Each kind is its own query, newest first and cut at the page size on
//! its own index (calls and submissions by business and time), then the three are merged.

use crate::SqlStore;
use crate::errors::{backend, not_found_or_backend};
use crate::query::{Conditions, Param, bind_all, contains_pattern, has_tag, tag_element};
use crate::rows::{col, parsed, parsed_opt, time};
use async_trait::async_trait;
use leadline_core::call::MatchedBy;
use leadline_core::interaction::{
    CallDetails, CallFeed, CallResult, CallerHistory, Interaction, InteractionCursor, InteractionFilter,
    InteractionKind, InteractionPage, InteractionStore, SpamView,
};
use leadline_core::spam::SpamMark;
use leadline_core::store::StoreResult;
use leadline_core::{BusinessId, LeadId, SiteId};
use sqlx::any::AnyRow;

/// The most entries one page holds.
const MAX_PAGE: u32 = 500;

/// The columns every kind answers, in this order, so that their rows can be merged.
const CALLS: &str = "SELECT 0 AS rank, c.id, c.site_id, c.record_ref, c.started_at AS at, c.lead_id,
    l.record_ref AS lead_ref, l.name AS lead_name, v.source, v.medium, v.campaign, v.term, v.landing_url,
    c.tags, l.tags AS lead_tags, c.caller, c.matched_by, c.result, c.duration_seconds,
    COALESCE(c.answered_by_name, c.answered_by) AS answered_by,
    CASE WHEN c.recording_url IS NULL THEN 0 ELSE 1 END AS has_recording, c.first_time, c.source_label,
    CAST(NULL AS TEXT) AS summary, c.spam
    FROM calls c JOIN leads l ON l.id = c.lead_id LEFT JOIN visits v ON v.id = c.visit_id";

const FORMS: &str = "SELECT 1 AS rank, s.id, s.site_id, l.record_ref, s.created_at AS at, s.lead_id,
    l.record_ref AS lead_ref, l.name AS lead_name, v.source, v.medium, v.campaign, v.term,
    COALESCE(v.landing_url, s.page_url) AS landing_url, '[]' AS tags, l.tags AS lead_tags,
    CAST(NULL AS TEXT) AS caller, CAST(NULL AS TEXT) AS matched_by, CAST(NULL AS TEXT) AS result,
    CAST(NULL AS BIGINT) AS duration_seconds, CAST(NULL AS TEXT) AS answered_by, 0 AS has_recording,
    CAST(NULL AS BIGINT) AS first_time, CAST(NULL AS TEXT) AS source_label, CAST(NULL AS TEXT) AS summary,
    CAST(NULL AS TEXT) AS spam
    FROM submissions s JOIN leads l ON l.id = s.lead_id LEFT JOIN visits v ON v.id = s.visit_id";

const REPLIES: &str = "SELECT 2 AS rank, a.id, l.site_id, l.record_ref, a.created_at AS at, a.lead_id,
    l.record_ref AS lead_ref, l.name AS lead_name, CAST(NULL AS TEXT) AS source, CAST(NULL AS TEXT) AS medium,
    CAST(NULL AS TEXT) AS campaign, CAST(NULL AS TEXT) AS term, CAST(NULL AS TEXT) AS landing_url,
    '[]' AS tags, l.tags AS lead_tags, CAST(NULL AS TEXT) AS caller, CAST(NULL AS TEXT) AS matched_by,
    CAST(NULL AS TEXT) AS result, CAST(NULL AS BIGINT) AS duration_seconds, CAST(NULL AS TEXT) AS answered_by,
    0 AS has_recording, CAST(NULL AS BIGINT) AS first_time, CAST(NULL AS TEXT) AS source_label,
    a.kind || ' by ' || a.author AS summary, CAST(NULL AS TEXT) AS spam
    FROM activities a JOIN leads l ON l.id = a.lead_id";

/// Where each kind keeps what the filters look at.
struct Columns {
    kind: InteractionKind,
    select: &'static str,
    business: &'static str,
    at: &'static str,
    id: &'static str,
    site: &'static str,
    /// The visit's table alias, for kinds that have a visit.
    visit: Option<&'static str>,
    /// The kind's own tag list, besides the lead's.
    tags: Option<&'static str>,
    /// Rows of the table that are not entries of this kind (activities that are not replies).
    only: Option<&'static str>,
}

const KINDS: [Columns; 3] = [
    Columns {
        kind: InteractionKind::Call,
        select: CALLS,
        business: "c.business_id",
        at: "c.started_at",
        id: "c.id",
        site: "c.site_id",
        visit: Some("v"),
        tags: Some("c.tags"),
        only: None,
    },
    Columns {
        kind: InteractionKind::Form,
        select: FORMS,
        business: "s.business_id",
        at: "s.created_at",
        id: "s.id",
        site: "s.site_id",
        visit: Some("v"),
        tags: None,
        only: None,
    },
    Columns {
        kind: InteractionKind::Reply,
        select: REPLIES,
        business: "a.business_id",
        at: "a.created_at",
        id: "a.id",
        site: "l.site_id",
        visit: None,
        tags: None,
        only: Some("(a.author LIKE 'sms:%' OR a.author LIKE 'email:%')"),
    },
];

fn rank(kind: InteractionKind) -> usize {
    KINDS.iter().position(|k| k.kind == kind).unwrap_or(0)
}

/// The query of one kind, newest first, at most `take` rows; `None` when the filter leaves
/// the kind out.
fn kind_query(
    c: &mut Conditions,
    kind: &Columns,
    business: BusinessId,
    filter: &InteractionFilter,
    take: i64,
) -> Option<String> {
    if !filter.admits(kind.kind) {
        return None;
    }
    let visit_filters = [
        ("source", &filter.source),
        ("medium", &filter.medium),
        ("campaign", &filter.campaign),
        ("term", &filter.keyword),
    ];
    if kind.visit.is_none() && visit_filters.iter().any(|(_, value)| value.is_some()) {
        return None;
    }
    let mut sql = format!("{} WHERE ", kind.select);
    sql.push_str(&format!("{} = {}", kind.business, c.bind(Param::Int(business.0))));
    let mut and = |clause: String| {
        sql.push_str(" AND ");
        sql.push_str(&clause);
    };
    if let Some(only) = kind.only {
        and(only.to_owned());
    }
    if let Some(from) = filter.from {
        and(format!(
            "{} >= {}",
            kind.at,
            c.bind(Param::Int(from.timestamp_millis()))
        ));
    }
    if let Some(to) = filter.to {
        and(format!("{} < {}", kind.at, c.bind(Param::Int(to.timestamp_millis()))));
    }
    if let Some(site) = filter.site {
        and(format!("{} = {}", kind.site, c.bind(Param::Int(site.0))));
    }
    if let Some(alias) = kind.visit {
        for (column, value) in visit_filters {
            if let Some(value) = value {
                and(format!("{alias}.{column} = {}", c.bind(Param::Text(value.clone()))));
            }
        }
    }
    if let Some(tag) = &filter.tag {
        let element = c.bind(tag_element(tag));
        let mut any = has_tag("l.tags", &element);
        if let Some(own) = kind.tags {
            any = format!("({any} OR {})", has_tag(own, &element));
        }
        and(any);
    }
    if let Some(result) = filter.result {
        and(format!("c.result = {}", c.bind(Param::Text(result.as_str().into()))));
    }
    if let Some(operator) = &filter.operator {
        let n = c.bind(Param::Text(operator.clone()));
        and(format!("(c.answered_by_name = {n} OR c.answered_by = {n})"));
    }
    if let Some(matched_by) = filter.matched_by {
        and(format!(
            "c.matched_by = {}",
            c.bind(Param::Text(matched_by.as_str().into()))
        ));
    }
    if kind.kind == InteractionKind::Call {
        match filter.spam {
            SpamView::Hide => and("(c.spam IS NULL OR c.spam = 'cleared')".to_owned()),
            SpamView::Only => and("(c.spam IS NOT NULL AND c.spam <> 'cleared')".to_owned()),
            SpamView::Include => {}
        }
    }
    if let Some(history) = filter.caller {
        let first = i64::from(history == CallerHistory::FirstTime);
        and(format!("c.first_time = {}", c.bind(Param::Int(first))));
    }
    if let Some(text) = filter.text.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        and(text_condition(c, kind, text));
    }
    if let Some(after) = filter.after {
        and(after_condition(c, kind, after));
    }
    sql.push_str(&format!(" ORDER BY {} DESC, {} DESC LIMIT {take}", kind.at, kind.id));
    Some(sql)
}

/// The lead's name or e-mail, the caller's number (ignoring case), the words said on a call
/// (its redacted transcript, kept lower-cased), or the ref the text spells.
fn text_condition(c: &mut Conditions, kind: &Columns, text: &str) -> String {
    let like = c.bind(Param::Text(contains_pattern(&text.to_lowercase())));
    let mut any: Vec<String> = ["l.name", "l.email", "l.phone"]
        .iter()
        .map(|column| format!("LOWER({column}) LIKE {like} ESCAPE '\\'"))
        .collect();
    if kind.kind == InteractionKind::Call {
        any.push(format!("c.caller LIKE {like} ESCAPE '\\'"));
        // The outer query keeps the business's own calls, so a transcript of another's never shows.
        any.push(format!(
            "c.id IN (SELECT t.call_id FROM transcripts t WHERE t.state = 'done' AND t.search_text LIKE {like} ESCAPE '\\')"
        ));
    }
    if let Some(record_ref) = text
        .trim_start_matches('#')
        .parse::<u64>()
        .ok()
        .and_then(|r| i64::try_from(r).ok())
    {
        let n = c.bind(Param::Int(record_ref));
        any.push(format!("l.record_ref = {n}"));
        if kind.kind == InteractionKind::Call {
            any.push(format!("c.record_ref = {n}"));
        }
    }
    format!("({})", any.join(" OR "))
}

/// Entries after the cursor in the list's order (time descending, then kind, then id
/// descending).
fn after_condition(c: &mut Conditions, kind: &Columns, after: InteractionCursor) -> String {
    let at = c.bind(Param::Int(after.at_ms));
    let same_time = match rank(kind.kind).cmp(&rank(after.kind)) {
        std::cmp::Ordering::Greater => "1 = 1".to_owned(),
        std::cmp::Ordering::Equal => format!("{} < {}", kind.id, c.bind(Param::Int(after.id))),
        std::cmp::Ordering::Less => "1 = 0".to_owned(),
    };
    format!("({} < {at} OR ({} = {at} AND {same_time}))", kind.at, kind.at)
}

/// A merged row as an entry.
fn interaction(row: &AnyRow, business: BusinessId) -> StoreResult<Interaction> {
    let rank: i64 = col(row, "rank")?;
    let kind = KINDS
        .get(usize::try_from(rank).unwrap_or(usize::MAX))
        .map(|k| k.kind)
        .ok_or_else(|| crate::errors::corrupt(leadline_core::Invalid::new("activity row", "unknown kind")))?;
    let mut tags: Vec<String> = crate::calls::stored_json(&col::<String>(row, "tags")?)?;
    let lead_tags: Vec<String> = crate::calls::stored_json(&col::<String>(row, "lead_tags")?)?;
    for tag in lead_tags {
        if !tags.contains(&tag) {
            tags.push(tag);
        }
    }
    let call = match kind {
        InteractionKind::Call => Some(CallDetails {
            caller: col(row, "caller")?,
            matched_by: parsed(row, "matched_by", MatchedBy::parse)?,
            result: parsed_opt(row, "result", CallResult::parse)?.unwrap_or(CallResult::InCall),
            talk_seconds: col::<Option<i64>>(row, "duration_seconds")?.and_then(|d| u32::try_from(d).ok()),
            answered_by: col(row, "answered_by")?,
            has_recording: col::<i64>(row, "has_recording")? == 1,
            first_time: col::<Option<i64>>(row, "first_time")?.map(|f| f == 1),
            source_label: col(row, "source_label")?,
            spam: SpamMark::reason(parsed_opt(row, "spam", SpamMark::parse)?),
        }),
        _ => None,
    };
    let as_ref = |name: &str| -> StoreResult<u64> {
        Ok(col::<Option<i64>>(row, name)?
            .and_then(|r| u64::try_from(r).ok())
            .unwrap_or_default())
    };
    Ok(Interaction {
        kind,
        id: col(row, "id")?,
        business_id: business,
        site_id: col::<Option<i64>>(row, "site_id")?.map(SiteId),
        record_ref: as_ref("record_ref")?,
        at: time(row, "at")?,
        lead_id: LeadId(col(row, "lead_id")?),
        lead_ref: as_ref("lead_ref")?,
        lead_name: col(row, "lead_name")?,
        source: col(row, "source")?,
        medium: col(row, "medium")?,
        campaign: col(row, "campaign")?,
        keyword: col(row, "term")?,
        landing_page: col(row, "landing_url")?,
        tags,
        call,
        summary: col(row, "summary")?,
    })
}

#[async_trait]
impl InteractionStore for SqlStore {
    async fn interactions(&self, business: BusinessId, filter: &InteractionFilter) -> StoreResult<InteractionPage> {
        let limit = filter.limit.clamp(1, MAX_PAGE);
        let take = i64::from(limit) + 1;
        let mut c = Conditions::new("");
        let parts: Vec<String> = KINDS
            .iter()
            .filter_map(|kind| kind_query(&mut c, kind, business, filter, take))
            .enumerate()
            .map(|(i, sql)| format!("SELECT * FROM ({sql}) AS part{i}"))
            .collect();
        if parts.is_empty() {
            return Ok(InteractionPage {
                items: Vec::new(),
                next: None,
            });
        }
        let sql = format!(
            "{} ORDER BY at DESC, rank, id DESC LIMIT {take}",
            parts.join(" UNION ALL ")
        );
        let rows = bind_all(sqlx::query(&sql), c.params)
            .fetch_all(&self.pool)
            .await
            .map_err(backend)?;
        let mut items = rows
            .iter()
            .map(|row| interaction(row, business))
            .collect::<StoreResult<Vec<_>>>()?;
        let more = items.len() > limit as usize;
        items.truncate(limit as usize);
        let next = more.then(|| items.last()).flatten().map(|last| InteractionCursor {
            at_ms: last.at.timestamp_millis(),
            kind: last.kind,
            id: last.id,
        });
        Ok(InteractionPage { items, next })
    }

    async fn call_interaction(&self, business: BusinessId, call: i64) -> StoreResult<Interaction> {
        let row = sqlx::query(&format!("{CALLS} WHERE c.business_id = $1 AND c.id = $2"))
            .bind(business.0)
            .bind(call)
            .fetch_one(&self.pool)
            .await
            .map_err(not_found_or_backend)?;
        interaction(&row, business)
    }

    fn subscribe_calls(&self) -> Box<dyn CallFeed> {
        self.live_feed()
    }
}
