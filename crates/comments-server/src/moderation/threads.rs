//! When a thread takes comments: a moderator's close or reopen, else the automatic rule (`moderation.auto_close_days` after its first comment).

use crate::store::{Closing, ThreadState};

const DAY_MS: i64 = 86_400_000;

/// When the thread closes (or closed) to new comments; `None` while nothing
/// closes it: reopened by a moderator, the rule off (0 days), or no comment
/// yet to count from.
pub fn closes_at(closing: &Closing, auto_close_days: u64) -> Option<i64> {
    match closing.state {
        Some((ThreadState::Closed, at)) => Some(at),
        Some((ThreadState::Open, _)) => None,
        None if auto_close_days == 0 => None,
        None => {
            let days = i64::try_from(auto_close_days).unwrap_or(i64::MAX / DAY_MS);
            closing
                .first_at
                .map(|first| first.saturating_add(days.saturating_mul(DAY_MS)))
        }
    }
}

/// Whether the thread is closed at `now`.
pub fn is_closed(closing: &Closing, auto_close_days: u64, now: i64) -> bool {
    closes_at(closing, auto_close_days).is_some_and(|at| now >= at)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_moderator_decides_else_the_rule_counts_from_the_first_comment() {
        let first = Closing {
            state: None,
            first_at: Some(1_000),
        };
        assert_eq!(closes_at(&first, 0), None, "the rule is off by default");
        assert_eq!(closes_at(&first, 2), Some(1_000 + 2 * DAY_MS));
        assert!(!is_closed(&first, 2, 1_000 + 2 * DAY_MS - 1));
        assert!(is_closed(&first, 2, 1_000 + 2 * DAY_MS));
        let none_yet = Closing::default();
        assert_eq!(closes_at(&none_yet, 2), None, "nothing to count from");
        let closed = Closing {
            state: Some((ThreadState::Closed, 500)),
            ..first
        };
        assert!(is_closed(&closed, 0, 500), "closed by hand, rule or not");
        let reopened = Closing {
            state: Some((ThreadState::Open, 500)),
            ..first
        };
        assert!(
            !is_closed(&reopened, 2, i64::MAX),
            "reopened: the rule no longer closes it"
        );
        assert_eq!(closes_at(&first, u64::MAX).map(|t| t > 0), Some(true));
    }
}
