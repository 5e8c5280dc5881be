//! Email: the links it carries (`link`), the outbox rows a change writes in its own transaction
//! (`outbox`), and what the service does with them (`policy`). Rendering and sending are the mail
//! crate's; this crate decides what is sent to whom, and when.

mod link;
mod outbox;
mod policy;

pub use link::{LinkHash, LinkKind, LinkToken};
pub use outbox::{
    ClaimedMail, Delivery, MailCap, MailFailure, MailKind, NewLink, NewMail, OutboxCounts, OutboxRow, OutboxState,
    Queued, StoredLink,
};
pub use policy::{MailPolicy, MailSealer, MailWaker};
