//! Single settings read from the positioned config tree, for checks that judge a few
//! values and point at their lines.
//!
//! A value of the wrong type is `Invalid`, not absent: `config.schema` reports it, and the
//! reading check says it could not judge rather than judging a default the node may not use.

use crate::yaml::Node;

/// One setting as found in the config.
#[derive(Debug, Clone, PartialEq)]
pub enum Setting<'a, T> {
    Absent,
    /// Present with the wrong type (or out of the type's range).
    Invalid(&'a Node),
    Present(T, &'a Node),
}

impl<'a, T> Setting<'a, T> {
    pub fn value(&self) -> Option<&T> {
        match self {
            Self::Present(v, _) => Some(v),
            _ => None,
        }
    }

    pub fn node(&self) -> Option<&'a Node> {
        match self {
            Self::Present(_, n) | Self::Invalid(n) => Some(n),
            Self::Absent => None,
        }
    }

    fn read(tree: &'a Node, pointer: &str, f: impl Fn(&serde_json::Value) -> Option<T>) -> Self {
        match tree.pointer(pointer) {
            None => Self::Absent,
            Some(node) => match f(&node.to_json()) {
                Some(v) => Self::Present(v, node),
                None => Self::Invalid(node),
            },
        }
    }
}

/// A non-negative integer.
pub fn u64_at<'a>(tree: &'a Node, pointer: &str) -> Setting<'a, u64> {
    Setting::read(tree, pointer, serde_json::Value::as_u64)
}

/// A boolean (`true`/`false`; `yes` is a string).
pub fn bool_at<'a>(tree: &'a Node, pointer: &str) -> Setting<'a, bool> {
    Setting::read(tree, pointer, serde_json::Value::as_bool)
}

/// A string.
pub fn str_at<'a>(tree: &'a Node, pointer: &str) -> Setting<'a, String> {
    Setting::read(tree, pointer, |v| v.as_str().map(str::to_string))
}

/// A duration written `5s`, `1m30s` (see [`crate::duration`]).
pub fn duration_at<'a>(tree: &'a Node, pointer: &str) -> Setting<'a, std::time::Duration> {
    Setting::read(tree, pointer, |v| {
        v.as_str().and_then(|s| crate::duration::parse(s).ok())
    })
}

/// A list of strings, each with its node.
pub fn str_list_at<'a>(tree: &'a Node, pointer: &str) -> Setting<'a, Vec<(String, &'a Node)>> {
    let Some(node) = tree.pointer(pointer) else {
        return Setting::Absent;
    };
    let crate::yaml::Value::Sequence(items) = &node.value else {
        return Setting::Invalid(node);
    };
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        match item.to_json() {
            serde_json::Value::String(s) => out.push((s, item)),
            _ => return Setting::Invalid(item),
        }
    }
    Setting::Present(out, node)
}

/// `a.b.c` for `/a/b/c`, as messages name settings.
pub fn dotted(pointer: &str) -> String {
    pointer.trim_start_matches('/').replace('/', ".")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absent_invalid_present() {
        let tree = crate::yaml::load_one(
            "c:\n  n: 300\n  q: \"300\"\n  b: yes\n  d: 1m30s\n  l: [a, b]\n  bad: [a, 1]\n",
        )
        .unwrap();
        assert_eq!(u64_at(&tree, "/c/n").value(), Some(&300));
        assert!(matches!(u64_at(&tree, "/c/q"), Setting::Invalid(_)));
        assert!(matches!(u64_at(&tree, "/c/zz"), Setting::Absent));
        assert!(matches!(bool_at(&tree, "/c/b"), Setting::Invalid(_)));
        assert_eq!(
            duration_at(&tree, "/c/d").value(),
            Some(&std::time::Duration::from_secs(90))
        );
        assert_eq!(str_list_at(&tree, "/c/l").value().map(Vec::len), Some(2));
        assert!(matches!(str_list_at(&tree, "/c/bad"), Setting::Invalid(_)));
        assert_eq!(u64_at(&tree, "/c/n").node().unwrap().pos.line, 2);
        assert_eq!(
            dotted("/checkpoint/interval_seconds"),
            "checkpoint.interval_seconds"
        );
    }
}
