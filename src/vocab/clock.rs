//! Time, as the host tells it.

use std::time::{SystemTime, UNIX_EPOCH};

/// Milliseconds since the Unix epoch.
pub type Timestamp = u64;

/// Where the crate reads the time, for `created_at`, `updated_at` and audit events.
///
/// The default is [`SystemClock`]; a host replaces it to use its own time source, and
/// tests replace it to make timestamps predictable.
///
/// # Example
///
/// ```
/// use workflow_secrets::{clock::{Clock, Timestamp}};
///
/// struct Frozen(Timestamp);
/// impl Clock for Frozen {
///     fn now(&self) -> Timestamp { self.0 }
/// }
/// assert_eq!(Frozen(42).now(), 42);
/// ```
pub trait Clock: Send + Sync {
    /// The current time.
    fn now(&self) -> Timestamp;
}

/// The system's wall clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        // A clock set before 1970 reads as 0 rather than failing a write.
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report
mod tests {
    use super::*;

    #[test]
    fn system_clock_is_after_2025() {
        assert!(SystemClock.now() > 1_735_689_600_000);
    }
}
