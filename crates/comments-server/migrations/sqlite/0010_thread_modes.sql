-- How a thread is moderated, set by a moderator for one thread
-- (`sport/om-psg`) or a section (`sport/*`: every key that starts with
-- `sport/`). The exact key wins over a section, a longer section over a
-- shorter one. Without a rule: pre-moderation, with the trust rule when
-- `moderation.trust_after` is set.
CREATE TABLE thread_modes (
    pattern     TEXT    PRIMARY KEY,
    mode        TEXT    NOT NULL CHECK (mode IN ('pre', 'trusted', 'post')),
    actor       TEXT    NOT NULL,
    set_at      BIGINT  NOT NULL
);
