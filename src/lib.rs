//! autoglm-doctor: diagnose why an Open-AutoGLM node cannot sync with its master.
//!
//! The stages are kept apart: [`cli`] parses, [`suite`] loads and plans (all input errors
//! surface here, exit 2), [`run`] executes checks ([`check`]) concurrently in causal
//! order, [`report`] holds the result model, [`render`] turns it into table, JSON, JUnit or
//! Markdown, [`progress`] shows what is running on a terminal, and
//! [`exit`] maps it to the process status. [`config`] finds and reads the node config;
//! [`yaml`] keeps positions so every problem points at `file:line:col`. [`probe`] is how
//! checks look at the node itself (accounts, file systems, log tails), read-only.

pub mod app;
pub mod check;
pub mod cli;
pub mod compare;
pub mod config;
pub mod duration;
pub mod encoding;
pub mod exit;
pub mod human;
pub mod interrupt;
pub mod jwt;
pub mod lint;
pub mod output;
pub mod probe;
pub mod progress;
pub mod render;
pub mod report;
pub mod run;
pub mod secret;
pub mod settings;
pub mod sim;
pub mod suite;
pub mod yaml;
