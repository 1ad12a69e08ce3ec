//! Mail to operators through the configured SMTP relay (post-call prompts, answers to their
//! replies). Without a relay nothing is sent and callers are told so.

use crate::config::Config;
use lettre::message::{Mailbox, header::ContentType};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

/// The relay and the addresses mail goes out with.
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    reply_to: Mailbox,
}

/// A message to send: plain text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub body: String,
    /// The `Message-ID` of the mail this answers, for threading.
    pub in_reply_to: Option<String>,
}

impl Mailer {
    /// The mailer a configuration sets up; `None` without `smtp_relay_url` and `mail_from`.
    pub fn from_config(config: &Config) -> anyhow::Result<Option<Self>> {
        let (Some(url), Some(from)) = (&config.smtp_relay_url, &config.mail_from) else {
            return Ok(None);
        };
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| anyhow::anyhow!("smtp_relay_url: {e}"))?
            .build();
        let from: Mailbox = from.parse().map_err(|e| anyhow::anyhow!("mail_from: {e}"))?;
        let reply_to = match &config.reply_address {
            Some(address) => address.parse().map_err(|e| anyhow::anyhow!("reply_address: {e}"))?,
            None => from.clone(),
        };
        Ok(Some(Self {
            transport,
            from,
            reply_to,
        }))
    }

    /// The address replies go to.
    pub fn reply_address(&self) -> &Mailbox {
        &self.reply_to
    }

    /// Sends one message; an error says what failed (an unknown address, a relay refusal).
    pub async fn send(&self, mail: &Mail) -> anyhow::Result<()> {
        let to: Mailbox = mail
            .to
            .parse()
            .map_err(|e| anyhow::anyhow!("recipient {}: {e}", mail.to))?;
        let mut builder = Message::builder()
            .from(self.from.clone())
            .reply_to(self.reply_to.clone())
            .to(to)
            .subject(mail.subject.as_str())
            .header(ContentType::TEXT_PLAIN);
        if let Some(id) = &mail.in_reply_to {
            builder = builder.in_reply_to(id.clone()).references(id.clone());
        }
        let message = builder.body(mail.body.clone())?;
        self.transport.send(message).await?;
        Ok(())
    }
}
