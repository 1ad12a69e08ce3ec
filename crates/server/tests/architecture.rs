//! The server crate's shape, checked on its source: no import circles between its modules,
//! the application layer below every surface that calls it, and no source file over 600 lines.
//! A newcomer who breaks one is told which imports, at which lines, close the circle or cross
//! the layer, or which file to split.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use syn::visit::Visit;

/// A module of the crate, as its path from the crate root (`["http", "operator", "pages"]`).
type Module = Vec<String>;

/// One use of another module: where it is written and what it names.
#[derive(Debug, Clone)]
struct Import {
    line: usize,
    path: Vec<String>,
    /// A `pub use` re-export, which makes the parent a facade rather than a user.
    reexport: bool,
}

/// What one source file declares and uses.
#[derive(Debug, Default)]
struct Source {
    file: PathBuf,
    children: BTreeSet<String>,
    /// Names bound by `use` to the full paths they stand for.
    bindings: BTreeMap<String, Vec<String>>,
    imports: Vec<Import>,
}

fn src_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn module_of(file: &Path) -> Module {
    let relative = file.strip_prefix(src_dir()).unwrap().with_extension("");
    let mut parts: Vec<String> = relative.iter().map(|p| p.to_string_lossy().into_owned()).collect();
    if matches!(parts.last().map(String::as_str), Some("mod" | "lib" | "main")) {
        parts.pop();
    }
    parts
}

fn rust_files(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, found);
        } else if path.extension().is_some_and(|e| e == "rs") {
            found.push(path);
        }
    }
}

/// Turns a `use` tree into the full paths it names, relative to `module`.
fn flatten(tree: &syn::UseTree, prefix: Vec<String>, out: &mut Vec<(Vec<String>, String)>) {
    match tree {
        syn::UseTree::Path(p) => {
            let mut next = prefix;
            next.push(p.ident.to_string());
            flatten(&p.tree, next, out);
        }
        syn::UseTree::Name(n) if n.ident == "self" => {
            let bound = prefix.last().cloned().unwrap_or_default();
            out.push((prefix, bound));
        }
        syn::UseTree::Name(n) => {
            let mut path = prefix;
            path.push(n.ident.to_string());
            out.push((path, n.ident.to_string()));
        }
        syn::UseTree::Rename(r) => {
            let mut path = prefix;
            path.push(r.ident.to_string());
            out.push((path, r.rename.to_string()));
        }
        syn::UseTree::Glob(_) => out.push((prefix, String::new())),
        syn::UseTree::Group(g) => {
            for item in &g.items {
                flatten(item, prefix.clone(), out);
            }
        }
    }
}

fn is_test_module(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|a| {
        a.path().is_ident("cfg")
            && a.meta
                .require_list()
                .is_ok_and(|l| l.tokens.to_string().contains("test"))
    })
}

struct Collector<'a> {
    source: &'a mut Source,
}

impl<'ast> Visit<'ast> for Collector<'_> {
    fn visit_item_mod(&mut self, item: &'ast syn::ItemMod) {
        if is_test_module(&item.attrs) {
            return;
        }
        if item.content.is_none() {
            self.source.children.insert(item.ident.to_string());
        }
        syn::visit::visit_item_mod(self, item);
    }

    fn visit_item_use(&mut self, item: &'ast syn::ItemUse) {
        let mut paths = Vec::new();
        flatten(&item.tree, Vec::new(), &mut paths);
        let reexport = !matches!(item.vis, syn::Visibility::Inherited);
        let line = item.use_token.span.start().line;
        for (path, bound) in paths {
            if !bound.is_empty() {
                self.source.bindings.insert(bound, path.clone());
            }
            self.source.imports.push(Import { line, path, reexport });
        }
    }

    fn visit_path(&mut self, path: &'ast syn::Path) {
        if path.segments.len() >= 2 {
            let line = path.segments[0].ident.span().start().line;
            let names = path.segments.iter().map(|s| s.ident.to_string()).collect();
            self.source.imports.push(Import {
                line,
                path: names,
                reexport: false,
            });
        }
        syn::visit::visit_path(self, path);
    }
}

/// The crate's modules and what each uses.
fn crate_sources() -> BTreeMap<Module, Source> {
    let mut files = Vec::new();
    rust_files(&src_dir(), &mut files);
    files
        .into_iter()
        .map(|file| {
            let text = std::fs::read_to_string(&file).unwrap();
            let parsed = syn::parse_file(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
            let mut source = Source {
                file: file.clone(),
                ..Source::default()
            };
            Collector { source: &mut source }.visit_file(&parsed);
            (module_of(&file), source)
        })
        .collect()
}

/// The module a path written in `module` names, following re-exports to where the item lives.
fn resolve(sources: &BTreeMap<Module, Source>, module: &Module, path: &[String], depth: usize) -> Option<Module> {
    if depth > 8 {
        return None;
    }
    let source = sources.get(module)?;
    let first = path.first()?.as_str();
    let absolute: Vec<String> = match first {
        "crate" => path[1..].to_vec(),
        "self" => module.iter().cloned().chain(path[1..].iter().cloned()).collect(),
        "super" => {
            let mut base = module.clone();
            let mut rest = path;
            while rest.first().is_some_and(|s| s == "super") {
                base.pop();
                rest = &rest[1..];
            }
            base.into_iter().chain(rest.iter().cloned()).collect()
        }
        name if source.children.contains(name) => module.iter().cloned().chain(path.iter().cloned()).collect(),
        name => match source.bindings.get(name) {
            Some(bound) if bound.first() != Some(&name.to_owned()) || bound.len() > 1 => {
                let mut full = bound.clone();
                full.extend(path[1..].iter().cloned());
                return resolve(sources, module, &full, depth + 1);
            }
            _ => return None,
        },
    };
    let found = (0..=absolute.len())
        .rev()
        .map(|n| absolute[..n].to_vec())
        .find(|prefix| sources.contains_key(prefix))?;
    // An item the module only re-exports lives where its `pub use` points.
    if let Some(item) = absolute.get(found.len())
        && let Some(target) = sources[&found].bindings.get(item)
        && sources[&found].imports.iter().any(|i| i.reexport && &i.path == target)
    {
        return resolve(sources, &found, target, depth + 1);
    }
    Some(found)
}

/// Every module each module uses, with the lines that use it.
fn dependencies(sources: &BTreeMap<Module, Source>) -> BTreeMap<Module, BTreeMap<Module, Vec<usize>>> {
    let mut graph: BTreeMap<Module, BTreeMap<Module, Vec<usize>>> = BTreeMap::new();
    for (module, source) in sources {
        let uses = graph.entry(module.clone()).or_default();
        for import in &source.imports {
            let Some(target) = resolve(sources, module, &import.path, 0) else {
                continue;
            };
            let facade = import.reexport && target.starts_with(module);
            if target != *module && !facade && !module.starts_with(&target) {
                uses.entry(target).or_default().push(import.line);
            }
        }
    }
    graph
}

/// The groups of modules that reach each other (Tarjan's strongly connected components).
fn circles(graph: &BTreeMap<Module, BTreeMap<Module, Vec<usize>>>) -> Vec<Vec<Module>> {
    struct Tarjan<'g> {
        graph: &'g BTreeMap<Module, BTreeMap<Module, Vec<usize>>>,
        index: BTreeMap<&'g Module, (usize, usize)>,
        stack: Vec<&'g Module>,
        on_stack: BTreeSet<&'g Module>,
        found: Vec<Vec<Module>>,
    }
    impl<'g> Tarjan<'g> {
        fn visit(&mut self, node: &'g Module) {
            let n = self.index.len();
            self.index.insert(node, (n, n));
            self.stack.push(node);
            self.on_stack.insert(node);
            for next in self.graph.get(node).into_iter().flat_map(BTreeMap::keys) {
                if !self.index.contains_key(next) {
                    self.visit(next);
                    let low = self.index[next].1.min(self.index[node].1);
                    self.index.get_mut(node).unwrap().1 = low;
                } else if self.on_stack.contains(next) {
                    let low = self.index[next].0.min(self.index[node].1);
                    self.index.get_mut(node).unwrap().1 = low;
                }
            }
            if self.index[node].0 == self.index[node].1 {
                let mut group = Vec::new();
                while let Some(member) = self.stack.pop() {
                    self.on_stack.remove(member);
                    group.push(member.clone());
                    if member == node {
                        break;
                    }
                }
                if group.len() > 1 {
                    self.found.push(group);
                }
            }
        }
    }
    let mut tarjan = Tarjan {
        graph,
        index: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        found: Vec::new(),
    };
    for node in graph.keys() {
        if !tarjan.index.contains_key(node) {
            tarjan.visit(node);
        }
    }
    tarjan.found
}

fn name(module: &Module) -> String {
    if module.is_empty() {
        "crate".into()
    } else {
        module.join("::")
    }
}

#[test]
fn no_module_of_the_server_imports_back_a_module_that_imports_it() {
    let sources = crate_sources();
    let graph = dependencies(&sources);
    let mut report = String::new();
    for group in circles(&graph) {
        report.push_str("circle:\n");
        for from in &group {
            for (to, lines) in &graph[from] {
                if group.contains(to) {
                    let file = sources[from]
                        .file
                        .strip_prefix(src_dir())
                        .unwrap()
                        .display()
                        .to_string();
                    report.push_str(&format!("  {} -> {} (src/{file}:{lines:?})\n", name(from), name(to)));
                }
            }
        }
    }
    assert!(report.is_empty(), "import circles:\n{report}");
}

#[test]
fn the_application_layer_uses_no_surface_that_calls_it() {
    const SURFACES: [&str; 7] = ["http", "telephony", "inbound", "web", "commands", "cli", "sandbox"];
    let sources = crate_sources();
    let graph = dependencies(&sources);
    let crossings: Vec<String> = graph
        .iter()
        .filter(|(from, _)| from.first().is_some_and(|m| m == "app"))
        .flat_map(|(from, uses)| {
            uses.iter()
                .filter(|(to, _)| to.first().is_some_and(|m| SURFACES.contains(&m.as_str())))
                .map(move |(to, lines)| format!("{} -> {} (lines {lines:?})", name(from), name(to)))
        })
        .collect();
    assert!(
        crossings.is_empty(),
        "app/ reaches up into a surface:\n{}",
        crossings.join("\n")
    );
}

#[test]
fn the_checker_sees_a_circle_when_there_is_one() {
    let a: Module = vec!["a".into()];
    let b: Module = vec!["b".into()];
    let c: Module = vec!["c".into()];
    let graph = BTreeMap::from([
        (a.clone(), BTreeMap::from([(b.clone(), vec![1])])),
        (b.clone(), BTreeMap::from([(a.clone(), vec![2])])),
        (c.clone(), BTreeMap::from([(a.clone(), vec![3])])),
    ]);
    let found = circles(&graph);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].iter().collect::<BTreeSet<_>>(), BTreeSet::from([&a, &b]));
}

#[test]
fn the_checker_resolves_crate_super_and_bound_paths_to_modules() {
    let sources = crate_sources();
    let pages: Module = ["http", "operator", "pages"].map(String::from).to_vec();
    let session: Module = ["http", "operator", "session"].map(String::from).to_vec();
    let uses = &dependencies(&sources)[&pages];
    assert!(uses.contains_key(&session), "pages uses super::session: {uses:?}");
    assert!(
        uses.keys().any(|m| m.first().is_some_and(|f| f == "app")),
        "pages uses crate::app: {uses:?}"
    );
}

#[test]
fn no_source_file_of_the_workspace_is_over_600_lines() {
    let crates = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let mut files = Vec::new();
    for krate in std::fs::read_dir(crates).unwrap() {
        let krate = krate.unwrap().path();
        for dir in ["src", "tests", "benches"] {
            if krate.join(dir).is_dir() {
                rust_files(&krate.join(dir), &mut files);
            }
        }
    }
    assert!(files.len() > 100, "found the workspace's files: {}", files.len());
    let long: Vec<String> = files
        .iter()
        .filter_map(|file| {
            let lines = std::fs::read_to_string(file).unwrap().lines().count();
            (lines > 600).then(|| format!("{} ({lines} lines)", file.display()))
        })
        .collect();
    assert!(long.is_empty(), "split these by what they do:\n{}", long.join("\n"));
}

/// The layer of a top-level module, as ARCHITECTURE.md draws them: a module may use its own
/// layer and those below, never one above.
fn layer(module: &Module) -> (u8, &'static str) {
    match module.first().map(String::as_str).unwrap_or("") {
        "" | "lib" | "main" | "launch" | "commands" | "fuzzing" => (5, "the composition root and the commands"),
        "http" | "telephony" | "inbound" | "outbox" | "cli" => (4, "a surface"),
        "web" => (3, "web/"),
        "app" => (2, "app/"),
        _ => (1, "the foundation"),
    }
}

#[test]
fn no_module_imports_a_layer_above_its_own() {
    let sources = crate_sources();
    let crossings: Vec<String> = dependencies(&sources)
        .iter()
        .flat_map(|(from, uses)| {
            uses.iter()
                .filter(|(to, _)| layer(to).0 > layer(from).0)
                .map(move |(to, lines)| {
                    format!(
                        "{} ({}) -> {} ({}) at lines {lines:?}",
                        name(from),
                        layer(from).1,
                        name(to),
                        layer(to).1
                    )
                })
        })
        .collect();
    assert!(
        crossings.is_empty(),
        "imports that reach up a layer:\n{}",
        crossings.join("\n")
    );
}
