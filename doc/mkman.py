#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The reference manual of libgreen, made from its public headers.

The headers are the specification: every exported function is declared
after the comment that documents it, and consecutive declarations under one
comment form a family (green_hub_wait_read, green_hub_wait_write). This
script reads green.h and green_hub.h and writes

  --man DIR    section 3 man pages: one per function family, named after
               its first function, a ".so" page for every other member, and
               an overview page per header (green(3), green_hub(3)) with
               the model, the rules, the types and constants, and the list
               of pages;
  --html DIR   the same reference as HTML: index.html and one page per
               header;
  --check SYMBOLS...
               fails unless every function of the given symbol lists
               (abi/*.symbols) has a documented declaration, and every
               documented function is exported.

Usage: mkman.py HEADER... [--man DIR] [--html DIR] [--check SYMBOLS...]
"""
import argparse
import html
import os
import re
import sys

VERSION_RE = re.compile(r'#define GREEN(?:_HUB)?_VERSION_STRING "([^"]+)"')


class Family:
    def __init__(self, section, comment, code, decls):
        self.section = section          # the header's section title
        self.comment = comment          # the documentation, plain text
        self.code = code                # types/enums declared just before
        self.decls = decls              # the declarations, normalised
        self.names = [re.search(r'(\w+)\s*\(', d).group(1) for d in decls]


class Header:
    def __init__(self, path):
        self.path = path
        self.name = os.path.basename(path)             # green.h
        self.page = self.name[:-2]                     # green
        self.families = []
        self.intro = ""                                # the top comment
        self.types = []                                # (section, code)
        self.version = "?"
        self._parse(open(path, encoding="utf-8").read())

    def _parse(self, text):
        m = VERSION_RE.search(text)
        if m:
            self.version = m.group(1)
        lines = text.splitlines()
        i = 0
        section = ""
        comment = None      # the last documentation comment
        code = []           # code lines after it
        family = None
        first = True

        def close():
            nonlocal family
            if family:
                self.families.append(family)
            family = None

        while i < len(lines):
            line = lines[i]
            s = line.strip()
            if s.startswith("/*") and not line.startswith(" "):
                block = [line]
                while "*/" not in lines[i]:
                    i += 1
                    block.append(lines[i])
                i += 1
                close()
                body = uncomment(block)
                if first and "SPDX-License-Identifier" not in body:
                    self.intro = body
                    first = False
                    comment, code = None, []
                    continue
                if "SPDX-License-Identifier" in body:
                    continue
                if re.match(r"/\* -{20,}", s):
                    section = banner_title(body)
                    comment, code = None, []
                    continue
                comment, code = body, []
                continue
            if s == "":
                close()
                if code and comment is not None:
                    self.types.append((section, comment, list(code)))
                comment, code = None, []
                i += 1
                continue
            if s.startswith("GREEN_API"):
                decl = [s]
                while not decl[-1].endswith(";"):
                    i += 1
                    decl.append(lines[i].strip())
                i += 1
                d = " ".join(decl).replace("GREEN_API ", "", 1)
                d = re.sub(r"\s+", " ", d).replace("( ", "(")
                if family is None:
                    family = Family(section, comment or "", list(code), [])
                    code = []
                family.decls.append(d)
                family.names.append(re.search(r"(\w+)\s*\(", d).group(1))
                continue
            if s.startswith("#") and not s.startswith("#define"):
                i += 1
                continue
            if s in ("}", "extern \"C\" {") or s.startswith("#endif"):
                i += 1
                continue
            close()
            code.append(line)
            i += 1
        close()
        # the names are collected twice above (constructor and loop)
        for f in self.families:
            f.names = list(dict.fromkeys(f.names))


def uncomment(block):
    """The text of a /* ... */ block, with its own indentation kept."""
    out = []
    for line in block:
        t = re.sub(r"\s*\*+/\s*$", "", line.rstrip())
        m = re.match(r"^\s*/\*+ ?(.*)$", t) or re.match(r"^\s*\* ?(.*)$", t)
        if m:
            t = m.group(1)
        out.append(t.rstrip())
    while out and not out[0].strip():
        out.pop(0)
    while out and not out[-1].strip():
        out.pop()
    return "\n".join(out)


def banner_title(body):
    lines = [l for l in body.splitlines() if not re.match(r"^-+$", l.strip())]
    return " ".join(l.strip() for l in lines).strip()


def summary(comment):
    """The first sentence of a comment, for the NAME line."""
    text = " ".join(comment.split())
    text = re.sub(r"^Since \d+\.\d+\. ", "", text)
    m = re.match(r"(.+?[.:])(\s|$)", text)
    s = m.group(1) if m else text
    s = s.rstrip(".:")
    if len(s) > 1 and s[1].islower() or s[1:2] == " ":
        s = s[0].lower() + s[1:]
    return s


# ---- roff ----------------------------------------------------------------

def roff(text):
    text = text.replace("\\", "\\e").replace("-", "\\-")
    out = []
    for line in text.splitlines():
        if line.startswith((".", "'")):
            line = "\\&" + line
        out.append(line)
    return "\n".join(out)


def roff_prose(comment):
    """Comment text as roff: paragraphs filled, indented parts kept."""
    out = []
    para = []
    pre = False

    def flush():
        if para:
            out.append(".PP")
            out.append(roff(" ".join(para)))
            para.clear()

    for line in comment.splitlines():
        if re.match(r"^-+$", line.strip()):
            continue
        indented = line.startswith((" ", "\t"))
        if not line.strip():
            flush()
            if pre:
                out.append(".fi")
                pre = False
            continue
        if indented:
            flush()
            if not pre:
                out.append(".PP")
                out.append(".nf")
                pre = True
            out.append(roff(line))
        else:
            if pre:
                out.append(".fi")
                pre = False
            para.append(line.strip())
    flush()
    if pre:
        out.append(".fi")
    return "\n".join(out)


def th(name, version, source):
    return f'.TH {name.upper()} 3 "" "{source} {version}" "libgreen manual"\n'


def synopsis(header, fam):
    out = [".SH SYNOPSIS", ".nf", f".B #include <{header.name}>", ".PP"]
    for line in fam.code:
        out.append(roff(line))
    if fam.code:
        out.append(".PP")
    for d in fam.decls:
        out.append(".BI \"" + roff(d).replace('"', '\\(dq') + "\"")
    out.append(".fi")
    if header.page == "green_hub":
        out.append(".PP")
        out.append("Link with \\fI\\-lgreen\\-hub \\-lgreen\\fP "
                   "(\\fBpkg\\-config \\-\\-libs green\\-hub\\fP).")
    else:
        out.append(".PP")
        out.append("Link with \\fI\\-lgreen\\fP "
                   "(\\fBpkg\\-config \\-\\-libs green\\fP).")
    return "\n".join(out)


def man_page(header, fam, source):
    name = fam.names[0]
    out = [".\\\" SPDX-License-Identifier: MIT",
           ".\\\" Generated by doc/mkman.py from " + header.name + ".",
           th(name, header.version, source).rstrip(),
           ".SH NAME",
           roff(", ".join(fam.names)).replace(",", ",") + " \\- "
           + roff(summary(fam.comment) if fam.comment else name),
           synopsis(header, fam),
           ".SH DESCRIPTION",
           roff_prose(fam.comment) if fam.comment else ".PP\nSee the header.",
           ".SH SEE ALSO",
           f".BR {header.page} (3)"]
    return "\n".join(out) + "\n"


def overview_page(header, source, others):
    what, rest = intro_title(header)
    out = [".\\\" SPDX-License-Identifier: MIT",
           ".\\\" Generated by doc/mkman.py from " + header.name + ".",
           th(header.page, header.version, source).rstrip(),
           ".SH NAME",
           roff(header.page) + " \\- " + roff(what.rstrip(".")),
           ".SH SYNOPSIS",
           ".nf",
           f".B #include <{header.name}>",
           ".fi"]
    # the top comment: its "----" framed titles become sections
    sect = "DESCRIPTION"
    chunks = {sect: []}
    order = [sect]
    lines = rest.splitlines()
    j = 0
    while j < len(lines):
        if re.match(r"^-{20,}$", lines[j].strip()) and j + 2 < len(lines) \
                and re.match(r"^-{20,}$", lines[j + 2].strip()):
            sect = lines[j + 1].strip().upper()
            chunks.setdefault(sect, [])
            order.append(sect)
            j += 3
            continue
        chunks[sect].append(lines[j])
        j += 1
    for s in order:
        out.append(".SH " + roff(s))
        out.append(roff_prose("\n".join(chunks[s])))
    out.append(".SH TYPES AND CONSTANTS")
    for section, comment, code in header.types:
        out.append(".PP\n.nf\n" + roff("\n".join(code)) + "\n.fi")
        out.append(".RS")
        out.append(roff_prose(comment))
        out.append(".RE")
    out.append(".SH FUNCTIONS")
    section = None
    for fam in header.families:
        if fam.section != section:
            section = fam.section
            out.append(".SS " + roff(section_name(section)))
        out.append(".TP")
        out.append(".BR " + fam.names[0] + " (3)")
        out.append(roff(", ".join(fam.names[1:]) + (": " if fam.names[1:] else "")
                        + summary(fam.comment)))
    out.append(".SH SEE ALSO")
    out.append(",\n".join(f".BR {o} (3)" for o in others))
    return "\n".join(out) + "\n"


def intro_title(header):
    """(title, rest) of a header's top comment: "green.h - title." then
    the rest."""
    first, _, rest = header.intro.partition("\n\n")
    title = " ".join(first.split())
    m = re.match(r"\S+ - (.*)", title)
    return (m.group(1) if m else title).rstrip("."), rest


def section_name(section):
    return re.split(r"[:(]", section)[0].strip()


def write_man(headers, outdir):
    os.makedirs(outdir, exist_ok=True)
    pages = []
    for h in headers:
        others = [o.page for o in headers if o is not h]
        pages.append((h.page, overview_page(h, h.page.replace("_", "-"), others)))
        for fam in h.families:
            pages.append((fam.names[0], man_page(h, fam, "lib" + h.page.replace("_", "-"))))
            for alias in fam.names[1:]:
                pages.append((alias, f".so man3/{fam.names[0]}.3\n"))
    for name, text in pages:
        with open(os.path.join(outdir, name + ".3"), "w", encoding="utf-8") as f:
            f.write(text)
    return len(pages)


# ---- HTML ----------------------------------------------------------------

CSS = """body{font-family:sans-serif;max-width:58em;margin:2em auto;padding:0 1em;
line-height:1.45}pre{background:#f4f4f4;padding:.6em;overflow-x:auto}
code,pre{font-family:monospace}h2{border-bottom:1px solid #ccc}
.fn{margin:1.5em 0;padding-left:1em;border-left:3px solid #8b8}"""


def html_prose(comment):
    out = []
    for block in re.split(r"\n\s*\n", comment):
        lines = [l for l in block.splitlines() if not re.match(r"^-+$", l.strip())]
        if not lines:
            continue
        if any(l.startswith((" ", "\t")) for l in lines[1:]) or lines[0].startswith(" "):
            out.append("<pre>" + html.escape("\n".join(lines)) + "</pre>")
        else:
            out.append("<p>" + html.escape(" ".join(l.strip() for l in lines)) + "</p>")
    return "\n".join(out)


def write_html(headers, outdir):
    os.makedirs(outdir, exist_ok=True)
    idx = ["<!DOCTYPE html><html><head><meta charset='utf-8'>",
           "<title>libgreen reference</title><style>" + CSS + "</style></head><body>",
           "<h1>libgreen reference</h1>",
           "<p>Made from the public headers, which are the specification "
           "(as the man pages: <code>man 3 green</code>).</p><ul>"]
    for h in headers:
        title, rest = intro_title(h)
        idx.append(f"<li><a href='{h.page}.html'>{h.name}</a> ({h.version}): "
                   + html.escape(title) + "<ul>")
        for fam in h.families:
            idx.append(f"<li><a href='{h.page}.html#{fam.names[0]}'>"
                       + ", ".join(fam.names) + "</a></li>")
        idx.append("</ul></li>")
        body = ["<!DOCTYPE html><html><head><meta charset='utf-8'>",
                f"<title>{h.name}</title><style>{CSS}</style></head><body>",
                f"<p><a href='index.html'>index</a></p><h1>{h.name}</h1>",
                f"<p><em>{html.escape(title)}</em></p>",
                html_prose(rest),
                "<h2>Types and constants</h2>"]
        for section, comment, code in h.types:
            body.append("<pre>" + html.escape("\n".join(code)) + "</pre>")
            body.append(html_prose(comment))
        section = None
        for fam in h.families:
            if fam.section != section:
                section = fam.section
                body.append("<h2>" + html.escape(section_name(section)) + "</h2>")
            body.append(f"<div class='fn' id='{fam.names[0]}'>")
            for n in fam.names[1:]:
                body.append(f"<a id='{n}'></a>")
            body.append("<pre>" + html.escape("\n".join(fam.code + fam.decls)) + "</pre>")
            body.append(html_prose(fam.comment))
            body.append("</div>")
        body.append("</body></html>")
        with open(os.path.join(outdir, h.page + ".html"), "w", encoding="utf-8") as f:
            f.write("\n".join(body) + "\n")
    idx.append("</ul></body></html>")
    with open(os.path.join(outdir, "index.html"), "w", encoding="utf-8") as f:
        f.write("\n".join(idx) + "\n")


# ---- check ---------------------------------------------------------------

def check(headers, symbol_files):
    documented = {}
    for h in headers:
        for fam in h.families:
            for n in fam.names:
                documented[n] = fam
    exported = set()
    for path in symbol_files:
        for line in open(path, encoding="utf-8"):
            line = line.strip()
            if "@" in line:
                exported.add(line.split("@")[0])
    bad = 0
    for n in sorted(exported - documented.keys()):
        print(f"exported but not in the manual: {n}", file=sys.stderr)
        bad = 1
    for n in sorted(documented.keys() - exported):
        print(f"in the manual but not exported: {n}", file=sys.stderr)
        bad = 1
    for n, fam in sorted(documented.items()):
        if not fam.comment.strip():
            print(f"no documentation comment: {n}", file=sys.stderr)
            bad = 1
    if not bad:
        print(f"manual: {len(documented)} functions, all exported and documented")
    return bad


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("headers", nargs="+")
    ap.add_argument("--man")
    ap.add_argument("--html")
    ap.add_argument("--check", nargs="+", metavar="SYMBOLS")
    a = ap.parse_args()
    headers = [Header(p) for p in a.headers]
    status = 0
    if a.man:
        n = write_man(headers, a.man)
        print(f"man pages: {n} in {a.man}")
    if a.html:
        write_html(headers, a.html)
        print(f"HTML reference: {a.html}/index.html")
    if a.check:
        status = check(headers, a.check)
    return status


if __name__ == "__main__":
    sys.exit(main())
