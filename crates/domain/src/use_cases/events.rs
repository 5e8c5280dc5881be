use crate::event::{Event, EventQuery};
use crate::principal::Principal;
use crate::service::AuthService;
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum EventsError {
    /// The caller is not an administrator.
    #[error("admin rights required")]
    NotAdmin,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl AuthService {
    /// The security events `query` selects, newest first, for a caller who is an administrator.
    pub fn events_for(&self, caller: &Principal, query: &EventQuery) -> Result<Vec<Event>, EventsError> {
        if !caller.user.admin {
            tracing::info!(user.id = %caller.user.id, "events refused: not an administrator");
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
