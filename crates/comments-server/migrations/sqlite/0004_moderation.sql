-- Moderation: undoable deletion, the article a comment was posted under,
-- per-reader keys, the author's opt-in mail, moderators' sessions, the
-- audit log and single-use mail links.
--
-- SQLite cannot change a CHECK constraint in place, so `comments` is rebuilt
-- with 'deleted' allowed (a moderator's delete keeps the row for a day so
-- that it can be undone; the hourly purge removes it).
CREATE TABLE comments_v4 (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    thread_key   TEXT    NOT NULL,
    author       TEXT    NOT NULL,
    body         TEXT    NOT NULL,
    status       TEXT    NOT NULL CHECK (status IN ('pending', 'approved', 'rejected', 'deleted')),
    token_hash   TEXT    NOT NULL UNIQUE,
    created_at   BIGINT  NOT NULL,
    decided_at   BIGINT,
    flags        TEXT    NOT NULL DEFAULT '',
    body_hash    TEXT    NOT NULL DEFAULT '',
    ip_hmac      TEXT    NOT NULL DEFAULT '',
    page_title   TEXT    NOT NULL DEFAULT '',
    page_url     TEXT    NOT NULL DEFAULT '',
    -- SHA-256 of the widget's per-reader key; '' when none was sent.
    author_key   TEXT    NOT NULL DEFAULT '',
    -- Mailed once on approval, then blanked.
    notify_email TEXT    NOT NULL DEFAULT ''
);

INSERT INTO comments_v4 (id, thread_key, author, body, status, token_hash, created_at,
                         decided_at, flags, body_hash, ip_hmac)
SELECT id, thread_key, author, body, status, token_hash, created_at,
       decided_at, flags, body_hash, ip_hmac FROM comments;

DROP TABLE comments;
ALTER TABLE comments_v4 RENAME TO comments;

CREATE INDEX comments_by_thread ON comments (thread_key, status, created_at, id);
CREATE INDEX comments_by_status ON comments (status, created_at, id);
CREATE INDEX comments_by_body_hash ON comments (body_hash, created_at);
CREATE INDEX comments_with_ip ON comments (created_at) WHERE ip_hmac != '';
CREATE INDEX comments_by_author_key ON comments (author_key, status) WHERE author_key != '';
CREATE INDEX comments_by_decision ON comments (status, decided_at);

CREATE TABLE sessions (
    token_hash  TEXT    PRIMARY KEY,
    moderator   TEXT    NOT NULL,
    csrf        TEXT    NOT NULL,
    created_at  BIGINT  NOT NULL,
    expires_at  BIGINT  NOT NULL
);

CREATE TABLE audit (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    at          BIGINT  NOT NULL,
    actor       TEXT    NOT NULL,
    action      TEXT    NOT NULL,
    comment_id  BIGINT,
    thread_key  TEXT    NOT NULL DEFAULT '',
    detail      TEXT    NOT NULL DEFAULT ''
);

CREATE INDEX audit_by_time ON audit (at);

-- Nonces of mail links already used (kept past the links' 72 h validity).
CREATE TABLE used_links (
    nonce    TEXT    PRIMARY KEY,
    used_at  BIGINT  NOT NULL
);
