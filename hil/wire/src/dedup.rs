//! Retransmission detection on the board.

/// Tells a new request from a retransmission of the last one, by sequence number.
///
/// The board keeps one `Dedup`. A request whose sequence number equals the last one seen is a
/// retransmission (the host did not get the whole answer): the board must not process it again
/// but send its replies again. Any other sequence number is a new request. Only the last number
/// is remembered, which suffices because the host has at most one request outstanding.
///
/// # Examples
///
/// ```
/// use percycle_wire::Dedup;
///
/// let mut dedup = Dedup::new();
/// assert!(dedup.is_new(7));
/// assert!(!dedup.is_new(7)); // retransmission: answer again, do not process again
/// assert!(dedup.is_new(8));
/// assert_eq!(dedup.last(), Some(8));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Dedup {
    /// Sequence number of the last request seen, if any.
    last: Option<u16>,
}

impl Dedup {
    /// A `Dedup` that has seen no request: the first one is always new.
    pub const fn new() -> Self {
        Self { last: None }
    }

    /// Records `seq` and returns whether it starts a new request (`false`: it repeats the last
    /// request seen).
    pub fn is_new(&mut self, seq: u16) -> bool {
        if self.last == Some(seq) {
            return false;
        }
        self.last = Some(seq);
        true
    }

    /// Sequence number of the last request seen.
    pub const fn last(&self) -> Option<u16> {
        self.last
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_request_is_new_and_its_repetitions_are_not() {
        let mut d = Dedup::default();
        assert_eq!(d.last(), None);
        assert!(d.is_new(0));
        assert!(!d.is_new(0));
        assert!(!d.is_new(0));
        assert_eq!(d.last(), Some(0));
    }

    #[test]
    fn any_other_sequence_number_is_new_including_wrap_around_and_older_ones() {
        let mut d = Dedup::new();
        assert!(d.is_new(u16::MAX));
        assert!(d.is_new(0));
        assert!(!d.is_new(0));
        assert!(d.is_new(u16::MAX));
        assert!(d.is_new(5));
        assert!(d.is_new(4));
    }
}
