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
    /// Time the run already spent before its first attempt (reading and planning): the
    /// first attempt gets only what is left of the deadline.
    pub spent: Duration,
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
    pub env: Arc<crate::probe::env::Env>,
}

/// Runs one check of a plan: the live runner runs the planned kind; tests inject checks
/// that hang, block their thread, panic or finish late.
pub type Runner = Arc<
    dyn Fn(Arc<Plan>, usize, Context) -> Pin<Box<dyn Future<Output = Evaluation> + Send>>
        + Send
        + Sync,
>;

/// The runner of a real run: each check's kind, with its prepared parameters.
pub fn live() -> Runner {
    Arc::new(|plan: Arc<Plan>, i: usize, ctx: Context| {
        Box::pin(async move {
            match plan.checks.get(i).map(|c| &c.action) {
                Some(Action::Run(prepared)) => prepared.run(&ctx).await,
                Some(Action::Skip(_, f)) => Evaluation::single(f.clone()),
                None => Evaluation::default(),
            }
        })
    })
}

/// Run every check of `plan`, again for what fails while `limits.retry` allows; results
/// come back in plan order. `stop` ends the run early with the [`Ending`] it resolves to
/// (a signal: `Interrupted`; a watchdog that does not rely on the runtime's timers:
/// `DeadlineReached`).
#[allow(clippy::too_many_arguments)]
pub async fn execute(
    plan: Arc<Plan>,
    sources: Sources,
    profile: Profile,
    limits: Limits,
    runner: Runner,
    stop: impl Future<Output = Ending>,
    observer: Observer,
) -> (Vec<CheckResult>, Ending) {
    let (mut results, ending) =
        attempts(plan, sources, profile, limits, runner, stop, observer).await;
    crate::report::reconcile(&mut results);
    (results, ending)
}

async fn attempts(
    plan: Arc<Plan>,
    sources: Sources,
    profile: Profile,
    limits: Limits,
    runner: Runner,
    stop: impl Future<Output = Ending>,
    observer: Observer,
) -> (Vec<CheckResult>, Ending) {
    let cancel = stop;
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
        let (mut results, ending, stopped) = attempt(
            &plan,
            &sources,
            profile,
            &limits,
            &runner,
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
        if stopped || ending == Ending::Interrupted {
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
            ending = &mut cancel => {
                // Stopped between attempts: the last attempt's results stand.
                return (results, ending);
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
/// finished. `attempts` counts, per check, the attempts that started it. The flag says
/// whether `cancel` ended it (it must not be polled again).
#[allow(clippy::too_many_arguments)]
async fn attempt<C: Future<Output = Ending>>(
    plan: &Arc<Plan>,
    sources: &Sources,
    profile: Profile,
    limits: &Limits,
    runner: &Runner,
    keep: Vec<Option<CheckResult>>,
    attempts: &mut [u32],
    mut cancel: Pin<&mut C>,
    observer: &Observer,
) -> (Vec<CheckResult>, Ending, bool) {
    let mut stopped = false;
    let n = plan.checks.len();
    let mut started: Vec<bool> = keep.iter().map(Option::is_some).collect();
    let mut results = keep;
    let mut running: JoinSet<(usize, CheckResult)> = JoinSet::new();
    let mut running_ids: Vec<(tokio::task::Id, usize)> = Vec::new();
    let semaphore = Arc::new(Semaphore::new(limits.concurrency.max(1)));
    let budget = if attempts.iter().all(|&a| a == 0) {
        limits.deadline.saturating_sub(limits.spent)
    } else {
        limits.deadline
    };
    let deadline = Instant::now() + budget;

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
                            env: Arc::clone(&sources.env),
                        };
                        let runner = Arc::clone(runner);
                        let handle = running.spawn(async move {
                            let _permit = sem.acquire_owned().await;
                            observer(Event::Started(i));
                            let check = &plan.checks[i];
                            let start = Instant::now();
                            let run = runner(Arc::clone(&plan), i, ctx);
                            let eval = match tokio::time::timeout(check.timeout, run).await {
                                Ok(eval) => eval,
                                Err(_) => timed_out(check.kind, check.timeout, false),
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
            why = &mut cancel => {
                ending = why;
                stopped = true;
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
    (finished, ending, stopped)
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

#[cfg(test)]
mod tests {
    //! The scheduler with injected checks: each test's runner decides, by check id, whether
    //! a check passes, fails, hangs, panics, finishes late or blocks its thread. Time is
    //! tokio's paused clock, so the tests assert exact virtual times and take none.

    use std::fmt::Write as _;
    use std::sync::Mutex;

    use super::*;
    use crate::suite::plan::PlanInput;

    fn plan_of(entries: &[(&str, &str)]) -> Arc<Plan> {
        let mut text = String::from("name: t\nchecks:\n");
        for (id, extra) in entries {
            let _ = write!(
                text,
                "  - id: {id}\n    kind: exec\n{extra}    with:\n      command: [\"true\"]\n"
            );
        }
        let suite = crate::suite::parse("t", "t.yaml", &text).unwrap();
        let env = |_: &str| None;
        let input = PlanInput {
            only: &[],
            skip: &[],
            default_timeout: None,
            offline: false,
            config: None,
            env: &env,
        };
        Arc::new(crate::suite::plan::plan(&suite, &input).unwrap().0)
    }

    fn sources() -> Sources {
        Sources {
            config: Arc::new(ConfigSource::from_text("c.yaml", "a: 1\n")),
            master_config: None,
            offline: false,
            env: Arc::new(crate::probe::env::Env::default()),
        }
    }

    fn limits(deadline: Duration) -> Limits {
        Limits {
            concurrency: 8,
            deadline,
            spent: Duration::ZERO,
            retry: None,
        }
    }

    /// A runner that looks up what each check does by its id.
    fn runner<F, Fut>(f: F) -> Runner
    where
        F: Fn(String) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Evaluation> + Send + 'static,
    {
        let f = Arc::new(f);
        Arc::new(move |plan: Arc<Plan>, i: usize, _ctx: Context| {
            let f = Arc::clone(&f);
            let id = plan.checks[i].id.clone();
            Box::pin(async move { f(id).await }) as Pin<Box<dyn Future<Output = Evaluation> + Send>>
        })
    }

    fn pass() -> Evaluation {
        Evaluation::single(Finding::pass("ok"))
    }

    fn fail() -> Evaluation {
        Evaluation::single(Finding::new(
            &crate::check::exec::CRITICAL,
            "broken",
            "fix it",
        ))
    }

    fn never() -> impl Future<Output = Ending> {
        std::future::pending()
    }

    fn by_id<'a>(results: &'a [CheckResult], id: &str) -> &'a CheckResult {
        results.iter().find(|r| r.id == id).unwrap()
    }

    async fn run_with(
        plan: Arc<Plan>,
        limits: Limits,
        runner: Runner,
        stop: impl Future<Output = Ending>,
    ) -> (Vec<CheckResult>, Ending) {
        execute(
            plan,
            sources(),
            Profile::Default,
            limits,
            runner,
            stop,
            unobserved(),
        )
        .await
    }

    #[tokio::test(start_paused = true)]
    async fn the_deadline_ends_hanging_checks_and_skips_what_never_started() {
        let plan = plan_of(&[
            ("hang", "    timeout: 1m\n"),
            ("quick", ""),
            ("after", "    needs: [hang]\n"),
        ]);
        let r = runner(|id| async move {
            if id == "hang" {
                std::future::pending::<()>().await;
            }
            pass()
        });
        let t0 = Instant::now();
        let (results, ending) = run_with(plan, limits(Duration::from_secs(5)), r, never()).await;
        assert_eq!(ending, Ending::DeadlineReached);
        assert_eq!(t0.elapsed(), Duration::from_secs(5));
        let hang = by_id(&results, "hang");
        assert_eq!(hang.code.map(|c| c.name), Some("exec.timeout"));
        assert_eq!(
            hang.message,
            "still running when the run's --deadline of 5s was reached"
        );
        assert_eq!(hang.cause, Some(Cause::Timeout));
        assert_eq!(by_id(&results, "quick").status, Status::Pass);
        let after = by_id(&results, "after");
        assert_eq!(after.status, Status::Skip);
        assert_eq!(after.cause, Some(Cause::Interrupted));
        // Plan order, not completion order.
        let ids: Vec<&str> = results.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, ["hang", "quick", "after"]);
    }

    #[tokio::test(start_paused = true)]
    async fn time_spent_before_the_run_counts_against_the_deadline() {
        let plan = plan_of(&[("hang", "    timeout: 1m\n")]);
        let r = runner(|_| async {
            std::future::pending::<()>().await;
            pass()
        });
        let mut l = limits(Duration::from_secs(5));
        l.spent = Duration::from_secs(3);
        let t0 = Instant::now();
        let (_, ending) = run_with(plan, l, r, never()).await;
        assert_eq!(ending, Ending::DeadlineReached);
        assert_eq!(t0.elapsed(), Duration::from_secs(2));
    }

    #[tokio::test(start_paused = true)]
    async fn a_check_over_its_timeout_fails_and_the_run_goes_on() {
        let plan = plan_of(&[
            ("slow", "    timeout: 2s\n"),
            ("next", "    after: [slow]\n"),
        ]);
        let r = runner(|id| async move {
            if id == "slow" {
                tokio::time::sleep(Duration::from_secs(10)).await;
            }
            pass()
        });
        let t0 = Instant::now();
        let (results, ending) = run_with(plan, limits(Duration::from_secs(60)), r, never()).await;
        assert_eq!(ending, Ending::Completed);
        assert_eq!(t0.elapsed(), Duration::from_secs(2));
        let slow = by_id(&results, "slow");
        assert_eq!(slow.code.map(|c| c.name), Some("exec.timeout"));
        assert_eq!(slow.message, "did not finish within its timeout of 2s");
        assert_eq!(slow.duration, Duration::from_secs(2));
        // `after:` orders without blocking: a failed predecessor does not skip it.
        assert_eq!(by_id(&results, "next").status, Status::Pass);
    }

    #[tokio::test(start_paused = true)]
    async fn after_starts_a_check_only_once_its_predecessor_finished() {
        let plan = plan_of(&[("second", "    after: [first]\n"), ("first", "")]);
        let log = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&log);
        let r = runner(move |id| {
            let seen = Arc::clone(&seen);
            async move {
                seen.lock().unwrap().push(format!("start {id}"));
                tokio::time::sleep(Duration::from_secs(1)).await;
                seen.lock().unwrap().push(format!("end {id}"));
                pass()
            }
        });
        let t0 = Instant::now();
        let (results, _) = run_with(plan, limits(Duration::from_secs(60)), r, never()).await;
        assert_eq!(
            *log.lock().unwrap(),
            ["start first", "end first", "start second", "end second"]
        );
        assert_eq!(t0.elapsed(), Duration::from_secs(2));
        assert!(results.iter().all(|r| r.status == Status::Pass));
    }

    #[tokio::test(start_paused = true)]
    async fn a_failed_need_blocks_its_dependents() {
        let plan = plan_of(&[
            ("root", ""),
            ("child", "    needs: [root]\n"),
            ("grandchild", "    needs: [child]\n"),
        ]);
        let ran = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&ran);
        let r = runner(move |id| {
            seen.lock().unwrap().push(id.clone());
            async move { if id == "root" { fail() } else { pass() } }
        });
        let (results, _) = run_with(plan, limits(Duration::from_secs(60)), r, never()).await;
        assert_eq!(*ran.lock().unwrap(), ["root"]);
        let child = by_id(&results, "child");
        assert_eq!(child.code.map(|c| c.name), Some("exec.blocked"));
        assert_eq!(child.blocked_by, ["root"]);
        assert_eq!(child.cause, Some(Cause::Dependency));
        assert_eq!(by_id(&results, "grandchild").blocked_by, ["child"]);
    }

    #[tokio::test(start_paused = true)]
    async fn a_panicking_check_is_an_internal_failure_not_a_dead_run() {
        let plan = plan_of(&[("boom", ""), ("fine", "")]);
        let r = runner(|id| async move {
            assert!(id != "boom", "a bug in a check");
            pass()
        });
        let (results, ending) = run_with(plan, limits(Duration::from_secs(60)), r, never()).await;
        assert_eq!(ending, Ending::Completed);
        let boom = by_id(&results, "boom");
        assert_eq!(boom.status, Status::Fail);
        assert_eq!(boom.code.map(|c| c.name), Some("exec.internal"));
        assert_eq!(boom.cause, Some(Cause::Internal));
        assert_eq!(by_id(&results, "fine").status, Status::Pass);
    }

    #[tokio::test(start_paused = true)]
    async fn retry_runs_what_failed_again_after_the_pause() {
        let plan = plan_of(&[("flaky", ""), ("steady", "")]);
        let calls = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&calls);
        let t0 = Instant::now();
        let r = runner(move |id| {
            seen.lock().unwrap().push((id.clone(), t0.elapsed()));
            // Fails until 5 s into the run.
            let ok = id == "steady" || t0.elapsed() >= Duration::from_secs(5);
            async move { if ok { pass() } else { fail() } }
        });
        let mut l = limits(Duration::from_secs(60));
        l.retry = Some(Retry {
            until: Duration::from_secs(30),
            sleep: Duration::from_secs(2),
            warnings: false,
        });
        let (results, ending) = run_with(plan, l, r, never()).await;
        assert_eq!(ending, Ending::Completed);
        let flaky = by_id(&results, "flaky");
        assert_eq!(flaky.status, Status::Pass);
        assert_eq!(flaky.attempts, 4); // at 0 s, 2 s, 4 s (fail) and 6 s (pass)
        assert_eq!(by_id(&results, "steady").attempts, 1);
        let times: Vec<Duration> = calls
            .lock()
            .unwrap()
            .iter()
            .filter(|(id, _)| id == "flaky")
            .map(|(_, t)| *t)
            .collect();
        assert_eq!(
            times,
            [0, 2, 4, 6].map(Duration::from_secs),
            "attempts are the pause apart"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn retry_stops_when_its_time_is_up() {
        let plan = plan_of(&[("broken", "")]);
        let r = runner(|_| async { fail() });
        let mut l = limits(Duration::from_secs(60));
        l.retry = Some(Retry {
            until: Duration::from_secs(5),
            sleep: Duration::from_secs(2),
            warnings: false,
        });
        let t0 = Instant::now();
        let (results, _) = run_with(plan, l, r, never()).await;
        assert_eq!(results[0].status, Status::Fail);
        assert_eq!(results[0].attempts, 3); // at 0, 2 and 4 s; 6 s would be past 5 s
        assert_eq!(t0.elapsed(), Duration::from_secs(4));
    }

    #[tokio::test(start_paused = true)]
    async fn a_stop_ends_the_run_with_the_partial_results() {
        let plan = plan_of(&[("done", ""), ("long", "    timeout: 1m\n")]);
        let r = runner(|id| async move {
            if id == "long" {
                tokio::time::sleep(Duration::from_secs(30)).await;
            }
            pass()
        });
        let stop = async {
            tokio::time::sleep(Duration::from_secs(1)).await;
            Ending::Interrupted
        };
        let t0 = Instant::now();
        let (results, ending) = run_with(plan, limits(Duration::from_secs(60)), r, stop).await;
        assert_eq!(ending, Ending::Interrupted);
        assert_eq!(t0.elapsed(), Duration::from_secs(1));
        assert_eq!(by_id(&results, "done").status, Status::Pass);
        let long = by_id(&results, "long");
        assert_eq!(long.code.map(|c| c.name), Some("exec.interrupted"));
        assert_eq!(long.cause, Some(Cause::Interrupted));
    }

    #[tokio::test(start_paused = true)]
    async fn a_stop_during_the_retry_pause_keeps_the_last_attempt() {
        let plan = plan_of(&[("broken", "")]);
        let r = runner(|_| async { fail() });
        let mut l = limits(Duration::from_secs(60));
        l.retry = Some(Retry {
            until: Duration::from_secs(60),
            sleep: Duration::from_secs(10),
            warnings: false,
        });
        let stop = async {
            tokio::time::sleep(Duration::from_secs(3)).await;
            Ending::Interrupted
        };
        let (results, ending) = run_with(plan, l, r, stop).await;
        assert_eq!(ending, Ending::Interrupted);
        assert_eq!(results[0].status, Status::Fail);
        assert_eq!(results[0].attempts, 1);
    }

    /// A check that blocks its thread (a bug: blocking I/O on the runtime) must not hold
    /// the scheduler past its deadline. Real time on a multi-thread runtime: the bound
    /// asserted is the deadline plus a generous margin, far below the blocking time.
    #[test]
    fn a_check_that_blocks_its_thread_cannot_hold_the_run() {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let plan = plan_of(&[("stuck", "    timeout: 1m\n"), ("fine", "")]);
        let r = runner(|id| async move {
            if id == "stuck" {
                std::thread::sleep(std::time::Duration::from_secs(5));
            }
            pass()
        });
        let t0 = std::time::Instant::now();
        let (results, ending) = runtime.block_on(run_with(
            plan,
            limits(Duration::from_millis(300)),
            r,
            never(),
        ));
        let took = t0.elapsed();
        runtime.shutdown_background();
        assert_eq!(ending, Ending::DeadlineReached);
        assert_eq!(
            by_id(&results, "stuck").code.map(|c| c.name),
            Some("exec.timeout")
        );
        assert_eq!(by_id(&results, "fine").status, Status::Pass);
        assert!(
            took < std::time::Duration::from_secs(3),
            "the run took {took:?} with a 300ms deadline"
        );
    }
}
