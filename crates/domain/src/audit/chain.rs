//! The tamper-evident chain of an org's audit log: each event's hash covers its content and
//! the hash of the event before it, so editing, inserting or deleting a row breaks the chain
//! from that row on, and `verify` finds where.

use sha2::{Digest, Sha256};

use super::model::AuditEvent;
use crate::ids::AuditEventId;

/// Names the encoding below, so that a later change of it can be told apart.
const VERSION: &str = "tenantry-audit-v1";

/// The hash of `event` as the `seq`th of its org, after the event whose hash is `prev` (empty
/// for the first). Every field is length-prefixed, so no two different events encode alike.
pub fn chain_hash(event: &AuditEvent, seq: u64, prev: &str) -> String {
    let mut hasher = Sha256::new();
    let mut field = |value: &str| {
        hasher.update(value.len().to_string().as_bytes());
        hasher.update(b":");
        hasher.update(value.as_bytes());
    };
    field(VERSION);
    field(prev);
    field(&seq.to_string());
    field(&event.id.to_string());
    field(&event.org_id.to_string());
    field(&event.actor_id.map(|id| id.to_string()).unwrap_or_default());
    field(event.action.name());
    for map in [&event.target, &event.metadata] {
        field(&map.len().to_string());
        for (key, value) in map {
            field(key);
            field(value);
        }
    }
    field(&event.ip.map(|ip| ip.to_string()).unwrap_or_default());
    let micros = event.at.unix_timestamp_nanos() / 1_000;
    field(&micros.to_string());
    hasher
        .finalize()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// An event's place in the chain, as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainLink {
    /// The event's place in its org's log: 1, 2, 3, ... in the order they were appended.
    pub seq: u64,
    /// The `hash` of the event at `seq - 1` (which retention may since have deleted); empty
    /// for the org's first event.
    pub prev_hash: String,
    /// [`chain_hash`] of the event at this place after `prev_hash`: 64 lowercase hex digits.
    pub hash: String,
}

/// Where an org's chain starts and ends. The start moves forward when retention deletes old
/// events: `anchor` is the last deleted event, whose hash the first kept one follows.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ChainState {
    /// The place of the last event retention deleted; 0 when none was. The chain is checked
    /// from `anchor_seq + 1`.
    pub anchor_seq: u64,
    /// The hash of that deleted event, which the first kept event's `prev_hash` must equal;
    /// `None` when retention has deleted nothing.
    pub anchor_hash: Option<String>,
    /// The place of the org's newest event; 0 when it has none.
    pub head_seq: u64,
    /// The hash of the newest event; `None` when there is none. Kept outside the database with
    /// `head_seq`, it lets a later check prove that the log was not rewritten since.
    pub head_hash: Option<String>,
}

/// Why the chain breaks where it does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BreakReason {
    /// An event's content no longer matches its hash: it was edited.
    Altered,
    /// An event does not follow the hash of the one before: one was inserted or replaced.
    Unlinked,
    /// Numbers are missing: events were deleted.
    Missing,
    /// The newest events are gone: the log ends before the org's recorded head.
    Truncated,
    /// Rows that belong to no place in the chain were added.
    Unchained,
}

impl BreakReason {
    /// The name the verify answer gives the reason: `altered`, `unlinked`, `missing`,
    /// `truncated` or `unchained`.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Altered => "altered",
            Self::Unlinked => "unlinked",
            Self::Missing => "missing",
            Self::Truncated => "truncated",
            Self::Unchained => "unchained",
        }
    }
}

/// The first place the chain breaks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainBreak {
    /// The sequence number expected there.
    pub seq: u64,
    /// The event found there, if any.
    pub event: Option<AuditEventId>,
    /// What is wrong there.
    pub reason: BreakReason,
}

/// What `verify` found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainReport {
    /// Events checked.
    pub checked: u64,
    /// The chain's ends as the check read them: report `head_seq` and `head_hash` somewhere
    /// the database's writers cannot reach, so a later rewrite shows.
    pub state: ChainState,
    /// `None` when the chain is whole from the anchor to the head.
    pub first_break: Option<ChainBreak>,
}

impl ChainReport {
    /// Whether no break was found.
    pub fn intact(&self) -> bool {
        self.first_break.is_none()
    }
}

/// Walks stored links in order, from the anchor, and finds the first break.
#[derive(Debug)]
pub(crate) struct ChainWalk {
    expected_seq: u64,
    prev: String,
    pub(crate) checked: u64,
}

impl ChainWalk {
    pub(crate) fn from(state: &ChainState) -> Self {
        Self {
            expected_seq: state.anchor_seq + 1,
            prev: state.anchor_hash.clone().unwrap_or_default(),
            checked: 0,
        }
    }

    /// The next link in order; `Some` when it breaks the chain.
    pub(crate) fn step(&mut self, link: &ChainLink, event: &AuditEvent) -> Option<ChainBreak> {
        let at = |reason| ChainBreak {
            seq: self.expected_seq,
            event: Some(event.id),
            reason,
        };
        if link.seq > self.expected_seq {
            return Some(at(BreakReason::Missing));
        }
        if link.seq < self.expected_seq || link.prev_hash != self.prev {
            return Some(at(BreakReason::Unlinked));
        }
        if chain_hash(event, link.seq, &link.prev_hash) != link.hash {
            return Some(at(BreakReason::Altered));
        }
        self.checked += 1;
        self.expected_seq += 1;
        self.prev.clone_from(&link.hash);
        None
    }

    /// After the last link: the walk must have reached the org's recorded head.
    pub(crate) fn finish(&self, state: &ChainState) -> Option<ChainBreak> {
        let reached = self.expected_seq - 1;
        let head = state.head_hash.clone().unwrap_or_default();
        (reached != state.head_seq || self.prev != head).then_some(ChainBreak {
            seq: reached + 1,
            event: None,
            reason: BreakReason::Truncated,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::AuditAction;
    use crate::ids::OrgId;
    use crate::testing::fixtures::NOW;

    fn event() -> AuditEvent {
        AuditEvent::new(OrgId::generate(), None, AuditAction::RoleCreated, NOW)
            .target("roleId", "r1")
            .meta("name", "Ops")
    }

    #[test]
    fn the_hash_covers_content_place_and_predecessor() {
        let base = event();
        let hash = chain_hash(&base, 1, "");
        assert_eq!(hash.len(), 64);
        assert_eq!(chain_hash(&base, 1, ""), hash, "deterministic");
        assert_ne!(chain_hash(&base, 2, ""), hash);
        assert_ne!(chain_hash(&base, 1, "ab"), hash);
        let edited = base.clone().meta("name", "Admins");
        assert_ne!(chain_hash(&edited, 1, ""), hash);
        // Moving a character between fields changes the hash: fields are length-prefixed.
        let a = AuditEvent::new(base.org_id, None, AuditAction::RoleCreated, NOW).meta("ab", "c");
        let b = AuditEvent {
            id: a.id,
            ..a.clone()
        }
        .clone();
        let b = AuditEvent {
            metadata: [("a".to_owned(), "bc".to_owned())].into(),
            ..b
        };
        assert_ne!(chain_hash(&a, 1, ""), chain_hash(&b, 1, ""));
    }

    #[test]
    fn a_walk_reports_the_first_break() {
        let events: Vec<_> = (0..3).map(|_| event()).collect();
        let mut links = Vec::new();
        let mut prev = String::new();
        for (n, e) in events.iter().enumerate() {
            let seq = n as u64 + 1;
            let hash = chain_hash(e, seq, &prev);
            links.push(ChainLink {
                seq,
                prev_hash: prev.clone(),
                hash: hash.clone(),
            });
            prev = hash;
        }
        let state = ChainState {
            head_seq: 3,
            head_hash: Some(prev),
            ..ChainState::default()
        };
        let walk = |links: &[ChainLink], events: &[AuditEvent]| {
            let mut walk = ChainWalk::from(&state);
            for (link, event) in links.iter().zip(events) {
                if let Some(broken) = walk.step(link, event) {
                    return Some(broken);
                }
            }
            walk.finish(&state)
        };
        assert_eq!(walk(&links, &events), None);
        let mut altered = events.clone();
        altered[1] = altered[1].clone().meta("name", "x");
        assert_eq!(
            walk(&links, &altered).map(|b| (b.seq, b.reason)),
            Some((2, BreakReason::Altered))
        );
        let gap = [links[0].clone(), links[2].clone()];
        let gap_events = [events[0].clone(), events[2].clone()];
        assert_eq!(
            walk(&gap, &gap_events).map(|b| (b.seq, b.reason)),
            Some((2, BreakReason::Missing))
        );
        assert_eq!(
            walk(&links[..2], &events[..2]).map(|b| (b.seq, b.reason)),
            Some((3, BreakReason::Truncated))
        );
    }
}
