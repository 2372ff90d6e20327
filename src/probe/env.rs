//! The process environment, captured once at the command-line edge and handed to checks
//! through their context, so a check's view of `${env.NAME}`, `HTTP_PROXY` or `TZ` is the
//! one the run started with and tests can give a check any environment without touching
//! the process's.

use std::collections::BTreeMap;

/// A snapshot of the environment (variables whose name and value are UTF-8).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Env(BTreeMap<String, String>);

impl Env {
    /// The process's environment now.
    pub fn capture() -> Self {
        Self(
            std::env::vars_os()
                .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
                .collect(),
        )
    }

    /// An environment holding exactly these variables (tests, benches).
    pub fn from_pairs<K: Into<String>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        Self(
            pairs
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        )
    }

    /// The value of `name`, if set.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    /// Set `name` to `value`, or replace its value.
    pub fn set(&mut self, name: impl Into<String>, value: impl Into<String>) {
        self.0.insert(name.into(), value.into());
    }

    /// Unset `name`.
    pub fn remove(&mut self, name: &str) {
        self.0.remove(name);
    }

    /// The value of `name` as an owned string (the shape of the `env` callbacks).
    pub fn var(&self, name: &str) -> Option<String> {
        self.get(name).map(str::to_string)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_snapshot_answers_what_it_holds() {
        let env = Env::from_pairs([("A", "1")]);
        assert_eq!(env.get("A"), Some("1"));
        assert_eq!(env.var("B"), None);
        let mut env = env;
        env.set("B", "2");
        env.remove("A");
        assert_eq!((env.get("A"), env.get("B")), (None, Some("2")));
    }
}
