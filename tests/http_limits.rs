//! The request-body boundary (`docs/http-limits.md`): callers checked before any body is read,
//! per-route limits answered with a JSON 413, upload slots answered with a 429, imports that
//! read the body as it streams in. Bodies are sent by hand over TCP, so a test can stop
//! sending half-way and show that the server answered without the rest.

mod common;
use common::TestApp;
use dualdraw::auth::Role;
use dualdraw::http::limits::Limits;
use serde_json::Value;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A bound on any one exchange, so a server that waits for the rest of a body fails the test
/// instead of hanging it.
const BOUND: Duration = Duration::from_secs(60);

/// A second server on the test's database, with other limits.
async fn serve_with(app: &TestApp, limits: Limits) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let state =
        dualdraw::http::AppState::with_bundles(app.db.clone(), app.dir.path()).with_limits(limits);
    let router = dualdraw::http::app(state);
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    addr
}

fn addr_of(app: &TestApp) -> String {
    app.base.trim_start_matches("http://").to_string()
}

/// How the body of a hand-made request is framed.
enum Framing {
    /// `Content-Length: n`, whatever is then sent.
    Declared(u64),
    Chunked,
}

/// Opens a connection and sends a POST's request line and headers.
async fn open(addr: &str, path: &str, token: Option<&str>, framing: Framing) -> TcpStream {
    let mut head = format!("POST {path} HTTP/1.1\r\nHost: {addr}\r\n");
    if let Some(t) = token {
        head.push_str(&format!("Authorization: Bearer {t}\r\n"));
    }
    match framing {
        Framing::Declared(n) => head.push_str(&format!("Content-Length: {n}\r\n")),
        Framing::Chunked => head.push_str("Transfer-Encoding: chunked\r\n"),
    }
    head.push_str("\r\n");
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(head.as_bytes()).await.unwrap();
    s
}

async fn send_chunk(s: &mut TcpStream, data: &[u8]) {
    let frame = [format!("{:x}\r\n", data.len()).as_bytes(), data, b"\r\n"].concat();
    s.write_all(&frame).await.unwrap();
}

async fn end_chunks(s: &mut TcpStream) {
    s.write_all(b"0\r\n\r\n").await.unwrap();
}

/// Reads one response: status, headers (lower-cased) and the JSON body.
async fn response(s: &mut TcpStream) -> (u16, String, Value) {
    tokio::time::timeout(BOUND, read_response(s))
        .await
        .expect("the server answered within the bound")
}

async fn read_response(s: &mut TcpStream) -> (u16, String, Value) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let split = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let n = s.read(&mut chunk).await.expect("read the response head");
        assert!(n > 0, "connection closed before a response: {buf:?}");
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..split]).to_ascii_lowercase();
    let status: u16 = head[9..12].parse().unwrap();
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length: "))
        .expect("a content-length")
        .trim()
        .parse()
        .unwrap();
    while buf.len() < split + length {
        let n = s.read(&mut chunk).await.expect("read the response body");
        assert!(n > 0, "connection closed inside the response body");
        buf.extend_from_slice(&chunk[..n]);
    }
    let body = serde_json::from_slice(&buf[split..split + length]).unwrap();
    (status, head, body)
}

/// A generated enterprise file of `n` rows, as `dualdraw gen` writes it, with the departments it
/// names imported.
fn enterprises_csv(app: &TestApp, n: u64) -> Vec<u8> {
    let out = app.dir.path().join(format!("gen-{n}"));
    let run = app.cli(&[
        "gen",
        "--enterprises",
        &n.to_string(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(run.status.success(), "{run:?}");
    // Its enterprises' key_departments must name departments that exist.
    let departments = out.join("departments.csv");
    let run = app.cli(&["import", "departments", departments.to_str().unwrap()]);
    assert!(run.status.success(), "{run:?}");
    std::fs::read(out.join("enterprises.csv")).unwrap()
}

async fn enterprise_count(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM enterprises")
        .fetch_one(&app.db.pool)
        .await
        .unwrap()
}

const BIG: u64 = 300 << 20;

// The 300 MB upload of the issue: 64 KiB of it are sent, and the answer comes anyway.
both!(big_bodies_from_the_wrong_caller_are_refused_unread, |app| {
    let credit = app.token(Role::Credit, None).await;
    let planner = app.token(Role::Planner, None).await;
    let addr = addr_of(app);
    let cases = [
        ("/api/v1/imports/enterprises", None, 401, "unauthorized"),
        (
            "/api/v1/imports/enterprises",
            Some("dd_nope"),
            401,
            "bad_token",
        ),
        (
            "/api/v1/imports/enterprises",
            Some(&credit),
            403,
            "forbidden",
        ),
        (
            "/api/v1/imports/credit-records",
            Some(&planner),
            403,
            "forbidden",
        ),
        ("/api/v1/draws", None, 401, "unauthorized"),
        ("/api/v1/draws/2026-Q1/run", Some(&credit), 403, "forbidden"),
        ("/api/v1/credit-records", None, 401, "unauthorized"),
        (
            "/api/v1/repairs/1/approve",
            Some(&planner),
            403,
            "forbidden",
        ),
    ];
    for (path, token, status, code) in cases {
        let mut s = open(&addr, path, token, Framing::Declared(BIG)).await;
        s.write_all(&vec![b'x'; 64 << 10]).await.unwrap();
        let (got, _, body) = response(&mut s).await;
        assert_eq!(
            (got, body["code"].as_str()),
            (status, Some(code)),
            "{path}: {body}"
        );
    }
    assert_eq!(enterprise_count(app).await, 0);
});

both!(bodies_past_their_limit_get_a_json_413, |app| {
    let admin = app.token(Role::Admin, None).await;
    let addr = addr_of(app);
    // Declared too big: refused from the headers, before a byte of the body.
    let mut s = open(
        &addr,
        "/api/v1/credit-records",
        Some(&admin),
        Framing::Declared(65537),
    )
    .await;
    let (status, _, body) = response(&mut s).await;
    assert_eq!(status, 413, "{body}");
    assert_eq!(body["code"], "payload_too_large");
    assert_eq!(body["limit_bytes"], 65536);
    assert!(
        body["message"].as_str().unwrap().contains("64 KiB"),
        "{body}"
    );
    // No length declared: cut off when the chunks run past the limit.
    let mut s = open(&addr, "/api/v1/conflicts", Some(&admin), Framing::Chunked).await;
    // The server may answer and close as soon as the limit is passed, before the rest is sent:
    // a write that then fails ("Broken pipe", seen once in CI) ends the sending, and the answer
    // is read all the same.
    let frame = [
        format!("{:x}\r\n", 20 << 10).as_bytes(),
        &[b' '; 20 << 10],
        b"\r\n",
    ]
    .concat();
    for _ in 0..5 {
        if s.write_all(&frame).await.is_err() {
            break;
        }
    }
    let _ = s.write_all(b"0\r\n\r\n").await;
    let (status, head, body) = response(&mut s).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (413, Some("payload_too_large")),
        "{body}"
    );
    assert!(head.contains("content-type: application/json"), "{head}");
    // A streamed import past its limit imports nothing.
    let small = serve_with(
        app,
        Limits {
            import: 64 << 10,
            ..Limits::default()
        },
    )
    .await;
    let file = enterprises_csv(app, 2000);
    assert!(file.len() > 64 << 10);
    let mut s = open(
        &small,
        "/api/v1/imports/enterprises",
        Some(&admin),
        Framing::Chunked,
    )
    .await;
    for piece in file.chunks(16 << 10) {
        if s.write_all(&[format!("{:x}\r\n", piece.len()).as_bytes(), piece, b"\r\n"].concat())
            .await
            .is_err()
        {
            break; // the server may stop reading once the limit is passed
        }
    }
    let _ = s.write_all(b"0\r\n\r\n").await;
    let (status, _, body) = response(&mut s).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (413, Some("payload_too_large")),
        "{body}"
    );
    assert_eq!(body["limit_bytes"], 64 << 10);
    assert_eq!(enterprise_count(app).await, 0);
});

both!(uploads_beyond_the_slots_get_429_with_retry_after, |app| {
    let admin = app.token(Role::Admin, None).await;
    let one_slot = serve_with(
        app,
        Limits {
            uploads: 1,
            ..Limits::default()
        },
    )
    .await;
    let path = "/api/v1/imports/departments?file=departments.csv";
    // Two uploads that keep their bodies open: exactly one holds the only slot, whichever
    // reached the server first; the other is refused at once.
    let mut first = open(&one_slot, path, Some(&admin), Framing::Chunked).await;
    send_chunk(&mut first, b"code,name\n").await;
    let mut second = open(&one_slot, path, Some(&admin), Framing::Chunked).await;
    send_chunk(&mut second, b"code,name\n").await;
    let (which, (status, headers, body)) = tokio::select! {
        r = response(&mut first) => (0, r),
        r = response(&mut second) => (1, r),
    };
    let mut first = if which == 0 { second } else { first };
    assert_eq!(status, 429, "{body}");
    assert!(headers.contains("retry-after: 5"), "{headers}");
    assert_eq!(body["code"], "too_many_uploads");
    let fixture = std::fs::read(common::fixture("departments.csv")).unwrap();
    let url = format!("http://{one_slot}{path}");
    // The upload holding the slot finishes normally, and its slot is free again.
    send_chunk(&mut first, "ZZZZ,测试局\n".as_bytes()).await;
    end_chunks(&mut first).await;
    let (status, _, body) = response(&mut first).await;
    assert_eq!((status, body["rows"].as_u64()), (200, Some(1)), "{body}");
    let res = app
        .client
        .post(&url)
        .bearer_auth(&admin)
        .body(fixture)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
});

both!(imports_read_the_body_as_it_streams, |app| {
    let admin = app.token(Role::Admin, None).await;
    let addr = addr_of(app);
    // A wrong header is reported while the upload is still open: the importer parses what has
    // arrived instead of waiting for the whole body.
    let mut s = open(
        &addr,
        "/api/v1/imports/enterprises",
        Some(&admin),
        Framing::Chunked,
    )
    .await;
    send_chunk(&mut s, b"not,a,header\n1,2,3\n").await;
    send_chunk(&mut s, &b"4,5,6\n".repeat(20_000)).await;
    let (status, _, body) = response(&mut s).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (422, Some("invalid_file")),
        "{body}"
    );
    // A file far past the JSON limit, sent in 16 KiB chunks, is imported whole.
    let file = enterprises_csv(app, 20_000);
    assert!(file.len() > 1 << 20, "{}", file.len());
    let mut s = open(
        &addr,
        "/api/v1/imports/enterprises",
        Some(&admin),
        Framing::Chunked,
    )
    .await;
    for piece in file.chunks(16 << 10) {
        send_chunk(&mut s, piece).await;
    }
    end_chunks(&mut s).await;
    let (status, _, body) = response(&mut s).await;
    assert_eq!(
        (status, body["rows"].as_u64()),
        (200, Some(20_000)),
        "{body}"
    );
    assert_eq!(enterprise_count(app).await, 20_000);
});

// A client that goes away half-way leaves nothing behind: a cut upload is not a shorter file.
both!(a_cut_upload_imports_nothing, |app| {
    let admin = app.token(Role::Admin, None).await;
    let one_slot = serve_with(
        app,
        Limits {
            uploads: 1,
            ..Limits::default()
        },
    )
    .await;
    let file = enterprises_csv(app, 3000);
    let path = "/api/v1/imports/enterprises";
    let mut s = open(
        &one_slot,
        path,
        Some(&admin),
        Framing::Declared(file.len() as u64),
    )
    .await;
    s.write_all(&file[..file.len() / 2]).await.unwrap();
    drop(s);
    // Once the only upload slot is free again, the cut import is over, one way or another.
    let url = format!("http://{one_slot}/api/v1/imports/departments?file=departments.csv");
    let fixture = std::fs::read(common::fixture("departments.csv")).unwrap();
    let mut freed = false;
    for _ in 0..500 {
        let res = app
            .client
            .post(&url)
            .bearer_auth(&admin)
            .body(fixture.clone())
            .send()
            .await
            .unwrap();
        if res.status() == 200 {
            freed = true;
            break;
        }
        assert_eq!(res.status(), 429);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(freed, "the slot of the cut upload is given back");
    assert_eq!(enterprise_count(app).await, 0);
});
