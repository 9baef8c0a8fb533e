-- The newsroom's voice and its threads.
--
-- `staff`: on a reply a moderator wrote from /admin, the label readers see
-- beside its author ("Rédaction", "Staff"); empty for readers' comments.
-- `featured_at`: when a moderator featured the comment (an editor's pick),
-- NULL when it is not featured.
ALTER TABLE comments ADD COLUMN staff TEXT NOT NULL DEFAULT '';
ALTER TABLE comments ADD COLUMN featured_at BIGINT;

CREATE INDEX comments_featured ON comments (thread_key, featured_at)
    WHERE featured_at IS NOT NULL;

-- A thread a moderator closed (no new comments; its comments still show)
-- or reopened (then `moderation.auto_close_days` no longer closes it).
-- Without a row, the automatic rule applies.
CREATE TABLE thread_states (
    thread_key  TEXT    PRIMARY KEY,
    state       TEXT    NOT NULL CHECK (state IN ('closed', 'open')),
    actor       TEXT    NOT NULL,
    set_at      BIGINT  NOT NULL
);
