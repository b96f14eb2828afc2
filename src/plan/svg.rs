//! SVG charts of a plan report: plain SVG 1.1 text, no scripts, so a browser, a word processor
//! or a printer shows them as they are.

use super::report::Report;
use std::collections::BTreeMap;

const COLORS: [&str; 6] = [
    "#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#b07aa1",
];

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// A grouped bar chart: for each group, one bar per series, scaled to the largest value.
pub fn bars(title: &str, series: &[&str], groups: &[(String, Vec<u64>)]) -> String {
    let (bar, gap, height, left, top) = (18u64, 14u64, 220u64, 60u64, 40u64);
    let per_group = bar * series.len() as u64 + gap;
    let width = left + per_group * groups.len() as u64 + 20;
    let max = groups
        .iter()
        .flat_map(|(_, v)| v.iter().copied())
        .max()
        .unwrap_or(0)
        .max(1);
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{}\" font-family=\"sans-serif\" font-size=\"11\">\n<text x=\"{left}\" y=\"20\" font-size=\"14\">{}</text>\n",
        top + height + 60,
        escape(title)
    );
    s.push_str(&format!(
        "<line x1=\"{left}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#333\"/>\n<text x=\"4\" y=\"{}\">{max}</text>\n<text x=\"4\" y=\"{}\">0</text>\n",
        top + height,
        width - 10,
        top + height,
        top + 10,
        top + height
    ));
    for (g, (label, values)) in groups.iter().enumerate() {
        let x0 = left + g as u64 * per_group;
        for (k, &v) in values.iter().enumerate() {
            let h = v * height / max;
            s.push_str(&format!(
                "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{h}\" fill=\"{}\"><title>{}: {v}</title></rect>\n",
                x0 + k as u64 * bar,
                top + height - h,
                bar - 2,
                COLORS[k % COLORS.len()],
                escape(series.get(k).copied().unwrap_or(""))
            ));
        }
        s.push_str(&format!(
            "<text x=\"{x0}\" y=\"{}\">{}</text>\n",
            top + height + 16,
            escape(label)
        ));
    }
    for (k, name) in series.iter().enumerate() {
        let x = left + k as u64 * 160;
        s.push_str(&format!(
            "<rect x=\"{x}\" y=\"{}\" width=\"10\" height=\"10\" fill=\"{}\"/><text x=\"{}\" y=\"{}\">{}</text>\n",
            top + height + 32,
            COLORS[k % COLORS.len()],
            x + 14,
            top + height + 41,
            escape(name)
        ));
    }
    s.push_str("</svg>\n");
    s
}

/// The report's charts, by file name.
pub fn charts(r: &Report) -> BTreeMap<&'static str, String> {
    let mut out = BTreeMap::new();
    out.insert(
        "coordination.svg",
        bars(
            "Visits to enterprises: separate draws per task against the dr2 plan",
            &["separate draws", "dr2 plan"],
            &[
                ("all".to_string(), vec![r.uncoordinated_visits, r.visits]),
                (
                    "overlapping".to_string(),
                    vec![r.overlap_uncoordinated_visits, r.overlap_visits],
                ),
            ],
        ),
    );
    let most = r
        .tiers
        .iter()
        .map(|t| t.max_visits)
        .max()
        .unwrap_or(0)
        .max(1);
    let names: Vec<String> = (1..=most).map(|n| format!("{n} visit(s)")).collect();
    let series: Vec<&str> = names.iter().map(String::as_str).collect();
    out.insert(
        "tiers.svg",
        bars(
            "Enterprises by visits per year, by tier (label: cap)",
            &series,
            &r.tiers
                .iter()
                .map(|t| {
                    (
                        format!("{} (cap {})", t.tier, t.cap),
                        (1..=most)
                            .map(|n| t.histogram.get(&n).copied().unwrap_or(0))
                            .collect(),
                    )
                })
                .collect::<Vec<_>>(),
        ),
    );
    let mut by_period: BTreeMap<u32, (u64, u64)> = BTreeMap::new();
    for l in &r.load {
        let slot = by_period.entry(l.period).or_default();
        slot.0 += l.assigned;
        slot.1 += l.allocated;
    }
    out.insert(
        "load.svg",
        bars(
            "Inspector-visits per period, all departments",
            &["assigned to teams", "allocated by the optimizer"],
            &by_period
                .into_iter()
                .map(|(p, (a, b))| (p.to_string(), vec![a, b]))
                .collect::<Vec<_>>(),
        ),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_scale_to_the_largest_value_and_escape_labels() {
        let svg = bars(
            "a < b",
            &["x"],
            &[("g&h".into(), vec![10]), ("i".into(), vec![5])],
        );
        assert!(svg.starts_with("<svg"));
        assert!(svg.contains("a &lt; b"));
        assert!(svg.contains("g&amp;h"));
        assert!(svg.contains("height=\"220\""));
        assert!(svg.contains("height=\"110\""));
    }
}
