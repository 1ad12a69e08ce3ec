//! An erased lead's page says who erased the person, when, and what each outside system
//! answered.

use super::shell::local_time;
use leadline_core::erasure::Erasure;
use leadline_core::outbox::DeliveryStatus;
use leadline_core::tenant::Site;

/// An erasure as the lead page shows it.
pub struct ErasureView {
    /// When, in the site's zone.
    pub at: String,
    pub by: String,
    /// (system, what it answered) of each outside system asked.
    pub systems: Vec<(String, String)>,
}

impl ErasureView {
    /// The erasure in words, its times in `site`'s zone.
    pub fn of(erasure: &Erasure, site: Option<&Site>) -> Self {
        Self {
            at: local_time(erasure.erased_at, site),
            by: erasure.erased_by.as_str().to_owned(),
            systems: erasure
                .systems
                .iter()
                .map(|s| {
                    let answer = match (s.status, s.confirmed_at) {
                        (DeliveryStatus::Delivered, Some(at)) => format!("confirmed {}", local_time(at, site)),
                        (DeliveryStatus::Dead, _) => {
                            format!("refused: {}", s.last_error.clone().unwrap_or_default())
                        }
                        _ => "asked, not confirmed yet".to_owned(),
                    };
                    (format!("{} ({})", s.name, s.kind), answer)
                })
                .collect(),
        }
    }
}
