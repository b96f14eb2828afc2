//! Participating departments and their published lists of inspection items (抽查事项清单),
//! with the legal basis of each item (`docs/domain.md`: no check without a published item and a legal
//! basis), and the wording of the credit records each department decides.

use crate::registry::model::{IndustryCode, ItemKind};

/// One inspection item of a department's list.
pub struct ItemSpec {
    pub name: &'static str,
    pub kind: ItemKind,
    pub legal_basis: &'static str,
    /// `;`-separated GB/T 4754 prefixes; empty for all industries.
    pub industries: &'static str,
    pub specialty: &'static str,
}

/// One department: code, name, document abbreviation and what it inspects and decides.
pub struct DepartmentSpec {
    pub code: &'static str,
    pub name: &'static str,
    /// Abbreviation in decision document numbers: `市监` in `深市监罚〔2025〕1021号`.
    pub abbreviation: &'static str,
    /// Relative share of the inspectors beyond the two every region has.
    pub inspector_weight: u64,
    pub items: &'static [ItemSpec],
    /// Facts of minor, general and serious penalties.
    pub penalties: [&'static [&'static str]; 3],
    pub commendation: &'static str,
}

impl DepartmentSpec {
    /// Whether one of the department's items names `industry` (items for all industries aside).
    pub fn targets(&self, industry: &IndustryCode) -> bool {
        self.items.iter().any(|item| {
            item.industries
                .split(';')
                .any(|p| !p.is_empty() && industry.as_str().starts_with(p))
        })
    }

    /// The specialties of the department's items, sorted and without duplicates.
    pub fn specialties(&self) -> Vec<&'static str> {
        let set: std::collections::BTreeSet<&str> =
            self.items.iter().map(|i| i.specialty).collect();
        set.into_iter().collect()
    }
}

const fn item(
    name: &'static str,
    kind: ItemKind,
    legal_basis: &'static str,
    industries: &'static str,
    specialty: &'static str,
) -> ItemSpec {
    ItemSpec {
        name,
        kind,
        legal_basis,
        industries,
        specialty,
    }
}

const G: ItemKind = ItemKind::General;
const K: ItemKind = ItemKind::Key;

const FOOD_LAW: &str = "《中华人民共和国食品安全法》第一百一十条";
const SPECIAL_EQUIPMENT_LAW: &str = "《中华人民共和国特种设备安全法》第五十七条";
const DRUG_LAW: &str = "《中华人民共和国药品管理法》第九十九条";
const WORK_SAFETY_LAW: &str = "《中华人民共和国安全生产法》第六十五条";
const FIRE_LAW: &str = "《中华人民共和国消防法》第五十三条";

/// All departments, in the order jurisdictions take them: the first eight are the demo city's.
#[rustfmt::skip]
pub const DEPARTMENTS: &[DepartmentSpec] = &[
    DepartmentSpec {
        code: "SCJG", name: "市场监督管理局", abbreviation: "市监", inspector_weight: 5,
        items: &[
            item("企业公示信息检查", G, "《企业信息公示暂行条例》第十四条", "", "综合"),
            item("食品生产者生产活动检查", G, FOOD_LAW, "C13;C14;C15", "食品"),
            item("食品销售者经营活动检查", G, FOOD_LAW, "F512;F522;F5212;F5213", "食品"),
            item("餐饮服务提供者检查", G, FOOD_LAW, "H62", "食品"),
            item("特种设备生产单位检查", K, SPECIAL_EQUIPMENT_LAW, "C34;C35", "特种设备"),
            item("特种设备使用单位检查", G, SPECIAL_EQUIPMENT_LAW, "H61;K7020;F5211;F5212", "特种设备"),
            item("药品零售企业检查", K, DRUG_LAW, "F5251", "药品"),
            item("广告发布行为检查", G, "《中华人民共和国广告法》第四十九条", "", "广告"),
        ],
        penalties: [
            &["未在经营场所醒目位置悬挂营业执照", "未按规定明码标价", "未按规定建立并遵守进货查验记录制度"],
            &["销售不符合食品安全标准的食品", "发布虚假广告", "销售不合格产品", "使用未经定期检验的特种设备"],
            &["生产经营添加非食用物质的食品", "销售假药", "未取得许可生产特种设备"],
        ],
        commendation: "“守合同重信用”企业",
    },
    DepartmentSpec {
        code: "STHJ", name: "生态环境局", abbreviation: "环", inspector_weight: 2,
        items: &[
            item("排污单位检查", G, "《中华人民共和国环境保护法》第二十四条", "C;D", "环境"),
            item("重点排污单位检查", K, "《中华人民共和国水污染防治法》第三十条", "C26;C27;C33;C38", "环境"),
            item("固体废物产生单位检查", G, "《中华人民共和国固体废物污染环境防治法》第二十七条", "C;O8111", "固体废物"),
            item("建设项目环境影响评价制度执行情况检查", G, "《中华人民共和国环境影响评价法》", "C;E", "环评"),
        ],
        penalties: [
            &["未按规定设置危险废物识别标志"],
            &["超过污染物排放标准排放污染物", "建设项目未依法报批环境影响评价文件擅自开工建设"],
            &["通过暗管逃避监管的方式排放水污染物"],
        ],
        commendation: "环保诚信企业",
    },
    DepartmentSpec {
        code: "YJGL", name: "应急管理局", abbreviation: "应急", inspector_weight: 2,
        items: &[
            item("工贸企业安全生产检查", G, WORK_SAFETY_LAW, "C", "安全生产"),
            item("危险化学品经营单位检查", K, "《危险化学品安全管理条例》第七条", "C26;F5265;G5435", "危险化学品"),
            item("有限空间作业安全检查", G, "《工贸企业有限空间作业安全规定》", "C13;C14;C15;E", "安全生产"),
        ],
        penalties: [
            &["未如实记录安全生产教育和培训情况"],
            &["未按规定储存危险化学品", "未按规定对安全设备进行经常性维护、保养"],
            &["重大事故隐患排查治理不力"],
        ],
        commendation: "安全生产标准化一级企业",
    },
    DepartmentSpec {
        code: "WSJK", name: "卫生健康委员会", abbreviation: "卫健", inspector_weight: 2,
        items: &[
            item("公共场所卫生检查", G, "《公共场所卫生管理条例》第十条", "H61;O8040;R90", "公共卫生"),
            item("医疗机构执业检查", K, "《医疗机构管理条例》", "Q84", "医疗"),
            item("职业病危害因素检查", G, "《中华人民共和国职业病防治法》第六十二条", "C", "职业卫生"),
        ],
        penalties: [
            &["公共场所从业人员未取得有效健康合格证明"],
            &["未按规定进行职业病危害因素检测", "使用非卫生技术人员从事医疗卫生技术工作"],
            &["未取得《医疗机构执业许可证》擅自执业"],
        ],
        commendation: "健康企业建设示范单位",
    },
    DepartmentSpec {
        code: "XFJY", name: "消防救援支队", abbreviation: "消", inspector_weight: 2,
        items: &[
            item("消防安全重点单位检查", K, FIRE_LAW, "H61;R90;F5211;F5212", "消防"),
            item("一般单位消防安全检查", G, FIRE_LAW, "", "消防"),
            item("生产加工企业消防安全检查", G, FIRE_LAW, "C", "消防"),
        ],
        penalties: [
            &["占用、堵塞、封闭疏散通道、安全出口"],
            &["消防设施、器材未保持完好有效", "人员密集场所使用不合格的消防产品"],
            &["公众聚集场所未经消防安全检查擅自投入使用"],
        ],
        commendation: "消防安全标准化管理示范单位",
    },
    DepartmentSpec {
        code: "ZJJ", name: "住房和城乡建设局", abbreviation: "建", inspector_weight: 1,
        items: &[
            item("建筑施工企业安全生产检查", G, "《建设工程安全生产管理条例》", "E", "建设工程"),
            item("建设工程质量检查", G, "《建设工程质量管理条例》第四十七条", "E47;E48", "建设工程"),
            item("物业服务企业检查", G, "《物业管理条例》第五条", "K7020", "物业"),
            item("房地产开发企业检查", G, "《城市房地产开发经营管理条例》", "K7010", "房地产"),
        ],
        penalties: [
            &["物业服务企业未按规定公示服务信息"],
            &["未取得施工许可证擅自施工", "未按规定办理商品房预售许可擅自预售"],
            &["违反工程建设强制性标准降低工程质量"],
        ],
        commendation: "优质工程奖",
    },
    DepartmentSpec {
        code: "RSJ", name: "人力资源和社会保障局", abbreviation: "人社", inspector_weight: 1,
        items: &[
            item("劳动用工情况检查", G, "《劳动保障监察条例》第十一条", "", "劳动保障"),
            item("劳务派遣单位检查", G, "《中华人民共和国劳动合同法》第七十四条", "L7263", "劳动保障"),
            item("人力资源服务机构检查", G, "《人力资源市场暂行条例》", "L726", "人力资源"),
        ],
        penalties: [
            &["未按规定建立职工名册"],
            &["未依法与劳动者订立书面劳动合同", "克扣、无故拖欠劳动者工资"],
            &["拒不支付劳动报酬"],
        ],
        commendation: "劳动关系和谐企业",
    },
    DepartmentSpec {
        code: "JTJ", name: "交通运输局", abbreviation: "交", inspector_weight: 1,
        items: &[
            item("道路货物运输经营者检查", G, "《中华人民共和国道路运输条例》", "G543", "道路运输"),
            item("危险货物道路运输企业检查", K, WORK_SAFETY_LAW, "G5435", "危险货物运输"),
            item("机动车维修经营者检查", G, "《中华人民共和国道路运输条例》", "O8111", "机动车维修"),
        ],
        penalties: [
            &["道路运输车辆未随车携带道路运输证"],
            &["未取得道路运输经营许可擅自从事道路运输", "机动车维修经营者使用假冒伪劣配件"],
            &["未取得危险货物道路运输许可擅自运输危险货物"],
        ],
        commendation: "道路运输诚信考核AAA级企业",
    },
    DepartmentSpec {
        code: "SWJ", name: "税务局", abbreviation: "税", inspector_weight: 2,
        items: &[
            item("纳税人税务检查", G, "《中华人民共和国税收征收管理法》第五十四条", "", "税务"),
            item("发票使用情况检查", G, "《中华人民共和国发票管理办法》", "", "发票"),
            item("重点税源企业检查", K, "《中华人民共和国税收征收管理法》第五十四条", "C;F51;K70", "税务"),
        ],
        penalties: [
            &["未按照规定期限办理纳税申报"],
            &["未按规定开具发票", "进行虚假纳税申报少缴税款"],
            &["虚开增值税专用发票"],
        ],
        commendation: "纳税信用A级纳税人",
    },
    DepartmentSpec {
        code: "WHLY", name: "文化广电旅游体育局", abbreviation: "文旅", inspector_weight: 1,
        items: &[
            item("娱乐场所经营活动检查", G, "《娱乐场所管理条例》", "R90", "文化市场"),
            item("旅行社经营活动检查", G, "《旅行社条例》", "L727", "旅游"),
            item("互联网上网服务营业场所检查", G, "《互联网上网服务营业场所管理条例》", "R9013", "文化市场"),
        ],
        penalties: [
            &["娱乐场所未按规定悬挂警示标志"],
            &["娱乐场所超时经营", "旅行社未与旅游者订立书面合同"],
            &["擅自从事娱乐场所经营活动"],
        ],
        commendation: "文明旅游示范单位",
    },
    DepartmentSpec {
        code: "NYNC", name: "农业农村局", abbreviation: "农", inspector_weight: 1,
        items: &[
            item("农产品生产经营者质量安全检查", G, "《中华人民共和国农产品质量安全法》", "A01;A03", "农产品"),
            item("动物防疫条件检查", G, "《中华人民共和国动物防疫法》", "A03", "动物防疫"),
            item("饲料生产企业检查", G, "《饲料和饲料添加剂管理条例》", "C132", "饲料"),
        ],
        penalties: [
            &["未按规定建立农产品生产记录"],
            &["销售农药残留超标的农产品", "未取得动物防疫条件合格证从事动物饲养"],
            &["使用国家禁用的农药"],
        ],
        commendation: "农业产业化重点龙头企业",
    },
    DepartmentSpec {
        code: "SWU", name: "水务局", abbreviation: "水", inspector_weight: 1,
        items: &[
            item("取用水单位检查", G, "《中华人民共和国水法》第六十条", "C;D", "水资源"),
            item("排水户检查", G, "《城镇排水与污水处理条例》", "H62;C13;C14", "排水"),
            item("生产建设项目水土保持检查", G, "《中华人民共和国水土保持法》", "E", "水土保持"),
        ],
        penalties: [
            &["未按规定安装取水计量设施"],
            &["未取得排水许可向城镇排水设施排放污水", "未经批准擅自取水"],
            &["向城镇排水设施排放有毒有害物质"],
        ],
        commendation: "节水型企业",
    },
    DepartmentSpec {
        code: "CGJ", name: "城市管理和综合执法局", abbreviation: "城管", inspector_weight: 1,
        items: &[
            item("户外广告设置检查", G, "《城市市容和环境卫生管理条例》", "", "市容"),
            item("餐厨垃圾产生单位检查", G, "《城市市容和环境卫生管理条例》", "H62", "环境卫生"),
            item("燃气经营企业检查", K, "《城镇燃气管理条例》", "D45;F5265", "燃气"),
        ],
        penalties: [
            &["擅自设置户外广告"],
            &["餐厨垃圾未交由有资质单位收运", "未按规定设置燃气安全警示标志"],
            &["未取得燃气经营许可证从事燃气经营活动"],
        ],
        commendation: "市容环境卫生责任区示范单位",
    },
    DepartmentSpec {
        code: "SWJU", name: "商务局", abbreviation: "商务", inspector_weight: 1,
        items: &[
            item("单用途预付卡发卡企业检查", G, "《单用途商业预付卡管理办法（试行）》", "F52;H62;O80", "预付卡"),
            item("商业特许经营活动检查", G, "《商业特许经营管理条例》", "F52;H62", "特许经营"),
            item("汽车销售企业检查", G, "《汽车销售管理办法》", "F5261", "汽车流通"),
        ],
        penalties: [
            &["未按规定办理单用途预付卡备案"],
            &["特许人未按规定披露信息", "预付卡资金未按规定存管"],
            &["违规发行单用途预付卡拒不整改"],
        ],
        commendation: "商贸流通诚信示范企业",
    },
    DepartmentSpec {
        code: "JYJ", name: "教育局", abbreviation: "教", inspector_weight: 1,
        items: &[
            item("校外培训机构检查", G, "《中华人民共和国民办教育促进法》", "P839", "教育培训"),
            item("民办学校办学行为检查", G, "《中华人民共和国民办教育促进法实施条例》", "P83", "民办教育"),
            item("培训机构收费行为检查", G, "《中华人民共和国价格法》", "P839", "收费"),
        ],
        penalties: [
            &["培训机构未公示收费项目"],
            &["超出批准范围开展培训", "预收费超过规定期限"],
            &["未经批准擅自举办培训机构"],
        ],
        commendation: "民办教育规范办学先进单位",
    },
    DepartmentSpec {
        code: "MZJ", name: "民政局", abbreviation: "民", inspector_weight: 1,
        items: &[
            item("养老机构检查", G, "《养老机构管理办法》", "Q85", "养老服务"),
            item("殡葬服务单位检查", G, "《殡葬管理条例》", "O807", "殡葬"),
            item("养老服务质量检查", G, "《养老机构服务质量基本规范》", "Q85", "养老服务"),
        ],
        penalties: [
            &["养老机构未按规定建立入住评估档案"],
            &["养老机构未与老年人签订服务协议", "殡葬服务单位未明码标价"],
            &["养老机构歧视、侮辱、虐待老年人"],
        ],
        commendation: "星级养老机构",
    },
    DepartmentSpec {
        code: "ZRZY", name: "规划和自然资源局", abbreviation: "规资", inspector_weight: 1,
        items: &[
            item("矿产资源开采检查", G, "《中华人民共和国矿产资源法》", "B", "矿产资源"),
            item("土地利用检查", G, "《中华人民共和国土地管理法》第六十八条", "", "土地"),
            item("测绘资质单位检查", G, "《中华人民共和国测绘法》", "M74", "测绘"),
        ],
        penalties: [
            &["测绘成果未按规定汇交"],
            &["未经批准非法占用土地", "超越资质等级从事测绘活动"],
            &["无证开采矿产资源"],
        ],
        commendation: "绿色矿山",
    },
    DepartmentSpec {
        code: "GAJ", name: "公安局", abbreviation: "公治", inspector_weight: 1,
        items: &[
            item("旅馆业治安检查", G, "《旅馆业治安管理办法》", "H61", "治安"),
            item("娱乐场所治安检查", G, "《娱乐场所管理条例》", "R901", "治安"),
            item("废旧金属收购业检查", G, "《废旧金属收购业治安管理办法》", "F519", "治安"),
        ],
        penalties: [
            &["旅馆未按规定登记住宿旅客信息"],
            &["娱乐场所未按规定安装闭路电视监控设备", "收购国家禁止收购的金属物品"],
            &["旅馆为违法犯罪活动提供条件"],
        ],
        commendation: "治安保卫先进单位",
    },
    DepartmentSpec {
        code: "YCJ", name: "烟草专卖局", abbreviation: "烟", inspector_weight: 1,
        items: &[
            item("烟草专卖零售许可证持证户检查", G, "《中华人民共和国烟草专卖法》", "F5227;F5211;F5212;F5213", "烟草专卖"),
            item("电子烟经营者检查", G, "《电子烟管理办法》", "F5227;F5292", "烟草专卖"),
            item("卷烟零售价格检查", G, "《中华人民共和国烟草专卖法实施条例》", "F5213;F5227", "烟草专卖"),
        ],
        penalties: [
            &["未在当地烟草专卖批发企业进货"],
            &["销售非法生产的烟草专卖品", "超范围经营电子烟"],
            &["无烟草专卖零售许可证经营烟草制品零售业务"],
        ],
        commendation: "诚信经营示范户",
    },
    DepartmentSpec {
        code: "YJJ", name: "药品监督管理局", abbreviation: "药监", inspector_weight: 1,
        items: &[
            item("药品生产企业检查", K, DRUG_LAW, "C27", "药品"),
            item("药品批发企业检查", G, DRUG_LAW, "F515", "药品"),
            item("医疗器械生产企业检查", G, "《医疗器械监督管理条例》", "C358", "医疗器械"),
            item("化妆品生产企业检查", G, "《化妆品监督管理条例》", "C268", "化妆品"),
        ],
        penalties: [
            &["未按规定报告药品不良反应"],
            &["未遵守药品经营质量管理规范", "生产未经备案的普通化妆品"],
            &["生产、销售劣药情节严重"],
        ],
        commendation: "药品安全信用A级企业",
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_department_has_three_to_eight_items_with_valid_industries() {
        for d in DEPARTMENTS {
            assert!((3..=8).contains(&d.items.len()), "{}", d.code);
            for item in d.items {
                for prefix in item.industries.split(';').filter(|p| !p.is_empty()) {
                    IndustryCode::parse(prefix).unwrap();
                }
                assert!(!item.specialty.is_empty() && item.legal_basis.starts_with('《'));
            }
            assert!(d.penalties.iter().all(|p| !p.is_empty()));
        }
        let mut codes: Vec<&str> = DEPARTMENTS.iter().map(|d| d.code).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), 20);
    }
}
