//! Server-rendered HTML: escaping (reader text is only ever text), dates, and the moderation pages' frame.

/// The one HTML escaping, shared with the widget's comment renderer.
pub use comments_api::render::escape;

/// Percent-encodes a query-string value.
pub fn query_value(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Epoch milliseconds as `YYYY-MM-DDTHH:MM:SSZ` (UTC).
pub fn iso_utc(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// How long ago, in words: "just now", "5 min", "3 h", "2 days".
pub fn age(ms: i64, now: i64) -> String {
    let secs = (now - ms).max(0) / 1000;
    match secs {
        0..60 => "just now".into(),
        60..3600 => format!("{} min ago", secs / 60),
        3600..86_400 => format!("{} h ago", secs / 3600),
        _ => format!("{} days ago", secs / 86_400),
    }
}

/// The policy of every moderation page: our own script and stylesheet
/// only, requests to ourselves only, forms to ourselves only.
pub const ADMIN_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
    connect-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; \
    frame-ancestors 'none'";

/// A whole moderation page. `title` and `main` are already HTML; `csrf`
/// goes in a `<meta>` for the script.
pub fn admin_page(title: &str, nav: Option<(&str, &str)>, csrf: &str, main: &str) -> String {
    let nav = match nav {
        None => String::new(),
        Some((current, moderator)) => {
            let link = |href: &str, label: &str, key: &str| {
                let cur = if key == current {
                    " aria-current=\"page\""
                } else {
                    ""
                };
                format!("<a href=\"{href}\"{cur}>{label}</a>")
            };
            format!(
                "<nav>{}{}{}{}<form method=\"post\" action=\"/admin/logout\" class=\"signout\">\
                 <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
                 <span>{}</span> <button>Sign out</button></form></nav>",
                link("/admin", "Queue", "queue"),
                link("/admin/comments?status=approved", "Published", "approved"),
                link("/admin/comments?status=rejected", "Rejected", "rejected"),
                link("/admin/audit", "Audit log", "audit"),
                escape(moderator),
                csrf = escape(csrf),
            )
        }
    };
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta name=\"color-scheme\" content=\"light dark\">\
         <meta name=\"csrf-token\" content=\"{csrf}\">\
         <title>{title} · Comments moderation</title>\
         <link rel=\"stylesheet\" href=\"/admin/admin.css\">\
         <script type=\"module\" src=\"/admin/admin.js\"></script></head>\
         <body><header class=\"top\"><h1>{title}</h1>{nav}</header><main>{main}</main></body></html>",
        csrf = escape(csrf),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_leaves_no_markup() {
        assert_eq!(
            escape("<img src=x onerror=\"a('b')\">&"),
            "&lt;img src=x onerror=&quot;a(&#39;b&#39;)&quot;&gt;&amp;"
        );
        assert_eq!(query_value("a b/é&"), "a%20b%2F%C3%A9%26");
    }

    #[test]
    fn dates_are_utc_iso() {
        assert_eq!(iso_utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(iso_utc(1_700_000_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(iso_utc(951_782_400_000), "2000-02-29T00:00:00Z");
        assert_eq!(age(0, 90_000), "1 min ago");
        assert_eq!(age(0, 3 * 86_400_000), "3 days ago");
    }
}
