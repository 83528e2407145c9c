//! The evaluation stack: names are resolved by recursion, so every
//! memoized evaluation goes through [`Instance::guarded`], which names a
//! cycle and stops a chain of references too deep for the thread's stack
//! before it overflows.

use std::cell::{Cell, RefCell};

use crate::sources::terraform::eval::EvalErr;

use super::Instance;

/// How much stack nested evaluations may use (measured from the outermost
/// one) before the load fails with an error instead of overflowing the
/// stack: half of the 2 MiB a spawned thread gets by default. Each level
/// of references costs a few frames, far more in a debug build than in a
/// release one, so the depth this allows depends on the build and on the
/// expressions: hundreds of levels in release, some fifty in debug.
const EVAL_STACK_BUDGET: usize = 1 << 20;

thread_local! {
    /// The budget in force on this thread: [`EVAL_STACK_BUDGET`] unless the
    /// thread was started with a larger stack (see `set_stack_budget`).
    static STACK_BUDGET: Cell<usize> = const { Cell::new(EVAL_STACK_BUDGET) };
}

/// Called by a thread that owns a stack of `stack_size` bytes: evaluation may
/// use most of it.
pub(in crate::sources::terraform) fn set_stack_budget(stack_size: usize) {
    STACK_BUDGET.with(|b| b.set(stack_size / 4 * 3));
}

thread_local! {
    /// What this thread is evaluating, innermost last, as (instance, key):
    /// a key already on it is a cycle. Per thread, because module calls
    /// are evaluated in parallel (see `Instance::run_module_calls`).
    static EVAL_STACK: RefCell<Vec<(usize, String)>> = const { RefCell::new(Vec::new()) };
    /// Evaluations in progress on this thread, across all module instances.
    static EVAL_DEPTH: Cell<usize> = const { Cell::new(0) };
    /// Stack address of the outermost evaluation in progress.
    static EVAL_STACK_BASE: Cell<usize> = const { Cell::new(0) };
}

/// An address on the current stack frame; differences between two of them
/// measure the stack used in between (it grows down on every platform Rust
/// supports well, `abs_diff` does not care).
#[inline(never)]
fn stack_address() -> usize {
    let marker = 0u8;
    std::hint::black_box(&marker) as *const u8 as usize
}

impl<'l> Instance<'l> {
    /// Run `f` with `key` on the evaluation stack, failing on a cycle.
    pub(super) fn guarded<T>(
        &self,
        key: String,
        loc: &str,
        f: impl FnOnce() -> Result<T, EvalErr>,
    ) -> Result<T, EvalErr> {
        let id = self as *const Self as usize;
        let cycle = EVAL_STACK.with(|stack| {
            let stack = stack.borrow();
            let pos = stack.iter().position(|(i, k)| *i == id && *k == key)?;
            let mut cycle: Vec<String> = stack[pos..]
                .iter()
                .filter(|(i, _)| *i == id)
                .map(|(_, k)| k.clone())
                .collect();
            cycle.push(key.clone());
            Some(cycle)
        });
        {
            if let Some(cycle) = cycle {
                // Terraform orders module calls output by output, so two
                // modules may feed each other through different outputs.
                // We evaluate a module call as a whole; where that makes a
                // cycle, the reference that closes it stays symbolic (and is
                // recorded in coverage) instead of failing the load. A cycle
                // among locals alone is a real error in Terraform too.
                if cycle.iter().any(|k| k.starts_with("module.")) {
                    return Err(EvalErr::Soft(format!(
                        "cycle through module calls ({}): Terraform resolves it output by output; this reference is compared symbolically",
                        cycle.join(" -> ")
                    )));
                }
                return Err(EvalErr::Fatal(format!(
                    "{loc}: cycle: {}",
                    cycle.join(" -> ")
                )));
            }
        }
        // Names are resolved by recursion, so a long enough chain of
        // references (`local.a0 = local.a1`, ... thousands deep) used to
        // overflow the stack and abort the process. Terraform has no such
        // limit, but no real configuration comes near it.
        let depth = EVAL_DEPTH.with(Cell::get);
        let here = stack_address();
        if depth == 0 {
            EVAL_STACK_BASE.with(|b| b.set(here));
        } else if EVAL_STACK_BASE.with(Cell::get).abs_diff(here) > STACK_BUDGET.with(Cell::get) {
            return Err(EvalErr::Fatal(format!(
                "{loc}: `{key}`: references nested too deep ({depth} levels): \
                 a chain of locals, module outputs or resources this long cannot be evaluated"
            )));
        }
        EVAL_DEPTH.with(|d| d.set(depth + 1));
        EVAL_STACK.with(|s| s.borrow_mut().push((id, key)));
        let result = f();
        EVAL_STACK.with(|s| s.borrow_mut().pop());
        EVAL_DEPTH.with(|d| d.set(depth));
        result
    }
}
