//! Command-line options resolved into one run configuration.

use std::time::Duration;

/// Tolerance profile (SPEC §3, time row).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Profile {
    /// Financial-grade: 10 ms clock tolerance.
    Strict,
    /// Log analysis: 1 s.
    #[default]
    Default,
    /// Ordinary web services: 5 s.
    Lenient,
}

impl Profile {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Strict => "strict",
            Self::Default => "default",
            Self::Lenient => "lenient",
        }
    }

    /// Largest clock offset accepted.
    pub fn clock_tolerance(self) -> Duration {
        match self {
            Self::Strict => Duration::from_millis(10),
            Self::Default => Duration::from_secs(1),
            Self::Lenient => Duration::from_secs(5),
        }
    }
}

/// Report format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Format {
    /// For a person at a terminal: root causes first, one row per check.
    #[default]
    Table,
    /// The full report for scripts and tickets (`schema report`).
    Json,
    /// JUnit XML for CI test reports: one test case per check.
    Junit,
    /// Markdown to paste into a ticket or a merge request.
    Markdown,
}

/// When to colour the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum ColorChoice {
    #[default]
    Auto,
    Always,
    Never,
}

/// What makes the exit status 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum FailOn {
    /// Only failed checks.
    #[default]
    Fail,
    /// Failed or warned checks.
    Warn,
}

/// How to lay out the table report (`--layout`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum LayoutChoice {
    /// Compact on a terminal, full when written to a pipe or a file.
    #[default]
    Auto,
    /// Failures and warnings in full, passes folded by category, root cause last.
    Compact,
    /// Every check as a row of one table, root causes first.
    Full,
}
