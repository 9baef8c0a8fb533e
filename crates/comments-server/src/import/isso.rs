//! Isso's SQLite database, read in place (read-only) as a stream of rows:
//! `threads(id, uri, title)` and `comments(tid, id, parent, created,
//! modified, mode, remote_addr, text, author, email, website, likes,
//! dislikes, voters, notification)`, as Isso's `isso/db/` creates them.
//! `created` is epoch seconds (a float), `text` the author's Markdown, and
//! `mode` 1 accepted, 2 waiting for moderation, 4 deleted: a comment
//! deleted while it had replies stays as a row with its text, author and
//! website emptied, so that the replies keep their place.
//!
//! Such a placeholder is read as a rejected record with `DELETED_BODY` (our
//! store shows a removed placeholder above published replies to an
//! unpublished comment, as Isso did). Rows come in id order, so a parent
//! before its replies (Isso numbers comments as they come, and since its
//! database version 3 a reply answers a top-level comment).

use super::{
    ImportError, ImportStatus, Item, Record, Skipped, SourceThread, author_or_anonymous,
    clean_text, finish, one_line, optional,
};
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection, SqliteRow};
use sqlx::{ConnectOptions, Connection, Row};
use std::path::Path;

/// Every comment with its thread, in id order. The casts make each
/// column's type the value's, whatever an old database declared.
const COMMENTS: &str = "\
    SELECT c.id AS id, CAST(c.parent AS INTEGER) AS parent, CAST(c.created AS REAL) AS created, \
           CAST(c.mode AS INTEGER) AS mode, CAST(c.text AS TEXT) AS text, \
           CAST(c.author AS TEXT) AS author, CAST(c.email AS TEXT) AS email, \
           CAST(c.tid AS INTEGER) AS tid, CAST(t.uri AS TEXT) AS uri, \
           CAST(t.title AS TEXT) AS title \
    FROM comments AS c LEFT JOIN threads AS t ON t.id = c.tid \
    ORDER BY c.id";

/// The columns read, per table.
const NEEDED: &[(&str, &[&str])] = &[
    ("threads", &["id", "uri", "title"]),
    (
        "comments",
        &[
            "tid", "id", "parent", "created", "mode", "text", "author", "email",
        ],
    ),
];

/// Reads the Isso database at `path`, handing `each` its comments one at a
/// time, in id order, as they are read (`each` may await: the next row is
/// read after it returns). Stops at the first error: the file's
/// (`ImportError`, converted into `E`) or `each`'s.
pub async fn read<E>(path: &Path, mut each: impl AsyncFnMut(Item) -> Result<(), E>) -> Result<(), E>
where
    E: From<ImportError>,
{
    let mut conn = SqliteConnectOptions::new()
        .filename(path)
        .read_only(true)
        .create_if_missing(false)
        .connect()
        .await
        .map_err(|e| {
            ImportError::file(format!(
                "cannot open {} as an SQLite database: {e}",
                path.display()
            ))
        })?;
    let outcome = rows(&mut conn, &mut each).await;
    let _ = conn.close().await;
    outcome
}

async fn rows<E>(
    conn: &mut SqliteConnection,
    each: &mut impl AsyncFnMut(Item) -> Result<(), E>,
) -> Result<(), E>
where
    E: From<ImportError>,
{
    check_schema(conn).await?;
    let mut rows = sqlx::query(COMMENTS).fetch(&mut *conn);
    // `poll_next` is the stream's own method: no stream utilities needed.
    while let Some(row) = std::future::poll_fn(|cx| rows.as_mut().poll_next(cx)).await {
        let row = row.map_err(|e| ImportError::file(format!("cannot read the comments: {e}")))?;
        each(item(&row)?).await?;
    }
    Ok(())
}

/// An error unless the database has Isso's tables and the columns read.
async fn check_schema(conn: &mut SqliteConnection) -> Result<(), ImportError> {
    for (table, needed) in NEEDED {
        let columns: Vec<String> = sqlx::query_scalar("SELECT name FROM pragma_table_info(?)")
            .bind(*table)
            .fetch_all(&mut *conn)
            .await
            .map_err(|e| ImportError::file(format!("not an Isso database: {e}")))?;
        if columns.is_empty() {
            return Err(ImportError::file(format!(
                "not an Isso database: it has no {table} table"
            )));
        }
        let missing: Vec<&str> = needed
            .iter()
            .copied()
            .filter(|n| !columns.iter().any(|c| c == n))
            .collect();
        if !missing.is_empty() {
            return Err(ImportError::file(format!(
                "not an Isso database: its {table} table has no {} column",
                missing.join(", ")
            )));
        }
    }
    Ok(())
}

/// One row as an item.
fn item(row: &SqliteRow) -> Result<Item, ImportError> {
    let id: i64 = row
        .try_get("id")
        .map_err(|e| ImportError::file(format!("a comment without a usable id: {e}")))?;
    let at = format!("comment {id}");
    let bad = |e: sqlx::Error| ImportError::at(&at, format!("unreadable row: {e}"));
    let parent: Option<i64> = row.try_get("parent").map_err(bad)?;
    let created: Option<f64> = row.try_get("created").map_err(bad)?;
    let mode: Option<i64> = row.try_get("mode").map_err(bad)?;
    let text: Option<String> = row.try_get("text").map_err(bad)?;
    let author: Option<String> = row.try_get("author").map_err(bad)?;
    let email: Option<String> = row.try_get("email").map_err(bad)?;
    let tid: Option<i64> = row.try_get("tid").map_err(bad)?;
    let uri: Option<String> = row.try_get("uri").map_err(bad)?;
    let title: Option<String> = row.try_get("title").map_err(bad)?;

    let (status, deleted) = match mode {
        Some(1) => (ImportStatus::Approved, false),
        Some(2) => (ImportStatus::Pending, false),
        Some(4) => (ImportStatus::Rejected, true),
        other => {
            let shown = other.map_or("empty".to_owned(), |m| m.to_string());
            return Err(ImportError::at(
                &at,
                format!(
                    "mode is {shown}: expected 1 (accepted), 2 (waiting for moderation) or 4 (deleted)"
                ),
            ));
        }
    };
    // Up to the year 9999, as our dates go.
    let created_at = created
        .map(|s| (s * 1000.0).round())
        .filter(|ms| ms.is_finite() && (0.0..253_402_300_800_000.0).contains(ms))
        .map(|ms| ms as i64);
    let Some(created_at) = created_at else {
        return Err(ImportError::at(
            &at,
            format!("created is {created:?}, not a time in epoch seconds"),
        ));
    };
    let Some(uri) = uri else {
        let tid = tid.map_or("empty".to_owned(), |t| t.to_string());
        return Ok(Item::Skipped(Skipped {
            source_id: id.to_string(),
            reason: format!("its thread (tid {tid}) is not in the threads table"),
        }));
    };
    let record = Record {
        source_id: id.to_string(),
        parent: parent.map(|p| p.to_string()),
        thread: SourceThread {
            id: one_line(&uri),
            url: String::new(),
            title: one_line(title.as_deref().unwrap_or("")),
        },
        author: author_or_anonymous(author.as_deref().unwrap_or("")),
        email: optional(email.as_deref().unwrap_or("")),
        created_at,
        status,
        body: clean_text(text.as_deref().unwrap_or("")).trim().to_owned(),
    };
    Ok(finish(record, deleted))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::DELETED_BODY;
    use std::path::PathBuf;

    const SCRIPT: &str = include_str!("samples/isso.sql");

    /// A database file made from `script`, in a directory kept alive by the
    /// returned guard.
    async fn database(script: &'static str) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("comments.db");
        let mut conn = SqliteConnectOptions::new()
            .filename(&path)
            .create_if_missing(true)
            // As Isso's connections: SQLite's default, not sqlx's.
            .foreign_keys(false)
            .connect()
            .await
            .unwrap();
        sqlx::raw_sql(script).execute(&mut conn).await.unwrap();
        conn.close().await.unwrap();
        (dir, path)
    }

    async fn read_all(path: &Path) -> Result<Vec<Item>, String> {
        let mut items = Vec::new();
        read(path, async |item| {
            items.push(item);
            Ok::<(), String>(())
        })
        .await?;
        Ok(items)
    }

    #[tokio::test]
    async fn the_sample_reads_to_the_expected_records() {
        let (_dir, path) = database(SCRIPT).await;
        let items = read_all(&path).await.unwrap();
        let first = SourceThread {
            id: "/2024/01/premier-billet/".into(),
            url: String::new(),
            title: "Premier billet".into(),
        };
        let bike = SourceThread {
            id: "/notes/velo.html".into(),
            url: String::new(),
            title: "Vélo en hiver".into(),
        };
        let rec = |id: &str,
                   parent: Option<&str>,
                   thread: &SourceThread,
                   author: &str,
                   email: Option<&str>,
                   at: i64,
                   status: ImportStatus,
                   body: &str| {
            Item::Record(Record {
                source_id: id.into(),
                parent: parent.map(Into::into),
                thread: thread.clone(),
                author: author.into(),
                email: email.map(Into::into),
                created_at: at,
                status,
                body: body.into(),
            })
        };
        let expected = vec![
            rec(
                "1",
                None,
                &first,
                "Zoé",
                Some("zoe@mail.example"),
                1_704_103_200_500,
                ImportStatus::Approved,
                "Bienvenue !\n\nUn *premier* commentaire.",
            ),
            rec(
                "2",
                Some("1"),
                &first,
                "Anonymous",
                None,
                1_704_106_800_000,
                ImportStatus::Approved,
                "Merci Zoé.\nÀ bientôt.",
            ),
            rec(
                "3",
                Some("1"),
                &first,
                "Paul",
                None,
                1_704_110_400_250,
                ImportStatus::Pending,
                "En attente : [lien](https://a.example)",
            ),
            rec(
                "4",
                None,
                &first,
                "Anonymous",
                Some("gone@mail.example"),
                1_704_114_000_000,
                ImportStatus::Rejected,
                DELETED_BODY,
            ),
            rec(
                "5",
                Some("4"),
                &first,
                "Léa",
                None,
                1_704_121_200_000,
                ImportStatus::Approved,
                "Je réponds au commentaire supprimé.",
            ),
            rec(
                "6",
                None,
                &bike,
                "Marc",
                Some("marc@mail.example"),
                1_706_788_800_000,
                ImportStatus::Approved,
                "Pneus à clous ou pas ?",
            ),
            Item::Skipped(Skipped {
                source_id: "7".into(),
                reason: "its text is empty once converted".into(),
            }),
            Item::Skipped(Skipped {
                source_id: "8".into(),
                reason: "its thread (tid 99) is not in the threads table".into(),
            }),
        ];
        assert_eq!(items.len(), expected.len(), "{items:#?}");
        for (got, want) in items.iter().zip(&expected) {
            assert_eq!(got, want);
        }
    }

    #[tokio::test]
    async fn the_callback_can_stop_the_reading() {
        let (_dir, path) = database(SCRIPT).await;
        let mut seen = 0;
        let outcome = read(&path, async |_| {
            seen += 1;
            if seen == 3 {
                Err("enough".to_owned())
            } else {
                Ok(())
            }
        })
        .await;
        assert_eq!(outcome, Err("enough".to_owned()));
        assert_eq!(seen, 3);
    }

    #[tokio::test]
    async fn bad_rows_name_the_comment() {
        let (_dir, path) = database(
            "CREATE TABLE threads (id INTEGER PRIMARY KEY, uri VARCHAR(256) UNIQUE, title VARCHAR(256));
             CREATE TABLE comments (tid REFERENCES threads(id), id INTEGER PRIMARY KEY, parent INTEGER,
                 created FLOAT, modified FLOAT, mode INTEGER, remote_addr VARCHAR, text VARCHAR,
                 author VARCHAR, email VARCHAR, website VARCHAR);
             INSERT INTO threads VALUES (1, '/a', 'A');
             INSERT INTO comments (tid, id, created, mode, text) VALUES (1, 1, 1.0, 1, 'ok');
             INSERT INTO comments (tid, id, created, mode, text) VALUES (1, 2, 1.0, 3, 'odd');",
        )
        .await;
        let e = read_all(&path).await.unwrap_err();
        assert_eq!(
            e,
            "comment 2: mode is 3: expected 1 (accepted), 2 (waiting for moderation) or 4 (deleted)"
        );

        let (_dir, path) = database(
            "CREATE TABLE threads (id INTEGER PRIMARY KEY, uri VARCHAR(256) UNIQUE, title VARCHAR(256));
             CREATE TABLE comments (tid REFERENCES threads(id), id INTEGER PRIMARY KEY, parent INTEGER,
                 created FLOAT, mode INTEGER, text VARCHAR, author VARCHAR, email VARCHAR);
             INSERT INTO threads VALUES (1, '/a', NULL);
             INSERT INTO comments (tid, id, created, mode, text) VALUES (1, 5, NULL, 1, 'x');",
        )
        .await;
        let e = read_all(&path).await.unwrap_err();
        assert_eq!(e, "comment 5: created is None, not a time in epoch seconds");
    }

    #[tokio::test]
    async fn other_files_are_not_taken_for_isso() {
        let (_dir, path) =
            database("CREATE TABLE comments (id INTEGER PRIMARY KEY, body TEXT);").await;
        let e = read_all(&path).await.unwrap_err();
        assert_eq!(e, "not an Isso database: it has no threads table");

        let (_dir, path) = database(
            "CREATE TABLE threads (id INTEGER PRIMARY KEY, uri TEXT, title TEXT);
             CREATE TABLE comments (id INTEGER PRIMARY KEY, body TEXT);",
        )
        .await;
        let e = read_all(&path).await.unwrap_err();
        assert!(
            e.contains("its comments table has no tid, parent, created"),
            "{e}"
        );

        let dir = tempfile::tempdir().unwrap();
        let xml = dir.path().join("export.xml");
        std::fs::write(&xml, include_str!("samples/disqus.xml")).unwrap();
        let e = read_all(&xml).await.unwrap_err();
        assert!(e.starts_with("not an Isso database: "), "{e}");

        let e = read_all(&dir.path().join("missing.db")).await.unwrap_err();
        assert!(e.starts_with("cannot open "), "{e}");
        assert!(
            !dir.path().join("missing.db").exists(),
            "nothing is created"
        );
    }
}
