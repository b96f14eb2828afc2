//! Codes of a synthetic jurisdiction: administrative divisions (GB/T 2260) and unique unified
//! social credit codes (GB 32100-2015) that grow with the generation order.
//!
//! A code is `9` (market regulation) + entity type (`1` enterprise, `2` individual business,
//! `3` farmers' cooperative) + the 6-digit division + a 9-character organisation code
//! (8 characters and the GB 11714 check character) + the GB 32100 check character
//! (`docs/domain.md`, "The unified social credit code"). Enterprises are generated cell by cell in
//! (type, division) order, and inside a cell the organisation-code body only grows, so the
//! generation order is the sorted order of the codes and no two codes can be equal.

use super::rng::Rng;
use crate::registry::model::RegionCode;
use dualdraw_solver::uscc::ALPHABET;
use dualdraw_solver::Uscc;

/// Which set of divisions a jurisdiction draws from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum City {
    /// Shenzhen (深圳市): its nine districts, 440303–440311.
    Shenzhen,
    /// Guangdong province: real districts of its large cities first, then systematic codes.
    Guangdong,
}

impl City {
    /// The one-character abbreviation that opens decision document numbers (`深市监罚〔…〕`).
    pub fn document_abbreviation(self) -> &'static str {
        match self {
            City::Shenzhen => "深",
            City::Guangdong => "粤",
        }
    }
}

/// One administrative division of the jurisdiction.
#[derive(Clone, Debug)]
pub struct Region {
    pub code: RegionCode,
    /// The name enterprise names open with: `深圳市南山区`, or only the city where the
    /// county's name is not known to the generator.
    pub name_prefix: String,
    /// Relative number of enterprises registered there.
    pub weight: u64,
}

/// Real districts, most populous cities first: (code, city, district, weight).
const KNOWN: &[(&str, &str, &str, u64)] = &[
    ("440303", "深圳市", "罗湖区", 5),
    ("440304", "深圳市", "福田区", 10),
    ("440305", "深圳市", "南山区", 10),
    ("440306", "深圳市", "宝安区", 18),
    ("440307", "深圳市", "龙岗区", 16),
    ("440308", "深圳市", "盐田区", 1),
    ("440309", "深圳市", "龙华区", 12),
    ("440310", "深圳市", "坪山区", 3),
    ("440311", "深圳市", "光明区", 4),
    ("440103", "广州市", "荔湾区", 5),
    ("440104", "广州市", "越秀区", 7),
    ("440105", "广州市", "海珠区", 8),
    ("440106", "广州市", "天河区", 12),
    ("440111", "广州市", "白云区", 12),
    ("440112", "广州市", "黄埔区", 6),
    ("440113", "广州市", "番禺区", 9),
    ("440114", "广州市", "花都区", 5),
    ("440115", "广州市", "南沙区", 4),
    ("440117", "广州市", "从化区", 2),
    ("440118", "广州市", "增城区", 4),
    ("440604", "佛山市", "禅城区", 5),
    ("440605", "佛山市", "南海区", 9),
    ("440606", "佛山市", "顺德区", 9),
    ("440607", "佛山市", "三水区", 2),
    ("440608", "佛山市", "高明区", 2),
    ("441900", "东莞市", "", 20),
    ("442000", "中山市", "", 8),
    ("440402", "珠海市", "香洲区", 5),
    ("440403", "珠海市", "斗门区", 2),
    ("440404", "珠海市", "金湾区", 2),
    ("441302", "惠州市", "惠城区", 4),
    ("441303", "惠州市", "惠阳区", 3),
    ("441322", "惠州市", "博罗县", 2),
    ("441323", "惠州市", "惠东县", 2),
    ("441324", "惠州市", "龙门县", 1),
];

/// Prefecture-level cities of Guangdong: (digits 3–4 of the code, name).
const PREFECTURES: &[(&str, &str)] = &[
    ("01", "广州市"),
    ("02", "韶关市"),
    ("03", "深圳市"),
    ("04", "珠海市"),
    ("05", "汕头市"),
    ("06", "佛山市"),
    ("07", "江门市"),
    ("08", "湛江市"),
    ("09", "茂名市"),
    ("12", "肇庆市"),
    ("13", "惠州市"),
    ("14", "梅州市"),
    ("15", "汕尾市"),
    ("16", "河源市"),
    ("17", "阳江市"),
    ("18", "清远市"),
    ("19", "东莞市"),
    ("20", "中山市"),
    ("51", "潮州市"),
    ("52", "揭阳市"),
    ("53", "云浮市"),
];

/// How many divisions a jurisdiction of `enterprises` has: one per 50,000, at least 6.
pub fn region_count(enterprises: u64) -> usize {
    enterprises.div_ceil(50_000).max(6) as usize
}

/// The divisions of `city` for a jurisdiction of `enterprises`, sorted by code.
pub fn regions(city: City, enterprises: u64, rng: &mut Rng) -> Vec<Region> {
    let wanted = region_count(enterprises);
    let mut out: Vec<Region> = Vec::new();
    let known = KNOWN
        .iter()
        .filter(|k| city == City::Guangdong || k.1 == "深圳市");
    for &(code, city_name, district, weight) in known.take(wanted) {
        out.push(region(code, format!("{city_name}{district}"), weight));
    }
    if city == City::Guangdong {
        'fill: for &(prefecture, city_name) in PREFECTURES {
            for county in 2..=30 {
                if out.len() >= wanted {
                    break 'fill;
                }
                let code = format!("44{prefecture}{county:02}");
                if !KNOWN.iter().any(|k| k.0 == code) {
                    out.push(region(&code, city_name.to_string(), rng.between(1, 8)));
                }
            }
        }
    }
    out.sort_by(|a, b| a.code.cmp(&b.code));
    out
}

fn region(code: &str, name_prefix: String, weight: u64) -> Region {
    Region {
        code: RegionCode::parse(code).expect("division codes of the generator are valid"),
        name_prefix,
        weight,
    }
}

/// Splits `total` in proportion to `weights` by largest remainders (ties to the earlier entry).
pub fn apportion(total: u64, weights: &[u64]) -> Vec<u64> {
    let sum: u128 = weights.iter().map(|&w| u128::from(w)).sum();
    let mut counts = Vec::with_capacity(weights.len());
    let mut remainders = Vec::with_capacity(weights.len());
    for (i, &w) in weights.iter().enumerate() {
        let exact = u128::from(total) * u128::from(w);
        counts.push((exact / sum) as u64);
        remainders.push((exact % sum, i));
    }
    let missing = total - counts.iter().sum::<u64>();
    remainders.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    for &(_, i) in remainders.iter().take(missing as usize) {
        counts[i] += 1;
    }
    counts
}

/// The GB 11714 value of an organisation-code character: digits 0–9, letters A–Z as 10–35.
fn org_value(c: u8) -> u32 {
    match c {
        b'0'..=b'9' => u32::from(c - b'0'),
        _ => u32::from(c - b'A') + 10,
    }
}

/// Completes an 8-character organisation-code body with its GB 11714 check character.
pub fn org_check(body: &[u8; 8]) -> u8 {
    const WEIGHTS: [u32; 8] = [3, 7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = body
        .iter()
        .zip(WEIGHTS)
        .map(|(&c, w)| org_value(c) * w)
        .sum();
    match 11 - sum % 11 {
        10 => b'X',
        11 => b'0',
        d => b'0' + d as u8,
    }
}

/// The span of organisation-code bodies one kind of enterprise draws from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BodyKind {
    /// Codes issued before the unified code (before October 2015): eight digits.
    Numeric,
    /// Codes issued with the unified code: `MA` and six code characters from `5…`.
    Unified,
}

impl BodyKind {
    /// The smallest and one past the largest body value.
    fn range(self) -> (u64, u64) {
        match self {
            BodyKind::Numeric => (10_000_000, 100_000_000),
            BodyKind::Unified => (5 * 31u64.pow(5), 31u64.pow(6)),
        }
    }

    fn encode(self, value: u64) -> [u8; 8] {
        let mut body = [0u8; 8];
        match self {
            BodyKind::Numeric => {
                let digits = format!("{value:08}");
                body.copy_from_slice(digits.as_bytes());
            }
            BodyKind::Unified => {
                body[0] = b'M';
                body[1] = b'A';
                let mut v = value;
                for slot in body[2..].iter_mut().rev() {
                    *slot = ALPHABET[(v % 31) as usize];
                    v /= 31;
                }
            }
        }
        body
    }
}

/// Hands out strictly increasing organisation-code bodies of one kind for `count` enterprises,
/// spread over the whole span by random gaps that can never run past its end.
pub struct BodySequence {
    kind: BodyKind,
    next: u64,
    mean_gap: u64,
}

impl BodySequence {
    pub fn new(kind: BodyKind, count: u64, rng: &mut Rng) -> BodySequence {
        let (lo, hi) = kind.range();
        let span = hi - lo;
        // Gaps average a third of the span per code, so the run starts anywhere in the first
        // third and still cannot pass the end.
        let mean_gap = (span / (3 * count.max(1))).clamp(1, 1 << 20);
        let slack = span - (2 * mean_gap - 1) * count;
        let next = lo + rng.below(slack / 2 + 1);
        BodySequence {
            kind,
            next,
            mean_gap,
        }
    }

    /// The next body; each call returns a larger one.
    pub fn next_body(&mut self, rng: &mut Rng) -> [u8; 8] {
        let body = self.kind.encode(self.next);
        self.next += 1 + rng.below(2 * self.mean_gap - 1);
        body
    }
}

/// The unified code of an enterprise of entity `kind` (`b'1'`, `b'2'` or `b'3'`).
pub fn uscc(kind: u8, region: &RegionCode, body: &[u8; 8]) -> Uscc {
    let mut first17 = String::with_capacity(17);
    first17.push('9');
    first17.push(kind as char);
    first17.push_str(region.as_str());
    first17.push_str(std::str::from_utf8(body).expect("ASCII"));
    first17.push(org_check(body) as char);
    Uscc::with_check(&first17).expect("generated characters are in the code alphabet")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gen::rng::Stream;

    #[test]
    fn organisation_check_matches_published_codes() {
        // Tencent 70846113-6 and Huawei 19220382-1, from their unified codes.
        assert_eq!(org_check(b"70846113"), b'6');
        assert_eq!(org_check(b"19220382"), b'1');
    }

    #[test]
    fn bodies_grow_and_stay_in_their_span() {
        let mut rng = Rng::new(3, Stream::Layout);
        for kind in [BodyKind::Numeric, BodyKind::Unified] {
            let count = 100_000;
            let mut seq = BodySequence::new(kind, count, &mut rng);
            let mut last = [0u8; 8];
            for _ in 0..count {
                let body = seq.next_body(&mut rng);
                assert!(body > last, "{:?} after {:?}", body, last);
                last = body;
            }
            let top = kind.encode(kind.range().1 - 1);
            assert!(last <= top);
        }
    }

    #[test]
    fn apportions_exactly() {
        assert_eq!(apportion(10, &[1, 1, 1]), vec![4, 3, 3]);
        assert_eq!(
            apportion(5_000, &[5, 10, 10, 18, 16, 1])
                .iter()
                .sum::<u64>(),
            5_000
        );
    }

    #[test]
    fn guangdong_has_as_many_distinct_divisions_as_asked() {
        let mut rng = Rng::new(1, Stream::Layout);
        let rs = regions(City::Guangdong, 20_000_000, &mut rng);
        assert_eq!(rs.len(), 400);
        assert!(rs.windows(2).all(|w| w[0].code < w[1].code));
        let demo = regions(City::Shenzhen, 5_000, &mut rng);
        let codes: Vec<&str> = demo.iter().map(|r| r.code.as_str()).collect();
        assert_eq!(
            codes,
            ["440303", "440304", "440305", "440306", "440307", "440308"]
        );
    }
}
