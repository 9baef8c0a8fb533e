-- Comments, thread revisions and the global revision counter (SQLite).
CREATE TABLE comments (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    thread_key  TEXT    NOT NULL,
    author      TEXT    NOT NULL,
    body        TEXT    NOT NULL,
    status      TEXT    NOT NULL CHECK (status IN ('pending', 'approved', 'rejected')),
    token_hash  TEXT    NOT NULL UNIQUE,
    created_at  BIGINT  NOT NULL,
    decided_at  BIGINT
);

CREATE INDEX comments_by_thread ON comments (thread_key, status, created_at, id);
CREATE INDEX comments_by_status ON comments (status, created_at, id);

-- A thread's revision is the value of the global counter when its public
-- list last changed, so revisions are unique across threads and a poller of
-- changes only asks for `revision > last seen`.
CREATE TABLE threads (
    thread_key  TEXT    PRIMARY KEY,
    revision    BIGINT  NOT NULL
);

CREATE INDEX threads_by_revision ON threads (revision);

CREATE TABLE counters (
    name   TEXT    PRIMARY KEY,
    value  BIGINT  NOT NULL
);

INSERT INTO counters (name, value) VALUES ('thread_revision', 0);
