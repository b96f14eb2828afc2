//! Industries of the synthetic population: real classes of GB/T 4754-2017 with the words their
//! enterprises' names use, how common they are, and the risk that makes some of them key
//! supervision (重点监管: food, drugs, special equipment, hazardous chemicals; `docs/domain.md`).

use crate::registry::model::IndustryCode;

/// The public-safety risk of an industry, which raises its chance of key supervision.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Risk {
    None,
    Food,
    Drug,
    SpecialEquipment,
    Chemical,
}

impl Risk {
    /// Chance of key supervision, out of 10,000.
    pub fn key_supervision_per_10000(self) -> u64 {
        match self {
            Risk::None => 30,
            Risk::Food => 250,
            Risk::Drug => 600,
            Risk::SpecialEquipment => 1_500,
            Risk::Chemical => 1_000,
        }
    }
}

/// One industry class: code, relative frequency, name words, risk.
pub struct Industry {
    pub code: &'static str,
    pub weight: u64,
    /// The trade words an enterprise name puts between brand and legal form.
    pub words: &'static [&'static str],
    pub risk: Risk,
}

const fn class(
    code: &'static str,
    weight: u64,
    words: &'static [&'static str],
    risk: Risk,
) -> Industry {
    Industry {
        code,
        weight,
        words,
        risk,
    }
}

use Risk::{Chemical, Drug, Food, SpecialEquipment};
const NONE: Risk = Risk::None;

/// Companies (entity type 91).
pub const COMPANIES: &[Industry] = &[
    class("C1392", 5, &["食品", "豆制品"], Food),
    class("C1411", 6, &["食品", "烘焙食品"], Food),
    class("C1432", 4, &["食品", "冷冻食品"], Food),
    class("C1522", 3, &["饮用水", "饮品"], Food),
    class("C1819", 15, &["服装", "服饰"], NONE),
    class("C2641", 4, &["涂料", "化工"], Chemical),
    class("C2682", 3, &["化妆品", "日化"], NONE),
    class("C2720", 3, &["制药", "药业"], Drug),
    class("C2740", 2, &["药业", "中药"], Drug),
    class("C2927", 12, &["塑胶制品", "塑料制品"], NONE),
    class("C3311", 10, &["钢结构", "金属制品"], NONE),
    class("C3411", 2, &["锅炉"], SpecialEquipment),
    class("C3435", 3, &["电梯", "电梯设备"], SpecialEquipment),
    class("C3511", 2, &["矿山机械", "机械设备"], NONE),
    class("C3841", 8, &["新能源", "电池"], NONE),
    class("C3911", 10, &["电脑", "计算机"], NONE),
    class("C3922", 15, &["通讯设备", "电子"], NONE),
    class("E4710", 25, &["建筑工程", "建设"], NONE),
    class("F5123", 20, &["农产品", "果蔬"], Food),
    class("F5132", 30, &["服装", "服饰贸易"], NONE),
    class("F5151", 5, &["医药", "医药贸易"], Drug),
    class("F5211", 40, &["百货", "商贸"], NONE),
    class("F5212", 20, &["超市", "商业连锁"], Food),
    class("F5251", 15, &["大药房", "医药连锁"], Drug),
    class("F5261", 10, &["汽车销售", "汽车贸易"], NONE),
    class("F5265", 3, &["石化", "能源"], Chemical),
    class("F5292", 80, &["电子商务", "网络科技"], NONE),
    class("G5431", 20, &["物流", "运输"], NONE),
    class("G5435", 2, &["危险货物运输", "化工物流"], Chemical),
    class("G6020", 10, &["快递", "速递"], NONE),
    class("H6110", 5, &["酒店", "酒店管理"], NONE),
    class("H6210", 40, &["餐饮", "餐饮管理"], Food),
    class("H6220", 25, &["餐饮管理", "快餐"], Food),
    class("I6513", 90, &["软件", "信息技术", "网络科技"], NONE),
    class("K7010", 10, &["房地产开发", "置业"], NONE),
    class("K7020", 20, &["物业管理", "物业服务"], NONE),
    class("L7212", 50, &["投资", "资产管理"], NONE),
    class("L7259", 20, &["广告", "文化传播"], NONE),
    class("L7263", 15, &["劳务派遣", "人力资源"], NONE),
    class("M7320", 40, &["科技", "技术研究"], NONE),
    class("O8040", 15, &["美容", "美发"], NONE),
    class("O8111", 15, &["汽车服务", "汽车维修"], NONE),
    class("P8391", 10, &["职业培训", "教育科技"], NONE),
    class("Q8425", 5, &["门诊部", "医疗"], NONE),
    class("R9011", 5, &["娱乐", "文化娱乐"], NONE),
];

/// Individual businesses (entity type 92): the words are shop names.
pub const SHOPS: &[Industry] = &[
    class("F5213", 25, &["便利店", "商店"], Food),
    class("F5223", 15, &["水果店", "果蔬店"], Food),
    class("F5224", 8, &["肉菜档", "海鲜档"], Food),
    class("F5227", 3, &["烟酒商行"], NONE),
    class("F5232", 12, &["服装店", "时装店"], NONE),
    class("F5251", 4, &["药店"], Drug),
    class("F5292", 10, &["网店"], NONE),
    class("H6210", 15, &["饭店", "酒家", "餐馆"], Food),
    class("H6220", 15, &["快餐店", "小吃店"], Food),
    class("O8040", 10, &["理发店", "美容店"], NONE),
    class("O8111", 5, &["汽车维修店", "汽修店"], NONE),
];

/// Farmers' cooperatives (entity type 93).
pub const COOPERATIVES: &[Industry] = &[
    class("A0141", 5, &["蔬菜种植"], NONE),
    class("A0154", 3, &["水果种植", "荔枝种植"], NONE),
    class("A0313", 2, &["生猪养殖"], NONE),
    class("A0321", 2, &["家禽养殖"], NONE),
];

/// The classes an entity type (`b'1'`, `b'2'`, `b'3'`) draws from.
pub fn table(kind: u8) -> &'static [Industry] {
    match kind {
        b'1' => COMPANIES,
        b'2' => SHOPS,
        _ => COOPERATIVES,
    }
}

/// A class table with its weights and parsed codes, ready for drawing.
pub struct Classes {
    pub table: &'static [Industry],
    pub weights: Vec<u64>,
    pub codes: Vec<IndustryCode>,
}

impl Classes {
    pub fn of(kind: u8) -> Classes {
        let table = table(kind);
        Classes {
            table,
            weights: table.iter().map(|i| i.weight).collect(),
            codes: table
                .iter()
                .map(|i| {
                    IndustryCode::parse(i.code).expect("class codes of the generator are valid")
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_class_is_a_four_digit_gb_t_4754_code() {
        for kind in [b'1', b'2', b'3'] {
            for class in table(kind) {
                let code = IndustryCode::parse(class.code).unwrap();
                assert_eq!(code.as_str().len(), 5, "{}", class.code);
                assert!(!class.words.is_empty());
            }
        }
    }
}
