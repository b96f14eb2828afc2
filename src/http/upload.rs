//! A request body as a blocking [`Read`], for the importer's reading thread
//! (`docs/http-limits.md`, "How uploads stream"): a task pulls the body's chunks into a
//! bounded channel and the reader takes them out, so at most [`IN_FLIGHT`] chunks are held
//! whatever the file's size, and the client is read no faster than the importer parses.
//!
//! A body that fails (the client went away, or it ran past the route's limit) is an I/O error
//! for the importer, never an early end of file: a cut upload is never imported as a shorter
//! file.

use axum::body::Body;
use bytes::{Buf, Bytes};
use futures_util::StreamExt;
use std::io::{self, Read};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use tokio::sync::mpsc;

/// Chunks read from the client but not yet parsed (hyper's chunks are at most some tens of KiB).
pub const IN_FLIGHT: usize = 16;

/// The reading end of an upload.
pub struct BodyReader {
    chunks: mpsc::Receiver<io::Result<Bytes>>,
    current: Bytes,
    done: bool,
}

/// Set when the body ran past the route's limit.
#[derive(Clone, Default)]
pub struct TooLarge(Arc<AtomicBool>);

impl TooLarge {
    pub fn get(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

/// Starts pulling `body` (a body already capped by the route's limit). Must be called on the
/// runtime; the reader must be read off it (it blocks).
pub fn reader(body: Body) -> (BodyReader, TooLarge) {
    let (sender, chunks) = mpsc::channel(IN_FLIGHT);
    let too_large = TooLarge::default();
    let flag = too_large.clone();
    tokio::spawn(async move {
        let mut stream = body.into_data_stream();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| {
                let e = e.into_inner();
                if e.is::<http_body_util::LengthLimitError>() {
                    flag.0.store(true, Ordering::SeqCst);
                }
                io::Error::other(e)
            });
            let failed = chunk.is_err();
            // The importer stopped reading (a bad header, say): stop pulling the client.
            if sender.send(chunk).await.is_err() || failed {
                break;
            }
        }
    });
    let reader = BodyReader {
        chunks,
        current: Bytes::new(),
        done: false,
    };
    (reader, too_large)
}

impl Read for BodyReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.current.is_empty() {
            if self.done {
                return Ok(0);
            }
            match self.chunks.blocking_recv() {
                Some(Ok(chunk)) => self.current = chunk,
                Some(Err(e)) => {
                    self.done = true;
                    return Err(e);
                }
                None => self.done = true,
            }
        }
        let n = buf.len().min(self.current.len());
        buf[..n].copy_from_slice(&self.current[..n]);
        self.current.advance(n);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn reads_every_chunk_in_order() {
        let chunks = ["name,", "uscc\n", "", "a,b\n"].map(|s| Ok::<_, io::Error>(Bytes::from(s)));
        let body = Body::from_stream(futures_util::stream::iter(chunks));
        let (mut r, too_large) = reader(body);
        let text = tokio::task::spawn_blocking(move || {
            let mut s = String::new();
            r.read_to_string(&mut s).map(|_| s)
        })
        .await
        .unwrap()
        .unwrap();
        assert_eq!(text, "name,uscc\na,b\n");
        assert!(!too_large.get());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_body_past_its_limit_is_an_error_not_an_end() {
        let chunks = ["0123456789", "0123456789"].map(|s| Ok::<_, io::Error>(Bytes::from(s)));
        let body = Body::from_stream(futures_util::stream::iter(chunks));
        let body = Body::new(http_body_util::Limited::new(body, 15));
        let (mut r, too_large) = reader(body);
        let result = tokio::task::spawn_blocking(move || {
            let mut s = Vec::new();
            r.read_to_end(&mut s)
        })
        .await
        .unwrap();
        assert!(result.is_err(), "{result:?}");
        assert!(too_large.get());
    }
}
