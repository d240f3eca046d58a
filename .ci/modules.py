#!/usr/bin/env python3
"""Module-level architecture rules, checked over the Rust sources (`.ci/run` runs this).

Crate-level rules are checked with `cargo tree` in `.ci/run`; these are the rules inside crates:

1. The base of the server (configuration, locales, errors, database setup, allocator settings, metrics) imports
   nothing above it.
2. `content/` and `auth/` (the services) import no web framework (poem, hyper, async-graphql) and
   no `http` or `graphql` module.
3. No import loops between the modules of `search-index`, nor between the top-level modules of
   the server.
4. `graphql/connection.rs`, the generic connection, names none of the content types using it.

A reference is any `crate::a::...` path (in `use` lines or in code) or `super::...` path,
resolved to the module it names. Comments and string literals are ignored. Exit status 1 with one
line per broken rule; `--graph` prints the module graphs.
"""

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

BASE = {"config", "locale", "error", "db", "memory", "metrics", "write"}
SERVICES = ("content", "auth")
FRAMEWORKS = ("poem", "hyper", "hyper_util", "async_graphql")
CONTENT_TYPE_MODULES = {"resources", "good_practices", "organizations", "programmes"}


def strip(text):
    """Source without comments and string contents (so paths in docs do not count)."""
    text = re.sub(r'r#*"(?:.|\n)*?"#*', '""', text)
    text = re.sub(r'"(?:\\.|[^"\\])*"', '""', text)
    text = re.sub(r"/\*(?:.|\n)*?\*/", "", text)
    return re.sub(r"//[^\n]*", "", text)


def module_path(src, file):
    """`server/src/content/query.rs` -> ["content", "query"]; `mod.rs` and `lib.rs` name their folder."""
    parts = list(file.relative_to(src).with_suffix("").parts)
    if parts[-1] in ("mod", "lib", "main"):
        parts = parts[:-1]
    return parts


def split_group(body):
    """The top-level items of a `{a, b::{c, d}, e}` group."""
    items, depth, cur = [], 0, ""
    for c in body:
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
        if c == "," and depth == 0:
            items.append(cur.strip())
            cur = ""
        else:
            cur += c
    if cur.strip():
        items.append(cur.strip())
    return items


def group_body(text, start):
    """The text inside the braces opening at `start`."""
    depth = 0
    for i in range(start, len(text)):
        if text[i] == "{":
            depth += 1
        elif text[i] == "}":
            depth -= 1
            if depth == 0:
                return text[start + 1 : i]
    return ""


def references(text, here):
    """Absolute module paths (lists of names) that a file at module path `here` refers to."""
    out = []
    for m in re.finditer(r"\b(crate|super)((?:::super)*)::(\{|[A-Za-z_]\w*(?:::[A-Za-z_]\w*)*(?:::\{)?)", text):
        kind, supers, rest = m.group(1), m.group(2), m.group(3)
        if kind == "crate":
            base = []
        else:
            # A file `a/b.rs` is module a::b; `super` from it is `a`.
            ups = 1 + supers.count("super")
            base = here[: max(len(here) - ups, 0)]
        if rest.endswith("{"):
            prefix = rest[:-1].rstrip(":").split("::") if rest != "{" else []
            prefix = [p for p in prefix if p]
            body = group_body(text, m.end() - 1)
            for item in split_group(body):
                name = re.match(r"[A-Za-z_]\w*", item)
                if name and name.group(0) not in ("self",):
                    out.append(base + prefix + [name.group(0)])
                elif name:
                    out.append(base + prefix)
        else:
            out.append(base + rest.split("::"))
    return out


def collect(crate_dir):
    src = ROOT / crate_dir / "src"
    files = {}
    for f in sorted(src.rglob("*.rs")):
        files[f] = (module_path(src, f), strip(f.read_text(encoding="utf-8")))
    return src, files


def find_cycle(graph):
    """One cycle in a {node: set(nodes)} graph, or None."""
    state, stack = {}, []

    def visit(n):
        state[n] = 1
        stack.append(n)
        for m in sorted(graph.get(n, ())):
            if state.get(m) == 1:
                return stack[stack.index(m) :] + [m]
            if m not in state:
                found = visit(m)
                if found:
                    return found
        stack.pop()
        state[n] = 2
        return None

    for n in sorted(graph):
        if n not in state:
            found = visit(n)
            if found:
                return found
    return None


def main():
    show = "--graph" in sys.argv
    errors = []

    # The server.
    src, files = collect("server")
    top_graph = {}
    for f, (here, text) in files.items():
        rel = f.relative_to(ROOT)
        top = here[0] if here else None
        refs = references(text, here)
        if top in ("lib", "main") or not here:
            continue
        named = {r[0] for r in refs if r}
        top_graph.setdefault(top, set()).update(n for n in named if n != top)
        if top in BASE:
            for n in sorted(named - BASE - {top}):
                errors.append(f"{rel}: the base ({', '.join(sorted(BASE))}) must not import crate::{n}")
        if top in SERVICES:
            for fw in FRAMEWORKS:
                if re.search(rf"\b{fw}::", text) or re.search(rf"\buse\s+{fw}\b", text):
                    errors.append(f"{rel}: services must not use {fw}")
            for n in sorted(named & {"http", "graphql"}):
                errors.append(f"{rel}: services must not import crate::{n}")
        if here == ["graphql", "connection"]:
            for r in refs:
                if len(r) >= 2 and r[0] == "graphql" and r[1] in CONTENT_TYPE_MODULES:
                    errors.append(f"{rel}: the generic connection must not name graphql::{r[1]}")
    cycle = find_cycle(top_graph)
    if cycle:
        errors.append("server: import loop between top-level modules: " + " -> ".join(cycle))

    # search-index.
    src, files = collect("search-index")
    graph = {}
    for f, (here, text) in files.items():
        if not here or here == ["tests"]:
            continue
        graph.setdefault(here[0], set()).update(r[0] for r in references(text, here) if r and r[0] != here[0])
    known = set(graph)
    graph = {k: {m for m in v if m in known} for k, v in graph.items()}
    cycle = find_cycle(graph)
    if cycle:
        errors.append("search-index: import loop: " + " -> ".join(cycle))

    if show:
        for name, g in (("server", top_graph), ("search-index", graph)):
            print(f"{name}:")
            for k in sorted(g):
                print(f"  {k} -> {', '.join(sorted(g[k]))}")
    for e in errors:
        print(e, file=sys.stderr)
    sys.exit(1 if errors else 0)


if __name__ == "__main__":
    main()
