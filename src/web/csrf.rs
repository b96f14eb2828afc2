//! Cross-site request forgery protection of the workspace's forms (`docs/workspace.md` §2).
//!
//! Every session has a random token of its own (`web_sessions.csrf`). Every form of the
//! workspace carries it in a hidden field named [`FIELD`], and every POST handler compares the
//! posted value with the session's in constant time before it reads anything else: a form
//! without the token or with another one is answered 403 and changes nothing. The login form,
//! which has no session yet, double-submits a random value: the same value in the pre-login
//! cookie `dd_login` and in the form. Independently, a POST whose `Origin` header names another
//! site is refused, and the cookies are `SameSite=Strict`.

use axum::http::HeaderMap;
use subtle::ConstantTimeEq;

/// The hidden form field that carries the token.
pub const FIELD: &str = "csrf";

/// Whether `given` is the `expected` token, compared in constant time (for equal lengths; the
/// length of a token is public). An empty expected token never matches.
pub fn matches(expected: &str, given: Option<&str>) -> bool {
    match given {
        Some(given) if !expected.is_empty() && given.len() == expected.len() => {
            bool::from(expected.as_bytes().ct_eq(given.as_bytes()))
        }
        _ => false,
    }
}

/// Whether a POST's `Origin` (if the browser sent one) is this site: its host and port must be
/// the `Host` header's. Browsers send `Origin` on every cross-site POST.
pub fn same_origin(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(axum::http::header::ORIGIN) else {
        return true;
    };
    let host = headers
        .get(axum::http::header::HOST)
        .and_then(|h| h.to_str().ok());
    let origin_host = origin
        .to_str()
        .ok()
        .and_then(|o| o.split_once("://"))
        .map(|(_, rest)| rest.trim_end_matches('/'));
    matches!((origin_host, host), (Some(o), Some(h)) if o.eq_ignore_ascii_case(h))
}

/// The value of `name` in an `application/x-www-form-urlencoded` body.
pub fn field(pairs: &[(String, String)], name: &str) -> Option<String> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_same_token_matches() {
        let t = "a".repeat(64);
        assert!(matches(&t, Some(&t)));
        assert!(!matches(&t, Some(&"b".repeat(64))));
        assert!(!matches(&t, Some("a")));
        assert!(!matches(&t, None));
        assert!(!matches("", Some("")));
    }

    #[test]
    fn origin_check() {
        let mut h = HeaderMap::new();
        h.insert("host", "127.0.0.1:8080".parse().unwrap());
        assert!(
            same_origin(&h),
            "no Origin: a same-site form or a non-browser"
        );
        h.insert("origin", "http://127.0.0.1:8080".parse().unwrap());
        assert!(same_origin(&h));
        h.insert("origin", "http://evil.example".parse().unwrap());
        assert!(!same_origin(&h));
        h.insert("origin", "null".parse().unwrap());
        assert!(!same_origin(&h));
    }
}
