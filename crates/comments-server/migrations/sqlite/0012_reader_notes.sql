-- A moderator's private note on a reader ("warned on 12 Nov"), by the hash
-- of the widget's reader key: shown beside that reader's comments in the
-- queue and on their history page, never to readers. One note per reader,
-- rewritten as a whole; an empty note is no row.
CREATE TABLE reader_notes (
    author_key  TEXT    PRIMARY KEY,
    note        TEXT    NOT NULL,
    actor       TEXT    NOT NULL,
    updated_at  BIGINT  NOT NULL
);
