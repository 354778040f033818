//! The precompiled templates (`src/render/compiled.rs`): generated here from `templates/`, and
//! proven equal, element for element, to what handlebars compiles from each source.
//! `CORSGEN_UPDATE=1` (or `scripts/update.sh`) rewrites the file.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use handlebars::template::{
    DecoratorTemplate, HelperTemplate, Parameter, Template, TemplateElement,
};
use handlebars::Path;

use crate::support::root;

/// Every template corsgen registers: each target's files and what they embed.
fn sources() -> BTreeMap<&'static str, &'static str> {
    corsgen::targets::REGISTRY
        .iter()
        .flat_map(|t| {
            t.files
                .iter()
                .filter_map(|f| Some((f.path, f.source?)))
                .chain(t.embedded.iter().copied())
        })
        .collect()
}

/// Whether `debug` (a helper or decorator printed with `{:?}`, its templates removed) says
/// `indent_before_write: true`: the field is not public, and it is the last one printed.
fn indent_flag(debug: &str) -> bool {
    debug
        .rfind("indent_before_write: ")
        .is_some_and(|at| debug[at..].starts_with("indent_before_write: true"))
}

fn template(t: &Template) -> String {
    let elements: Vec<String> = t.elements.iter().map(element).collect();
    format!(
        "template_of({:?}, vec![{}])",
        t.name.as_deref(),
        elements.join(", ")
    )
}

fn optional(t: &Option<Template>) -> String {
    t.as_ref()
        .map_or_else(|| "None".to_string(), |t| format!("Some({})", template(t)))
}

fn element(e: &TemplateElement) -> String {
    match e {
        TemplateElement::RawString(text) => format!("raw({text:?})"),
        TemplateElement::Expression(h) => format!("TemplateElement::Expression({}?)", helper(h)),
        TemplateElement::HtmlExpression(h) => {
            format!("TemplateElement::HtmlExpression({}?)", helper(h))
        }
        TemplateElement::HelperBlock(h) => format!("TemplateElement::HelperBlock({}?)", helper(h)),
        TemplateElement::PartialExpression(d) => {
            format!("TemplateElement::PartialExpression({}?)", decorator(d))
        }
        TemplateElement::PartialBlock(d) => {
            format!("TemplateElement::PartialBlock({}?)", decorator(d))
        }
        TemplateElement::DecoratorExpression(d) => {
            format!("TemplateElement::DecoratorExpression({}?)", decorator(d))
        }
        TemplateElement::DecoratorBlock(d) => {
            format!("TemplateElement::DecoratorBlock({}?)", decorator(d))
        }
        other => panic!(
            "the generator does not know {other:?}: teach src/render/precompiled.rs and this generator first"
        ),
    }
}

fn params(list: &[Parameter]) -> String {
    list.iter().map(parameter).collect::<Vec<_>>().join(", ")
}

fn hash(map: &std::collections::HashMap<String, Parameter>) -> String {
    let sorted: BTreeMap<&String, &Parameter> = map.iter().collect();
    sorted
        .iter()
        .map(|(k, v)| format!("({k:?}, {})", parameter(v)))
        .collect::<Vec<_>>()
        .join(", ")
}

fn parameter(p: &Parameter) -> String {
    match p {
        Parameter::Name(name) => format!("name({name:?})"),
        Parameter::Path(Path::Relative((_, raw)) | Path::Local((_, _, raw))) => {
            format!("path({raw:?})?")
        }
        Parameter::Literal(value) => format!("literal({:?})?", value.to_string()),
        Parameter::Subexpression(sub) => match sub.element.as_ref() {
            TemplateElement::Expression(h)
                if h.template.is_none() && h.inverse.is_none() && h.block_param.is_none() =>
            {
                format!(
                    "subexpression({}, vec![{}], vec![{}])",
                    parameter(&h.name),
                    params(&h.params),
                    hash(&h.hash)
                )
            }
            other => panic!("the generator does not know the subexpression {other:?}"),
        },
        other => panic!("the generator does not know {other:?}"),
    }
}

fn helper(h: &HelperTemplate) -> String {
    assert!(
        h.block_param.is_none(),
        "block parameters (`as |x|`): teach src/render/precompiled.rs and this generator first"
    );
    let mut bare = h.clone();
    bare.template = None;
    bare.inverse = None;
    format!(
        "helper({}, vec![{}], vec![{}], Flags {{ block: {}, chain: {}, indent: {} }}, {}, {})",
        parameter(&h.name),
        params(&h.params),
        hash(&h.hash),
        h.block,
        h.chain,
        indent_flag(&format!("{bare:?}")),
        optional(&h.template),
        optional(&h.inverse),
    )
}

fn decorator(d: &DecoratorTemplate) -> String {
    let mut bare = d.clone();
    bare.template = None;
    format!(
        "decorator({}, vec![{}], vec![{}], {}, {}, {:?})",
        parameter(&d.name),
        params(&d.params),
        hash(&d.hash),
        indent_flag(&format!("{bare:?}")),
        optional(&d.template),
        d.indent.as_deref(),
    )
}

/// The text of `src/render/compiled.rs`: one top-level element a line (rustfmt leaves the file
/// alone, so the text depends on nothing but the templates and this generator).
fn generate() -> String {
    let mut out = String::from(
        "//! @generated by scripts/update.sh from templates/ (tests/integration/templates.rs); do not edit.\n\n\
         use handlebars::template::{Template, TemplateElement};\n\n\
         use super::{\n    decorator, helper, literal, name, path, raw, subexpression, template_of, Build, Flags, R,\n};\n\n\
         /// The digest of the source each template was built from, and how to build it.\n\
         pub(super) fn template(name: &str) -> Option<(u64, Build)> {\n    Some(match name {\n",
    );
    let sources = sources();
    for (index, (name, source)) in sources.iter().enumerate() {
        let _ = writeln!(
            out,
            "        {name:?} => ({:#018x}, t{index}),",
            corsgen::render::digest(source)
        );
    }
    out.push_str("        _ => return None,\n    })\n}\n");
    for (index, (name, source)) in sources.iter().enumerate() {
        let compiled = Template::compile_with_name(*source, (*name).to_string())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let _ = write!(
            out,
            "\n/// `{name}`\nfn t{index}() -> R<Template> {{\n    Ok(template_of(\n        {:?},\n        vec![\n",
            compiled.name.as_deref()
        );
        for e in &compiled.elements {
            let _ = writeln!(out, "            {},", element(e));
        }
        out.push_str("        ],\n    ))\n}\n");
    }
    out
}

/// Clears the line/column mapping of `t` and every template in it: the precompiled templates
/// carry none (it only decorates render errors, which are corsgen bugs).
fn without_mapping(t: &mut Template) {
    t.mapping.clear();
    for e in &mut t.elements {
        match e {
            TemplateElement::Expression(h)
            | TemplateElement::HtmlExpression(h)
            | TemplateElement::HelperBlock(h) => {
                for inner in [&mut h.template, &mut h.inverse].into_iter().flatten() {
                    without_mapping(inner);
                }
            }
            TemplateElement::PartialExpression(d)
            | TemplateElement::PartialBlock(d)
            | TemplateElement::DecoratorExpression(d)
            | TemplateElement::DecoratorBlock(d) => {
                if let Some(inner) = &mut d.template {
                    without_mapping(inner);
                }
            }
            _ => {}
        }
    }
}

#[test]
fn precompiled_templates_are_current_and_equal_to_their_sources_compiled() {
    let path = root().join("src/render/compiled.rs");
    let generated = generate();
    if crate::support::updating("UPDATE_TEMPLATES") {
        // This binary was built from the previous file: the next run checks the new one.
        std::fs::write(&path, &generated).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap();
    assert!(
        committed == generated,
        "src/render/compiled.rs is not generated from today's templates: run scripts/update.sh"
    );
    for (name, source) in sources() {
        let mut compiled = Template::compile_with_name(source, name.to_string()).unwrap();
        without_mapping(&mut compiled);
        let built = corsgen::render::precompiled(name, source)
            .unwrap()
            .unwrap_or_else(|| panic!("{name} is not precompiled"));
        assert_eq!(built, compiled, "{name}");
    }
    // A source edited since the file was generated is compiled from its text instead.
    let (name, source) = sources().into_iter().next().unwrap();
    let edited = format!("{source}\n");
    assert!(corsgen::render::precompiled(name, &edited)
        .unwrap()
        .is_none());
}
