//! The type-test report: test points grouped in sections, each with its clause, conditions,
//! error, limit, margin and verdict, and the charts a test lab reads; written as one
//! self-contained `report.html` (inline SVG), `report.json` (one object per test point),
//! `report.md` and a CSV per section.
//!
//! Writers only write: every value, limit and verdict is decided before (the verdict by
//! [`TestPoint::judged`], the one place where `|error| ≤ limit` is applied).

use anyhow::{Context, Result};
use plotters::prelude::*;
use serde::Serialize;
use std::fmt::Write as _;
use std::path::Path;

/// What the report covers and what it does not.
pub const SCOPE: &str = "Digital part only: the engine's computation from synthetic ADC codes \
     with analytic truth. The analogue front end, the sensors (CTs, dividers), temperature, \
     auxiliary supply and EMC are not covered; their errors take the rest of each class budget.";

/// One test point.
#[derive(Clone, Debug, Serialize)]
pub struct TestPoint {
    /// Identifier, unique in the report.
    pub id: String,
    /// The standard's clause (or the project's own check).
    pub clause: String,
    /// Test conditions, for people.
    pub conditions: String,
    /// What is measured.
    pub quantity: String,
    /// Measured value (in `value_unit`).
    pub measured: f64,
    /// True value.
    pub truth: f64,
    /// Unit of `measured` and `truth`.
    pub value_unit: String,
    /// Error (in `unit`); NaN when the point could not be measured.
    pub error: f64,
    /// Limit on |error| (in `unit`).
    pub limit: f64,
    /// Unit of `error` and `limit`.
    pub unit: String,
    /// |error| / limit.
    pub margin: f64,
    /// |error| ≤ limit.
    pub pass: bool,
    /// Where the limit comes from, and anything a reader must know about the point.
    pub note: String,
    /// Chart placement: x value (e.g. current in multiples of In) and series name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plot: Option<(f64, String)>,
}

impl TestPoint {
    /// A judged test point: margin and verdict from `error` and `limit` (a NaN error fails).
    #[allow(clippy::too_many_arguments)]
    pub fn judged(
        id: impl Into<String>,
        clause: impl Into<String>,
        conditions: impl Into<String>,
        quantity: impl Into<String>,
        (measured, truth, value_unit): (f64, f64, &str),
        (error, limit, unit): (f64, f64, &str),
        note: impl Into<String>,
    ) -> Self {
        let margin = error.abs() / limit;
        Self {
            id: id.into(),
            clause: clause.into(),
            conditions: conditions.into(),
            quantity: quantity.into(),
            measured,
            truth,
            value_unit: value_unit.into(),
            error,
            limit,
            unit: unit.into(),
            margin,
            pass: error.abs() <= limit,
            note: note.into(),
            plot: None,
        }
    }

    /// Place the point on its section's chart.
    pub fn plotted(mut self, x: f64, series: impl Into<String>) -> Self {
        self.plot = Some((x, series.into()));
        self
    }
}

/// One case of a [`Chart::Cells`] grid: its true `(row, column)` and the measured one (`None`
/// when nothing was measured).
pub type CellCase = ((usize, usize), Option<(usize, usize)>);

/// A chart of a section.
#[derive(Clone, Debug, Serialize)]
pub enum Chart {
    /// Error against a logarithmic x axis (current), one series per name, with the limit
    /// envelope (± the limits of the plotted points, per series).
    ErrorVsLog {
        /// Title.
        title: String,
        /// x axis label.
        x_label: String,
        /// y axis label.
        y_label: String,
    },
    /// Measured and true values per order (a spectrum) with the tolerance band around the truth.
    Spectrum {
        /// Title.
        title: String,
        /// Orders (x), truth, measured, band half-width.
        points: Vec<(f64, f64, f64, f64)>,
        /// y axis label.
        y_label: String,
    },
    /// A grid of cells (e.g. the EN 50160 dip table): truth cell and measured cell per case.
    Cells {
        /// Title.
        title: String,
        /// Row names, column names.
        rows: Vec<String>,
        /// Column names.
        cols: Vec<String>,
        /// (row, col) of the truth and of the measurement, per case.
        cases: Vec<CellCase>,
    },
}

/// A section: a table of test points and its charts.
#[derive(Clone, Debug, Serialize)]
pub struct Section {
    /// Short name (file names: `tables/<key>.csv`).
    pub key: String,
    /// Title.
    pub title: String,
    /// What the section tests and against which standard.
    pub intro: String,
    /// The test points.
    pub points: Vec<TestPoint>,
    /// Charts drawn from the points.
    pub charts: Vec<Chart>,
}

/// Firmware identification, as the target reports it.
#[derive(Clone, Debug, Serialize)]
pub struct Firmware {
    /// Board name.
    pub board: String,
    /// Version.
    pub version: String,
    /// Build id.
    pub build_id: u32,
    /// CRC-32 of the code image.
    pub code_crc32: String,
    /// CRC-32 of the configuration the target reports, once configured with the reference one.
    pub config_crc32: String,
    /// Engine sizes `Meter<RING, WINDOW>`.
    pub sizes: String,
}

/// The report's header.
#[derive(Clone, Debug, Serialize)]
pub struct Header {
    /// Where the engine ran (host, QEMU machine, serial board).
    pub target: String,
    /// The firmware, when the target is a board.
    pub firmware: Option<Firmware>,
    /// Engine version.
    pub engine_version: String,
    /// The reference configuration of the energy test points (JSON of the engine's `Config`).
    pub engine_config: String,
    /// CRC-32 of that configuration as the wire protocol encodes it (what a board reports).
    pub engine_config_crc32: String,
    /// UTC date and time of the run.
    pub date: String,
    /// The command that reproduces the report.
    pub command: String,
    /// The classes judged against.
    pub classes: String,
    /// What is and is not covered.
    pub scope: String,
}

/// The summary: counts, and the tightest classes every energy point meets.
#[derive(Clone, Debug, Serialize)]
pub struct Summary {
    /// Test points.
    pub points: usize,
    /// Passed.
    pub passed: usize,
    /// Failed test points by id.
    pub failed: Vec<String>,
    /// Statements of the tightest class met (one per energy kind).
    pub tightest: Vec<String>,
}

/// A whole report.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    /// Header.
    pub header: Header,
    /// Summary.
    pub summary: Summary,
    /// Sections in order.
    pub sections: Vec<Section>,
}

impl Report {
    /// A report of `sections`, with the summary counted from them.
    pub fn new(header: Header, sections: Vec<Section>, tightest: Vec<String>) -> Self {
        let all = sections.iter().flat_map(|s| &s.points);
        let points = all.clone().count();
        let failed: Vec<String> = all.filter(|p| !p.pass).map(|p| p.id.clone()).collect();
        let summary = Summary { points, passed: points - failed.len(), failed, tightest };
        Self { header, summary, sections }
    }

    /// Every point passed.
    pub fn pass(&self) -> bool {
        self.summary.failed.is_empty()
    }

    /// Write `report.html`, `report.json`, `report.md` and `tables/<section>.csv` under `out`.
    ///
    /// # Errors
    /// A file that cannot be written (named), or a chart that cannot be drawn.
    pub fn write(&self, out: &Path) -> Result<()> {
        let tables = out.join("tables");
        std::fs::create_dir_all(&tables)
            .with_context(|| format!("creating {}", tables.display()))?;
        let write = |name: &Path, text: String| {
            std::fs::write(name, text).with_context(|| format!("writing {}", name.display()))
        };
        write(&out.join("report.json"), serde_json::to_string_pretty(self)? + "\n")?;
        write(&out.join("report.md"), self.markdown())?;
        for s in &self.sections {
            write(&tables.join(format!("{}.csv", s.key)), csv(s))?;
        }
        write(&out.join("report.html"), self.html()?)
    }

    /// The Markdown report.
    pub fn markdown(&self) -> String {
        let h = &self.header;
        let mut m = String::from("# percycle type-test report\n\n");
        let fw = h.firmware.as_ref().map_or("none (host build)".to_string(), firmware_line);
        for (k, v) in [
            ("Target", h.target.as_str()),
            ("Firmware", fw.as_str()),
            ("Engine", h.engine_version.as_str()),
            ("Date (UTC)", h.date.as_str()),
            ("Classes", h.classes.as_str()),
            ("Command", h.command.as_str()),
            ("Scope", h.scope.as_str()),
        ] {
            let _ = writeln!(m, "- **{k}**: {v}");
        }
        let _ = writeln!(
            m,
            "- **Engine configuration** (CRC-32 {}): `{}`\n",
            h.engine_config_crc32, h.engine_config
        );
        let s = &self.summary;
        let _ = writeln!(
            m,
            "## Summary\n\n{} test points, {} passed, {} failed.\n",
            s.points,
            s.passed,
            s.failed.len()
        );
        for t in &s.tightest {
            let _ = writeln!(m, "- {t}");
        }
        if !s.failed.is_empty() {
            let _ = writeln!(m, "\nFailed: {}", s.failed.join(", "));
        }
        for sec in &self.sections {
            let _ = writeln!(m, "\n## {}\n\n{}\n", sec.title, sec.intro);
            m.push_str(
                "| id | clause | conditions | quantity | error | limit | margin | verdict |\n",
            );
            m.push_str("|---|---|---|---|---|---|---|---|\n");
            for p in &sec.points {
                let _ = writeln!(
                    m,
                    "| {} | {} | {} | {} | {} | ±{} | {} | {} |",
                    p.id,
                    p.clause,
                    p.conditions,
                    p.quantity,
                    number(p.error, &p.unit),
                    number(p.limit, &p.unit),
                    number(p.margin, ""),
                    if p.pass { "pass" } else { "FAIL" }
                );
            }
        }
        m
    }

    /// The HTML report: one XHTML document with its style and its charts inline.
    ///
    /// # Errors
    /// A chart that cannot be drawn.
    pub fn html(&self) -> Result<String> {
        let h = &self.header;
        let mut o = String::new();
        o.push_str("<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n<title>percycle type-test report</title>\n<style>\n");
        o.push_str(STYLE);
        o.push_str("</style>\n</head>\n<body>\n<h1>percycle type-test report</h1>\n<table class=\"header\">\n");
        let fw = h.firmware.as_ref().map_or("none (host build)".to_string(), firmware_line);
        for (k, v) in [
            ("Target", h.target.as_str()),
            ("Firmware", fw.as_str()),
            ("Engine", h.engine_version.as_str()),
            ("Engine configuration", h.engine_config.as_str()),
            ("Configuration CRC-32", h.engine_config_crc32.as_str()),
            ("Date (UTC)", h.date.as_str()),
            ("Classes", h.classes.as_str()),
            ("Command", h.command.as_str()),
            ("Scope", h.scope.as_str()),
        ] {
            let _ = writeln!(o, "<tr><th>{}</th><td>{}</td></tr>", esc(k), esc(v));
        }
        o.push_str("</table>\n");
        let s = &self.summary;
        let verdict = if s.failed.is_empty() { "pass" } else { "fail" };
        let _ = writeln!(
            o,
            "<h2>Summary</h2>\n<p class=\"{verdict}\">{} test points: {} passed, {} failed.</p>\n<ul>",
            s.points,
            s.passed,
            s.failed.len()
        );
        for t in &s.tightest {
            let _ = writeln!(o, "<li>{}</li>", esc(t));
        }
        o.push_str("</ul>\n");
        if !s.failed.is_empty() {
            let _ = writeln!(o, "<p class=\"fail\">Failed: {}</p>", esc(&s.failed.join(", ")));
        }
        o.push_str("<h2>Contents</h2>\n<ol>\n");
        for sec in &self.sections {
            let fails = sec.points.iter().filter(|p| !p.pass).count();
            let _ = writeln!(
                o,
                "<li><a href=\"#{}\">{}</a> ({} points{})</li>",
                esc(&sec.key),
                esc(&sec.title),
                sec.points.len(),
                if fails > 0 { format!(", {fails} failed") } else { String::new() }
            );
        }
        o.push_str("</ol>\n");
        for sec in &self.sections {
            let _ = writeln!(
                o,
                "<h2 id=\"{}\">{}</h2>\n<p>{}</p>",
                esc(&sec.key),
                esc(&sec.title),
                esc(&sec.intro)
            );
            for c in &sec.charts {
                o.push_str("<figure>");
                o.push_str(&svg(c, &sec.points)?);
                o.push_str("</figure>\n");
            }
            o.push_str("<table class=\"points\">\n<tr><th>id</th><th>clause</th><th>conditions</th><th>quantity</th><th>measured</th><th>truth</th><th>error</th><th>limit</th><th>margin</th><th>verdict</th><th>note</th></tr>\n");
            for p in &sec.points {
                let _ = writeln!(
                    o,
                    "<tr class=\"{}\"><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>±{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                    if p.pass { "pass" } else { "fail" },
                    esc(&p.id),
                    esc(&p.clause),
                    esc(&p.conditions),
                    esc(&p.quantity),
                    esc(&number(p.measured, &p.value_unit)),
                    esc(&number(p.truth, &p.value_unit)),
                    esc(&number(p.error, &p.unit)),
                    esc(&number(p.limit, &p.unit)),
                    esc(&number(p.margin, "")),
                    if p.pass { "pass" } else { "FAIL" },
                    esc(&p.note)
                );
            }
            o.push_str("</table>\n");
        }
        o.push_str("</body>\n</html>\n");
        Ok(o)
    }
}

const STYLE: &str = "body{font-family:sans-serif;margin:2em;max-width:80em}\
table{border-collapse:collapse;margin:1em 0}th,td{border:1px solid #bbb;padding:2px 6px;font-size:90%;text-align:left}\
table.header th{background:#eee;white-space:nowrap}table.header td{overflow-wrap:anywhere;font-family:monospace}tr.fail td{background:#fdd}p.fail{color:#a00;font-weight:bold}\
p.pass{color:#060;font-weight:bold}figure{margin:1em 0}\n";

fn firmware_line(f: &Firmware) -> String {
    format!(
        "{} v{} build {} code CRC-32 {} configuration CRC-32 {} {}",
        f.board, f.version, f.build_id, f.code_crc32, f.config_crc32, f.sizes
    )
}

/// A value with its unit, compactly: five significant digits, trailing zeros dropped.
fn number(v: f64, unit: &str) -> String {
    if v.is_nan() {
        return "not measured".into();
    }
    let a = v.abs();
    let s = if a != 0.0 && !(1e-3..1e6).contains(&a) {
        format!("{v:.3e}")
    } else {
        let digits = if a == 0.0 { 0 } else { (4 - a.log10().floor() as i32).clamp(0, 9) as usize };
        let t = format!("{v:.digits$}");
        if t.contains('.') {
            t.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            t
        }
    };
    if unit.is_empty() {
        s
    } else {
        format!("{s} {unit}")
    }
}

/// Escape text for XML.
fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

/// A CSV field.
fn field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// The CSV of a section: one row per test point.
fn csv(s: &Section) -> String {
    let mut o = String::from(
        "id,clause,conditions,quantity,measured,truth,value_unit,error,limit,unit,margin,verdict,note\n",
    );
    for p in &s.points {
        let _ = writeln!(
            o,
            "{},{},{},{},{},{},{},{},{},{},{},{},{}",
            field(&p.id),
            field(&p.clause),
            field(&p.conditions),
            field(&p.quantity),
            p.measured,
            p.truth,
            field(&p.value_unit),
            p.error,
            p.limit,
            field(&p.unit),
            p.margin,
            if p.pass { "pass" } else { "fail" },
            field(&p.note)
        );
    }
    o
}

/// Colours of the chart series, in order.
const COLOURS: [RGBColor; 6] = [
    RGBColor(31, 119, 180),
    RGBColor(214, 39, 40),
    RGBColor(44, 160, 44),
    RGBColor(148, 103, 189),
    RGBColor(255, 127, 14),
    RGBColor(23, 190, 207),
];

/// Draw a chart as an SVG document.
fn svg(chart: &Chart, points: &[TestPoint]) -> Result<String> {
    let mut out = String::new();
    match chart {
        Chart::ErrorVsLog { title, x_label, y_label } => {
            error_chart(&mut out, title, x_label, y_label, points)?
        }
        Chart::Spectrum { title, points, y_label } => {
            spectrum_chart(&mut out, title, y_label, points)?
        }
        Chart::Cells { title, rows, cols, cases } => {
            cells_chart(&mut out, title, rows, cols, cases)?
        }
    }
    Ok(out)
}

fn chart_error<E: std::fmt::Debug>(e: E) -> anyhow::Error {
    anyhow::anyhow!("drawing a chart: {e:?}")
}

/// Error vs x (log) per series, each series with its ± limit envelope as a step line.
fn error_chart(
    out: &mut String,
    title: &str,
    x_label: &str,
    y_label: &str,
    points: &[TestPoint],
) -> Result<()> {
    let mut names: Vec<&str> = Vec::new();
    for p in points {
        if let Some((_, s)) = &p.plot {
            if !names.contains(&s.as_str()) {
                names.push(s);
            }
        }
    }
    let plotted: Vec<(f64, &str, f64, f64)> = points
        .iter()
        .filter_map(|p| p.plot.as_ref().map(|(x, s)| (*x, s.as_str(), p.error, p.limit)))
        .filter(|(x, _, e, _)| *x > 0.0 && e.is_finite())
        .collect();
    if plotted.is_empty() {
        return Ok(());
    }
    let (xmin, xmax) =
        plotted.iter().fold((f64::MAX, f64::MIN), |(a, b), p| (a.min(p.0), b.max(p.0)));
    let ymax = plotted.iter().fold(0.0f64, |m, p| m.max(p.3).max(p.2.abs())) * 1.15;
    let root = SVGBackend::with_string(out, (760, 420)).into_drawing_area();
    root.fill(&WHITE).map_err(chart_error)?;
    let mut c = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 16))
        .margin(12)
        .x_label_area_size(42)
        .y_label_area_size(60)
        .build_cartesian_2d((xmin * 0.8..xmax * 1.25).log_scale(), -ymax..ymax)
        .map_err(chart_error)?;
    c.configure_mesh()
        .x_desc(x_label)
        .y_desc(y_label)
        .x_label_formatter(&|x| number(*x, ""))
        .draw()
        .map_err(chart_error)?;
    for (k, name) in names.iter().enumerate() {
        let colour = COLOURS[k % COLOURS.len()];
        let mut series: Vec<(f64, f64, f64)> =
            plotted.iter().filter(|p| p.1 == *name).map(|p| (p.0, p.2, p.3)).collect();
        series.sort_by(|a, b| a.0.total_cmp(&b.0));
        // The envelope: the limit tables hold from a band's lowest current up, and the test
        // points sit on the band edges, so each point's limit holds up to the next point.
        for sign in [1.0, -1.0] {
            let mut env = Vec::new();
            for (j, &(x, _, lim)) in series.iter().enumerate() {
                let x1 = series.get(j + 1).map_or(x * 1.15, |n| n.0);
                env.push((x, sign * lim));
                env.push((x1, sign * lim));
            }
            c.draw_series(LineSeries::new(env, colour.mix(0.5).stroke_width(1)))
                .map_err(chart_error)?;
        }
        c.draw_series(LineSeries::new(series.iter().map(|p| (p.0, p.1)), colour.stroke_width(2)))
            .map_err(chart_error)?
            .label(name.to_string())
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 18, y)], colour.stroke_width(2))
            });
        // A marker shape per series, so that series on top of each other stay apart.
        let style = colour.filled();
        match k % 3 {
            0 => {
                c.draw_series(series.iter().map(|p| Circle::new((p.0, p.1), 4, style))).map(|_| ())
            }
            1 => c
                .draw_series(series.iter().map(|p| TriangleMarker::new((p.0, p.1), 6, style)))
                .map(|_| ()),
            _ => c
                .draw_series(
                    series.iter().map(|p| Cross::new((p.0, p.1), 5, colour.stroke_width(2))),
                )
                .map(|_| ()),
        }
        .map_err(chart_error)?;
    }
    c.configure_series_labels()
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()
        .map_err(chart_error)?;
    root.present().map_err(chart_error)?;
    Ok(())
}

/// Truth and measured values per order, the band around the truth.
fn spectrum_chart(
    out: &mut String,
    title: &str,
    y_label: &str,
    points: &[(f64, f64, f64, f64)],
) -> Result<()> {
    if points.is_empty() {
        return Ok(());
    }
    let xmax = points.iter().fold(0.0f64, |m, p| m.max(p.0)) + 1.0;
    let ymax = points.iter().fold(0.0f64, |m, p| m.max(p.1 + p.3).max(p.2)) * 1.1;
    let root = SVGBackend::with_string(out, (760, 380)).into_drawing_area();
    root.fill(&WHITE).map_err(chart_error)?;
    let mut c = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 16))
        .margin(12)
        .x_label_area_size(42)
        .y_label_area_size(60)
        .build_cartesian_2d(0.0..xmax, 0.0..ymax.max(1e-9))
        .map_err(chart_error)?;
    c.configure_mesh().x_desc("order").y_desc(y_label).draw().map_err(chart_error)?;
    let band = COLOURS[0].mix(0.25);
    c.draw_series(points.iter().map(|&(h, t, _, b)| {
        Rectangle::new([(h - 0.35, (t - b).max(0.0)), (h + 0.35, t + b)], band.filled())
    }))
    .map_err(chart_error)?
    .label("truth ± Class I band")
    .legend(move |(x, y)| Rectangle::new([(x, y - 4), (x + 14, y + 4)], band.filled()));
    let red = COLOURS[1];
    c.draw_series(points.iter().map(|&(h, _, m, _)| Circle::new((h, m), 3, red.filled())))
        .map_err(chart_error)?
        .label("measured")
        .legend(move |(x, y)| Circle::new((x + 7, y), 3, red.filled()));
    c.configure_series_labels()
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()
        .map_err(chart_error)?;
    root.present().map_err(chart_error)?;
    Ok(())
}

/// A grid: each case an arrow from its truth cell to its measured cell (a dot when they agree,
/// a cross where nothing was measured).
fn cells_chart(
    out: &mut String,
    title: &str,
    rows: &[String],
    cols: &[String],
    cases: &[CellCase],
) -> Result<()> {
    let (nr, nc) = (rows.len().max(1), cols.len().max(1));
    let root = SVGBackend::with_string(out, (760, 60 + 40 * nr as u32)).into_drawing_area();
    root.fill(&WHITE).map_err(chart_error)?;
    let mut c = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 16))
        .margin(12)
        .x_label_area_size(30)
        .y_label_area_size(110)
        .build_cartesian_2d(0.0..nc as f64, 0.0..nr as f64)
        .map_err(chart_error)?;
    let (rows_v, cols_v) = (rows.to_vec(), cols.to_vec());
    c.configure_mesh()
        .disable_mesh()
        .x_labels(nc * 2 + 1)
        .y_labels(nr * 2 + 1)
        .x_label_formatter(&|x| label_at(&cols_v, *x))
        // The first row at the top, as the standard's tables print it.
        .y_label_formatter(&|y| label_at(&rows_v, nr as f64 - *y))
        .draw()
        .map_err(chart_error)?;
    for r in 0..nr {
        for k in 0..nc {
            let (x, y) = (k as f64, r as f64);
            c.draw_series(std::iter::once(Rectangle::new(
                [(x, y), (x + 1.0, y + 1.0)],
                BLACK.mix(0.3),
            )))
            .map_err(chart_error)?;
        }
    }
    let centre = |(r, k): (usize, usize)| (k as f64 + 0.5, (nr - 1 - r) as f64 + 0.5);
    for (j, &(truth, measured)) in cases.iter().enumerate() {
        // Spread the cases of one cell so that each stays visible.
        let off = ((j % 5) as f64 - 2.0) * 0.12;
        let t = centre(truth);
        let t = (t.0 + off, t.1);
        match measured {
            Some(m) if m == truth => {
                c.draw_series(std::iter::once(Circle::new(t, 4, COLOURS[2].filled())))
                    .map_err(chart_error)?;
            }
            Some(m) => {
                let m = centre(m);
                c.draw_series(std::iter::once(PathElement::new(
                    vec![t, (m.0 + off, m.1)],
                    COLOURS[1].stroke_width(2),
                )))
                .map_err(chart_error)?;
                c.draw_series(std::iter::once(Circle::new(
                    (m.0 + off, m.1),
                    4,
                    COLOURS[1].filled(),
                )))
                .map_err(chart_error)?;
            }
            None => {
                c.draw_series(std::iter::once(Cross::new(t, 5, COLOURS[1].stroke_width(2))))
                    .map_err(chart_error)?;
            }
        }
    }
    root.present().map_err(chart_error)?;
    Ok(())
}

/// The name of the cell a label position falls in (labels at cell centres only).
fn label_at(names: &[String], v: f64) -> String {
    let k = v - 0.5;
    if k >= 0.0 && (k - k.round()).abs() < 1e-6 {
        names.get(k.round() as usize).cloned().unwrap_or_default()
    } else {
        String::new()
    }
}

/// The current UTC date and time, `YYYY-MM-DD HH:MM:SS`.
pub fn utc_now() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    utc(secs)
}

/// `YYYY-MM-DD HH:MM:SS` of Unix time `secs` (proleptic Gregorian calendar).
pub fn utc(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let (y, m, d) = percycle_analysis::calendar::civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}", rem / 3600, rem / 60 % 60, rem % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_civil_utc() {
        assert_eq!(utc(0), "1970-01-01 00:00:00");
        assert_eq!(utc(951_782_400), "2000-02-29 00:00:00");
        assert_eq!(utc(1_796_650_000), "2026-12-07 13:26:40");
    }

    #[test]
    fn a_verdict_is_the_error_within_the_limit() {
        let p = |e: f64| TestPoint::judged("x", "c", "", "q", (0.0, 0.0, ""), (e, 0.5, "%"), "");
        assert!(p(0.5).pass && p(-0.5).pass);
        assert!(!p(0.500_001).pass && !p(-0.6).pass);
        assert!(!p(f64::NAN).pass);
        assert_eq!(p(-0.25).margin, 0.5);
    }
}
