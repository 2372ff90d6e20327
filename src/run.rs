//! The scheduler: runs a plan concurrently in causal order, under per-check timeouts, a
//! concurrency limit, a global deadline and Ctrl-C — and, with `--retry-timeout`, again and
//! again for what failed until everything passes or time is up.
//!
//! A check starts as soon as all its needs have finished (no waves). If a need failed or
//! was skipped, the check is skipped with `blocked_by`. A check's permit is taken before its
//! timer starts, so waiting for a slot never counts against its timeout. A panicking check
//! becomes a fail with cause `internal`; when the deadline passes, running checks fail with
//! `<kind>.timeout` and checks not yet started are skipped as `interrupted`.
//!
//! Retrying keeps what passed: the next attempt re-runs only the checks that failed (or
//! warned, when warnings fail the run), those the deadline cut off, and everything
//! downstream of them. Each result counts the attempts that ran it.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio::time::Instant;

use crate::check::{Context, KindInfo};
use crate::config::ConfigSource;
use crate::report::{Cause, CheckResult, Evaluation, Facts, Finding, SkipReason, Status};
use crate::settings::Profile;
use crate::suite::plan::{Action, Plan};

/// Limits of one run.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub concurrency: usize,
    /// Bound on one attempt.
    pub deadline: Duration,
    /// Run failing checks again (`--retry-timeout`, `--sleep`).
    pub retry: Option<Retry>,
}

/// When and how often to run failing checks again.
#[derive(Debug, Clone, Copy)]
pub struct Retry {
    /// No attempt starts later than this after the run started.
    pub until: Duration,
    /// Pause between attempts.
    pub sleep: Duration,
    /// Whether a warning needs another attempt too (`--fail-on warn`).
    pub warnings: bool,
}

/// How the run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    Completed,
    DeadlineReached,
    Interrupted,
}

/// What the scheduler is doing, for a progress display. Indices are into `Plan::checks`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// An attempt begins (1 for the first) and will run these checks.
    Attempt { number: u32, checks: Vec<usize> },
    /// A check got its slot and its timer started.
    Started(usize),
    /// A check has its result (run, blocked or skipped).
    Finished(usize, Status),
    /// Failing checks remain; the next attempt starts after this pause.
    Waiting(Duration),
}

/// Receives [`Event`]s; called from the scheduler and from running checks.
pub type Observer = Arc<dyn Fn(Event) + Send + Sync>;

/// An observer that ignores everything.
pub fn unobserved() -> Observer {
    Arc::new(|_| {})
}

/// What checks read besides the network: the node config, a copy of the master's, and
/// whether the run is `--offline`.
#[derive(Debug, Clone)]
pub struct Sources {
    pub config: Arc<ConfigSource>,
    pub master_config: Option<Arc<ConfigSource>>,
    pub offline: bool,
}

/// Run every check of `plan`, again for what fails while `limits.retry` allows; results
/// come back in plan order.
pub async fn execute(
    plan: Arc<Plan>,
    sources: Sources,
    profile: Profile,
    limits: Limits,
    cancel: impl Future<Output = ()>,
    observer: Observer,
) -> (Vec<CheckResult>, Ending) {
    let n = plan.checks.len();
    let start = Instant::now();
    tokio::pin!(cancel);
    let mut attempts = vec![0_u32; n];
    let mut keep: Vec<Option<CheckResult>> = vec![None; n];
    let mut number = 1;
    loop {
        observer(Event::Attempt {
            number,
            checks: (0..n).filter(|&i| keep[i].is_none()).collect(),
        });
        let (mut results, ending) = attempt(
            &plan,
            &sources,
            profile,
            &limits,
            keep,
            &mut attempts,
            cancel.as_mut(),
            &observer,
        )
        .await;
        for (r, &a) in results.iter_mut().zip(&attempts) {
            r.attempts = a;
        }
        let Some(retry) = limits.retry else {
            return (results, ending);
        };
        if ending == Ending::Interrupted {
            return (results, ending);
        }
        let again = to_run_again(&plan, &results, retry.warnings);
        if !again.iter().any(|&a| a) {
            return (results, ending);
        }
        let elapsed = start.elapsed();
        if elapsed.saturating_add(retry.sleep) >= retry.until {
            return (results, ending);
        }
        observer(Event::Waiting(retry.sleep));
        tokio::select! {
            () = tokio::time::sleep(retry.sleep) => {}
            () = &mut cancel => {
                // Interrupted between attempts: the last attempt's results stand.
                return (results, Ending::Interrupted);
            }
        }
        keep = results
            .into_iter()
            .zip(again)
            .map(|(r, a)| if a { None } else { Some(r) })
            .collect();
        number += 1;
    }
}

/// Whether `r` was not run only because of `--offline`: skipped as a network check, or
/// blocked by such checks alone.
fn left_out_offline(plan: &Plan, results: &[Option<CheckResult>], r: &CheckResult) -> bool {
    if r.status != Status::Skip {
        return false;
    }
    match r.skipped {
        Some(SkipReason::Offline) => true,
        Some(SkipReason::Blocked) => {
            !r.blocked_by.is_empty()
                && r.blocked_by.iter().all(|id| {
                    plan.checks
                        .iter()
                        .position(|c| c.id == *id)
                        .and_then(|j| results.get(j).and_then(Option::as_ref))
                        .is_some_and(|b| left_out_offline(plan, results, b))
                })
        }
        _ => false,
    }
}

/// Which checks the next attempt runs: those whose result would fail the run (or that the
/// deadline kept from starting), and everything that needs them, directly or not.
fn to_run_again(plan: &Plan, results: &[CheckResult], warnings: bool) -> Vec<bool> {
    let mut again: Vec<bool> = results
        .iter()
        .map(|r| match r.status {
            Status::Fail => true,
            Status::Warn => warnings,
            Status::Skip => r.cause == Some(Cause::Interrupted),
            Status::Pass => false,
        })
        .collect();
    let mut changed = true;
    while changed {
        changed = false;
        for (i, check) in plan.checks.iter().enumerate() {
            if !again[i] && check.needs.iter().any(|&j| again[j]) {
                again[i] = true;
                changed = true;
            }
        }
    }
    again
}

/// One attempt: run every check without a result in `keep`, treating kept results as
/// finished. `attempts` counts, per check, the attempts that started it.
#[allow(clippy::too_many_arguments)]
async fn attempt<C: Future<Output = ()>>(
    plan: &Arc<Plan>,
    sources: &Sources,
    profile: Profile,
    limits: &Limits,
    keep: Vec<Option<CheckResult>>,
    attempts: &mut [u32],
    mut cancel: Pin<&mut C>,
    observer: &Observer,
) -> (Vec<CheckResult>, Ending) {
    let n = plan.checks.len();
    let mut started: Vec<bool> = keep.iter().map(Option::is_some).collect();
    let mut results = keep;
    let mut running: JoinSet<(usize, CheckResult)> = JoinSet::new();
    let mut running_ids: Vec<(tokio::task::Id, usize)> = Vec::new();
    let semaphore = Arc::new(Semaphore::new(limits.concurrency.max(1)));
    let deadline = Instant::now() + limits.deadline;

    // Facts of kept results are there from the start, as they were in their attempt.
    let mut published = Facts::new();
    for r in results.iter().flatten() {
        published.extend(r.facts.iter().map(|(k, v)| (k.clone(), v.clone())));
    }
    let mut ending = Ending::Completed;
    loop {
        // Start (or settle) everything whose needs are done, until nothing changes.
        let mut progressed = true;
        while progressed {
            progressed = false;
            for i in 0..n {
                if started[i] {
                    continue;
                }
                let check = &plan.checks[i];
                if !check
                    .needs
                    .iter()
                    .chain(&check.after)
                    .all(|&j| results[j].is_some())
                {
                    continue;
                }
                started[i] = true;
                progressed = true;
                let needs_ids: Vec<String> = check
                    .needs
                    .iter()
                    .map(|&j| plan.checks[j].id.clone())
                    .collect();
                // A need left out by --offline does not block a check that runs offline:
                // it runs without that need's facts (and says what it could not compare).
                let runs_offline = matches!(check.action, Action::Run(_));
                let blocked: Vec<&CheckResult> = check
                    .needs
                    .iter()
                    .filter_map(|&j| results[j].as_ref())
                    .filter(|r| matches!(r.status, Status::Fail | Status::Skip))
                    .filter(|r| !(runs_offline && left_out_offline(plan, &results, r)))
                    .collect();
                if !blocked.is_empty() {
                    let names: Vec<String> = blocked
                        .iter()
                        .map(|r| format!("{} ({})", r.id, r.status.as_str()))
                        .collect();
                    let blocked_by = blocked.iter().map(|r| r.id.clone()).collect();
                    let mut eval = Evaluation::single(Finding::new(
                        &check.kind.generated.blocked,
                        format!("blocked by {}", names.join(", ")),
                        format!(
                            "fix {} first",
                            blocked.first().map_or("", |r| r.id.as_str())
                        ),
                    ));
                    eval.cause = Some(Cause::Dependency);
                    eval.skipped = Some(SkipReason::Blocked);
                    let mut r = result_of(plan, i, needs_ids, eval, Duration::ZERO);
                    r.blocked_by = blocked_by;
                    observer(Event::Finished(i, r.status));
                    results[i] = Some(r);
                    continue;
                }
                match &check.action {
                    Action::Skip(reason, finding) => {
                        let mut eval = Evaluation::single(finding.clone());
                        eval.skipped = Some(*reason);
                        if matches!(reason, SkipReason::Unresolved { .. }) {
                            eval.cause = Some(Cause::Dependency);
                        }
                        let r = result_of(plan, i, needs_ids, eval, Duration::ZERO);
                        observer(Event::Finished(i, r.status));
                        results[i] = Some(r);
                    }
                    Action::Run(_) => {
                        attempts[i] += 1;
                        let plan = Arc::clone(plan);
                        let sem = Arc::clone(&semaphore);
                        let observer = Arc::clone(observer);
                        let ctx = Context {
                            config: Arc::clone(&sources.config),
                            profile,
                            timeout: check.timeout,
                            facts: Arc::new(published.clone()),
                            concurrency: limits.concurrency,
                            master_config: sources.master_config.clone(),
                            offline: sources.offline,
                        };
                        let handle = running.spawn(async move {
                            let _permit = sem.acquire_owned().await;
                            observer(Event::Started(i));
                            let check = &plan.checks[i];
                            let start = Instant::now();
                            let eval = match &check.action {
                                Action::Run(prepared) => {
                                    match tokio::time::timeout(check.timeout, prepared.run(&ctx))
                                        .await
                                    {
                                        Ok(eval) => eval,
                                        Err(_) => timed_out(check.kind, check.timeout, false),
                                    }
                                }
                                Action::Skip(_, f) => Evaluation::single(f.clone()),
                            };
                            let r = result_of(&plan, i, needs_ids, eval, start.elapsed());
                            (i, r)
                        });
                        running_ids.push((handle.id(), i));
                    }
                }
            }
        }
        if running.is_empty() {
            break;
        }
        tokio::select! {
            joined = running.join_next_with_id() => match joined {
                Some(Ok((_, (i, r)))) => {
                    published.extend(r.facts.iter().map(|(k, v)| (k.clone(), v.clone())));
                    observer(Event::Finished(i, r.status));
                    results[i] = Some(r);
                }
                Some(Err(e)) => {
                    if let Some(&(_, i)) = running_ids.iter().find(|(id, _)| *id == e.id()) {
                        let what = if e.is_panic() { "the check crashed (panic)" } else { "the check was cancelled" };
                        let mut eval = Evaluation::single(Finding::new(
                            &plan.checks[i].kind.generated.internal,
                            format!("{what}; this is a bug in autoglm-doctor"),
                            "report the bug with this report attached; meanwhile skip the check with --skip",
                        ));
                        eval.cause = Some(Cause::Internal);
                        let needs = plan.checks[i].needs.iter().map(|&j| plan.checks[j].id.clone()).collect();
                        let r = result_of(plan, i, needs, eval, Duration::ZERO);
                        observer(Event::Finished(i, r.status));
                        results[i] = Some(r);
                    }
                }
                None => {}
            },
            () = tokio::time::sleep_until(deadline) => {
                ending = Ending::DeadlineReached;
                break;
            }
            () = &mut cancel => {
                ending = Ending::Interrupted;
                break;
            }
        }
    }
    running.abort_all();

    // Whatever did not finish: running checks and those never started.
    let finished = plan
        .checks
        .iter()
        .enumerate()
        .map(|(i, check)| {
            results[i].take().unwrap_or_else(|| {
                let needs = check
                    .needs
                    .iter()
                    .map(|&j| plan.checks[j].id.clone())
                    .collect();
                let was_running = started[i];
                let eval = match (ending, was_running) {
                    (Ending::DeadlineReached, true) => timed_out(check.kind, limits.deadline, true),
                    (Ending::DeadlineReached, false) => interrupted(
                        check.kind,
                        "not run: the run's --deadline was reached before this check could start",
                        "run again with a longer --deadline, or fix the slow checks first",
                    ),
                    _ => interrupted(
                        check.kind,
                        "not finished: the run was interrupted",
                        "run the doctor again and let it finish",
                    ),
                };
                result_of(plan, i, needs, eval, Duration::ZERO)
            })
        })
        .collect::<Vec<_>>();
    (finished, ending)
}

fn interrupted(kind: &'static KindInfo, message: &str, fix: &str) -> Evaluation {
    let mut eval = Evaluation::single(Finding::new(&kind.generated.interrupted, message, fix));
    eval.cause = Some(Cause::Interrupted);
    eval.skipped = Some(SkipReason::Interrupted);
    eval
}

fn timed_out(kind: &'static KindInfo, limit: Duration, deadline: bool) -> Evaluation {
    let what = if deadline {
        format!(
            "still running when the run's --deadline of {} was reached",
            crate::duration::format(limit)
        )
    } else {
        format!(
            "did not finish within its timeout of {}",
            crate::duration::format(limit)
        )
    };
    let mut eval = Evaluation::single(
        Finding::new(
            &kind.generated.timeout,
            what,
            "find what the check is waiting on (a hung peer, a silent firewall, a slow disk); raise its `timeout:` in the suite, --timeout or --deadline only if the wait is expected",
        )
        .with("timeout_ms", u64::try_from(limit.as_millis()).unwrap_or(u64::MAX)),
    );
    eval.cause = Some(Cause::Timeout);
    eval
}

fn result_of(
    plan: &Plan,
    i: usize,
    needs: Vec<String>,
    eval: Evaluation,
    duration: Duration,
) -> CheckResult {
    let check = &plan.checks[i];
    CheckResult::from_evaluation(
        &check.id,
        check.kind.name,
        check.kind.category,
        needs,
        eval,
        duration,
    )
}
