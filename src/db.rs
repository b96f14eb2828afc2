//! Storage: one pool over SQLite (the embedded default) or PostgreSQL, chosen by URL.
//!
//! Both databases run the same SQL through sqlx's `Any` driver: dates are ISO TEXT, flags and
//! counts are 64-bit integers, placeholders are `$1, $2, …` (which SQLite also accepts).
//! Migrations live per dialect under `migrations/` and are embedded in the binary. Every write
//! goes through [`Db::begin`]; the use case that asked for the change commits (`docs/architecture.md`, "Conventions").
//!
//! Beside the `Any` pool, [`Native`] connections serve what `Any` cannot do or does slowly:
//! `COPY` for PostgreSQL imports (an `AnyConnection` cannot be turned into a `PgConnection`),
//! and the hot read path ([`Reads`]), which skips `Any`'s conversion of every value and the
//! pool's pings.

mod reads;

pub use reads::{Lease, Reads};
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::postgres::{PgConnectOptions, PgConnection};
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqliteSynchronous};
use sqlx::{Any, AnyPool, ConnectOptions, Executor, Transaction};
use std::str::FromStr;
use std::sync::Arc;
use tokio::sync::{Mutex, OwnedMutexGuard};

/// Which database a URL names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// The database `conn` is connected to.
    pub fn of(conn: &sqlx::AnyConnection) -> Backend {
        if conn.backend_name() == "SQLite" {
            Backend::Sqlite
        } else {
            Backend::Postgres
        }
    }
}

/// Why the database could not be opened or used.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("unsupported database URL '{0}': use sqlite://FILE or postgres://…")]
    UnsupportedUrl(String),
    #[error("cannot connect to {url}: {source}")]
    Connect { url: String, source: sqlx::Error },
    #[error("cannot migrate the database: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error(transparent)]
    Sql(#[from] sqlx::Error),
}

/// A handle on the database, cheap to clone.
#[derive(Clone)]
pub struct Db {
    pub pool: AnyPool,
    pub backend: Backend,
    /// The same database through its native driver.
    pub native: Native,
    /// SQLite has one writer; taking the write lock in-process first avoids `SQLITE_BUSY`
    /// upgrades between our own connections.
    write_lock: Option<Arc<Mutex<()>>>,
    /// The log's latest cosigned checkpoint as this process last read or wrote it
    /// (`crate::log::head`): the service serves it without a query per request.
    pub log_head: Arc<crate::log::head::LogHead>,
}

/// A write transaction; dropped without [`Tx::commit`] it rolls back.
pub struct Tx {
    pub tx: Transaction<'static, Any>,
    _guard: Option<OwnedMutexGuard<()>>,
}

impl Tx {
    pub async fn commit(self) -> Result<(), sqlx::Error> {
        self.tx.commit().await
    }
}

impl std::ops::Deref for Tx {
    type Target = sqlx::AnyConnection;
    fn deref(&self) -> &Self::Target {
        &self.tx
    }
}

impl std::ops::DerefMut for Tx {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.tx
    }
}

impl Db {
    /// Opens (creating and migrating if needed) the database at `url`.
    pub async fn connect(url: &str) -> Result<Db, DbError> {
        sqlx::any::install_default_drivers();
        let backend = backend_of(url)?;
        let url = match backend {
            Backend::Sqlite if !url.contains("mode=") => {
                let sep = if url.contains('?') { '&' } else { '?' };
                format!("{url}{sep}mode=rwc")
            }
            _ => url.to_string(),
        };
        let options = AnyConnectOptions::from_str(&url).map_err(|source| DbError::Connect {
            url: url.clone(),
            source,
        })?;
        let pool = AnyPoolOptions::new()
            .max_connections(if backend == Backend::Sqlite { 8 } else { 16 })
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if backend == Backend::Postgres {
                        conn.execute(PG_SESSION).await?;
                    }
                    if backend == Backend::Sqlite {
                        conn.execute("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 30000; PRAGMA foreign_keys = ON;")
                            .await?;
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await
            .map_err(|source| DbError::Connect {
                url: redact(&url),
                source,
            })?;
        match backend {
            Backend::Sqlite => sqlx::migrate!("./migrations/sqlite").run(&pool).await?,
            Backend::Postgres => sqlx::migrate!("./migrations/postgres").run(&pool).await?,
        }
        let native = Native::new(backend, &url)?;
        let write_lock = (backend == Backend::Sqlite).then(|| Arc::new(Mutex::new(())));
        Ok(Db {
            pool,
            backend,
            native,
            write_lock,
            log_head: Arc::default(),
        })
    }

    /// A new native connection to PostgreSQL, with the session settings of the pool's; `None`
    /// on SQLite. For work that `Any` cannot do, such as `COPY`.
    pub async fn pg_connection(&self) -> Result<Option<PgConnection>, sqlx::Error> {
        let Native::Postgres { options, .. } = &self.native else {
            return Ok(None);
        };
        let mut conn = options.connect().await?;
        conn.execute(PG_SESSION).await?;
        Ok(Some(conn))
    }

    /// Begins a write transaction.
    pub async fn begin(&self) -> Result<Tx, sqlx::Error> {
        let guard = match &self.write_lock {
            Some(lock) => Some(lock.clone().lock_owned().await),
            None => None,
        };
        let tx = self.pool.begin().await?;
        Ok(Tx { tx, _guard: guard })
    }
}

/// Session settings of every PostgreSQL connection. Imports keep the keys they have read (or,
/// with `COPY`, the whole file) in a temporary table; the default 8 MB of temporary buffers
/// would spill it to disk after ~100,000 rows.
const PG_SESSION: &str = "SET temp_buffers = '256MB'";

/// Native connections to the database of the `Any` pool.
#[derive(Clone)]
pub enum Native {
    Sqlite {
        reads: Arc<Reads<SqliteConnection>>,
    },
    Postgres {
        options: Arc<PgConnectOptions>,
        reads: Arc<Reads<PgConnection>>,
    },
}

impl Native {
    /// The backend these connections speak.
    pub fn backend(&self) -> Backend {
        match self {
            Native::Sqlite { .. } => Backend::Sqlite,
            Native::Postgres { .. } => Backend::Postgres,
        }
    }

    /// The rows of one read statement with text parameters (`$1`, `$2`, …), on a lent native
    /// connection: no liveness pings and no `Any` conversion of every value, for the public
    /// pages' short reads.
    pub async fn fetch_all<T>(&self, sql: &str, params: &[&str]) -> Result<Vec<T>, sqlx::Error>
    where
        T: Send
            + Unpin
            + for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow>
            + for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow>,
    {
        match self {
            Native::Sqlite { reads } => {
                let mut conn = reads.acquire().await?;
                let mut q = sqlx::query_as::<_, T>(sql);
                for p in params {
                    q = q.bind(*p);
                }
                let rows = q.fetch_all(&mut *conn).await;
                conn.keep_if(rows.is_ok());
                rows
            }
            Native::Postgres { reads, .. } => {
                let mut conn = reads.acquire().await?;
                let mut q = sqlx::query_as::<_, T>(sql);
                for p in params {
                    q = q.bind(*p);
                }
                let rows = q.fetch_all(&mut *conn).await;
                conn.keep_if(rows.is_ok());
                rows
            }
        }
    }

    /// The rows of `SELECT {columns} FROM {from}` as ONE JSON value made by the database
    /// (`json_group_array` on SQLite, `json_agg` on PostgreSQL), each row an array of the
    /// columns in order, decoded into `T` — a tuple, or a struct deriving `Deserialize` with its
    /// fields in the columns' order. One value crosses from SQLite's worker thread (or from
    /// PostgreSQL) instead of one per column of every row, which was most of the CPU of the
    /// name search and of the results import's job reads (`docs/benchmarks.md`). `from` may
    /// go on with `WHERE …`; `what` names the rows in a decoding error. The rows come in no
    /// particular order.
    pub async fn fetch_json_rows<T: serde::de::DeserializeOwned>(
        &self,
        columns: &str,
        from: &str,
        params: &[&str],
        what: &str,
    ) -> Result<Vec<T>, sqlx::Error> {
        let sql = match self.backend() {
            Backend::Sqlite => {
                format!("SELECT json_group_array(json_array({columns})) FROM {from}")
            }
            Backend::Postgres => format!(
                "SELECT COALESCE(json_agg(json_build_array({columns})), '[]')::text FROM {from}"
            ),
        };
        let rows: Vec<(String,)> = self.fetch_all(&sql, params).await?;
        let json = rows.into_iter().next().map(|(j,)| j).unwrap_or_default();
        serde_json::from_str(&json).map_err(|e| sqlx::Error::Decode(format!("{what}: {e}").into()))
    }

    fn new(backend: Backend, url: &str) -> Result<Native, DbError> {
        let bad = |source| DbError::Connect {
            url: redact(url),
            source,
        };
        // Reads are short and take CPU on the same machine: a few per core keep it busy.
        let size = 2 * std::thread::available_parallelism().map_or(2, |n| n.get());
        Ok(match backend {
            Backend::Sqlite => {
                let options = SqliteConnectOptions::from_str(url)
                    .map_err(bad)?
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Normal)
                    .busy_timeout(std::time::Duration::from_secs(30))
                    .foreign_keys(true);
                Native::Sqlite {
                    reads: Arc::new(Reads::new(options, size)),
                }
            }
            Backend::Postgres => {
                // Imports run statements of seconds on purpose; the `Any` pool logs slow ones.
                let options = PgConnectOptions::from_str(url)
                    .map_err(bad)?
                    .disable_statement_logging();
                Native::Postgres {
                    reads: Arc::new(Reads::new(options.clone(), size)),
                    options: Arc::new(options),
                }
            }
        })
    }
}

fn backend_of(url: &str) -> Result<Backend, DbError> {
    if url.starts_with("sqlite:") {
        Ok(Backend::Sqlite)
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Backend::Postgres)
    } else {
        Err(DbError::UnsupportedUrl(url.to_string()))
    }
}

/// The URL without a password, for messages.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            match userinfo.find(':') {
                Some(colon) => format!(
                    "{}{}:***{}",
                    &url[..scheme + 3],
                    &userinfo[..colon],
                    &url[at..]
                ),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

/// Whether an error is a violation of the named constraint.
pub fn violates(err: &sqlx::Error, constraint: &str) -> bool {
    match err {
        sqlx::Error::Database(db) => {
            db.constraint() == Some(constraint) || db.message().contains(constraint)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_passwords() {
        assert_eq!(redact("postgres://u:secret@h/db"), "postgres://u:***@h/db");
        assert_eq!(redact("sqlite://x.db"), "sqlite://x.db");
    }

    #[test]
    fn refuses_other_databases() {
        assert!(matches!(
            backend_of("mysql://x"),
            Err(DbError::UnsupportedUrl(_))
        ));
    }
}

/// A value to bind to a placeholder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Bind {
    Text(String),
    Int(i64),
    Null,
}

/// A statement built piece by piece with `$1, $2, …` placeholders, which both databases accept
/// (sqlx's `QueryBuilder` writes `?` for `Any`, which PostgreSQL refuses). For statements with
/// thousands of values use [`Sql::for_conn`]: SQLite then gets anonymous `?` placeholders,
/// because binding numbered ones costs time quadratic in their number.
#[derive(Clone, Debug, Default)]
pub struct Sql {
    pub text: String,
    pub binds: Vec<Bind>,
    anonymous: bool,
}

impl Sql {
    pub fn new(text: impl Into<String>) -> Sql {
        Sql {
            text: text.into(),
            binds: Vec::new(),
            anonymous: false,
        }
    }

    /// A statement with the placeholder style that is fastest on `conn`'s database.
    pub fn for_conn(conn: &sqlx::AnyConnection, text: impl Into<String>) -> Sql {
        Sql {
            anonymous: Backend::of(conn) == Backend::Sqlite,
            ..Sql::new(text)
        }
    }

    /// Appends SQL text.
    pub fn push(&mut self, text: &str) -> &mut Sql {
        self.text.push_str(text);
        self
    }

    /// Appends a placeholder for `value`.
    pub fn bind(&mut self, value: Bind) -> &mut Sql {
        self.binds.push(value);
        if self.anonymous {
            self.text.push('?');
        } else {
            self.text.push('$');
            self.text.push_str(&self.binds.len().to_string());
        }
        self
    }

    pub fn bind_text(&mut self, value: impl Into<String>) -> &mut Sql {
        self.bind(Bind::Text(value.into()))
    }

    pub fn bind_int(&mut self, value: i64) -> &mut Sql {
        self.bind(Bind::Int(value))
    }

    /// The query with every value bound.
    pub fn query(&self) -> sqlx::query::Query<'_, Any, sqlx::any::AnyArguments<'_>> {
        let mut q = sqlx::query(&self.text);
        for b in &self.binds {
            q = match b {
                Bind::Text(s) => q.bind(s.as_str()),
                Bind::Int(i) => q.bind(*i),
                Bind::Null => q.bind(None::<String>),
            };
        }
        q
    }

    /// The query mapped to rows of `T`.
    pub fn query_as<T>(&self) -> sqlx::query::QueryAs<'_, Any, T, sqlx::any::AnyArguments<'_>>
    where
        T: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow>,
    {
        let mut q = sqlx::query_as::<_, T>(&self.text);
        for b in &self.binds {
            q = match b {
                Bind::Text(s) => q.bind(s.as_str()),
                Bind::Int(i) => q.bind(*i),
                Bind::Null => q.bind(None::<String>),
            };
        }
        q
    }
}
