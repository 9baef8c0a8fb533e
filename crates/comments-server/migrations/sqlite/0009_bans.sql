-- Readers a moderator banned, from one of their comments: by the hash of
-- the widget's reader key and, with it, the keyed hash of the network the
-- comment came from (either may be empty). In force until `expires_at`
-- (NULL: for good) unless lifted. While a ban holds, the reader's new
-- comments go straight to Rejected (signal `banned`).
CREATE TABLE bans (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    author_key  TEXT    NOT NULL,
    ip_hmac     TEXT    NOT NULL,
    comment_id  BIGINT  NOT NULL,
    actor       TEXT    NOT NULL,
    created_at  BIGINT  NOT NULL,
    expires_at  BIGINT,
    lifted_at   BIGINT
);

CREATE INDEX bans_by_key ON bans (author_key) WHERE author_key != '';
CREATE INDEX bans_by_network ON bans (ip_hmac) WHERE ip_hmac != '';
