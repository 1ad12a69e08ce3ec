//! What every page of the application shows around its content: the business's name, the
//! navigation, the user and the log-out form.

use super::session::Operator;
use crate::app::AppState;
use crate::web::error::ApiError;
use chrono::{DateTime, Utc};
use leadline_core::tenant::{Role, Site};

/// The section of the application a page belongs to, highlighted in the navigation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Activity,
    Leads,
    Reports,
    Settings,
}

impl Section {
    /// The section's name in the navigation.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Activity => "Activity",
            Self::Leads => "Leads",
            Self::Reports => "Reports",
            Self::Settings => "Settings",
        }
    }
}

/// One entry of the navigation.
pub struct NavLink {
    pub href: &'static str,
    pub name: &'static str,
    /// Whether the page shown belongs to it (`aria-current`).
    pub current: bool,
}

/// The header of every application page.
pub struct Header {
    pub business_name: String,
    pub user_name: String,
    /// The session's form token, for the log-out form.
    pub csrf: String,
    /// The sections the user may open, in order.
    pub nav: Vec<NavLink>,
    /// The businesses the user may switch to (empty unless there are several).
    pub businesses: Vec<BusinessChoice>,
}

/// One business of the switcher.
pub struct BusinessChoice {
    pub id: i64,
    pub name: String,
    /// Whether the session works in it now.
    pub current: bool,
}

impl Header {
    /// The header `operator` sees on a page of `section`.
    pub async fn of(state: &AppState, operator: &Operator, section: Section) -> Result<Self, ApiError> {
        let business = state.store.business(operator.business).await?;
        let memberships = state.store.memberships(operator.user.id).await?;
        let businesses = if memberships.len() > 1 {
            memberships
                .into_iter()
                .map(|m| BusinessChoice {
                    id: m.business.id.0,
                    name: m.business.name.to_string(),
                    current: m.business.id == operator.business,
                })
                .collect()
        } else {
            Vec::new()
        };
        Ok(Self {
            businesses,
            business_name: business.name.to_string(),
            user_name: operator.user.name.to_string(),
            csrf: operator.csrf.clone(),
            nav: navigation(operator.role, section),
        })
    }
}

/// The sections `role` may open, `current` marked: owners see Settings, operators do not.
pub fn navigation(role: Role, current: Section) -> Vec<NavLink> {
    let mut sections = vec![
        (Section::Activity, "/app/activity"),
        (Section::Leads, "/app/leads"),
        (Section::Reports, "/app/reports"),
    ];
    if role == Role::Owner {
        sections.push((Section::Settings, "/app/settings"));
    }
    sections
        .into_iter()
        .map(|(section, href)| NavLink {
            href,
            name: section.name(),
            current: section == current,
        })
        .collect()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operators_are_not_shown_settings_and_owners_are() {
        let names = |role| {
            navigation(role, Section::Leads)
                .iter()
                .map(|l| l.name)
                .collect::<Vec<_>>()
        };
        assert_eq!(names(Role::Operator), ["Activity", "Leads", "Reports"]);
        assert_eq!(names(Role::Owner), ["Activity", "Leads", "Reports", "Settings"]);
    }

    #[test]
    fn only_the_section_shown_is_marked_current() {
        let nav = navigation(Role::Owner, Section::Settings);
        let current: Vec<_> = nav.iter().filter(|l| l.current).map(|l| l.name).collect();
        assert_eq!(current, ["Settings"]);
    }
}
