//! How checks look at the node: accounts, file systems, log tails.
//!
//! Each function here gathers facts and nothing else (no thresholds, no verdicts); the
//! kinds in `check/` judge them. Everything is read-only: nothing here creates, writes,
//! or changes the permissions or times of anything on the node.

pub mod account;
pub mod disk;
pub mod tail;
