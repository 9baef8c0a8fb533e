-- The rate limits every instance on this database shares (posts, reports,
-- sign-ins): per limit and network (`post:<hash>`), GCRA's theoretical
-- arrival time in epoch milliseconds, and whether the last request was
-- allowed.
CREATE TABLE allowances (
    key      TEXT    PRIMARY KEY,
    tat      BIGINT  NOT NULL,
    allowed  BIGINT  NOT NULL DEFAULT 1
);
CREATE INDEX allowances_by_time ON allowances (tat);

-- What `comments-server import` brought in, by its source's own id, so
-- that a second run of the same file adds nothing.
CREATE TABLE imported (
    source      TEXT    NOT NULL,
    source_id   TEXT    NOT NULL,
    comment_id  BIGINT  NOT NULL,
    PRIMARY KEY (source, source_id)
);
