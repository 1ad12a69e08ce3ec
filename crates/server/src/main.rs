//! The `leadline` binary.

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    leadline::commands::run(leadline::cli::Cli::parse())
}
