//! What a bench arm counts: each call judged against the visit its caller came from
//! (correct, wrong: silently attributed to someone else's visit, or not attributed), the
//! codes visitors were shown, and the live codes over the day; printed as a table or JSON.

use leadline_core::call::MatchedBy;
use serde::Serialize;
use std::collections::BTreeMap;

/// One call's verdict.
#[derive(Debug, Clone, Copy)]
pub struct Judged {
    /// A call from the phone's call log, repeating an earlier one.
    pub redial: bool,
    /// Made while the caller's page was open.
    pub on_page: bool,
    pub matched_by: MatchedBy,
    /// `Some(true)` attributed to the caller's own visit, `Some(false)` to another, `None`
    /// not attributed.
    pub correct: Option<bool>,
}

impl Judged {
    /// A call to a number the page never showed (the visitor had none): not attributed.
    pub fn no_number(redial: bool) -> Self {
        Self {
            redial,
            on_page: false,
            matched_by: MatchedBy::None,
            correct: None,
        }
    }
}

/// Calls by verdict.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub calls: u64,
    pub correct: u64,
    pub wrong: u64,
    pub unattributed: u64,
}

impl Counts {
    fn add(&mut self, correct: Option<bool>) {
        self.calls += 1;
        match correct {
            Some(true) => self.correct += 1,
            Some(false) => self.wrong += 1,
            None => self.unattributed += 1,
        }
    }

    /// A count as a share of the calls, in percent (two decimals).
    fn share(&self, n: u64) -> f64 {
        if self.calls == 0 {
            0.0
        } else {
            (n as f64 * 10_000.0 / self.calls as f64).round() / 100.0
        }
    }
}

/// Everything one arm counted.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Tally {
    pub visits: u64,
    /// Visits shown a code, by the code's length in keys.
    pub code_lengths: BTreeMap<usize, u64>,
    pub all: Counts,
    pub first_calls: Counts,
    pub redials: Counts,
    pub on_page: Counts,
    pub after_leaving: Counts,
    /// Calls by how they were matched (`none`: not attributed).
    pub by_match: BTreeMap<&'static str, Counts>,
    /// Live codes (or held pool numbers) every 15 simulated minutes: (minute, live).
    pub live: Vec<(i64, u64)>,
}

impl Tally {
    /// A visit registered, showing `code` (keyed form) if any.
    pub fn shown(&mut self, code: Option<&str>) {
        self.visits += 1;
        if let Some(code) = code {
            *self.code_lengths.entry(code.len()).or_default() += 1;
        }
    }

    /// A sample of live codes at `at_ms` into the day.
    pub fn sample(&mut self, at_ms: i64, live: u64) {
        self.live.push((at_ms / 60_000, live));
    }

    /// A call's verdict.
    pub fn judge(&mut self, judged: Judged) {
        self.all.add(judged.correct);
        if judged.redial {
            self.redials.add(judged.correct);
        } else {
            self.first_calls.add(judged.correct);
            if judged.on_page {
                self.on_page.add(judged.correct);
            } else {
                self.after_leaving.add(judged.correct);
            }
        }
        self.by_match
            .entry(judged.matched_by.as_str())
            .or_default()
            .add(judged.correct);
    }

    /// The summary: shares of all calls, and code lengths.
    pub fn summary(&self) -> Summary {
        let shown: u64 = self.code_lengths.values().sum();
        let percentile = |p: f64| -> usize {
            let wanted = (shown as f64 * p).ceil().max(1.0) as u64;
            let mut seen = 0;
            for (length, count) in &self.code_lengths {
                seen += count;
                if seen >= wanted {
                    return *length;
                }
            }
            0
        };
        let total: u64 = self.code_lengths.iter().map(|(l, c)| *l as u64 * c).sum();
        Summary {
            correct_pct: self.all.share(self.all.correct),
            wrong_pct: self.all.share(self.all.wrong),
            unattributed_pct: self.all.share(self.all.unattributed),
            code_length_mean: if shown == 0 {
                0.0
            } else {
                (total as f64 * 100.0 / shown as f64).round() / 100.0
            },
            code_length_p99: percentile(0.99),
            code_length_max: self.code_lengths.keys().next_back().copied().unwrap_or(0),
            live_max: self.live.iter().map(|(_, l)| *l).max().unwrap_or(0),
        }
    }
}

/// The figures a reader compares.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    pub correct_pct: f64,
    pub wrong_pct: f64,
    pub unattributed_pct: f64,
    pub code_length_mean: f64,
    pub code_length_p99: usize,
    pub code_length_max: usize,
    pub live_max: u64,
}

/// One arm's result.
#[derive(Debug, Clone, Serialize)]
pub struct ArmResult {
    pub arm: String,
    pub summary: Summary,
    pub tally: Tally,
    /// Overwritten pool holders (pool arms only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pool_overwrites: Option<u64>,
}

/// The side-by-side table of the arms.
pub fn table(results: &[ArmResult]) -> String {
    let mut rows: Vec<(String, Vec<String>)> = Vec::new();
    let mut row = |label: &str, value: &dyn Fn(&ArmResult) -> String| {
        rows.push((label.to_owned(), results.iter().map(value).collect()));
    };
    row("visits", &|r| r.tally.visits.to_string());
    row("calls", &|r| r.tally.all.calls.to_string());
    row("correct", &|r| format!("{:.2}%", r.summary.correct_pct));
    row("wrong (silently)", &|r| format!("{:.2}%", r.summary.wrong_pct));
    row("not attributed", &|r| format!("{:.2}%", r.summary.unattributed_pct));
    row("  on the page: correct", &|r| {
        pct(&r.tally.on_page, r.tally.on_page.correct)
    });
    row("  after leaving: correct", &|r| {
        pct(&r.tally.after_leaving, r.tally.after_leaving.correct)
    });
    row("  after leaving: wrong", &|r| {
        pct(&r.tally.after_leaving, r.tally.after_leaving.wrong)
    });
    row("  redials: correct", &|r| {
        pct(&r.tally.redials, r.tally.redials.correct)
    });
    row("  redials: wrong", &|r| pct(&r.tally.redials, r.tally.redials.wrong));
    for matched in [
        "code",
        "redial",
        "rested_code",
        "caller",
        "click_intent",
        "pool",
        "none",
    ] {
        row(&format!("  matched by {matched} (wrong)"), &|r| {
            r.tally
                .by_match
                .get(matched)
                .map(|c| format!("{} ({})", c.calls, c.wrong))
                .unwrap_or_else(|| "0".into())
        });
    }
    row("code length mean", &|r| format!("{:.2}", r.summary.code_length_mean));
    row("code length p99 / max", &|r| {
        format!("{} / {}", r.summary.code_length_p99, r.summary.code_length_max)
    });
    row("live codes (max)", &|r| r.summary.live_max.to_string());
    row("pool overwrites", &|r| {
        r.pool_overwrites.map(|n| n.to_string()).unwrap_or_else(|| "-".into())
    });
    let label_width = rows.iter().map(|(l, _)| l.len()).max().unwrap_or(0);
    let widths: Vec<usize> = (0..results.len())
        .map(|i| {
            rows.iter()
                .map(|(_, v)| v[i].len())
                .chain([results[i].arm.len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = format!("{:label_width$}", "");
    for (r, w) in results.iter().zip(&widths) {
        out.push_str(&format!("  {:>w$}", r.arm));
    }
    out.push('\n');
    for (label, values) in rows {
        out.push_str(&format!("{label:label_width$}"));
        for (v, w) in values.iter().zip(&widths) {
            out.push_str(&format!("  {v:>w$}"));
        }
        out.push('\n');
    }
    out
}

fn pct(counts: &Counts, n: u64) -> String {
    format!("{:.2}% of {}", counts.share(n), counts.calls)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn judged(correct: Option<bool>, redial: bool, on_page: bool) -> Judged {
        Judged {
            redial,
            on_page,
            matched_by: if correct.is_some() {
                MatchedBy::Code
            } else {
                MatchedBy::None
            },
            correct,
        }
    }

    #[test]
    fn every_call_is_counted_once_in_each_breakdown() {
        let mut tally = Tally::default();
        tally.judge(judged(Some(true), false, true));
        tally.judge(judged(Some(false), false, false));
        tally.judge(judged(None, true, false));
        assert_eq!(
            tally.all,
            Counts {
                calls: 3,
                correct: 1,
                wrong: 1,
                unattributed: 1
            }
        );
        assert_eq!(tally.first_calls.calls + tally.redials.calls, 3);
        assert_eq!(tally.on_page.calls + tally.after_leaving.calls, tally.first_calls.calls);
        assert_eq!(tally.by_match.values().map(|c| c.calls).sum::<u64>(), 3);
        let summary = tally.summary();
        assert_eq!((summary.correct_pct, summary.wrong_pct), (33.33, 33.33));
    }

    #[test]
    fn code_lengths_give_the_mean_the_p99_and_the_longest() {
        let mut tally = Tally::default();
        for _ in 0..98 {
            tally.shown(Some("12"));
        }
        tally.shown(Some("123"));
        tally.shown(Some("1234"));
        tally.shown(None);
        let summary = tally.summary();
        assert_eq!((summary.code_length_p99, summary.code_length_max), (3, 4));
        assert_eq!(summary.code_length_mean, 2.03);
        assert_eq!(tally.visits, 101);
    }
}
