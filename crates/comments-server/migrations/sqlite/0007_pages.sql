-- Big threads: polls read what changed since a revision from a bounded
-- log (the first page's index comes with the reply counts, in 0008).

-- The comments whose public state changed at each revision of a thread
-- (published, unpublished, deleted). Trimmed per thread; `log_floor` is
-- the revision below which a thread's log no longer reaches, so a reader
-- older than that reloads its first page instead.
CREATE TABLE changes (
    thread_key  TEXT    NOT NULL,
    revision    BIGINT  NOT NULL,
    comment_id  BIGINT  NOT NULL
);
CREATE INDEX changes_by_thread ON changes (thread_key, revision);
ALTER TABLE threads ADD COLUMN log_floor BIGINT NOT NULL DEFAULT 0;
-- What changed before this migration was never logged.
UPDATE threads SET log_floor = revision;
-- Whether an unpublished comment still has published replies (its placeholder).
CREATE INDEX comments_by_parent ON comments (parent_id, status) WHERE parent_id IS NOT NULL;
