-- The post rate limit, shared by every instance on this database: per
-- network, GCRA's theoretical arrival time in epoch milliseconds, and
-- whether the last post it was asked for was allowed.
CREATE TABLE post_limits (
    network  TEXT    PRIMARY KEY,
    tat      BIGINT  NOT NULL,
    allowed  BIGINT  NOT NULL DEFAULT 1
);
CREATE INDEX post_limits_by_time ON post_limits (tat);

-- What `comments-server import` brought in, by its source's own id, so
-- that a second run of the same file adds nothing.
CREATE TABLE imported (
    source      TEXT    NOT NULL,
    source_id   TEXT    NOT NULL,
    comment_id  BIGINT  NOT NULL,
    PRIMARY KEY (source, source_id)
);
