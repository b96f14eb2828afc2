//! Progress bars for long work (generating, importing, preparing, running, verifying), drawn on
//! standard error while it is a terminal. Nothing is drawn with `--quiet`, when standard error
//! is redirected, or inside the service: only [`enable`], which the command line calls for
//! commands other than `serve`, turns drawing on. Bars never touch what a command computes.

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::{IsTerminal, Read};
use std::sync::OnceLock;

/// Files smaller than this are read without a bar: they take no noticeable time.
pub const FILE_BAR_BYTES: u64 = 32 << 20;

/// Where bars of one process are drawn; several bars at once share the lines.
pub struct Progress {
    bars: MultiProgress,
}

static GLOBAL: OnceLock<Progress> = OnceLock::new();

/// Turns drawing on for this process unless `quiet` or standard error is not a terminal.
/// Only the first call counts.
pub fn enable(quiet: bool) {
    let target = if quiet || !std::io::stderr().is_terminal() {
        ProgressDrawTarget::hidden()
    } else {
        ProgressDrawTarget::stderr_with_hz(4)
    };
    let _ = GLOBAL.set(Progress::to(target));
}

/// The process's bars: hidden unless [`enable`] turned them on.
pub fn global() -> &'static Progress {
    GLOBAL.get_or_init(|| Progress::to(ProgressDrawTarget::hidden()))
}

impl Progress {
    /// Bars drawn to `target` (tests draw to an in-memory terminal).
    pub fn to(target: ProgressDrawTarget) -> Progress {
        Progress {
            bars: MultiProgress::with_draw_target(target),
        }
    }

    /// A bar over `total` bytes, e.g. `reading population.csv  [=====>   ] 1.2 GiB/3.4 GiB`.
    pub fn bytes(&self, label: &str, total: u64) -> Bar {
        self.bar(
            label,
            Some(total),
            "{msg:22} [{bar:25}] {binary_bytes}/{binary_total_bytes} eta {eta}",
        )
    }

    /// A bar over `total` items, or a counter when the total is not known.
    pub fn items(&self, label: &str, total: Option<u64>) -> Bar {
        match total {
            Some(_) => self.bar(
                label,
                total,
                "{msg:22} [{bar:25}] {human_pos}/{human_len} eta {eta}",
            ),
            None => self.bar(label, None, "{msg:22} {spinner} {human_pos}"),
        }
    }

    fn bar(&self, label: &str, total: Option<u64>, template: &str) -> Bar {
        let bar = match total {
            Some(n) => ProgressBar::new(n),
            None => ProgressBar::no_length(),
        };
        let style = ProgressStyle::with_template(template)
            .expect("the templates above are valid")
            .progress_chars("=> ");
        let bar = self.bars.add(bar.with_style(style));
        bar.set_message(label.to_string());
        Bar(bar)
    }
}

/// One bar; it disappears when dropped.
pub struct Bar(ProgressBar);

impl Bar {
    pub fn inc(&self, n: u64) {
        self.0.inc(n);
    }

    /// `reader`, advancing this bar by the bytes read through it.
    pub fn wrap_read<R: Read>(&self, reader: R) -> impl Read {
        self.0.wrap_read(reader)
    }
}

impl Drop for Bar {
    fn drop(&mut self) {
        self.0.finish_and_clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use indicatif::{InMemoryTerm, TermLike};

    #[test]
    fn a_bar_shows_its_label_and_position_on_a_terminal() {
        let term = InMemoryTerm::new(4, 120);
        let progress = Progress::to(ProgressDrawTarget::term_like(Box::new(term.clone())));
        let bar = progress.items("generating enterprises", Some(200));
        bar.inc(50);
        bar.0.tick();
        let screen = term.contents();
        assert!(screen.contains("generating enterprises"), "{screen}");
        assert!(screen.contains("50/200"), "{screen}");
        drop(bar);
        assert!(!term.contents().contains("50/200"), "cleared when done");
        let _ = term.width();
    }

    #[test]
    fn a_wrapped_reader_counts_bytes_and_returns_them_unchanged() {
        let progress = Progress::to(ProgressDrawTarget::hidden());
        let bar = progress.bytes("reading", 11);
        let mut text = String::new();
        bar.wrap_read(&b"hello world"[..])
            .read_to_string(&mut text)
            .unwrap();
        assert_eq!(text, "hello world");
        assert_eq!(bar.0.position(), 11);
    }
}
