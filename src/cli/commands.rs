//! The commands' bodies: each opens the database, calls the library and prints.

use super::{
    AuditCommand, CalendarCommand, Cli, Command, Failure, GenArgs, SettingsCommand, TokenCommand,
};
use crate::credit::rules::RuleTable;
use crate::db::Db;
use crate::import::{self, Context, ImportError};
use crate::{audit, auth, calendar_store, clock, settings};
use axum::serve::ListenerExt;
use std::io::Write;

pub async fn dispatch(cli: Cli) -> Result<(), Failure> {
    // No command is `serve` with its defaults and settings, as clap gives them.
    let command = cli.command.unwrap_or_else(|| {
        <Cli as clap::Parser>::parse_from(["dualdraw", "serve"])
            .command
            .expect("`serve` is a command")
    });
    match command {
        Command::Serve {
            bind,
            no_demo,
            bundles,
        } => serve(&cli.db, &bind, no_demo, bundles).await,
        Command::Import { kind, file } => {
            let db = Db::connect(&cli.db).await?;
            let name = file.display().to_string();
            let input =
                std::fs::File::open(&file).map_err(|e| Failure::input(format!("{name}: {e}")))?;
            let size = input.metadata().map(|m| m.len()).unwrap_or(0);
            let bar =
                crate::progress::global().bytes(&format!("importing {}", kind.as_str()), size);
            let input = bar.wrap_read(input);
            let rules = RuleTable::builtin();
            let ctx = Context {
                actor: "cli",
                at: &clock::now(),
                rules: &rules,
            };
            match import::import(&db, kind, input, &name, &ctx).await {
                Ok(r) => {
                    eprintln!(
                        "{}: {} rows read ({}), {} inserted or changed, {} unchanged",
                        r.file, r.rows, r.encoding, r.written, r.unchanged
                    );
                    if !r.ignored_columns.is_empty() {
                        eprintln!(
                            "{}: ignored columns: {}",
                            r.file,
                            r.ignored_columns.join(", ")
                        );
                    }
                    Ok(())
                }
                Err(ImportError::Invalid {
                    errors,
                    total,
                    file,
                }) => {
                    for e in &errors {
                        eprintln!("{e}");
                    }
                    if total > errors.len() {
                        eprintln!("… and {} more", total - errors.len());
                    }
                    Err(Failure::input(format!(
                        "{file}: {total} error(s); nothing was imported"
                    )))
                }
                Err(ImportError::Read { file, message }) => {
                    Err(Failure::input(format!("{file}: {message}")))
                }
                Err(ImportError::Db(e)) => Err(e.into()),
            }
        }
        Command::Export { kind, out } => {
            let db = Db::connect(&cli.db).await?;
            let mut conn = db.pool.acquire().await?;
            let writer: Box<dyn Write> = match &out {
                Some(path) => Box::new(
                    std::fs::File::create(path)
                        .map_err(|e| Failure::input(format!("{}: {e}", path.display())))?,
                ),
                None => Box::new(std::io::stdout().lock()),
            };
            let n = import::export::export(
                &mut conn,
                db.backend,
                kind,
                std::io::BufWriter::new(writer),
            )
            .await?;
            eprintln!("exported {n} {}", kind.as_str());
            Ok(())
        }
        Command::Credit(c) => super::credit::credit(&cli.db, c).await,
        Command::Inspection(c) => super::inspection::run(&cli.db, c).await,
        Command::Repair(c) => super::credit::repair(&cli.db, c).await,
        Command::Calendar(c) => calendar(&cli.db, c).await,
        Command::Token(c) => token(&cli.db, c).await,
        Command::Audit(c) => audit_cmd(&cli.db, c).await,
        Command::Settings(c) => settings_cmd(&cli.db, c).await,
        Command::Demo => {
            let db = Db::connect(&cli.db).await?;
            let loaded = crate::demo::load_if_empty(&db).await?;
            eprintln!(
                "{}",
                if loaded {
                    "demo city loaded"
                } else {
                    "database already has enterprises; nothing loaded"
                }
            );
            Ok(())
        }
        Command::Gen(args) => gen(args),
        Command::Pick(args) => super::pick::run(args),
        Command::Draw(c) => super::draw::draw(&cli.db, c).await,
        Command::Verify {
            bundle,
            log_key,
            witnesses,
            quorum,
        } => super::draw::verify(bundle, super::log::keys(log_key, witnesses, quorum)?).await,
        Command::Plan(c) => super::plan::plan(&cli.db, c).await,
        Command::Log(c) => super::log::log(&cli.db, c).await,
        Command::Witness(c) => super::witness::witness(c).await,
    }
}

async fn serve(
    url: &str,
    bind: &str,
    no_demo: bool,
    bundles: std::path::PathBuf,
) -> Result<(), Failure> {
    let db = Db::connect(url).await?;
    if !no_demo && crate::demo::load_if_empty(&db).await? {
        tracing::info!("empty database: demo city loaded");
    }
    crate::log::config::start_for_serve(&db, url).await?;
    let listener = tokio::net::TcpListener::bind(bind)
        .await
        .map_err(|e| Failure::input(format!("cannot listen on {bind}: {e}")))?
        .tap_io(no_delay);
    tracing::info!(db = %crate::db::redact(url), "dualdraw listening on http://{bind}");
    let state = crate::http::AppState::with_bundles(db.clone(), bundles)
        .with_code_key(crate::inspection::code_key::default_path(url));
    // Moves a code key an older version kept in the database into its file, once.
    match state.code_key.verifier(&db).await {
        Ok(Some(vkey)) => eprintln!(
            "the code key ({}); its verifier key, served at /public/codes/key, is:\n{vkey}",
            state.code_key.path().display()
        ),
        Ok(None) => {}
        Err(e) => return Err(Failure::failed(e.to_string())),
    }
    // The fairness check's indexes of the revealed draws, built while the service already
    // answers (`docs/portal.md`, "The plan index").
    tokio::spawn(crate::web::warm(state.clone()));
    let app = crate::http::app(state);
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
        .map_err(|e| Failure::failed(format!("server error: {e}")))
}

/// Sends each response as soon as it is written (`TCP_NODELAY`): the last, short segment of a
/// response larger than one TCP segment (an entry bundle of the log, an export) is never held
/// back by Nagle's algorithm until the client's (possibly delayed, up to 40 ms) acknowledgement
/// of the previous one (`docs/log.md` §4).
fn no_delay(stream: &mut tokio::net::TcpStream) {
    if let Err(e) = stream.set_nodelay(true) {
        tracing::debug!("TCP_NODELAY not set: {e}");
    }
}

async fn calendar(url: &str, c: CalendarCommand) -> Result<(), Failure> {
    let db = Db::connect(url).await?;
    match c {
        CalendarCommand::AddWorkdays { date, n } => {
            let date = import::source::parse_date(&date)
                .map_err(|m| Failure::input(format!("DATE: {m}")))?;
            let mut conn = db.pool.acquire().await?;
            let cal = calendar_store::load(&mut conn).await?;
            let result = cal
                .add_workdays(date, n)
                .map_err(|e| Failure::input(e.to_string()))?;
            println!("{result}");
        }
        CalendarCommand::Import { file } => {
            let name = file.display().to_string();
            let text = std::fs::read_to_string(&file)
                .map_err(|e| Failure::input(format!("{name}: {e}")))?;
            let days = crate::calendar::WorkCalendar::parse_csv(&text, &name)
                .map_err(|errs| Failure::input(errs.join("\n")))?;
            let mut tx = db.begin().await?;
            let years = calendar_store::import(&mut tx, &days, &name, "cli", &clock::now()).await?;
            tx.commit().await?;
            eprintln!("{name}: {} special days for {:?}", days.len(), years);
        }
        CalendarCommand::Years => {
            let mut conn = db.pool.acquire().await?;
            for y in calendar_store::load(&mut conn).await?.years() {
                println!("{y}");
            }
        }
    }
    Ok(())
}

async fn token(url: &str, c: TokenCommand) -> Result<(), Failure> {
    let db = Db::connect(url).await?;
    match c {
        TokenCommand::Create { role, scope, label } => {
            let mut tx = db.begin().await?;
            let token = auth::create(&mut tx, role, scope.as_deref(), &label, &clock::now())
                .await
                .map_err(|e| match e {
                    auth::TokenError::Db(e) => Failure::from(e),
                    e => Failure::input(e.to_string()),
                })?;
            tx.commit().await?;
            println!("{token}");
        }
        TokenCommand::List => {
            let mut conn = db.pool.acquire().await?;
            for t in auth::list(&mut conn).await? {
                println!("{}", serde_json::to_string(&t).expect("plain data"));
            }
        }
        TokenCommand::Revoke { id } => {
            let mut tx = db.begin().await?;
            let done = auth::revoke(&mut tx, &id, &clock::now()).await?;
            tx.commit().await?;
            if !done {
                return Err(Failure::input(format!("no active token with id {id}")));
            }
            eprintln!("token {id} revoked");
        }
    }
    Ok(())
}

async fn audit_cmd(url: &str, c: AuditCommand) -> Result<(), Failure> {
    let db = Db::connect(url).await?;
    let mut conn = db.pool.acquire().await?;
    match c {
        AuditCommand::Verify => {
            let v = audit::verify(&mut conn).await?;
            match v.problem {
                None => println!(
                    "audit log intact: {} entries, head {}",
                    v.entries, v.head_seq
                ),
                Some(p) => return Err(Failure::failed(format!("audit log broken: {p}"))),
            }
        }
        AuditCommand::List { after, limit } => {
            for e in audit::list(&mut conn, after, limit).await? {
                println!("{}", serde_json::to_string(&e).expect("plain data"));
            }
        }
    }
    Ok(())
}

async fn settings_cmd(url: &str, c: SettingsCommand) -> Result<(), Failure> {
    let db = Db::connect(url).await?;
    match c {
        SettingsCommand::List => {
            let mut conn = db.pool.acquire().await?;
            let values = settings::all(&mut conn).await?;
            for s in settings::SETTINGS {
                println!(
                    "{} = {}\t# {} (default {})",
                    s.key, values[s.key], s.meaning, s.default
                );
            }
        }
        SettingsCommand::Set { key, value } => {
            let mut tx = db.begin().await?;
            settings::set(&mut tx, &key, &value, "cli", &clock::now())
                .await
                .map_err(|e| match e {
                    settings::SettingError::Db(e) => Failure::from(e),
                    e => Failure::input(e.to_string()),
                })?;
            tx.commit().await?;
        }
    }
    Ok(())
}

fn gen(args: GenArgs) -> Result<(), Failure> {
    let mut params = if args.demo {
        crate::gen::GenParams::demo()
    } else {
        crate::gen::GenParams::scaled(args.enterprises, args.seed)
    };
    if args.periods == "month" {
        params.periods = dualdraw_solver::inputs::Periods::Month;
    }
    std::fs::create_dir_all(&args.out)
        .map_err(|e| Failure::input(format!("{}: {e}", args.out.display())))?;
    let summary = crate::gen::generate(&params, &args.out)
        .map_err(|e| Failure::failed(format!("{}: {e}", args.out.display())))?;
    eprintln!("{summary:?}");
    Ok(())
}
