//! Relative dates ("3 minutes ago", "il y a 3 minutes") through the browser's `Intl`.

use crate::i18n::Lang;
use js_sys::Date;
use wasm_bindgen::JsValue;

/// The value and `Intl` unit to describe an age of `seconds` (negative: past).
pub fn unit_for(seconds: f64) -> (f64, &'static str) {
    let abs = seconds.abs();
    let (div, unit) = if abs < 60.0 {
        (1.0, "second")
    } else if abs < 3600.0 {
        (60.0, "minute")
    } else if abs < 86_400.0 {
        (3600.0, "hour")
    } else if abs < 30.0 * 86_400.0 {
        (86_400.0, "day")
    } else if abs < 365.0 * 86_400.0 {
        (30.0 * 86_400.0, "month")
    } else {
        (365.0 * 86_400.0, "year")
    };
    ((seconds / div).trunc(), unit)
}

/// "5 minutes ago" for a time `then_ms` seen at `now_ms`.
pub fn relative(lang: Lang, then_ms: f64, now_ms: f64) -> String {
    // A clock a little ahead of the server's must not say "in 3 seconds".
    let age = ((then_ms - now_ms) / 1000.0).min(0.0);
    let (value, unit) = unit_for(age);
    String::from(lang.relative.format(value, unit))
}

/// The full local date and time, for the tooltip.
pub fn absolute(lang: Lang, ms: f64) -> String {
    let date = Date::new(&JsValue::from_f64(ms));
    lang.absolute
        .format()
        .call1(&lang.absolute, &date)
        .ok()
        .and_then(|s| s.as_string())
        .unwrap_or_default()
}

/// ISO 8601, for `<time datetime>`.
pub fn iso(ms: f64) -> String {
    String::from(Date::new(&JsValue::from_f64(ms)).to_iso_string())
}

#[cfg(test)]
mod tests {
    use super::unit_for;

    #[test]
    fn units_grow_with_age() {
        assert_eq!(unit_for(-5.0), (-5.0, "second"));
        assert_eq!(unit_for(-125.0), (-2.0, "minute"));
        assert_eq!(unit_for(-7200.0), (-2.0, "hour"));
        assert_eq!(unit_for(-3.0 * 86_400.0), (-3.0, "day"));
        assert_eq!(unit_for(-65.0 * 86_400.0), (-2.0, "month"));
        assert_eq!(unit_for(-800.0 * 86_400.0), (-2.0, "year"));
    }
}
