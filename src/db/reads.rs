//! A few native connections for the hot read path, lent without the liveness pings of sqlx's
//! pool. The pool pings a connection when it is taken (`test_before_acquire`) and again, always,
//! when it is given back: two more round trips to PostgreSQL (or hops to SQLite's worker thread)
//! for a request that needs one statement. A connection whose statement failed is closed, not
//! lent again, so a broken one costs one failed request.

use sqlx::{ConnectOptions, Connection};
use std::ops::{Deref, DerefMut};
use std::sync::Mutex;
use tokio::sync::{Semaphore, SemaphorePermit};

/// At most `size` connections, opened when first needed.
pub struct Reads<C: Connection> {
    idle: Mutex<Vec<C>>,
    permits: Semaphore,
    options: C::Options,
}

impl<C: Connection> Reads<C> {
    pub fn new(options: C::Options, size: usize) -> Reads<C> {
        Reads {
            idle: Mutex::new(Vec::with_capacity(size)),
            permits: Semaphore::new(size),
            options,
        }
    }

    /// An idle connection, a new one, or (when `size` are lent) the next one given back.
    pub async fn acquire(&self) -> Result<Lease<'_, C>, sqlx::Error> {
        let permit = self.permits.acquire().await.expect("never closed");
        let idle = self.idle.lock().expect("not poisoned").pop();
        let conn = match idle {
            Some(conn) => conn,
            None => self.options.connect().await?,
        };
        Ok(Lease {
            conn: Some(conn),
            reads: self,
            _permit: permit,
        })
    }
}

/// A lent connection; given back when dropped, unless [`Lease::discard`]ed.
pub struct Lease<'a, C: Connection> {
    conn: Option<C>,
    reads: &'a Reads<C>,
    _permit: SemaphorePermit<'a>,
}

impl<C: Connection> Lease<'_, C> {
    /// Gives the connection back only if `ok` (its last statement succeeded); else closes it.
    pub fn keep_if(mut self, ok: bool) {
        if !ok {
            self.conn = None;
        }
    }
}

impl<C: Connection> Deref for Lease<'_, C> {
    type Target = C;
    fn deref(&self) -> &C {
        self.conn.as_ref().expect("lent")
    }
}

impl<C: Connection> DerefMut for Lease<'_, C> {
    fn deref_mut(&mut self) -> &mut C {
        self.conn.as_mut().expect("lent")
    }
}

impl<C: Connection> Drop for Lease<'_, C> {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            self.reads.idle.lock().expect("not poisoned").push(conn);
        }
    }
}
