-- Readers' reports on published comments. `reporter` is the SHA-256 of the
-- widget's reader key, or, for a reader without one, `net:` and the keyed
-- hash of their network: one reporter counts once per comment. A report is
-- open until a moderator resolves it (`resolved_at`): by dismissing the
-- comment's reports, or by deciding the comment.
CREATE TABLE reports (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    comment_id   BIGINT  NOT NULL,
    reporter     TEXT    NOT NULL,
    reason       TEXT    NOT NULL CHECK (reason IN ('spam', 'abuse', 'off_topic', 'illegal')),
    explanation  TEXT    NOT NULL,
    created_at   BIGINT  NOT NULL,
    resolved_at  BIGINT,
    UNIQUE (comment_id, reporter)
);

-- Open reports only: what the Reported view and its count read. It holds
-- no more than the reports moderators have yet to review.
CREATE INDEX reports_open ON reports (comment_id, created_at) WHERE resolved_at IS NULL;

-- A reader's wish to be mailed the replies to their comment: the address
-- is kept here, and only here, while the subscription lasts. It goes on
-- unsubscribe, when the comment is rejected or deleted, and
-- `moderation.notify_keep_days` after the comment was posted.
CREATE TABLE reply_subscriptions (
    comment_id  BIGINT  PRIMARY KEY,
    email       TEXT    NOT NULL,
    author_key  TEXT    NOT NULL,
    created_at  BIGINT  NOT NULL
);

CREATE INDEX reply_subscriptions_by_age ON reply_subscriptions (created_at);

-- Replies whose mail went (or was claimed) to their parent's subscriber:
-- each published reply sends one mail, however often it is republished.
CREATE TABLE reply_mails (
    reply_id  BIGINT  PRIMARY KEY,
    sent_at   BIGINT  NOT NULL
);
