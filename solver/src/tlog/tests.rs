//! Tests of the log's pure core against published vectors (RFC 8032, Go's `sumdb/note`) and the
//! RFC 6962 construction of `merkle.rs`; and the vectors of `seeds/vectors/log/` it generates.

use super::checkpoint::{self, Checkpoint};
use super::cosignature;
use super::history::{batches, Flag};
use super::leaf::{self, Event, Kind};
use super::note::{self, Note, NoteError, PrivateKey, VerifierKey, TYPE_COSIGNATURE, TYPE_ED25519};
use super::proof;
use super::tiles::{self, MemoryTree, TilePath};
use crate::merkle::{self, Hash};
use serde_json::{json, Value};

fn vectors(file: &str) -> Value {
    let path = format!("{}/../seeds/vectors/log/{file}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(&path).expect("vector file")).expect("JSON")
}

fn s(v: &Value) -> &str {
    v.as_str().expect("string")
}

#[test]
fn ed25519_matches_rfc8032_section_7_1() {
    for t in vectors("rfc8032.json")["tests"].as_array().unwrap() {
        let seed: [u8; 32] = hex::decode(s(&t["secret_key"]))
            .unwrap()
            .try_into()
            .unwrap();
        let key = PrivateKey::from_seed("rfc8032", TYPE_ED25519, seed).unwrap();
        assert_eq!(
            hex::encode(key.verifier().key.as_bytes()),
            s(&t["public_key"])
        );
        let msg = hex::decode(s(&t["message"])).unwrap();
        assert_eq!(hex::encode(key.sign_bytes(&msg)), s(&t["signature"]));
    }
}

#[test]
fn signs_and_opens_notes_as_go_sumdb_note() {
    let v = vectors("go-note.json");
    let key = PrivateKey::parse(s(&v["signer_key"])).unwrap();
    assert_eq!(key.encode(), s(&v["signer_key"]));
    assert_eq!(key.verifier().to_string(), s(&v["verifier_key"]));
    let sig = note::sign(s(&v["text"]), &key).unwrap();
    let signed = Note {
        text: s(&v["text"]).to_string(),
        signatures: vec![sig],
    };
    assert_eq!(signed.to_string(), s(&v["signed"]));

    let peter = VerifierKey::parse(s(&v["verifier_key"])).unwrap();
    let enoch = VerifierKey::parse(s(&v["other_verifier_key"])).unwrap();
    let both = format!("{}{}", s(&v["signed"]), s(&v["other_signature_line"]));
    let n = Note::parse(&both).unwrap();
    assert_eq!(
        note::open(&n, std::slice::from_ref(&peter)).unwrap().len(),
        1
    );
    assert_eq!(
        note::open(&n, &[peter.clone(), enoch.clone()])
            .unwrap()
            .len(),
        2
    );
    assert!(matches!(
        note::open(&n, &[]),
        Err(NoteError::NoKnownSignature(_))
    ));
    for bad in v["bad_verifier_keys"].as_array().unwrap() {
        assert!(VerifierKey::parse(s(bad)).is_err(), "{bad} was accepted");
    }
    // A changed signature of a known key fails the whole note.
    let tampered = s(&v["signed"]).replacen("x08go/ZJ", "x08go/ZK", 1);
    let n = Note::parse(&tampered).unwrap();
    assert!(matches!(
        note::open(&n, &[peter]),
        Err(NoteError::BadSignature(_))
    ));
}

#[test]
fn refuses_malformed_notes() {
    let v = vectors("go-note.json");
    let text = s(&v["text"]);
    let signed = s(&v["signed"]);
    for bad in [
        text.to_string(),
        format!("{text}\n"),
        signed[..signed.len() - 1].to_string(),
        format!("\u{1}{signed}"),
        format!("{signed}Unexpected line.\n"),
        signed.replace("PeterNeumann x", "Peter Neumann x"),
    ] {
        assert!(Note::parse(&bad).is_err(), "accepted {bad:?}");
    }
}

fn tree_of(n: u64) -> (MemoryTree, Vec<Hash>) {
    let mut t = MemoryTree::new();
    let mut leaves = Vec::new();
    for i in 0..n {
        let h = merkle::leaf_hash(format!("leaf {i}").as_bytes());
        t.push(h);
        leaves.push(h);
    }
    (t, leaves)
}

#[test]
fn proofs_from_tiles_match_rfc6962() {
    let (t, leaves) = tree_of(70);
    for n in 1..=70u64 {
        let root = proof::root(&t, n).unwrap();
        assert_eq!(root, merkle::root(&leaves[..n as usize]));
        for m in 0..n {
            let p = proof::inclusion(&t, m, n).unwrap();
            assert_eq!(
                p,
                merkle::inclusion_proof(&leaves[..n as usize], m as usize)
            );
            assert!(merkle::verify_inclusion(
                &leaves[m as usize],
                m,
                n,
                &p,
                &root
            ));
        }
        for m in 0..=n {
            let old = proof::root(&t, m).unwrap();
            let p = proof::consistency(&t, m, n).unwrap();
            assert!(
                proof::verify_consistency(m, n, &old, &root, &p),
                "{m} -> {n}"
            );
            if m > 0 && m < n {
                let mut forged = p.clone();
                forged[0][0] ^= 1;
                assert!(!proof::verify_consistency(m, n, &old, &root, &forged));
                let other = merkle::leaf_hash(b"another tree");
                assert!(!proof::verify_consistency(m, n, &other, &root, &p));
            }
        }
    }
}

#[test]
fn tiles_above_level_zero_give_the_same_roots_and_proofs() {
    let (t, leaves) = tree_of(70_000);
    assert_eq!(t.levels[1].len(), 273);
    assert_eq!(t.levels[2].len(), 1);
    for n in [255u64, 256, 257, 65_535, 65_536, 65_537, 69_999, 70_000] {
        let root = proof::root(&t, n).unwrap();
        assert_eq!(root, merkle::root(&leaves[..n as usize]), "size {n}");
        for m in [0u64, 1, 255, 256, n / 2, n - 1]
            .into_iter()
            .filter(|m| *m < n)
        {
            let p = proof::inclusion(&t, m, n).unwrap();
            assert!(merkle::verify_inclusion(
                &leaves[m as usize],
                m,
                n,
                &p,
                &root
            ));
            let old = proof::root(&t, m).unwrap();
            let c = proof::consistency(&t, m, n).unwrap();
            assert!(proof::verify_consistency(m, n, &old, &root, &c));
        }
    }
    // A reader that lacks a hash says which one.
    let empty = MemoryTree::new();
    assert_eq!(
        proof::root(&empty, 3),
        Err(proof::Missing { level: 0, index: 0 })
    );
}

#[test]
fn tile_paths_follow_c2sp() {
    assert_eq!(tiles::index_path(1_234_067), "x001/x234/067");
    assert_eq!(tiles::index_path(5), "005");
    let p = TilePath::Hashes {
        level: 1,
        index: 1_234_067,
        width: 17,
    };
    assert_eq!(p.path(), "1/x001/x234/067.p/17");
    assert_eq!(TilePath::parse(&p.path()), Ok(p));
    assert_eq!(
        TilePath::parse("entries/x001/000"),
        Ok(TilePath::Entries {
            index: 1000,
            width: 256
        })
    );
    for bad in [
        "0/5",
        "0/0005",
        "00/005",
        "0/005.p/256",
        "0/005.p/0",
        "0/x000/005",
        "64/000",
    ] {
        assert!(TilePath::parse(bad).is_err(), "accepted {bad}");
    }
    // The example of the specification: a tree of 70,000 leaves.
    let all = tiles::all_tiles(70_000);
    let count = |l: u8, full: bool| {
        all.iter()
            .filter(|t| matches!(t, TilePath::Hashes { level, width, .. } if *level == l && (*width == 256) == full))
            .count()
    };
    assert_eq!((count(0, true), count(0, false)), (273, 1));
    assert_eq!((count(1, true), count(1, false)), (1, 1));
    assert_eq!((count(2, true), count(2, false)), (0, 1));
    assert_eq!(tiles::width_in(70_000, 0, 273), 112);
    assert_eq!(tiles::width_in(70_000, 1, 1), 17);
    let bundle = tiles::encode_bundle([&b"ab"[..], &b""[..], &b"c"[..]]);
    assert_eq!(bundle, b"\0\x02ab\0\0\0\x01c");
    assert_eq!(tiles::decode_bundle(&bundle).unwrap().len(), 3);
    assert!(tiles::decode_bundle(&bundle[..3]).is_err());
}

pub(super) fn test_key(name: &str, sig_type: u8) -> PrivateKey {
    let seed = sha2::Sha256::digest_of(name);
    PrivateKey::from_seed(name, sig_type, seed).unwrap()
}

trait DigestOf {
    fn digest_of(s: &str) -> [u8; 32];
}

impl DigestOf for sha2::Sha256 {
    fn digest_of(s: &str) -> [u8; 32] {
        use sha2::Digest;
        sha2::Sha256::digest(format!("dualdraw test key {s}").as_bytes()).into()
    }
}

#[test]
fn cosignatures_verify_and_refuse_forgery_and_replay() {
    let log = test_key("dualdraw.test/log", TYPE_ED25519);
    let w1 = test_key("witness.test/w1", TYPE_COSIGNATURE);
    let w2 = test_key("witness.test/w2", TYPE_COSIGNATURE);
    let cp = Checkpoint {
        origin: log.name.clone(),
        size: 3,
        root: merkle::leaf_hash(b"x"),
    };
    let signed = cp.sign(&log).unwrap();
    let opened = checkpoint::open(&signed, &log.verifier()).unwrap();
    assert_eq!(opened.checkpoint, cp);
    let c1 = cosignature::cosign(&cp.text(), &w1, 1_767_225_600).unwrap();
    let c2 = cosignature::cosign(&cp.text(), &w2, 1_767_225_660).unwrap();
    let cosigned = format!("{signed}{}{}", c1.line(), c2.line());
    let witnesses = [w1.verifier(), w2.verifier()];
    let note = Note::parse(&cosigned).unwrap();
    let got = cosignature::verify_all(&note, &witnesses).unwrap();
    assert_eq!(got.len(), 2);
    assert_eq!(cosignature::quorum_time(&got, 1), Some(1_767_225_600));
    assert_eq!(cosignature::quorum_time(&got, 2), Some(1_767_225_660));
    assert_eq!(cosignature::quorum_time(&got, 3), None);
    // A cosignature replayed on another tree, or with another time, does not verify.
    let other = Checkpoint {
        size: 4,
        ..cp.clone()
    };
    let replayed = format!("{}{}", other.sign(&log).unwrap(), c1.line());
    let note = Note::parse(&replayed).unwrap();
    assert!(cosignature::verify_all(&note, &witnesses).is_err());
    let mut later = c1.clone();
    later.bytes[7] ^= 1;
    let note = Note::parse(&format!("{signed}{}", later.line())).unwrap();
    assert!(cosignature::verify_all(&note, &witnesses).is_err());
    // The log's key cannot cosign, and a checkpoint with extension lines is refused.
    assert!(cosignature::cosign(&cp.text(), &log, 1).is_err());
    assert!(Checkpoint::parse_text(&format!("{}ext\n", cp.text())).is_err());
    assert!(checkpoint::open(&signed, &w1.verifier()).is_err());
}

fn demo_events() -> Vec<Event> {
    let c = "3f".repeat(32);
    let c2 = "4e".repeat(32);
    let sources = json!([{"chain":"quicknet","chain_hash":"52db9ba70e0cc0f6eaf7803dd07447a1f5477735fd3f661792ba94600c84e971","kind":"drand","round":24000000}]);
    let ev =
        |kind, batch: &str, c: &str, extra| Event::new(kind, "440305", batch, c, extra).unwrap();
    vec![
        ev(
            Kind::Prepare,
            "2026-Q1",
            &c,
            leaf::prepare_fields("dr1", &sources, false, None),
        ),
        ev(Kind::Run, "2026-Q1", &c, {
            let mut m = leaf::one("entropy_sha256", json!("ab".repeat(32)));
            m.insert("plan_commitment".into(), json!("cd".repeat(32)));
            m
        }),
        ev(
            Kind::Abandon,
            "2026-Q1",
            &c,
            leaf::one("reason", json!("输入有误：名录未更新")),
        ),
        ev(
            Kind::Prepare,
            "2026-Q1-b",
            &c2,
            leaf::prepare_fields("dr1", &sources, true, None),
        ),
        ev(
            Kind::Reveal,
            "2026-Q1-b",
            &c2,
            leaf::one("secret", json!("01".repeat(32))),
        ),
        ev(
            Kind::Prepare,
            "2026-Q1",
            &c2,
            leaf::prepare_fields("dr1", &sources, false, None),
        ),
        ev(
            Kind::Replan,
            "2026-R1",
            &c2,
            leaf::prepare_fields("dr2", &json!([]), false, Some(&c)),
        ),
    ]
}

#[test]
fn leaves_are_canonical_and_checked() {
    for e in demo_events() {
        let bytes = e.leaf();
        assert_eq!(Event::parse(&bytes).unwrap(), e);
    }
    let e = &demo_events()[0];
    let spaced = String::from_utf8(e.leaf()).unwrap().replacen(',', ", ", 1);
    assert!(Event::parse(spaced.as_bytes()).is_err());
    let mut fields = e.fields.clone();
    fields.remove("sources");
    assert!(Event::parse(&serde_json::to_vec(&fields).unwrap()).is_err());
    let secret = [7u8; 32];
    let files = [
        ("plan/a.csv", "aa"),
        ("inputs/x.csv", "bb"),
        ("plan/b.csv", "cc"),
    ]
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .into_iter()
    .collect();
    let only_plan = [("plan/a.csv", "aa"), ("plan/b.csv", "cc")]
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .into_iter()
        .collect();
    assert_eq!(
        leaf::plan_commitment(&secret, &files),
        leaf::plan_commitment(&secret, &only_plan)
    );
    assert_ne!(
        leaf::plan_commitment(&secret, &files),
        leaf::plan_commitment(&[8u8; 32], &files)
    );
}

#[test]
fn history_flags_abandoned_duplicate_and_out_of_order() {
    let events: Vec<(u64, Event)> = demo_events()
        .into_iter()
        .enumerate()
        .map(|(i, e)| (i as u64, e))
        .collect();
    let b = batches(&events);
    assert_eq!(b.len(), 3);
    assert_eq!(b[0].batch, "2026-Q1");
    assert!(b[0]
        .flags
        .contains(&Flag::Abandoned("输入有误：名录未更新".into())));
    assert!(b[0].flags.contains(&Flag::DuplicateName(5)));
    assert!(matches!(&b[1].flags[..], [Flag::OutOfOrder(4, why)] if why == "reveal before run"));
    assert!(b[2].flags.is_empty());
}

/// Writes the vector file when `DUALDRAW_WRITE_VECTORS` is set, else checks it is unchanged.
fn check_or_write(file: &str, value: &Value) {
    let path = format!("{}/../seeds/vectors/log/{file}", env!("CARGO_MANIFEST_DIR"));
    let text = format!("{}\n", serde_json::to_string_pretty(value).unwrap());
    if std::env::var_os("DUALDRAW_WRITE_VECTORS").is_some() {
        std::fs::write(&path, &text).unwrap();
    }
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        text,
        "{file} differs: regenerate it"
    );
}

#[test]
fn generated_vectors_are_unchanged() {
    use base64::engine::general_purpose::STANDARD as B64;
    use base64::Engine;
    let log = test_key("dualdraw.test/log", TYPE_ED25519);
    let mut tree = MemoryTree::new();
    let mut leaves = Vec::new();
    for e in demo_events() {
        let bytes = e.leaf();
        tree.push(merkle::leaf_hash(&bytes));
        leaves.push(json!({"leaf": String::from_utf8(bytes.clone()).unwrap(), "leaf_hash": hex::encode(merkle::leaf_hash(&bytes))}));
    }
    let n = tree.size();
    let root = proof::root(&tree, n).unwrap();
    let b64 = |hs: Vec<Hash>| hs.iter().map(|h| B64.encode(h)).collect::<Vec<_>>();
    let proofs: Vec<Value> = (0..n)
        .map(|m| json!({"index": m, "size": n, "proof": b64(proof::inclusion(&tree, m, n).unwrap())}))
        .collect();
    let consistency: Vec<Value> = (1..n)
        .map(|m| json!({"old_size": m, "old_root": B64.encode(proof::root(&tree, m).unwrap()), "size": n, "proof": b64(proof::consistency(&tree, m, n).unwrap())}))
        .collect();
    check_or_write(
        "leaves.json",
        &json!({
            "_source": "made by solver/src/tlog (docs/log.md §1-§2): the leaves of a short log, their RFC 6962 hashes, the root, inclusion proofs and consistency proofs (hashes in base64)",
            "leaves": leaves, "size": n, "root": B64.encode(root), "inclusion": proofs, "consistency": consistency,
        }),
    );
    let checkpoints: Vec<Value> = (1..=n)
        .map(|m| {
            let cp = Checkpoint {
                origin: log.name.clone(),
                size: m,
                root: proof::root(&tree, m).unwrap(),
            };
            json!({"size": m, "signed": cp.sign(&log).unwrap()})
        })
        .collect();
    check_or_write(
        "checkpoints.json",
        &json!({
            "_source": "made by solver/src/tlog (docs/log.md §3.2): checkpoints of the tree of leaves.json, signed by the log key (Ed25519 seed = SHA-256(\"dualdraw test key \" + name))",
            "log_private_key": log.encode(), "log_verifier_key": log.verifier().to_string(), "checkpoints": checkpoints,
        }),
    );
    let cp = Checkpoint {
        origin: log.name.clone(),
        size: n,
        root,
    };
    let signed = cp.sign(&log).unwrap();
    let w: Vec<PrivateKey> = ["witness.test/w1", "witness.test/w2"]
        .iter()
        .map(|k| test_key(k, TYPE_COSIGNATURE))
        .collect();
    let lines: Vec<String> = w
        .iter()
        .zip([1_767_225_600u64, 1_767_225_660])
        .map(|(k, t)| cosignature::cosign(&cp.text(), k, t).unwrap().line())
        .collect();
    let mut replayed = cosignature::cosign(&cp.text(), &w[0], 1_767_225_600).unwrap();
    replayed.bytes[7] ^= 1;
    check_or_write(
        "cosignatures.json",
        &json!({
            "_source": "made by solver/src/tlog (docs/log.md §3.3): cosignature/v1 lines of two witnesses on the last checkpoint of checkpoints.json; 'forged' claims another time and must not verify",
            "witnesses": w.iter().map(|k| json!({"private_key": k.encode(), "verifier_key": k.verifier().to_string()})).collect::<Vec<_>>(),
            "checkpoint": signed, "timestamps": [1_767_225_600u64, 1_767_225_660], "cosignature_lines": lines,
            "cosigned": format!("{signed}{}{}", lines[0], lines[1]), "forged": replayed.line(),
            "quorum_times": {"1": 1_767_225_600u64, "2": 1_767_225_660},
        }),
    );
}

#[test]
fn evidence_consistency_is_additive_and_checked() {
    use super::evidence::{check_consistency, Evidence, Keys};
    let log = test_key("dualdraw.test/log", TYPE_ED25519);
    let (t, _) = tree_of(5);
    let signed = |size: u64| {
        Checkpoint {
            origin: log.name.clone(),
            size,
            root: proof::root(&t, size).unwrap(),
        }
        .sign(&log)
        .unwrap()
    };
    let evidence = |size: u64, consistency: Option<Vec<Hash>>| Evidence {
        checkpoint: signed(size),
        index: 0,
        leaf: "x".into(),
        proof: vec![],
        consistency,
    };
    let keys = Keys {
        log: log.verifier(),
        witnesses: vec![],
        quorum: 0,
    };
    // Without the key: the text of earlier evidence, parsed back unchanged, and no check.
    let old = evidence(5, None);
    assert!(!old.to_text().contains("consistency"));
    assert_eq!(Evidence::parse(&old.to_text()).unwrap(), old);
    assert_eq!(check_consistency(&evidence(3, None), &old, &keys), Ok(None));
    // With it: canonical (keys in byte order), and checked from the earlier checkpoint.
    let later = evidence(5, Some(proof::consistency(&t, 3, 5).unwrap()));
    let text = later.to_text();
    assert!(text.starts_with("{\"checkpoint\":") && text.contains("\",\"consistency\":[\""));
    assert_eq!(Evidence::parse(&text).unwrap(), later);
    assert_eq!(
        check_consistency(&evidence(3, None), &later, &keys),
        Ok(Some(3))
    );
    let e = check_consistency(&evidence(2, None), &later, &keys).unwrap_err();
    assert!(e
        .0
        .contains("consistency proof from checkpoint 2 to checkpoint 5 does not verify"));
    let mut forged = later.clone();
    forged.consistency.as_mut().unwrap()[0][0] ^= 1;
    assert!(check_consistency(&evidence(3, None), &forged, &keys).is_err());
    let e = check_consistency(&old, &evidence(3, Some(vec![])), &keys).unwrap_err();
    assert!(e.0.contains("is larger than"), "{e}");
    // The same size: an empty proof, and the same root.
    assert_eq!(
        check_consistency(&evidence(5, None), &evidence(5, Some(vec![])), &keys),
        Ok(Some(5))
    );
}
