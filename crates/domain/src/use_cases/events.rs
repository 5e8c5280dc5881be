use crate::event::{Event, EventQuery};
use crate::service::AuthService;
use crate::store::StoreError;
use crate::use_cases::status::StatusError;

#[derive(Debug, thiserror::Error)]
pub enum EventsError {
    #[error(transparent)]
    Auth(#[from] StatusError),
    /// The token is valid, but its user is not an administrator.
    #[error("admin rights required")]
    NotAdmin,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl AuthService {
    /// The security events `query` selects, newest first, for a token whose user is an administrator.
    pub fn events_for(&self, token: &str, query: &EventQuery) -> Result<Vec<Event>, EventsError> {
        let user = self.status(token)?;
        if !user.admin {
            tracing::info!(user.id = %user.id, "events refused: not an administrator");
            return Err(EventsError::NotAdmin);
        }
        Ok(self.events(query)?)
    }

    /// The security events `query` selects, newest first (the command line's `events`).
    pub fn events(&self, query: &EventQuery) -> Result<Vec<Event>, StoreError> {
        let query = EventQuery { limit: query.limit.clamp(1, EventQuery::MAX_LIMIT), ..query.clone() };
        self.events.events(&query)
    }
}
