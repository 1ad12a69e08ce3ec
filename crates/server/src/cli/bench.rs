//! `leadline bench …`: the arguments. What each does: `commands/bench/`.

use clap::{Args, Subcommand};

/// Benchmarks of the method itself.
#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// A day of synthetic visitors and callers, on a simulated clock, through the real
    /// snippet API and signed call webhooks of a server started on a temporary database;
    /// reports how many calls were attributed correctly, to the wrong visit, or not at all.
    Attribution(AttributionArgs),
}

/// The traffic, its behaviour mix, and what to compare.
#[derive(Debug, Clone, Args)]
pub struct AttributionArgs {
    /// Visitors per hour, on average over the day (a daily curve shapes each hour).
    #[arg(long, default_value_t = 600.0)]
    pub rate: f64,
    /// Simulated hours.
    #[arg(long, default_value_t = 24.0)]
    pub hours: f64,
    /// The seed: the same seed and flags give the same traffic and the same figures.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Share of visitors who call.
    #[arg(long, default_value_t = 0.03)]
    pub call_share: f64,
    /// Share of callers who call while still on the page (the others call after leaving,
    /// minutes to hours later).
    #[arg(long, default_value_t = 0.7)]
    pub on_page_share: f64,
    /// Share of callers who key the code they were shown (the rest of the four shares below
    /// are weights, normalised together).
    #[arg(long, default_value_t = 0.82)]
    pub keyed_share: f64,
    /// Share of callers who key nothing.
    #[arg(long, default_value_t = 0.10)]
    pub nothing_share: f64,
    /// Share of callers who key one wrong digit.
    #[arg(long, default_value_t = 0.04)]
    pub wrong_digit_share: f64,
    /// Share of callers who swap two neighbouring digits.
    #[arg(long, default_value_t = 0.04)]
    pub swap_share: f64,
    /// Share of visitors on phones; phone callers on the page tap the number, and the `tel:`
    /// link dials the code itself (unless their dialler drops it: `--autodial-drop-share`).
    #[arg(long, default_value_t = 0.6)]
    pub phone_share: f64,
    /// Share of phone taps whose dialler drops the code after the comma (the caller then
    /// keys by the behaviour mix).
    #[arg(long, default_value_t = 0.2)]
    pub autodial_drop_share: f64,
    /// Share of desktop callers on the page who click the number or call button before they
    /// dial from their phone.
    #[arg(long, default_value_t = 0.5)]
    pub desktop_click_share: f64,
    /// Share of callers who call again later from their phone's call log (a redial repeats
    /// what the first call dialled, code included).
    #[arg(long, default_value_t = 0.1)]
    pub redial_share: f64,
    /// What to run the traffic against, in order, each on a fresh site: `extensions` (the
    /// default settings), with `+`-joined changes (`check-digit`, `idle=MINUTES`,
    /// `quarantine=MINUTES`, `no-levers`, `no-redial`, `no-rested-code`, `no-recent-caller`,
    /// `no-click-intent`), or `pool:N` (a DNI pool of N numbers).
    #[arg(long, value_delimiter = ',', default_value = "extensions")]
    pub compare: Vec<String>,
    /// Print JSON instead of the table.
    #[arg(long)]
    pub json: bool,
    /// Run on a temporary database on this PostgreSQL server (the user may create databases);
    /// without it, a temporary SQLite file.
    #[arg(long)]
    pub postgres: Option<String>,
}
