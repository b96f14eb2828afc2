//! Tiles (C2SP `tlog-tiles`, height 8, `docs/log.md` §4): the tree served as static files.
//!
//! Tile `N` of level `L` holds the hashes `N·256 … N·256+255` of level `L`, where the hash `i`
//! of level `L` is the root of leaves `[i·256^L, (i+1)·256^L)`: leaf hashes at level 0.

use crate::merkle::{self, Hash};

/// Hashes in a full tile.
pub const WIDTH: u64 = 256;

/// What a tile path names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TilePath {
    /// A tile of hashes: level, index, width (1–256; 256 is a full tile).
    Hashes { level: u8, index: u64, width: u64 },
    /// An entry bundle: index, width (1–256).
    Entries { index: u64, width: u64 },
}

/// Why a tile path is not one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a tile path: '{0}'")]
pub struct BadTilePath(pub String);

/// `N` in 3-digit groups, all but the last prefixed with `x`: 1234067 is `x001/x234/067`.
pub fn index_path(n: u64) -> String {
    let mut groups = vec![format!("{:03}", n % 1000)];
    let mut rest = n / 1000;
    while rest > 0 {
        groups.push(format!("x{:03}", rest % 1000));
        rest /= 1000;
    }
    groups.reverse();
    groups.join("/")
}

impl TilePath {
    /// The path below `tile/`: `L/N[.p/W]` or `entries/N[.p/W]`.
    pub fn path(&self) -> String {
        let (head, index, width) = match *self {
            TilePath::Hashes {
                level,
                index,
                width,
            } => (level.to_string(), index, width),
            TilePath::Entries { index, width } => ("entries".to_string(), index, width),
        };
        let partial = if width < WIDTH {
            format!(".p/{width}")
        } else {
            String::new()
        };
        format!("{head}/{}{partial}", index_path(index))
    }

    /// Parses a path below `tile/`, refusing any other spelling of the same tile.
    pub fn parse(path: &str) -> Result<TilePath, BadTilePath> {
        let bad = || BadTilePath(path.to_string());
        let (head, rest) = path.split_once('/').ok_or_else(bad)?;
        let (index_part, width) = match rest.split_once(".p/") {
            Some((i, w)) => (i, parse_width(w).ok_or_else(bad)?),
            None => (rest, WIDTH),
        };
        let index = parse_index(index_part).ok_or_else(bad)?;
        if head == "entries" {
            return Ok(TilePath::Entries { index, width });
        }
        let level: u8 = head.parse().map_err(|_| bad())?;
        if level > 63 || level.to_string() != head {
            return Err(bad());
        }
        Ok(TilePath::Hashes {
            level,
            index,
            width,
        })
    }
}

fn parse_width(w: &str) -> Option<u64> {
    let v: u64 = w.parse().ok()?;
    (v.to_string() == w && (1..WIDTH).contains(&v)).then_some(v)
}

fn parse_index(s: &str) -> Option<u64> {
    let groups: Vec<&str> = s.split('/').collect();
    let (last, init) = groups.split_last()?;
    let mut n: u64 = 0;
    for g in init {
        let d = g.strip_prefix('x')?;
        n = n.checked_mul(1000)?.checked_add(digits3(d)?)?;
    }
    n = n.checked_mul(1000)?.checked_add(digits3(last)?)?;
    (index_path(n) == s).then_some(n)
}

fn digits3(s: &str) -> Option<u64> {
    (s.len() == 3 && s.bytes().all(|b| b.is_ascii_digit())).then(|| s.parse().ok())?
}

/// `256^level`, saturating.
pub fn span(level: u8) -> u64 {
    1u64.checked_shl(8 * level as u32).unwrap_or(u64::MAX)
}

/// The width a tile has in a tree of `size` leaves: 256 if full, 0 if it does not exist yet.
pub fn width_in(size: u64, level: u8, index: u64) -> u64 {
    let hashes = size / span(level);
    hashes.saturating_sub(index * WIDTH).min(WIDTH)
}

/// Every tile (full and partial) of a tree of `size` leaves, level by level.
pub fn all_tiles(size: u64) -> Vec<TilePath> {
    let mut out = Vec::new();
    let mut level = 0u8;
    while level < 64 && size / span(level) > 0 {
        let hashes = size / span(level);
        for index in 0..hashes.div_ceil(WIDTH) {
            let width = width_in(size, level, index);
            out.push(TilePath::Hashes {
                level,
                index,
                width,
            });
        }
        level += 1;
    }
    out
}

/// An entry bundle: each leaf as a big-endian u16 length and its bytes.
pub fn encode_bundle<'a>(leaves: impl IntoIterator<Item = &'a [u8]>) -> Vec<u8> {
    let mut out = Vec::new();
    for leaf in leaves {
        let len = u16::try_from(leaf.len()).expect("leaves are at most 65535 bytes");
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(leaf);
    }
    out
}

/// The leaves of an entry bundle.
pub fn decode_bundle(mut bytes: &[u8]) -> Result<Vec<Vec<u8>>, String> {
    let mut out = Vec::new();
    while !bytes.is_empty() {
        if bytes.len() < 2 {
            return Err("entry bundle ends inside a length".into());
        }
        let len = u16::from_be_bytes([bytes[0], bytes[1]]) as usize;
        let rest = &bytes[2..];
        if rest.len() < len {
            return Err(format!("entry {} of the bundle is cut short", out.len()));
        }
        out.push(rest[..len].to_vec());
        bytes = &rest[len..];
    }
    Ok(out)
}

/// The level-`level + 1` hash of one full tile of level `level` (its 256 hashes).
pub fn tile_root(hashes: &[Hash]) -> Hash {
    debug_assert_eq!(hashes.len() as u64, WIDTH);
    merkle::root(hashes)
}

/// Reads the stored hashes of the tree: hash `index` of tile level `level` (see module docs).
/// `None` when the reader does not have it (yet).
pub trait HashReader {
    fn hash(&self, level: u8, index: u64) -> Option<Hash>;
}

/// Every stored hash of a tree, kept in memory: for tests, vectors and mirrors.
#[derive(Clone, Debug, Default)]
pub struct MemoryTree {
    /// `levels[L]` is the list of level-L hashes (full tiles only above level 0).
    pub levels: Vec<Vec<Hash>>,
}

impl MemoryTree {
    /// An empty tree.
    pub fn new() -> Self {
        MemoryTree {
            levels: vec![Vec::new()],
        }
    }

    /// Appends a leaf hash, adding the level-L hashes of every tile it fills.
    pub fn push(&mut self, leaf_hash: Hash) {
        self.levels[0].push(leaf_hash);
        let mut level = 0;
        while (self.levels[level].len() as u64).is_multiple_of(WIDTH) {
            let n = self.levels[level].len();
            let root = tile_root(&self.levels[level][n - WIDTH as usize..]);
            if self.levels.len() == level + 1 {
                self.levels.push(Vec::new());
            }
            self.levels[level + 1].push(root);
            level += 1;
        }
    }

    /// The leaves so far.
    pub fn size(&self) -> u64 {
        self.levels[0].len() as u64
    }

    /// The hashes of a tile of this tree.
    pub fn tile(&self, level: u8, index: u64, width: u64) -> Option<Vec<Hash>> {
        let hashes = self.levels.get(level as usize)?;
        let start = (index * WIDTH) as usize;
        hashes
            .get(start..start + width as usize)
            .map(|s| s.to_vec())
    }
}

impl HashReader for MemoryTree {
    fn hash(&self, level: u8, index: u64) -> Option<Hash> {
        self.levels
            .get(level as usize)?
            .get(index as usize)
            .copied()
    }
}

/// Concatenates hashes into tile bytes.
pub fn tile_bytes(hashes: &[Hash]) -> Vec<u8> {
    hashes.concat()
}

/// Splits tile bytes into hashes.
pub fn tile_hashes(bytes: &[u8]) -> Result<Vec<Hash>, String> {
    if !bytes.len().is_multiple_of(32) {
        return Err(format!(
            "tile of {} bytes is not a whole number of hashes",
            bytes.len()
        ));
    }
    Ok(bytes
        .chunks_exact(32)
        .map(|c| c.try_into().expect("32 bytes"))
        .collect())
}

/// The tiles' level that stores each needed hash level: leaf hashes are level 0; an interior
/// hash of height `h` is computed from level `h / 8`.
pub fn level_of_height(height: u32) -> u8 {
    (height / 8) as u8
}
