-- A comment's status history, for its author's export, is read from the
-- audit log by comment.
CREATE INDEX audit_by_comment ON audit (comment_id) WHERE comment_id IS NOT NULL;
