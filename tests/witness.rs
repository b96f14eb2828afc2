//! Witnesses on loopback (`docs/log.md` §5): the service sends each checkpoint to two witnesses,
//! one of which is stopped half way and comes back; a witness refuses forks, smaller trees,
//! unknown logs and bad proofs with the status codes of C2SP tlog-witness.

mod common;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use dualdraw::log::cosigning::{Outcome, Policy};
use dualdraw::log::witness::{router, Witness};
use dualdraw::log::{evidence, publish, store, LogConfig};
use dualdraw_solver::merkle::leaf_hash;
use dualdraw_solver::tlog::checkpoint::Checkpoint;
use dualdraw_solver::tlog::cosignature;
use dualdraw_solver::tlog::evidence::check;
use dualdraw_solver::tlog::leaf::{self, Event, Kind};
use dualdraw_solver::tlog::note::{Note, PrivateKey, VerifierKey, TYPE_COSIGNATURE, TYPE_ED25519};
use dualdraw_solver::tlog::proof;
use dualdraw_solver::tlog::tiles::MemoryTree;
use serde_json::json;
use std::path::Path;
use std::sync::Arc;
use tokio::task::JoinHandle;

fn log_key() -> PrivateKey {
    PrivateKey::from_seed("dualdraw.test/log", TYPE_ED25519, [9; 32]).unwrap()
}

fn witness_key(n: u8) -> PrivateKey {
    PrivateKey::from_seed(&format!("witness.test/w{n}"), TYPE_COSIGNATURE, [n; 32]).unwrap()
}

/// Runs a witness on a fresh loopback port; returns its URL and its task.
async fn spawn_witness(
    key: PrivateKey,
    logs: Vec<VerifierKey>,
    state: &Path,
) -> (String, JoinHandle<()>) {
    let w = Witness::open(key, logs, state.to_path_buf()).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let task =
        tokio::spawn(async move { axum::serve(listener, router(Arc::new(w))).await.unwrap() });
    (url, task)
}

fn config(urls: &[(&str, &PrivateKey)], quorum: usize) -> LogConfig {
    let text: String = urls
        .iter()
        .map(|(u, k)| format!("{u} {}\n", k.verifier()))
        .collect();
    LogConfig {
        key: log_key(),
        jurisdiction: "440305".into(),
        policy: Policy::parse(&text, "witnesses.txt", Some(&quorum.to_string())).unwrap(),
        margin_seconds: 3600,
    }
}

async fn append_prepare(app: &common::TestApp, batch: &str) -> u64 {
    let c = hex::encode(leaf_hash(batch.as_bytes()));
    let e = Event::new(
        Kind::Prepare,
        "440305",
        batch,
        &c,
        leaf::prepare_fields("dr1", &json!([]), false, None),
    )
    .unwrap();
    let mut tx = app.db.begin().await.unwrap();
    let i = store::append_event(&mut tx, &e).await.unwrap();
    tx.commit().await.unwrap();
    i
}

fn cosigned(p: &publish::Published) -> usize {
    p.witnesses
        .iter()
        .filter(|(_, o)| matches!(o, Outcome::Cosigned(_)))
        .count()
}

both!(two_witnesses_one_stopped_half_way, |app| {
    let (k1, k2) = (witness_key(1), witness_key(2));
    let logs = vec![log_key().verifier()];
    let (s1, s2) = (
        app.dir.path().join("w1.json"),
        app.dir.path().join("w2.json"),
    );
    let (u1, t1) = spawn_witness(k1.clone(), logs.clone(), &s1).await;
    let (u2, t2) = spawn_witness(k2.clone(), logs.clone(), &s2).await;
    let cfg = config(&[(&u1, &k1), (&u2, &k2)], 2);
    let p = publish::start(&app.db, &cfg).await.unwrap();
    assert_eq!((p.checkpoint.size, cosigned(&p)), (0, 2));
    for b in ["A", "B", "C"] {
        append_prepare(app, b).await;
    }
    let p = publish::publish(&app.db, &cfg).await.unwrap();
    assert_eq!((p.checkpoint.size, cosigned(&p)), (3, 2));
    let served = app
        .get("/log/checkpoint")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let got = cosignature::verify_all(&Note::parse(&served).unwrap(), &cfg.policy.keys()).unwrap();
    assert_eq!(got.len(), 2);
    let keys = evidence::keys(&cfg);
    let ev = evidence::for_leaf(&app.db, 1, 2).await.unwrap().unwrap();
    let checked = check(&ev, &keys).unwrap();
    assert_eq!((checked.size, checked.event.batch.as_str()), (3, "B"));
    assert!(checked.quorum_time.is_some());
    // A cosignature whose time was changed (replayed at another time) fails the evidence.
    let mut forged = ev.clone();
    let line = forged
        .checkpoint
        .lines()
        .find(|l| l.contains("witness.test/w1"))
        .unwrap()
        .to_string();
    let mut raw = B64.decode(line.rsplit(' ').next().unwrap()).unwrap();
    raw[11] ^= 1;
    forged.checkpoint = forged.checkpoint.replace(
        &line,
        &format!("\u{2014} witness.test/w1 {}", B64.encode(raw)),
    );
    assert!(check(&forged, &keys).unwrap_err().0.contains("cosignature"));

    // Witness 2 stops: the log goes on with one cosignature, short of the quorum.
    t2.abort();
    let _ = t2.await;
    append_prepare(app, "D").await;
    append_prepare(app, "E").await;
    let p = publish::publish(&app.db, &cfg).await.unwrap();
    assert_eq!((p.checkpoint.size, cosigned(&p)), (5, 1));
    assert!(p
        .witnesses
        .iter()
        .any(|(n, o)| n == "witness.test/w2" && matches!(o, Outcome::Failed(_))));
    let ev = evidence::for_leaf(&app.db, 4, 2).await.unwrap().unwrap();
    let e = check(&ev, &keys).unwrap_err();
    assert!(e.0.contains("1 of the 2 required witnesses"), "{e}");

    // It comes back (same key and state, another port): it catches up from size 3.
    let (u2, t2) = spawn_witness(k2.clone(), logs.clone(), &s2).await;
    let cfg = config(&[(&u1, &k1), (&u2, &k2)], 2);
    let p = publish::publish(&app.db, &cfg).await.unwrap();
    assert_eq!(
        (p.checkpoint.size, cosigned(&p)),
        (5, 1),
        "only witness 2 was missing"
    );
    let ev = evidence::for_leaf(&app.db, 4, 2).await.unwrap().unwrap();
    assert_eq!(check(&ev, &keys).unwrap().size, 5);
    t1.abort();
    t2.abort();
    app.db.pool.close().await;
});

fn tree(n: u64) -> MemoryTree {
    let mut t = MemoryTree::new();
    for i in 0..n {
        t.push(leaf_hash(format!("entry {i}").as_bytes()));
    }
    t
}

fn body(old: u64, proof: &[[u8; 32]], signed: &str) -> String {
    let lines: String = proof
        .iter()
        .map(|h| format!("{}\n", B64.encode(h)))
        .collect();
    format!("old {old}\n{lines}\n{signed}")
}

fn signed(key: &PrivateKey, t: &MemoryTree, size: u64) -> String {
    Checkpoint {
        origin: "dualdraw.test/log".into(),
        size,
        root: proof::root(t, size).unwrap(),
    }
    .sign(key)
    .unwrap()
}

async fn post(url: &str, body: String) -> (u16, String, String) {
    let r = reqwest::Client::new()
        .post(format!("{url}/add-checkpoint"))
        .body(body)
        .send()
        .await
        .unwrap();
    let kind = r
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    (r.status().as_u16(), kind, r.text().await.unwrap())
}

#[tokio::test]
async fn witness_refuses_forks_smaller_trees_unknown_logs_and_bad_proofs() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("w.json");
    let (log, w) = (log_key(), witness_key(1));
    let (url, task) = spawn_witness(w.clone(), vec![log.verifier()], &state).await;
    let t = tree(5);
    let (status, _, text) = post(&url, body(0, &[], &signed(&log, &t, 3))).await;
    assert_eq!(status, 200, "{text}");
    let note = Note::parse(&format!("{}{text}", signed(&log, &t, 3))).unwrap();
    assert_eq!(
        cosignature::verify_all(&note, &[w.verifier()])
            .unwrap()
            .len(),
        1
    );
    // A stale old size: 409 with the size it knows.
    let (status, kind, text) = post(&url, body(0, &[], &signed(&log, &t, 5))).await;
    assert_eq!(
        (status, kind.as_str(), text.as_str()),
        (409, "text/x.tlog.size", "3\n")
    );
    // Another tree of the same size: a fork.
    let fork = tree(4);
    let mut other = MemoryTree::new();
    for i in 0..3 {
        other.push(leaf_hash(format!("other {i}").as_bytes()));
    }
    assert_eq!(
        post(&url, body(3, &[], &signed(&log, &other, 3))).await.0,
        409
    );
    // A proof that does not verify, then a good one.
    let good = proof::consistency(&t, 3, 5).unwrap();
    let bad = proof::consistency(&fork, 3, 4).unwrap();
    assert_eq!(post(&url, body(3, &bad, &signed(&log, &t, 5))).await.0, 422);
    assert_eq!(
        post(&url, body(3, &good, &signed(&log, &t, 5))).await.0,
        200
    );
    // A smaller tree, an old size above the checkpoint's, garbage.
    assert_eq!(post(&url, body(5, &[], &signed(&log, &t, 4))).await.0, 400);
    assert_eq!(post(&url, "hello".into()).await.0, 400);
    // Another key under the log's name, another origin.
    let impostor = PrivateKey::from_seed("dualdraw.test/log", TYPE_ED25519, [7; 32]).unwrap();
    assert_eq!(
        post(&url, body(5, &[], &signed(&impostor, &t, 5))).await.0,
        403
    );
    let stranger = PrivateKey::from_seed("elsewhere/log", TYPE_ED25519, [7; 32]).unwrap();
    let cp = Checkpoint {
        origin: "elsewhere/log".into(),
        size: 1,
        root: proof::root(&t, 1).unwrap(),
    };
    assert_eq!(
        post(&url, body(0, &[], &cp.sign(&stranger).unwrap()))
            .await
            .0,
        404
    );
    // The state survives a restart.
    task.abort();
    let _ = task.await;
    let (url, task) = spawn_witness(w, vec![log.verifier()], &state).await;
    let (status, _, text) = post(&url, body(0, &[], &signed(&log, &t, 5))).await;
    assert_eq!((status, text.as_str()), (409, "5\n"));
    task.abort();
}
