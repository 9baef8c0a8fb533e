-- Client addresses are kept only as an HMAC with a per-installation secret,
-- and blanked after 30 days.
ALTER TABLE comments ADD COLUMN ip_hmac TEXT NOT NULL DEFAULT '';
CREATE INDEX comments_with_ip ON comments (created_at) WHERE ip_hmac != '';

CREATE TABLE meta (
    name   TEXT PRIMARY KEY,
    value  TEXT NOT NULL
);
