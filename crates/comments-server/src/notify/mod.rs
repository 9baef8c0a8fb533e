//! Announcing comments: a webhook and moderators' mail (with one-click links) for each new pending comment, the author's opt-in mail on approval, and, to readers who asked, a mail for each published reply to their comment (with one-click unsubscribe). Deliveries run in the background with retries; none delays a reader.
//!
//! It may use `store` (and the foundations), nothing above.

pub mod links;

use crate::config::{Config, WebhookFormat};
use crate::notify::links::{LINK_VALIDITY_MS, Link, LinkSigner, query_value};
use crate::store::{Disposition, ModerationItem, ReplyMail, Store};
use crate::{clock, token};
use lettre::message::Body;
use lettre::message::Mailbox;
use lettre::message::header::{
    ContentTransferEncoding, ContentType, Header, HeaderName, HeaderValue,
};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;

/// Deliveries that may be in flight (retrying included); beyond that, new
/// ones are dropped with a warning rather than queued without bound.
const MAX_IN_FLIGHT: usize = 256;
/// Attempts per delivery.
const ATTEMPTS: u32 = 6;

struct Webhook {
    client: reqwest::Client,
    url: String,
    format: WebhookFormat,
}

struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

/// What a mail written in the background may need.
struct Writer {
    store: Arc<dyn Store>,
    from: Mailbox,
    links: LinkSigner,
    public_url: String,
}

/// Sends notifications; cheap to share.
pub struct Notifier {
    webhook: Option<Webhook>,
    mailer: Option<Mailer>,
    /// Moderators who get mail: their name (for the audit log) and address.
    moderators: Vec<(String, Mailbox)>,
    links: LinkSigner,
    public_url: String,
    retry_base: Duration,
    in_flight: Arc<Semaphore>,
    store: Arc<dyn Store>,
}

impl Notifier {
    pub fn new(config: &Config, links: LinkSigner, store: Arc<dyn Store>) -> Result<Self, String> {
        // reqwest and lettre share rustls; it needs one crypto provider.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let webhook = match &config.notify.webhook_url {
            None => None,
            Some(url) => Some(Webhook {
                client: reqwest::Client::builder()
                    .timeout(Duration::from_secs(10))
                    .build()
                    .map_err(|e| format!("cannot set up the webhook client: {e}"))?,
                url: url.clone(),
                format: config.notify.webhook_format,
            }),
        };
        let mailer = match (&config.notify.smtp_url, &config.notify.mail_from) {
            (Some(url), Some(from)) => Some(Mailer {
                transport: AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                    .map_err(|e| format!("notify.smtp_url: {e}"))?
                    .timeout(Some(Duration::from_secs(20)))
                    .build(),
                from: from
                    .parse()
                    .map_err(|e| format!("notify.mail_from {from:?}: {e}"))?,
            }),
            (Some(_), None) => return Err("notify.smtp_url needs notify.mail_from".into()),
            _ => None,
        };
        let mut moderators = Vec::new();
        for m in &config.moderation.moderators {
            if let Some(email) = &m.email {
                let mailbox = email
                    .parse()
                    .map_err(|e| format!("moderator {}: email {email:?}: {e}", m.name))?;
                moderators.push((m.name.clone(), mailbox));
            }
        }
        Ok(Self {
            webhook,
            mailer,
            moderators,
            links,
            public_url: config.public_url(),
            retry_base: Duration::from_millis(config.notify.retry_base_ms),
            in_flight: Arc::new(Semaphore::new(MAX_IN_FLIGHT)),
            store,
        })
    }

    /// Runs `attempt` in the background until it succeeds, up to 6 times,
    /// waiting `retry_base`, twice that, … in between.
    fn deliver<F, Fut>(&self, what: &'static str, attempt: F)
    where
        F: Fn() -> Fut + Send + 'static,
        Fut: Future<Output = Result<(), String>> + Send,
    {
        let Ok(permit) = Arc::clone(&self.in_flight).try_acquire_owned() else {
            tracing::warn!(what, "too many notifications in flight; dropped one");
            return;
        };
        let base = self.retry_base;
        tokio::spawn(async move {
            let _permit = permit;
            retry(what, base, attempt).await;
        });
    }

    /// Waits until every delivery under way has ended (sent or given up):
    /// the command line calls it before it exits.
    pub async fn flush(&self) {
        let all = u32::try_from(MAX_IN_FLIGHT).unwrap_or(u32::MAX);
        let _ = self.in_flight.acquire_many(all).await;
    }

    /// Whether anyone hears of new pending comments (a webhook, or mail to
    /// a moderator); if not, there is nothing to look up.
    pub fn announces_pending(&self) -> bool {
        self.webhook.is_some() || (self.mailer.is_some() && !self.moderators.is_empty())
    }

    /// A new comment awaits moderation.
    pub fn comment_pending(&self, item: &ModerationItem) {
        if let Some(hook) = &self.webhook {
            let body = webhook_body(hook.format, item, &self.public_url);
            let (client, url) = (hook.client.clone(), hook.url.clone());
            self.deliver("webhook", move || {
                let request = client
                    .post(&url)
                    .header("content-type", "application/json")
                    .body(body.clone());
                async move {
                    let res = request.send().await.map_err(|e| e.to_string())?;
                    if res.status().is_success() {
                        Ok(())
                    } else {
                        Err(format!("webhook answered {}", res.status()))
                    }
                }
            });
        }
        if let Some(mailer) = &self.mailer {
            for (name, to) in &self.moderators {
                match self.moderator_mail(mailer, name, to, item) {
                    Ok(message) => self.send_mail(mailer, message),
                    Err(e) => tracing::error!(error = %e, "cannot write the moderator mail"),
                }
            }
        }
    }

    /// Writes a mail with `write`, which may read the store, and sends it
    /// with retries, all in the background; `write` gives `None` (having
    /// logged why) when there is nothing to send.
    fn mail_later<F, Fut>(&self, what: &'static str, write: F)
    where
        F: FnOnce(Writer) -> Fut + Send + 'static,
        Fut: Future<Output = Option<Message>> + Send,
    {
        let Some(mailer) = &self.mailer else {
            return;
        };
        let Ok(permit) = Arc::clone(&self.in_flight).try_acquire_owned() else {
            tracing::warn!(what, "too many notifications in flight; dropped a mail");
            return;
        };
        let writer = Writer {
            store: Arc::clone(&self.store),
            from: mailer.from.clone(),
            links: self.links.clone(),
            public_url: self.public_url.clone(),
        };
        let (transport, base) = (mailer.transport.clone(), self.retry_base);
        tokio::spawn(async move {
            let _permit = permit;
            if let Some(message) = write(writer).await {
                retry("mail", base, send(transport, message)).await;
            }
        });
    }

    /// A comment was published and its author left `address` (already
    /// erased from the database): mail them, once, in the background.
    pub fn comment_published(&self, id: i64, address: String) {
        self.mail_later("an author's mail", move |w| async move {
            let item = match w.store.comment(id).await {
                Ok(Some(item)) => item,
                Ok(None) => return None,
                Err(e) => {
                    tracing::error!(error = %e, id, "cannot read a published comment to mail its author");
                    return None;
                }
            };
            let unsubscribe = match w.store.subscribed(id).await {
                Ok(true) => Some(unsubscribe_url(&w.links, &w.public_url, id)),
                Ok(false) => None,
                Err(e) => {
                    tracing::warn!(error = %e, id, "cannot read a reply subscription");
                    None
                }
            };
            author_mail(&w.from, &address, &item, unsubscribe.as_deref())
                .inspect_err(|e| tracing::warn!(error = %e, id, "cannot write the author's mail"))
                .ok()
        });
    }

    /// Reply `reply_id` was published: if its parent's author asked to
    /// hear of replies, mail them its text, once, in the background.
    pub fn reply_published(&self, reply_id: i64) {
        self.mail_later("a reply's mail", move |w| async move {
            let mail = match w.store.claim_reply_mail(reply_id).await {
                Ok(Some(mail)) => mail,
                Ok(None) => return None,
                Err(e) => {
                    tracing::error!(error = %e, reply_id, "cannot look up a reply's subscriber");
                    return None;
                }
            };
            let unsubscribe = unsubscribe_url(&w.links, &w.public_url, mail.parent_id);
            reply_mail(&w.from, &mail, &unsubscribe)
                .inspect_err(
                    |e| tracing::warn!(error = %e, reply_id, "cannot write a reply's mail"),
                )
                .ok()
        });
    }

    fn send_mail(&self, mailer: &Mailer, message: Message) {
        self.deliver("mail", send(mailer.transport.clone(), message));
    }

    fn moderator_mail(
        &self,
        mailer: &Mailer,
        moderator: &str,
        to: &Mailbox,
        item: &ModerationItem,
    ) -> Result<Message, String> {
        let expires_at = clock::now_ms() + LINK_VALIDITY_MS;
        let link = |to: Disposition| -> Result<String, String> {
            let nonce = token::generate().map_err(|e| e.to_string())?;
            let token = self.links.sign(&Link {
                comment_id: item.id,
                to,
                moderator: moderator.to_string(),
                expires_at,
                nonce,
            });
            Ok(format!("{}/admin/mail/{token}", self.public_url))
        };
        let text = format!(
            "A new comment awaits moderation.\n\n{}\n\
             Approve: {}\n\
             Reject:  {}\n\n\
             Each link opens a confirmation page, works once and expires in 72 hours.\n\
             The whole queue: {}/admin\n",
            describe(item),
            link(Disposition::Approved)?,
            link(Disposition::Rejected)?,
            self.public_url,
        );
        let subject = format!("New comment by {} on {}", item.author, where_posted(item));
        Message::builder()
            .from(mailer.from.clone())
            .to(to.clone())
            .subject(one_line(&subject, 150))
            .header(ContentType::TEXT_PLAIN)
            .body(plain_body(text))
            .map_err(|e| e.to_string())
    }
}

/// One attempt at sending `message`, as often as called.
fn send(
    transport: AsyncSmtpTransport<Tokio1Executor>,
    message: Message,
) -> impl Fn() -> std::pin::Pin<Box<dyn Future<Output = Result<(), String>> + Send>> + Send + 'static
{
    move || {
        let (transport, message) = (transport.clone(), message.clone());
        Box::pin(async move {
            transport
                .send(message)
                .await
                .map(|_| ())
                .map_err(|e| e.to_string())
        })
    }
}

/// Tries `attempt` up to 6 times, waiting `base`, twice that, … in between.
async fn retry<F, Fut>(what: &'static str, base: Duration, attempt: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = Result<(), String>>,
{
    for n in 0..ATTEMPTS {
        match attempt().await {
            Ok(()) => return,
            Err(e) if n + 1 < ATTEMPTS => {
                let wait = base * 2u32.pow(n);
                tracing::warn!(what, error = %e, attempt = n + 1, ?wait, "delivery failed; will retry");
                tokio::time::sleep(wait).await;
            }
            Err(e) => tracing::error!(what, error = %e, "delivery failed; giving up"),
        }
    }
}

/// `List-Unsubscribe` (RFC 2369): where a mail reader's own unsubscribe
/// button goes.
#[derive(Clone)]
struct ListUnsubscribe(String);

impl Header for ListUnsubscribe {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("List-Unsubscribe")
    }

    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Self(s.to_string()))
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), self.0.clone())
    }
}

/// `List-Unsubscribe-Post: List-Unsubscribe=One-Click` (RFC 8058): that
/// button unsubscribes with one POST, no page in between.
#[derive(Clone)]
struct ListUnsubscribePost;

impl Header for ListUnsubscribePost {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("List-Unsubscribe-Post")
    }

    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Self)
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), "List-Unsubscribe=One-Click".to_string())
    }
}

/// The signed link that ends comment `id`'s reply subscription.
pub fn unsubscribe_url(links: &LinkSigner, public_url: &str, id: i64) -> String {
    let token = links.sign_for(UNSUBSCRIBE, &id.to_string());
    format!("{public_url}/unsubscribe/{token}")
}

/// What an unsubscribe token is signed for.
pub const UNSUBSCRIBE: &str = "unsubscribe";

/// A published reply, to the author of the comment it answers: its text as
/// the replier wrote it (plain text), a link to it, and how to stop.
fn reply_mail(from: &Mailbox, mail: &ReplyMail, unsubscribe: &str) -> Result<Message, String> {
    let to: Mailbox = mail.to.parse().map_err(|e| format!("{e}"))?;
    let place = if mail.page_title.is_empty() {
        format!("\"{}\"", mail.thread)
    } else {
        format!("\"{}\"", mail.page_title)
    };
    let link = if mail.page_url.is_empty() {
        String::new()
    } else {
        format!(
            "Read it there: {}#comment-{}\n\n",
            mail.page_url, mail.reply_id
        )
    };
    let text = format!(
        "{} replied to your comment on {place}:\n\n----\n{}\n----\n\n{link}\
         You asked to hear of replies to your comment. To stop, and have your \
         address erased, follow this link:\n{unsubscribe}\n",
        mail.author, mail.body
    );
    Message::builder()
        .from(from.clone())
        .to(to)
        .subject(one_line(
            &format!("{} replied to your comment on {place}", mail.author),
            150,
        ))
        .header(ContentType::TEXT_PLAIN)
        .header(ListUnsubscribe(format!("<{unsubscribe}>")))
        .header(ListUnsubscribePost)
        .body(plain_body(text))
        .map_err(|e| e.to_string())
}

fn author_mail(
    from: &Mailbox,
    address: &str,
    item: &ModerationItem,
    unsubscribe: Option<&str>,
) -> Result<Message, String> {
    let to: Mailbox = address.parse().map_err(|e| format!("{e}"))?;
    let place = if item.page_url.is_empty() {
        String::new()
    } else {
        format!("\nRead it there: {}\n", item.page_url)
    };
    let ending = match unsubscribe {
        None => "You asked for this one mail; your address has now been erased.\n".to_string(),
        Some(link) => format!(
            "You also asked to hear of replies to it: each one will come by mail. \
             To stop, and have your address erased, follow this link:\n{link}\n"
        ),
    };
    let text = format!(
        "Hello {},\n\nYour comment on {} is now published.\n{place}\n\
         ----\n{}\n----\n\n{ending}",
        item.author,
        where_posted(item),
        item.body
    );
    Message::builder()
        .from(from.clone())
        .to(to)
        .subject(one_line(
            &format!("Your comment on {} is published", where_posted(item)),
            150,
        ))
        .header(ContentType::TEXT_PLAIN)
        .body(plain_body(text))
        .map_err(|e| e.to_string())
}

/// Plain text, quoted-printable: any line length and any script, and links
/// that every mail reader reassembles.
fn plain_body(text: String) -> Body {
    Body::new_with_encoding(text.clone(), ContentTransferEncoding::QuotedPrintable)
        .unwrap_or_else(|_| Body::new(text))
}

/// The article's title if the page sent one, else the thread key.
fn where_posted(item: &ModerationItem) -> String {
    if item.page_title.is_empty() {
        format!("\"{}\"", item.thread)
    } else {
        format!("\"{}\"", item.page_title)
    }
}

fn one_line(s: &str, max: usize) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(max)
        .collect()
}

/// The comment in plain text, for mail and chat.
fn describe(item: &ModerationItem) -> String {
    let mut out = format!("Thread: {}\n", item.thread);
    if !item.page_title.is_empty() || !item.page_url.is_empty() {
        out.push_str(&format!("Article: {} {}\n", item.page_title, item.page_url));
    }
    out.push_str(&format!("Author: {}\n", item.author));
    if item.author_key.is_empty() {
        out.push_str("History: unknown reader\n");
    } else {
        out.push_str(&format!(
            "History: {} approved, {} rejected before\n",
            item.author_approved, item.author_rejected
        ));
    }
    if !item.flags.is_empty() {
        out.push_str(&format!("Signals: {}\n", item.flags.join(", ")));
    }
    out.push_str(&format!("\n----\n{}\n----\n", item.body));
    out
}

/// Slack's mrkdwn treats `&`, `<` and `>` as markup.
fn slack_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn webhook_body(format: WebhookFormat, item: &ModerationItem, public_url: &str) -> Vec<u8> {
    let queue = format!(
        "{public_url}/admin/thread?key={}#c-{}",
        query_value(&item.thread),
        item.id
    );
    let value = match format {
        WebhookFormat::Json => serde_json::json!({
            "event": "comment.pending",
            "comment": item,
            "moderation_url": queue,
        }),
        WebhookFormat::Slack => {
            let body: String = item.body.chars().take(500).collect();
            serde_json::json!({
                "text": format!(
                    "New comment awaiting moderation on {}\n*{}*: {}\n<{}|Open the queue>",
                    slack_escape(&where_posted(item)),
                    slack_escape(&item.author),
                    slack_escape(&body),
                    queue
                )
            })
        }
    };
    serde_json::to_vec(&value).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item() -> ModerationItem {
        ModerationItem {
            id: 3,
            thread: "a/b".into(),
            page_title: "Title".into(),
            page_url: "https://news.example/a".into(),
            author: "<Ana>".into(),
            author_key: String::new(),
            body: "Hi & <b>bye</b>".into(),
            status: Disposition::Pending,
            created_at: 0,
            decided_at: None,
            flags: vec!["many_links".into()],
            author_approved: 0,
            author_rejected: 0,
            words: Vec::new(),
            parent: None,
            staff: String::new(),
            featured: false,
            note: String::new(),
        }
    }

    #[test]
    fn webhook_payloads_carry_the_comment() {
        let json: serde_json::Value = serde_json::from_slice(&webhook_body(
            WebhookFormat::Json,
            &item(),
            "https://c.example",
        ))
        .unwrap();
        assert_eq!(json["event"], "comment.pending");
        assert_eq!(json["comment"]["body"], "Hi & <b>bye</b>");
        assert_eq!(
            json["moderation_url"],
            "https://c.example/admin/thread?key=a%2Fb#c-3"
        );
        let slack: serde_json::Value = serde_json::from_slice(&webhook_body(
            WebhookFormat::Slack,
            &item(),
            "https://c.example",
        ))
        .unwrap();
        let text = slack["text"].as_str().unwrap();
        assert!(
            text.contains("*&lt;Ana&gt;*: Hi &amp; &lt;b&gt;bye&lt;/b&gt;"),
            "{text}"
        );
    }
}
