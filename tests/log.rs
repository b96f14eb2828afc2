//! The service's draw log on both databases (`docs/log.md` §4, §6, §9): tiles served match the
//! tree, one checkpoint per size, batch names used once, edited entries detected, and
//! `dualdraw log check` over HTTP and over a directory mirror.

mod common;

use dualdraw::log::cosigning::Policy;
use dualdraw::log::monitor::{self, MonitorError, Options, Source};
use dualdraw::log::publish::sign_checkpoint;
use dualdraw::log::{store, LogConfig, LogError};
use dualdraw_solver::merkle::leaf_hash;
use dualdraw_solver::tlog::checkpoint;
use dualdraw_solver::tlog::history::Flag;
use dualdraw_solver::tlog::leaf::{self, Event, Kind};
use dualdraw_solver::tlog::note::{PrivateKey, TYPE_ED25519};
use dualdraw_solver::tlog::tiles::{self, MemoryTree, TilePath};
use serde_json::json;

fn config() -> LogConfig {
    LogConfig {
        key: PrivateKey::from_seed("dualdraw.test/log", TYPE_ED25519, [9; 32]).unwrap(),
        jurisdiction: "440305".into(),
        policy: Policy::parse("", "test", None).unwrap(),
        margin_seconds: 3600,
    }
}

fn prepare(batch: &str) -> Event {
    let sources = json!([{"kind":"lottery","name":"福彩3D","issue":"2026001","date":"2026-12-30"}]);
    let c = hex::encode(leaf_hash(batch.as_bytes()));
    Event::new(
        Kind::Prepare,
        "440305",
        batch,
        &c,
        leaf::prepare_fields("dr1", &sources, false, None),
    )
    .unwrap()
}

fn abandon(batch: &str, reason: &str) -> Event {
    let c = hex::encode(leaf_hash(batch.as_bytes()));
    Event::new(
        Kind::Abandon,
        "440305",
        batch,
        &c,
        leaf::one("reason", json!(reason)),
    )
    .unwrap()
}

async fn append(app: &common::TestApp, e: &Event) -> Result<u64, LogError> {
    let mut tx = app.db.begin().await.unwrap();
    let i = store::append_event(&mut tx, e).await?;
    tx.commit().await.unwrap();
    Ok(i)
}

async fn get(app: &common::TestApp, path: &str) -> (u16, Option<String>, Vec<u8>) {
    let r = app.get(path).send().await.unwrap();
    let cache = r
        .headers()
        .get("cache-control")
        .map(|v| v.to_str().unwrap().to_string());
    (
        r.status().as_u16(),
        cache,
        r.bytes().await.unwrap().to_vec(),
    )
}

both!(tiles_served_match_the_tree, |app| {
    let cfg = config();
    let (status, _, _) = get(app, "/log/checkpoint").await;
    assert_eq!(status, 404, "no checkpoint before the first signature");
    let mut tree = MemoryTree::new();
    let mut leaves = Vec::new();
    for i in 0..600 {
        let e = prepare(&format!("B{i:04}"));
        assert_eq!(append(app, &e).await.unwrap(), i);
        tree.push(leaf_hash(&e.leaf()));
        leaves.push(e.leaf());
    }
    let cp = sign_checkpoint(&app.db, &cfg.key).await.unwrap();
    assert_eq!(cp.size, 600);
    let (status, _, body) = get(app, "/log/checkpoint").await;
    assert_eq!(status, 200);
    let opened = checkpoint::open(&String::from_utf8(body).unwrap(), &cfg.key.verifier()).unwrap();
    assert_eq!(
        opened.checkpoint.root,
        dualdraw_solver::merkle::root(&tree.levels[0])
    );
    for t in tiles::all_tiles(600) {
        let TilePath::Hashes {
            level,
            index,
            width,
        } = t
        else {
            unreachable!()
        };
        let (status, cache, body) = get(app, &format!("/log/tile/{}", t.path())).await;
        assert_eq!(status, 200, "{}", t.path());
        assert_eq!(
            body,
            tiles::tile_bytes(&tree.tile(level, index, width).unwrap()),
            "{}",
            t.path()
        );
        assert_eq!(
            cache.unwrap().contains("immutable"),
            width == 256,
            "{}",
            t.path()
        );
    }
    let (status, _, body) = get(app, "/log/tile/entries/002.p/88").await;
    assert_eq!(status, 200);
    let bundle: Vec<Vec<u8>> = tiles::decode_bundle(&body).unwrap();
    assert_eq!(bundle, leaves[512..600].to_vec());
    // Tiles that the signed tree does not have yet, and non-canonical paths, are not served.
    for path in [
        "/log/tile/0/002",
        "/log/tile/0/002.p/89",
        "/log/tile/0/2",
        "/log/tile/1/000",
    ] {
        assert_eq!(get(app, path).await.0, 404, "{path}");
    }
    assert_eq!(get(app, "/log/tile/1/000.p/2").await.0, 200);
    app.db.pool.close().await;
});

both!(
    tiles_and_checkpoints_from_memory_match_the_database,
    |app| {
        let cfg = config();
        let mut tree = MemoryTree::new();
        for i in 0..300 {
            let e = prepare(&format!("B{i:04}"));
            append(app, &e).await.unwrap();
            tree.push(leaf_hash(&e.leaf()));
        }
        sign_checkpoint(&app.db, &cfg.key).await.unwrap();
        let served_size = |body: Vec<u8>| {
            checkpoint::open(&String::from_utf8(body).unwrap(), &cfg.key.verifier())
                .unwrap()
                .checkpoint
                .size
        };
        assert_eq!(served_size(get(app, "/log/checkpoint").await.2), 300);

        // A full tile: the first request reads the database, the next ones the memory; all equal
        // the tile computed from the database.
        let mut conn = app.db.pool.acquire().await.unwrap();
        let hashes = tiles::tile_bytes(&store::tile_hashes(&mut conn, 0, 0, 256).await.unwrap());
        let rows = store::entries(&mut conn, 0, 256).await.unwrap();
        let bundle = tiles::encode_bundle(rows.iter().map(|(_, l, _)| l.as_bytes()));
        drop(conn);
        assert_eq!(hashes, tiles::tile_bytes(&tree.tile(0, 0, 256).unwrap()));
        for _ in 0..3 {
            let (status, cache, body) = get(app, "/log/tile/0/000").await;
            assert_eq!((status, body.as_slice()), (200, hashes.as_slice()));
            assert_eq!(
                cache.as_deref(),
                Some("public, max-age=31536000, immutable")
            );
            let (status, _, body) = get(app, "/log/tile/entries/000").await;
            assert_eq!((status, body.as_slice()), (200, bundle.as_slice()));
        }

        // A new checkpoint signed in this process is served at once, and so are the partial tiles
        // of its size (and no wider ones).
        let e = prepare("B0300");
        append(app, &e).await.unwrap();
        tree.push(leaf_hash(&e.leaf()));
        assert_eq!(
            served_size(get(app, "/log/checkpoint").await.2),
            300,
            "an unsigned leaf is not served"
        );
        assert_eq!(get(app, "/log/tile/0/001.p/45").await.0, 404);
        sign_checkpoint(&app.db, &cfg.key).await.unwrap();
        assert_eq!(served_size(get(app, "/log/checkpoint").await.2), 301);
        let (status, cache, body) = get(app, "/log/tile/0/001.p/45").await;
        assert_eq!(status, 200);
        assert_eq!(body, tiles::tile_bytes(&tree.tile(0, 1, 45).unwrap()));
        assert_eq!(cache.as_deref(), Some("public, max-age=5"));
        assert_eq!(get(app, "/log/tile/0/001.p/46").await.0, 404);

        // Another process (here: another handle on the database) signs a larger tree: its
        // partial tiles are served at once, its checkpoint within a second or so.
        let other = dualdraw::db::Db::connect(&app.url).await.unwrap();
        let mut tx = other.begin().await.unwrap();
        store::append_event(&mut tx, &prepare("B0301"))
            .await
            .unwrap();
        tx.commit().await.unwrap();
        sign_checkpoint(&other, &cfg.key).await.unwrap();
        assert_eq!(get(app, "/log/tile/0/001.p/46").await.0, 200);
        let started = std::time::Instant::now();
        loop {
            let size = served_size(get(app, "/log/checkpoint").await.2);
            if size == 302 {
                break;
            }
            assert_eq!(size, 301);
            assert!(
                started.elapsed() < dualdraw::log::head::REFRESH * 3,
                "the checkpoint of another process is still not served"
            );
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        other.pool.close().await;
        app.db.pool.close().await;
    }
);

both!(one_checkpoint_per_size_and_batch_names_once, |app| {
    let cfg = config();
    append(app, &prepare("2026-Q1")).await.unwrap();
    let first = sign_checkpoint(&app.db, &cfg.key).await.unwrap();
    let again = sign_checkpoint(&app.db, &cfg.key).await.unwrap();
    assert_eq!(
        first.note, again.note,
        "re-signing the same size gives the stored checkpoint"
    );
    let used = append(app, &prepare("2026-Q1")).await.unwrap_err();
    assert!(matches!(used, LogError::BatchUsed { .. }), "{used}");
    append(app, &abandon("2026-Q1", "名录有误")).await.unwrap();
    let again = append(app, &prepare("2026-Q1")).await.unwrap_err();
    assert!(
        matches!(again, LogError::BatchUsed { .. }),
        "an abandoned name is not reused"
    );
    let unknown = append(app, &abandon("never", "x")).await.unwrap_err();
    assert!(
        matches!(unknown, LogError::BatchUnknown { .. }),
        "{unknown}"
    );
    // Refused appends left nothing behind.
    let mut conn = app.db.pool.acquire().await.unwrap();
    assert_eq!(store::size(&mut conn).await.unwrap(), 2);
    drop(conn);
    let second = sign_checkpoint(&app.db, &cfg.key).await.unwrap();
    assert_eq!(second.size, 2);
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM log_checkpoints")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(n, 2);
    app.db.pool.close().await;
});

both!(edited_entries_are_detected, |app| {
    let cfg = config();
    for i in 0..300 {
        append(app, &prepare(&format!("B{i:04}"))).await.unwrap();
    }
    sign_checkpoint(&app.db, &cfg.key).await.unwrap();
    let state = app.dir.path().join("monitor.json");
    let opts = Options {
        log_key: Some(cfg.key.verifier()),
        witnesses: vec![],
        state: state.clone(),
    };
    let src = Source::new(&format!("{}/log", app.base));
    let report = monitor::check(&src, &opts).await.unwrap();
    assert_eq!(report.checkpoint.size, 300);
    assert_eq!(report.batches.len(), 300);

    // An entry of the partial tile, edited with a matching hash: the next checkpoint refuses.
    let forged = prepare("B0299-forged");
    edit(app, 299, &forged).await;
    append(app, &prepare("B0300")).await.unwrap();
    let e = sign_checkpoint(&app.db, &cfg.key).await.unwrap_err();
    assert!(matches!(e, LogError::Tampered(_)), "{e}");

    // An entry of a full tile: the checkpoint cannot see it. The running service keeps serving
    // the full tile it served before (full tiles never change, `docs/log.md` §4), so its
    // clients see nothing change; a restarted service serves the edit, and `log check` finds it.
    edit(app, 299, &prepare("B0299")).await;
    sign_checkpoint(&app.db, &cfg.key).await.unwrap();
    let tile = |base: String| async move {
        let url = format!("{base}/log/tile/entries/000");
        reqwest::get(&url).await.unwrap().bytes().await.unwrap()
    };
    let before = tile(app.base.clone()).await;
    edit(app, 7, &prepare("B0007-forged")).await;
    assert_eq!(
        tile(app.base.clone()).await,
        before,
        "a served full tile never changes"
    );
    let restarted = restart(app).await;
    assert_ne!(
        tile(restarted.clone()).await,
        before,
        "the edit is in the database"
    );
    let src = Source::new(&format!("{restarted}/log"));
    match monitor::check(&src, &opts).await {
        Err(MonitorError::Failed(m)) => assert!(
            m.contains("tile/0/000 does not hold") || m.contains("root"),
            "{m}"
        ),
        other => panic!("edit not detected: {:?}", other.err()),
    }
    app.db.pool.close().await;
});

/// A second service on the same database, as after a restart; its base URL.
async fn restart(app: &common::TestApp) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let state =
        dualdraw::http::AppState::with_bundles(app.db.clone(), app.dir.path().join("bundles"));
    let router = dualdraw::http::app(state);
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    base
}

async fn edit(app: &common::TestApp, index: i64, e: &Event) {
    sqlx::query("UPDATE log_entries SET leaf = $1, leaf_hash = $2 WHERE idx = $3")
        .bind(String::from_utf8(e.leaf()).unwrap())
        .bind(hex::encode(leaf_hash(&e.leaf())))
        .bind(index)
        .execute(&app.db.pool)
        .await
        .unwrap();
}

both!(log_check_lists_batches_over_http_and_from_a_mirror, |app| {
    let cfg = config();
    dualdraw::log::publish::start(&app.db, &cfg).await.unwrap();
    append(app, &prepare("2026-Q1")).await.unwrap();
    append(app, &abandon("2026-Q1", "名录有误")).await.unwrap();
    append(app, &prepare("2026-Q1-b")).await.unwrap();
    // A run logged by hand before any prepare would be out of order; the store refuses it, so
    // the duplicate-name and order flags are covered by the solver's history tests.
    sign_checkpoint(&app.db, &cfg.key).await.unwrap();
    let url = format!("{}/log", app.base);
    let state = app.dir.path().join("state.json");
    let out = app.cli(&["log", "check", &url, "--state", state.to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}{stderr}");
    assert!(
        stderr.contains("log key taken from the log itself"),
        "{stderr}"
    );
    assert!(
        stdout.contains("log dualdraw.test/log verified: 3 entries"),
        "{stdout}"
    );
    assert!(
        stdout.contains("2026-Q1\tdr1\tprepare@0 abandon@1\tABANDONED (名录有误)"),
        "{stdout}"
    );
    assert!(stdout.contains("2026-Q1-b\tdr1\tprepare@2\t"), "{stdout}");

    let dir = app.dir.path().join("mirror");
    let out = app.cli(&["log", "mirror", &url, dir.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let vkey = cfg.key.verifier().to_string();
    let out = app.cli(&[
        "log",
        "check",
        dir.to_str().unwrap(),
        "--log-key",
        &vkey,
        "--state",
        state.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("consistent with size 3 seen before"));

    // A mirror rolled back to a smaller tree (or another log key) is refused with exit 1 / 2.
    std::fs::write(
        state.clone(),
        format!("{{\"log_key\":\"{vkey}\",\"size\":5,\"root\":\"AAAA\"}}"),
    )
    .unwrap();
    let out = app.cli(&[
        "log",
        "check",
        dir.to_str().unwrap(),
        "--state",
        state.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("the log shrank: size 3 after 5"));
    let other = PrivateKey::from_seed("dualdraw.test/log", TYPE_ED25519, [8; 32])
        .unwrap()
        .verifier()
        .to_string();
    let out = app.cli(&[
        "log",
        "check",
        &url,
        "--log-key",
        &other,
        "--state",
        app.dir.path().join("s2.json").to_str().unwrap(),
    ]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    app.db.pool.close().await;
});

both!(log_check_verifies_every_checkpoint_a_mirror_kept, |app| {
    let cfg = config();
    dualdraw::log::publish::start(&app.db, &cfg).await.unwrap();
    let url = format!("{}/log", app.base);
    let dir = app.dir.path().join("mirror");
    let d = dir.to_str().unwrap();
    let vkey = cfg.key.verifier().to_string();
    let state = app.dir.path().join("state.json");
    let check = |state: &std::path::Path| {
        app.cli(&[
            "log",
            "check",
            d,
            "--log-key",
            &vkey,
            "--state",
            state.to_str().unwrap(),
        ])
    };
    // Three mirrors over time: sizes 1, 3 and 300 (a full tile and a partial one).
    for (from, to) in [(0, 1), (1, 3), (3, 300)] {
        for i in from..to {
            append(app, &prepare(&format!("B{i:04}"))).await.unwrap();
        }
        sign_checkpoint(&app.db, &cfg.key).await.unwrap();
        let out = app.cli(&["log", "mirror", &url, d]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    for size in ["1", "3", "300"] {
        assert!(dir.join("checkpoints").join(size).exists(), "{size}");
    }
    let out = check(&state);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains(
            "first check; 2 earlier checkpoints (sizes 1, 3) signed and pairwise consistent"
        ),
        "{stdout}"
    );
    let kept: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&state).unwrap()).unwrap();
    assert!(kept["checkpoint"]
        .as_str()
        .unwrap()
        .starts_with("dualdraw.test/log\n300\n"));

    // A validly signed checkpoint of another tree of size 3 (a fork shown to this mirror):
    // refused, naming it.
    let other = checkpoint::Checkpoint {
        origin: "dualdraw.test/log".into(),
        size: 3,
        root: [7; 32],
    }
    .sign(&cfg.key)
    .unwrap();
    let kept3 = std::fs::read_to_string(dir.join("checkpoints/3")).unwrap();
    std::fs::write(dir.join("checkpoints/3"), &other).unwrap();
    let out = check(&app.dir.path().join("s2.json"));
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("checkpoints/1 (size 1) and checkpoints/3 (size 3) are not consistent"),
        "{stderr}"
    );
    // A checkpoint whose signature was changed: refused, naming it.
    let forged = {
        use base64::Engine;
        let b64 = base64::engine::general_purpose::STANDARD;
        let line = kept3
            .lines()
            .find(|l| l.starts_with("\u{2014} dualdraw.test/log "))
            .unwrap();
        let mut raw = b64.decode(line.rsplit(' ').next().unwrap()).unwrap();
        raw[10] ^= 1;
        kept3.replace(
            line,
            &format!("\u{2014} dualdraw.test/log {}", b64.encode(raw)),
        )
    };
    std::fs::write(dir.join("checkpoints/3"), &forged).unwrap();
    let out = check(&app.dir.path().join("s3.json"));
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("checkpoints/3: "), "{stderr}");
    std::fs::write(dir.join("checkpoints/3"), &kept3).unwrap();

    // The state file's checkpoint is checked the same way: one of another tree is refused.
    let mut bad = kept.clone();
    bad["size"] = serde_json::json!(3);
    bad["root"] = serde_json::json!(base64_of(&[7; 32]));
    bad["checkpoint"] = serde_json::json!(other);
    std::fs::write(&state, bad.to_string()).unwrap();
    let out = check(&state);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("is not consistent with the checkpoint of size 3 seen before"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    bad["root"] = kept["root"].clone();
    bad["size"] = serde_json::json!(300);
    std::fs::write(&state, bad.to_string()).unwrap();
    let out = check(&state);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("(checkpoint seen before) (size 3) are not consistent"),
        "{stderr}"
    );

    // Mirroring a fork keeps it beside the checkpoint it contradicts, and fails.
    std::fs::remove_file(dir.join("checkpoints/300")).unwrap();
    std::fs::write(
        dir.join("checkpoints/300"),
        checkpoint::Checkpoint {
            origin: "dualdraw.test/log".into(),
            size: 300,
            root: [7; 32],
        }
        .sign(&cfg.key)
        .unwrap(),
    )
    .unwrap();
    let out = app.cli(&["log", "mirror", &url, d]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("the log forked: its checkpoint of size 300")
    );
    assert!(dir.join("checkpoints/300.fork").exists());
    app.db.pool.close().await;
});

fn base64_of(b: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(b)
}

#[test]
fn history_flags_duplicates_seen_by_a_monitor() {
    // What a monitor prints for a log written by another implementation that let a name be
    // reused: the store of this one refuses it (above), the monitor still flags it.
    let events: Vec<(u64, Event)> = [prepare("X"), prepare("X")]
        .into_iter()
        .enumerate()
        .map(|(i, e)| (i as u64, e))
        .collect();
    let b = dualdraw_solver::tlog::history::batches(&events);
    assert_eq!(b[0].flags, vec![Flag::DuplicateName(1)]);
}

#[test]
fn key_files_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("keys").join("log.key");
    let (k, created) =
        dualdraw::log::key::load_or_create(&path, "dualdraw.test/log", TYPE_ED25519).unwrap();
    assert!(created);
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&path), 0o600);
    assert_eq!(mode(path.parent().unwrap()), 0o700);
    let (again, created) =
        dualdraw::log::key::load_or_create(&path, "ignored", TYPE_ED25519).unwrap();
    assert!(!created);
    assert_eq!(again.verifier(), k.verifier());
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let e = dualdraw::log::key::load_or_create(&path, "x", TYPE_ED25519).unwrap_err();
    assert!(
        e.to_string().contains("lets others read the private key"),
        "{e}"
    );
    assert_eq!(
        dualdraw::log::key::default_path("sqlite:///srv/dd/dualdraw.db?mode=rwc"),
        std::path::PathBuf::from("/srv/dd/dualdraw-log/log.key")
    );
}
