-- Spam signals computed when a comment arrives, for the moderation queue,
-- and the body hash that finds the same text posted again.
ALTER TABLE comments ADD COLUMN flags TEXT NOT NULL DEFAULT '';
ALTER TABLE comments ADD COLUMN body_hash TEXT NOT NULL DEFAULT '';
CREATE INDEX comments_by_body_hash ON comments (body_hash, created_at);
