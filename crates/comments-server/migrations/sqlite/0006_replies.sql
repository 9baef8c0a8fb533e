-- Replies: the comment a reply answers, and the top-level comment of its
-- conversation (the same for every reply under one top-level comment, so
-- that a conversation can be read by one index later). Neither is a foreign
-- key: a parent may be purged while its published replies stay.
ALTER TABLE comments ADD COLUMN parent_id BIGINT;
ALTER TABLE comments ADD COLUMN root_id BIGINT;
CREATE INDEX comments_by_root ON comments (root_id, status, created_at, id) WHERE root_id IS NOT NULL;
