//! Charts of a run, drawn with plotters into PNG files: loss curves and 2D scatter plots of
//! real against generated points, with axes, labels and a legend.

use plotters::prelude::*;
use std::path::Path;
use std::sync::Once;

/// The font every chart's text uses, embedded so that no system font is needed.
const FONT: &str = "ganc-sans";

fn register_font() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // DejaVu Sans is a valid TrueType font: registration cannot fail.
        let _ = plotters::style::register_font(FONT, FontStyle::Normal, dejavu::sans::regular());
    });
}

fn chart_err(e: impl std::fmt::Display) -> std::io::Error {
    std::io::Error::other(format!("cannot draw the chart: {e}"))
}

/// Draws into an RGB buffer of `w` x `h` with `draw`, then writes it as a PNG at `path`.
fn render(
    path: &Path,
    (w, h): (u32, u32),
    draw: impl FnOnce(&DrawingArea<BitMapBackend<'_>, plotters::coord::Shift>) -> Result<(), std::io::Error>,
) -> std::io::Result<()> {
    register_font();
    let mut buf = vec![255u8; (w * h * 3) as usize];
    {
        let area = BitMapBackend::with_buffer(&mut buf, (w, h)).into_drawing_area();
        draw(&area)?;
        area.present().map_err(chart_err)?;
    }
    let img = image::RgbImage::from_raw(w, h, buf).ok_or_else(|| chart_err("buffer size"))?;
    img.save(path).map_err(std::io::Error::other)
}

/// The finite range of `values`, widened when flat; `(0, 1)` when there is none.
fn range(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = values.filter(|v| v.is_finite()).fold((f64::MAX, f64::MIN), |(a, b), v| (a.min(v), b.max(v)));
    if lo > hi {
        (0.0, 1.0)
    } else if hi - lo < 1e-9 {
        (lo - 0.5, hi + 0.5)
    } else {
        let pad = (hi - lo) * 0.05;
        (lo - pad, hi + pad)
    }
}

const COLORS: [RGBColor; 8] = [
    RGBColor(214, 39, 40),
    RGBColor(31, 119, 180),
    RGBColor(44, 160, 44),
    RGBColor(148, 103, 189),
    RGBColor(255, 127, 14),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
];

/// Writes curves (each a name and a series of `(step, value)`) against the step.
pub fn curves(path: &Path, title: &str, series: &[(&str, Vec<(f64, f64)>)]) -> std::io::Result<()> {
    let all = || series.iter().flat_map(|(_, s)| s.iter());
    let (x0, x1) = range(all().map(|p| p.0));
    let (y0, y1) = range(all().map(|p| p.1));
    render(path, (800, 450), |area| {
        let mut chart = ChartBuilder::on(area)
            .caption(title, (FONT, 20))
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(56)
            .build_cartesian_2d(x0..x1, y0..y1)
            .map_err(chart_err)?;
        chart
            .configure_mesh()
            .x_desc("step")
            .x_label_formatter(&|x| format!("{x:.0}"))
            .label_style((FONT, 13))
            .axis_desc_style((FONT, 14))
            .draw()
            .map_err(chart_err)?;
        for (i, (name, points)) in series.iter().enumerate() {
            let color = COLORS[i % COLORS.len()];
            let finite = points.iter().copied().filter(|(x, y)| x.is_finite() && y.is_finite());
            chart
                .draw_series(LineSeries::new(finite, color.stroke_width(2)))
                .map_err(chart_err)?
                .label(*name)
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(2)));
        }
        chart
            .configure_series_labels()
            .label_font((FONT, 14))
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .draw()
            .map_err(chart_err)
    })
}

/// Writes a scatter plot of real (blue) and generated (orange) 2D points (pairs).
pub fn scatter(path: &Path, title: &str, real: &[f32], fake: &[f32]) -> std::io::Result<()> {
    let coords = || real.iter().chain(fake).map(|v| *v as f64);
    let (lo, hi) = range(coords());
    let extent = lo.abs().max(hi.abs());
    render(path, (560, 560), |area| {
        let mut chart = ChartBuilder::on(area)
            .caption(title, (FONT, 18))
            .margin(12)
            .x_label_area_size(32)
            .y_label_area_size(40)
            .build_cartesian_2d(-extent..extent, -extent..extent)
            .map_err(chart_err)?;
        chart.configure_mesh().label_style((FONT, 12)).draw().map_err(chart_err)?;
        // Generated first, so that the real modes stay visible on top.
        for (name, points, color) in
            [("generated", fake, RGBColor(255, 127, 14)), ("real", real, RGBColor(31, 119, 180))]
        {
            let dots = points
                .chunks_exact(2)
                .map(|p| (p[0] as f64, p[1] as f64))
                .filter(|(x, y)| x.is_finite() && y.is_finite())
                .map(move |p| Circle::new(p, 2, color.filled()));
            chart
                .draw_series(dots)
                .map_err(chart_err)?
                .label(name)
                .legend(move |(x, y)| Circle::new((x + 8, y), 4, color.filled()));
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .label_font((FONT, 13))
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .draw()
            .map_err(chart_err)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charts_are_pngs_with_something_drawn() {
        let dir = std::env::temp_dir().join(format!("ganc-plots-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let loss = dir.join("loss.png");
        let d: Vec<(f64, f64)> = (0..50).map(|i| (i as f64, (i as f64 * 0.1).sin())).collect();
        curves(&loss, "losses", &[("d_loss", d.clone()), ("g_loss", vec![(0.0, f64::NAN), (1.0, 2.0)])]).unwrap();
        let img = image::open(&loss).unwrap().to_rgb8();
        assert_eq!(img.dimensions(), (800, 450));
        // The red d_loss line is there.
        assert!(img.pixels().any(|p| p.0 == [214, 39, 40]));
        let pts = dir.join("scatter.png");
        scatter(&pts, "ring", &[2.0, 0.0, 0.0, 2.0], &[1.0, 1.0]).unwrap();
        let img = image::open(&pts).unwrap().to_rgb8();
        assert!(img.pixels().any(|p| p.0 == [255, 127, 14]));
        std::fs::remove_dir_all(&dir).ok();
    }
}
