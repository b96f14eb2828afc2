//! A witness (C2SP `tlog-witness`, `docs/log.md` §5): `POST /add-checkpoint` verifies the log's
//! signature and the consistency proof from the size it last cosigned, records the new
//! checkpoint in its state file (under a lock, before answering) and returns a timestamped
//! cosignature. It never cosigns a smaller tree nor a different tree of the same size.

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use dualdraw_solver::merkle::Hash;
use dualdraw_solver::tlog::checkpoint::Checkpoint;
use dualdraw_solver::tlog::cosignature;
use dualdraw_solver::tlog::note::{self, Note, PrivateKey, VerifierKey};
use dualdraw_solver::tlog::proof;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use tokio::sync::Mutex;

/// The last checkpoint cosigned for one origin.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Latest {
    pub size: u64,
    /// base64 root hash.
    pub root: String,
}

/// A witness: its key, the logs it trusts, and its state.
pub struct Witness {
    pub key: PrivateKey,
    pub logs: Vec<VerifierKey>,
    pub state_path: PathBuf,
    state: Mutex<BTreeMap<String, Latest>>,
}

impl Witness {
    /// A witness with the state read from `state_path` (empty if the file does not exist).
    pub fn open(
        key: PrivateKey,
        logs: Vec<VerifierKey>,
        state_path: PathBuf,
    ) -> Result<Witness, String> {
        let state = match std::fs::read_to_string(&state_path) {
            Ok(text) => {
                serde_json::from_str(&text).map_err(|e| format!("{}: {e}", state_path.display()))?
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => BTreeMap::new(),
            Err(e) => return Err(format!("{}: {e}", state_path.display())),
        };
        Ok(Witness {
            key,
            logs,
            state_path,
            state: Mutex::new(state),
        })
    }

    fn save(&self, state: &BTreeMap<String, Latest>) -> std::io::Result<()> {
        let tmp = self.state_path.with_extension("tmp");
        std::fs::write(
            &tmp,
            serde_json::to_string_pretty(state).expect("state serializes"),
        )?;
        std::fs::File::open(&tmp)?.sync_all()?;
        std::fs::rename(&tmp, &self.state_path)
    }
}

/// The witness's routes.
pub fn router(w: Arc<Witness>) -> Router {
    Router::new()
        .route("/add-checkpoint", post(add_checkpoint))
        .with_state(w)
}

fn answer(status: StatusCode, body: String) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        body,
    )
        .into_response()
}

/// The parts of an add-checkpoint request.
struct Request {
    old: u64,
    proof: Vec<Hash>,
    note: Note,
    checkpoint: Checkpoint,
}

fn parse(body: &str) -> Result<Request, String> {
    let (head, signed) = body
        .split_once("\n\n")
        .ok_or("no empty line before the checkpoint")?;
    let mut lines = head.split('\n');
    let old_line = lines.next().unwrap_or("");
    let old = old_line
        .strip_prefix("old ")
        .filter(|n| *n == "0" || (!n.starts_with('0') && n.bytes().all(|b| b.is_ascii_digit())))
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| format!("first line '{old_line}' is not 'old SIZE'"))?;
    let proof = lines
        .map(|l| {
            B64.decode(l)
                .ok()
                .and_then(|v| Hash::try_from(v).ok())
                .ok_or_else(|| format!("proof line '{l}' is not a base64 hash"))
        })
        .collect::<Result<Vec<Hash>, String>>()?;
    if proof.len() > 63 {
        return Err("more than 63 proof lines".into());
    }
    let note = Note::parse(signed).map_err(|e| e.to_string())?;
    let checkpoint = Checkpoint::parse_text(&note.text).map_err(|e| e.to_string())?;
    Ok(Request {
        old,
        proof,
        note,
        checkpoint,
    })
}

async fn add_checkpoint(State(w): State<Arc<Witness>>, body: String) -> Response {
    let req = match parse(&body) {
        Ok(r) => r,
        Err(m) => return answer(StatusCode::BAD_REQUEST, format!("{m}\n")),
    };
    let origin = &req.checkpoint.origin;
    let keys: Vec<VerifierKey> = w
        .logs
        .iter()
        .filter(|k| &k.name == origin)
        .cloned()
        .collect();
    if keys.is_empty() {
        return answer(
            StatusCode::NOT_FOUND,
            format!("unknown log origin '{origin}'\n"),
        );
    }
    if let Err(e) = note::open(&req.note, &keys) {
        return answer(StatusCode::FORBIDDEN, format!("{e}\n"));
    }
    let (size, root) = (req.checkpoint.size, req.checkpoint.root);
    if req.old > size {
        return answer(
            StatusCode::BAD_REQUEST,
            format!("old size {} is larger than {size}\n", req.old),
        );
    }
    let mut state = w.state.lock().await;
    let latest = state.get(origin).cloned();
    let (known, known_root) = match &latest {
        Some(l) => (
            l.size,
            B64.decode(&l.root)
                .ok()
                .and_then(|v| Hash::try_from(v).ok()),
        ),
        None => (0, None),
    };
    if req.old != known {
        return (
            StatusCode::CONFLICT,
            [(header::CONTENT_TYPE, "text/x.tlog.size")],
            format!("{known}\n"),
        )
            .into_response();
    }
    if known > 0 {
        let Some(known_root) = known_root else {
            return answer(
                StatusCode::INTERNAL_SERVER_ERROR,
                "state file damaged\n".into(),
            );
        };
        if size == known && root != known_root {
            return answer(
                StatusCode::CONFLICT,
                format!("a different tree of size {size}: a fork\n"),
            );
        }
        if !proof::verify_consistency(known, size, &known_root, &root, &req.proof) {
            tracing::warn!(%origin, known, size, "inconsistent checkpoint refused");
            return answer(
                StatusCode::UNPROCESSABLE_ENTITY,
                "consistency proof does not verify\n".into(),
            );
        }
    } else if !req.proof.is_empty() {
        return answer(
            StatusCode::UNPROCESSABLE_ENTITY,
            "the proof from size 0 must be empty\n".into(),
        );
    }
    let mut next = state.clone();
    next.insert(
        origin.clone(),
        Latest {
            size,
            root: B64.encode(root),
        },
    );
    if let Err(e) = w.save(&next) {
        return answer(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("cannot save state: {e}\n"),
        );
    }
    *state = next;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    match cosignature::cosign(&req.note.text, &w.key, now) {
        Ok(sig) => answer(StatusCode::OK, sig.line()),
        Err(e) => answer(StatusCode::INTERNAL_SERVER_ERROR, format!("{e}\n")),
    }
}
