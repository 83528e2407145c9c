//! Evaluating one `terragrunt.hcl` with the files it includes: `locals`
//! (lazily, in dependency order, cycles named), `include` blocks (`path`,
//! `expose`, `merge_strategy`), `inputs`, `dependency` blocks, `skip` and
//! `terraform { source }`.
//!
//! Each file is a [`Frame`]: its own locals, its own includes, the line
//! being evaluated (for coverage). Expressions are evaluated by the
//! Terraform source's evaluator, with [`At`] as the resolver of names
//! (`local`, `include`, `dependency`) and of Terragrunt's functions
//! ([`super::functions`]); Terraform's built-ins come with the evaluator.
//!
//! This file holds the frames, includes, locals, inputs and the resolver;
//! `blocks` the other blocks of a configuration (`terraform`, `generate`,
//! `skip`, what is not read), `dependency` the `dependency` blocks.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use hcl::expr::{Expression, ObjectKey, TraversalOperator};

mod blocks;
mod dependency;
mod exclude;
mod stack;
mod state;

pub(crate) use blocks::{ExtraArguments, Generate, Source};
pub(crate) use dependency::Dep;
pub(crate) use exclude::exclusion;
pub(crate) use stack::{entries, STACK_DIR, STACK_FILE};
pub(crate) use state::{unit_state, StatePath};

use super::merge::{self, Strategy};
use super::{Run, TgError};
use crate::model::{Location, Value};
use crate::sources::terraform::eval::{expr_text, EvalErr, Resolved, Resolver, Scope};
use crate::sources::terraform::{files, parse};

type R<T> = Result<T, EvalErr>;

/// A configuration file, parsed, with its text (for the lines of keys
/// inside `inputs = { ... }`, which the expression tree does not keep).
#[derive(Debug)]
pub(crate) struct Parsed {
    pub(crate) file: parse::File,
    text: String,
    /// The directory holding it.
    pub(crate) dir: PathBuf,
}

impl Parsed {
    pub(crate) fn new(file: parse::File, text: String, path: &Path) -> Self {
        Parsed {
            file,
            text,
            dir: path.parent().map(Path::to_path_buf).unwrap_or_default(),
        }
    }

    /// Whether the file's text contains `word` (a function it may call).
    pub(crate) fn mentions(&self, word: &str) -> bool {
        self.text.contains(word)
    }

    pub(crate) fn shown(&self) -> &str {
        &self.file.display
    }

    fn at(&self, line: u32) -> String {
        format!("{}:{line}", self.file.display)
    }

    /// The line of `key = ...` inside the object whose attribute starts
    /// at line `from`: the first line at the object's own level (not inside
    /// a nested object or list) that starts with the key (bare or quoted)
    /// followed by `=` or `:`; `from` when none does. Brackets are counted
    /// outside quoted strings; the object ends where its level closes.
    fn key_line(&self, from: u32, key: &str) -> u32 {
        let quoted = format!("\"{key}\"");
        // Depth after the attribute's own line (its `{` opens level 1).
        let mut lines = self.text.lines().enumerate().skip(from as usize - 1);
        let mut depth = match lines.next() {
            Some((_, first)) => bracket_delta(first),
            None => return from,
        };
        for (i, line) in lines {
            if depth <= 0 {
                break;
            }
            if depth == 1 {
                let t = line.trim_start();
                if let Some(rest) = t.strip_prefix(key).or_else(|| t.strip_prefix(&quoted)) {
                    let rest = rest.trim_start();
                    if rest.starts_with('=') || rest.starts_with(':') {
                        return i as u32 + 1;
                    }
                }
            }
            depth += bracket_delta(line);
        }
        from
    }
}

/// Opening minus closing brackets of one line, outside quoted strings
/// (`${` opens an interpolation inside one, closed by its `}`) and
/// comments.
fn bracket_delta(line: &str) -> i32 {
    let mut delta = 0;
    let mut in_string = false;
    // The depth at which each open interpolation started.
    let mut interpolations: Vec<i32> = Vec::new();
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        if in_string {
            match c {
                '\\' => {
                    chars.next();
                }
                '"' => in_string = false,
                '$' if chars.peek() == Some(&'{') => {
                    chars.next();
                    interpolations.push(delta);
                    in_string = false;
                }
                _ => {}
            }
            continue;
        }
        match c {
            '"' => in_string = true,
            '}' if interpolations.last() == Some(&delta) => {
                interpolations.pop();
                in_string = true;
            }
            '#' => break,
            '/' if chars.peek() == Some(&'/') => break,
            '{' | '[' | '(' => delta += 1,
            '}' | ']' | ')' => delta -= 1,
            _ => {}
        }
    }
    delta
}

#[derive(Debug, Clone)]
struct IncludeRef {
    label: String,
    frame: usize,
    expose: bool,
    strategy: Strategy,
}

/// One file of a unit's configuration.
struct Frame {
    parsed: Rc<Parsed>,
    /// Read through an `include` block (not the unit itself, nor a file of
    /// `read_terragrunt_config`).
    included: bool,
    includes: RefCell<Vec<IncludeRef>>,
    /// False while the include paths are evaluated: locals are not
    /// available there (Terragrunt reads includes first).
    ready: Cell<bool>,
    locals: RefCell<BTreeMap<String, Value>>,
    evaluating: RefCell<Vec<String>>,
    inputs: RefCell<Option<Rc<merge::Inputs>>>,
    /// The line being evaluated, for coverage.
    line: Cell<u32>,
}

/// One unit's configuration, evaluated and merged.
#[derive(Debug)]
pub(crate) struct Unit {
    /// Its `extra_arguments` and those it merges (the child's wins by
    /// label), in label order.
    pub(crate) extra_arguments: Vec<ExtraArguments>,
    /// Its `generate` blocks and those it merges (the child's wins by
    /// label), the ones that write `*.tf` / `*.tf.json` only.
    pub(crate) generate: Vec<Generate>,
    /// By variable name: the value and the line of the input that set it.
    pub(crate) inputs: merge::Inputs,
    pub(crate) source: Source,
    /// The line of `skip = true`, when the unit is skipped.
    pub(crate) skip: Option<u32>,
    /// Where its `local` backend keeps its state (`remote_state`).
    pub(crate) state: Option<StatePath>,
}

/// The evaluation of one unit (or one `read_terragrunt_config` file).
pub(crate) struct Eval<'r, 'o> {
    pub(crate) run: &'r Run<'o>,
    /// `get_terragrunt_dir()`.
    pub(crate) dir: PathBuf,
    /// `get_original_terragrunt_dir()`.
    pub(crate) original: PathBuf,
    frames: RefCell<Vec<Rc<Frame>>>,
    deps: RefCell<Option<Rc<BTreeMap<String, Dep>>>>,
    merging_deps: Cell<bool>,
}

/// Evaluate the unit whose configuration is `file`.
pub(crate) fn evaluate_unit(run: &Run, file: &Path) -> Result<Unit, TgError> {
    let dir = file.parent().map(Path::to_path_buf).unwrap_or_default();
    let ev = Eval::new(run, dir.clone(), dir);
    ev.build(file, false, &mut Vec::new())?;
    ev.check_unsupported();
    let fatal = |e: EvalErr| TgError::Eval(e.to_string());
    let skip = ev.skip().map_err(fatal)?;
    let state = ev.state_path().map_err(fatal)?;
    let source = ev.source().map_err(fatal)?;
    let inputs = ev.inputs(0).map_err(fatal)?;
    let mut generate = BTreeMap::new();
    ev.generates(0, &mut generate).map_err(fatal)?;
    let mut extra = BTreeMap::new();
    ev.extra_arguments(0, &mut extra).map_err(fatal)?;
    Ok(Unit {
        extra_arguments: extra.into_values().collect(),
        generate: generate.into_values().collect(),
        inputs: (*inputs).clone(),
        source,
        skip,
        state,
    })
}

/// `read_terragrunt_config(path)`: the file's `locals` and `inputs`, as a
/// map, evaluated with its own directory as `get_terragrunt_dir()`.
pub(crate) fn read_config(run: &Run, path: &Path, original: &Path) -> R<Value> {
    let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let ev = Eval::new(run, dir, original.to_path_buf());
    ev.build(path, false, &mut Vec::new())
        .map_err(|e| EvalErr::Fatal(e.to_string()))?;
    ev.check_unsupported();
    ev.exposed(0)
}

impl<'r, 'o> Eval<'r, 'o> {
    fn new(run: &'r Run<'o>, dir: PathBuf, original: PathBuf) -> Self {
        Eval {
            run,
            dir,
            original,
            frames: RefCell::default(),
            deps: RefCell::default(),
            merging_deps: Cell::new(false),
        }
    }

    fn frame(&self, i: usize) -> Rc<Frame> {
        // Indices come from `build`, which pushed the frame first.
        self.frames.borrow()[i].clone()
    }

    /// The file:line being evaluated in frame `i`.
    pub(crate) fn here(&self, i: usize) -> String {
        let f = self.frame(i);
        f.parsed.at(f.line.get())
    }

    /// Parse `path` and the files it includes, recursively; returns its
    /// frame's index. `chain` holds the files including it (cycles).
    fn build(
        &self,
        path: &Path,
        included: bool,
        chain: &mut Vec<PathBuf>,
    ) -> Result<usize, TgError> {
        let parsed = self.run.parse(path)?;
        let index = self.frames.borrow().len();
        self.frames.borrow_mut().push(Rc::new(Frame {
            parsed: parsed.clone(),
            included,
            includes: RefCell::default(),
            ready: Cell::new(false),
            locals: RefCell::default(),
            evaluating: RefCell::default(),
            inputs: RefCell::default(),
            line: Cell::new(0),
        }));
        chain.push(files::lexical(path));
        if chain.len() > super::MAX_INCLUDE_DEPTH {
            let names: Vec<String> = chain.iter().map(|p| self.run.show(p)).collect();
            return Err(TgError::Eval(format!(
                "{}: includes nest more than {} deep: {}",
                parsed.shown(),
                super::MAX_INCLUDE_DEPTH,
                names.join(" -> ")
            )));
        }
        for block in parsed.file.body.blocks("include") {
            let at = parsed.at(block.line);
            let label = block.labels.first().cloned().unwrap_or_default();
            let Some(attr) = block.body.attribute("path") else {
                return Err(TgError::Eval(format!("{at}: include block without `path`")));
            };
            let target = match self.eval(index, &attr.expr, attr.line) {
                Ok(Value::String(s)) => s,
                Ok(other) => {
                    return Err(TgError::Eval(format!(
                        "{}: include `{label}`: path must be a known string, found {}",
                        parsed.at(attr.line),
                        other.display()
                    )))
                }
                // Already located.
                Err(EvalErr::Fatal(m) | EvalErr::Limit(m)) => return Err(TgError::Eval(m)),
                Err(e) => {
                    return Err(TgError::Eval(format!(
                        "{}: include `{label}`: {e}",
                        parsed.at(attr.line)
                    )))
                }
            };
            let target = files::lexical(&parsed.dir.join(target));
            if !target.is_file() {
                return Err(TgError::MissingInclude {
                    location: parsed.at(attr.line),
                    path: self.run.show(&target),
                });
            }
            if chain.contains(&target) {
                let mut names: Vec<String> = chain.iter().map(|p| self.run.show(p)).collect();
                names.push(self.run.show(&target));
                return Err(TgError::IncludeCycle {
                    location: parsed.at(attr.line),
                    chain: names.join(" -> "),
                });
            }
            let expose = self.flag(index, &block.body, "expose")?;
            let strategy = match block.body.attribute("merge_strategy") {
                None => Strategy::Shallow,
                Some(a) => match self.eval(index, &a.expr, a.line) {
                    Ok(Value::String(s)) => Strategy::parse(&s).ok_or_else(|| {
                        TgError::Eval(format!(
                            "{}: merge_strategy `{s}`: expected no_merge, shallow or deep",
                            parsed.at(a.line)
                        ))
                    })?,
                    _ => {
                        return Err(TgError::Eval(format!(
                            "{}: merge_strategy must be a known string",
                            parsed.at(a.line)
                        )))
                    }
                },
            };
            let child = self.build(&target, true, chain)?;
            self.frame(index).includes.borrow_mut().push(IncludeRef {
                label,
                frame: child,
                expose,
                strategy,
            });
        }
        chain.pop();
        self.frame(index).ready.set(true);
        Ok(index)
    }

    /// A boolean attribute of a block (false when absent).
    fn flag(&self, frame: usize, body: &parse::Body, name: &str) -> Result<bool, TgError> {
        let Some(a) = body.attribute(name) else {
            return Ok(false);
        };
        match self.eval(frame, &a.expr, a.line) {
            Ok(Value::Bool(b)) => Ok(b),
            _ => Err(TgError::Eval(format!(
                "{}: `{name}` must be a known boolean",
                self.frame(frame).parsed.at(a.line)
            ))),
        }
    }

    /// Evaluate `expr`, written at `line` of frame `frame`'s file.
    fn eval(&self, frame: usize, expr: &Expression, line: u32) -> R<Value> {
        let f = self.frame(frame);
        let before = f.line.replace(line);
        let at = At {
            ev: self,
            frame,
            file_dir: f.parsed.dir.clone(),
        };
        let result = Scope::new(&at).eval(expr);
        f.line.set(before);
        result
    }

    /// An evaluation's result where an unknown value will do: an error
    /// Terraform's evaluator calls soft, or a function neither Terraform
    /// nor Terragrunt has, becomes an unknown value and a coverage gap.
    fn settle(
        &self,
        frame: usize,
        result: R<Value>,
        line: u32,
        what: &str,
        text: &str,
    ) -> R<Value> {
        let at = self.frame(frame).parsed.at(line);
        match result {
            Ok(v) => Ok(v),
            Err(EvalErr::Soft(m)) => {
                self.run
                    .gap(at, format!("{what}: {m}: compared as unknown"));
                Ok(Value::Unknown(text.to_string()))
            }
            Err(EvalErr::UnknownFunction(n)) => {
                self.run.gap(
                    at,
                    format!("{what}: function `{n}` is not supported: compared as unknown"),
                );
                Ok(Value::Unknown(text.to_string()))
            }
            Err(e) => Err(e),
        }
    }

    /// `local.<name>` of frame `frame`, evaluated once.
    fn local(&self, frame: usize, name: &str) -> R<Value> {
        let f = self.frame(frame);
        if !f.ready.get() {
            return Err(EvalErr::Soft(
                "locals cannot be used in an include block (Terragrunt reads includes first)"
                    .into(),
            ));
        }
        if let Some(v) = f.locals.borrow().get(name) {
            return Ok(v.clone());
        }
        let attr = f
            .parsed
            .file
            .body
            .blocks("locals")
            .flat_map(|b| b.body.attributes.iter())
            .filter(|a| a.name == name)
            .last();
        let Some(attr) = attr else {
            return Err(EvalErr::Soft(format!(
                "no local `{name}` in {}",
                f.parsed.shown()
            )));
        };
        if super::too_deep() {
            return Err(EvalErr::Fatal(format!(
                "{}: references nested too deep (a chain of locals longer than parity evaluates)",
                f.parsed.at(attr.line)
            )));
        }
        if f.evaluating.borrow().iter().any(|n| n == name) {
            let mut chain = f.evaluating.borrow().clone();
            chain.push(name.to_string());
            return Err(EvalErr::Fatal(format!(
                "{}: locals refer to each other in a cycle: {}",
                f.parsed.at(attr.line),
                chain.join(" -> ")
            )));
        }
        f.evaluating.borrow_mut().push(name.to_string());
        let result = self.eval(frame, &attr.expr, attr.line);
        f.evaluating.borrow_mut().pop();
        let value = self.settle(
            frame,
            result,
            attr.line,
            &format!("local `{name}`"),
            &format!("local.{name}"),
        )?;
        f.locals
            .borrow_mut()
            .insert(name.to_string(), value.clone());
        Ok(value)
    }

    /// Every local of frame `frame`.
    fn all_locals(&self, frame: usize) -> R<crate::model::Map> {
        let f = self.frame(frame);
        let names: Vec<String> = f
            .parsed
            .file
            .body
            .blocks("locals")
            .flat_map(|b| b.body.attributes.iter().map(|a| a.name.clone()))
            .collect();
        let mut out = crate::model::Map::new();
        for name in names {
            let v = self.local(frame, &name)?;
            out.insert(name, v);
        }
        Ok(out)
    }

    /// What `include.<label>` (with `expose = true`) and
    /// `read_terragrunt_config` give: `{ locals, inputs }`.
    fn exposed(&self, frame: usize) -> R<Value> {
        let mut out = crate::model::Map::new();
        out.insert("locals".into(), Value::Map(self.all_locals(frame)?));
        let inputs = self.inputs(frame)?;
        out.insert(
            "inputs".into(),
            Value::Map(
                inputs
                    .iter()
                    .map(|(k, (v, _))| (k.clone(), v.clone()))
                    .collect(),
            ),
        );
        Ok(Value::Map(out))
    }

    /// The inputs of frame `frame` with those of the files it includes,
    /// merged as each include's `merge_strategy` says.
    fn inputs(&self, frame: usize) -> R<Rc<merge::Inputs>> {
        let f = self.frame(frame);
        if let Some(done) = f.inputs.borrow().as_ref() {
            return Ok(done.clone());
        }
        let mut merged = self.own_inputs(frame)?;
        let includes = f.includes.borrow().clone();
        for inc in includes {
            if inc.strategy == Strategy::NoMerge {
                continue;
            }
            let parent = self.inputs(inc.frame)?;
            merged = merge::inputs(&parent, merged, inc.strategy);
        }
        let merged = Rc::new(merged);
        *f.inputs.borrow_mut() = Some(merged.clone());
        Ok(merged)
    }

    /// The `inputs` this file writes itself, each key with its line.
    fn own_inputs(&self, frame: usize) -> R<merge::Inputs> {
        let f = self.frame(frame);
        let mut out = merge::Inputs::new();
        let Some(attr) = f.parsed.file.body.attribute("inputs") else {
            return Ok(out);
        };
        let shown: std::sync::Arc<str> = f.parsed.shown().into();
        if let Expression::Object(object) = &attr.expr {
            for (key, expr) in object.iter() {
                let name = match key {
                    ObjectKey::Identifier(id) => id.as_str().to_string(),
                    ObjectKey::Expression(e) => {
                        match self.eval(frame, e, attr.line) {
                            Ok(Value::String(s)) => s,
                            _ => {
                                self.run.gap(
                                f.parsed.at(attr.line),
                                format!("an input named by `{}` is not known statically: not compared", expr_text(e)),
                            );
                                continue;
                            }
                        }
                    }
                    // hcl-rs's key kinds are non-exhaustive.
                    _ => {
                        self.run.gap(
                            f.parsed.at(attr.line),
                            "an input key parity cannot read: not compared",
                        );
                        continue;
                    }
                };
                let line = f.parsed.key_line(attr.line, &name);
                let result = self.eval(frame, expr, line);
                let value = self.settle(
                    frame,
                    result,
                    line,
                    &format!("input `{name}`"),
                    &format!("inputs.{name}"),
                )?;
                out.insert(name, (value, Location::new(shown.clone(), Some(line))));
            }
            return Ok(out);
        }
        let result = self.eval(frame, &attr.expr, attr.line);
        match self.settle(frame, result, attr.line, "inputs", "inputs")? {
            Value::Map(map) => {
                for (k, v) in map.iter() {
                    let line = f.parsed.key_line(attr.line, k);
                    out.insert(
                        k.clone(),
                        (v.clone(), Location::new(shown.clone(), Some(line))),
                    );
                }
            }
            Value::Null => {}
            Value::Unknown(_) => self.run.gap(
                f.parsed.at(attr.line),
                "inputs are not known statically: this file's inputs are not compared",
            ),
            other => {
                return Err(EvalErr::Fatal(format!(
                    "{}: inputs must be an object, found {}",
                    f.parsed.at(attr.line),
                    other.type_name()
                )))
            }
        }
        Ok(out)
    }

    /// The directory of the file included as `name` (the first include
    /// without a name); in an included file, its own directory.
    pub(crate) fn include_dir(&self, frame: usize, name: Option<&str>) -> Option<PathBuf> {
        let f = self.frame(frame);
        if f.included {
            return Some(f.parsed.dir.clone());
        }
        let includes = f.includes.borrow();
        let inc = match name {
            Some(n) => includes.iter().find(|i| i.label == n),
            None => includes.first(),
        }?;
        Some(self.frame(inc.frame).parsed.dir.clone())
    }
}

/// The name in the `i`-th operator (`.name` or `["name"]`).
fn attr(ops: &[TraversalOperator], i: usize) -> Option<&str> {
    match ops.get(i)? {
        TraversalOperator::GetAttr(id) => Some(id.as_str()),
        TraversalOperator::Index(Expression::String(s)) => Some(s.as_str()),
        _ => None,
    }
}

/// The resolver of one frame: names, the directory of `file()`, and
/// Terragrunt's functions.
pub(crate) struct At<'e, 'r, 'o> {
    pub(crate) ev: &'e Eval<'r, 'o>,
    pub(crate) frame: usize,
    /// The directory of the frame's file: Terraform's file functions
    /// (`file`, `templatefile`, ...) read relative to it, as Terragrunt's
    /// do in an included file.
    file_dir: PathBuf,
}

impl Resolver for At<'_, '_, '_> {
    fn resolve<'x>(
        &'x self,
        root: &str,
        ops: &[TraversalOperator],
    ) -> R<Option<(Resolved<'x>, usize)>> {
        match root {
            "local" => {
                let Some(name) = attr(ops, 0) else {
                    return Err(EvalErr::Soft("`local` must be followed by a name".into()));
                };
                Ok(Some((Resolved::Owned(self.ev.local(self.frame, name)?), 1)))
            }
            "include" => {
                let f = self.ev.frame(self.frame);
                // An include block without a label (Terragrunt's older
                // form) is exposed as `include` itself: `include.locals.x`.
                let bare = f.includes.borrow().iter().find(|i| i.label.is_empty()).cloned();
                if let Some(bare) = bare {
                    if !bare.expose {
                        return Err(EvalErr::Soft(
                            "the include is not exposed (`expose = true` makes include.locals and include.inputs readable)".into(),
                        ));
                    }
                    return Ok(Some((Resolved::Owned(self.ev.exposed(bare.frame)?), 0)));
                }
                let Some(label) = attr(ops, 0) else {
                    return Err(EvalErr::Soft("`include` must be followed by a label".into()));
                };
                let inc = f.includes.borrow().iter().find(|i| i.label == label).cloned();
                let Some(inc) = inc else {
                    return Err(EvalErr::Soft(format!(
                        "no include `{label}` in {}",
                        f.parsed.shown()
                    )));
                };
                if !inc.expose {
                    return Err(EvalErr::Soft(format!(
                        "include `{label}` is not exposed (`expose = true` makes include.{label}.locals and .inputs readable)"
                    )));
                }
                Ok(Some((Resolved::Owned(self.ev.exposed(inc.frame)?), 1)))
            }
            "values" => Ok(Some((Resolved::Owned(self.ev.values()?), 0))),
            "dependency" => {
                let Some(name) = attr(ops, 0) else {
                    return Err(EvalErr::Soft("`dependency` must be followed by a name".into()));
                };
                let (value, used) = self.ev.dependency(self.frame, name, &ops[1..])?;
                Ok(Some((Resolved::Owned(value), used)))
            }
            other => Err(EvalErr::Soft(format!(
                "unknown name `{other}` (a Terragrunt configuration has local, include, dependency and values)"
            ))),
        }
    }

    fn base_dir(&self) -> &Path {
        &self.file_dir
    }

    fn function(&self, name: &str, args: &[Value], whole: &Expression) -> Option<R<Value>> {
        super::functions::call(self, name, args, whole)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn input_keys_are_found_on_their_own_line() {
        let text = "locals {}\ninputs = {\n  a = 1\n  \"b-c\" = 2\n  ab = 3\n}\n";
        let path = Path::new("/x/terragrunt.hcl");
        let file = parse::parse_hcl(text, path, "x/terragrunt.hcl").expect("valid HCL");
        let p = Parsed::new(file, text.to_string(), path);
        assert_eq!(p.key_line(2, "a"), 3);
        // A key of a nested object is not the input of that name.
        let text = "inputs = {\n  tags = {\n    name = \"x-${var.y}\"\n  }\n  name = \"y\" # {\n}\nname = 1\n";
        let file = parse::parse_hcl(text, path, "x/terragrunt.hcl").expect("valid HCL");
        let p2 = Parsed::new(file, text.to_string(), path);
        assert_eq!(p2.key_line(1, "name"), 5);
        assert_eq!(p2.key_line(1, "tags"), 2);
        assert_eq!(bracket_delta("  a = \"{[(\" // )"), 0);
        assert_eq!(bracket_delta("  a = merge({"), 2);
        assert_eq!(bracket_delta("  x = { y = \"${var.z}\" }"), 0);
        assert_eq!(bracket_delta("  x = { y = \"${merge({a=1})}\""), 1);
        assert_eq!(p.key_line(2, "b-c"), 4);
        assert_eq!(p.key_line(2, "ab"), 5);
        // Not written in the object: the attribute's own line.
        assert_eq!(p.key_line(2, "zz"), 2);
    }
}
