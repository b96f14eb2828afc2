//! The tables that can be imported and exported: their columns (canonical names equal the
//! database columns; Chinese aliases accepted on import), types, keys and references.

use super::source::Column;

/// How a column is stored and written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColType {
    Text,
    OptText,
    Int,
    Flag,
}

/// A value ready to bind.
pub use crate::db::Bind as Value;

/// What a column refers to, checked before anything is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Target {
    Enterprise,
    Department,
    /// Department codes, `;`-joined (`key_departments`); each must exist.
    Departments,
    Inspector,
}

impl Target {
    pub fn table(self) -> (&'static str, &'static str, &'static str) {
        match self {
            Target::Enterprise => ("enterprises", "uscc", "enterprises"),
            Target::Department | Target::Departments => ("departments", "code", "departments"),
            Target::Inspector => ("inspectors", "id", "inspectors"),
        }
    }
}

/// One importable table.
pub struct TableSpec {
    pub table: &'static str,
    pub columns: &'static [Column],
    pub types: &'static [ColType],
    /// The natural key, also the export order.
    pub key: &'static [&'static str],
    /// Columns that must name an existing row elsewhere.
    pub refs: &'static [(&'static str, Target)],
}

const fn col(name: &'static str, aliases: &'static [&'static str]) -> Column {
    Column {
        name,
        aliases,
        required: true,
    }
}

const fn opt(name: &'static str, aliases: &'static [&'static str]) -> Column {
    Column {
        name,
        aliases,
        required: false,
    }
}

pub const ENTERPRISES: TableSpec = TableSpec {
    table: "enterprises",
    columns: &[
        col("uscc", &["统一社会信用代码", "信用代码", "社会信用代码"]),
        col("name", &["企业名称", "名称", "经营主体名称"]),
        col("region", &["行政区划", "行政区划代码", "所属区域"]),
        col("industry", &["所属行业", "行业代码", "国民经济行业代码"]),
        col("registered_on", &["成立日期", "注册日期"]),
        opt("status", &["经营状态", "登记状态"]),
        col("base_tier", &["信用风险分类", "风险分类", "信用分类"]),
        opt("key_supervision", &["重点监管", "是否重点监管"]),
        opt("key_departments", &["重点监管部门"]),
    ],
    types: &[
        ColType::Text,
        ColType::Text,
        ColType::Text,
        ColType::Text,
        ColType::Text,
        ColType::Text,
        ColType::Text,
        ColType::Flag,
        ColType::Text,
    ],
    key: &["uscc"],
    refs: &[("key_departments", Target::Departments)],
};

pub const DEPARTMENTS: TableSpec = TableSpec {
    table: "departments",
    columns: &[
        col("code", &["部门代码", "部门编码"]),
        col("name", &["部门名称", "部门"]),
    ],
    types: &[ColType::Text, ColType::Text],
    key: &["code"],
    refs: &[],
};

pub const ITEMS: TableSpec = TableSpec {
    table: "items",
    columns: &[
        col("code", &["事项编码", "事项代码"]),
        col("department", &["部门代码", "实施部门"]),
        col("name", &["事项名称", "抽查事项"]),
        col("kind", &["事项类别", "检查类别"]),
        col("legal_basis", &["检查依据", "法律依据"]),
        opt("industries", &["适用行业"]),
        opt("specialty", &["所需专业", "专业领域"]),
    ],
    types: &[ColType::Text; 7],
    key: &["code"],
    refs: &[("department", Target::Department)],
};

pub const INSPECTORS: TableSpec = TableSpec {
    table: "inspectors",
    columns: &[
        col("id", &["执法人员编号", "人员编号"]),
        col("name", &["姓名", "执法人员姓名"]),
        col("department", &["所属部门", "部门代码"]),
        col("region", &["行政区划", "所属区域"]),
        col("certificate_no", &["执法证号", "执法证件号"]),
        col("certificate_valid_from", &["证件有效期起", "发证日期"]),
        col("certificate_valid_until", &["证件有效期至", "证件有效期止"]),
        opt("specialties", &["专业领域", "专长"]),
        col("capacity", &["年度检查能力", "年检查上限"]),
    ],
    types: &[
        ColType::Text,
        ColType::Text,
        ColType::Text,
        ColType::Text,
        ColType::Text,
        ColType::Text,
        ColType::Text,
        ColType::Text,
        ColType::Int,
    ],
    key: &["id"],
    refs: &[("department", Target::Department)],
};

pub const CONFLICTS: TableSpec = TableSpec {
    table: "conflicts",
    columns: &[
        col("inspector", &["执法人员编号", "人员编号"]),
        col("uscc", &["统一社会信用代码", "信用代码"]),
        col("reason", &["回避事由", "回避原因"]),
        col("declared_on", &["申报日期", "声明日期"]),
    ],
    types: &[ColType::Text; 4],
    key: &["inspector", "uscc"],
    refs: &[
        ("inspector", Target::Inspector),
        ("uscc", Target::Enterprise),
    ],
};

pub const CREDIT_RECORDS: TableSpec = TableSpec {
    table: "credit_records",
    columns: &[
        col("uscc", &["统一社会信用代码", "信用代码"]),
        col("kind", &["类别", "记录类别", "信用记录类别"]),
        col("department", &["来源部门", "部门代码"]),
        col("document_no", &["决定书文号", "文书号"]),
        col("decided_on", &["决定日期", "作出决定日期"]),
        opt("publicity_min_until", &["最短公示期至", "可申请修复日期"]),
        opt("publicity_max_until", &["公示截止日期", "最长公示期至"]),
        opt("early_end_allowed", &["可提前修复", "可提前结束公示"]),
        opt("status", &["状态", "记录状态"]),
        opt("ended_on", &["公示结束日期", "提前结束日期"]),
        opt("summary", &["事由", "违法事实", "摘要"]),
    ],
    types: &[
        ColType::Text,
        ColType::Text,
        ColType::Text,
        ColType::Text,
        ColType::Text,
        ColType::Text,
        ColType::Text,
        ColType::Flag,
        ColType::Text,
        ColType::OptText,
        ColType::Text,
    ],
    key: &["department", "document_no"],
    refs: &[
        ("uscc", Target::Enterprise),
        ("department", Target::Department),
    ],
};
