//! Believable Chinese names: enterprise names in the form of the name registration rules
//! (division + brand + trade + legal form), and people's names for inspectors.

use super::rng::Rng;

/// Characters brands (字号) are made of, two at a time.
const BRAND: &[char] = &[
    '鑫', '盛', '华', '泰', '达', '恒', '信', '通', '宏', '源', '兴', '旺', '和', '顺', '安', '康',
    '嘉', '瑞', '德', '丰', '金', '海', '天', '博', '创', '新', '远', '成', '明', '利', '荣', '昌',
    '永', '佳', '美', '中', '正', '汇', '联', '腾', '飞', '星', '光', '辉', '宇', '志', '优', '品',
    '智', '君', '立', '捷', '骏', '豪', '锦', '福', '祥', '隆', '晟', '诚', '浩', '伟', '广', '润',
    '泽', '鹏', '万', '东', '合', '同', '宝', '益', '乐', '凯', '越', '展', '云', '森', '杰', '惠',
    '邦', '亿', '盈', '铭', '启', '卓', '睿', '峰', '景', '麒', '雅', '晨', '曦', '蓝', '航', '鼎',
    '鸿', '耀', '俊', '翔', '澳', '粤', '湾', '深', '城', '艺', '尚', '朗', '川', '育', '维', '科',
];

/// Common surnames, the most frequent first (drawn with falling weights).
const SURNAMES: &[char] = &[
    '王', '李', '张', '刘', '陈', '杨', '黄', '赵', '吴', '周', '徐', '孙', '马', '朱', '胡', '郭',
    '何', '林', '罗', '高', '郑', '梁', '谢', '宋', '唐', '许', '韩', '冯', '邓', '曹', '彭', '曾',
    '肖', '田', '董', '潘', '袁', '蔡', '蒋', '余', '于', '杜', '叶', '程', '魏', '苏', '吕', '丁',
    '任', '卢', '姚', '沈', '钟', '姜', '崔', '谭', '陆', '范', '汪', '廖', '石', '金', '韦', '贾',
    '夏', '付', '方', '邹', '熊', '白', '孟', '秦', '邱', '侯', '江', '尹', '薛', '段', '雷', '龙',
    '黎', '史', '陶', '贺', '毛', '郝', '顾', '龚', '邵', '万', '覃', '武', '钱', '戴', '严', '欧',
];

/// Characters of given names.
const GIVEN: &[char] = &[
    '伟', '芳', '娜', '敏', '静', '丽', '强', '磊', '军', '洋', '勇', '艳', '杰', '娟', '涛', '明',
    '超', '秀', '霞', '平', '刚', '桂', '英', '华', '玉', '萍', '红', '鹏', '辉', '建', '国', '文',
    '斌', '宇', '浩', '凯', '健', '俊', '帆', '旭', '宁', '林', '欣', '婷', '雪', '琳', '晨', '阳',
    '佳', '子', '轩', '博', '思', '雨', '晓', '志', '海', '峰', '亮', '成', '荣', '慧', '颖', '玲',
    '倩', '嘉', '振', '德', '永', '立', '春', '秋', '冬', '梅', '兰', '芬', '彬', '毅', '锋', '焕',
];

/// A two-character brand of distinct characters.
pub fn brand(rng: &mut Rng) -> String {
    let first = rng.below(BRAND.len() as u64) as usize;
    let second = (first + 1 + rng.below(BRAND.len() as u64 - 1) as usize) % BRAND.len();
    [BRAND[first], BRAND[second]].iter().collect()
}

/// The legal form that closes a company name.
fn company_form(rng: &mut Rng) -> &'static str {
    match rng.below(100) {
        0..=84 => "有限公司",
        85..=94 => "股份有限公司",
        _ => "有限责任公司",
    }
}

/// An enterprise name for entity `kind`: `深圳市南山区鑫盛软件有限公司`,
/// `深圳市南山区鑫盛便利店（个体工商户）`, `深圳市龙岗区鑫盛蔬菜种植专业合作社`.
pub fn enterprise(rng: &mut Rng, kind: u8, prefix: &str, words: &[&str]) -> String {
    let brand = brand(rng);
    let word = rng.pick(words);
    match kind {
        b'1' => format!("{prefix}{brand}{word}{}", company_form(rng)),
        b'2' => format!("{prefix}{brand}{word}（个体工商户）"),
        _ => format!("{prefix}{brand}{word}专业合作社"),
    }
}

/// A person's name: a surname (common ones more likely) and one or two given characters.
pub fn person(rng: &mut Rng) -> String {
    // Squaring a uniform draw favours the front of the list, as real surnames are skewed.
    let n = SURNAMES.len() as u64;
    let u = rng.below(n * n);
    let surname = SURNAMES[(u * u / (n * n * n)) as usize];
    let mut name = String::from(surname);
    let given = if rng.chance(7_000) { 2 } else { 1 };
    for _ in 0..given {
        name.push(*rng.pick(GIVEN));
    }
    name
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gen::rng::Stream;

    #[test]
    fn brands_have_two_distinct_characters() {
        let mut rng = Rng::new(5, Stream::Enterprises);
        for _ in 0..1_000 {
            let b: Vec<char> = brand(&mut rng).chars().collect();
            assert_eq!(b.len(), 2);
            assert_ne!(b[0], b[1]);
        }
    }

    #[test]
    fn names_follow_the_legal_forms() {
        let mut rng = Rng::new(5, Stream::Enterprises);
        let shop = enterprise(&mut rng, b'2', "深圳市南山区", &["便利店"]);
        assert!(shop.starts_with("深圳市南山区") && shop.ends_with("便利店（个体工商户）"));
        let coop = enterprise(&mut rng, b'3', "深圳市龙岗区", &["蔬菜种植"]);
        assert!(coop.ends_with("蔬菜种植专业合作社"));
        let person = person(&mut rng);
        assert!((2..=3).contains(&person.chars().count()));
    }
}
