//! Offline conversions over the API (a business's API key): mark a call or a submission as
//! a conversion (`POST`, and `DELETE` to unmark), and download the Google Ads and Microsoft
//! Advertising import files as CSV or XLSX. Another business's call, submission or site is
//! the same 404 as a missing one. See docs/ads-exports.md.

use crate::app::AppState;
use crate::app::conversions::{self, MarkInput};
use crate::export::{self, Bound, Columns, Export, Format, Request, SiteError};
use crate::web::api_key::{ApiCaller, BusinessKey};
use crate::web::error::ApiError;
use axum::Json;
use axum::Router;
use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get, post};
use leadline_core::BusinessId;
use leadline_core::conversion::{Conversion, ConversionRecord};
use leadline_core::form::MessageId;
use leadline_core::money::{format_minor, json_amount};
use serde::Deserialize;
use serde_json::{Value, json};

/// The largest mark body read.
const MAX_BODY_BYTES: usize = 16 * 1024;

/// Every route of this module with its path (a test checks each path is documented).
pub fn routes() -> Vec<(&'static str, MethodRouter<AppState>)> {
    vec![
        ("/v1/calls/{ref}/conversion", post(mark_call).delete(unmark_call)),
        (
            "/v1/submissions/{message_id}/conversion",
            post(mark_submission).delete(unmark_submission),
        ),
        ("/v1/exports/google-ads.csv", download(Export::GoogleAds, Format::Csv)),
        ("/v1/exports/google-ads.xlsx", download(Export::GoogleAds, Format::Xlsx)),
        (
            "/v1/exports/microsoft-ads.csv",
            download(Export::MicrosoftAds, Format::Csv),
        ),
        (
            "/v1/exports/microsoft-ads.xlsx",
            download(Export::MicrosoftAds, Format::Xlsx),
        ),
        (
            "/v1/exports/google-ads-calls.csv",
            download(Export::GoogleAdsCalls, Format::Csv),
        ),
        (
            "/v1/exports/google-ads-calls.xlsx",
            download(Export::GoogleAdsCalls, Format::Xlsx),
        ),
    ]
}

/// The conversion and export routes.
pub fn router() -> Router<AppState> {
    routes()
        .into_iter()
        .fold(Router::new(), |router, (path, route)| router.route(path, route))
}

/// A mark as asked for; every key optional (`{}` or no body marks with the defaults).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct MarkBody {
    /// The conversion action's name in the ad account.
    #[serde(default)]
    name: Option<String>,
    /// An amount as people write it ("1,200.50", 1200.5).
    #[serde(default)]
    value: Option<Value>,
    /// The value's currency (default: the site's).
    #[serde(default)]
    currency: Option<String>,
}

/// Reads a mark body of at most [`MAX_BODY_BYTES`]; an empty body is `{}`.
async fn mark_body(body: Body) -> Result<MarkBody, ApiError> {
    crate::web::json::read_or_default(body, MAX_BODY_BYTES).await
}

impl MarkBody {
    /// The value as text (a JSON number or string; null is none).
    fn value(&self) -> Result<Option<String>, ApiError> {
        match &self.value {
            None | Some(Value::Null) => Ok(None),
            Some(value) => json_amount("value", value)
                .map(Some)
                .map_err(|e| ApiError::BadRequest(e.to_string())),
        }
    }
}

/// A mark as the API shows it.
pub fn conversion_json(conversion: &Conversion) -> Value {
    let mut shown = json!({
        "name": conversion.name.as_str(),
        "value": conversion.value.map(|v| format_minor(v.minor, v.currency.minor_digits())),
        "value_minor": conversion.value.map(|v| v.minor),
        "currency": conversion.value.map(|v| v.currency.code()),
        "marked_by": conversion.marked_by.as_str(),
        "marked_at": conversion.marked_at.to_rfc3339(),
    });
    match &conversion.record {
        ConversionRecord::Call { record_ref } => {
            shown["record"] = json!("call");
            shown["ref"] = json!(record_ref);
        }
        ConversionRecord::Submission { message_id } => {
            shown["record"] = json!("submission");
            shown["message_id"] = json!(message_id.as_str());
        }
    }
    shown
}

/// A call ref from the path; a malformed one is the same 404 as a missing call.
fn call_ref(text: &str) -> Result<u64, ApiError> {
    text.parse().map_err(|_| ApiError::NotFound)
}

/// A message id from the path; a malformed one is the same 404 as a missing submission.
fn message_id(text: &str) -> Result<MessageId, ApiError> {
    MessageId::parse(text).map_err(|_| ApiError::NotFound)
}

/// Marks `record` as the body asks and answers the mark.
async fn mark(
    state: &AppState,
    caller: &ApiCaller,
    record: ConversionRecord,
    body: Body,
) -> Result<Json<Value>, ApiError> {
    let body = mark_body(body).await?;
    let value = body.value()?;
    let input = MarkInput {
        name: body.name.as_deref(),
        value: value.as_deref(),
        currency: body.currency.as_deref(),
    };
    let marked = conversions::mark(state.store.as_ref(), caller.business, &record, &input, &caller.author()).await?;
    Ok(Json(conversion_json(&marked)))
}

/// `POST /v1/calls/{ref}/conversion`.
async fn mark_call(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(record_ref): Path<String>,
    body: Body,
) -> Result<Json<Value>, ApiError> {
    let record_ref = call_ref(&record_ref)?;
    mark(&state, &caller, ConversionRecord::Call { record_ref }, body).await
}

/// `POST /v1/submissions/{message_id}/conversion`.
async fn mark_submission(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(message): Path<String>,
    body: Body,
) -> Result<Json<Value>, ApiError> {
    let message_id = message_id(&message)?;
    mark(&state, &caller, ConversionRecord::Submission { message_id }, body).await
}

/// `DELETE /v1/calls/{ref}/conversion`: 204 whether or not the call was marked.
async fn unmark_call(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(record_ref): Path<String>,
) -> Result<StatusCode, ApiError> {
    let record = ConversionRecord::Call {
        record_ref: call_ref(&record_ref)?,
    };
    conversions::unmark(state.store.as_ref(), caller.business, &record, &caller.author()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `DELETE /v1/submissions/{message_id}/conversion`: 204 whether or not it was marked.
async fn unmark_submission(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(message): Path<String>,
) -> Result<StatusCode, ApiError> {
    let record = ConversionRecord::Submission {
        message_id: message_id(&message)?,
    };
    conversions::unmark(state.store.as_ref(), caller.business, &record, &caller.author()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The query of an export download, as given.
#[derive(Debug, Default)]
struct ExportQuery {
    site: Option<String>,
    from: Option<String>,
    to: Option<String>,
    include_unmarked: bool,
    five_columns: bool,
}

/// A yes-or-no parameter: empty (given alone), `true`, `1`, `false` or `0`.
fn flag(key: &str, value: &str) -> Result<bool, ApiError> {
    match value {
        "" | "true" | "1" => Ok(true),
        "false" | "0" => Ok(false),
        other => Err(ApiError::BadRequest(format!("{key} is true or false, not '{other}'"))),
    }
}

/// Reads `?site=&from=&to=&include_unmarked=&five_columns=`; an unknown or repeated key is a
/// 400.
fn export_query(query: Option<&str>) -> Result<ExportQuery, ApiError> {
    let mut parsed = ExportQuery::default();
    let mut seen = std::collections::BTreeSet::new();
    for (key, value) in form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        if !seen.insert(key.clone().into_owned()) {
            return Err(ApiError::BadRequest(format!("{key} is given twice")));
        }
        let value = value.into_owned();
        match key.as_ref() {
            "site" => parsed.site = Some(value),
            "from" => parsed.from = Some(value),
            "to" => parsed.to = Some(value),
            "include_unmarked" => parsed.include_unmarked = flag(&key, &value)?,
            "five_columns" => parsed.five_columns = flag(&key, &value)?,
            other => {
                return Err(ApiError::BadRequest(format!(
                    "unknown parameter '{other}': give site, from, to, include_unmarked or five_columns"
                )));
            }
        }
    }
    Ok(parsed)
}

/// The download route of one export in one format.
fn download(export: Export, format: Format) -> MethodRouter<AppState> {
    get(
        move |State(state): State<AppState>, BusinessKey(business): BusinessKey, RawQuery(query): RawQuery| async move {
            serve_export(&state, business, query.as_deref(), export, format).await
        },
    )
}

async fn serve_export(
    state: &AppState,
    business: BusinessId,
    query: Option<&str>,
    export: Export,
    format: Format,
) -> Result<Response, ApiError> {
    let query = export_query(query)?;
    if query.five_columns && export != Export::GoogleAds {
        return Err(ApiError::BadRequest(format!(
            "five_columns is for the google-ads export only; {} has one template",
            export.name()
        )));
    }
    let site = export::choose_site(state.store.as_ref(), business, query.site.as_deref())
        .await
        .map_err(|err| match err {
            SiteError::Unknown(_) => ApiError::NotFound,
            SiteError::Store(store) => store.into(),
            SiteError::Several(_) => ApiError::BadRequest(format!("{err}: add ?site=KEY")),
            SiteError::None => ApiError::BadRequest(err.to_string()),
        })?;
    let bound = |text: &Option<String>, end| {
        text.as_deref()
            .map(|t| export::parse_bound(t, site.timezone, end))
            .transpose()
            .map_err(|e| ApiError::BadRequest(e.to_string()))
    };
    let request = Request {
        export,
        from: bound(&query.from, Bound::From)?,
        to: bound(&query.to, Bound::To)?,
        include_unmarked: query.include_unmarked,
        columns: if query.five_columns {
            Columns::Five
        } else {
            Columns::WithBraids
        },
    };
    if let (Some(from), Some(to)) = (request.from, request.to)
        && from >= to
    {
        return Err(ApiError::BadRequest("from is not before to".into()));
    }
    let sheet = export::build(state.store.as_ref(), business, &site, &request).await?;
    let bytes = match format {
        Format::Csv => export::csv(&sheet),
        Format::Xlsx => export::xlsx(&sheet).map_err(|e| ApiError::Internal(e.into()))?,
    };
    let disposition = format!("attachment; filename=\"{}\"", export::file_name(export, &site, format));
    let mut response = (
        [
            (header::CONTENT_TYPE, format.content_type().to_owned()),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        bytes,
    )
        .into_response();
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    headers.insert("x-leadline-skipped", HeaderValue::from(sheet.skipped));
    if request.columns == Columns::Five {
        headers.insert("x-leadline-skipped-braid-only", HeaderValue::from(sheet.braid_only));
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_is_in_the_openapi_document() {
        let doc: Value = serde_json::from_str(include_str!("../../../../assets/openapi.json")).unwrap();
        for (path, _) in routes() {
            assert!(doc["paths"].get(path).is_some(), "{path} is not documented");
        }
    }

    #[test]
    fn export_queries_refuse_unknown_and_repeated_keys() {
        let q = export_query(Some("site=abc&from=2025-03-01&include_unmarked=true")).unwrap();
        assert_eq!(
            (q.site.as_deref(), q.from.as_deref(), q.include_unmarked),
            (Some("abc"), Some("2025-03-01"), true)
        );
        assert!(!export_query(None).unwrap().include_unmarked);
        assert!(export_query(Some("include_unmarked")).unwrap().include_unmarked);
        assert!(export_query(Some("five_columns=1")).unwrap().five_columns);
        assert!(!export_query(Some("five_columns=false")).unwrap().five_columns);
        for bad in ["sight=abc", "site=a&site=b", "include_unmarked=maybe", "five_columns=5"] {
            assert!(export_query(Some(bad)).is_err(), "{bad}");
        }
    }
}
