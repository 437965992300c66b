#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""
export_headers.py - publish the kernel's user-space API headers with every
identifier they define prefixed, so they can sit beside the C library's.

Usage:
    export_headers.py IN_DIR OUT_DIR

IN_DIR is the output of the kernel's
    make headers_install INSTALL_HDR_PATH=IN_DIR
that is, IN_DIR/include/linux, IN_DIR/include/asm, ... (IN_DIR may also be
that include/ directory itself). For every header IN_DIR/include/D/F.h the
script writes OUT_DIR/ulk/D/F.h, so host code compiled with "-I OUT_DIR"
does "#include <ulk/linux/in.h>". It also writes OUT_DIR/ulk/socket_extra.h
(socket-layer definitions that the kernel keeps outside its uapi: struct
ulk_sockaddr, ULK_AF_*, ULK_SOCK_*, ULK_MSG_*, ...) and OUT_DIR/ulk/abi.h,
which includes a useful set of the headers. Files are only rewritten when
their content changes, and stale headers in the generated directories are
removed; the output depends on nothing but the input.

The prefix rule
---------------
An identifier that the headers define - an object-like or function-like
macro, a struct/union/enum tag, a typedef name, an enumeration constant or
a (static inline) function - is renamed wherever it names that entity:

  * after any leading underscores, "ULK_" is inserted when the next
    character is an upper-case letter and "ulk_" otherwise:
        sockaddr_in -> ulk_sockaddr_in      AF_INET     -> ULK_AF_INET
        __NR_socket -> __ULK_NR_socket      __u32       -> __ulk_u32
        _IOC        -> _ULK_IOC             __kernel_size_t -> __ulk_kernel_size_t
    Include guards are macros, so they follow the same rule.
  * a name that the headers define only as a struct/union/enum tag is
    renamed after "struct", "union" or "enum" (and inside #define bodies,
    where such a macro may later follow the keyword), never as a member name:
    "struct stat" becomes "struct ulk_stat" while a member called "stat"
    stays "stat";
  * a name defined only as a function-like macro is renamed where it is
    invoked (followed by "(") and where a directive names it, so struct
    members with the same spelling keep their names;
  * every other defined name is renamed at every occurrence (outside
    comments and string literals; comments are left as they are).

Identifiers that the headers do not define - C keywords, compiler
extensions (__attribute__, __extension__, __signed__, __inline__, ...),
predefined macros (__GNUC__, __x86_64__, ...), C library names - keep their
spelling. "#include <D/...>" becomes "#include <ulk/D/...>" for every
top-level directory D of IN_DIR/include; other includes are untouched.

Adjustments that make the prefixed headers usable next to the C library:

  * tests of __GLIBC__ in #if/#ifdef/#ifndef/#elif are evaluated as if no
    C library were present: the prefixed names cannot clash, so the
    linux/libc-compat.h hand-shake must always yield "define everything";
  * a header that uses "struct X" (other than through a pointer) where X is
    defined by another exported header it does not include - i.e. it relied
    on the C library's struct of that name, such as struct timeval or struct
    sockaddr - gets an #include of the defining ulk header, so struct ulk_X
    is complete where it is needed.
"""

import os
import re
import sys

USAGE = """usage: export_headers.py IN_DIR OUT_DIR

  IN_DIR   output of 'make headers_install INSTALL_HDR_PATH=IN_DIR'
           (must contain include/linux, or be that include directory)
  OUT_DIR  where OUT_DIR/ulk/<dir>/*.h, OUT_DIR/ulk/abi.h and
           OUT_DIR/ulk/socket_extra.h are written
"""

# Names that are never renamed even if some header happens to define them
# (a fallback definition of a compiler keyword must keep working as one).
KEEP = set("""
auto break case char const continue default do double else enum extern float
for goto if inline int long register restrict return short signed sizeof
static struct switch typedef union unsigned void volatile while
_Alignas _Alignof _Atomic _Bool _Complex _Generic _Imaginary _Noreturn
_Static_assert _Thread_local asm typeof bool true false NULL offsetof
__attribute__ __attribute __extension__ __signed__ __signed __inline__
__inline __volatile__ __volatile __asm__ __asm __typeof__ __typeof __const__
__const __restrict__ __restrict __alignof__ __alignof __label__ __thread
__int128 __auto_type __real__ __imag__ __complex__ __builtin_va_list
defined __has_include __has_include_next __has_attribute __has_builtin
__VA_ARGS__ __VA_OPT__ __FILE__ __LINE__ __func__ __FUNCTION__ __DATE__
__TIME__ __COUNTER__ __STDC__ __STDC_VERSION__ __cplusplus __GNUC__
__GNUC_MINOR__ __GNUC_PATCHLEVEL__ __clang__ __KERNEL__ __ASSEMBLY__
__CHECKER__ __GLIBC__ __x86_64__ __i386__ __LP64__ __ILP32__
""".split())

# C library names. A few headers (linux/coda.h) carry fallback definitions
# of them for systems without a C library; they stay the C library's.
LIBC_NAMES = set("""
int8_t int16_t int32_t int64_t uint8_t uint16_t uint32_t uint64_t u_int8_t
u_int16_t u_int32_t u_int64_t intptr_t uintptr_t size_t ssize_t ptrdiff_t
wchar_t u_char u_short u_int u_long u_quad_t quad_t caddr_t daddr_t ino_t
dev_t off_t pid_t uid_t gid_t mode_t nlink_t time_t clock_t key_t socklen_t
__BIT_TYPES_DEFINED__ __LITTLE_ENDIAN __BIG_ENDIAN __PDP_ENDIAN __BYTE_ORDER
""".split())
KEEP |= LIBC_NAMES

# Tests of these names in conditionals are answered "no C library here".
LIBC_DETECT = {"__GLIBC__"}

# Files of abi.h, in order; those absent from IN_DIR are skipped.
ABI_HEADERS = """
linux/types.h linux/socket.h linux/in.h linux/in6.h linux/if.h
linux/if_ether.h linux/tcp.h linux/udp.h linux/netlink.h linux/rtnetlink.h
linux/neighbour.h linux/if_addr.h linux/if_link.h linux/sockios.h linux/net.h
linux/uio.h linux/time.h linux/time_types.h linux/eventpoll.h linux/eventfd.h
linux/fcntl.h linux/poll.h linux/utsname.h linux/stat.h linux/errno.h
linux/sysinfo.h
""".split()

C_KEYWORDS = set("""
auto break case char const continue default do double else enum extern float
for goto if inline int long register restrict return short signed sizeof
static struct switch typedef union unsigned void volatile while _Bool
__signed__ __inline__ __inline __volatile__ __const __const__ __restrict
__restrict__ __extension__ __int128 __attribute__ __attribute _Static_assert
""".split())

TOKEN_RE = re.compile(r"""
    (?P<bc>/\*.*?\*/)
  | (?P<lc>//[^\n]*)
  | (?P<str>"(?:\\.|[^"\\\n])*")
  | (?P<chr>'(?:\\.|[^'\\\n])*')
  | (?P<num>\.?[0-9](?:[eEpP][+-]|[0-9A-Za-z_.])*)
  | (?P<id>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<cont>\\\r?\n)
  | (?P<nl>\n)
  | (?P<ws>[ \t\f\v\r]+)
  | (?P<op>.)
""", re.S | re.X)

KEYWORD_BEFORE_TAG = (("id", "struct"), ("id", "union"), ("id", "enum"))
MEMBER_ACCESS = (("op", "."), ("op", ">"))

# function-like macro -> [parameter names, usage class sets]; set by main()
MACRO_INFO = {}

INCLUDE_RE = re.compile(r'^(\s*#\s*include\s*)([<"])([^>"]+)([>"])(.*)$', re.S)

# --------------------------------------------------------------------------
# Template of ulk/socket_extra.h. Values are those of the generic Linux ABI
# (include/linux/socket.h and include/linux/net.h of the kernel, which are
# not part of the uapi). Each entry: (unprefixed name, kind, C text).
# Macros whose unprefixed name is already defined by the exported headers
# are left out (e.g. AF_TIPC comes from linux/tipc.h).
# --------------------------------------------------------------------------
AF_VALUES = [
    ("UNSPEC", "0"), ("UNIX", "1"), ("LOCAL", "1"), ("INET", "2"),
    ("AX25", "3"), ("IPX", "4"), ("APPLETALK", "5"), ("NETROM", "6"),
    ("BRIDGE", "7"), ("ATMPVC", "8"), ("X25", "9"), ("INET6", "10"),
    ("ROSE", "11"), ("DECnet", "12"), ("NETBEUI", "13"), ("SECURITY", "14"),
    ("KEY", "15"), ("NETLINK", "16"), ("ROUTE", "16"), ("PACKET", "17"),
    ("ASH", "18"), ("ECONET", "19"), ("ATMSVC", "20"), ("RDS", "21"),
    ("SNA", "22"), ("IRDA", "23"), ("PPPOX", "24"), ("WANPIPE", "25"),
    ("LLC", "26"), ("IB", "27"), ("MPLS", "28"), ("CAN", "29"),
    ("TIPC", "30"), ("BLUETOOTH", "31"), ("IUCV", "32"), ("RXRPC", "33"),
    ("ISDN", "34"), ("PHONET", "35"), ("IEEE802154", "36"), ("CAIF", "37"),
    ("ALG", "38"), ("NFC", "39"), ("VSOCK", "40"), ("KCM", "41"),
    ("QIPCRTR", "42"), ("SMC", "43"), ("XDP", "44"), ("MCTP", "45"),
    ("MAX", "46"),
]

SOCK_MACROS = [
    ("SOCK_STREAM", "1"), ("SOCK_DGRAM", "2"), ("SOCK_RAW", "3"),
    ("SOCK_RDM", "4"), ("SOCK_SEQPACKET", "5"), ("SOCK_DCCP", "6"),
    ("SOCK_PACKET", "10"), ("SOCK_TYPE_MASK", "0xf"),
    ("SOCK_CLOEXEC", "ULK_O_CLOEXEC"), ("SOCK_NONBLOCK", "ULK_O_NONBLOCK"),
    ("SOL_IP", "0"), ("SOL_TCP", "6"), ("SOL_UDP", "17"), ("SOL_IPV6", "41"),
    ("SOL_ICMPV6", "58"), ("SOL_SCTP", "132"), ("SOL_UDPLITE", "136"),
    ("SOL_RAW", "255"), ("SOL_PACKET", "263"), ("SOL_NETLINK", "270"),
    ("SOL_TIPC", "271"), ("SOL_ALG", "279"), ("SOL_XDP", "283"),
    ("SOMAXCONN", "4096"),
    ("SCM_RIGHTS", "0x01"), ("SCM_CREDENTIALS", "0x02"),
    ("SCM_SECURITY", "0x03"), ("SCM_PIDFD", "0x04"),
    ("MSG_OOB", "1"), ("MSG_PEEK", "2"), ("MSG_DONTROUTE", "4"),
    ("MSG_CTRUNC", "8"), ("MSG_PROBE", "0x10"), ("MSG_TRUNC", "0x20"),
    ("MSG_DONTWAIT", "0x40"), ("MSG_EOR", "0x80"), ("MSG_WAITALL", "0x100"),
    ("MSG_FIN", "0x200"), ("MSG_SYN", "0x400"), ("MSG_CONFIRM", "0x800"),
    ("MSG_RST", "0x1000"), ("MSG_ERRQUEUE", "0x2000"),
    ("MSG_NOSIGNAL", "0x4000"), ("MSG_MORE", "0x8000"),
    ("MSG_WAITFORONE", "0x10000"), ("MSG_BATCH", "0x40000"),
    ("MSG_ZEROCOPY", "0x4000000"), ("MSG_FASTOPEN", "0x20000000"),
    ("MSG_CMSG_CLOEXEC", "0x40000000"),
    ("SHUT_RD", "0"), ("SHUT_WR", "1"), ("SHUT_RDWR", "2"),
]

SOCKET_EXTRA_HEAD = """\
/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * ulk/socket_extra.h - socket definitions of the generic Linux ABI that the
 * kernel does not export in its uapi headers (they live in the kernel's
 * include/linux/socket.h and include/linux/net.h), prefixed like the rest
 * of <ulk/...>. Generated by scripts/export_headers.py; do not edit.
 *
 * SO_* options and SOL_SOCKET come from <ulk/asm/socket.h>, struct
 * ulk_iovec from <ulk/linux/uio.h>; both are included here.
 */
#ifndef _ULK_SOCKET_EXTRA_H
#define _ULK_SOCKET_EXTRA_H

#include <ulk/linux/types.h>
#include <ulk/linux/socket.h>
#include <ulk/asm/socket.h>
#include <ulk/asm/fcntl.h>
#include <ulk/linux/uio.h>

typedef __ulk_kernel_sa_family_t ulk_sa_family_t;

/* Generic socket address: 14 bytes of address after the family. */
struct ulk_sockaddr {
	ulk_sa_family_t sa_family;	/* ULK_AF_* */
	char sa_data[14];
};

/* The kernel's name for its sockaddr_storage. */
#define ulk_sockaddr_storage __ulk_kernel_sockaddr_storage

/* Argument of ULK_SO_LINGER. */
struct ulk_linger {
	int l_onoff;
	int l_linger;
};

/* Credentials of ULK_SCM_CREDENTIALS and ULK_SO_PEERCRED. */
struct ulk_ucred {
	__ulk_u32 pid;
	__ulk_u32 uid;
	__ulk_u32 gid;
};

/* User-space message header of sendmsg()/recvmsg() (kernel: user_msghdr). */
struct ulk_msghdr {
	void *msg_name;
	int msg_namelen;
	struct ulk_iovec *msg_iov;
	__ulk_kernel_size_t msg_iovlen;
	void *msg_control;
	__ulk_kernel_size_t msg_controllen;
	unsigned int msg_flags;
};

/* Element of sendmmsg()/recvmmsg() vectors. */
struct ulk_mmsghdr {
	struct ulk_msghdr msg_hdr;
	unsigned int msg_len;
};

/* Ancillary data object header; data follows at ULK_CMSG_DATA(). */
struct ulk_cmsghdr {
	__ulk_kernel_size_t cmsg_len;
	int cmsg_level;
	int cmsg_type;
};

#define ULK_CMSG_ALIGN(len) \\
	(((len) + sizeof(long) - 1) & ~(sizeof(long) - 1))
#define ULK_CMSG_DATA(cmsg) \\
	((void *)((char *)(cmsg) + ULK_CMSG_ALIGN(sizeof(struct ulk_cmsghdr))))
#define ULK_CMSG_SPACE(len) \\
	(ULK_CMSG_ALIGN(sizeof(struct ulk_cmsghdr)) + ULK_CMSG_ALIGN(len))
#define ULK_CMSG_LEN(len) (ULK_CMSG_ALIGN(sizeof(struct ulk_cmsghdr)) + (len))
#define ULK_CMSG_FIRSTHDR(msg) \\
	((msg)->msg_controllen >= sizeof(struct ulk_cmsghdr) ? \\
	 (struct ulk_cmsghdr *)(msg)->msg_control : (struct ulk_cmsghdr *)0)

"""

# Names socket_extra.h provides, unprefixed, with their kind.
SOCKET_EXTRA_PROVIDES = {
    "sockaddr": "tag", "linger": "tag", "ucred": "tag", "msghdr": "tag",
    "mmsghdr": "tag", "cmsghdr": "tag", "sockaddr_storage": "tag",
}


def die(msg):
    sys.stderr.write("export_headers.py: error: %s\n" % msg)
    sys.exit(1)


def prefixed(name):
    """Apply the prefix rule to one identifier."""
    stripped = name.lstrip("_")
    lead = name[:len(name) - len(stripped)]
    if not stripped:
        return name + "ulk"
    if stripped[0].isupper():
        return lead + "ULK_" + stripped
    return lead + "ulk_" + stripped


def tokenize(text, path):
    toks = []
    pos = 0
    n = len(text)
    while pos < n:
        m = TOKEN_RE.match(text, pos)
        kind = m.lastgroup
        val = m.group(kind)
        if kind == "op" and val == "/" and text.startswith("/*", pos):
            die("%s: unterminated comment" % path)
        toks.append((kind, val))
        pos = m.end()
    return toks


def split_lines(toks):
    """Split tokens into lines; a line is (is_directive, tokens)."""
    lines = []
    cur = []
    for t in toks:
        cur.append(t)
        if t[0] == "nl":
            lines.append(cur)
            cur = []
    if cur:
        lines.append(cur)
    out = []
    for line in lines:
        directive = False
        for kind, val in line:
            if kind in ("ws", "bc", "cont", "nl", "lc"):
                continue
            directive = kind == "op" and val == "#"
            break
        out.append((directive, line))
    return out


def significant(line):
    return [t for t in line if t[0] not in ("ws", "bc", "lc", "cont", "nl")]


def directive_name(line):
    sig = significant(line)
    if len(sig) >= 2 and sig[1][0] == "id":
        return sig[1][1]
    return ""


class Header:
    def __init__(self, rel, text):
        self.rel = rel            # e.g. "linux/in.h"
        self.text = text
        self.toks = tokenize(text, rel)
        self.lines = split_lines(self.toks)
        self.includes = []        # resolved relative paths
        self.tag_uses = {}        # tag -> True if used other than via pointer


# --------------------------------------------------------------------------
# Pass 1: what do the headers define?
# --------------------------------------------------------------------------

def skip_group(ctoks, i):
    """ctoks[i] is an opening bracket; return index after its match."""
    pairs = {"(": ")", "[": "]", "{": "}"}
    stack = []
    n = len(ctoks)
    while i < n:
        v = ctoks[i][1]
        if ctoks[i][0] == "op":
            if v in pairs:
                stack.append(pairs[v])
            elif stack and v == stack[-1]:
                stack.pop()
                if not stack:
                    return i + 1
        i += 1
    return n


def skip_attributes(ctoks, i):
    n = len(ctoks)
    while i < n and ctoks[i] in (("id", "__attribute__"),
                                 ("id", "__attribute")):
        i += 1
        if i < n and ctoks[i] == ("op", "("):
            i = skip_group(ctoks, i)
    return i


def typedef_names(decl, macros):
    """Names declared by the tokens of one typedef (without 'typedef'/';')."""
    # Drop bodies and attributes.
    flat = []
    i = 0
    while i < len(decl):
        t = decl[i]
        if t == ("op", "{"):
            i = skip_group(decl, i)
            flat.append(("op", "{}"))
            continue
        if t in (("id", "__attribute__"), ("id", "__attribute")):
            i = skip_attributes(decl, i)
            continue
        flat.append(t)
        i += 1
    # Split at commas outside parentheses/brackets.
    parts, cur, depth = [], [], 0
    for t in flat:
        if t[0] == "op" and t[1] in "([":
            depth += 1
        elif t[0] == "op" and t[1] in ")]":
            depth -= 1
        if depth == 0 and t == ("op", ","):
            parts.append(cur)
            cur = []
        else:
            cur.append(t)
    parts.append(cur)
    names = []
    for part in parts:
        found = None
        for strict in (True, False):
            for j, t in enumerate(part):
                if t[0] != "id" or t[1] in C_KEYWORDS:
                    continue
                if j > 0 and part[j - 1] in (("id", "struct"), ("id", "union"),
                                             ("id", "enum")):
                    continue
                if strict and t[1] in macros:
                    continue
                nxt = part[j + 1] if j + 1 < len(part) else None
                if nxt is None or nxt[0] == "op" and nxt[1] in ")[;,=:":
                    found = t[1]
                elif nxt == ("op", "("):
                    after = part[j + 2] if j + 2 < len(part) else None
                    if after is None or after[1] not in ("*", "^", "("):
                        found = t[1]
                if found:
                    break
            if found:
                break
        if found:
            names.append(found)
    return names


def collect(headers):
    """Return {name: set(kinds)} and {tag: set(defining rel paths)}."""
    kinds = {}
    tag_files = {}
    macros = set()
    macro_info = {}     # function-like macro -> [params, usage sets]
    passes = []         # (macro, param index, callee, callee arg index)

    def add(name, kind):
        kinds.setdefault(name, set()).add(kind)

    per_file_c = {}
    for h in headers:
        ctoks = []
        for is_dir, line in h.lines:
            if is_dir:
                sig = significant(line)
                if directive_name(line) == "define" and len(sig) >= 3 \
                        and sig[2][0] == "id":
                    name = sig[2][1]
                    # function-like when "(" follows the name immediately
                    idx = line.index(sig[2])
                    fn = idx + 1 < len(line) and line[idx + 1] == ("op", "(")
                    add(name, "fnmacro" if fn else "objmacro")
                    macros.add(name)
                    if fn:
                        record_macro(macro_info, passes, name, sig[3:])
            else:
                ctoks.extend(t for t in line
                             if t[0] in ("id", "op", "num", "str", "chr"))
        per_file_c[h.rel] = ctoks

    for h in headers:
        ctoks = per_file_c[h.rel]
        n = len(ctoks)
        depth = 0
        stmt_start = 0
        i = 0
        while i < n:
            kind, val = ctoks[i]
            if kind == "id" and val in ("struct", "union", "enum"):
                j = skip_attributes(ctoks, i + 1)
                if j < n and ctoks[j][0] == "id":
                    tag = ctoks[j][1]
                    k = skip_attributes(ctoks, j + 1)
                    if k < n and ctoks[k] == ("op", "{"):
                        add(tag, "tag")
                        tag_files.setdefault(tag, set()).add(h.rel)
                    j = k
                if val == "enum" and j < n and ctoks[j] == ("op", "{"):
                    end = skip_group(ctoks, j)
                    expect = True
                    level = 0
                    for t in ctoks[j + 1:end - 1]:
                        if t[0] == "op" and t[1] in "([{":
                            level += 1
                        elif t[0] == "op" and t[1] in ")]}":
                            level -= 1
                        elif level == 0 and t == ("op", ","):
                            expect = True
                            continue
                        if expect and level == 0 and t[0] == "id":
                            add(t[1], "enum")
                            expect = False
                        elif expect and t[0] != "id":
                            expect = False
                i += 1
                continue
            if kind == "op" and val == "{":
                depth += 1
            elif kind == "op" and val == "}":
                depth -= 1
                if depth == 0:
                    stmt_start = i + 1
            elif kind == "op" and val == ";" and depth == 0:
                stmt_start = i + 1
            elif depth == 0 and kind == "id" and val == "typedef" \
                    and i == stmt_start:
                # find the end of the typedef
                j = i + 1
                lvl = 0
                while j < n:
                    t = ctoks[j]
                    if t[0] == "op" and t[1] in "([{":
                        lvl += 1
                    elif t[0] == "op" and t[1] in ")]}":
                        lvl -= 1
                    elif lvl == 0 and t == ("op", ";"):
                        break
                    j += 1
                for name in typedef_names(ctoks[i + 1:j], macros):
                    add(name, "typedef")
                # let the loop see the body for tags and enumerators
            elif depth == 0 and kind == "id" and val not in C_KEYWORDS \
                    and val not in macros and i + 1 < n \
                    and ctoks[i + 1] == ("op", "(") and i > stmt_start \
                    and ctoks[stmt_start] != ("id", "typedef") \
                    and (ctoks[i - 1][0] == "id" or ctoks[i - 1] == ("op", "*")):
                end = skip_group(ctoks, i + 1)
                end = skip_attributes(ctoks, end)
                if end < n and ctoks[end] in (("op", "{"), ("op", ";")):
                    add(val, "func")
            i += 1
    for name in list(kinds):
        if name in KEEP:
            del kinds[name]
    # A parameter handed on to another macro is used the way that one uses it.
    changed = True
    rounds = 0
    while changed and rounds < 20:
        changed = False
        rounds += 1
        for name, k, callee, m in passes:
            extra = arg_usage(macro_info, callee, m)
            cur = macro_info[name][1][k]
            if not extra <= cur:
                cur |= extra
                changed = True
    return kinds, tag_files, macro_info


def call_context(sig, i):
    """If sig[i] is a whole argument of a call NAME(...), return
    (index of NAME in sig, argument number); else None."""
    depth = 0
    argno = 0
    j = i - 1
    while j >= 0:
        t = sig[j]
        if t[0] == "op" and t[1] in ")]}":
            depth += 1
        elif t[0] == "op" and t[1] in "([{":
            if depth == 0:
                if t[1] == "(" and j > 0 and sig[j - 1][0] == "id":
                    return j - 1, argno
                return None
            depth -= 1
        elif depth == 0 and t == ("op", ","):
            argno += 1
        j -= 1
    return None


def record_macro(macro_info, passes, name, rest):
    """Note how a function-like macro uses each parameter.

    rest: significant tokens after the macro name, starting with "(".
    Usage classes: "call" (P(...)), "tag" (struct P), "paste" (#P, P##),
    "plain" (anything else).
    """
    params = []
    i = 1
    while i < len(rest) and rest[i] != ("op", ")"):
        t = rest[i]
        if t[0] == "id":
            params.append(t[1])
        elif t == ("op", "."):
            if not params or rest[i - 1] == ("op", ","):
                params.append("__VA_ARGS__")
            while i + 1 < len(rest) and rest[i + 1] == ("op", "."):
                i += 1
        i += 1
    body = rest[i + 1:]
    if name in macro_info and len(macro_info[name][0]) == len(params):
        usage = macro_info[name][1]
    else:
        usage = [set() for _ in params]
        macro_info[name] = [params, usage]
    index = {p: k for k, p in enumerate(params)}
    for j, t in enumerate(body):
        if t[0] != "id" or t[1] not in index:
            continue
        k = index[t[1]]
        prev = body[j - 1] if j > 0 else None
        nxt = body[j + 1] if j + 1 < len(body) else None
        if nxt == ("op", "("):
            usage[k].add("call")
        elif prev in KEYWORD_BEFORE_TAG:
            usage[k].add("tag")
        elif prev == ("op", "#") or nxt == ("op", "#"):
            usage[k].add("paste")
        else:
            usage[k].add("plain")
            if prev in (("op", "("), ("op", ",")) and \
                    nxt in (("op", ")"), ("op", ",")):
                ctx = call_context(body, j)
                if ctx is not None:
                    passes.append((name, k, body[ctx[0]][1], ctx[1]))


def arg_usage(macro_info, callee, argno):
    info = macro_info.get(callee)
    if info is None:
        return set()
    params, usage = info
    if argno < len(params):
        return usage[argno]
    if params and params[-1] == "__VA_ARGS__":
        return usage[-1]
    return set()


# --------------------------------------------------------------------------
# Pass 2: rewrite.
# --------------------------------------------------------------------------

def next_sig(line, i):
    for j in range(i + 1, len(line)):
        if line[j][0] not in ("ws", "bc", "lc", "cont", "nl"):
            return j
    return None


def prev_sig(line, i):
    for j in range(i - 1, -1, -1):
        if line[j][0] not in ("ws", "bc", "lc", "cont", "nl"):
            return j
    return None




def macro_params(line, sig):
    """Parameter names of a function-like #define (sig: significant idx)."""
    params = set()
    if len(sig) >= 4 and line[sig[2] + 1:sig[2] + 2] == [("op", "(")]:
        for i in sig[3:]:
            t = line[i]
            if t == ("op", ")"):
                break
            if t[0] == "id":
                params.add(t[1])
    return params


def rename_tokens(line, kinds, define_body=False, params=(),
                  name_positions=()):
    """Rename the identifiers of one logical line; returns new tokens.

    define_body: the line is a #define (its replacement list may be pasted
    anywhere, so tag and function-like macro names are renamed unless they
    follow "." or "->"); params: the macro's parameter names, never renamed;
    name_positions: token indexes that name a macro (#ifdef X, defined X).
    """
    out = list(line)
    for i, (kind, val) in enumerate(line):
        if kind != "id":
            continue
        if define_body and val not in params and val not in KEEP:
            # First fragment of a token paste: prefixing it prefixes the
            # pasted name (PERF_MEM_##a -> ULK_PERF_MEM_##a).
            nx = next_sig(line, i)
            pv = prev_sig(line, i)
            if nx is not None and nx + 1 < len(line) and line[nx] == \
                    ("op", "#") and line[nx + 1] == ("op", "#") and \
                    not (pv is not None and pv >= 1 and line[pv] ==
                         ("op", "#") and line[pv - 1] == ("op", "#")):
                out[i] = (kind, prefixed(val))
                continue
        if val not in kinds:
            continue
        if i in name_positions:
            out[i] = (kind, prefixed(val))
            continue
        if define_body and val in params:
            continue
        k = kinds[val]
        p = prev_sig(line, i)
        prev = line[p] if p is not None else None
        nx = next_sig(line, i)
        nxt = line[nx] if nx is not None else None
        use = None
        if prev in (("op", "("), ("op", ",")) and \
                nxt in (("op", ")"), ("op", ",")):
            # a whole argument of a call: how does the macro called use it?
            sig = [j for j, t in enumerate(line)
                   if t[0] not in ("ws", "bc", "lc", "cont", "nl")]
            stoks = [line[j] for j in sig]
            ctx = call_context(stoks, sig.index(i))
            if ctx is not None and stoks[ctx[0]][1] in MACRO_INFO:
                use = arg_usage(MACRO_INFO, stoks[ctx[0]][1], ctx[1])
        if use is not None and use and use <= {"paste"}:
            continue            # only a fragment of a pasted name
        if k - {"tag", "fnmacro"}:
            out[i] = (kind, prefixed(val))
            continue
        # Only a tag and/or a function-like macro: rename where it names one.
        if "fnmacro" in k and nxt == ("op", "("):
            ok = True
        elif "tag" in k and prev in KEYWORD_BEFORE_TAG:
            ok = True
        elif prev in MEMBER_ACCESS:
            ok = False
        elif use is not None:
            ok = ("tag" in k and "tag" in use) or \
                ("fnmacro" in k and "call" in use)
        else:
            ok = define_body
        if ok:
            out[i] = (kind, prefixed(val))
    return out


def rewrite_condition(line, directive):
    """Answer tests of C library macros as 'absent'."""
    sig_idx = [i for i, t in enumerate(line)
               if t[0] not in ("ws", "bc", "lc", "cont", "nl")]
    if directive in ("ifdef", "ifndef"):
        if len(sig_idx) >= 3 and line[sig_idx[2]][1] in LIBC_DETECT:
            val = "0" if directive == "ifdef" else "1"
            name = line[sig_idx[2]][1]
            return [("op", "#"), ("id", "if"), ("ws", " "), ("num", val),
                    ("ws", " "), ("bc", "/* ulk: %s %s */" % (directive, name)),
                    ("nl", "\n")]
        return line
    # #if / #elif: defined(X) / defined X / X  ->  0
    out = []
    i = 0
    n = len(line)
    while i < n:
        t = line[i]
        if t == ("id", "defined"):
            j = next_sig(line, i)
            if j is not None and line[j] == ("op", "("):
                k = next_sig(line, j)
                m = next_sig(line, k) if k is not None else None
                if k is not None and line[k][1] in LIBC_DETECT \
                        and m is not None and line[m] == ("op", ")"):
                    out.append(("num", "0"))
                    i = m + 1
                    continue
            elif j is not None and line[j][1] in LIBC_DETECT:
                out.append(("num", "0"))
                i = j + 1
                continue
        if t[0] == "id" and t[1] in LIBC_DETECT:
            out.append(("num", "0"))
            i += 1
            continue
        out.append(t)
        i += 1
    return out


def guard_insert_index(lines):
    """Index of the line before which injected includes go."""
    sig_lines = [i for i, (d, l) in enumerate(lines) if significant(l)]
    if len(sig_lines) >= 2:
        a, b = sig_lines[0], sig_lines[1]
        la, lb = significant(lines[a][1]), significant(lines[b][1])
        if lines[a][0] and lines[b][0] and directive_name(lines[a][1]) == \
                "ifndef" and directive_name(lines[b][1]) == "define" \
                and len(la) >= 3 and len(lb) >= 3 and la[2] == lb[2]:
            return b + 1
    return sig_lines[0] if sig_lines else len(lines)


def libc_test_groups(h):
    """Indexes of conditional lines testing __GLIBC__ that may be rewritten.

    A conditional group (#if ... #endif) whose test mentions the C library
    is answered "no C library" unless the group defines C library names
    (which keep their spelling and would then clash with the real ones).
    """
    ok = set()
    lines = h.lines
    for idx, (is_dir, line) in enumerate(lines):
        if not is_dir or directive_name(line) not in ("if", "elif", "ifdef",
                                                      "ifndef"):
            continue
        if not any(t[0] == "id" and t[1] in LIBC_DETECT for t in line):
            continue
        depth = 0
        clash = False
        for j in range(idx + 1, len(lines)):
            d, l2 = lines[j]
            name = directive_name(l2) if d else ""
            if name in ("if", "ifdef", "ifndef"):
                depth += 1
            elif name == "endif":
                if depth == 0:
                    break
                depth -= 1
            if any(t[0] == "id" and t[1] in LIBC_NAMES for t in l2):
                clash = True
                break
        if not clash:
            ok.add(idx)
    return ok


def transform(h, kinds, topdirs, injections):
    new_lines = []
    libc_ok = libc_test_groups(h)
    for idx, (is_dir, line) in enumerate(h.lines):
        if not is_dir:
            new_lines.append(rename_tokens(line, kinds))
            continue
        name = directive_name(line)
        if name == "include":
            text = "".join(v for _, v in line)
            m = INCLUDE_RE.match(text)
            if m and m.group(2) == "<":
                path = m.group(3).strip()
                top = path.split("/", 1)[0]
                if "/" in path and top in topdirs:
                    text = "%s<ulk/%s>%s" % (m.group(1), path, m.group(5))
            new_lines.append([("raw", text)])
            continue
        if name in ("pragma", "error", "warning", "ident", "line") or not name:
            new_lines.append(line)
            continue
        if idx in libc_ok:
            line = rewrite_condition(line, name)
        sig = [i for i, t in enumerate(line)
               if t[0] not in ("ws", "bc", "lc", "cont", "nl")]
        positions = set()
        params = set()
        if name in ("define", "undef", "ifdef", "ifndef") and len(sig) >= 3:
            positions.add(sig[2])
        if name == "define" and len(sig) >= 3:
            params = macro_params(line, sig)
        for i in sig:
            if line[i] == ("id", "defined"):
                j = next_sig(line, i)
                if j is not None and line[j] == ("op", "("):
                    j = next_sig(line, j)
                if j is not None:
                    positions.add(j)
        new_lines.append(rename_tokens(line, kinds, name == "define", params,
                                       positions))
    if injections:
        at = guard_insert_index(h.lines)
        inc = []
        for path, tags in injections:
            inc.append([("raw", "#include <ulk/%s>\t/* ulk: for %s */\n" % (
                path, ", ".join("struct " + prefixed(t) for t in tags)))])
        new_lines[at:at] = inc
    return "".join(v for line in new_lines for _, v in line)


# --------------------------------------------------------------------------
# Include graph and injected includes.
# --------------------------------------------------------------------------

def resolve_include(h, path, quote, files):
    if quote == '"':
        cand = os.path.normpath(os.path.join(os.path.dirname(h.rel), path))
        if cand in files:
            return cand
    return path if path in files else None


def scan_uses(h, tag_kinds):
    """Record 'struct X' uses of known tags; value True = needs complete."""
    for is_dir, line in h.lines:
        sig = significant(line)
        for i, t in enumerate(sig):
            if t[0] == "id" and t[1] in ("struct", "union") and i + 1 < len(sig):
                j = skip_attributes(sig, i + 1)
                if j < len(sig) and sig[j][0] == "id" and sig[j][1] in tag_kinds:
                    nxt = sig[j + 1] if j + 1 < len(sig) else None
                    if nxt == ("op", "{"):
                        continue
                    complete = nxt != ("op", "*")
                    tag = sig[j][1]
                    h.tag_uses[tag] = h.tag_uses.get(tag, False) or complete


def closure(rel, graph, memo):
    if rel in memo:
        return memo[rel]
    seen = set()
    stack = [rel]
    while stack:
        cur = stack.pop()
        for nxt in graph.get(cur, ()):
            if nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    memo[rel] = seen
    return seen


# --------------------------------------------------------------------------
# Generated extra files.
# --------------------------------------------------------------------------

def socket_extra_text(kinds):
    out = [SOCKET_EXTRA_HEAD]
    out.append("/* Address and protocol families. */\n")
    for name, value in AF_VALUES:
        for fam in ("AF_", "PF_"):
            full = fam + name
            if full in kinds:
                continue
            val = value if fam == "AF_" else "ULK_AF_" + name
            out.append("#define %s\t%s\n" % (prefixed(full), val))
    out.append("\n/* Socket types and flags, levels, messages, shutdown. */\n")
    for name, value in SOCK_MACROS:
        if name in kinds:
            continue
        out.append("#define %s\t%s\n" % (prefixed(name), value))
    out.append("\n#endif /* _ULK_SOCKET_EXTRA_H */\n")
    return "".join(out)


def abi_text(files):
    out = ["""\
/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * ulk/abi.h - the kernel's user-space ABI most programs using ulk need:
 * types, sockets, addresses, netlink, time, epoll, files, errno. Every name
 * is prefixed (struct ulk_sockaddr_in, ULK_AF_INET, __ulk_u32), so this can
 * be included together with the C library's headers.
 * Generated by scripts/export_headers.py; do not edit.
 */
#ifndef _ULK_ABI_H
#define _ULK_ABI_H

"""]
    for rel in ABI_HEADERS:
        if rel in files:
            out.append("#include <ulk/%s>\n" % rel)
    out.append("#include <ulk/socket_extra.h>\n\n#endif /* _ULK_ABI_H */\n")
    return "".join(out)


def write_if_changed(path, text):
    try:
        with open(path, "r", encoding="utf-8", errors="surrogateescape") as f:
            if f.read() == text:
                return
    except OSError:
        pass
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8", errors="surrogateescape") as f:
        f.write(text)
    os.replace(tmp, path)


def main(argv):
    if len(argv) != 3 or argv[1] in ("-h", "--help"):
        sys.stderr.write(USAGE)
        return 0 if len(argv) == 2 and argv[1] in ("-h", "--help") else 2
    in_dir, out_dir = argv[1], argv[2]
    src = in_dir
    if os.path.isdir(os.path.join(in_dir, "include", "linux")):
        src = os.path.join(in_dir, "include")
    if not os.path.isdir(os.path.join(src, "linux")):
        sys.stderr.write(USAGE)
        die("%s: no include/linux directory (not a headers_install output)"
            % in_dir)

    topdirs = sorted(d for d in os.listdir(src)
                     if os.path.isdir(os.path.join(src, d)))
    if "ulk" in topdirs:
        die("%s: has a top-level 'ulk' directory" % src)
    headers = []
    for top in topdirs:
        for root, dirs, names in os.walk(os.path.join(src, top)):
            dirs.sort()
            for name in sorted(names):
                if not name.endswith(".h"):
                    continue
                full = os.path.join(root, name)
                rel = os.path.relpath(full, src).replace(os.sep, "/")
                with open(full, "r", encoding="utf-8",
                          errors="surrogateescape") as f:
                    headers.append(Header(rel, f.read()))
    if not headers:
        die("%s: no headers" % src)
    files = {h.rel: h for h in headers}

    kinds, tag_files, macro_info = collect(headers)
    MACRO_INFO.update(macro_info)
    for name, kind in SOCKET_EXTRA_PROVIDES.items():
        if name not in kinds:
            kinds[name] = {kind}
            if kind == "tag":
                tag_files[name] = {"socket_extra.h"}

    # Include graph (unconditional: every #include counts).
    graph = {}
    for h in headers:
        deps = []
        for is_dir, line in h.lines:
            if is_dir and directive_name(line) == "include":
                m = INCLUDE_RE.match("".join(v for _, v in line))
                if m:
                    r = resolve_include(h, m.group(3).strip(), m.group(2),
                                        files)
                    if r:
                        deps.append(r)
        h.includes = deps
        graph[h.rel] = deps
    graph["socket_extra.h"] = ["linux/types.h", "linux/socket.h",
                               "asm/socket.h", "asm/fcntl.h", "linux/uio.h"]
    memo = {}
    tag_kinds = {t for t, k in kinds.items() if "tag" in k}

    out_root = os.path.join(out_dir, "ulk")
    written = set()
    for h in headers:
        scan_uses(h, tag_kinds)
        reach = closure(h.rel, graph, memo)
        inject = {}
        for tag, complete in sorted(h.tag_uses.items()):
            if not complete:
                continue
            defs = tag_files.get(tag, set())
            if not defs or h.rel in defs or defs & reach:
                continue
            if len(defs) != 1:
                continue
            target = next(iter(defs))
            if h.rel in closure(target, graph, memo):
                continue        # would be circular
            inject.setdefault(target, []).append(tag)
        injections = sorted(inject.items())
        text = transform(h, kinds, set(topdirs), injections)
        dest = os.path.join(out_root, h.rel)
        write_if_changed(dest, text)
        written.add(os.path.normpath(dest))

    write_if_changed(os.path.join(out_root, "socket_extra.h"),
                     socket_extra_text(kinds))
    write_if_changed(os.path.join(out_root, "abi.h"), abi_text(files))

    # Remove stale headers from earlier runs in the directories we own.
    for top in topdirs:
        base = os.path.join(out_root, top)
        for root, dirs, names in os.walk(base, topdown=False):
            for name in names:
                p = os.path.normpath(os.path.join(root, name))
                if p not in written and (name.endswith(".h") or
                                         name.endswith(".h.tmp")):
                    os.remove(p)
            if not os.listdir(root):
                os.rmdir(root)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
