//! The command line: nouns and verbs (`dualdraw import enterprises FILE`). `main.rs` parses and
//! calls [`run`]; every command is a thin call into the library.
//!
//! Exit status: 0 success, 1 failed verification or operation, 2 bad input (`docs/architecture.md`, "Conventions").

mod commands;
mod credit;
mod draw;
mod inspection;
mod log;
pub mod pick;
mod plan;
mod witness;

use crate::auth::Role;
use crate::import::Kind;
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

#[derive(Parser, Debug)]
#[command(name = "dualdraw", version, about = "Verifiable double-random, one-public inspection planning", long_about = None)]
pub struct Cli {
    /// Database URL: sqlite://FILE or postgres://USER@HOST/DB.
    #[arg(
        long,
        global = true,
        env = "DATABASE_URL",
        default_value = "sqlite://dualdraw.db"
    )]
    pub db: String,
    /// Logs as JSON lines (for log collectors) instead of text.
    #[arg(long, global = true)]
    pub log_json: bool,
    /// Without a command, `serve` with its defaults.
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Runs the HTTP service; on an empty database loads the demo city first.
    ///
    /// Example: dualdraw serve --bind 127.0.0.1:8080
    Serve {
        #[arg(long, env = "DUALDRAW_BIND", default_value = "127.0.0.1:8080")]
        bind: String,
        /// Do not load the demo city into an empty database.
        #[arg(long)]
        no_demo: bool,
        /// Where draw bundles (and their secrets until the reveal) are kept.
        #[arg(long, env = "DUALDRAW_BUNDLES", default_value = "bundles")]
        bundles: PathBuf,
    },
    /// Imports a CSV file (UTF-8 or GB18030, English or Chinese headers) in one transaction.
    ///
    /// Example: dualdraw import enterprises enterprises.csv
    Import { kind: Kind, file: PathBuf },
    /// Writes a table as CSV to stdout (or --out), in the format import reads.
    ///
    /// Example: dualdraw export enterprises > enterprises.csv
    Export {
        kind: Kind,
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Credit records and tiers.
    #[command(subcommand)]
    Credit(credit::CreditCommand),
    /// Credit-repair requests (信用修复).
    #[command(subcommand)]
    Repair(credit::RepairCommand),
    /// The official working-day calendar.
    #[command(subcommand)]
    Calendar(CalendarCommand),
    /// API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// The tamper-evident audit log.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Settings left to local authorities (deadlines in working days).
    #[command(subcommand)]
    Settings(SettingsCommand),
    /// Loads the demo city (a no-op on a database that already has enterprises).
    Demo,
    /// The verifiable draw: prepare (commit), run, reveal.
    #[command(subcommand)]
    Draw(draw::DrawCommand),
    /// Re-checks a draw bundle: exit 0 and a one-line summary, or 1 and the first difference.
    ///
    /// Example: dualdraw verify 2026-q1
    Verify {
        bundle: PathBuf,
        /// The log's verifier key, as published at /log/key (default: the bundle's log/keys.json).
        #[arg(long)]
        log_key: Option<String>,
        /// A witness's verifier key (repeatable; with --log-key).
        #[arg(long = "witness", requires = "log_key")]
        witnesses: Vec<String>,
        /// Cosignatures required (default: every --witness).
        #[arg(long, requires = "log_key")]
        quorum: Option<usize>,
    },
    /// The annual plan of method dr2: its report, and re-planning during the year.
    #[command(subcommand)]
    Plan(plan::PlanCommand),
    /// Inspection jobs, results and their publication (docs/results.md).
    #[command(subcommand)]
    Inspection(inspection::InspectionCommand),
    /// Ceremonial list draw: chooses K lines of FILE from public entropy, in order of selection.
    ///
    /// Example: dualdraw pick pool.txt --count 10 --method rfc3797 --entropy 9319 --entropy "2 5 12 8 10" --entropy "9 18 26 34 41 45"
    Pick(pick::PickArgs),
    /// The public draw log: check a copy of it, mirror it, publish its checkpoint.
    #[command(subcommand)]
    Log(log::LogCommand),
    /// A witness that cosigns the draw log's checkpoints (C2SP tlog-witness).
    #[command(subcommand)]
    Witness(witness::WitnessCommand),
    /// Writes a synthetic jurisdiction as CSV files.
    ///
    /// Example: dualdraw gen --enterprises 1000000 --seed 7 --out bench-data/1m
    Gen(GenArgs),
}

#[derive(Subcommand, Debug)]
pub enum CalendarCommand {
    /// Prints the date N working days after DATE (DATE itself not counted).
    ///
    /// Example: dualdraw calendar add-workdays 2025-09-30 1   # 2025-10-09
    AddWorkdays { date: String, n: u32 },
    /// Imports a year's official schedule (CSV: date,kind,note with kind off or work).
    Import { file: PathBuf },
    /// Lists the years that have a schedule.
    Years,
}

#[derive(Subcommand, Debug)]
pub enum TokenCommand {
    /// Creates a token and prints it once; only its hash is stored.
    ///
    /// Example: dualdraw token create --role department --scope SCJG --label "市场监管 张三"
    Create {
        #[arg(long, value_enum)]
        role: Role,
        /// Department code (department), inspector id (inspector) or USCC (enterprise).
        #[arg(long)]
        scope: Option<String>,
        #[arg(long)]
        label: String,
    },
    /// Lists tokens (ids, roles, scopes; never the tokens).
    List,
    /// Revokes a token by its id.
    Revoke { id: String },
}

#[derive(Subcommand, Debug)]
pub enum AuditCommand {
    /// Recomputes the hash chain: exit 0 if intact, 1 naming the first problem.
    Verify,
    /// Prints entries as JSON lines.
    List {
        #[arg(long, default_value_t = 0)]
        after: i64,
        #[arg(long, default_value_t = 100)]
        limit: i64,
    },
}

#[derive(Subcommand, Debug)]
pub enum SettingsCommand {
    /// Lists every setting with its value and meaning.
    List,
    /// Changes a setting.
    Set { key: String, value: String },
}

#[derive(Args, Debug)]
pub struct GenArgs {
    #[arg(long, default_value_t = 5000)]
    pub enterprises: u64,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    #[arg(long)]
    pub out: PathBuf,
    /// The demo city's parameters (5,000 enterprises, 8 departments, 150 inspectors).
    #[arg(long)]
    pub demo: bool,
    /// quarter (task windows the whole year) or month (windows spread over the year, for the
    /// annual plan of --method dr2).
    #[arg(long, default_value = "quarter", value_parser = ["quarter", "month"])]
    pub periods: String,
}

/// A command's failure: message and exit status.
#[derive(Debug)]
pub struct Failure {
    pub status: u8,
    pub message: String,
}

impl Failure {
    pub fn input(message: impl Into<String>) -> Failure {
        Failure {
            status: 2,
            message: message.into(),
        }
    }

    pub fn failed(message: impl Into<String>) -> Failure {
        Failure {
            status: 1,
            message: message.into(),
        }
    }
}

impl From<anyhow::Error> for Failure {
    fn from(e: anyhow::Error) -> Self {
        Failure::failed(format!("{e:#}"))
    }
}

impl From<sqlx::Error> for Failure {
    fn from(e: sqlx::Error) -> Self {
        Failure::failed(format!("database error: {e}"))
    }
}

impl From<crate::db::DbError> for Failure {
    fn from(e: crate::db::DbError) -> Self {
        Failure::failed(e.to_string())
    }
}

/// Runs a parsed command line; returns the exit status.
pub async fn run(cli: Cli) -> u8 {
    init_tracing(cli.log_json);
    match commands::dispatch(cli).await {
        Ok(()) => 0,
        Err(f) => {
            eprintln!("{}", f.message);
            f.status
        }
    }
}

fn init_tracing(json: bool) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    use std::io::IsTerminal;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr);
    let _ = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}
