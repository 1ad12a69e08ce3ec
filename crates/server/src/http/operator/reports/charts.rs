//! The reports' charts, drawn as SVG on the server with plotters: calls, forms and leads per
//! day (the previous period in lighter lines), the funnel, and the share by source. Each chart
//! is an image labelled by its caption; the page puts the same figures in a table beside it.
//! A site's capacity plan (live codes and the DNI pool needed over the day) is drawn here too,
//! for its Settings page and `leadline plan capacity --svg`.

use crate::app::reports::{DayPoint, ReportRow};
use leadline_core::report::Metrics;
use plotters::prelude::*;

const WIDTH: u32 = 720;
const FONT: &str = "sans-serif";

/// The colours of calls, forms and leads (the previous period uses them lighter).
const SERIES: [RGBColor; 3] = [
    RGBColor(0x1f, 0x5f, 0xa8),
    RGBColor(0xb3, 0x5c, 0x00),
    RGBColor(0x1e, 0x7b, 0x3a),
];

/// Marks the SVG as an image labelled by the element `labelled_by`.
pub(crate) fn labelled(svg: String, labelled_by: &str) -> String {
    svg.replacen(
        "<svg ",
        &format!("<svg role=\"img\" aria-labelledby=\"{labelled_by}\" focusable=\"false\" "),
        1,
    )
}

/// A drawing failed: only a bug could cause it (the sizes are ours); the table still shows.
fn failed(e: impl std::fmt::Display) -> String {
    tracing::error!(error = %e, "a report chart could not be drawn");
    String::new()
}

/// Calls, forms and leads per day.
pub fn daily(points: &[DayPoint], labelled_by: &str) -> String {
    let mut svg = String::new();
    let drawn = draw_daily(&mut svg, points);
    match drawn {
        Ok(()) => labelled(svg, labelled_by),
        Err(e) => failed(e),
    }
}

type Drawn = Result<(), Box<dyn std::error::Error>>;

/// A series' name and how it reads a day's figures.
type Series = (&'static str, fn(&Metrics) -> i64);

fn draw_daily(svg: &mut String, points: &[DayPoint]) -> Drawn {
    let series: [Series; 3] = [
        ("Calls", |m| m.counts.calls),
        ("Forms", |m| m.counts.forms),
        ("Leads", |m| m.outcomes.leads),
    ];
    let top = points
        .iter()
        .flat_map(|p| std::iter::once(&p.metrics).chain(p.previous.as_ref()))
        .flat_map(|m| series.iter().map(move |(_, f)| f(m)))
        .max()
        .unwrap_or(0)
        .max(1);
    let days = points.len().max(2) as i64;
    {
        let root = SVGBackend::with_string(svg, (WIDTH, 260)).into_drawing_area();
        root.fill(&WHITE)?;
        let mut chart = ChartBuilder::on(&root)
            .margin(10)
            .x_label_area_size(28)
            .y_label_area_size(40)
            .build_cartesian_2d(0i64..days - 1, 0i64..top + top / 10 + 1)?;
        let label = |i: &i64| {
            points
                .get(usize::try_from(*i).unwrap_or(0))
                .map(|p| p.day.format("%b %-d").to_string())
                .unwrap_or_default()
        };
        chart
            .configure_mesh()
            .x_labels(8)
            .y_labels(6)
            .x_label_formatter(&label)
            .label_style((FONT, 12))
            .draw()?;
        for (n, (name, value)) in series.iter().enumerate() {
            let colour = SERIES[n];
            if points.iter().any(|p| p.previous.is_some()) {
                let before = points
                    .iter()
                    .enumerate()
                    .map(|(i, p)| (i as i64, p.previous.as_ref().map_or(0, value)));
                chart.draw_series(LineSeries::new(before, colour.mix(0.35).stroke_width(1)))?;
            }
            let now = points.iter().enumerate().map(|(i, p)| (i as i64, value(&p.metrics)));
            chart
                .draw_series(LineSeries::new(now, colour.stroke_width(2)))?
                .label(*name)
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], colour.stroke_width(2)));
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK.mix(0.3))
            .label_font((FONT, 12))
            .draw()?;
        root.present()?;
    }
    Ok(())
}

/// One bar: its label, its length and the text written at its end.
pub struct Bar {
    pub label: String,
    pub value: i64,
    pub shown: String,
}

/// Horizontal bars, longest first as given.
pub fn bars(items: &[Bar], labelled_by: &str) -> String {
    let mut svg = String::new();
    match draw_bars(&mut svg, items) {
        Ok(()) => labelled(svg, labelled_by),
        Err(e) => failed(e),
    }
}

fn draw_bars(svg: &mut String, items: &[Bar]) -> Drawn {
    const ROW: i32 = 30;
    const LABELS: i32 = 220;
    let height = (items.len().max(1) as i32 * ROW + 10) as u32;
    let top = items.iter().map(|b| b.value).max().unwrap_or(0).max(1);
    {
        let root = SVGBackend::with_string(svg, (WIDTH, height)).into_drawing_area();
        root.fill(&WHITE)?;
        let room = WIDTH as i32 - LABELS - 120;
        for (i, bar) in items.iter().enumerate() {
            let y = 5 + i as i32 * ROW;
            let length = ((bar.value.max(0) as f64 / top as f64) * room as f64).round() as i32;
            let label: String = bar.label.chars().take(32).collect();
            root.draw(&Text::new(label, (4, y + 8), (FONT, 13).into_font().color(&BLACK)))?;
            root.draw(&Rectangle::new(
                [(LABELS, y + 2), (LABELS + length.max(1), y + ROW - 6)],
                SERIES[0].filled(),
            ))?;
            let shown = Text::new(
                bar.shown.clone(),
                (LABELS + length + 6, y + 8),
                (FONT, 13).into_font().color(&BLACK),
            );
            root.draw(&shown)?;
        }
        root.present()?;
    }
    Ok(())
}

/// The funnel: visits, calls and forms, qualified, converted.
pub fn funnel(total: &Metrics, revenue: &str) -> Vec<Bar> {
    let (c, o) = (total.counts, total.outcomes);
    let bar = |label: &str, value: i64, shown: String| Bar {
        label: label.into(),
        value,
        shown,
    };
    vec![
        bar("Visits", c.visits, c.visits.to_string()),
        bar("Calls and forms", c.calls + c.forms, (c.calls + c.forms).to_string()),
        bar("Leads", o.leads, o.leads.to_string()),
        bar("Qualified", o.qualified, o.qualified.to_string()),
        bar("Converted", o.converted, format!("{} ({revenue})", o.converted)),
    ]
}

/// The sources with the most calls and forms (the rest together as "Other sources").
pub fn share(rows: &[ReportRow], shown: usize) -> Vec<Bar> {
    let mut sources: Vec<(String, i64)> = rows
        .iter()
        .map(|r| (r.label.clone(), r.metrics.counts.calls + r.metrics.counts.forms))
        .filter(|(_, n)| *n > 0)
        .collect();
    sources.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let all: i64 = sources.iter().map(|(_, n)| n).sum();
    let rest: i64 = sources.iter().skip(shown).map(|(_, n)| n).sum();
    sources.truncate(shown);
    if rest > 0 {
        sources.push(("Other sources".into(), rest));
    }
    sources
        .into_iter()
        .map(|(label, value)| Bar {
            shown: format!("{value} ({:.0}%)", value as f64 * 100.0 / all.max(1) as f64),
            label,
            value,
        })
        .collect()
}

/// A capacity plan over the hours of the day: live codes (mean and 99th percentile) and the
/// DNI pool each hour needs to stay under 1 % wrong. Unlabelled: the caller labels it.
pub fn capacity(plan: &leadline_core::capacity::Plan) -> String {
    let mut svg = String::new();
    match draw_capacity(&mut svg, plan) {
        Ok(()) => svg,
        Err(e) => failed(e),
    }
}

fn draw_capacity(svg: &mut String, plan: &leadline_core::capacity::Plan) -> Drawn {
    let top = plan
        .hours
        .iter()
        .map(|h| (h.live_p99 as f64).max(h.dni_pool as f64))
        .fold(1.0f64, f64::max);
    {
        let root = SVGBackend::with_string(svg, (WIDTH, 280)).into_drawing_area();
        root.fill(&WHITE)?;
        let mut chart = ChartBuilder::on(&root)
            .margin(10)
            .x_label_area_size(44)
            .y_label_area_size(56)
            .build_cartesian_2d(0u32..23u32, 0f64..top * 1.1)?;
        chart
            .configure_mesh()
            .x_labels(12)
            .y_labels(6)
            .x_desc("Hour of the day")
            .x_label_formatter(&|h| format!("{h}:00"))
            .y_label_formatter(&|v| format!("{v:.0}"))
            .label_style((FONT, 12))
            .draw()?;
        type Line = (&'static str, fn(&leadline_core::capacity::HourPlan) -> f64, usize);
        let lines: [Line; 3] = [
            ("Live codes (mean)", |h| h.live_mean, 0),
            ("Live codes (99th percentile)", |h| h.live_p99 as f64, 2),
            ("DNI pool needed for < 1 % wrong", |h| h.dni_pool as f64, 1),
        ];
        for (name, value, colour) in lines {
            let colour = SERIES[colour];
            let points = plan.hours.iter().map(|h| (h.hour, value(h)));
            chart
                .draw_series(LineSeries::new(points, colour.stroke_width(2)))?
                .label(name)
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], colour.stroke_width(2)));
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK.mix(0.3))
            .label_font((FONT, 12))
            .draw()?;
        root.present()?;
    }
    Ok(())
}
