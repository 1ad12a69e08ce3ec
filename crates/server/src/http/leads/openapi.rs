//! `GET /api/openapi.json`: the OpenAPI 3.1 document of every public JSON API, hand-written
//! in assets/openapi.json.

use axum::http::header;
use axum::response::IntoResponse;

/// The document as served.
pub const DOCUMENT: &str = include_str!("../../../../../assets/openapi.json");

pub async fn document() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        DOCUMENT,
    )
}

#[cfg(test)]
mod tests {
    use super::DOCUMENT;
    use leadline_core::event::EventKind;
    use serde_json::Value;

    #[test]
    fn the_document_names_every_kind_of_event_a_delivery_can_carry() {
        let document: Value = serde_json::from_str(DOCUMENT).unwrap();
        let listed: Vec<&str> = document["components"]["schemas"]["Delivery"]["properties"]["event"]["enum"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k.as_str().unwrap())
            .collect();
        let kinds: Vec<&str> = EventKind::ALL.iter().map(EventKind::as_str).collect();
        assert_eq!(listed, kinds);
    }
}
