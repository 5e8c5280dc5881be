//! When keys are made, sign, stay published and retire (`tokens.key_*`).

use chrono::{DateTime, TimeDelta, Utc};

/// `tokens.key_*` settings, and how long a token lives (a key stays published that long after it
/// stopped signing).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyPolicy {
    /// `None`: keys are rotated only by `auth-server keys rotate`.
    pub rotation: Option<TimeDelta>,
    pub publish_lead: TimeDelta,
    /// How often an instance re-reads the keys, and at most how often a token naming an unknown key
    /// makes it read them sooner.
    pub refresh: TimeDelta,
    pub token_life: TimeDelta,
}

impl KeyPolicy {
    /// How often the keys are tried again while none could be read at all (the database is down).
    pub const RETRY_WHILE_EMPTY: TimeDelta = TimeDelta::seconds(1);

    /// When the key that starts signing at `latest_signs_from` is due to be followed: a new one is
    /// added the publish lead before the period ends, so that it is published for that long before it
    /// signs. `None` without scheduled rotation.
    pub fn rotation_due(&self, latest_signs_from: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.rotation.map(|period| latest_signs_from + period - self.publish_lead)
    }

    /// The longest a JWKS may be cached: half the publish lead, so every verifier sees a new key
    /// before it signs.
    pub fn max_cache_age(&self) -> TimeDelta {
        self.publish_lead / 2
    }
}

/// Where a key is in its life at some moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyState {
    /// Published, signing later.
    Next,
    Signing,
    /// Published for the tokens it signed.
    Verifying,
    Retired,
    /// Taken out of use by `auth-server keys revoke` (a leak): neither published nor trusted.
    Revoked,
}

impl KeyState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Next => "next",
            Self::Signing => "signing",
            Self::Verifying => "verifying",
            Self::Retired => "retired",
            Self::Revoked => "revoked",
        }
    }

    /// Whether tokens of a key in this state are trusted (and the key published).
    pub fn trusted(self) -> bool {
        matches!(self, Self::Next | Self::Signing | Self::Verifying)
    }
}

/// The dates that decide a key's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct KeyDates {
    pub signs_from: DateTime<Utc>,
    /// When the next key takes over; `None` for the newest.
    pub signs_until: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl KeyDates {
    pub fn retires_at(&self, token_life: TimeDelta) -> Option<DateTime<Utc>> {
        self.signs_until.map(|until| until + token_life)
    }

    pub fn state(&self, now: DateTime<Utc>, token_life: TimeDelta) -> KeyState {
        if self.revoked_at.is_some() {
            KeyState::Revoked
        } else if self.signs_from > now {
            KeyState::Next
        } else if self.signs_until.is_none_or(|until| now < until) {
            KeyState::Signing
        } else if self.retires_at(token_life).is_some_and(|retires| now < retires) {
            KeyState::Verifying
        } else {
            KeyState::Retired
        }
    }
}

/// What `keys list` shows of a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyInfo {
    pub kid: String,
    pub created_at: DateTime<Utc>,
    pub signs_from: DateTime<Utc>,
    pub signs_until: Option<DateTime<Utc>>,
    pub retires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub state: KeyState,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_moves_from_next_to_retired_and_revoked_ends_it_at_once() {
        let at = DateTime::from_timestamp(1_000_000, 0).unwrap();
        let life = TimeDelta::seconds(3600);
        let dates = KeyDates { signs_from: at, signs_until: Some(at + TimeDelta::days(30)), revoked_at: None };
        assert_eq!(dates.state(at - TimeDelta::seconds(1), life), KeyState::Next);
        assert_eq!(dates.state(at, life), KeyState::Signing);
        assert_eq!(dates.state(at + TimeDelta::days(30), life), KeyState::Verifying);
        assert_eq!(dates.state(at + TimeDelta::days(30) + life, life), KeyState::Retired);
        let revoked = KeyDates { revoked_at: Some(at), ..dates };
        assert_eq!(revoked.state(at + TimeDelta::seconds(5), life), KeyState::Revoked);
        assert!(!KeyState::Revoked.trusted() && !KeyState::Retired.trusted() && KeyState::Next.trusted());
    }
}
