//! Templates compiled ahead of time. Handlebars' parser spends about 110 ns a byte plus a cost
//! that grows with the square of a template's length (every element computes its line and
//! column from the start of the text), so parsing the 40 KB of templates took most of a run.
//! `compiled.rs` is generated from `templates/` by `scripts/update.sh` (the generator is the
//! test `tests/integration/templates.rs`, which also proves every precompiled template equal
//! to its source compiled by handlebars itself); it builds the same template trees with the
//! constructors below, without parsing.
//!
//! A template whose source no longer matches the digest `compiled.rs` recorded (edited since the
//! last update) is compiled from its source as before: a stale file costs time, never output.

use std::collections::HashMap;

use anyhow::Context as _;
use handlebars::template::{
    DecoratorTemplate, ExpressionSpecBuilder, HelperTemplate, Parameter, Subexpression, Template,
    TemplateElement,
};
use handlebars::Path;

#[rustfmt::skip]
#[path = "compiled.rs"]
mod compiled;

type R<T> = anyhow::Result<T>;

/// How a precompiled template is built.
type Build = fn() -> R<Template>;

/// The FNV-1a digest of a template's source (`compiled.rs` records it; a template is used only
/// for the source it was built from). About 40 µs for all the embedded sources.
#[must_use]
pub const fn digest(source: &str) -> u64 {
    let bytes = source.as_bytes();
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut i = 0;
    while i < bytes.len() {
        hash ^= bytes[i] as u64;
        hash = hash.wrapping_mul(0x0100_0000_01b3);
        i += 1;
    }
    hash
}

/// The precompiled template `name`, when `compiled.rs` holds one for exactly this `source`.
///
/// # Errors
/// Only on a bug: a precompiled path or literal that handlebars does not accept.
pub(super) fn template(name: &str, source: &str) -> R<Option<Template>> {
    match compiled::template(name) {
        Some((recorded, build)) if recorded == digest(source) => build().map(Some),
        _ => Ok(None),
    }
}

/// A template of `elements`.
fn template_of(name: Option<&str>, elements: Vec<TemplateElement>) -> Template {
    let mut template = Template::new();
    template.name = name.map(str::to_string);
    template.elements = elements;
    template
}

/// Literal text.
fn raw(text: &str) -> TemplateElement {
    TemplateElement::RawString(text.to_string())
}

/// A helper's name.
fn name(text: &str) -> Parameter {
    Parameter::Name(text.to_string())
}

/// A path (`header.lines`, `@last`, `../x`).
fn path(raw: &str) -> R<Parameter> {
    Ok(Parameter::Path(Path::parse(raw).with_context(|| {
        format!("bug: precompiled path {raw:?}")
    })?))
}

/// A literal (`"lit"`, `true`, `0`).
fn literal(json: &str) -> R<Parameter> {
    Ok(Parameter::Literal(
        serde_json::from_str(json).with_context(|| format!("bug: precompiled literal {json:?}"))?,
    ))
}

/// `(helper params hash=…)`.
fn subexpression(
    name: Parameter,
    params: Vec<Parameter>,
    hash: Vec<(&str, Parameter)>,
) -> Parameter {
    Parameter::Subexpression(Subexpression::new(name, params, map(hash)))
}

fn map(hash: Vec<(&str, Parameter)>) -> HashMap<String, Parameter> {
    hash.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
}

/// What every expression and block starts from. (No template uses block parameters,
/// `as |x|`; the generator refuses them until this takes them.)
fn spec(
    name: Parameter,
    params: Vec<Parameter>,
    hash: Vec<(&str, Parameter)>,
) -> R<handlebars::template::ExpressionSpec> {
    ExpressionSpecBuilder::default()
        .name(name)
        .params(params)
        .hash(map(hash))
        .omit_pre_ws(false)
        .omit_pro_ws(false)
        .build()
        .context("bug: a precompiled expression")
}

/// The flags of a helper: a block, a chained `else if`, indented before it writes.
#[derive(Clone, Copy)]
struct Flags {
    block: bool,
    chain: bool,
    indent: bool,
}

/// `{{name params}}` or `{{#name params}}…{{else}}…{{/name}}`.
fn helper(
    name: Parameter,
    params: Vec<Parameter>,
    hash: Vec<(&str, Parameter)>,
    flags: Flags,
    template: Option<Template>,
    inverse: Option<Template>,
) -> R<Box<HelperTemplate>> {
    let mut helper = HelperTemplate::new(spec(name, params, hash)?, flags.block, flags.indent);
    helper.chain = flags.chain;
    helper.template = template;
    helper.inverse = inverse;
    Ok(Box::new(helper))
}

/// `{{> partial}}` and decorators.
fn decorator(
    name: Parameter,
    params: Vec<Parameter>,
    hash: Vec<(&str, Parameter)>,
    indent_before_write: bool,
    template: Option<Template>,
    indent: Option<&str>,
) -> R<Box<DecoratorTemplate>> {
    let mut decorator = DecoratorTemplate::new(spec(name, params, hash)?, indent_before_write);
    decorator.template = template;
    decorator.indent = indent.map(str::to_string);
    Ok(Box::new(decorator))
}
