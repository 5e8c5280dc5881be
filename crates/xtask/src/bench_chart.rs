//! `xtask bench-chart REPORT.tsv OUT.svg`: draws the load benchmark's results (one row per backend and
//! scenario: requests/s as a share of the ceiling, p50 and p99 latency) as an SVG, read faster than
//! the table. Rows without figures (the RSS rows) are left out.

use plotters::coord::Shift;
use plotters::prelude::*;
use std::process::ExitCode;

struct Row {
    backend: String,
    scenario: String,
    share: f64,
    p50: f64,
    p99: f64,
}

fn parse(text: &str) -> Vec<Row> {
    text.lines()
        .filter_map(|line| {
            let f: Vec<&str> = line.split('\t').collect();
            let number = |i: usize| f.get(i).and_then(|v| v.trim().parse::<f64>().ok());
            Some(Row {
                backend: (*f.first()?).to_owned(),
                scenario: (*f.get(1)?).to_owned(),
                share: number(3)?,
                p50: number(4)?,
                p99: number(5)?,
            })
        })
        .collect()
}

const COLORS: [RGBColor; 4] =
    [RGBColor(31, 119, 180), RGBColor(255, 127, 14), RGBColor(44, 160, 44), RGBColor(214, 39, 40)];

fn unique(values: impl Iterator<Item = String>) -> Vec<String> {
    let mut seen = Vec::new();
    for value in values {
        if !seen.contains(&value) {
            seen.push(value);
        }
    }
    seen
}

type Area<'a> = DrawingArea<SVGBackend<'a>, Shift>;

/// A bar series: its label and the figure of a row it draws.
type Series<'a> = (&'a str, fn(&Row) -> f64);

/// Horizontal bars, one group per scenario, one bar per backend (and per series, for latency).
fn panel(
    area: &Area<'_>,
    title: &str,
    rows: &[Row],
    scenarios: &[String],
    backends: &[String],
    series: &[Series<'_>],
    log: bool,
) -> Result<(), Box<dyn std::error::Error>> {
    let max = rows.iter().flat_map(|r| series.iter().map(move |(_, f)| f(r))).fold(0.0_f64, f64::max);
    let bars = backends.len() * series.len();
    let n = scenarios.len();
    let value = |v: f64| if log { v.max(0.01).log10() } else { v };
    let (lo, hi) = if log { (-2.0, value(max).ceil().max(1.0)) } else { (0.0, (max * 1.1).max(1.0)) };
    let mut chart = ChartBuilder::on(area)
        .caption(title, ("sans-serif", 18))
        .margin(8)
        .x_label_area_size(30)
        .y_label_area_size(380)
        .build_cartesian_2d(lo..hi, 0.0..n as f64)?;
    let names = scenarios.to_vec();
    chart
        .configure_mesh()
        .disable_y_mesh()
        .y_labels(n * 2 + 1)
        .y_label_formatter(&|y| {
            let i = (n as f64 - y - 0.5).round();
            if (y.fract() - 0.5).abs() < 0.01 && i >= 0.0 {
                names.get(i as usize).cloned().unwrap_or_default()
            } else {
                String::new()
            }
        })
        .x_label_formatter(&|x| if log { format!("{}", 10f64.powf(*x)) } else { format!("{x:.1}") })
        .x_desc(if log { "ms (log scale)" } else { "share of GET /health/live" })
        .draw()?;
    for (b, backend) in backends.iter().enumerate() {
        for (s, (label, f)) in series.iter().enumerate() {
            let color = COLORS[(b * series.len() + s) % COLORS.len()];
            let slot = b * series.len() + s;
            let bars_in = rows.iter().filter(|r| &r.backend == backend).filter_map(|r| {
                let i = scenarios.iter().position(|x| x == &r.scenario)?;
                let top = n as f64 - i as f64 - 0.1 - 0.8 * slot as f64 / bars as f64;
                let bottom = top - 0.8 / bars as f64;
                Some(Rectangle::new([(lo, bottom), (value(f(r)), top)], color.filled()))
            });
            chart
                .draw_series(bars_in)?
                .label(if series.len() > 1 { format!("{backend} {label}") } else { backend.clone() })
                .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 10, y + 5)], color.filled()));
        }
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::LowerRight)
        .border_style(BLACK)
        .background_style(WHITE.mix(0.8))
        .draw()?;
    Ok(())
}

fn draw(rows: &[Row], out: &str) -> Result<(), Box<dyn std::error::Error>> {
    let scenarios = unique(rows.iter().map(|r| r.scenario.clone()));
    let backends = unique(rows.iter().map(|r| r.backend.clone()));
    let height = 140 + 2 * (scenarios.len() as u32 * 22 * backends.len() as u32).max(200);
    let root = SVGBackend::new(out, (1200, height)).into_drawing_area();
    root.fill(&WHITE)?;
    let (top, bottom) = root.split_vertically(height / 2);
    panel(&top, "Requests/s as a share of the ceiling", rows, &scenarios, &backends, &[("", |r| r.share)], false)?;
    panel(
        &bottom,
        "Latency: p50 and p99",
        rows,
        &scenarios,
        &backends,
        &[("p50", |r| r.p50), ("p99", |r| r.p99)],
        true,
    )?;
    root.present()?;
    Ok(())
}

pub fn run(args: &[String]) -> ExitCode {
    let [tsv, out] = args else {
        let _ = std::io::Write::write_all(&mut std::io::stderr(), b"usage: xtask bench-chart REPORT.tsv OUT.svg\n");
        return ExitCode::from(2);
    };
    let rows = match std::fs::read_to_string(tsv) {
        Ok(text) => parse(&text),
        Err(e) => {
            let _ = std::io::Write::write_all(&mut std::io::stderr(), format!("bench-chart: {tsv}: {e}\n").as_bytes());
            return ExitCode::FAILURE;
        }
    };
    if rows.is_empty() {
        let _ = std::io::Write::write_all(&mut std::io::stderr(), b"bench-chart: no rows with figures\n");
        return ExitCode::FAILURE;
    }
    match draw(&rows, out) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let _ = std::io::Write::write_all(&mut std::io::stderr(), format!("bench-chart: {e}\n").as_bytes());
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_with_figures_are_drawn_and_the_rest_left_out() {
        let tsv = "sqlite\tstatus\t42346\t0.58\t0.657\t2.594\nsqlite\tpeak RSS\t\t\t\t\npostgres\tstatus\t18496\t0.24\t1.499\t6.386\n";
        let rows = parse(tsv);
        assert_eq!(rows.len(), 2);
        let dir = std::env::temp_dir().join(format!("bench-chart-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let out = dir.join("report.svg");
        draw(&rows, out.to_str().unwrap()).unwrap();
        let svg = std::fs::read_to_string(&out).unwrap();
        assert!(svg.starts_with("<svg") && svg.contains("status") && svg.contains("postgres"), "{svg}");
        std::fs::remove_dir_all(dir).unwrap();
    }
}
