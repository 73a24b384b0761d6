#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Keeps a library's header, version script, symbol baseline and FFI
manifests in agreement (see abi/README.md).

  check-manifest.py --header H --map M --symbols S [--old-header OLD] MANIFEST...
      Fails (exit 1, every disagreement printed) unless:
        - the GREEN_API functions of H are exactly the functions of the
          manifests, with the same signatures in the manifest vocabulary,
          and the structs H defines are the manifests' `struct` lines (the
          latest one of each; a later manifest may only append fields);
        - each manifest's functions are exactly the names of its @node in
          the version script M, and every node of M has one manifest;
        - the baseline symbol list S holds exactly name@@node for those
          functions and the node definitions, and S is the list of the
          manifests' @soname.

  check-manifest.py --print --header H --soname SONAME --node NODE
      Prints the manifest lines the header implies: the start of a new
      manifest (review it, keep only the new node's functions).
"""

import argparse
import fnmatch
import os
import re
import sys

VOCABULARY = ("void", "int", "long", "size_t", "ssize_t", "socklen_t", "double",
              "ptr", "str", "fnptr")
QUALIFIERS = {"const", "volatile", "restrict", "__restrict"}


class Error(Exception):
    pass


def strip_comments(text):
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    return re.sub(r"//[^\n]*", " ", text)


def strip_preprocessor(text):
    text = text.replace("\\\n", " ")
    return "\n".join(l for l in text.split("\n")
                     if not l.lstrip().startswith("#"))


def split_top(params):
    """Splits a parameter list at the commas outside parentheses."""
    out, depth, cur = [], 0, ""
    for ch in params:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            out.append(cur)
            cur = ""
        else:
            cur += ch
    out.append(cur)
    return [p.strip() for p in out]


def vocab_type(decl, fn_typedefs, is_param, where):
    """The manifest type of a C declaration (with or without a name)."""
    decl = " ".join(decl.split())
    if re.search(r"\(\s*\*", decl):
        return "fnptr"
    tokens = re.findall(r"[A-Za-z_]\w*|\*|\[\]", decl)
    has_const = "const" in tokens
    tokens = [t for t in tokens if t not in QUALIFIERS]
    idents = [t for t in tokens if t not in ("*", "[]")]
    # "green_t *g", "int code", "green_run_fn run": drop the name.
    if is_param and len(idents) >= 2 and tokens[-1] == idents[-1]:
        tokens.pop()
        idents.pop()
    if "struct" in idents:
        idents.remove("struct")
    stars = tokens.count("*") + tokens.count("[]")
    if len(idents) != 1:
        raise Error("%s: cannot read the type '%s'" % (where, decl))
    base = idents[0]
    if stars == 0:
        if base in fn_typedefs:
            return "fnptr"
        if base in ("void", "int", "long", "size_t", "ssize_t", "socklen_t",
                    "double"):
            return base
        raise Error("%s: type '%s' is not in the manifest vocabulary %s"
                    % (where, decl, ", ".join(VOCABULARY)))
    if base == "char" and stars == 1 and has_const:
        return "str"
    return "ptr"


def header_structs(path):
    """{name: [(type, field)]} of the structs a header defines."""
    text = strip_preprocessor(header_text(path))
    fn_typedefs = set(re.findall(
        r"typedef\b[^;{}]*?\(\s*\*\s*(\w+)\s*\)\s*\([^;]*?\)\s*;", text))
    out = {}
    for name, members in struct_members(text).items():
        fields = []
        for m in members:
            where = "%s: struct %s" % (os.path.basename(path), name)
            fp = re.search(r"\(\s*\*\s*(\w+)\s*\)", m)
            if fp:
                fields.append(("fnptr", fp.group(1)))
                continue
            if "[" in m or ":" in m:
                raise Error("%s: arrays and bit-fields are not in the manifest"
                            " vocabulary: '%s'" % (where, m))
            field = re.findall(r"\w+", m)[-1]
            fields.append((vocab_type(m, fn_typedefs, True, where), field))
        out[name] = fields
    return out


def header_functions(path):
    """{name: (ret, [params])} of the GREEN_API functions of a header."""
    with open(path, encoding="utf-8") as f:
        text = strip_preprocessor(strip_comments(f.read()))
    fn_typedefs = set(re.findall(
        r"typedef\b[^;{}]*?\(\s*\*\s*(\w+)\s*\)\s*\([^;]*?\)\s*;", text))
    funcs = {}
    for decl in re.findall(r"\bGREEN_API\b([^;{}]*);", text):
        decl = " ".join(decl.split())
        m = re.match(r"^(.*?)\b(\w+)\s*\((.*)\)$", decl)
        if not m:
            raise Error("%s: not a function declaration: GREEN_API %s"
                        % (path, decl))
        ret, name, params = m.groups()
        where = "%s: %s" % (os.path.basename(path), name)
        ret_t = vocab_type(ret, fn_typedefs, False, where)
        plist = split_top(params)
        if plist == ["void"]:
            ptypes = []
        elif plist == [""]:
            raise Error("%s: write (void), not ()" % where)
        else:
            ptypes = [vocab_type(p, fn_typedefs, True, where) for p in plist]
        if name in funcs:
            raise Error("%s: declared twice" % where)
        funcs[name] = (ret_t, ptypes)
    if not funcs:
        raise Error("%s: no GREEN_API function found" % path)
    return funcs


def read_manifest(path):
    """(soname, node, {name: (ret, [params])}) of a manifest file."""
    meta, funcs, structs = {}, {}, {}
    with open(path, encoding="utf-8") as f:
        for no, line in enumerate(f, 1):
            line = line.split("#", 1)[0].strip()
            where = "%s:%d" % (path, no)
            if not line:
                continue
            if line.startswith("@"):
                key, _, value = line[1:].partition(" ")
                meta[key] = value.strip()
                continue
            m = re.match(r"^struct\s+(\w+)\s*\(([^()]*)\)$", line)
            if m:
                fields = []
                for f in m.group(2).split(","):
                    parts = f.split()
                    if len(parts) != 2 or parts[0] not in VOCABULARY or \
                            parts[0] == "void":
                        raise Error("%s: bad field '%s'" % (where, f.strip()))
                    fields.append((parts[0], parts[1]))
                structs[m.group(1)] = fields
                continue
            m = re.match(r"^(\w+)\s+(\w+)\s*\(([^()]*)\)$", line)
            if not m:
                raise Error("%s: cannot read '%s'" % (where, line))
            ret, name, params = m.groups()
            ptypes = [p.strip() for p in params.split(",")]
            if ptypes == ["void"]:
                ptypes = []
            for t in [ret] + ptypes:
                if t not in VOCABULARY or (t == "void" and t is not ret):
                    raise Error("%s: bad type '%s'" % (where, t))
            if name in funcs:
                raise Error("%s: %s listed twice" % (where, name))
            funcs[name] = (ret, ptypes)
    for key in ("soname", "node"):
        if key not in meta:
            raise Error("%s: no @%s line" % (path, key))
    return meta["soname"], meta["node"], funcs, structs


def version_nodes(path):
    """{node: [global patterns]} of a GNU ld version script."""
    with open(path, encoding="utf-8") as f:
        text = strip_comments(f.read())
    nodes = {}
    for node, body in re.findall(r"([\w.]+)\s*\{(.*?)\}\s*[\w.]*\s*;",
                                 text, flags=re.S):
        names, scope = [], "global"
        for item in body.split(";"):
            item = item.strip()
            m = re.match(r"^(global|local)\s*:\s*(.*)$", item, flags=re.S)
            if m:
                scope, item = m.group(1), m.group(2).strip()
            if item and scope == "global":
                names.append(item)
        nodes[node] = names
    if not nodes:
        raise Error("%s: no version node found" % path)
    return nodes


def header_text(path):
    with open(path, encoding="utf-8") as f:
        return strip_comments(f.read())


def enum_blocks(text):
    """[{NAME: value}] of the enums of a header (integer literals only)."""
    blocks = []
    for body in re.findall(r"\benum\b[^{;]*\{(.*?)\}", text, flags=re.S):
        block = {}
        for item in body.split(","):
            m = re.match(r"^\s*(\w+)\s*=\s*(-?\s*(?:0x[0-9a-fA-F]+|\d+))\s*$",
                         item)
            if m:
                block[m.group(1)] = int(m.group(2).replace(" ", ""), 0)
        blocks.append(block)
    return blocks


def struct_members(text):
    """{struct name: [member declarations]} of the structs defined."""
    out = {}
    for name, body in re.findall(r"\bstruct\s+(\w+)\s*\{(.*?)\}", text,
                                 flags=re.S):
        out[name] = [" ".join(m.split()) for m in body.split(";")
                     if m.strip()]
    return out


def check_old_header(old, new):
    """What a 1.x header may not do to the header of 1.0."""
    problems = []
    old_f, new_f = header_functions(old), header_functions(new)
    for name, s in old_f.items():
        if name not in new_f:
            problems.append("%s was removed (declared by %s)" % (name, old))
        elif new_f[name] != s:
            problems.append("%s changed from %s to %s" % (
                name, sig(name, *s), sig(name, *new_f[name])))
    old_t, new_t = header_text(old), header_text(new)
    new_consts = {}
    for block in enum_blocks(new_t):
        seen = {}
        for name, value in block.items():
            if value in seen:
                problems.append("%s reuses the value %d of %s" % (
                    name, value, seen[value]))
            seen[value] = name
        new_consts.update(block)
    for block in enum_blocks(old_t):
        for name, value in block.items():
            if name not in new_consts:
                problems.append("constant %s (%d) was removed" % (name, value))
            elif new_consts[name] != value:
                problems.append("constant %s changed from %d to %d" % (
                    name, value, new_consts[name]))
    new_s = struct_members(new_t)
    for name, members in struct_members(old_t).items():
        now = new_s.get(name)
        if now is None:
            problems.append("struct %s was removed" % name)
        elif now[:len(members)] != members:
            problems.append("struct %s: the 1.0 members %s are no longer the"
                            " start of %s (a struct may only grow at its end)"
                            % (name, members, now))
    return problems


def sstr(name, fields):
    return "struct %s(%s)" % (name, ", ".join("%s %s" % f for f in fields))


def sig(name, ret, params):
    return "%s %s(%s)" % (ret, name, ", ".join(params) or "void")


def check(args):
    problems = []
    header = header_functions(args.header)
    nodes = version_nodes(args.map)
    with open(args.symbols, encoding="utf-8") as f:
        symbols = set(l.strip() for l in f if l.strip())

    listed = {}          # name -> (ret, params)
    listed_structs = {}  # name -> latest [(type, field)]
    expected_syms = set()
    versions = {}        # name -> [node, ...] in manifest order
    covered = set()
    for path in args.manifests:
        soname, node, funcs, structs = read_manifest(path)
        for name, fields in structs.items():
            before = listed_structs.get(name)
            if before is not None and fields[:len(before)] != before:
                problems.append("%s: struct %s does not start with its"
                                " earlier layout %s" % (path, name,
                                                        sstr(name, before)))
            listed_structs[name] = fields
        base = os.path.basename(args.symbols)
        if base != soname.replace(".so.", "-") + ".symbols":
            problems.append("%s: @soname %s but the symbol list is %s"
                            % (path, soname, base))
        if node not in nodes:
            problems.append("%s: node %s is not in %s" % (path, node, args.map))
            patterns = []
        else:
            patterns = nodes[node]
            covered.add(node)
        for name, signature in funcs.items():
            if name in listed and listed[name] != signature:
                problems.append("%s: %s is already in another manifest,"
                                " with another signature" % (path, name))
            # A function listed again in a later node is a new default
            # version (green_attr_init@@GREEN_1.2); the earlier one stays
            # as name@node for the programs linked against it.
            if name in listed:
                expected_syms.discard("%s@@%s" % (name, versions[name][-1]))
                expected_syms.add("%s@%s" % (name, versions[name][-1]))
            versions.setdefault(name, []).append(node)
            listed[name] = signature
            expected_syms.add("%s@@%s" % (name, node))
            if not any(fnmatch.fnmatchcase(name, p) for p in patterns):
                problems.append("%s: %s is not exported by node %s of %s"
                                % (path, name, node, args.map))
        for p in patterns:
            if not any(c in p for c in "*?[") and p not in funcs:
                problems.append("%s: node %s exports %s, which the manifest"
                                " does not list" % (path, node, p))
        expected_syms.add(node)

    for node in sorted(set(nodes) - covered):
        problems.append("%s: node %s has no manifest" % (args.map, node))

    for name in sorted(set(header) - set(listed)):
        problems.append("%s declares %s, which no manifest lists"
                        % (args.header, sig(name, *header[name])))
    for name in sorted(set(listed) - set(header)):
        problems.append("a manifest lists %s, which %s does not declare"
                        % (sig(name, *listed[name]), args.header))
    for name in sorted(set(listed) & set(header)):
        if listed[name] != header[name]:
            problems.append("%s: the manifest says %s, the header says %s"
                            % (name, sig(name, *listed[name]),
                               sig(name, *header[name])))

    hstructs = header_structs(args.header)
    for name in sorted(set(hstructs) | set(listed_structs)):
        h, m = hstructs.get(name), listed_structs.get(name)
        if h is None:
            problems.append("a manifest describes struct %s, which %s does not"
                            " define" % (name, args.header))
        elif m is None:
            problems.append("%s defines %s, which no manifest describes"
                            % (args.header, sstr(name, h)))
        elif h != m:
            problems.append("struct %s: the manifest says %s, the header %s"
                            % (name, sstr(name, m), sstr(name, h)))

    for s in sorted(expected_syms - symbols):
        problems.append("%s lacks %s" % (args.symbols, s))
    for s in sorted(symbols - expected_syms):
        problems.append("%s has %s, which no manifest accounts for"
                        % (args.symbols, s))

    if args.old_header:
        problems += ["%s against %s: %s" % (os.path.basename(args.header),
                                            args.old_header, p)
                     for p in check_old_header(args.old_header, args.header)]

    if problems:
        for p in problems:
            print("FAIL: " + p)
        return 1
    print("PASS: %d functions agree between %s, %s, %s and %s"
          % (len(listed), os.path.basename(args.header),
             os.path.basename(args.map), os.path.basename(args.symbols),
             ", ".join(os.path.basename(m) for m in args.manifests)))
    return 0


def print_manifest(args):
    header = header_functions(args.header)
    print("@soname %s" % args.soname)
    print("@node %s" % args.node)
    for name, fields in header_structs(args.header).items():
        print(sstr(name, fields))
    for name, (ret, params) in header.items():
        print(sig(name, ret, params))
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--header", required=True)
    ap.add_argument("--map")
    ap.add_argument("--symbols")
    ap.add_argument("--old-header",
                    help="the header as released: checks that the current "
                    "one keeps its functions, constants and struct prefixes")
    ap.add_argument("--print", action="store_true")
    ap.add_argument("--soname")
    ap.add_argument("--node")
    ap.add_argument("manifests", nargs="*")
    args = ap.parse_args()
    try:
        if args.print:
            if not (args.soname and args.node):
                ap.error("--print needs --soname and --node")
            return print_manifest(args)
        if not (args.map and args.symbols and args.manifests):
            ap.error("give --map, --symbols and at least one manifest")
        return check(args)
    except (Error, OSError) as e:
        print("FAIL: %s" % e)
        return 1


if __name__ == "__main__":
    sys.exit(main())
