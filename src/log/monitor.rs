//! Monitoring (`dualdraw log check DIR|URL`, `docs/log.md` §9): reads the whole log from its
//! tiles, verifies the checkpoint's signatures, recomputes the tree from the entries, checks it
//! extends the last checkpoint seen and every checkpoint a mirror kept (each consecutive pair
//! with a consistency proof), and lists every batch with what it flags.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use dualdraw_solver::merkle::leaf_hash;
use dualdraw_solver::tlog::checkpoint::{self, Checkpoint};
use dualdraw_solver::tlog::cosignature::{self, Cosigned};
use dualdraw_solver::tlog::history::{self, Batch};
use dualdraw_solver::tlog::leaf::Event;
use dualdraw_solver::tlog::note::VerifierKey;
use dualdraw_solver::tlog::proof;
use dualdraw_solver::tlog::tiles::{self, MemoryTree, TilePath, WIDTH};
use futures_util::{stream, StreamExt, TryStreamExt};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// Why a check could not pass.
#[derive(Debug, thiserror::Error)]
pub enum MonitorError {
    /// Bad input: an unreadable source, state file or key (exit 2).
    #[error("{0}")]
    Input(String),
    /// The log failed a check (exit 1).
    #[error("{0}")]
    Failed(String),
}

fn failed(m: impl Into<String>) -> MonitorError {
    MonitorError::Failed(m.into())
}

/// Where the log is read from: a URL prefix (`http://host/log`) or a directory mirror.
pub enum Source {
    Url {
        base: String,
        client: reqwest::Client,
    },
    Dir(PathBuf),
}

impl Source {
    pub fn new(s: &str) -> Source {
        if s.starts_with("http://") || s.starts_with("https://") {
            Source::Url {
                base: s.trim_end_matches('/').to_string(),
                client: reqwest::Client::new(),
            }
        } else {
            Source::Dir(PathBuf::from(s))
        }
    }

    /// The bytes at `rel` (`checkpoint`, `key`, `tile/…`).
    pub async fn get(&self, rel: &str) -> Result<Vec<u8>, MonitorError> {
        match self {
            Source::Dir(d) => std::fs::read(d.join(rel))
                .map_err(|e| MonitorError::Input(format!("{}: {e}", d.join(rel).display()))),
            Source::Url { base, client } => {
                let url = format!("{base}/{rel}");
                let r = client
                    .get(&url)
                    .send()
                    .await
                    .map_err(|e| MonitorError::Input(format!("{url}: {e}")))?;
                if !r.status().is_success() {
                    return Err(failed(format!("{url}: HTTP {}", r.status())));
                }
                Ok(r.bytes()
                    .await
                    .map_err(|e| failed(format!("{url}: {e}")))?
                    .to_vec())
            }
        }
    }

    async fn text(&self, rel: &str) -> Result<String, MonitorError> {
        String::from_utf8(self.get(rel).await?).map_err(|_| failed(format!("{rel} is not UTF-8")))
    }
}

/// What a monitor remembers between runs.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct State {
    pub log_key: String,
    pub size: u64,
    pub root: String,
    /// The signed (cosigned) checkpoint seen; absent in state files written before it was kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checkpoint: Option<String>,
}

/// Where a mirror keeps every checkpoint it copied, one file per tree size (`docs/log.md` §9).
pub const HISTORY: &str = "checkpoints";

/// What to check with.
pub struct Options {
    pub log_key: Option<VerifierKey>,
    pub witnesses: Vec<VerifierKey>,
    pub state: PathBuf,
}

/// The outcome of a check that passed.
pub struct Report {
    pub checkpoint: Checkpoint,
    pub log_key: VerifierKey,
    pub cosigned: Vec<Cosigned>,
    pub previous: Option<State>,
    pub batches: Vec<Batch>,
    /// Said once: where the log key came from when it was not given.
    pub notes: Vec<String>,
    /// The sizes of the earlier checkpoints checked against each other and this one (the
    /// mirror's history and the state file's checkpoint), smallest first.
    pub history: Vec<u64>,
}

fn read_state(path: &Path) -> Result<Option<State>, MonitorError> {
    match std::fs::read_to_string(path) {
        Ok(t) => serde_json::from_str(&t)
            .map(Some)
            .map_err(|e| MonitorError::Input(format!("{}: {e}", path.display()))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(MonitorError::Input(format!("{}: {e}", path.display()))),
    }
}

async fn log_key(
    src: &Source,
    opts: &Options,
    prev: &Option<State>,
    notes: &mut Vec<String>,
) -> Result<VerifierKey, MonitorError> {
    if let Some(k) = &opts.log_key {
        return Ok(k.clone());
    }
    if let Some(s) = prev {
        return VerifierKey::parse(&s.log_key)
            .map_err(|e| MonitorError::Input(format!("state: {e}")));
    }
    let k = src.text("key").await?;
    let k = VerifierKey::parse(k.trim()).map_err(|e| failed(format!("key: {e}")))?;
    notes.push(format!("log key taken from the log itself ({k}); compare it with the published one, or pass --log-key"));
    Ok(k)
}

/// Checks the log at `src` and records its checkpoint in the state file.
pub async fn check(src: &Source, opts: &Options) -> Result<Report, MonitorError> {
    let previous = read_state(&opts.state)?;
    let mut notes = Vec::new();
    let key = log_key(src, opts, &previous, &mut notes).await?;
    let signed = src.text("checkpoint").await?;
    let opened = checkpoint::open(&signed, &key).map_err(|e| failed(format!("checkpoint: {e}")))?;
    let cosigned = cosignature::verify_all(&opened.note, &opts.witnesses)
        .map_err(|e| failed(format!("checkpoint: {e}")))?;
    let cp = opened.checkpoint;
    let (tree, events) = read_tree(src, cp.size).await?;
    let root = proof::root(&tree, cp.size).expect("every hash is in memory");
    if root != cp.root {
        return Err(failed(format!(
            "the {} entries do not give the checkpoint's root: an entry was changed",
            cp.size
        )));
    }
    if let Some(prev) = &previous {
        check_extends(&tree, prev, &cp)?;
    }
    let mut earlier = read_history(src)?;
    if let Some(text) = previous.as_ref().and_then(|p| p.checkpoint.clone()) {
        earlier.push((
            format!("{} (checkpoint seen before)", opts.state.display()),
            text,
        ));
    }
    let history = check_history(&tree, &key, &opts.witnesses, earlier, &cp)?;
    let state = State {
        log_key: key.to_string(),
        size: cp.size,
        root: B64.encode(cp.root),
        checkpoint: Some(signed.clone()),
    };
    std::fs::write(
        &opts.state,
        serde_json::to_string_pretty(&state).expect("state serializes"),
    )
    .map_err(|e| MonitorError::Input(format!("{}: {e}", opts.state.display())))?;
    Ok(Report {
        checkpoint: cp,
        log_key: key,
        cosigned,
        previous,
        batches: history::batches(&events),
        notes,
        history,
    })
}

/// The checkpoints a directory mirror kept (`checkpoints/<size>`), labelled by their path;
/// none for a URL or a mirror without history.
fn read_history(src: &Source) -> Result<Vec<(String, String)>, MonitorError> {
    let Source::Dir(d) = src else {
        return Ok(Vec::new());
    };
    let dir = d.join(HISTORY);
    let entries = match std::fs::read_dir(&dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(MonitorError::Input(format!("{}: {e}", dir.display()))),
    };
    let mut out = Vec::new();
    for e in entries {
        let e = e.map_err(|e| MonitorError::Input(format!("{}: {e}", dir.display())))?;
        let label = format!("{HISTORY}/{}", e.file_name().to_string_lossy());
        let text = std::fs::read(e.path())
            .map_err(|x| MonitorError::Input(format!("{}: {x}", e.path().display())))?;
        let text = String::from_utf8(text).map_err(|_| failed(format!("{label} is not UTF-8")))?;
        out.push((label, text));
    }
    out.sort();
    Ok(out)
}

/// Verifies every earlier checkpoint's signatures (the log's; each known witness's) and that
/// each consecutive pair, smallest first and ending with the current checkpoint, is one
/// append-only tree: an RFC 6962 consistency proof, computed from the tree just read, verifies
/// from the smaller to the larger (two of one size must have one root). Returns the sizes.
fn check_history(
    tree: &MemoryTree,
    key: &VerifierKey,
    witnesses: &[VerifierKey],
    earlier: Vec<(String, String)>,
    current: &Checkpoint,
) -> Result<Vec<u64>, MonitorError> {
    let mut seen: Vec<(String, Checkpoint)> = Vec::new();
    for (label, text) in earlier {
        let opened = checkpoint::open(&text, key).map_err(|e| failed(format!("{label}: {e}")))?;
        cosignature::verify_all(&opened.note, witnesses)
            .map_err(|e| failed(format!("{label}: {e}")))?;
        if opened.checkpoint.size > current.size {
            return Err(failed(format!(
                "the log shrank: {label} has {} entries, the checkpoint {}",
                opened.checkpoint.size, current.size
            )));
        }
        seen.push((label, opened.checkpoint));
    }
    seen.push(("checkpoint".into(), current.clone()));
    seen.sort_by_key(|(_, c)| c.size);
    // The same tree seen twice (the mirror's copy of the current checkpoint, the state file's
    // of a log that did not grow) is one checkpoint.
    seen.dedup_by(|b, a| a.1.size == b.1.size && a.1.root == b.1.root);
    let sizes = seen
        .iter()
        .filter(|(_, c)| !(c.size == current.size && c.root == current.root))
        .map(|(_, c)| c.size)
        .collect();
    for pair in seen.windows(2) {
        let ((la, a), (lb, b)) = (&pair[0], &pair[1]);
        let p = proof::consistency(tree, a.size, b.size).expect("every hash is in memory");
        if !proof::verify_consistency(a.size, b.size, &a.root, &b.root, &p) {
            return Err(failed(format!(
                "{la} (size {}) and {lb} (size {}) are not consistent: they are not one append-only tree",
                a.size, b.size
            )));
        }
    }
    Ok(sizes)
}

fn check_extends(tree: &MemoryTree, prev: &State, cp: &Checkpoint) -> Result<(), MonitorError> {
    if cp.size < prev.size {
        return Err(failed(format!(
            "the log shrank: size {} after {} was seen",
            cp.size, prev.size
        )));
    }
    let old = proof::root(tree, prev.size).expect("every hash is in memory");
    if B64.encode(old) != prev.root {
        return Err(failed(format!(
            "the tree is not consistent with the checkpoint of size {} seen before: its first {} entries changed",
            prev.size, prev.size
        )));
    }
    Ok(())
}

/// Every entry of the tree of `size`, checked against the level-0 tiles.
async fn read_tree(
    src: &Source,
    size: u64,
) -> Result<(MemoryTree, Vec<(u64, Event)>), MonitorError> {
    let bundles: Vec<(u64, Vec<Vec<u8>>)> = stream::iter(0..size.div_ceil(WIDTH))
        .map(|i| async move {
            let width = tiles::width_in(size, 0, i);
            let entries = TilePath::Entries { index: i, width }.path();
            let hashes = TilePath::Hashes {
                level: 0,
                index: i,
                width,
            }
            .path();
            let leaves = tiles::decode_bundle(&src.get(&format!("tile/{entries}")).await?)
                .map_err(|e| failed(format!("tile/{entries}: {e}")))?;
            let tile = tiles::tile_hashes(&src.get(&format!("tile/{hashes}")).await?)
                .map_err(|e| failed(format!("tile/{hashes}: {e}")))?;
            if leaves.len() as u64 != width {
                return Err(failed(format!(
                    "tile/{entries}: {} entries, expected {width}",
                    leaves.len()
                )));
            }
            let computed: Vec<_> = leaves.iter().map(|l| leaf_hash(l)).collect();
            if computed != tile {
                return Err(failed(format!(
                    "tile/{hashes} does not hold the hashes of tile/{entries}"
                )));
            }
            Ok((i, leaves))
        })
        .buffered(8)
        .try_collect()
        .await?;
    let mut tree = MemoryTree::new();
    let mut events = Vec::new();
    for (i, leaves) in bundles {
        for (j, leaf) in leaves.into_iter().enumerate() {
            let index = i * WIDTH + j as u64;
            tree.push(leaf_hash(&leaf));
            let e = Event::parse(&leaf).map_err(|e| failed(format!("entry {index}: {e}")))?;
            events.push((index, e));
        }
    }
    Ok((tree, events))
}

/// Copies the log at `src` into `dir` with the same layout (checkpoint, key, every tile).
pub async fn mirror(src: &Source, dir: &Path) -> Result<u64, MonitorError> {
    let signed = src.text("checkpoint").await?;
    let note =
        dualdraw_solver::tlog::note::Note::parse(&signed).map_err(|e| failed(e.to_string()))?;
    let cp = Checkpoint::parse_text(&note.text).map_err(|e| failed(e.to_string()))?;
    let mut paths: Vec<String> = tiles::all_tiles(cp.size)
        .iter()
        .map(|t| format!("tile/{}", t.path()))
        .collect();
    for i in 0..cp.size.div_ceil(WIDTH) {
        let width = tiles::width_in(cp.size, 0, i);
        paths.push(format!(
            "tile/{}",
            TilePath::Entries { index: i, width }.path()
        ));
    }
    paths.push("key".into());
    for rel in paths {
        let bytes = src.get(&rel).await?;
        let path = dir.join(&rel);
        std::fs::create_dir_all(path.parent().expect("a tile path has a parent"))
            .and_then(|_| std::fs::write(&path, bytes))
            .map_err(|e| MonitorError::Input(format!("{}: {e}", path.display())))?;
    }
    keep_in_history(dir, &note.text, cp.size, &signed)?;
    std::fs::write(dir.join("checkpoint"), signed)
        .map_err(|e| MonitorError::Input(format!("{}: {e}", dir.display())))?;
    Ok(cp.size)
}

/// Keeps the checkpoint as `checkpoints/<size>` beside the earlier ones. The same tree seen
/// again replaces its file (it may carry more cosignatures); a different tree of a size kept
/// before is a fork: refused, and both are left for the record (`checkpoints/<size>.fork`).
fn keep_in_history(dir: &Path, text: &str, size: u64, signed: &str) -> Result<(), MonitorError> {
    let history = dir.join(HISTORY);
    let io = |p: &Path, e: std::io::Error| MonitorError::Input(format!("{}: {e}", p.display()));
    std::fs::create_dir_all(&history).map_err(|e| io(&history, e))?;
    let path = history.join(size.to_string());
    if let Ok(before) = std::fs::read_to_string(&path) {
        let same = dualdraw_solver::tlog::note::Note::parse(&before).is_ok_and(|n| n.text == text);
        if !same {
            let fork = history.join(format!("{size}.fork"));
            std::fs::write(&fork, signed).map_err(|e| io(&fork, e))?;
            return Err(failed(format!(
                "the log forked: its checkpoint of size {size} is not the one mirrored before ({}); the new one is kept as {}",
                path.display(),
                fork.display()
            )));
        }
    }
    std::fs::write(&path, signed).map_err(|e| io(&path, e))
}
