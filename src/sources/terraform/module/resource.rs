//! Resource and data blocks: each instance evaluated into a [`Resource`]
//! with nested and dynamic blocks, and what a reference to a resource is
//! before apply (symbolic, with its instance keys known).

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::model::{InlineIgnore, Location, Resource, Value};
use crate::sources::terraform::eval::{expr_text, EvalErr, Scope};
use crate::sources::terraform::files::Located;
use crate::sources::terraform::parse::{Block, Body};
use crate::sources::terraform::schema;
use crate::sources::terraform::TfError;

use super::instances::{collect_instances, InstanceKey, InstanceMemo};
use super::Instance;

/// Arguments of resource and module blocks that configure Terraform itself,
/// not the infrastructure.
const RESOURCE_META: &[&str] = &["count", "for_each", "provider", "depends_on"];
const RESOURCE_META_BLOCKS: &[&str] = &["lifecycle", "provisioner", "connection"];

/// What references to resources evaluate to, by type and name.
pub(super) type Skeletons = BTreeMap<String, BTreeMap<String, Option<Arc<Value>>>>;

impl<'l> Instance<'l> {
    pub(super) fn expand_resource(
        &self,
        block: &Located<Block>,
        data: bool,
    ) -> Result<(), TfError> {
        let (Some(rtype), Some(name)) = (block.item.labels.first(), block.item.labels.get(1))
        else {
            self.gap(
                &format!("{}:{}", block.file, block.item.line),
                "resource block needs a type and a name".into(),
            );
            return Ok(());
        };
        let base = format!(
            "{}{}{rtype}.{name}",
            self.prefix,
            if data { "data." } else { "" }
        );
        let instances = self
            .resource_instances(block, data)
            .map_err(|e| self.fatal(e))?;
        // Every instance has the first's attribute locations (see `eval_body`).
        let mut locations: Option<Arc<BTreeMap<String, Location>>> = None;
        // And the same provenance, computed once the first is evaluated
        // (its references have run the module calls they read).
        let mut provenance: Option<crate::model::Provenance> = None;
        // What no instance changes is evaluated once (see `InstanceMemo`).
        let mut memo = self.instance_memo(&block.item.body, instances.len() > 1);
        let mut out = Vec::with_capacity(instances.len());
        for inst in instances.iter() {
            let mut scope = inst.scope(self);
            let mut address = String::with_capacity(base.len() + inst.suffix.len());
            address.push_str(&base);
            address.push_str(&inst.suffix);
            let mut res = Resource::new(
                address,
                rtype.clone(),
                Location::new(block.file.clone(), Some(block.item.line)),
            );
            res.data = data;
            if let Some(shared) = &locations {
                res.attribute_locations = shared.clone();
            }
            if let Some((rule, reason)) = &block.item.ignore {
                res.ignores.push(InlineIgnore {
                    rule: rule.clone(),
                    attribute: None,
                    reason: reason.clone(),
                    location: Location::new(
                        block.file.clone(),
                        Some(block.item.line.saturating_sub(1)),
                    ),
                });
            }
            let attrs = self.eval_body(
                &block.item.body,
                &block.file,
                &mut scope,
                true,
                &mut res,
                Some(&mut memo),
            )?;
            res.attributes = attrs;
            // The evaluator's types end here (`Value::Typed`): an attribute
            // has the provider schema's type, which the conversion below
            // gives it, and a snapshot holds none.
            for v in res.attributes.values_mut() {
                if v.contains_typed() {
                    *v = std::mem::take(v).untyped();
                }
            }
            // As the provider would type them (`from_port = "0"` is 0).
            let converted = schema::convert_resource(rtype, data, &mut res.attributes);
            if converted > 0 {
                tracing::trace!(resource = %res.address, converted, "provider schema types");
            }
            if locations.is_none() {
                locations = Some(res.attribute_locations.clone());
            }
            res.provenance = provenance
                .get_or_insert_with(|| self.block_provenance(&block.item.body))
                .clone();
            out.push(res);
        }
        self.loader.add_resources(out);
        Ok(())
    }

    /// Evaluate a block body into attributes; nested blocks become lists of
    /// objects keyed by block type, as in state. `top` marks the resource's
    /// own body, whose meta-arguments are skipped and whose lines recorded;
    /// a resource's body comes with its `memo`, whose values are made
    /// relative to the module (`relative_refs`) as they are evaluated.
    fn eval_body(
        &self,
        body: &Body,
        file: &Arc<str>,
        scope: &mut Scope,
        top: bool,
        res: &mut Resource,
        memo: Option<&mut InstanceMemo>,
    ) -> Result<crate::model::Map, TfError> {
        // Collected in order and built into maps at the end, in bulk: a
        // sort of a few entries instead of one tree insertion each (this
        // runs for every block of every resource instance). A later entry
        // with the same key wins, as an insertion would.
        let mut out: Vec<(String, Value)> = Vec::with_capacity(body.attributes.len() + 2);
        // The locations depend on the block's text only: the instances of a
        // `count`/`for_each` block after the first come with the first's
        // map (see `expand_resource`), and record nothing.
        let record = top && res.attribute_locations.is_empty();
        let mut locs: Vec<(String, Location)> = Vec::new();
        let (mut attr_slots, mut block_slots, finder) = match memo {
            Some(InstanceMemo {
                attributes,
                blocks,
                finder,
            }) => (Some(attributes), Some(blocks), finder.as_ref()),
            None => (None, None, None),
        };
        // Each value once, before it is kept for the other instances.
        let fresh = |mut v: Value| {
            if let Some(finder) = finder {
                relative_refs(&mut v, finder);
            }
            v
        };
        for (i, attr) in body.attributes.iter().enumerate() {
            if top && RESOURCE_META.contains(&attr.name.as_str()) {
                continue;
            }
            let v = match attr_slots.as_deref_mut().and_then(|s| s.get_mut(i)) {
                Some(slot) => slot.get(|| self.eval_attr(attr, file, scope).map(fresh))?,
                None => fresh(self.eval_attr(attr, file, scope)?),
            };
            if record {
                locs.push((
                    attr.name.clone(),
                    Location::new(file.clone(), Some(attr.line)),
                ));
            }
            if top {
                if let Some((rule, reason)) = &attr.ignore {
                    res.ignores.push(InlineIgnore {
                        rule: rule.clone(),
                        attribute: Some(attr.name.clone()),
                        reason: reason.clone(),
                        location: Location::new(file.clone(), Some(attr.line.saturating_sub(1))),
                    });
                }
            }
            out.push((attr.name.clone(), v));
        }
        // A block's location is kept only when nothing of that name was
        // recorded before it (the first block of a kind, not an attribute).
        let located = |locs: &[(String, Location)], name: &str| locs.iter().any(|(k, _)| k == name);
        let mut nested: Vec<(&str, Vec<Value>)> = Vec::new();
        fn nest<'b>(
            nested: &mut Vec<(&'b str, Vec<Value>)>,
            kind: &'b str,
            items: impl Iterator<Item = Value>,
        ) {
            match nested.iter_mut().find(|(k, _)| *k == kind) {
                Some((_, list)) => list.extend(items),
                None => nested.push((kind, items.collect())),
            }
        }
        for (i, block) in body.blocks.iter().enumerate() {
            if top && RESOURCE_META_BLOCKS.contains(&block.kind.as_str()) {
                continue;
            }
            if block.kind == "dynamic" {
                let Some(label) = block.labels.first() else {
                    continue;
                };
                let items = self.expand_dynamic(block, file, scope, res)?;
                if record && !located(&locs, label) {
                    locs.push((label.clone(), Location::new(file.clone(), Some(block.line))));
                }
                nest(&mut nested, label, items.into_iter().map(fresh));
                continue;
            }
            if record && !located(&locs, &block.kind) {
                locs.push((
                    block.kind.clone(),
                    Location::new(file.clone(), Some(block.line)),
                ));
            }
            let v = match block_slots.as_deref_mut().and_then(|s| s.get_mut(i)) {
                Some(slot) => slot.get(|| {
                    self.eval_body(&block.body, file, scope, false, res, None)
                        .map(|m| fresh(Value::Map(m)))
                })?,
                None => fresh(Value::Map(self.eval_body(
                    &block.body,
                    file,
                    scope,
                    false,
                    res,
                    None,
                )?)),
            };
            nest(&mut nested, &block.kind, std::iter::once(v));
        }
        for (kind, items) in nested {
            out.push((kind.to_string(), Value::List(items)));
        }
        if !locs.is_empty() {
            res.attribute_locations = Arc::new(locs.into_iter().collect());
        }
        Ok(out.into_iter().collect())
    }

    fn expand_dynamic(
        &self,
        block: &Block,
        file: &Arc<str>,
        scope: &mut Scope,
        res: &mut Resource,
    ) -> Result<Vec<Value>, TfError> {
        let label = block.labels.first().cloned().unwrap_or_default();
        let loc = format!("{file}:{}", block.line);
        let iterator = match block.body.attribute("iterator") {
            Some(attr) => match &attr.expr {
                hcl::Expression::Variable(v) => v.to_string(),
                other => expr_text(other),
            },
            None => label.clone(),
        };
        let Some(for_each) = block.body.attribute("for_each") else {
            self.gap(&loc, format!("dynamic \"{label}\" has no for_each"));
            return Ok(Vec::new());
        };
        // A sensitive collection: each block's content is sensitive.
        let (coll, marked) = match self.eval_attr(for_each, file, scope)? {
            Value::Marked(inner) => (*inner, true),
            other => (other, false),
        };
        let mark = |v: Value| if marked { v.mark() } else { v };
        // A set's elements are their own keys (`for_items`).
        let items: Vec<(Value, Value)> = match crate::sources::terraform::typing::for_items(coll) {
            Ok(items) => items.into_iter().map(|(k, v)| (k, mark(v))).collect(),
            Err(Value::Null) => Vec::new(),
            Err(Value::Unknown(text)) => {
                self.gap(
                    &loc,
                    format!("dynamic \"{label}\": for_each is not known before apply ({text})"),
                );
                return Ok(vec![Value::Unknown(format!("dynamic.{label}"))]);
            }
            Err(other) => {
                self.gap(
                    &loc,
                    format!(
                        "dynamic \"{label}\": cannot iterate over a {}",
                        other.type_name()
                    ),
                );
                return Ok(Vec::new());
            }
        };
        let Some(content) = block.body.blocks("content").next() else {
            self.gap(&loc, format!("dynamic \"{label}\" has no content block"));
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        for (k, v) in items {
            let it = Value::Map(
                [("key".to_string(), k), ("value".to_string(), v)]
                    .into_iter()
                    .collect(),
            );
            let mark = scope.mark();
            scope.push(&iterator, it);
            let attrs = self.eval_body(&content.body, file, scope, false, res, None);
            scope.reset(mark);
            out.push(Value::Map(attrs?));
        }
        Ok(out)
    }

    /// The instances of a resource block, evaluated once.
    fn resource_instances(
        &self,
        block: &Located<Block>,
        data: bool,
    ) -> Result<Arc<[InstanceKey]>, EvalErr> {
        let labels = &block.item.labels;
        let key = format!(
            "{}{}.{}",
            if data { "data." } else { "" },
            labels.first().map(String::as_str).unwrap_or_default(),
            labels.get(1).map(String::as_str).unwrap_or_default()
        );
        if let Some(hit) = self.instance_cache.borrow().get(&key) {
            return Ok(hit.clone());
        }
        let loc = format!("{}:{}", block.file, block.item.line);
        let instances: Arc<[InstanceKey]> = self
            .guarded(key.clone(), &loc, || {
                self.instances(&block.item.body, &block.file, &loc)
                    .map_err(|e| EvalErr::Fatal(e.to_string()))
            })?
            .into();
        self.instance_cache
            .borrow_mut()
            .insert(key, instances.clone());
        Ok(instances)
    }

    /// `TYPE.NAME.ATTR` (or `TYPE.NAME[KEY].ATTR`) where the resource's
    /// block sets `ATTR` itself: the value it is set to, as Terraform knows
    /// a configured argument at plan time (`aws_s3_bucket.b.bucket`,
    /// `terraform_data.x.input`, `aws_subnet.s[0].cidr_block`). `key` is the
    /// literal instance key of a resource with `count`/`for_each` (`None`
    /// for one without); a top-level argument only. `None` leaves the
    /// reference symbolic, as does an instance that does not exist, a value
    /// that cannot be evaluated or a cycle of such references (a
    /// configuration Terraform rejects). Secret-named arguments are marked
    /// sensitive, as the provider's schema marks them.
    pub(super) fn configured_attribute(
        &self,
        rtype: &str,
        name: &str,
        key: Option<&Value>,
        attr: &str,
    ) -> Result<Option<Value>, EvalErr> {
        if RESOURCE_META.contains(&attr) {
            return Ok(None);
        }
        let Some(block) = self.def.resources.iter().find(|b| {
            b.item.labels.first().map(String::as_str) == Some(rtype)
                && b.item.labels.get(1).map(String::as_str) == Some(name)
        }) else {
            return Ok(None);
        };
        let body = &block.item.body;
        let expanded = body.attribute("count").is_some() || body.attribute("for_each").is_some();
        let Some(expr) = body.attribute(attr).map(|a| &a.expr) else {
            return Ok(None);
        };
        let loc = format!("{}:{}", block.file, block.item.line);
        let scope = match (expanded, key) {
            (false, None) => Scope::new(self),
            (true, Some(key)) => {
                let instances = match self.resource_instances(block, false) {
                    Ok(i) => i,
                    Err(EvalErr::Soft(_)) => return Ok(None),
                    Err(e) => return Err(e),
                };
                let wanted = |k: &Value| match (k, key) {
                    (Value::Number(a), Value::Number(b)) => a == b,
                    (Value::BigNumber(a), Value::BigNumber(b)) => a == b,
                    (Value::String(a), Value::String(b)) => a == b,
                    _ => false,
                };
                match instances
                    .iter()
                    .find(|i| i.key.as_ref().is_some_and(wanted))
                {
                    Some(inst) => inst.scope(self),
                    None => return Ok(None),
                }
            }
            _ => return Ok(None),
        };
        let mut scope = scope;
        let guard = format!(
            "{}{rtype}.{name}{}.{attr}",
            self.prefix,
            key.map(|k| format!("[{}]", k.display()))
                .unwrap_or_default()
        );
        let value = self.guarded(guard, &loc, || scope.eval(expr));
        Ok(match value {
            Ok(v) if crate::normalize::is_secret_attribute(attr) => Some(v.mark()),
            Ok(v) => Some(v),
            Err(EvalErr::Soft(_)) => None,
            Err(EvalErr::Fatal(m)) if m.contains(": cycle: ") => None,
            Err(e) => return Err(e),
        })
    }

    /// What a reference to a resource is before apply: symbolic, but with
    /// its instance keys known, so `length(aws_subnet.private)` and
    /// `for_each = aws_subnet.public` evaluate as Terraform plans them.
    pub(super) fn resource_skeleton(
        &self,
        rtype: &str,
        name: &str,
        data: bool,
    ) -> Result<Option<Arc<Value>>, EvalErr> {
        // Looked up by reference: a reference is resolved for every use.
        if let Some(hit) = self.skeletons.borrow()[usize::from(data)]
            .get(rtype)
            .and_then(|names| names.get(name))
        {
            return Ok(hit.clone());
        }
        let value = self.build_skeleton(rtype, name, data)?.map(Arc::new);
        self.skeletons.borrow_mut()[usize::from(data)]
            .entry(rtype.to_string())
            .or_default()
            .insert(name.to_string(), value.clone());
        Ok(value)
    }

    fn build_skeleton(
        &self,
        rtype: &str,
        name: &str,
        data: bool,
    ) -> Result<Option<Value>, EvalErr> {
        let blocks = if data {
            &self.def.data
        } else {
            &self.def.resources
        };
        let Some(block) = blocks.iter().find(|b| {
            b.item.labels.first().map(String::as_str) == Some(rtype)
                && b.item.labels.get(1).map(String::as_str) == Some(name)
        }) else {
            return Ok(None);
        };
        // With the module prefix: `aws_subnet.this[0].id` of two calls of
        // one module (private and public subnets) must not compare equal
        // where the caller uses them. A resource's references into its own
        // module are made relative again when it is stored
        // (`relative_refs`), so modules paired by `[[match]]` under
        // different names still compare inside.
        let base = format!(
            "{}{}{rtype}.{name}",
            self.prefix,
            if data { "data." } else { "" }
        );
        let instances = self.resource_instances(block, data)?;
        let counted = block.item.body.attribute("count").is_some();
        let each = block.item.body.attribute("for_each").is_some();
        // A data source's instance: its attributes at the last apply when
        // the state holds them, else symbolic (and said once per block).
        // Instances whose keys are not known (an unknown count, already a
        // gap) are not looked up.
        // Else, with `data-live`, a read-only fact of the account, read
        // live (`facts`).
        let mut missing = false;
        let mut instance = |inst: &InstanceKey| {
            let address = format!("{base}{}", inst.suffix);
            if let Some(state) = self.loader.data.as_ref().filter(|_| data) {
                if let Some(attrs) = state.by_address.get(&address) {
                    return Value::Map(attrs.clone());
                }
            }
            if data {
                if let Some(v) = self.live_fact(block, rtype, inst) {
                    return v;
                }
                // Unknown where it could have been read: not in the
                // state, or (`data-live`) a type the account is not asked
                // for (a live type whose read failed has its own gap).
                missing |= self.loader.data.is_some()
                    || (self.loader.facts.is_some()
                        && !crate::sources::terraform::facts::LIVE_DATA_SOURCES.contains(&rtype));
            } else {
                self.instance_refs.borrow_mut().insert(
                    address.clone(),
                    (rtype.to_string(), name.to_string(), inst.key.clone()),
                );
            }
            Value::Unknown(address)
        };
        let value = match &instances[..] {
            [only]
                if only.suffix.is_empty()
                    && only.key.as_ref().is_some_and(Value::contains_unknown) =>
            {
                Value::Unknown(base.clone())
            }
            [only] if only.suffix.is_empty() => instance(only),
            _ if counted => Value::List(instances.iter().map(&mut instance).collect()),
            _ if each => Value::Map(
                instances
                    .iter()
                    .map(|i| {
                        (
                            i.key.as_ref().map(Value::display).unwrap_or_default(),
                            instance(i),
                        )
                    })
                    .collect(),
            ),
            _ => instance(&InstanceKey {
                suffix: String::new(),
                key: None,
                each_value: None,
            }),
        };
        if missing {
            self.loader.data_missing(
                self.block_address(rtype, name),
                &format!("{}:{}", block.file, block.item.line),
            );
        }
        Ok(Some(value))
    }

    /// A data source of `block`'s instance `inst` read live as a fact of the
    /// account (`data-live`, [`crate::sources::terraform::facts`]): its
    /// arguments evaluated in the instance's scope, then asked of the
    /// account. `None` when there are no facts to ask, the type is not one
    /// of them, an argument is not known, or the read failed (a coverage
    /// gap says which).
    fn live_fact(
        &self,
        block: &crate::sources::terraform::files::Located<crate::sources::terraform::parse::Block>,
        rtype: &str,
        inst: &InstanceKey,
    ) -> Option<Value> {
        let facts = self.loader.facts.as_ref()?;
        if !crate::sources::terraform::facts::LIVE_DATA_SOURCES.contains(&rtype) {
            return None;
        }
        let loc = format!("{}:{}", block.file, block.item.line);
        let name = block.item.labels.get(1).map(String::as_str).unwrap_or("");
        let mut scratch = Resource::new("", "", Location::default());
        let args = self
            .eval_body(
                &block.item.body,
                &block.file,
                &mut inst.scope(self),
                true,
                &mut scratch,
                None,
            )
            .ok()?;
        let (args, _) = Value::Map(args).unmark_deep();
        let Value::Map(args) = args else { return None };
        if args.values().any(Value::contains_unknown) {
            self.gap(
                &loc,
                format!(
                    "data.{rtype}.{name}: not read live: an argument is known only after apply"
                ),
            );
            return None;
        }
        match facts.read(rtype, &args) {
            Ok(found) => found.map(Value::Map),
            Err(reason) => {
                self.gap(
                    &loc,
                    format!("data.{rtype}.{name}: live read failed: {reason}"),
                );
                None
            }
        }
    }

    /// The address of a data block in every instance of this module:
    /// `module.app.module.waf.data.aws_ami.ubuntu`, without instance keys.
    fn block_address(&self, rtype: &str, name: &str) -> String {
        let mut out = String::new();
        for call in self.module_key.split('.').filter(|c| !c.is_empty()) {
            out.push_str("module.");
            out.push_str(call);
            out.push('.');
        }
        out.push_str("data.");
        out.push_str(rtype);
        out.push('.');
        out.push_str(name);
        out
    }

    /// `data "aws_iam_policy_document"`: evaluated to the JSON Terraform
    /// would produce, so policies compare by content.
    pub(super) fn policy_document(&self, name: &str) -> Result<Arc<Value>, EvalErr> {
        if let Some(v) = self.docs.borrow().get(name) {
            return Ok(v.clone());
        }
        let Some(block) = self.def.data.iter().find(|b| {
            b.item.labels.first().map(String::as_str) == Some("aws_iam_policy_document")
                && b.item.labels.get(1).map(String::as_str) == Some(name)
        }) else {
            return Err(EvalErr::Soft(format!(
                "reference to undeclared data.aws_iam_policy_document.{name}"
            )));
        };
        let loc = format!("{}:{}", block.file, block.item.line);
        let value = self.guarded(format!("data.aws_iam_policy_document.{name}"), &loc, || {
            // One document per instance: a document with count or for_each
            // (one policy per bucket) used to be evaluated once, without
            // `each`, and every use of it became a coverage gap.
            let body = &block.item.body;
            let instances = self
                .instances(body, &block.file, &loc)
                .map_err(|e| EvalErr::Fatal(e.to_string()))?;
            let mut results = Vec::with_capacity(instances.len());
            for inst in &instances {
                let mut scratch = Resource::new("", "", Location::default());
                let attrs = self
                    .eval_body(
                        body,
                        &block.file,
                        &mut inst.scope(self),
                        true,
                        &mut scratch,
                        None,
                    )
                    .map_err(|e| EvalErr::Fatal(e.to_string()))?;
                results.push((
                    inst.key.clone(),
                    crate::sources::terraform::policy::document_json(&attrs),
                ));
            }
            Ok(collect_instances(body, results))
        })?;
        let value = Arc::new(value);
        self.docs
            .borrow_mut()
            .insert(name.to_string(), value.clone());
        Ok(value)
    }
}

/// Remove the module's own address prefix from the symbolic references in
/// a value of one of its resources: `module.app.aws_iam_role.task.arn`
/// reads `aws_iam_role.task.arn` inside `module.app`, as written there;
/// references into other modules keep their full address.
fn relative_refs(v: &mut Value, prefix: &memchr::memmem::Finder) {
    fn strip(text: &str, prefix: &memchr::memmem::Finder) -> String {
        let needle = prefix.needle();
        let mut out = String::with_capacity(text.len());
        let mut last = 0;
        for i in prefix.find_iter(text.as_bytes()) {
            // The prefix (`module.<name>[key].`) starts and ends with an
            // ASCII byte, which never occurs inside a multi-byte UTF-8
            // sequence: `i` and `i + needle.len()` are character boundaries.
            out.push_str(&text[last..i]);
            // Only where an address starts (`${`, `(`, `[`, a space...).
            let before = text[..i].chars().next_back();
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '.') {
                out.push_str(&text[i..i + needle.len()]);
            }
            last = i + needle.len();
        }
        out.push_str(&text[last..]);
        out
    }
    // In place: most values hold no reference at all, and rebuilding every
    // map of every resource inside a module cost a twentieth of a load.
    // The searches are memchr's (a substring search set up once per
    // resource, not once per value).
    match v {
        Value::Unknown(text) if prefix.find(text.as_bytes()).is_some() => {
            *text = strip(text, prefix)
        }
        // Strings hold unknowns as `${...}` (templates, jsonencode).
        Value::String(s) if has_interpolation(s) && prefix.find(s.as_bytes()).is_some() => {
            *s = strip(s, prefix)
        }
        Value::List(items) => items.iter_mut().for_each(|i| relative_refs(i, prefix)),
        Value::Map(m) => m.values_mut().for_each(|i| relative_refs(i, prefix)),
        _ => {}
    }
}

/// Whether `s` holds `${` (a `$` followed by `{`), without setting up a
/// substring search for every string.
fn has_interpolation(s: &str) -> bool {
    let b = s.as_bytes();
    memchr::memchr_iter(b'$', b).any(|i| b.get(i + 1) == Some(&b'{'))
}
