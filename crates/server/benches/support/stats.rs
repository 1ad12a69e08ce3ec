//! Percentiles of timed samples, shared by the benchmarks that report them.

use std::time::Duration;

/// The p50, p95 and maximum of `samples`, in milliseconds (NaN without samples). A percentile
/// is the smallest sample at or above that share of them (nearest rank).
pub fn percentiles(samples: &[Duration]) -> [f64; 3] {
    let mut sorted = samples.to_vec();
    sorted.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let rank = |p: f64| sorted[((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len()) - 1];
    sorted
        .last()
        .map_or([f64::NAN; 3], |max| [ms(rank(0.5)), ms(rank(0.95)), ms(*max)])
}
