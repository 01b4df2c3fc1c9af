//! A run's CSV files read back as numbers: `metrics.csv` (one row per logged step) and
//! `evaluate.csv` (one row per measurement), for the failure report and `ganc compare`.

use std::path::Path;

/// A CSV file as its header and numeric rows (missing or unparsable cells as NaN); `None` when
/// the file cannot be read.
pub fn table(path: &Path) -> Option<(Vec<String>, Vec<Vec<f64>>)> {
    let text = std::fs::read_to_string(path).ok()?;
    let mut lines = text.lines();
    let header: Vec<String> = lines.next()?.split(',').map(str::to_string).collect();
    let rows = lines.map(|l| l.split(',').map(|c| c.parse().unwrap_or(f64::NAN)).collect()).collect();
    Some((header, rows))
}

/// The column `name` of `rows`, paired with each row's step (column 0); empty when there is no
/// such column.
pub fn column(header: &[String], rows: &[Vec<f64>], name: &str) -> Vec<(u64, f64)> {
    let Some(at) = header.iter().position(|h| h == name) else { return Vec::new() };
    rows.iter().filter_map(|r| Some((*r.first()? as u64, *r.get(at)?))).collect()
}
