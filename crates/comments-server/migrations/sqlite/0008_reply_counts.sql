-- "Most replies first": each top-level comment keeps its conversation's
-- count of published replies, recounted in the transaction of every change
-- to one of them, so that a page in that order reads one index.
ALTER TABLE comments ADD COLUMN reply_count BIGINT NOT NULL DEFAULT 0;
UPDATE comments SET reply_count = (SELECT count(*) FROM comments r
    WHERE r.root_id = comments.id AND r.status = 'approved')
    WHERE parent_id IS NULL;
-- A page's top-level comments, by time or by replies: only those a page
-- shows (published, or removed with published replies), so that pending
-- and rejected ones cost a first page nothing.
CREATE INDEX comments_top ON comments (thread_key, created_at, id)
    WHERE parent_id IS NULL AND (status = 'approved' OR reply_count > 0);
CREATE INDEX comments_top_by_replies ON comments (thread_key, reply_count DESC, created_at, id)
    WHERE parent_id IS NULL AND (status = 'approved' OR reply_count > 0);
