-- A small Isso database, written for the tests: the schema is Isso's own
-- (isso/db/preferences.py, threads.py, comments.py and the trigger in
-- isso/db/__init__.py, database version 5); the rows are made up. The
-- tests build a .db file from this script.
CREATE TABLE IF NOT EXISTS preferences (
   key VARCHAR PRIMARY KEY, value VARCHAR
);
CREATE TABLE IF NOT EXISTS threads (
    id INTEGER PRIMARY KEY, uri VARCHAR(256) UNIQUE, title VARCHAR(256));
CREATE TABLE IF NOT EXISTS comments (
    tid REFERENCES threads(id),
    id INTEGER PRIMARY KEY,
    parent INTEGER,
    created FLOAT NOT NULL,
    modified FLOAT,
    mode INTEGER,
    remote_addr VARCHAR,
    text VARCHAR NOT NULL,
    author VARCHAR,
    email VARCHAR,
    website VARCHAR,
    likes INTEGER DEFAULT 0,
    dislikes INTEGER DEFAULT 0,
    voters BLOB NOT NULL,
    notification INTEGER DEFAULT 0
);
CREATE TRIGGER IF NOT EXISTS remove_stale_threads AFTER DELETE ON comments BEGIN
    DELETE FROM threads WHERE id NOT IN (SELECT tid FROM comments);
END;
PRAGMA user_version = 5;

INSERT INTO preferences (key, value) VALUES ('session-key', '5ab3c2a1f00dfeedfacecafe0123456789abcdef01234567');

INSERT INTO threads (id, uri, title) VALUES
    (1, '/2024/01/premier-billet/', 'Premier billet'),
    (2, '/notes/velo.html', 'Vélo en hiver');

-- mode: 1 accepted, 2 waiting for moderation, 4 deleted (kept for its replies:
-- Isso empties text, author and website, and keeps the address).
INSERT INTO comments
    (tid, id, parent, created, modified, mode, remote_addr, text, author, email, website, likes, dislikes, voters, notification)
VALUES
    (1, 1, NULL, 1704103200.5, NULL, 1, '198.51.100.0',
     'Bienvenue !' || char(10) || char(10) || 'Un *premier* commentaire.',
     'Zoé', 'zoe@mail.example', 'https://zoe.example', 2, 0, zeroblob(256), 0),
    (1, 2, 1, 1704106800.0, NULL, 1, '198.51.100.0',
     'Merci Zoé.' || char(13) || char(10) || 'À bientôt.',
     NULL, NULL, NULL, 0, 0, zeroblob(256), 0),
    (1, 3, 1, 1704110400.25, NULL, 2, '198.51.100.0',
     'En attente : [lien](https://a.example)',
     'Paul', '', NULL, 0, 0, zeroblob(256), 1),
    (1, 4, NULL, 1704114000.0, 1704117600.0, 4, '198.51.100.0',
     '', NULL, 'gone@mail.example', NULL, 0, 0, zeroblob(256), 0),
    (1, 5, 4, 1704121200.0, NULL, 1, '198.51.100.0',
     'Je réponds au commentaire supprimé.',
     'Léa', NULL, NULL, 0, 0, zeroblob(256), 0),
    (2, 6, NULL, 1706788800.0, NULL, 1, '203.0.113.0',
     'Pneus à clous ou pas ?',
     'Marc', 'marc@mail.example', NULL, 0, 0, zeroblob(256), 0),
    (2, 7, 6, 1706792400.0, NULL, 2, '203.0.113.0',
     '   ',
     'Vide', NULL, NULL, 0, 0, zeroblob(256), 0),
    (99, 8, NULL, 1706796000.0, NULL, 1, '203.0.113.0',
     'orphelin',
     'Nul', NULL, NULL, 0, 0, zeroblob(256), 0);
