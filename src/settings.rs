//! Settings: the numbers `docs/domain.md` leaves to local authorities ("set per sector"), stored in
//! the database so the CLI and every service replica see the same values. The decision's default
//! is the local practice `docs/domain.md` cites; intake's is this project's choice.

use crate::credit::repair::RepairSettings;
use sqlx::AnyConnection;
use std::collections::BTreeMap;

/// A known setting: key, default, meaning.
pub struct Setting {
    pub key: &'static str,
    pub default: u32,
    pub meaning: &'static str,
}

pub const SETTINGS: &[Setting] = &[
    Setting {
        key: "repair.intake_workdays",
        default: 3,
        meaning: "working days to accept or refuse a credit-repair request at intake",
    },
    Setting {
        key: "repair.decision_workdays",
        default: 10,
        meaning: "working days from acceptance to the repair decision (local practice: 10)",
    },
    Setting {
        key: "results.publication_workdays",
        default: 20,
        meaning: "working days from a check to the publication of its result (企业信息公示暂行条例 art. 6: 20)",
    },
];

/// Why a setting could not be changed.
#[derive(Debug, thiserror::Error)]
pub enum SettingError {
    #[error("unknown setting '{name}'; known: {known}")]
    Unknown { name: String, known: String },
    #[error("setting {key}: '{value}' is not a whole number from 0 to 365")]
    BadValue { key: String, value: String },
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// Every setting with its current value.
pub async fn all(conn: &mut AnyConnection) -> Result<BTreeMap<&'static str, u32>, sqlx::Error> {
    let stored: BTreeMap<String, String> =
        sqlx::query_as::<_, (String, String)>("SELECT key, value FROM settings")
            .fetch_all(conn)
            .await?
            .into_iter()
            .collect();
    Ok(SETTINGS
        .iter()
        .map(|s| {
            let v = stored
                .get(s.key)
                .and_then(|v| v.parse().ok())
                .unwrap_or(s.default);
            (s.key, v)
        })
        .collect())
}

/// Changes one setting inside the caller's transaction.
pub async fn set(
    conn: &mut AnyConnection,
    key: &str,
    value: &str,
    actor: &str,
    at: &str,
) -> Result<(), SettingError> {
    if !SETTINGS.iter().any(|s| s.key == key) {
        return Err(SettingError::Unknown {
            name: key.to_string(),
            known: SETTINGS
                .iter()
                .map(|s| s.key)
                .collect::<Vec<_>>()
                .join(", "),
        });
    }
    let parsed: u32 =
        value
            .parse()
            .ok()
            .filter(|v| *v <= 365)
            .ok_or_else(|| SettingError::BadValue {
                key: key.to_string(),
                value: value.to_string(),
            })?;
    sqlx::query("INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value")
        .bind(key)
        .bind(parsed.to_string())
        .execute(&mut *conn)
        .await?;
    let detail = serde_json::json!({ "value": parsed });
    crate::audit::append(conn, actor, "setting.set", key, &detail, at).await?;
    Ok(())
}

/// The repair deadlines in force.
pub async fn repair(conn: &mut AnyConnection) -> Result<RepairSettings, sqlx::Error> {
    let all = all(conn).await?;
    Ok(RepairSettings {
        intake_workdays: all["repair.intake_workdays"],
        decision_workdays: all["repair.decision_workdays"],
    })
}

/// Working days from a check to the publication of its result (`docs/results.md` §5).
pub async fn publication_workdays(conn: &mut AnyConnection) -> Result<u32, sqlx::Error> {
    Ok(all(conn).await?["results.publication_workdays"])
}
