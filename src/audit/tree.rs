//! Templates and API definitions as one positioned tree: YAML (with CloudFormation's short
//! intrinsic tags, `!Ref X` read as `{Ref: X}` and `!Sub s` as `{"Fn::Sub": s}`) and JSON (read
//! by the same YAML 1.2 parser, of which it is a subset), every node with its line and column so
//! findings point at `file:line:col`.

use std::collections::HashMap;

use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser, Tag};
use yaml_rust2::scanner::{Marker, TScalarStyle};

/// A node's value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `null`, `~` or nothing.
    Null,
    /// A scalar as written (numbers and booleans too: `true`, `200`).
    Scalar(String),
    /// A sequence.
    Seq(Vec<Node>),
    /// A mapping, in the order written.
    Map(Vec<(String, Node)>),
}

/// A value and where it starts (1-based line and column).
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// The value.
    pub value: Value,
    /// Line, from 1.
    pub line: usize,
    /// Column, from 1.
    pub col: usize,
}

impl Node {
    /// The entry `key` of a mapping.
    #[must_use]
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.value {
            Value::Map(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// A scalar's text.
    #[must_use]
    pub fn str(&self) -> Option<&str> {
        match &self.value {
            Value::Scalar(text) => Some(text),
            _ => None,
        }
    }

    /// The entry `key`'s scalar text.
    #[must_use]
    pub fn get_str(&self, key: &str) -> Option<&str> {
        self.get(key).and_then(Node::str)
    }

    /// A mapping's entries (none for anything else).
    #[must_use]
    pub fn entries(&self) -> &[(String, Node)] {
        match &self.value {
            Value::Map(entries) => entries,
            _ => &[],
        }
    }

    /// A sequence's items (none for anything else).
    #[must_use]
    pub fn items(&self) -> &[Node] {
        match &self.value {
            Value::Seq(items) => items,
            _ => &[],
        }
    }

    /// True for a scalar `true` in any case (YAML and JSON booleans, CloudFormation strings).
    #[must_use]
    pub fn is_true(&self) -> bool {
        self.str().is_some_and(|s| s.eq_ignore_ascii_case("true"))
    }
}

/// A parse failure: what and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// What is wrong.
    pub message: String,
    /// Line, from 1.
    pub line: usize,
    /// Column, from 1.
    pub col: usize,
}

/// Parses one YAML or JSON document.
///
/// # Errors
/// The parser's message and position; an alias to an unknown anchor.
pub fn parse(text: &str) -> Result<Node, ParseError> {
    let mut builder = Builder::default();
    let mut parser = Parser::new_from_str(text);
    // Event by event (the parser's own `load` recurses once per level of block nesting).
    loop {
        let (event, mark) = parser.next_token().map_err(|e| ParseError {
            message: e.info().to_string(),
            line: e.marker().line(),
            col: e.marker().col() + 1,
        })?;
        let end = event == Event::StreamEnd;
        builder.on_event(event, mark);
        if let Some(error) = builder.error.take() {
            return Err(error);
        }
        if end {
            break;
        }
    }
    Ok(builder.root.unwrap_or(Node {
        value: Value::Null,
        line: 1,
        col: 1,
    }))
}

/// The deepest nesting read: templates and exports nest a few dozen levels; deeper would only
/// make walking (and dropping) the tree exhaust the stack.
const MAX_DEPTH: usize = 256;

/// The most values one document may expand to (aliases counted each time they are used).
const MAX_NODES: usize = 2_000_000;

enum Open {
    Seq(Node, usize),
    Map(Node, usize, Option<String>),
}

#[derive(Default)]
struct Builder {
    stack: Vec<Open>,
    /// A tag waiting to wrap the collection being built at that depth.
    tags: Vec<Option<String>>,
    /// Anchored values and how many values each holds.
    anchors: HashMap<usize, (Node, usize)>,
    /// Values built so far, alias expansions included.
    nodes: usize,
    root: Option<Node>,
    error: Option<ParseError>,
}

/// CloudFormation's short form: `!Ref` is `Ref`, `!Condition` is `Condition`, every other
/// `!Name` is `Fn::Name`.
fn intrinsic(tag: &Tag) -> Option<String> {
    if tag.handle != "!" || tag.suffix.is_empty() {
        return None;
    }
    Some(match tag.suffix.as_str() {
        "Ref" | "Condition" => tag.suffix.clone(),
        other => format!("Fn::{other}"),
    })
}

/// The values in `node`, itself included.
fn count(node: &Node) -> usize {
    1 + match &node.value {
        Value::Seq(items) => items.iter().map(count).sum(),
        Value::Map(entries) => entries.iter().map(|(_, v)| count(v)).sum(),
        _ => 0,
    }
}

fn wrap(tag: Option<String>, node: Node) -> Node {
    match tag {
        Some(name) => Node {
            line: node.line,
            col: node.col,
            value: Value::Map(vec![(name, node)]),
        },
        None => node,
    }
}

impl Builder {
    /// Adds `node`, which brings `size` values the document did not count yet.
    fn add(&mut self, node: Node, anchor: usize, size: usize) {
        self.nodes += size;
        if self.nodes > MAX_NODES {
            self.error.get_or_insert(ParseError {
                message: format!(
                    "more than {MAX_NODES} values (an alias counts its values each time it is used)"
                ),
                line: node.line,
                col: node.col,
            });
            return;
        }
        if anchor > 0 {
            let held = count(&node);
            self.anchors.insert(anchor, (node.clone(), held));
        }
        match self.stack.last_mut() {
            None => {
                if self.root.is_none() {
                    self.root = Some(node);
                }
            }
            Some(Open::Seq(seq, _)) => {
                if let Value::Seq(items) = &mut seq.value {
                    items.push(node);
                }
            }
            Some(Open::Map(map, _, key)) => match key.take() {
                None => {
                    let text = match &node.value {
                        Value::Scalar(s) => s.clone(),
                        Value::Null => String::new(),
                        _ => {
                            self.error.get_or_insert(ParseError {
                                message: "a mapping key must be a plain value".into(),
                                line: node.line,
                                col: node.col,
                            });
                            String::new()
                        }
                    };
                    *key = Some(text);
                }
                Some(k) => {
                    if let Value::Map(entries) = &mut map.value {
                        entries.push((k, node));
                    }
                }
            },
        }
    }
}

impl MarkedEventReceiver for Builder {
    fn on_event(&mut self, event: Event, mark: Marker) {
        if self.error.is_some() {
            return;
        }
        let at = |value| Node {
            value,
            line: mark.line(),
            col: mark.col() + 1,
        };
        match event {
            Event::Scalar(text, style, anchor, tag) => {
                let value = if style == TScalarStyle::Plain
                    && matches!(text.as_str(), "" | "~" | "null" | "Null" | "NULL")
                {
                    Value::Null
                } else {
                    Value::Scalar(text)
                };
                let node = wrap(tag.as_ref().and_then(intrinsic), at(value));
                self.add(node, anchor, 1);
            }
            Event::SequenceStart(..) | Event::MappingStart(..) if self.stack.len() >= MAX_DEPTH => {
                self.error.get_or_insert(ParseError {
                    message: format!("nested deeper than {MAX_DEPTH} levels"),
                    line: mark.line(),
                    col: mark.col() + 1,
                });
            }
            Event::SequenceStart(anchor, tag) => {
                self.tags.push(tag.as_ref().and_then(intrinsic));
                self.stack
                    .push(Open::Seq(at(Value::Seq(Vec::new())), anchor));
            }
            Event::MappingStart(anchor, tag) => {
                self.tags.push(tag.as_ref().and_then(intrinsic));
                self.stack
                    .push(Open::Map(at(Value::Map(Vec::new())), anchor, None));
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let tag = self.tags.pop().flatten();
                let (node, anchor) = match self.stack.pop() {
                    Some(Open::Seq(node, anchor) | Open::Map(node, anchor, _)) => (node, anchor),
                    None => return,
                };
                // Its children were counted as they were added.
                self.add(wrap(tag, node), anchor, 1);
            }
            Event::Alias(anchor) => match self.anchors.get(&anchor).cloned() {
                Some((node, size)) => self.add(node, 0, size),
                None => {
                    self.error.get_or_insert(ParseError {
                        message: "an alias to an anchor not defined before it".into(),
                        line: mark.line(),
                        col: mark.col() + 1,
                    });
                }
            },
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_tags_become_intrinsics_and_positions_are_one_based() {
        let node = parse("A:\n  B: !Ref Api\n  C: !GetAtt [Api, RootResourceId]\n").unwrap();
        let b = node.get("A").unwrap().get("B").unwrap();
        assert_eq!(b.get_str("Ref"), Some("Api"));
        // A tagged value is located at the value, after its tag.
        assert_eq!((b.line, b.col), (2, 11));
        let c = node.get("A").unwrap().get("C").unwrap();
        assert_eq!(c.get("Fn::GetAtt").unwrap().items().len(), 2);
    }

    #[test]
    fn json_is_read_with_positions() {
        let node =
            parse("{\n  \"a\": {\"b\": \"x\\u0027y\", \"n\": null, \"t\": true}\n}").unwrap();
        let a = node.get("a").unwrap();
        assert_eq!(a.get_str("b"), Some("x'y"));
        assert_eq!(a.get("n").unwrap().value, Value::Null);
        assert!(a.get("t").unwrap().is_true());
        assert_eq!((a.line, a.col), (2, 8));
    }

    #[test]
    fn nesting_past_the_limit_is_an_error_not_a_stack_overflow() {
        // Flow nesting stops at the parser's recursion limit, block nesting at the tree's.
        let deep = "[".repeat(100_000) + &"]".repeat(100_000);
        assert!(parse(&deep).is_err());
        let block = "- ".repeat(100_000) + "x";
        let error = parse(&block).unwrap_err();
        assert!(error.message.contains("nested deeper"), "{error:?}");
        let keys: String = (0..3000)
            .map(|i| format!("{}a:\n", " ".repeat(i)))
            .collect();
        assert!(parse(&keys).unwrap_err().message.contains("nested deeper"));
    }

    #[test]
    fn an_alias_bomb_is_refused() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x]\n");
        for i in 1..10 {
            let p = i - 1;
            text.push_str(&format!(
                "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
            ));
        }
        let error = parse(&text).unwrap_err();
        assert!(error.message.contains("alias"), "{error:?}");
    }

    #[test]
    fn malformed_input_is_an_error_with_a_position() {
        let error = parse("a: [1, 2\nb: c").unwrap_err();
        assert!(error.line >= 1, "{error:?}");
    }
}
