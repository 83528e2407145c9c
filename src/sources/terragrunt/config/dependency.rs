//! `dependency` blocks: merged across includes (the child's wins by
//! name), and `dependency.<name>.outputs.<output>` read from the dependency
//! unit's own module when its outputs are known statically, else from the
//! dependency unit's state when configured (its `local` backend, or the
//! `states` directory of parity.toml). `mock_outputs` are never used as
//! values.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::rc::Rc;

use hcl::expr::TraversalOperator;

use super::{attr, Eval, R};
use crate::model::Value;
use crate::sources::terraform::eval::EvalErr;
use crate::sources::terraform::files;
use crate::sources::terragrunt::merge::Strategy;
use crate::sources::terragrunt::UnitOut;

/// A dependency block, after merging: where its unit is, and where the
/// block is.
#[derive(Debug, Clone)]
pub(crate) struct Dep {
    pub(crate) path: PathBuf,
    pub(crate) at: String,
}

impl<'r, 'o> Eval<'r, 'o> {
    /// The dependency blocks of the unit, merged across its includes.
    pub(super) fn deps(&self) -> R<Rc<BTreeMap<String, Dep>>> {
        if let Some(d) = self.deps.borrow().as_ref() {
            return Ok(d.clone());
        }
        if self.merging_deps.replace(true) {
            return Err(EvalErr::Soft(
                "a dependency's config_path cannot refer to a dependency".into(),
            ));
        }
        let result = self.frame_deps(0);
        self.merging_deps.set(false);
        let deps = Rc::new(result?);
        *self.deps.borrow_mut() = Some(deps.clone());
        Ok(deps)
    }

    pub(super) fn frame_deps(&self, frame: usize) -> R<BTreeMap<String, Dep>> {
        let f = self.frame(frame);
        let mut own = BTreeMap::new();
        for block in f.parsed.file.body.blocks("dependency") {
            let at = f.parsed.at(block.line);
            let name = block.labels.first().cloned().unwrap_or_default();
            let Some(attr) = block.body.attribute("config_path") else {
                return Err(EvalErr::Fatal(format!(
                    "{at}: dependency `{name}` has no config_path"
                )));
            };
            let path = match self.eval(frame, &attr.expr, attr.line)? {
                Value::String(s) => s,
                other => {
                    return Err(EvalErr::Fatal(format!(
                        "{}: dependency `{name}`: config_path must be a known string, found {}",
                        f.parsed.at(attr.line),
                        other.display()
                    )))
                }
            };
            own.insert(
                name,
                Dep {
                    path: files::lexical(&self.dir.join(path)),
                    at,
                },
            );
        }
        let includes = f.includes.borrow().clone();
        for inc in includes {
            if inc.strategy == Strategy::NoMerge {
                continue;
            }
            let parent = self.frame_deps(inc.frame)?;
            // The child's block wins (for config_path, shallow and deep
            // merges agree; mock_outputs are never used).
            for (k, v) in parent {
                own.entry(k).or_insert(v);
            }
        }
        Ok(own)
    }

    pub(super) fn dependency(
        &self,
        frame: usize,
        name: &str,
        ops: &[TraversalOperator],
    ) -> R<(Value, usize)> {
        let deps = self.deps()?;
        let Some(dep) = deps.get(name) else {
            return Err(EvalErr::Soft(format!("no dependency block `{name}`")));
        };
        let out: Rc<UnitOut> = self
            .run
            .unit(&dep.path, Some(&dep.at))
            .map_err(|e| EvalErr::Fatal(e.to_string()))?;
        let here = self.here(frame);
        let unit = self.run.show(&dep.path);
        let outputs = out.outputs.as_ref().and_then(Value::as_map);
        let why_not = out
            .no_outputs
            .clone()
            .unwrap_or_else(|| "its outputs are not an object".into());
        let state = self.state_of(&out)?;
        match (attr(ops, 0), attr(ops, 1)) {
            (Some("outputs"), Some(o)) => {
                let text = format!("dependency.{name}.outputs.{o}");
                let known = outputs
                    .and_then(|m| m.get(o))
                    .is_some_and(|v| !v.contains_unknown());
                // Not known from the module: from the unit's state, when
                // configured.
                let from_state = match &state {
                    Some(Ok((outputs, _))) if !known => outputs.get(o).cloned(),
                    _ => None,
                };
                if let Some(v) = from_state {
                    return Ok((v, 3));
                }
                let no_state = match &state {
                    None => String::new(),
                    Some(Ok((_, shown))) => format!("; its state {shown} has no output `{o}`"),
                    Some(Err(why)) => format!("; {why}"),
                };
                let value = match outputs {
                    Some(m) => match m.get(o) {
                        Some(v) if !v.contains_unknown() => return Ok((v.clone(), 3)),
                        Some(_) => {
                            self.run.gap(here, format!("{text}: output `{o}` of {unit} is known only after apply (mock_outputs are never used as values{no_state}): compared as unknown"));
                            Value::Unknown(text)
                        }
                        None => {
                            self.run.gap(
                                here,
                                format!("{text}: {unit} has no output `{o}`{no_state}: compared as unknown"),
                            );
                            Value::Unknown(text)
                        }
                    },
                    None => {
                        self.run.gap(
                            here,
                            format!("{text}: {unit}: {why_not}{no_state}: compared as unknown"),
                        );
                        Value::Unknown(text)
                    }
                };
                Ok((value, 3))
            }
            _ => {
                // The whole block (`dependency.vpc`, `dependency.vpc.outputs`):
                // every unknown output named as such.
                let mut map = crate::model::Map::new();
                let mut unknown = Vec::new();
                let recorded = match &state {
                    Some(Ok((o, _))) => Some(o),
                    _ => None,
                };
                if let (None, Some(r)) = (outputs, recorded) {
                    for (k, v) in r.iter() {
                        map.insert(k.clone(), v.clone());
                    }
                } else if let Some(m) = outputs {
                    for (k, v) in m.iter() {
                        if let Some(v) = v
                            .contains_unknown()
                            .then(|| recorded.and_then(|r| r.get(k)))
                            .flatten()
                        {
                            map.insert(k.clone(), v.clone());
                        } else if v.contains_unknown() {
                            unknown.push(k.clone());
                            map.insert(
                                k.clone(),
                                Value::Unknown(format!("dependency.{name}.outputs.{k}")),
                            );
                        } else {
                            map.insert(k.clone(), v.clone());
                        }
                    }
                } else {
                    unknown.push(format!("every output ({why_not})"));
                }
                if !unknown.is_empty() {
                    self.run.gap(
                        here,
                        format!(
                            "dependency.{name}: outputs of {unit} known only after apply, compared as unknown: {}",
                            unknown.join(", ")
                        ),
                    );
                }
                let mut whole = crate::model::Map::new();
                whole.insert("outputs".into(), Value::Map(map));
                Ok((Value::Map(whole), 1))
            }
        }
    }

    /// The outputs recorded in the dependency unit's state, when its state
    /// is configured: the outputs and the file as shown, or why not.
    #[allow(clippy::type_complexity, reason = "a local shape, used once")]
    fn state_of(
        &self,
        out: &UnitOut,
    ) -> R<Option<Result<(BTreeMap<String, Value>, String), String>>> {
        let Some(state) = &out.state else {
            return Ok(None);
        };
        let (file, by) = match state {
            Ok(f) => f,
            Err(why) => return Ok(Some(Err(why.clone()))),
        };
        let shown = format!("{} (from {by})", self.run.show(file));
        let outputs = self
            .run
            .state_outputs(file)
            .map_err(|e| EvalErr::Fatal(e.to_string()))?;
        Ok(Some(match outputs.as_ref() {
            Ok(o) => Ok((o.clone(), shown)),
            Err(why) => Err(format!("{why} (from {by})")),
        }))
    }
}
