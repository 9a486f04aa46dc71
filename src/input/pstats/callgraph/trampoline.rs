//! importlib's `_call_with_frames_removed(f, *args)`: a frame that calls whatever its caller
//! hands it, so which callee ran under it depends on the caller, a fact the pstats file's
//! merged edges lose.
//!
//! In every CPython from 3.7 to 3.15 its callers hand it either an *import call* or loader
//! work:
//!
//! - `_handle_fromlist` (`from pkg import submodule`) hands it the import function
//!   (`builtins.__import__` from C, `_gcd_import` from `importlib.__import__`), and so does
//!   `_find_and_load_unlocked` when it first imports a parent package (`_gcd_import`);
//! - every other caller hands it loader work: `exec_module` runs `exec` on the module's code
//!   (`_imp.get_frozen_object` first for a frozen module), an extension's
//!   `create_module`/`exec_module` run `_imp.create_dynamic`/`exec_dynamic` (the extension
//!   loader's `exec_module` is told from the source loader's by the source loader's call of
//!   `get_code`),
//!   `source_to_code` runs `compile`, the frozen importer's `find_spec` `_imp.find_frozen`.
//!
//! Walking it by edge shares draws `_handle_fromlist → _call_with_frames_removed → exec`, a
//! stack no program has, where the real one is `… → __import__ → _find_and_load → … →
//! exec_module → _call_with_frames_removed → exec` (16–18% of all time on the recorded
//! `pstats_imports.py` runs first went wrong at that frame). The walk and the importers'
//! chains ask [`Trampolines::allows`] before following an edge out of it.

use super::{CallGraph, FuncName};

/// The kinds of work `_call_with_frames_removed` is handed: each known caller hands one kind,
/// each known callee is one kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Work {
    /// Not named below: a third-party loader's call (which may hand anything), or any other
    /// callee. First, so its index is 0: the trampoline's own state in the chain search.
    Other,
    /// `_handle_fromlist` and `_find_and_load_unlocked` hand the import function
    /// (`builtins.__import__`, `_gcd_import`).
    Import,
    /// `source_to_code` hands `compile`.
    Compile,
    /// `exec_module` hands `exec` (source and bytecode modules), `_imp.exec_builtin` or (a
    /// frozen module's) `_imp.get_frozen_object`.
    Exec,
    /// `create_module` hands `_imp.create_dynamic` or `_imp.create_builtin`.
    Create,
    /// `find_spec` (the frozen importer's) hands `_imp.find_frozen`.
    Find,
    /// The extension loader's `exec_module` hands `_imp.exec_dynamic`. It is told from the
    /// source loader's (both `exec_module` in `_bootstrap_external`, at lines that differ per
    /// version) by what the source loader calls first, `get_code`: merged, the source
    /// loader's `_call_with_frames_removed` got most of `exec_dynamic`'s time (42.9 of
    /// 44.1 ms on pytest's run over `pytest_project`, loading numpy's and pandas' extensions).
    ExecExtension,
}

/// What a function is to the trampoline rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Role {
    Other,
    /// `_call_with_frames_removed`.
    Trampoline,
    /// A caller that hands the trampoline this kind of work.
    Hands(Work),
    /// A callee that is this kind of work.
    Is(Work),
}

/// Per function, its role (all [`Role::Other`] in a file without importlib frames).
#[derive(Debug, Default)]
pub(super) struct Trampolines {
    role: Vec<Role>,
}

impl Trampolines {
    pub(super) fn new(g: &CallGraph) -> Trampolines {
        // Whether `f` calls a function of that (unqualified) name.
        let calls = |f: usize, name: &str| {
            g.callees[f].iter().any(|&e| {
                let callee = &g.funcs[g.edges[e as usize].callee as usize];
                matches!(&callee.key.name, FuncName::Plain(n)
                    if n.rsplit('.').next() == Some(name))
            })
        };
        let role = (0..g.funcs.len())
            .map(|f| {
                let func = &g.funcs[f];
                let FuncName::Plain(name) = &func.key.name else {
                    return Role::Other;
                };
                let file = func.key.file.replace('\\', "/");
                // Built-ins: cProfile's `~` keys, and the `profile` module's, whose file is
                // empty and whose name is bare (`('', 0, 'exec')`).
                if &*file == "~" || (file.is_empty() && func.key.line == 0) {
                    let bare = name
                        .strip_prefix("<built-in method ")
                        .and_then(|n| n.strip_suffix('>'))
                        .map_or(&**name, |n| n.rsplit('.').next().unwrap_or(n));
                    return match bare {
                        "__import__" => Role::Is(Work::Import),
                        "compile" => Role::Is(Work::Compile),
                        "exec" | "exec_builtin" | "get_frozen_object" => Role::Is(Work::Exec),
                        "exec_dynamic" => Role::Is(Work::ExecExtension),
                        "create_dynamic" | "create_builtin" => Role::Is(Work::Create),
                        "find_frozen" => Role::Is(Work::Find),
                        _ => Role::Other,
                    };
                }
                let external = file.starts_with("<frozen importlib._bootstrap_external")
                    || file.ends_with("importlib/_bootstrap_external.py");
                let importlib = external
                    || file.starts_with("<frozen importlib._bootstrap")
                    || file.ends_with("importlib/_bootstrap.py");
                if !importlib {
                    return Role::Other;
                }
                // 3.15's sampling profiler qualifies methods (`_LoaderBasics.exec_module`).
                match name.rsplit('.').next().unwrap_or(name) {
                    "_call_with_frames_removed" => Role::Trampoline,
                    "_handle_fromlist" | "_find_and_load_unlocked" => Role::Hands(Work::Import),
                    "source_to_code" => Role::Hands(Work::Compile),
                    // (A sampled file may have missed the `get_code` edge; 3.15's sampler
                    // names the loader's class instead.)
                    "exec_module"
                        if external
                            && (name.starts_with("ExtensionFileLoader.")
                                || (!g.sampled && !calls(f, "get_code"))) =>
                    {
                        Role::Hands(Work::ExecExtension)
                    }
                    "exec_module" => Role::Hands(Work::Exec),
                    "create_module" => Role::Hands(Work::Create),
                    "find_spec" => Role::Hands(Work::Find),
                    "_gcd_import" => Role::Is(Work::Import),
                    _ => Role::Other,
                }
            })
            .collect();
        Trampolines { role }
    }

    /// Whether `f` is a trampoline, whose callees depend on its caller.
    pub(super) fn is_trampoline(&self, f: u32) -> bool {
        self.role.get(f as usize) == Some(&Role::Trampoline)
    }

    /// The work an edge from `caller` into a trampoline hands it.
    fn handed(&self, caller: Option<u32>) -> Work {
        match caller.and_then(|c| self.role.get(c as usize)) {
            Some(Role::Hands(work)) => *work,
            _ => Work::Other,
        }
    }

    /// The work `callee` is when a trampoline calls it.
    fn work_of(&self, callee: u32) -> Work {
        match self.role.get(callee as usize) {
            Some(Role::Is(work)) => *work,
            _ => Work::Other,
        }
    }

    /// Whether `callee` can run under trampoline `via` when `caller` called it: the work that
    /// caller hands over. A caller not named here (a third-party loader, an older importlib)
    /// may hand anything, and a callee not named here (one a later CPython adds) may be
    /// handed by anyone; edges out of any other function are all allowed.
    pub(super) fn allows(&self, caller: Option<u32>, via: u32, callee: u32) -> bool {
        if !self.is_trampoline(via) {
            return true;
        }
        let (handed, work) = (self.handed(caller), self.work_of(callee));
        handed == Work::Other || work == Work::Other || handed == work
    }

    /// The trampoline state of the importers' chain search ([`super::imports`]) that an edge
    /// from `caller` into a trampoline arrives at: the kind of work handed, as an index
    /// (0 for work of no known kind).
    pub(super) fn caller_state(&self, caller: u32) -> usize {
        self.handed(Some(caller)) as usize
    }

    /// The trampoline state that a trampoline's edge into `callee` leaves from: the kind of
    /// work `callee` is, as an index (0 for no known kind).
    pub(super) fn callee_state(&self, callee: u32) -> usize {
        self.work_of(callee) as usize
    }
}

/// How many kinds of [`Work`] there are: the states of one trampoline in the chain search.
pub(super) const WORK_KINDS: usize = 7;
const _: () = assert!(Work::Other as usize == 0 && Work::ExecExtension as usize + 1 == WORK_KINDS);
