//! SVG charts of a plan report: plain SVG 1.1 text, no scripts and no external font, so a
//! browser, a word processor or a printer shows them as they are. Each chart says what it shows
//! on its own — a title and a one-line reading guide, axis titles, gridlines with values, a
//! legend with every series, and notes for what would otherwise puzzle a reader (the
//! key-supervision enterprises visited more often than their tier's cap) — in Chinese, the
//! language of the people who read plans (`docs/portal.md`, "Charts").

use super::report::Report;
use std::collections::BTreeMap;
use std::fmt::Write as _;

const COLORS: [&str; 6] = [
    "#4e79a7", "#f28e2b", "#59a14f", "#76b7b2", "#b07aa1", "#9c755f",
];
/// The fill of bars above a tier's cap (key supervision: full coverage).
const OVER_CAP: &str = "#c0392b";
/// System fonts with CJK fallbacks; nothing is downloaded.
const FONTS: &str = "system-ui, -apple-system, 'PingFang SC', 'Hiragino Sans GB', 'Microsoft YaHei', 'Noto Sans CJK SC', 'Source Han Sans SC', 'WenQuanYi Zen Hei', sans-serif";

const PLOT_HEIGHT: u64 = 220;
const LEFT: u64 = 72;
const RIGHT: u64 = 24;
const MIN_BAR: u64 = 18;
const MAX_BAR: u64 = 44;
const GAP: u64 = 24;
const MIN_WIDTH: u64 = 560;

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The width a line of text takes at `size` px, generously: CJK and full-width characters one
/// em, others 0.62 em. Used so no title or note is ever cut off.
pub fn text_width(s: &str, size: u64) -> u64 {
    let tenths: u64 = s.chars().map(|c| if c.is_ascii() { 62 } else { 100 }).sum();
    (tenths * size).div_ceil(100)
}

/// A gridline step of 1, 2 or 5 × 10^k giving at most five steps up to `max`, and the top.
pub fn ticks(max: u64) -> (u64, u64) {
    let max = max.max(1);
    let mut unit = 1u64;
    loop {
        for m in [1, 2, 5] {
            let step = m * unit;
            if max.div_ceil(step) <= 5 {
                return (step, max.div_ceil(step) * step);
            }
        }
        unit *= 10;
    }
}

/// A grouped bar chart.
pub struct BarChart<'a> {
    pub title: &'a str,
    /// One line under the title: how to read the chart.
    pub guide: &'a str,
    pub x_title: &'a str,
    pub y_title: &'a str,
    pub series: Vec<String>,
    /// Label of each group and one value per series.
    pub groups: Vec<(String, Vec<u64>)>,
    /// (group, series) pairs drawn in [`OVER_CAP`] colour; `over_label` names them in the legend.
    pub over: Vec<(usize, usize)>,
    pub over_label: &'a str,
    /// Lines under the legend.
    pub notes: Vec<String>,
}

impl BarChart<'_> {
    pub fn svg(&self) -> String {
        let n = self.series.len().max(1) as u64;
        let groups = self.groups.len().max(1) as u64;
        // A group is as wide as its bars at their narrowest and as its label, whichever is wider.
        let widest_label = self
            .groups
            .iter()
            .map(|(l, _)| text_width(l, 12))
            .max()
            .unwrap_or(0);
        let min_slot = (MIN_BAR * n).max(widest_label) + GAP;
        let mut legend: Vec<(&str, String)> = self
            .series
            .iter()
            .enumerate()
            .map(|(k, s)| (COLORS[k % COLORS.len()], s.clone()))
            .collect();
        if !self.over.is_empty() {
            legend.push((OVER_CAP, self.over_label.to_string()));
        }
        let texts = [
            text_width(self.title, 16),
            text_width(self.guide, 12),
            text_width(self.x_title, 12),
        ];
        let longest = texts
            .into_iter()
            .chain(self.notes.iter().map(|n| text_width(n, 12)))
            .chain(legend.iter().map(|(_, l)| 18 + text_width(l, 12)))
            .max()
            .unwrap_or(0);
        let width = (LEFT + min_slot * groups + RIGHT)
            .max(longest + 32)
            .max(MIN_WIDTH);
        // The plot takes the whole width; bars grow up to MAX_BAR.
        let slot = (width - LEFT - RIGHT) / groups;
        let plot_width = slot * groups;
        let bar = ((slot - GAP) / n).clamp(MIN_BAR, MAX_BAR);
        let top = 64;
        let bottom = top + PLOT_HEIGHT;
        let legend_top = bottom + 58;
        let notes_top = legend_top + 20 * legend.len() as u64 + 6;
        let height = notes_top + 18 * self.notes.len() as u64 + 12;
        let max = self
            .groups
            .iter()
            .flat_map(|(_, v)| v.iter().copied())
            .max()
            .unwrap_or(0);
        let (step, axis_top) = ticks(max);
        let y = |v: u64| bottom - v * PLOT_HEIGHT / axis_top;

        let mut s = String::new();
        let _ = writeln!(
            s,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" font-family=\"{FONTS}\" font-size=\"12\" fill=\"#1d2433\">"
        );
        let _ = writeln!(s, "<title>{}</title>", escape(self.title));
        let _ = writeln!(
            s,
            "<rect width=\"{width}\" height=\"{height}\" fill=\"#ffffff\"/>"
        );
        let _ = writeln!(
            s,
            "<text x=\"16\" y=\"26\" font-size=\"16\" font-weight=\"bold\">{}</text>",
            escape(self.title)
        );
        let _ = writeln!(
            s,
            "<text x=\"16\" y=\"46\" fill=\"#5b6475\">{}</text>",
            escape(self.guide)
        );
        // Gridlines with their values, then the axes.
        let mut v = 0;
        while v <= axis_top {
            let gy = y(v);
            let _ = writeln!(
                s,
                "<line x1=\"{LEFT}\" y1=\"{gy}\" x2=\"{}\" y2=\"{gy}\" stroke=\"{}\"/><text x=\"{}\" y=\"{}\" text-anchor=\"end\">{v}</text>",
                LEFT + plot_width,
                if v == 0 { "#1d2433" } else { "#dde1e8" },
                LEFT - 6,
                gy + 4
            );
            v += step;
        }
        let _ = writeln!(
            s,
            "<line x1=\"{LEFT}\" y1=\"{top}\" x2=\"{LEFT}\" y2=\"{bottom}\" stroke=\"#1d2433\"/>"
        );
        let _ = writeln!(
            s,
            "<text transform=\"translate(18 {}) rotate(-90)\" text-anchor=\"middle\">{}</text>",
            top + PLOT_HEIGHT / 2,
            escape(self.y_title)
        );
        for (g, (label, values)) in self.groups.iter().enumerate() {
            let x0 = LEFT + g as u64 * slot + (slot - bar * values.len() as u64) / 2;
            for (k, &value) in values.iter().enumerate() {
                let fill = if self.over.contains(&(g, k)) {
                    OVER_CAP
                } else {
                    COLORS[k % COLORS.len()]
                };
                let x = x0 + k as u64 * bar;
                let _ = writeln!(
                    s,
                    "<rect x=\"{x}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{fill}\"><title>{}，{}：{value}</title></rect>",
                    y(value),
                    bar - 3,
                    bottom - y(value),
                    escape(label),
                    escape(self.series.get(k).map(String::as_str).unwrap_or(""))
                );
                if value > 0 {
                    let _ = writeln!(
                        s,
                        "<text x=\"{}\" y=\"{}\" font-size=\"10\" text-anchor=\"middle\">{value}</text>",
                        x + (bar - 3) / 2,
                        y(value) - 3
                    );
                }
            }
            let _ = writeln!(
                s,
                "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
                LEFT + g as u64 * slot + slot / 2,
                bottom + 17,
                escape(label)
            );
        }
        let _ = writeln!(
            s,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" fill=\"#5b6475\">{}</text>",
            LEFT + plot_width / 2,
            bottom + 38,
            escape(self.x_title)
        );
        for (i, (color, label)) in legend.iter().enumerate() {
            let ly = legend_top + 20 * i as u64;
            let _ = writeln!(
                s,
                "<rect x=\"16\" y=\"{}\" width=\"12\" height=\"12\" fill=\"{color}\"/><text x=\"34\" y=\"{ly}\">{}</text>",
                ly - 10,
                escape(label)
            );
        }
        for (i, note) in self.notes.iter().enumerate() {
            let _ = writeln!(
                s,
                "<text x=\"16\" y=\"{}\" fill=\"#5b6475\">{}</text>",
                notes_top + 18 * i as u64,
                escape(note)
            );
        }
        s.push_str("</svg>\n");
        s
    }
}

fn coordination(r: &Report) -> String {
    BarChart {
        title: "联合检查减少了多少次入户",
        guide: "同样的部门检查：各任务分别入户要多少次，本计划联合入户要多少次（越低越少打扰企业）",
        x_title: "企业范围",
        y_title: "入户次数",
        series: vec![
            "各任务分别抽取、分别入户".into(),
            "本计划（dr2）：同组任务联合入户".into(),
        ],
        groups: vec![
            (
                "全部被检查企业".into(),
                vec![r.uncoordinated_visits, r.visits],
            ),
            (
                format!("被 2 个以上部门检查的 {} 户", r.overlap_enterprises),
                vec![r.overlap_uncoordinated_visits, r.overlap_visits],
            ),
        ],
        over: Vec::new(),
        over_label: "",
        notes: vec![format!(
            "{} 项部门检查中有 {} 项在联合入户中完成（{}.{}%）；进一次门、查多项事（国发〔2019〕5号）。",
            r.department_checks,
            r.joint_department_checks,
            r.joint_rate_permille / 10,
            r.joint_rate_permille % 10
        )],
    }
    .svg()
}

fn tiers(r: &Report) -> String {
    let most = r
        .tiers
        .iter()
        .map(|t| t.max_visits)
        .max()
        .unwrap_or(0)
        .max(1);
    let mut over = Vec::new();
    let groups = r
        .tiers
        .iter()
        .enumerate()
        .map(|(g, t)| {
            for n in (t.cap + 1)..=most {
                over.push((g, (n - 1) as usize));
            }
            (
                format!("{} 级（上限 {} 次）", t.tier, t.cap),
                (1..=most)
                    .map(|n| t.histogram.get(&n).copied().unwrap_or(0))
                    .collect(),
            )
        })
        .collect();
    let mut notes = Vec::new();
    for t in &r.tiers {
        if t.key_over_cap > 0 {
            notes.push(format!(
                "{} 级：{} 户超过上限 {} 次，均为重点监管企业——其主管部门全覆盖检查，不受随机抽查次数上限约束。",
                t.tier, t.key_over_cap, t.cap
            ));
        }
        if t.over_cap > 0 {
            notes.push(format!(
                "{} 级：{} 户非重点监管企业超过上限 {} 次，这不应发生，请核查计划。",
                t.tier, t.over_cap, t.cap
            ));
        }
    }
    if notes.is_empty() {
        notes.push("没有企业超过其信用等级的年度检查次数上限。".into());
    }
    BarChart {
        title: "各信用等级企业的年度检查次数",
        guide: "每组是一个信用等级，每根柱是被检查 1 次、2 次……的企业户数；上限为该等级每户每年最多检查次数",
        x_title: "信用等级（A 风险最低，D 最高）",
        y_title: "企业户数",
        series: (1..=most).map(|n| format!("全年检查 {n} 次")).collect(),
        groups,
        over,
        over_label: "超过本等级上限：重点监管企业（全覆盖检查）",
        notes,
    }
    .svg()
}

fn load(r: &Report) -> String {
    let mut by_period: BTreeMap<u32, (u64, u64)> = BTreeMap::new();
    for l in &r.load {
        let slot = by_period.entry(l.period).or_default();
        slot.0 += l.assigned;
        slot.1 += l.allocated;
    }
    BarChart {
        title: "各期检查人员工作量（所有部门）",
        guide: "人次 = 检查人员 × 入户次数；优化器分配的容量与实际编入检查组的人次",
        x_title: "计划期（第 1 期起）",
        y_title: "人次",
        series: vec!["优化器分配的人次（容量）".into(), "编入检查组的人次".into()],
        groups: by_period
            .into_iter()
            .map(|(p, (assigned, allocated))| (format!("第 {p} 期"), vec![allocated, assigned]))
            .collect(),
        over: Vec::new(),
        over_label: "",
        notes: vec![format!(
            "未能组成检查组 {} 个，未能安排的检查 {} 项。",
            r.teams_not_formed, r.unplanned_checks
        )],
    }
    .svg()
}

/// The report's charts, by file name.
pub fn charts(r: &Report) -> BTreeMap<&'static str, String> {
    BTreeMap::from([
        ("coordination.svg", coordination(r)),
        ("tiers.svg", tiers(r)),
        ("load.svg", load(r)),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chart(title: &str, groups: Vec<(String, Vec<u64>)>) -> BarChart<'_> {
        BarChart {
            title,
            guide: "guide",
            x_title: "x axis",
            y_title: "y axis",
            series: vec!["first".into(), "second".into()],
            groups,
            over: vec![(1, 1)],
            over_label: "over the cap",
            notes: vec!["a note".into()],
        }
    }

    #[test]
    fn ticks_are_one_two_or_five_times_a_power_of_ten() {
        assert_eq!(ticks(0), (1, 1));
        assert_eq!(ticks(4), (1, 4));
        assert_eq!(ticks(7), (2, 8));
        assert_eq!(ticks(10), (2, 10));
        assert_eq!(ticks(23), (5, 25));
        assert_eq!(ticks(4_321), (1000, 5000));
    }

    #[test]
    fn the_widest_text_fits_and_every_series_is_in_the_legend() {
        let long = "一个很长很长的标题，它比所有柱子加起来都宽得多，绝不能被裁掉一半";
        let svg = chart(
            long,
            vec![("g&h".into(), vec![10, 0]), ("i".into(), vec![5, 3])],
        )
        .svg();
        let width: u64 = svg
            .split("width=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        assert!(width >= 16 + text_width(long, 16), "{width}");
        for text in [
            "first",
            "second",
            "over the cap",
            "x axis",
            "y axis",
            "a note",
            "g&amp;h",
        ] {
            assert!(svg.contains(text), "{text} missing");
        }
        assert!(svg.contains(&format!("fill=\"{OVER_CAP}\"")));
    }

    #[test]
    fn key_supervision_above_the_cap_is_marked_and_explained() {
        use crate::plan::report::TierRow;
        let tier = |tier: &str, cap, histogram: &[(u32, u64)], key_over_cap| TierRow {
            tier: tier.into(),
            cap,
            enterprises: histogram.iter().map(|(_, n)| n).sum(),
            visits: histogram.iter().map(|(v, n)| *v as u64 * n).sum(),
            max_visits: histogram.iter().map(|(v, _)| *v).max().unwrap_or(0),
            histogram: histogram.iter().copied().collect(),
            over_cap: 0,
            key_over_cap,
        };
        let r = Report {
            batch: "p".into(),
            method: "dr2".into(),
            visits: 0,
            joint_visits: 0,
            department_checks: 0,
            joint_department_checks: 0,
            joint_rate_permille: 0,
            uncoordinated_visits: 0,
            overlap_enterprises: 0,
            overlap_visits: 0,
            overlap_uncoordinated_visits: 0,
            unplanned_checks: 0,
            teams_not_formed: 0,
            shortages: vec![],
            tiers: vec![
                tier("A", 1, &[(1, 40), (3, 2)], 2),
                tier("D", 4, &[(1, 5)], 0),
            ],
            load: vec![],
            inclusion: vec![],
            bound: None,
        };
        let svg = tiers(&r);
        assert!(svg.contains("A 级（上限 1 次）") && svg.contains("D 级（上限 4 次）"));
        assert!(
            svg.contains("全年检查 3 次"),
            "a series per number of visits"
        );
        assert!(
            svg.contains("A 级：2 户超过上限 1 次，均为重点监管企业"),
            "{svg}"
        );
        // The A bars of 2 and 3 visits are above the cap; D's cap of 4 is never exceeded.
        assert_eq!(
            svg.lines()
                .filter(|l| l.starts_with("<rect") && l.contains(OVER_CAP) && l.contains("<title>"))
                .count(),
            2,
            "{svg}"
        );
    }

    #[test]
    fn bars_scale_to_the_top_gridline() {
        let svg = chart("t", vec![("a".into(), vec![10, 5])]).svg();
        // 10 is the top gridline: a full-height bar, and 5 half of it.
        assert!(
            svg.contains(&format!("height=\"{PLOT_HEIGHT}\" fill")),
            "{svg}"
        );
        assert!(svg.contains(&format!("height=\"{}\" fill", PLOT_HEIGHT / 2)));
        assert!(svg.contains(">10</text>"));
    }
}
