//! What every page of the application shows around its content: the business's name, the
//! navigation, the user and the log-out form.

use super::session::Operator;
use crate::app::AppState;
use crate::web::error::ApiError;
use chrono::{DateTime, Utc};
use leadline_core::tenant::Site;

/// The section of the application a page belongs to, highlighted in the navigation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Leads,
}

/// The header of every application page.
pub struct Header {
    pub business_name: String,
    pub user_name: String,
    /// The session's form token, for the log-out form.
    pub csrf: String,
    pub section: Section,
}

impl Header {
    /// The header `operator` sees on a page of `section`.
    pub async fn of(state: &AppState, operator: &Operator, section: Section) -> Result<Self, ApiError> {
        let business = state.store.business(operator.user.business_id).await?;
        Ok(Self {
            business_name: business.name.to_string(),
            user_name: operator.user.name.to_string(),
            csrf: operator.csrf.clone(),
            section,
        })
    }

    /// Whether the page belongs to the leads section.
    pub fn in_leads(&self) -> bool {
        self.section == Section::Leads
    }
}

/// `at` in the zone of `site` (the time people at the business read), else in UTC.
pub fn local_time(at: DateTime<Utc>, site: Option<&Site>) -> String {
    match site {
        Some(site) => at
            .with_timezone(&site.timezone.tz())
            .format("%Y-%m-%d %H:%M %Z")
            .to_string(),
        None => at.format("%Y-%m-%d %H:%M UTC").to_string(),
    }
}
