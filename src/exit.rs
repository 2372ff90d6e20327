//! Exit statuses (SPEC §2), computed once from the report.

use crate::report::{Report, Status};
use crate::settings::FailOn;

/// The process exit status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// No check failed (warnings allowed unless `--fail-on warn`).
    Ok,
    /// A check failed (or warned, with `--fail-on warn`).
    Failed,
    /// The doctor could not do its job: bad flags, invalid suite, unwritable output.
    Usage,
    /// Ended by a signal; the partial report was still written. The status is 128 plus
    /// the signal's number: 130 (SIGINT), 143 (SIGTERM), 129 (SIGHUP).
    Interrupted(u8),
}

impl Exit {
    pub fn code(self) -> u8 {
        match self {
            Self::Ok => 0,
            Self::Failed => 1,
            Self::Usage => 2,
            Self::Interrupted(code) => code,
        }
    }

    /// The status of a finished run.
    pub fn of(report: &Report, fail_on: FailOn) -> Self {
        if report.interrupted {
            return Self::Interrupted(130);
        }
        let worst = report.status();
        match (worst, fail_on) {
            (Status::Fail, _) | (Status::Warn, FailOn::Warn) => Self::Failed,
            _ => Self::Ok,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{CheckResult, Evaluation, Finding};
    use std::time::Duration;

    fn report(statuses: &[Status], interrupted: bool) -> Report {
        Report {
            tool_version: String::new(),
            hostname: String::new(),
            started_at: chrono::DateTime::UNIX_EPOCH,
            duration: Duration::ZERO,
            config_path: None,
            config_sha256: None,
            suite: String::new(),
            profile: String::new(),
            interrupted,
            results: statuses
                .iter()
                .enumerate()
                .map(|(i, s)| {
                    let f = match s {
                        Status::Pass => Finding::pass("ok"),
                        other => {
                            const XY: crate::report::Code =
                                crate::report::Code::new("x.y", Status::Fail, "m", "r");
                            Finding::at_status(*other, &XY, "m", "r")
                        }
                    };
                    CheckResult::from_evaluation(
                        &i.to_string(),
                        "k",
                        "c",
                        vec![],
                        Evaluation::single(f),
                        Duration::ZERO,
                    )
                })
                .collect(),
            facts: std::collections::BTreeMap::default(),
        }
    }

    #[test]
    fn mapping() {
        use Status::*;
        assert_eq!(
            Exit::of(&report(&[Pass, Skip], false), FailOn::Fail),
            Exit::Ok
        );
        assert_eq!(
            Exit::of(&report(&[Pass, Warn], false), FailOn::Fail),
            Exit::Ok
        );
        assert_eq!(
            Exit::of(&report(&[Pass, Warn], false), FailOn::Warn),
            Exit::Failed
        );
        assert_eq!(
            Exit::of(&report(&[Fail, Pass], false), FailOn::Fail),
            Exit::Failed
        );
        assert_eq!(
            Exit::of(&report(&[Fail], true), FailOn::Fail),
            Exit::Interrupted(130)
        );
        assert_eq!(Exit::of(&report(&[], false), FailOn::Fail), Exit::Ok);
        assert_eq!(Exit::Interrupted(130).code(), 130);
        assert_eq!(Exit::Interrupted(143).code(), 143);
        assert_eq!(Exit::Usage.code(), 2);
    }
}
