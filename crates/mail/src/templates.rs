//! What each email says: a subject, a text part and an HTML part per kind, as minijinja templates. The
//! shipped ones are compiled in; a file of the same name in `email.templates_dir` replaces one. Every
//! template is rendered once at start with sample values, so a broken one stops the service from
//! starting instead of failing an email later.

use auth_domain::MailKind;
use minijinja::{Environment, context};
use std::path::Path;

/// The shipped templates: `<kind>.subject`, `<kind>.txt`, `<kind>.html`.
const SHIPPED: &[(&str, &str)] = &[
    ("verify_email.subject", include_str!("../templates/verify_email.subject")),
    ("verify_email.txt", include_str!("../templates/verify_email.txt")),
    ("verify_email.html", include_str!("../templates/verify_email.html")),
    ("password_reset_link.subject", include_str!("../templates/password_reset_link.subject")),
    ("password_reset_link.txt", include_str!("../templates/password_reset_link.txt")),
    ("password_reset_link.html", include_str!("../templates/password_reset_link.html")),
    ("password_reset_notice.subject", include_str!("../templates/password_reset_notice.subject")),
    ("password_reset_notice.txt", include_str!("../templates/password_reset_notice.txt")),
    ("password_reset_notice.html", include_str!("../templates/password_reset_notice.html")),
    ("email_change_link.subject", include_str!("../templates/email_change_link.subject")),
    ("email_change_link.txt", include_str!("../templates/email_change_link.txt")),
    ("email_change_link.html", include_str!("../templates/email_change_link.html")),
    ("email_change_notice.subject", include_str!("../templates/email_change_notice.subject")),
    ("email_change_notice.txt", include_str!("../templates/email_change_notice.txt")),
    ("email_change_notice.html", include_str!("../templates/email_change_notice.html")),
];

#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    #[error("email.templates_dir {dir}: {source}")]
    Dir { dir: String, source: std::io::Error },
    #[error("email.templates_dir: template {name}: {detail}")]
    Template { name: String, detail: String },
    #[error("email.templates_dir holds {0}, which is no template's name (<kind>.subject, .txt or .html)")]
    Unknown(String),
}

/// What the templates are given.
pub struct Values<'a> {
    pub product_name: &'a str,
    pub email: &'a str,
    pub link: Option<&'a str>,
    pub new_email: Option<&'a str>,
    pub expires_in: &'a str,
}

/// One email, rendered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parts {
    pub subject: String,
    pub text: String,
    pub html: String,
}

pub struct Templates {
    env: Environment<'static>,
}

impl Templates {
    /// The shipped templates, each replaced by a file of its name in `dir` when there is one.
    pub fn load(dir: Option<&Path>) -> Result<Self, TemplateError> {
        let mut sources: Vec<(String, String)> =
            SHIPPED.iter().map(|(name, source)| ((*name).to_owned(), (*source).to_owned())).collect();
        if let Some(dir) = dir {
            let io = |source| TemplateError::Dir { dir: dir.display().to_string(), source };
            for entry in std::fs::read_dir(dir).map_err(io)? {
                let path = entry.map_err(io)?.path();
                let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_owned();
                let Some(slot) = sources.iter_mut().find(|(known, _)| *known == name) else {
                    return Err(TemplateError::Unknown(name));
                };
                slot.1 = std::fs::read_to_string(&path).map_err(io)?;
            }
        }
        let mut env = Environment::new();
        // HTML parts escape what they are given (an address with markup in it stays text); the others not
        env.set_auto_escape_callback(|name| {
            if name.ends_with(".html") { minijinja::AutoEscape::Html } else { minijinja::AutoEscape::None }
        });
        env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
        for (name, source) in sources {
            env.add_template_owned(name.clone(), source)
                .map_err(|e| TemplateError::Template { name, detail: e.to_string() })?;
        }
        let templates = Self { env };
        for kind in MailKind::ALL {
            let sample = Values {
                product_name: "auth-service",
                email: "someone@example.com",
                link: kind.link().map(|_| "https://auth.example.com/auth/verify?token=sample"),
                new_email: Some("someone.else@example.com"),
                expires_in: "1 hour",
            };
            templates.render(kind, &sample)?;
        }
        Ok(templates)
    }

    pub fn render(&self, kind: MailKind, values: &Values<'_>) -> Result<Parts, TemplateError> {
        let context = context! {
            product_name => values.product_name,
            email => values.email,
            link => values.link,
            new_email => values.new_email,
            expires_in => values.expires_in,
        };
        let part = |ext: &str| {
            let name = format!("{}.{ext}", kind.as_str());
            self.env
                .get_template(&name)
                .and_then(|t| t.render(&context))
                .map_err(|e| TemplateError::Template { name, detail: e.to_string() })
        };
        // a subject is one line, however the template ends
        let subject = part("subject")?.split_whitespace().collect::<Vec<_>>().join(" ");
        Ok(Parts { subject, text: part("txt")?, html: part("html")? })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values<'a>(link: Option<&'a str>) -> Values<'a> {
        Values {
            product_name: "Acme",
            email: "a<b>@example.com",
            link,
            new_email: Some("new@example.com"),
            expires_in: "24 hours",
        }
    }

    #[test]
    fn every_kind_renders_a_subject_a_text_and_an_html_part() {
        let templates = Templates::load(None).unwrap();
        let link = "https://auth.example.com/auth/verify?token=abc&x=1";
        let parts = templates.render(MailKind::VerifyEmail, &values(Some(link))).unwrap();
        assert_eq!(parts.subject, "Verify your email address for Acme");
        assert!(parts.text.contains(link) && parts.text.contains("24 hours"), "{}", parts.text);
        // attribute-escaped as HTML wants it (a browser or mail client reads it back as the link)
        let escaped = "https:&#x2f;&#x2f;auth.example.com&#x2f;auth&#x2f;verify?token=abc&amp;x=1";
        assert!(parts.html.contains(&format!("href=\"{escaped}\"")), "{}", parts.html);
        assert!(parts.html.contains("a&lt;b&gt;@example.com") && parts.text.contains("a<b>@example.com"));
        let notice = templates.render(MailKind::EmailChangeNotice, &values(None)).unwrap();
        assert!(notice.text.contains("new@example.com"));
    }

    #[test]
    fn a_file_in_the_directory_replaces_its_template_and_a_broken_one_is_refused() {
        let dir = std::env::temp_dir().join(format!("auth-mail-templates-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("verify_email.subject"), "Welcome to {{ product_name }}!\n").unwrap();
        let templates = Templates::load(Some(&dir)).unwrap();
        assert_eq!(templates.render(MailKind::VerifyEmail, &values(Some("x"))).unwrap().subject, "Welcome to Acme!");

        std::fs::write(dir.join("verify_email.txt"), "{{ link ").unwrap();
        assert!(
            matches!(Templates::load(Some(&dir)), Err(TemplateError::Template { name, .. }) if name == "verify_email.txt")
        );
        std::fs::write(dir.join("verify_email.txt"), "{{ no_such_value }}").unwrap();
        assert!(matches!(Templates::load(Some(&dir)), Err(TemplateError::Template { .. })));
        std::fs::remove_file(dir.join("verify_email.txt")).unwrap();
        std::fs::write(dir.join("welcome.txt"), "hi").unwrap();
        assert!(matches!(Templates::load(Some(&dir)), Err(TemplateError::Unknown(name)) if name == "welcome.txt"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
