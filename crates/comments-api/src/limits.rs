//! Size limits that the widget enforces as you type and the server enforces on every request.

/// Longest author name, in Unicode scalar values after trimming and NFC.
pub const AUTHOR_MAX_CHARS: usize = 64;
/// Longest comment body, in Unicode scalar values after trimming and NFC.
pub const BODY_MAX_CHARS: usize = 5000;
/// Longest thread key, in UTF-8 bytes after trimming and NFC.
pub const THREAD_KEY_MAX_BYTES: usize = 512;
/// Largest JSON request body the server reads. A 5000-character body of
/// 4-byte characters, JSON-escaped, still fits.
pub const REQUEST_MAX_BYTES: usize = 64 * 1024;
/// Longest explanation a reader's report may carry, in Unicode scalar values.
pub const REPORT_EXPLANATION_MAX_CHARS: usize = 2000;
/// Most tokens one status request may ask about.
pub const STATUS_MAX_TOKENS: usize = 50;
/// Most threads one count request may ask about.
pub const COUNT_MAX_THREADS: usize = 100;
/// Default seconds between two polls of a thread.
pub const DEFAULT_POLL_SECONDS: u32 = 15;
/// Shortest poll interval a page may configure.
pub const MIN_POLL_SECONDS: u32 = 2;
/// Longest email address (RFC 5321's path limit).
pub const EMAIL_MAX_BYTES: usize = 254;
/// Longest article title kept with a comment; longer titles are cut.
pub const PAGE_TITLE_MAX_CHARS: usize = 300;
/// Longest article URL kept with a comment; longer ones are dropped.
pub const PAGE_URL_MAX_BYTES: usize = 2048;

/// How deep replies nest: a top-level comment is at depth 1, its replies
/// at 2, theirs at 3; a reply to a comment at this depth shows beside it.
pub const MAX_DEPTH: u8 = 3;

/// Top-level comments a page of a thread holds.
pub const PAGE_TOP: u32 = 20;

/// Replies shown with each top-level comment of a page; "Show N more
/// replies" fetches the rest of its conversation.
pub const PAGE_REPLIES: u32 = 3;

/// Replies one conversation answer holds at most.
pub const CONVERSATION_MAX: u32 = 500;

/// Featured comments (editor's picks) a thread's first page carries at most.
pub const FEATURED_MAX: u32 = 10;
