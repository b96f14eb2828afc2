//! The fixed lists of inspection work (`docs/results.md` §2, §4): check methods and the reasons a
//! job is not carried out are closed lists in code (`docs/domain.md`, "Inspection results");
//! result categories are data (table `result_categories`, seeded by migration 0006 with those of
//! the national enterprise credit publicity system), read with [`Categories::load`].

use sqlx::AnyConnection;

/// How a check was made (检查方式).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    OnSite,
    Documents,
    Online,
    Testing,
    Agency,
    OtherDepartment,
}

const METHODS: &[(Method, &str, &str)] = &[
    (Method::OnSite, "on-site", "实地"),
    (Method::Documents, "documents", "书面"),
    (Method::Online, "online", "网络监测"),
    (Method::Testing, "testing", "检验检测"),
    (Method::Agency, "agency", "委托专业机构"),
    (
        Method::OtherDepartment,
        "other-department",
        "行政部门检查结果或专业意见",
    ),
];

impl Method {
    /// A method by its code or Chinese name.
    pub fn parse(s: &str) -> Result<Method, String> {
        METHODS
            .iter()
            .find(|(_, code, name)| *code == s || *name == s)
            .map(|(m, _, _)| *m)
            .ok_or_else(|| {
                format!(
                    "unknown method '{s}'; one of: {}",
                    METHODS
                        .iter()
                        .map(|(_, c, n)| format!("{c} ({n})"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })
    }

    pub fn code(self) -> &'static str {
        METHODS
            .iter()
            .find(|(m, _, _)| *m == self)
            .expect("listed")
            .1
    }

    pub fn name_zh(self) -> &'static str {
        METHODS
            .iter()
            .find(|(m, _, _)| *m == self)
            .expect("listed")
            .2
    }
}

/// Every method as (code, Chinese name), in the published order (for forms).
pub fn methods() -> impl Iterator<Item = (&'static str, &'static str)> {
    METHODS.iter().map(|(_, c, n)| (*c, *n))
}

/// Every not-carried-out reason as (code, Chinese name) (for forms).
pub fn not_done_reasons() -> impl Iterator<Item = (&'static str, &'static str)> {
    NOT_DONE.iter().copied()
}

/// Why a job was not carried out (未实施原因).
const NOT_DONE: &[(&str, &str)] = &[
    ("deregistered", "企业已注销"),
    ("closed", "企业已关闭停业"),
    ("moved-out", "企业已迁出"),
    ("member-unavailable", "检查人员无法履职且无可替补人员"),
];

/// The code of a not-carried-out reason given by code or Chinese name.
pub fn not_done_reason(s: &str) -> Result<&'static str, String> {
    NOT_DONE
        .iter()
        .find(|(c, n)| *c == s || *n == s)
        .map(|(c, _)| *c)
        .ok_or_else(|| {
            format!(
                "unknown reason '{s}'; one of: {}",
                NOT_DONE
                    .iter()
                    .map(|(c, n)| format!("{c} ({n})"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })
}

/// The Chinese name of a not-carried-out reason code.
pub fn not_done_name(code: &str) -> &'static str {
    NOT_DONE
        .iter()
        .find(|(c, _)| *c == code)
        .map_or("", |(_, n)| n)
}

/// The result categories in force, in their published order.
#[derive(Clone, Debug)]
pub struct Categories(pub Vec<(String, String)>);

impl Categories {
    pub async fn load(conn: &mut AnyConnection) -> Result<Categories, sqlx::Error> {
        Ok(Categories(
            sqlx::query_as("SELECT code, name FROM result_categories ORDER BY ordinal, code")
                .fetch_all(conn)
                .await?,
        ))
    }

    /// A category's code, given its code or its Chinese name.
    pub fn parse(&self, s: &str) -> Result<String, String> {
        self.0
            .iter()
            .find(|(c, n)| c == s || n == s)
            .map(|(c, _)| c.clone())
            .ok_or_else(|| {
                format!("unknown result category '{s}'; see GET /api/v1/result-categories")
            })
    }

    pub fn name(&self, code: &str) -> String {
        self.0
            .iter()
            .find(|(c, _)| c == code)
            .map_or_else(|| code.to_string(), |(_, n)| n.clone())
    }
}

/// The categories as read once by this process. They change only with a migration
/// (`docs/results.md` §4), and migrations run before a service serves, so the public reads
/// (`docs/results.md` §6) take them from here instead of reading the table per request.
#[derive(Clone, Default)]
pub struct CategoriesCache(std::sync::Arc<tokio::sync::OnceCell<std::sync::Arc<Categories>>>);

impl CategoriesCache {
    /// The categories, read from `db` the first time.
    pub async fn get(&self, db: &crate::db::Db) -> Result<std::sync::Arc<Categories>, sqlx::Error> {
        self.0
            .get_or_try_init(|| async {
                let mut conn = db.pool.acquire().await?;
                Ok(std::sync::Arc::new(Categories::load(&mut conn).await?))
            })
            .await
            .cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn methods_parse_by_code_or_chinese_name() {
        assert_eq!(Method::parse("实地"), Ok(Method::OnSite));
        assert_eq!(Method::parse("agency"), Ok(Method::Agency));
        assert_eq!(
            Method::OtherDepartment.name_zh(),
            "行政部门检查结果或专业意见"
        );
        assert!(Method::parse("电话")
            .unwrap_err()
            .contains("unknown method"));
    }

    #[test]
    fn not_done_reasons_are_a_closed_list() {
        assert_eq!(not_done_reason("企业已注销"), Ok("deregistered"));
        assert_eq!(
            not_done_reason("member-unavailable"),
            Ok("member-unavailable")
        );
        assert!(not_done_reason("weather").is_err());
    }
}
