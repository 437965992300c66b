#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""
gen_syscalls.py - generate the ulk_sys_<name>() system call wrappers.

Usage:
    gen_syscalls.py --tbl SYSCALL_TBL --abis common,64[,...]
                    --syscalls-h INCLUDE_LINUX_SYSCALLS_H
                    [--syscalls-h MORE_PROTOTYPES_H ...]
                    [--headers OUT_DIR]
                    --out-h OUT/ulk/syscalls.h --out-c OUT_C

For every entry of the system call table SYSCALL_TBL (the kernel's generic
scripts/syscall.tbl: "NR ABI NAME ENTRY [COMPAT]" per line) whose ABI is
one of --abis and whose entry point is neither missing nor sys_ni_syscall,
it writes

  * to --out-h: "#define __ULK_NR_<name> NR" (each under #ifndef, so the
    header agrees with <ulk/asm/unistd.h> whichever comes first), a
    declaration of ulk_syscall() and the prototype
    "long ulk_sys_<name>(...);";
  * to --out-c: the wrapper, which casts its arguments to long, stores them
    in "long args[6]" and returns ulk_syscall(__ULK_NR_<name>, args). The
    file includes <ulk/ulk.h>.

Parameter lists come from the entry point's "asmlinkage long sys_X(...);"
declaration in the --syscalls-h files: include/linux/syscalls.h and, for
sys_mmap and sys_rt_sigreturn, include/asm-generic/syscalls.h, which is
read too when it sits beside a given .../include/linux/syscalls.h. Where
a file declares an entry point more than once under different #if
branches, the branch taken with no CONFIG_ option set and BITS_PER_LONG ==
64 wins. Types become:

  * integers and other scalars: long;
  * a pointer to a struct or union that the exported headers define (found
    in --headers OUT_DIR/ulk/, written by export_headers.py): a pointer to
    its prefixed type, "struct ulk_sockaddr *", with its const; the
    kernel's struct user_msghdr becomes struct ulk_msghdr. The old System V
    IPC structures (msqid_ds, shmid_ds, semid_ds, ipc_perm), whose exported
    layouts are not the ones a 64-bit kernel uses, stay void *;
  * every other pointer: void *, or const void * when what it points to is
    const;
  * "struct pt_regs *" (the registers of the calling task, not a user
    argument): dropped.

Unnamed parameters get the names of the kernel's definitions for the
socket calls and a few others, "argN_" otherwise; a few input buffers that
the prototypes leave non-const (sendto's buffer, bind's and connect's
address, ...) are declared const. Without --headers every pointer is
void * or const void *. Wrapper names follow the table's NAME column
(sendfile, not sendfile64); prototypes follow its ENTRY column. Output is
written only when it changes.
"""

import argparse
import os
import re
import sys

PROG = "gen_syscalls.py"

# Structures whose exported layout is not what the 64-bit kernel copies.
NO_STRUCT = {"msqid_ds", "shmid_ds", "semid_ds", "ipc_perm"}
# Kernel-internal names of structures exported under another name.
STRUCT_ALIAS = {"user_msghdr": "msghdr"}
# Typedefs that are themselves pointers.
POINTER_TYPEDEFS = {"cap_user_header_t", "cap_user_data_t"}
# Known values for #if expressions; any other identifier is 0/undefined.
PP_VALUES = {"BITS_PER_LONG": 64, "__BITS_PER_LONG": 64}
# Names for parameters that the prototypes leave unnamed (those of the
# kernel's definitions).
PARAM_NAMES = {
    "sys_io_submit": "ctx_id nr iocbpp",
    "sys_pselect6": "n inp outp exp tsp sig",
    "sys_ppoll": "ufds nfds tsp sigmask sigsetsize",
    "sys_rt_sigaction": "sig act oact sigsetsize",
    "sys_socket": "family type protocol",
    "sys_socketpair": "family type protocol usockvec",
    "sys_bind": "fd umyaddr addrlen",
    "sys_listen": "fd backlog",
    "sys_accept": "fd upeer_sockaddr upeer_addrlen",
    "sys_accept4": "fd upeer_sockaddr upeer_addrlen flags",
    "sys_connect": "fd uservaddr addrlen",
    "sys_getsockname": "fd usockaddr usockaddr_len",
    "sys_getpeername": "fd usockaddr usockaddr_len",
    "sys_sendto": "fd buff len flags addr addr_len",
    "sys_recvfrom": "fd ubuf size flags addr addr_len",
    "sys_shutdown": "fd how",
    "sys_clone": "clone_flags newsp parent_tidptr child_tidptr tls",
}
# Pointer parameters the kernel only reads but declares without const:
# declared const here so that callers may pass const data.
CONST_PARAMS = {
    ("sys_bind", 1), ("sys_connect", 1), ("sys_sendto", 1),
    ("sys_sendto", 4), ("sys_sethostname", 0), ("sys_setdomainname", 0),
    ("sys_mount", 0), ("sys_mount", 1), ("sys_mount", 2), ("sys_mount", 4),
    ("sys_umount", 0), ("sys_msgsnd", 1),
}
# Parameter names that could be macros of the C library or the compiler.
RESERVED_NAMES = {
    "args", "errno", "stdin", "stdout", "stderr", "unix", "linux", "i386",
    "st_atime", "st_mtime", "st_ctime", "sa_handler", "sa_sigaction",
    "s6_addr", "h_addr", "major", "minor", "makedev", "assert", "NULL",
}
QUALIFIERS = {"const", "volatile", "__user", "__force", "restrict",
              "__restrict"}
BASIC_TYPES = {"void", "char", "short", "int", "long", "signed", "unsigned",
               "float", "double", "_Bool"}


class InputError(Exception):
    pass


# --------------------------------------------------------------------------
# The system call table
# --------------------------------------------------------------------------

def read_table(path, abis):
    """[(nr, name, entry)] of the chosen ABIs, in table order."""
    out = []
    seen = {}
    with open(path, encoding="utf-8") as f:
        for lineno, raw in enumerate(f, 1):
            line = raw.split("#", 1)[0].strip()
            if not line:
                continue
            fields = line.split()
            if len(fields) < 3 or not fields[0].isdigit():
                raise InputError("%s:%d: expected 'NR ABI NAME [ENTRY "
                                 "[COMPAT]]'" % (path, lineno))
            nr, abi, name = int(fields[0]), fields[1], fields[2]
            if abi not in abis:
                continue
            if not re.match(r"^[A-Za-z_]\w*$", name):
                raise InputError("%s:%d: bad name %r" % (path, lineno, name))
            if name in seen:
                raise InputError("%s:%d: %s already defined on line %d for "
                                 "these ABIs" % (path, lineno, name,
                                                 seen[name]))
            seen[name] = lineno
            entry = fields[3] if len(fields) > 3 else ""
            if entry in ("", "sys_ni_syscall"):
                continue
            if not re.match(r"^[A-Za-z_]\w*$", entry):
                raise InputError("%s:%d: bad entry point %r"
                                 % (path, lineno, entry))
            out.append((nr, name, entry))
    return out


# --------------------------------------------------------------------------
# Prototypes
# --------------------------------------------------------------------------

def strip_comments(text):
    text = re.sub(r"/\*.*?\*/", lambda m: re.sub(r"[^\n]", " ", m.group()),
                  text, flags=re.S)
    return re.sub(r"//[^\n]*", "", text)


def pp_eval(expr):
    """Value of a #if expression with no CONFIG_ option set."""
    expr = re.sub(r"\bdefined\s*\(\s*\w+\s*\)|\bdefined\s+\w+", "0", expr)
    expr = re.sub(r"\bIS_ENABLED\s*\(\s*\w+\s*\)", "0", expr)
    expr = re.sub(r"\b[A-Za-z_]\w*\b",
                  lambda m: str(PP_VALUES.get(m.group(), 0)), expr)
    expr = re.sub(r"(?<=\d)[uUlL]+\b", "", expr)
    expr = expr.replace("&&", " and ").replace("||", " or ")
    expr = re.sub(r"!(?!=)", " not ", expr)
    try:
        return bool(eval(expr, {"__builtins__": {}}, {}))   # digits only
    except Exception:
        return False


def read_prototypes(paths):
    """{entry: (params text, active)}; active: in the branch taken with no
    CONFIG_ option set."""
    protos = {}
    for path in paths:
        with open(path, encoding="utf-8") as f:
            text = strip_comments(f.read())
        text = re.sub(r"\\\n", " ", text)
        stack = []          # [taken now, some branch already taken]
        pending = []        # lines of a declaration in progress
        pending_active = True
        for line in text.split("\n"):
            m = re.match(r"^\s*#\s*(\w+)\s*(.*)$", line)
            if m and not pending:
                d, rest = m.group(1), m.group(2).strip()
                if d in ("if", "ifdef", "ifndef"):
                    if d == "ifdef":
                        val = rest.split()[0] in PP_VALUES if rest else False
                    elif d == "ifndef":
                        val = not (rest.split()[0] in PP_VALUES) if rest \
                            else True
                    else:
                        val = pp_eval(rest)
                    stack.append([val, val])
                elif d == "elif" and stack:
                    val = not stack[-1][1] and pp_eval(rest)
                    stack[-1] = [val, stack[-1][1] or val]
                elif d == "else" and stack:
                    stack[-1] = [not stack[-1][1], True]
                elif d == "endif" and stack:
                    stack.pop()
                continue
            if not pending and "asmlinkage" not in line:
                continue
            if not pending:
                pending_active = all(s[0] for s in stack)
            pending.append(line)
            joined = " ".join(pending)
            if ";" not in joined and "{" not in joined:
                continue
            pending = []
            m = re.search(r"asmlinkage\s+long\s+(sys_\w+)\s*\((.*?)\)\s*;",
                          joined)
            if not m:
                continue
            name, params = m.group(1), " ".join(m.group(2).split())
            old = protos.get(name)
            if old is None or (pending_active and not old[1]):
                protos[name] = (params, pending_active)
    return protos


def with_generic(paths):
    """paths, plus include/asm-generic/syscalls.h beside any
    include/linux/syscalls.h among them."""
    out = list(paths)
    for p in paths:
        d, f = os.path.split(os.path.normpath(p))
        if f == "syscalls.h" and os.path.basename(d) == "linux":
            g = os.path.join(os.path.dirname(d), "asm-generic", "syscalls.h")
            if os.path.isfile(g) and not any(os.path.samefile(g, q)
                                             for q in out
                                             if os.path.exists(q)):
                out.append(g)
    return out


def split_params(text):
    parts, depth, cur = [], 0, ""
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(cur.strip())
            cur = ""
        else:
            cur += ch
    if cur.strip():
        parts.append(cur.strip())
    return parts


def prefixed(name):
    """The prefix rule of export_headers.py."""
    stripped = name.lstrip("_")
    lead = name[:len(name) - len(stripped)]
    if stripped[:1].isupper():
        return lead + "ULK_" + stripped
    return lead + "ulk_" + stripped


def parse_param(text, known_structs):
    """(C type for the wrapper, kernel's name or None); type None = drop."""
    toks = re.findall(r"[A-Za-z_]\w*|\*|\[|\]|\(|\)|\S", text)
    if "(" in toks or "[" in toks:
        raise InputError("unsupported parameter %r" % text)
    nptr = toks.count("*")
    name = None
    words = [t for t in toks if t not in QUALIFIERS and t != "*"]
    if toks and re.match(r"^[A-Za-z_]", toks[-1]) and \
            toks[-1] not in QUALIFIERS:
        last = toks[-1]
        before = [t for t in toks[:-1] if t not in QUALIFIERS]
        if before and before[-1] == "*":
            name = last
        elif len(words) >= 2 and last not in BASIC_TYPES and \
                words[-2] not in ("struct", "union", "enum"):
            name = last
    if name is not None:
        words = words[:-1]
    if nptr == 0:
        if words and words[0] in POINTER_TYPEDEFS:
            return "void *", name
        return "long", name
    # const-ness of what the outermost pointer points to
    last_star = len(toks) - 1 - toks[::-1].index("*")
    prev_star = max([i for i in range(last_star) if toks[i] == "*"],
                    default=-1)
    const = "const" in toks[prev_star + 1:last_star]
    cq = "const " if const else ""
    if len(words) >= 2 and words[0] in ("struct", "union"):
        tag = words[1]
        if tag == "pt_regs":
            return None, name
        tag = STRUCT_ALIAS.get(tag, tag)
        if nptr == 1 and tag not in NO_STRUCT and \
                (words[0], prefixed(tag)) in known_structs:
            return "%s%s %s *" % (cq, words[0], prefixed(tag)), name
    return cq + "void *", name


def exported_structs(headers_dir):
    """{("struct"|"union", prefixed tag)} the exported headers define."""
    found = set()
    if not headers_dir:
        return found
    root = os.path.join(headers_dir, "ulk")
    if not os.path.isdir(root):
        raise InputError("%s: no ulk/ directory (run export_headers.py "
                         "first)" % headers_dir)
    pat = re.compile(r"\b(struct|union)\s+(_*(?:ulk|ULK)_\w+)\s*\{")
    alias = re.compile(r"#\s*define\s+(_*(?:ulk|ULK)_\w+)\s+"
                       r"(_*(?:ulk|ULK)_\w+)\s*$", re.M)
    for dirpath, dirs, files in os.walk(root):
        dirs.sort()
        for fn in sorted(files):
            if not fn.endswith(".h"):
                continue
            with open(os.path.join(dirpath, fn), encoding="utf-8",
                      errors="surrogateescape") as f:
                text = f.read()
            for kind, tag in pat.findall(text):
                found.add((kind, tag))
            for tag, _ in alias.findall(text):
                found.add(("struct", tag))
    return found


# --------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------

HEADER_DOC = """\
/* SPDX-License-Identifier: GPL-2.0 */
/**
 * DOC: ulk system call wrappers
 *
 * ulk_sys_<name>() makes system call <name> of the ulk kernel from the
 * calling host thread: it passes its arguments, each converted to long, to
 * ulk_syscall() with the number __ULK_NR_<name>. The numbers are those of
 * the generic Linux system call table (the kernel's scripts/syscall.tbl,
 * as on arm64 and riscv; ABIs: %(abis)s), not the host's:
 * ulk_sys_socket() is call %(socket_nr)s whatever the host architecture.
 * They are defined here and, identically, by <ulk/asm/unistd.h>.
 *
 * Parameters follow the kernel's prototypes (include/linux/syscalls.h):
 * integers are long, pointers are void * or, for structures that
 * <ulk/...> exports, a pointer to the prefixed structure (struct
 * ulk_sockaddr, struct ulk_epoll_event, ...), declared below so that only
 * callers that look inside need the defining header.
 *
 * Return: the system call's result, or a negative errno; see ulk_syscall()
 * in <ulk/ulk.h>.
 *
 * Generated by scripts/gen_syscalls.py; do not edit.
 */
#ifndef _ULK_SYSCALLS_H
#define _ULK_SYSCALLS_H

#ifdef __cplusplus
extern "C" {
#endif

long ulk_syscall(long nr, const long *args);

"""

HEADER_END = """
#ifdef __cplusplus
}
#endif

#endif /* _ULK_SYSCALLS_H */
"""

C_HEAD = """\
// SPDX-License-Identifier: GPL-2.0
/*
 * ulk_sys_<name>() wrappers around ulk_syscall(), one per system call of
 * the generic table (ABIs %(abis)s).
 * Generated by scripts/gen_syscalls.py; do not edit.
 */
#include <ulk/ulk.h>
"""


def build(table, protos, known, abis):
    calls = []
    structs = set()
    for nr, name, entry in table:
        if entry not in protos:
            raise InputError("no prototype 'asmlinkage long %s(...);' in the "
                             "--syscalls-h files (for %s, number %d)"
                             % (entry, name, nr))
        text = protos[entry][0]
        params = []
        names = PARAM_NAMES.get(entry, "").split()
        if text not in ("", "void"):
            for i, ptext in enumerate(split_params(text)):
                try:
                    ctype, pname = parse_param(ptext, known)
                except InputError as e:
                    raise InputError("%s: %s" % (entry, e))
                if ctype is None:
                    continue
                if pname is None and i < len(names):
                    pname = names[i]
                if (entry, i) in CONST_PARAMS and ctype.endswith("*") and \
                        not ctype.startswith("const "):
                    ctype = "const " + ctype
                params.append([ctype, pname, i])
        if len(params) > 6:
            raise InputError("%s: more than six parameters" % entry)
        used = set()
        for p in params:
            pname = p[1]
            if not pname or pname in RESERVED_NAMES or pname in used:
                pname = (pname or "arg%d" % (p[2] + 1)) + "_"
                while pname in used:
                    pname += "_"
            p[1] = pname
            used.add(pname)
            m = re.match(r"^(?:const )?(struct|union) (\w+) \*$", p[0])
            if m:
                structs.add((m.group(1), m.group(2)))
        calls.append((nr, name, entry, params))
    return calls, sorted(structs)


def decl(name, params):
    if not params:
        return "long ulk_sys_%s(void)" % name
    args = ", ".join("%s%s%s" % (t, "" if t.endswith("*") else " ", n)
                     for t, n, _ in params)
    return "long ulk_sys_%s(%s)" % (name, args)


def header_text(calls, structs, abis):
    socket_nr = next((str(nr) for nr, n, _, _ in calls if n == "socket"),
                     "NR")
    out = [HEADER_DOC % {"abis": ",".join(abis), "socket_nr": socket_nr}]
    out.append("/* System call numbers. */\n")
    for nr, name, _, _ in sorted(calls):
        out.append("#ifndef __ULK_NR_%s\n#define __ULK_NR_%s %d\n#endif\n"
                   % (name, name, nr))
    out.append("\n/* Structures the wrappers point to (see <ulk/...>). */\n")
    for kind, tag in structs:
        out.append("%s %s;\n" % (kind, tag))
    out.append("\n")
    for nr, name, entry, params in calls:
        out.append("/* %d: %s */\n%s;\n" % (nr, entry, decl(name, params)))
    out.append(HEADER_END)
    return "".join(out)


def c_text(calls, abis):
    out = [C_HEAD % {"abis": ",".join(abis)}]
    for nr, name, entry, params in calls:
        vals = ", ".join("(long)%s" % n for _, n, _ in params) or "0"
        out.append("\n%s\n{\n\tlong args[6] = { %s };\n\n"
                   "\treturn ulk_syscall(__ULK_NR_%s, args);\n}\n"
                   % (decl(name, params), vals, name))
    return "".join(out)


def write_if_changed(path, text):
    try:
        with open(path, encoding="utf-8") as f:
            if f.read() == text:
                return
    except OSError:
        pass
    d = os.path.dirname(path)
    if d:
        os.makedirs(d, exist_ok=True)
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)


def main(argv):
    ap = argparse.ArgumentParser(
        prog=PROG,
        description="Generate ulk_sys_<name>() wrappers from the kernel's "
                    "generic system call table.")
    ap.add_argument("--tbl", required=True, metavar="SYSCALL_TBL",
                    help="the kernel's scripts/syscall.tbl")
    ap.add_argument("--abis", required=True, metavar="ABI[,ABI...]",
                    help="ABIs to take from the table, e.g. common,64")
    ap.add_argument("--syscalls-h", required=True, action="append",
                    metavar="FILE", dest="syscalls_h",
                    help="file with 'asmlinkage long sys_X(...);' "
                         "prototypes (include/linux/syscalls.h); repeatable")
    ap.add_argument("--headers", metavar="OUT_DIR",
                    help="output of export_headers.py, to type pointers to "
                         "exported structures")
    ap.add_argument("--out-h", required=True, metavar="FILE",
                    help="header to write (OUT/ulk/syscalls.h)")
    ap.add_argument("--out-c", required=True, metavar="FILE",
                    help="C file to write")
    args = ap.parse_args(argv[1:])
    abis = [a.strip() for a in args.abis.split(",") if a.strip()]
    if not abis:
        ap.error("--abis: no ABI given")
    try:
        table = read_table(args.tbl, set(abis))
        if not table:
            raise InputError("%s: no system call for ABIs %s"
                             % (args.tbl, ",".join(abis)))
        protos = read_prototypes(with_generic(args.syscalls_h))
        known = exported_structs(args.headers)
        calls, structs = build(table, protos, known, abis)
    except (InputError, OSError, UnicodeDecodeError) as e:
        sys.stderr.write("%s: error: %s\n" % (PROG, e))
        return 1
    write_if_changed(args.out_h, header_text(calls, structs, abis))
    write_if_changed(args.out_c, c_text(calls, abis))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
