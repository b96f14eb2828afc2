//! 统一社会信用代码 parsing (GB 32100-2015): any text either parses to a code that parses back
//! to itself, or is refused with a reason; `with_check` completes only what `parse` accepts.
#![no_main]

use dualdraw_solver::uscc::check_character;
use dualdraw_solver::Uscc;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = check_character(data);
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match Uscc::parse(text) {
        Ok(code) => {
            assert_eq!(code.as_str(), text);
            assert_eq!(Uscc::parse(code.as_str()).ok(), Some(code));
            let _ = code.registering_division();
        }
        Err(e) => assert!(!e.to_string().is_empty()),
    }
    if let Ok(code) = Uscc::with_check(text) {
        assert!(code.as_str().starts_with(text));
        assert_eq!(code.as_str().len(), 18);
    }
});
