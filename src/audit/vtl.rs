//! An evaluator for the Velocity (VTL 1.7) subset API Gateway mapping templates use: text,
//! references (`$x`, `$!x`, `${x}`, property and method chains, `[i]`), `#set`, `#if` /
//! `#elseif` / `#else`, `#foreach`, comments, and the expressions and Java methods those
//! templates call on strings, lists and maps. `$input`, `$context` and `$util` are API
//! Gateway's. Anything else is [`VtlError::Unsupported`]: audit reports the template as not
//! evaluated rather than guess. Velocity 1.7's own rules are kept where they change an answer: a
//! `#set` whose value is null leaves the variable as it was, `#if` is false only for null and
//! `false`, `==` with one null side is false, an undefined reference renders as written unless it
//! is quiet (`$!x`), and setting one `$context.responseOverride` parameter twice fails (API
//! Gateway answers 5XX). The tests run every template they use through Apache Velocity 1.7 too.

use std::fmt;

/// What a template run needs from the request (or the integration's response).
#[derive(Debug, Clone, Default)]
pub struct Input {
    /// Path parameters.
    pub path: Vec<(String, String)>,
    /// Query string parameters, as sent.
    pub query: Vec<(String, String)>,
    /// Request headers, names as the client sent them.
    pub headers: Vec<(String, String)>,
    /// `$input.body`.
    pub body: String,
}

/// The result of a run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rendered {
    /// The text the template produced.
    pub text: String,
    /// `$context.responseOverride.status`, as set.
    pub status: Option<String>,
    /// `$context.responseOverride.header.*`, in the order set.
    pub headers: Vec<(String, String)>,
}

/// Why a template gave no result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VtlError {
    /// A construct this evaluator does not run; nothing is guessed.
    Unsupported(String),
    /// The template fails as it would in API Gateway (a 5XX): a malformed template, an
    /// override set twice, a Java exception.
    Failed(String),
}

impl fmt::Display for VtlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VtlError::Unsupported(what) => write!(f, "not evaluated: {what}"),
            VtlError::Failed(what) => write!(f, "the template fails: {what}"),
        }
    }
}

type Result<T> = std::result::Result<T, VtlError>;

fn unsupported<T>(what: impl Into<String>) -> Result<T> {
    Err(VtlError::Unsupported(what.into()))
}

fn failed<T>(what: impl Into<String>) -> Result<T> {
    Err(VtlError::Failed(what.into()))
}

#[derive(Debug, Clone)]
enum Part {
    Text(String),
    Ref {
        reference: Reference,
        quiet: bool,
        raw: String,
    },
    Set(Reference, Expr),
    If(Vec<(Expr, Vec<Part>)>, Vec<Part>),
    Foreach(String, Expr, Vec<Part>),
}

#[derive(Debug, Clone)]
struct Reference {
    root: String,
    chain: Vec<Access>,
}

#[derive(Debug, Clone)]
enum Access {
    Property(String),
    Call(String, Vec<Expr>),
    Index(Expr),
}

#[derive(Debug, Clone)]
enum Expr {
    Literal(Val),
    Interpolated(Vec<Part>),
    Ref(Reference),
    List(Vec<Expr>),
    Range(Box<Expr>, Box<Expr>),
    Map(Vec<(Expr, Expr)>),
    Not(Box<Expr>),
    Negate(Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Binary(Op, Box<Expr>, Box<Expr>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Eq,
    Ne,
    Lt,
    Gt,
    Le,
    Ge,
    Add,
    Sub,
    Mul,
    Div,
    Mod,
}

/// A runtime value. `Input`, `Context`, `Override`, `OverrideHeader`, `RequestOverride` and
/// `Util` stand for API Gateway's objects.
#[derive(Debug, Clone, PartialEq)]
enum Val {
    Null,
    Str(String),
    Int(i64),
    Bool(bool),
    List(std::rc::Rc<Vec<Val>>),
    Map(Vec<(String, Val)>),
    Input,
    Context,
    Override,
    OverrideHeader,
    RequestOverride,
    Util,
}

impl Val {
    fn truthy(&self) -> bool {
        !matches!(self, Val::Null | Val::Bool(false))
    }

    /// Java's `toString()`.
    fn text(&self) -> Result<String> {
        Ok(match self {
            Val::Null => String::new(),
            Val::Str(s) => s.clone(),
            Val::Int(i) => i.to_string(),
            Val::Bool(b) => b.to_string(),
            Val::List(items) => {
                let parts: Result<Vec<String>> = items.iter().map(Val::text).collect();
                format!("[{}]", parts?.join(", "))
            }
            Val::Map(entries) => {
                let parts: Result<Vec<String>> = entries
                    .iter()
                    .map(|(k, v)| Ok(format!("{k}={}", v.text()?)))
                    .collect();
                format!("{{{}}}", parts?.join(", "))
            }
            _ => return unsupported("rendering an API Gateway object as text"),
        })
    }
}

/// A parsed template.
#[derive(Debug, Clone)]
pub struct Template {
    parts: Vec<Part>,
}

/// The most loop iterations one run may take.
const MAX_STEPS: usize = 100_000;

/// The longest text (output or string value) one run may build.
const MAX_TEXT: usize = 1 << 20;

impl Template {
    /// Parses `source`.
    ///
    /// # Errors
    /// [`VtlError::Failed`] for a template Velocity refuses to parse, [`VtlError::Unsupported`]
    /// for a directive this evaluator does not run.
    pub fn parse(source: &str) -> Result<Template> {
        let mut parser = TextParser {
            chars: source.chars().collect(),
            at: 0,
            depth: 0,
            operators: 0,
        };
        let (parts, end) = parser.block(false)?;
        if end.is_some() {
            return failed("#end, #else or #elseif without #if or #foreach");
        }
        Ok(Template { parts })
    }

    /// Runs the template against `input`.
    ///
    /// # Errors
    /// See [`VtlError`].
    pub fn render(&self, input: &Input) -> Result<Rendered> {
        let mut run = Run {
            input,
            vars: Vec::new(),
            out: Rendered::default(),
            steps: 0,
        };
        let mut text = String::new();
        run.parts(&self.parts, &mut text)?;
        run.out.text = text;
        Ok(run.out)
    }
}

/// Parses and runs `source` once.
///
/// # Errors
/// See [`VtlError`].
pub fn render(source: &str, input: &Input) -> Result<Rendered> {
    Template::parse(source)?.render(input)
}

/// A template parsed once, shared by every run.
type ParsedTemplate = std::rc::Rc<Result<Template>>;

/// Templates parsed once and kept by the structure that owns their text (a REST API): keyed by
/// where that text lives, which stays put while its owner does. A copy starts empty.
#[derive(Default)]
pub struct Parsed(std::cell::RefCell<std::collections::HashMap<(usize, usize), ParsedTemplate>>);

impl Clone for Parsed {
    fn clone(&self) -> Self {
        Parsed::default()
    }
}

impl fmt::Debug for Parsed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Parsed")
    }
}

impl Parsed {
    /// Like [`render`], parsing `source` (text the owner of this cache holds) once.
    ///
    /// # Errors
    /// See [`VtlError`].
    pub fn render(&self, source: &str, input: &Input) -> Result<Rendered> {
        let key = (source.as_ptr() as usize, source.len());
        let parsed = self
            .0
            .borrow_mut()
            .entry(key)
            .or_insert_with(|| std::rc::Rc::new(Template::parse(source)))
            .clone();
        match parsed.as_ref() {
            Ok(template) => template.render(input),
            Err(e) => Err(e.clone()),
        }
    }
}

struct TextParser {
    chars: Vec<char>,
    at: usize,
    /// How deep the parse is: blocks, parentheses, lists and strings.
    depth: usize,
    /// Operators parsed so far.
    operators: usize,
}

/// The most operators one template may hold.
const MAX_OPERATORS: usize = 5_000;

/// The deepest nesting parsed; mapping templates nest a few levels.
const MAX_NESTING: usize = 64;

/// How a block ended: `#end`, `#else` or `#elseif(…)`.
enum Close {
    End,
    Else,
    ElseIf(Expr),
}

fn is_ident_start(c: char) -> bool {
    c.is_ascii_alphabetic()
}

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '-'
}

impl TextParser {
    fn peek(&self, offset: usize) -> Option<char> {
        self.chars.get(self.at + offset).copied()
    }

    fn starts(&self, text: &str) -> bool {
        text.chars()
            .enumerate()
            .all(|(i, c)| self.peek(i) == Some(c))
    }

    fn ident(&mut self) -> Option<String> {
        if !self.peek(0).is_some_and(is_ident_start) {
            return None;
        }
        let start = self.at;
        while self.peek(0).is_some_and(is_ident) {
            self.at += 1;
        }
        Some(self.chars[start..self.at].iter().collect())
    }

    fn skip_space(&mut self) {
        while self.peek(0).is_some_and(char::is_whitespace) {
            self.at += 1;
        }
    }

    /// Text and directives up to the end of input or an `#end` / `#else` / `#elseif`.
    fn block(&mut self, inner: bool) -> Result<(Vec<Part>, Option<Close>)> {
        self.depth += 1;
        if self.depth > MAX_NESTING {
            return unsupported("directives nested more than 64 levels deep");
        }
        let result = self.block_parts(inner);
        self.depth -= 1;
        result
    }

    fn block_parts(&mut self, inner: bool) -> Result<(Vec<Part>, Option<Close>)> {
        let mut parts = Vec::new();
        let mut text = String::new();
        let flush = |text: &mut String, parts: &mut Vec<Part>| {
            if !text.is_empty() {
                parts.push(Part::Text(std::mem::take(text)));
            }
        };
        while let Some(c) = self.peek(0) {
            match c {
                '\\' if matches!(self.peek(1), Some('$' | '#' | '\\')) => {
                    return unsupported("a backslash escape before `$` or `#`");
                }
                '#' if self.peek(1) == Some('#') => {
                    while self.peek(0).is_some_and(|c| c != '\n') {
                        self.at += 1;
                    }
                    self.at += 1;
                }
                '#' if self.peek(1) == Some('*') => {
                    self.at += 2;
                    while self.peek(0).is_some() && !self.starts("*#") {
                        self.at += 1;
                    }
                    self.at += 2;
                }
                '#' if self.peek(1) == Some('[') && self.peek(2) == Some('[') => {
                    self.at += 3;
                    while self.peek(0).is_some() && !self.starts("]]#") {
                        text.push(self.chars[self.at]);
                        self.at += 1;
                    }
                    self.at += 3;
                }
                '#' => {
                    let start = self.at;
                    self.at += 1;
                    let braced = self.peek(0) == Some('{');
                    if braced {
                        self.at += 1;
                    }
                    let Some(name) = self.ident() else {
                        self.at = start + 1;
                        text.push('#');
                        continue;
                    };
                    if braced {
                        if self.peek(0) != Some('}') {
                            self.at = start + 1;
                            text.push('#');
                            continue;
                        }
                        self.at += 1;
                    }
                    match name.as_str() {
                        "set" => {
                            flush(&mut text, &mut parts);
                            self.open_paren()?;
                            let Expr::Ref(target) = self.primary()? else {
                                return failed("#set needs a reference on the left");
                            };
                            if !self.symbol("=") {
                                return failed("#set needs `=`");
                            }
                            let value = self.expr()?;
                            self.close_paren()?;
                            // Velocity drops the rest of the line after a #set that ends it.
                            self.eat_line_end();
                            parts.push(Part::Set(target, value));
                        }
                        "if" => {
                            flush(&mut text, &mut parts);
                            let condition = self.condition()?;
                            parts.push(self.if_chain(condition)?);
                        }
                        "foreach" => {
                            flush(&mut text, &mut parts);
                            self.open_paren()?;
                            self.skip_space();
                            if self.peek(0) != Some('$') {
                                return failed("#foreach needs a variable");
                            }
                            self.at += 1;
                            let var = self.ident().ok_or_else(|| {
                                VtlError::Failed("#foreach needs a variable".into())
                            })?;
                            self.skip_space();
                            if !self.starts("in") {
                                return failed("#foreach needs `in`");
                            }
                            self.at += 2;
                            let list = self.expr()?;
                            self.close_paren()?;
                            let (body, end) = self.block(true)?;
                            if !matches!(end, Some(Close::End)) {
                                return failed("#foreach without #end");
                            }
                            parts.push(Part::Foreach(var, list, body));
                        }
                        "end" | "else" | "elseif" if inner => {
                            flush(&mut text, &mut parts);
                            let end = match name.as_str() {
                                "end" => Close::End,
                                "else" => Close::Else,
                                _ => Close::ElseIf(self.condition()?),
                            };
                            return Ok((parts, Some(end)));
                        }
                        "end" | "else" | "elseif" => {
                            return failed(format!("#{name} without #if or #foreach"));
                        }
                        "macro" | "include" | "parse" | "define" | "evaluate" | "break"
                        | "stop" => return unsupported(format!("#{name}")),
                        _ => {
                            // Not a directive: Velocity writes it as it is.
                            text.extend(&self.chars[start..self.at]);
                        }
                    }
                }
                '$' => {
                    let start = self.at;
                    match self.reference()? {
                        Some((reference, quiet)) => {
                            flush(&mut text, &mut parts);
                            let raw = self.chars[start..self.at].iter().collect();
                            parts.push(Part::Ref {
                                reference,
                                quiet,
                                raw,
                            });
                        }
                        None => {
                            self.at = start + 1;
                            text.push('$');
                        }
                    }
                }
                _ => {
                    text.push(c);
                    self.at += 1;
                }
            }
        }
        flush(&mut text, &mut parts);
        Ok((parts, None))
    }

    fn eat_line_end(&mut self) {
        let mut at = self.at;
        while matches!(self.chars.get(at), Some(' ' | '\t')) {
            at += 1;
        }
        if self.chars.get(at) == Some(&'\n') {
            self.at = at + 1;
        }
    }

    fn if_chain(&mut self, first: Expr) -> Result<Part> {
        let mut branches = Vec::new();
        let mut condition = first;
        loop {
            let (body, end) = self.block(true)?;
            branches.push((condition, body));
            match end {
                Some(Close::End) => return Ok(Part::If(branches, Vec::new())),
                Some(Close::Else) => {
                    let (otherwise, end) = self.block(true)?;
                    if !matches!(end, Some(Close::End)) {
                        return failed("#else without #end");
                    }
                    return Ok(Part::If(branches, otherwise));
                }
                Some(Close::ElseIf(next)) => condition = next,
                None => return failed("#if without #end"),
            }
        }
    }

    fn open_paren(&mut self) -> Result<()> {
        self.skip_space();
        if self.peek(0) != Some('(') {
            return failed("a directive without its `(`");
        }
        self.at += 1;
        Ok(())
    }

    fn close_paren(&mut self) -> Result<()> {
        self.skip_space();
        if self.peek(0) != Some(')') {
            return failed("a directive without its `)`");
        }
        self.at += 1;
        Ok(())
    }

    fn condition(&mut self) -> Result<Expr> {
        self.open_paren()?;
        let condition = self.expr()?;
        self.close_paren()?;
        Ok(condition)
    }

    /// A reference at `$`, or `None` when the `$` is plain text.
    fn reference(&mut self) -> Result<Option<(Reference, bool)>> {
        self.at += 1;
        let quiet = self.peek(0) == Some('!');
        if quiet {
            self.at += 1;
        }
        let braced = self.peek(0) == Some('{');
        if braced {
            self.at += 1;
        }
        let Some(root) = self.ident() else {
            return Ok(None);
        };
        let mut chain = Vec::new();
        loop {
            match self.peek(0) {
                Some('.') if self.peek(1).is_some_and(is_ident_start) => {
                    self.at += 1;
                    let name = self.ident().unwrap_or_default();
                    if self.peek(0) == Some('(') {
                        self.at += 1;
                        let args = self.args(')')?;
                        chain.push(Access::Call(name, args));
                    } else {
                        chain.push(Access::Property(name));
                    }
                }
                Some('[') => {
                    self.at += 1;
                    let index = self.expr()?;
                    if !self.symbol("]") {
                        return failed("an index without its `]`");
                    }
                    chain.push(Access::Index(index));
                }
                _ => break,
            }
        }
        if braced {
            if self.peek(0) != Some('}') {
                return failed("`${` without its `}`");
            }
            self.at += 1;
        }
        Ok(Some((Reference { root, chain }, quiet)))
    }

    /// Comma-separated expressions up to `close` (consumed).
    fn args(&mut self, close: char) -> Result<Vec<Expr>> {
        let mut args = Vec::new();
        self.skip_space();
        if self.peek(0) == Some(close) {
            self.at += 1;
            return Ok(args);
        }
        loop {
            args.push(self.expr()?);
            self.skip_space();
            match self.peek(0) {
                Some(',') => self.at += 1,
                Some(c) if c == close => {
                    self.at += 1;
                    return Ok(args);
                }
                _ => return failed(format!("a list or call without its `{close}`")),
            }
        }
    }

    fn word(&mut self, word: &str) -> bool {
        self.skip_space();
        let after = self.chars.get(self.at + word.len()).copied();
        if self.starts(word) && !after.is_some_and(is_ident) {
            self.at += word.len();
            true
        } else {
            false
        }
    }

    fn symbol(&mut self, symbol: &str) -> bool {
        self.skip_space();
        if self.starts(symbol) {
            self.at += symbol.len();
            true
        } else {
            false
        }
    }

    /// Counts one operator of the template: a chain of operators nests its tree (evaluated and
    /// dropped recursively) one level per operator.
    fn chain(&mut self) -> Result<()> {
        self.operators += 1;
        if self.operators > MAX_OPERATORS {
            return unsupported("more than 5,000 operators");
        }
        Ok(())
    }

    fn expr(&mut self) -> Result<Expr> {
        let mut left = self.and()?;
        while self.symbol("||") || self.word("or") {
            self.chain()?;
            left = Expr::Or(Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Expr> {
        let mut left = self.equality()?;
        while self.symbol("&&") || self.word("and") {
            self.chain()?;
            left = Expr::And(Box::new(left), Box::new(self.equality()?));
        }
        Ok(left)
    }

    fn equality(&mut self) -> Result<Expr> {
        let mut left = self.relation()?;
        loop {
            let op = if self.symbol("==") || self.word("eq") {
                Op::Eq
            } else if self.symbol("!=") || self.word("ne") {
                Op::Ne
            } else {
                return Ok(left);
            };
            self.chain()?;
            left = Expr::Binary(op, Box::new(left), Box::new(self.relation()?));
        }
    }

    fn relation(&mut self) -> Result<Expr> {
        let mut left = self.additive()?;
        loop {
            let op = if self.symbol("<=") || self.word("le") {
                Op::Le
            } else if self.symbol(">=") || self.word("ge") {
                Op::Ge
            } else if self.symbol("<") || self.word("lt") {
                Op::Lt
            } else if self.symbol(">") || self.word("gt") {
                Op::Gt
            } else {
                return Ok(left);
            };
            self.chain()?;
            left = Expr::Binary(op, Box::new(left), Box::new(self.additive()?));
        }
    }

    fn additive(&mut self) -> Result<Expr> {
        let mut left = self.multiplicative()?;
        loop {
            let op = if self.symbol("+") {
                Op::Add
            } else if self.symbol("-") {
                Op::Sub
            } else {
                return Ok(left);
            };
            self.chain()?;
            left = Expr::Binary(op, Box::new(left), Box::new(self.multiplicative()?));
        }
    }

    fn multiplicative(&mut self) -> Result<Expr> {
        let mut left = self.unary()?;
        loop {
            let op = if self.symbol("*") {
                Op::Mul
            } else if self.symbol("/") {
                Op::Div
            } else if self.symbol("%") {
                Op::Mod
            } else {
                return Ok(left);
            };
            self.chain()?;
            left = Expr::Binary(op, Box::new(left), Box::new(self.unary()?));
        }
    }

    fn unary(&mut self) -> Result<Expr> {
        self.skip_space();
        if self.peek(0) == Some('!') && self.peek(1) != Some('=') {
            self.at += 1;
            return Ok(Expr::Not(Box::new(self.unary_depth()?)));
        }
        if self.word("not") {
            return Ok(Expr::Not(Box::new(self.unary_depth()?)));
        }
        if self.peek(0) == Some('-') && !self.peek(1).is_some_and(|c| c.is_ascii_digit()) {
            self.at += 1;
            return Ok(Expr::Negate(Box::new(self.unary_depth()?)));
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Expr> {
        self.depth += 1;
        if self.depth > MAX_NESTING {
            return unsupported("an expression nested more than 64 levels deep");
        }
        let result = self.primary_expr();
        self.depth -= 1;
        result
    }

    fn unary_depth(&mut self) -> Result<Expr> {
        self.depth += 1;
        if self.depth > MAX_NESTING {
            return unsupported("an expression nested more than 64 levels deep");
        }
        let result = self.unary();
        self.depth -= 1;
        result
    }

    fn primary_expr(&mut self) -> Result<Expr> {
        self.skip_space();
        let Some(c) = self.peek(0) else {
            return failed("an expression ends early");
        };
        match c {
            '(' => {
                self.at += 1;
                let inner = self.expr()?;
                if !self.symbol(")") {
                    return failed("`(` without its `)`");
                }
                Ok(inner)
            }
            '\'' | '"' => {
                self.at += 1;
                let start = self.at;
                while self.peek(0).is_some_and(|d| d != c) {
                    self.at += 1;
                }
                if self.peek(0).is_none() {
                    return failed("a string without its closing quote");
                }
                let body: String = self.chars[start..self.at].iter().collect();
                self.at += 1;
                if c == '\'' || !body.contains(['$', '#']) {
                    return Ok(Expr::Literal(Val::Str(body)));
                }
                let mut inner = TextParser {
                    chars: body.chars().collect(),
                    at: 0,
                    depth: self.depth + 1,
                    operators: self.operators,
                };
                if inner.depth > MAX_NESTING {
                    return unsupported("strings nested more than 64 levels deep");
                }
                let (parts, end) = inner.block(false)?;
                if end.is_some() {
                    return failed("a directive end inside a string");
                }
                Ok(Expr::Interpolated(parts))
            }
            '[' => {
                self.at += 1;
                // A range: [a..b].
                let save = self.at;
                if let Ok(from) = self.additive() {
                    if self.symbol("..") {
                        let to = self.additive()?;
                        if !self.symbol("]") {
                            return failed("a range without its `]`");
                        }
                        return Ok(Expr::Range(Box::new(from), Box::new(to)));
                    }
                }
                self.at = save;
                let items = self.args(']')?;
                // A list of literals is one value, shared by every run (not rebuilt each time).
                let constant: Option<Vec<Val>> = items
                    .iter()
                    .map(|e| match e {
                        Expr::Literal(v) => Some(v.clone()),
                        _ => None,
                    })
                    .collect();
                Ok(match constant {
                    Some(values) => Expr::Literal(Val::List(std::rc::Rc::new(values))),
                    None => Expr::List(items),
                })
            }
            '{' => {
                self.at += 1;
                let mut entries = Vec::new();
                if self.symbol("}") {
                    return Ok(Expr::Map(entries));
                }
                loop {
                    let key = self.expr()?;
                    if !self.symbol(":") {
                        return failed("a map entry without `:`");
                    }
                    entries.push((key, self.expr()?));
                    if self.symbol("}") {
                        return Ok(Expr::Map(entries));
                    }
                    if !self.symbol(",") {
                        return failed("a map without its `}`");
                    }
                }
            }
            '$' => match self.reference()? {
                Some((reference, _)) => Ok(Expr::Ref(reference)),
                None => failed("`$` without a name"),
            },
            '-' | '0'..='9' => {
                let start = self.at;
                self.at += 1;
                while self.peek(0).is_some_and(|d| d.is_ascii_digit()) {
                    self.at += 1;
                }
                if self.peek(0) == Some('.') && self.peek(1).is_some_and(|d| d.is_ascii_digit()) {
                    return unsupported("a decimal number");
                }
                let text: String = self.chars[start..self.at].iter().collect();
                text.parse()
                    .map(|n| Expr::Literal(Val::Int(n)))
                    .map_err(|_| VtlError::Failed(format!("the number {text}")))
            }
            _ => {
                if self.word("true") {
                    Ok(Expr::Literal(Val::Bool(true)))
                } else if self.word("false") {
                    Ok(Expr::Literal(Val::Bool(false)))
                } else {
                    failed(format!("an expression cannot start with `{c}`"))
                }
            }
        }
    }
}

struct Run<'a> {
    input: &'a Input,
    vars: Vec<(String, Val)>,
    out: Rendered,
    steps: usize,
}

fn pairs_map(pairs: &[(String, String)]) -> Val {
    let mut entries: Vec<(String, Val)> = Vec::new();
    for (name, value) in pairs {
        // One value per name, the last one sent, as a Java map keeps it.
        entries.retain(|(n, _)| n != name);
        entries.push((name.clone(), Val::Str(value.clone())));
    }
    Val::Map(entries)
}

fn map_get<'v>(entries: &'v [(String, Val)], key: &Val) -> Option<&'v Val> {
    let Val::Str(key) = key else { return None };
    entries.iter().find(|(k, _)| k == key).map(|(_, v)| v)
}

fn int_arg(args: &[Val], i: usize) -> Result<i64> {
    match args.get(i) {
        Some(Val::Int(n)) => Ok(*n),
        _ => failed("a method expects a number"),
    }
}

fn str_arg(args: &[Val], i: usize) -> Result<Option<&str>> {
    match args.get(i) {
        Some(Val::Str(s)) => Ok(Some(s)),
        Some(Val::Null) => Ok(None),
        _ => unsupported("a method called with an argument that is not a string"),
    }
}

/// Java's `String.matches`: the whole string against a Java regular expression. Constructs the
/// `regex` crate does not share with Java (look-around, back-references) are not evaluated.
fn java_matches(text: &str, pattern: &str) -> Result<bool> {
    match whole_match(pattern) {
        Some(re) => Ok(re.is_match(text)),
        None => unsupported(format!("the Java regular expression {pattern:?}")),
    }
}

thread_local! {
    /// Regular expressions compiled so far: audit runs each template many times.
    static COMPILED: std::cell::RefCell<std::collections::HashMap<String, Option<regex::Regex>>> =
        std::cell::RefCell::default();
}

/// `pattern` anchored at both ends (Java's `matches()`, API Gateway's selection patterns),
/// compiled once per thread; `None` when the `regex` crate does not take it.
#[must_use]
pub fn whole_match(pattern: &str) -> Option<regex::Regex> {
    COMPILED.with(|cache| {
        cache
            .borrow_mut()
            .entry(pattern.to_string())
            .or_insert_with(|| regex::Regex::new(&format!("^(?:{pattern})$")).ok())
            .clone()
    })
}

fn substring(s: &str, from: i64, to: Option<i64>) -> Result<Val> {
    let chars: Vec<char> = s.chars().collect();
    let len = i64::try_from(chars.len()).unwrap_or(i64::MAX);
    let to = to.unwrap_or(len);
    if from < 0 || to > len || from > to {
        return failed("StringIndexOutOfBoundsException in substring()");
    }
    let (from, to) = (
        usize::try_from(from).unwrap_or(0),
        usize::try_from(to).unwrap_or(0),
    );
    Ok(Val::Str(chars[from..to].iter().collect()))
}

fn escape_javascript(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\'' => out.push_str("\\'"),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '/' => out.push_str("\\/"),
            _ => out.push(c),
        }
    }
    out
}

impl Run<'_> {
    fn step(&mut self) -> Result<()> {
        self.steps += 1;
        if self.steps > MAX_STEPS {
            return unsupported("a loop longer than 100,000 steps");
        }
        Ok(())
    }

    fn var(&self, name: &str) -> Val {
        match name {
            "input" => Val::Input,
            "context" => Val::Context,
            "util" => Val::Util,
            _ => self
                .vars
                .iter()
                .rev()
                .find(|(n, _)| n == name)
                .map_or(Val::Null, |(_, v)| v.clone()),
        }
    }

    /// A template variable's value, in place.
    fn held(&self, name: &str) -> Option<&Val> {
        self.vars
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v)
    }

    fn assign(&mut self, name: &str, value: Val) {
        if let Some(slot) = self.vars.iter_mut().find(|(n, _)| n == name) {
            slot.1 = value;
        } else {
            self.vars.push((name.to_string(), value));
        }
    }

    fn parts(&mut self, parts: &[Part], out: &mut String) -> Result<()> {
        for part in parts {
            self.step()?;
            if out.len() > MAX_TEXT {
                return unsupported("a template whose output passes 1 MiB");
            }
            match part {
                Part::Text(text) => out.push_str(text),
                Part::Ref {
                    reference,
                    quiet,
                    raw,
                } => match self.reference(reference)? {
                    Val::Null if *quiet => {}
                    Val::Null => out.push_str(raw),
                    value => out.push_str(&value.text()?),
                },
                Part::Set(target, value) => {
                    let value = self.expr(value)?;
                    self.set(target, value)?;
                }
                Part::If(branches, otherwise) => {
                    let mut taken = None;
                    for (condition, body) in branches {
                        if self.expr(condition)?.truthy() {
                            taken = Some(body);
                            break;
                        }
                    }
                    self.parts(taken.unwrap_or(otherwise), out)?;
                }
                Part::Foreach(var, list, body) => {
                    let items = match self.expr(list)? {
                        Val::List(items) => items.as_ref().clone(),
                        Val::Map(entries) => entries.into_iter().map(|(_, v)| v).collect(),
                        Val::Null => Vec::new(),
                        _ => return unsupported("#foreach over a value that is not a list"),
                    };
                    let saved = self.var(var);
                    for (i, item) in items.into_iter().enumerate() {
                        self.step()?;
                        self.assign(var, item);
                        self.assign(
                            "velocityCount",
                            Val::Int(i64::try_from(i + 1).unwrap_or(i64::MAX)),
                        );
                        self.parts(body, out)?;
                    }
                    self.assign(var, saved);
                }
            }
        }
        Ok(())
    }

    /// `#set`: a null value leaves the target as it was (Velocity 1.7's default).
    fn set(&mut self, target: &Reference, value: Val) -> Result<()> {
        if value == Val::Null {
            return Ok(());
        }
        let names: Option<Vec<&str>> = target
            .chain
            .iter()
            .map(|a| match a {
                Access::Property(name) => Some(name.as_str()),
                _ => None,
            })
            .collect();
        let Some(names) = names else {
            return unsupported("#set on a method call or index");
        };
        match (target.root.as_str(), names.as_slice()) {
            (_, []) => {
                if matches!(target.root.as_str(), "input" | "context" | "util") {
                    return unsupported(format!("#set of ${}", target.root));
                }
                self.assign(&target.root, value);
                Ok(())
            }
            ("context", ["responseOverride", "header", name]) => {
                if self.out.headers.iter().any(|(n, _)| n == name) {
                    return failed(format!(
                        "$context.responseOverride.header.{name} is set twice"
                    ));
                }
                self.out.headers.push(((*name).to_string(), value.text()?));
                Ok(())
            }
            ("context", ["responseOverride", "status"]) => {
                if self.out.status.is_some() {
                    return failed("$context.responseOverride.status is set twice");
                }
                self.out.status = Some(value.text()?);
                Ok(())
            }
            // Request overrides change what the integration receives, not the answer.
            ("context", ["requestOverride", ..]) => Ok(()),
            (root, [key]) if matches!(self.var(root), Val::Map(_)) => {
                let Val::Map(mut entries) = self.var(root) else {
                    return Ok(());
                };
                entries.retain(|(k, _)| k != key);
                entries.push(((*key).to_string(), value));
                self.assign(root, Val::Map(entries));
                Ok(())
            }
            _ => unsupported(format!("#set of ${}.{}", target.root, names.join("."))),
        }
    }

    fn reference(&mut self, reference: &Reference) -> Result<Val> {
        if matches!(reference.root.as_str(), "foreach" | "velocityHasNext") {
            return unsupported(format!("${}", reference.root));
        }
        let mut chain = reference.chain.iter();
        // A method called on a variable reads it in place (a 1,000-origin list is not copied
        // for each contains()).
        let mut value = match reference.chain.first() {
            Some(Access::Call(name, args)) if self.held(&reference.root).is_some() => {
                let args: Result<Vec<Val>> = args.iter().map(|a| self.expr(a)).collect();
                let args = args?;
                chain.next();
                let held = self.held(&reference.root).unwrap_or(&Val::Null);
                self.call(held, name, &args)?
            }
            _ => self.var(&reference.root),
        };
        for access in chain {
            if value == Val::Null {
                return Ok(Val::Null);
            }
            value = match access {
                Access::Property(name) => self.property(value, name)?,
                Access::Call(name, args) => {
                    let args: Result<Vec<Val>> = args.iter().map(|a| self.expr(a)).collect();
                    self.call(&value, name, &args?)?
                }
                Access::Index(index) => {
                    let index = self.expr(index)?;
                    match (&value, &index) {
                        (Val::List(items), Val::Int(i)) => usize::try_from(*i)
                            .ok()
                            .and_then(|i| items.get(i).cloned())
                            .map_or_else(|| failed("an index out of bounds"), Ok)?,
                        (Val::Map(entries), key) => {
                            map_get(entries, key).cloned().unwrap_or(Val::Null)
                        }
                        (Val::Null, _) => Val::Null,
                        _ => return unsupported("an index on a value that is not a list"),
                    }
                }
            };
        }
        Ok(value)
    }

    fn property(&mut self, value: Val, name: &str) -> Result<Val> {
        Ok(match (value, name) {
            (Val::Map(entries), _) => entries
                .into_iter()
                .find(|(k, _)| k == name)
                .map_or(Val::Null, |(_, v)| v),
            (Val::Input, "body") => Val::Str(self.input.body.clone()),
            (Val::Context, "responseOverride") => Val::Override,
            (Val::Context, "requestOverride") => Val::RequestOverride,
            (Val::Context, "requestId") => Val::Str("00000000-0000-0000-0000-000000000000".into()),
            (Val::Override, "header") => Val::OverrideHeader,
            (Val::Override, "status") => self.out.status.clone().map_or(Val::Null, Val::Str),
            (Val::OverrideHeader, name) => self
                .out
                .headers
                .iter()
                .find(|(n, _)| n == name)
                .map_or(Val::Null, |(_, v)| Val::Str(v.clone())),
            (Val::Str(s), "empty") => Val::Bool(s.is_empty()),
            (Val::List(items), "empty") => Val::Bool(items.is_empty()),
            (value, name) => {
                return unsupported(format!("the property .{name} of {}", kind(&value)))
            }
        })
    }

    #[allow(clippy::too_many_lines)]
    fn call(&self, value: &Val, name: &str, args: &[Val]) -> Result<Val> {
        let input = self.input;
        Ok(match (value, name, args.len()) {
            (_, "toString", 0) => Val::Str(value.text()?),
            (Val::Input, "params", 0) => Val::Map(vec![
                ("path".into(), pairs_map(&input.path)),
                ("querystring".into(), pairs_map(&input.query)),
                ("header".into(), pairs_map(&input.headers)),
            ]),
            (Val::Input, "params", 1) => {
                let name = str_arg(args, 0)?.unwrap_or_default();
                [&input.path, &input.query, &input.headers]
                    .iter()
                    .find_map(|pairs| {
                        pairs
                            .iter()
                            .rev()
                            .find(|(n, _)| n == name)
                            .map(|(_, v)| Val::Str(v.clone()))
                    })
                    .unwrap_or_else(|| Val::Str(String::new()))
            }
            (Val::Input, "json", 1) if str_arg(args, 0)? == Some("$") => {
                let body = input.body.trim();
                Val::Str(if body.is_empty() { "{}" } else { body }.to_string())
            }
            (Val::Util, "escapeJavaScript", 1) => {
                Val::Str(escape_javascript(str_arg(args, 0)?.unwrap_or_default()))
            }
            (Val::Str(s), _, _) => string_method(s, name, args)?,
            (Val::List(items), "contains", 1) => Val::Bool(items.contains(&args[0])),
            (Val::List(items), "size", 0) => Val::Int(i64::try_from(items.len()).unwrap_or(0)),
            (Val::List(items), "isEmpty", 0) => Val::Bool(items.is_empty()),
            (Val::List(items), "get", 1) => usize::try_from(int_arg(args, 0)?)
                .ok()
                .and_then(|i| items.get(i).cloned())
                .map_or_else(|| failed("IndexOutOfBoundsException in get()"), Ok)?,
            (Val::Map(entries), "get", 1) => {
                map_get(entries, &args[0]).cloned().unwrap_or(Val::Null)
            }
            (Val::Map(entries), "containsKey", 1) => {
                Val::Bool(map_get(entries, &args[0]).is_some())
            }
            (Val::Map(entries), "keySet", 0) => Val::List(std::rc::Rc::new(
                entries.iter().map(|(k, _)| Val::Str(k.clone())).collect(),
            )),
            (Val::Map(entries), "values", 0) => Val::List(std::rc::Rc::new(
                entries.iter().map(|(_, v)| v.clone()).collect(),
            )),
            (Val::Map(entries), "size", 0) => Val::Int(i64::try_from(entries.len()).unwrap_or(0)),
            (Val::Map(entries), "isEmpty", 0) => Val::Bool(entries.is_empty()),
            _ => return unsupported(format!("the method .{name}() of {}", kind(value))),
        })
    }

    fn expr(&mut self, expr: &Expr) -> Result<Val> {
        Ok(match expr {
            Expr::Literal(value) => value.clone(),
            Expr::Interpolated(parts) => {
                let mut text = String::new();
                self.parts(parts, &mut text)?;
                if text.len() > MAX_TEXT {
                    return unsupported("a string longer than 1 MiB");
                }
                Val::Str(text)
            }
            Expr::Ref(reference) => self.reference(reference)?,
            Expr::List(items) => {
                let items: Result<Vec<Val>> = items.iter().map(|e| self.expr(e)).collect();
                Val::List(std::rc::Rc::new(items?))
            }
            Expr::Range(from, to) => {
                let (Val::Int(from), Val::Int(to)) = (self.expr(from)?, self.expr(to)?) else {
                    return failed("a range needs numbers");
                };
                if from.abs_diff(to) > 10_000 {
                    return unsupported("a range of more than 10,000 numbers");
                }
                if from <= to {
                    Val::List(std::rc::Rc::new((from..=to).map(Val::Int).collect()))
                } else {
                    Val::List(std::rc::Rc::new((to..=from).rev().map(Val::Int).collect()))
                }
            }
            Expr::Map(entries) => {
                let mut map = Vec::new();
                for (k, v) in entries {
                    let key = self.expr(k)?.text()?;
                    let value = self.expr(v)?;
                    map.retain(|(n, _): &(String, Val)| *n != key);
                    map.push((key, value));
                }
                Val::Map(map)
            }
            Expr::Not(inner) => Val::Bool(!self.expr(inner)?.truthy()),
            Expr::Negate(inner) => match self.expr(inner)? {
                Val::Int(n) => Val::Int(
                    n.checked_neg()
                        .ok_or_else(|| VtlError::Failed("a number out of range".into()))?,
                ),
                _ => return failed("`-` before a value that is not a number"),
            },
            Expr::And(a, b) => Val::Bool(self.expr(a)?.truthy() && self.expr(b)?.truthy()),
            Expr::Or(a, b) => Val::Bool(self.expr(a)?.truthy() || self.expr(b)?.truthy()),
            Expr::Binary(op, a, b) => {
                let (a, b) = (self.expr(a)?, self.expr(b)?);
                binary(*op, &a, &b)?
            }
        })
    }
}

fn kind(value: &Val) -> &'static str {
    match value {
        Val::Null => "null",
        Val::Str(_) => "a string",
        Val::Int(_) => "a number",
        Val::Bool(_) => "a boolean",
        Val::List(_) => "a list",
        Val::Map(_) => "a map",
        Val::Input => "$input",
        Val::Context => "$context",
        Val::Override | Val::OverrideHeader => "$context.responseOverride",
        Val::RequestOverride => "$context.requestOverride",
        Val::Util => "$util",
    }
}

fn string_method(s: &str, name: &str, args: &[Val]) -> Result<Val> {
    let arg = |i| str_arg(args, i);
    let len = |t: &str| i64::try_from(t.chars().count()).unwrap_or(i64::MAX);
    Ok(match (name, args.len()) {
        ("length", 0) => Val::Int(len(s)),
        ("isEmpty", 0) => Val::Bool(s.is_empty()),
        ("toLowerCase", 0) => Val::Str(s.to_lowercase()),
        ("toUpperCase", 0) => Val::Str(s.to_uppercase()),
        ("trim", 0) => Val::Str(s.trim_matches(|c: char| c <= ' ').to_string()),
        ("equals", 1) => Val::Bool(matches!(&args[0], Val::Str(t) if t == s)),
        ("equalsIgnoreCase", 1) => {
            Val::Bool(matches!(&args[0], Val::Str(t) if t.to_lowercase() == s.to_lowercase()))
        }
        ("startsWith", 1)
        | ("endsWith", 1)
        | ("contains", 1)
        | ("indexOf", 1)
        | ("matches", 1)
        | ("split", 1) => {
            let Some(t) = arg(0)? else {
                return failed(format!("NullPointerException in {name}()"));
            };
            match name {
                "startsWith" => Val::Bool(s.starts_with(t)),
                "endsWith" => Val::Bool(s.ends_with(t)),
                "contains" => Val::Bool(s.contains(t)),
                "indexOf" => Val::Int(s.find(t).map_or(-1, |i| len(&s[..i]))),
                "matches" => Val::Bool(java_matches(s, t)?),
                _ => {
                    if t.chars().any(|c| "\\[](){}.*+?^$|".contains(c)) {
                        return unsupported("split() with a regular expression");
                    }
                    let mut parts: Vec<Val> = s.split(t).map(|p| Val::Str(p.to_string())).collect();
                    while parts.last() == Some(&Val::Str(String::new())) {
                        parts.pop();
                    }
                    Val::List(std::rc::Rc::new(parts))
                }
            }
        }
        ("replace", 2) => match (arg(0)?, arg(1)?) {
            (Some(_), Some(b)) if s.len().saturating_mul(b.len().max(1)) > MAX_TEXT => {
                return unsupported("a replace() whose result may pass 1 MiB")
            }
            (Some(a), Some(b)) => Val::Str(s.replace(a, b)),
            _ => return failed("NullPointerException in replace()"),
        },
        ("substring", 1) => substring(s, int_arg(args, 0)?, None)?,
        ("substring", 2) => substring(s, int_arg(args, 0)?, Some(int_arg(args, 1)?))?,
        _ => return unsupported(format!("the method .{name}() of a string")),
    })
}

fn binary(op: Op, a: &Val, b: &Val) -> Result<Val> {
    use Op::{Add, Div, Eq, Ge, Gt, Le, Lt, Mod, Mul, Ne, Sub};
    Ok(match op {
        Eq | Ne => {
            if *a == Val::Null || *b == Val::Null {
                // Velocity 1.7: two nulls are equal; one null side is unequal (and logged).
                let equal = *a == *b;
                return Ok(Val::Bool(equal == (op == Eq)));
            }
            let equal = match (a, b) {
                (Val::Int(x), Val::Int(y)) => x == y,
                (Val::Str(x), Val::Str(y)) => x == y,
                (Val::Bool(x), Val::Bool(y)) => x == y,
                (Val::List(_) | Val::Map(_), _) | (_, Val::List(_) | Val::Map(_)) if a == b => true,
                // Different classes: Velocity compares their toString().
                _ => a.text()? == b.text()?,
            };
            Val::Bool(equal == (op == Eq))
        }
        Add if matches!((a, b), (Val::Str(_), _) | (_, Val::Str(_))) => {
            return unsupported("`+` on strings");
        }
        Lt | Gt | Le | Ge | Add | Sub | Mul | Div | Mod => {
            let (Val::Int(x), Val::Int(y)) = (a, b) else {
                if *a == Val::Null || *b == Val::Null {
                    return Ok(if matches!(op, Lt | Gt | Le | Ge) {
                        Val::Bool(false)
                    } else {
                        Val::Null
                    });
                }
                return unsupported("arithmetic or a comparison on values that are not numbers");
            };
            match op {
                Lt => Val::Bool(x < y),
                Gt => Val::Bool(x > y),
                Le => Val::Bool(x <= y),
                Ge => Val::Bool(x >= y),
                Add => Val::Int(x.saturating_add(*y)),
                Sub => Val::Int(x.saturating_sub(*y)),
                Mul => Val::Int(x.saturating_mul(*y)),
                Div | Mod if *y == 0 => Val::Null,
                Div => x.checked_div(*y).map_or(Val::Null, Val::Int),
                _ => x.checked_rem(*y).map_or(Val::Null, Val::Int),
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> Input {
        Input {
            headers: pairs
                .iter()
                .map(|(n, v)| ((*n).to_string(), (*v).to_string()))
                .collect(),
            ..Input::default()
        }
    }

    #[test]
    fn overrides_and_conditions() {
        let template = "#set($o = $input.params().header.get('Origin'))\n#if($o == 'https://a.example' || $o.matches('https://.*[.]b[.]example'))\n#set($context.responseOverride.header.Access-Control-Allow-Origin = $o)\n#else\n#set($context.responseOverride.status = 403)\n#end\n{}";
        let yes = render(template, &headers(&[("Origin", "https://x.b.example")])).unwrap();
        assert_eq!(
            yes.headers,
            vec![(
                "Access-Control-Allow-Origin".to_string(),
                "https://x.b.example".to_string()
            )]
        );
        let no = render(template, &headers(&[("Origin", "https://c.example")])).unwrap();
        assert_eq!(no.status.as_deref(), Some("403"));
        assert!(no.headers.is_empty());
        // No Origin: the #set of a null leaves $o undefined, and `==` with null is false.
        let none = render(template, &headers(&[])).unwrap();
        assert_eq!(none.status.as_deref(), Some("403"));
    }

    #[test]
    fn deep_nesting_is_not_evaluated_rather_than_a_stack_overflow() {
        for deep in [
            format!("#set($x = {}1{})", "(".repeat(100_000), ")".repeat(100_000)),
            "#if(true)".repeat(100_000),
            format!("#set($x = {}true)", "!".repeat(100_000)),
            format!("#set($x = {}1{})", "[".repeat(100_000), "]".repeat(100_000)),
        ] {
            assert!(
                matches!(
                    render(&deep, &Input::default()),
                    Err(VtlError::Unsupported(_))
                ),
                "{}",
                &deep[..20]
            );
        }
    }

    #[test]
    fn arithmetic_at_the_edges_of_i64_and_runaway_work_never_panic() {
        let min = "-9223372036854775808";
        let run = |t: &str| render(t, &Input::default());
        // Overflowing division leaves the variable unset, as a null does.
        assert_eq!(run(&format!("#set($x = {min} / -1)$x")).unwrap().text, "$x");
        assert_eq!(run(&format!("#set($x = {min} % -1)$x")).unwrap().text, "$x");
        assert!(matches!(
            run(&format!("#set($m = {min})#set($x = -$m)$x")),
            Err(VtlError::Failed(_))
        ));
        for runaway in [
            format!("#foreach($i in [{min}..9223372036854775807])#end"),
            format!("#set($x = 1{})", "+1".repeat(20_000)),
            format!("#if(false{})#end", " || false".repeat(20_000)),
            "#set($s = 'aaaaaaaa')#foreach($i in [1..40])#set($s = \"$s$s\")#end".to_string(),
            "#foreach($i in [1..10000])#foreach($j in [1..10000])#end#end".to_string(),
        ] {
            assert!(
                matches!(run(&runaway), Err(VtlError::Unsupported(_))),
                "{}",
                &runaway[..30]
            );
        }
    }

    #[test]
    fn undefined_references_render_as_written_unless_quiet() {
        let out = render("a $x b $!x c ${y.z}", &Input::default()).unwrap();
        assert_eq!(out.text, "a $x b  c ${y.z}");
    }

    #[test]
    fn an_override_set_twice_fails_and_unknown_constructs_are_not_guessed() {
        let twice = "#set($context.responseOverride.status = 200)#set($context.responseOverride.status = 204)";
        assert!(matches!(
            render(twice, &Input::default()),
            Err(VtlError::Failed(_))
        ));
        assert!(matches!(
            render("#macro(x)#end", &Input::default()),
            Err(VtlError::Unsupported(_))
        ));
        assert!(matches!(
            render("$context.identity.sourceIp", &Input::default()),
            Err(VtlError::Unsupported(_))
        ));
    }
}
