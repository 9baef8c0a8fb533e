//! Every string the widget shows, in French and English.

use comments_api::ErrorCode;

/// A language the widget speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    En,
    Fr,
}

impl Lang {
    /// From a BCP 47 tag such as `fr-FR`; English when unknown.
    pub fn from_tag(tag: &str) -> Self {
        let primary = tag.split(['-', '_']).next().unwrap_or("");
        if primary.eq_ignore_ascii_case("fr") {
            Self::Fr
        } else {
            Self::En
        }
    }

    pub fn tag(self) -> &'static str {
        match self {
            Self::En => "en",
            Self::Fr => "fr",
        }
    }

    pub fn text(self) -> &'static Text {
        match self {
            Self::En => &EN,
            Self::Fr => &FR,
        }
    }
}

/// The widget's strings in one language.
pub struct Text {
    pub heading: &'static str,
    pub empty: &'static str,
    pub name_label: &'static str,
    pub body_label: &'static str,
    pub submit: &'static str,
    pub pending: &'static str,
    pub pending_badge: &'static str,
    pub withdraw: &'static str,
    pub rejected: &'static str,
    pub network: &'static str,
    pub author_empty: &'static str,
    pub author_too_long: &'static str,
    pub body_empty: &'static str,
    pub body_too_long: &'static str,
    pub control: &'static str,
    /// Followed by the number of seconds and [`Text::seconds`].
    pub rate_limited: &'static str,
    pub seconds: &'static str,
    pub unavailable: &'static str,
    pub unexpected: &'static str,
    pub load_failed: &'static str,
    pub counter_suffix: &'static str,
    pub email_label: &'static str,
    pub invalid_email: &'static str,
}

pub static EN: Text = Text {
    heading: "Comments",
    empty: "No comments yet. Be the first!",
    name_label: "Your name",
    body_label: "Your comment",
    submit: "Post comment",
    pending: "Thank you for your comment. It will be visible soon, pending validation.",
    pending_badge: "Pending validation",
    withdraw: "Withdraw",
    rejected: "One of your comments was not published.",
    network: "The comment server cannot be reached. Check your connection and try again; your text is kept.",
    author_empty: "Please give a name.",
    author_too_long: "Your name is too long (64 characters at most).",
    body_empty: "Your comment is empty.",
    body_too_long: "Your comment is too long (5000 characters at most).",
    control: "Your text contains invisible control characters; please remove them.",
    rate_limited: "You are posting too fast. Please wait",
    seconds: "seconds and try again; your text is kept.",
    unavailable: "The comment server is busy. Please try again in a moment; your text is kept.",
    unexpected: "Something went wrong on the server. Please try again; your text is kept.",
    load_failed: "Comments could not be loaded. Retrying…",
    counter_suffix: "characters",
    email_label: "Email me once it is published (optional)",
    invalid_email: "This email address does not look right; correct it or leave it empty.",
};

pub static FR: Text = Text {
    heading: "Commentaires",
    empty: "Aucun commentaire pour l’instant. Soyez le premier !",
    name_label: "Votre nom",
    body_label: "Votre commentaire",
    submit: "Publier",
    pending: "Merci pour votre commentaire. Il sera visible prochainement sous réserve de validation.",
    pending_badge: "En attente de validation",
    withdraw: "Retirer",
    rejected: "Un de vos commentaires n’a pas été publié.",
    network: "Le serveur de commentaires est injoignable. Vérifiez votre connexion et réessayez ; votre texte est conservé.",
    author_empty: "Merci d’indiquer un nom.",
    author_too_long: "Votre nom est trop long (64 caractères au maximum).",
    body_empty: "Votre commentaire est vide.",
    body_too_long: "Votre commentaire est trop long (5000 caractères au maximum).",
    control: "Votre texte contient des caractères de contrôle invisibles ; merci de les retirer.",
    rate_limited: "Vous publiez trop vite. Merci d’attendre",
    seconds: "secondes avant de réessayer ; votre texte est conservé.",
    unavailable: "Le serveur de commentaires est surchargé. Réessayez dans un instant ; votre texte est conservé.",
    unexpected: "Une erreur est survenue sur le serveur. Réessayez ; votre texte est conservé.",
    load_failed: "Les commentaires n’ont pas pu être chargés. Nouvel essai…",
    counter_suffix: "caractères",
    email_label: "M’avertir par e-mail de sa publication (facultatif)",
    invalid_email: "Cette adresse e-mail semble incorrecte ; corrigez-la ou laissez le champ vide.",
};

impl Text {
    /// The reader-facing sentence for an API error code.
    pub fn error(&self, code: ErrorCode) -> &'static str {
        match code {
            ErrorCode::AuthorEmpty => self.author_empty,
            ErrorCode::AuthorTooLong => self.author_too_long,
            ErrorCode::BodyEmpty => self.body_empty,
            ErrorCode::BodyTooLong | ErrorCode::PayloadTooLarge => self.body_too_long,
            ErrorCode::ControlCharacter => self.control,
            ErrorCode::InvalidEmail => self.invalid_email,
            ErrorCode::Unavailable | ErrorCode::QueueFull => self.unavailable,
            _ => self.unexpected,
        }
    }

    /// "Please wait 20 seconds…"
    pub fn wait(&self, seconds: u32) -> String {
        format!("{} {seconds} {}", self.rate_limited, self.seconds)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn language_tags() {
        assert_eq!(Lang::from_tag("fr-FR"), Lang::Fr);
        assert_eq!(Lang::from_tag("FR"), Lang::Fr);
        assert_eq!(Lang::from_tag("en-GB"), Lang::En);
        assert_eq!(Lang::from_tag(""), Lang::En);
        assert_eq!(Lang::from_tag("de"), Lang::En);
    }

    #[test]
    fn the_french_pending_text_is_verbatim() {
        assert_eq!(
            FR.pending,
            "Merci pour votre commentaire. Il sera visible prochainement sous réserve de validation."
        );
        assert_eq!(
            EN.pending,
            "Thank you for your comment. It will be visible soon, pending validation."
        );
    }

    #[test]
    fn limits_in_messages_match_the_api() {
        use comments_api::limits::*;
        for t in [&EN, &FR] {
            assert!(t.author_too_long.contains(&AUTHOR_MAX_CHARS.to_string()));
            assert!(t.body_too_long.contains(&BODY_MAX_CHARS.to_string()));
        }
    }
}
