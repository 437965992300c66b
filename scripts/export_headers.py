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
(socket-layer definitions that the kernel keeps out of its uapi: struct
ulk_sockaddr, ULK_AF_*, ULK_SOCK_*, ULK_MSG_*, ...) and OUT_DIR/ulk/abi.h,
which includes a useful set of the headers plus socket_extra.h. A file is
only rewritten when its content changes, and headers left in the generated
directories by earlier runs are removed. The output depends on nothing but
the input; a run takes a couple of seconds.

The prefix rule
---------------
An identifier that the headers define - an object-like or function-like
macro, a struct/union/enum tag, a typedef name, an enumeration constant or
a (static inline) function - gets "ULK_" after its leading underscores if
the next character is an upper-case letter, "ulk_" otherwise:

    sockaddr_in -> ulk_sockaddr_in      AF_INET         -> ULK_AF_INET
    __NR_socket -> __ULK_NR_socket      __u32           -> __ulk_u32
    _IOC        -> _ULK_IOC             __kernel_size_t -> __ulk_kernel_size_t

Include guards are macros and follow the same rule. A name is renamed where
it refers to what the headers define, following C's name spaces:

  * tags after "struct"/"union"/"enum" ("struct stat" -> "struct ulk_stat");
  * function-like macros where invoked;
  * typedef names, enumeration constants and functions everywhere except as
    struct member names (declared, or after "." / "->"): the enumerator
    "ss" of sound/hdspm.h does not rename a member called "ss" elsewhere;
  * object-like macros everywhere, members included, as the preprocessor
    would apply them;
  * inside #define bodies, which may be pasted anywhere, also tag and
    function-like macro names standing alone (not after "." or "->");
    the parameters of a macro are never renamed, and the first fragment of
    a token paste is prefixed (PERF_MEM_##x -> ULK_PERF_MEM_##x), which
    prefixes the pasted name;
  * a name given alone as an argument to a macro is renamed according to
    how that macro uses the parameter: not at all if it is only pasted or
    stringified (NILFS_CPINFO_FNS(MINOR, minor)), as a tag if the macro
    puts "struct" before it, as a macro if the macro calls it.
Comments and string literals are left as they are.

Identifiers the headers do not define keep their spelling: C keywords,
compiler extensions (__attribute__, __extension__, __signed__, __inline__,
__asm__, ...), predefined macros (__GNUC__, __x86_64__, ...) and C library
names. The C library names that a few headers define as fallbacks (the
int32_t of linux/coda.h) and the byte-order names shared with <endian.h>
(__LITTLE_ENDIAN, __BIG_ENDIAN, __BYTE_ORDER) also stay as they are.
"#include <D/...>" becomes "#include <ulk/D/...>" for every top-level
directory D of IN_DIR/include; other includes are untouched.

Adjustments that make the result usable beside the C library:

  * __GLIBC__ in #if/#ifdef/#ifndef/#elif is taken as undefined (unless the
    group defines C library names): prefixed names cannot clash, so the
    linux/libc-compat.h hand-shake must always choose "define everything";
  * a header whose code uses a name that exactly one other exported header
    defines, without including it, gets an #include of that ulk header
    (marked "ulk: for ..."). Such headers relied on the C library (struct
    timeval, struct sockaddr) or on their includer; the prefixed names are
    not in the C library, so the generated header brings them itself;
  * "struct sockaddr", "struct sockaddr_storage" and the other socket
    structures that the uapi headers take from the C library become the
    ulk_ ones of socket_extra.h, which such headers then include;
  * struct members named like object-like macros of the C library
    (st_atime, sa_handler, ...) are declared between
    #pragma push_macro/#undef and #pragma pop_macro.
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

# Names never renamed even if some header defines them (a fallback
# definition of a compiler keyword must keep working as one).
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

# C library names; a few headers carry fallback definitions of them.
LIBC_NAMES = set("""
int8_t int16_t int32_t int64_t uint8_t uint16_t uint32_t uint64_t u_int8_t
u_int16_t u_int32_t u_int64_t intptr_t uintptr_t size_t ssize_t ptrdiff_t
wchar_t u_char u_short u_int u_long u_quad_t quad_t caddr_t daddr_t ino_t
dev_t off_t pid_t uid_t gid_t mode_t nlink_t time_t clock_t key_t socklen_t
__BIT_TYPES_DEFINED__ __LITTLE_ENDIAN __BIG_ENDIAN __PDP_ENDIAN __BYTE_ORDER
""".split())
KEEP |= LIBC_NAMES

# Object-like macros of the C library named like kernel struct members
# (glibc: #define st_atime st_atim.tv_sec).
LIBC_MEMBER_MACROS = set("""
st_atime st_mtime st_ctime sa_handler sa_sigaction si_pid si_uid si_timerid
si_overrun si_status si_utime si_stime si_value si_int si_ptr si_addr
si_addr_lsb si_lower si_upper si_pkey si_band si_fd si_call_addr si_syscall
si_arch sigev_notify_function sigev_notify_attributes sigev_notify_thread_id
s6_addr s6_addr16 s6_addr32 h_addr ut_name ut_time ut_xtime ifc_buf ifc_req
ifr_name ifr_hwaddr ifr_addr ifr_dstaddr ifr_broadaddr ifr_netmask
ifr_flags ifr_metric ifr_mtu ifr_map ifr_slave ifr_data ifr_ifindex
ifr_bandwidth ifr_qlen ifr_newname
""".split())

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

# Words that never name what a declaration declares.
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
SPACE = ("ws", "bc", "lc", "cont", "nl")

INCLUDE_RE = re.compile(r'^(\s*#\s*include\s*)([<"])([^>"]+)([>"])(.*)$', re.S)

KEYWORD_BEFORE_TAG = (("id", "struct"), ("id", "union"), ("id", "enum"))
ATTRIBUTE = (("id", "__attribute__"), ("id", "__attribute"))

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
SOCKET_EXTRA_INCLUDES = ["linux/types.h", "linux/socket.h", "asm/socket.h",
                         "asm/fcntl.h", "linux/uio.h"]

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


# --------------------------------------------------------------------------
# Lexing
# --------------------------------------------------------------------------

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
    """Split tokens into logical lines: [(is_directive, tokens)]."""
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
            if kind in SPACE:
                continue
            directive = kind == "op" and val == "#"
            break
        out.append((directive, line))
    return out


def sig_index(line):
    return [i for i, t in enumerate(line) if t[0] not in SPACE]


def significant(line):
    return [t for t in line if t[0] not in SPACE]


def directive_name(line):
    sig = significant(line)
    if len(sig) >= 2 and sig[1][0] == "id":
        return sig[1][1]
    return ""


def next_sig(line, i):
    for j in range(i + 1, len(line)):
        if line[j][0] not in SPACE:
            return j
    return None


class Header:
    def __init__(self, rel, text):
        self.rel = rel            # e.g. "linux/in.h"
        self.lines = split_lines(tokenize(text, rel))
        # significant tokens outside directives, and where they are
        self.code = []            # (line index, token index)
        self.ctoks = []
        for li, (is_dir, line) in enumerate(self.lines):
            if is_dir:
                continue
            for ti in sig_index(line):
                self.code.append((li, ti))
                self.ctoks.append(line[ti])
        self.members = set()      # ctoks indexes of member declarators
        self.uses = set()         # names whose definition the code needs


# --------------------------------------------------------------------------
# Pass 1: what do the headers define?
# --------------------------------------------------------------------------

def skip_group(toks, i):
    """toks[i] opens a bracket; return the index after its match."""
    pairs = {"(": ")", "[": "]", "{": "}"}
    stack = []
    n = len(toks)
    while i < n:
        t = toks[i]
        if t[0] == "op":
            if t[1] in pairs:
                stack.append(pairs[t[1]])
            elif stack and t[1] == stack[-1]:
                stack.pop()
                if not stack:
                    return i + 1
        i += 1
    return n


def skip_attributes(toks, i):
    n = len(toks)
    while i < n and toks[i] in ATTRIBUTE:
        i += 1
        if i < n and toks[i] == ("op", "("):
            i = skip_group(toks, i)
    return i


def declarators(toks, lo, hi, macros):
    """Indexes of the names declared by toks[lo:hi], one declaration
    without its ';' (struct/union/enum bodies inside are skipped)."""
    flat = []                       # (index, token); body -> (None, "{}")
    i = lo
    while i < hi:
        t = toks[i]
        if t == ("op", "{"):
            i = skip_group(toks, i)
            flat.append((None, ("op", "{}")))
            continue
        if t in ATTRIBUTE:
            i = skip_attributes(toks, i)
            continue
        if t[0] == "id" and t[1] in macros and i + 1 < hi and \
                toks[i + 1] == ("op", "("):
            # a macro call declares what the macro makes of its arguments
            i = skip_group(toks, i + 1)
            flat.append((None, ("op", "M()")))
            continue
        flat.append((i, t))
        i += 1
    parts, cur, depth = [], [], 0
    for item in flat:
        t = item[1]
        if t[0] == "op" and t[1] in "([":
            depth += 1
        elif t[0] == "op" and t[1] in ")]":
            depth -= 1
        if depth == 0 and t == ("op", ","):
            parts.append(cur)
            cur = []
        else:
            cur.append(item)
    parts.append(cur)
    found = []
    for pno, part in enumerate(parts):
        hit = None
        for strict in (True, False):
            for j, (idx, t) in enumerate(part):
                if t[0] != "id" or t[1] in C_KEYWORDS:
                    continue
                if pno == 0 and j == 0:
                    continue        # the type comes first
                if j > 0 and part[j - 1][1] in KEYWORD_BEFORE_TAG:
                    continue
                if strict and t[1] in macros:
                    continue
                nxt = part[j + 1][1] if j + 1 < len(part) else None
                after = part[j + 2][1] if j + 2 < len(part) else None
                if nxt is None or nxt[0] == "op" and nxt[1] in ")[;,=:":
                    hit = idx
                elif nxt == ("op", "(") and (after is None or
                                             after[1] not in "*^("):
                    hit = idx
                if hit is not None:
                    break
            if hit is not None:
                break
        if hit is not None:
            found.append(hit)
    return found


def statement_end(toks, i):
    """Index of the ';' ending the statement at toks[i] (brackets nest)."""
    depth = 0
    n = len(toks)
    while i < n:
        t = toks[i]
        if t[0] == "op" and t[1] in "([{":
            depth += 1
        elif t[0] == "op" and t[1] in ")]}":
            depth -= 1
        elif depth == 0 and t == ("op", ";"):
            return i
        i += 1
    return n


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
    Classes: "call" (P(...)), "tag" (struct P), "tagdef" (struct P {...}),
    "paste" (#P, P##, ##P),
    "plain" (anything else). A parameter handed on whole to another macro
    is noted in passes, resolved once all macros are known.
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
            if nxt == ("op", "{"):
                usage[k].add("tagdef")
        elif prev == ("op", "#") or nxt == ("op", "#"):
            usage[k].add("paste")
        else:
            usage[k].add("plain")
            if prev in (("op", "("), ("op", ",")) and \
                    nxt in (("op", ")"), ("op", ",")):
                ctx = call_context(body, j)
                if ctx is not None:
                    c = ctx[0]
                    passes.append((name, k, body[c][1], ctx[1]))
                    if c > 0 and body[c - 1] in KEYWORD_BEFORE_TAG:
                        # struct MACRO(P) { ... }: the call makes the tag
                        usage[k].add("tag")
                        end = skip_group(body, c + 1)
                        if body[end:end + 1] == [("op", "{")]:
                            usage[k].add("tagdef")


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


def collect(headers):
    """Find every name the headers define.

    Returns ({name: kinds}, {name: defining files}, macro parameter use);
    kinds are "objmacro", "fnmacro", "tag", "typedef", "enum", "func" (a
    function or variable). Also fills Header.members.
    """
    kinds = {}
    def_files = {}
    macros = set()
    macro_info = {}
    passes = []
    aliases = {}        # object-like macro -> the identifiers it stands for
    alias_tags = []     # (tag, file) defined as "struct ALIAS {"

    def add(name, kind, rel):
        kinds.setdefault(name, set()).add(kind)
        def_files.setdefault(name, set()).add(rel)

    for h in headers:
        for is_dir, line in h.lines:
            if not is_dir or directive_name(line) != "define":
                continue
            idx = sig_index(line)
            if len(idx) < 3 or line[idx[2]][0] != "id":
                continue
            name = line[idx[2]][1]
            fn = line[idx[2] + 1:idx[2] + 2] == [("op", "(")]
            add(name, "fnmacro" if fn else "objmacro", h.rel)
            macros.add(name)
            if not fn and len(idx) == 4 and line[idx[3]][0] == "id":
                aliases.setdefault(name, set()).add(line[idx[3]][1])
            if fn:
                record_macro(macro_info, passes, name,
                             [line[i] for i in idx[3:]])
    # A parameter handed on whole to another macro is used as that one uses
    # it.
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

    for h in headers:
        toks = h.ctoks
        n = len(toks)
        # Tags, enumerators and members, wherever they are.
        for i, (kind, val) in enumerate(toks):
            if kind != "id":
                continue
            if val in ("struct", "union", "enum"):
                j = skip_attributes(toks, i + 1)
                if j < n and toks[j][0] == "id":
                    k = skip_attributes(toks, j + 1)
                    if k < n and toks[k] == ("op", "{"):
                        add(toks[j][1], "tag", h.rel)
                        alias_tags.append((toks[j][1], h.rel))
                    j = k
                if j < n and toks[j] == ("op", "{"):
                    end = skip_group(toks, j)
                    if val == "enum":
                        enumerators(toks, j, end, add, h.rel, macros)
                    else:
                        members(h, toks, j, end, macros)
            elif val in macro_info and i + 1 < n and \
                    toks[i + 1] == ("op", "("):
                # struct tags that a macro defines from its arguments
                for argno, arg in enumerate(call_args(toks, i + 1)):
                    if len(arg) == 1 and toks[arg[0]][0] == "id" and \
                            "tagdef" in arg_usage(macro_info, val, argno):
                        add(toks[arg[0]][1], "tag", h.rel)
        # Top-level declarations: typedefs, functions, variables.
        i = 0
        while i < n:
            t = toks[i]
            if t in (("op", ";"), ("op", "}"), ("id", "__extension__")):
                i += 1
                continue
            if t == ("id", "extern") and i + 2 < n and \
                    toks[i + 1][0] == "str" and toks[i + 2] == ("op", "{"):
                i += 3          # extern "C" {
                continue
            if t[0] == "id" and t[1] in macros and i + 1 < n and \
                    toks[i + 1] == ("op", "("):
                i = skip_group(toks, i + 1)     # a macro call on its own
                continue
            j = i
            body = None
            while j < n:
                u = toks[j]
                if u == ("op", ";"):
                    break
                if u == ("op", "{"):
                    if toks[j - 1] == ("op", ")") or \
                            toks[j - 1] in ATTRIBUTE:
                        body = j
                        break
                    j = skip_group(toks, j)
                    continue
                if u[0] == "op" and u[1] in "([":
                    j = skip_group(toks, j)
                    continue
                j += 1
            if toks[i] == ("id", "typedef"):
                for d in declarators(toks, i + 1, j, macros):
                    add(toks[d][1], "typedef", h.rel)
            else:
                for d in declarators(toks, i, j, macros):
                    add(toks[d][1], "func", h.rel)
            i = skip_group(toks, body) if body is not None else j + 1

    # "#define __snd_pcm_mmap_status snd_pcm_mmap_status" followed by
    # "struct __snd_pcm_mmap_status {...}" defines struct snd_pcm_mmap_status.
    seen = set()
    while alias_tags:
        tag, rel = alias_tags.pop()
        for real in sorted(aliases.get(tag, ())):
            if (real, rel) in seen:
                continue
            seen.add((real, rel))
            if "tag" not in kinds.get(real, ()):
                add(real, "tag", rel)
            alias_tags.append((real, rel))

    for name in list(kinds):
        if name in KEEP:
            del kinds[name]
            del def_files[name]
    return kinds, def_files, macro_info


def call_args(toks, i):
    """Token indexes of each argument of the call whose "(" is toks[i]."""
    end = skip_group(toks, i)
    args = [[]]
    depth = 0
    for j in range(i + 1, end - 1):
        t = toks[j]
        if t[0] == "op" and t[1] in "([{":
            depth += 1
        elif t[0] == "op" and t[1] in ")]}":
            depth -= 1
        elif depth == 0 and t == ("op", ","):
            args.append([])
            continue
        args[-1].append(j)
    return args


def enumerators(toks, lo, end, add, rel, macros):
    """Enumeration constants of the body toks[lo] == '{' .. toks[end-1]."""
    expect = True
    level = 0
    i = lo + 1
    while i < end - 1:
        t = toks[i]
        i += 1
        if expect and level == 0 and t[0] == "id" and t[1] in macros and \
                toks[i] == ("op", "("):
            i = skip_group(toks, i)     # a macro making enumerators
            continue
        if t[0] == "op" and t[1] in "([{":
            level += 1
        elif t[0] == "op" and t[1] in ")]}":
            level -= 1
        elif level == 0 and t == ("op", ","):
            expect = True
            continue
        if expect and level == 0 and t[0] == "id":
            add(t[1], "enum", rel)
        expect = False


def members(h, toks, lo, end, macros):
    """Mark the member declarators of the struct/union body toks[lo:end]."""
    i = lo + 1
    stop = end - 1
    while i < stop:
        j = statement_end(toks, i)
        j = min(j, stop)
        h.members.update(declarators(toks, i, j, macros))
        i = j + 1


# --------------------------------------------------------------------------
# Pass 2: rewrite
# --------------------------------------------------------------------------

def macro_params(line, idx):
    """Parameter names of a function-like #define (idx: sig_index)."""
    params = set()
    if line[idx[2] + 1:idx[2] + 2] == [("op", "(")]:
        for i in idx[3:]:
            t = line[i]
            if t == ("op", ")"):
                break
            if t[0] == "id":
                params.add(t[1])
    return params


def renames(stoks, kinds, define_body=False, params=(), name_pos=(),
            member_pos=()):
    """Indexes of the identifiers to prefix among stoks, the significant
    tokens of a directive or of all the code of a header.

    define_body: stoks is a #define; params: its parameter names;
    name_pos: indexes naming a macro (#ifdef X, defined(X), #define X);
    member_pos: indexes that declare struct members.
    """
    out = []
    n = len(stoks)
    for i, (kind, val) in enumerate(stoks):
        if kind != "id":
            continue
        prev = stoks[i - 1] if i > 0 else None
        nxt = stoks[i + 1] if i + 1 < n else None
        if define_body and val not in params and val not in KEEP \
                and i not in name_pos and nxt == ("op", "#") \
                and stoks[i + 2:i + 3] == [("op", "#")] \
                and not (prev == ("op", "#") and i >= 2
                         and stoks[i - 2] == ("op", "#")):
            out.append(i)           # first fragment of a token paste
            continue
        if val not in kinds:
            continue
        if i in name_pos:
            out.append(i)
        elif define_body and val in params:
            continue
        elif decide(stoks, i, kinds[val], define_body, i in member_pos):
            out.append(i)
    return out


def decide(stoks, i, k, define_body, is_member):
    """Does the name stoks[i], of kinds k, refer to what the headers
    define?"""
    prev = stoks[i - 1] if i > 0 else None
    nxt = stoks[i + 1] if i + 1 < len(stoks) else None
    use = None
    if prev in (("op", "("), ("op", ",")) and \
            nxt in (("op", ")"), ("op", ",")):
        # a whole argument of a call: how does the macro called use it?
        ctx = call_context(stoks, i)
        if ctx is not None and stoks[ctx[0]][1] in MACRO_INFO:
            use = arg_usage(MACRO_INFO, stoks[ctx[0]][1], ctx[1])
            if use and use <= {"paste"}:
                return False        # only a fragment of a pasted name
    invoked = "fnmacro" in k and nxt == ("op", "(")
    access = prev == ("op", ".") or (prev == ("op", ">") and i >= 2 and
                                     stoks[i - 2] == ("op", "-"))
    if access or is_member:
        return "objmacro" in k or invoked
    if k & {"objmacro", "typedef", "enum", "func"} or invoked:
        return True
    if "tag" in k and prev in KEYWORD_BEFORE_TAG:
        return True
    if use is not None:
        return ("tag" in k and "tag" in use) or \
            ("fnmacro" in k and "call" in use)
    return define_body


def rewrite_condition(line, directive):
    """Answer tests of C library macros as 'absent'."""
    idx = sig_index(line)
    if directive in ("ifdef", "ifndef"):
        if len(idx) >= 3 and line[idx[2]][1] in LIBC_DETECT:
            val = "0" if directive == "ifdef" else "1"
            return [("op", "#"), ("id", "if"), ("ws", " "), ("num", val),
                    ("ws", " "), ("bc", "/* ulk: was #%s %s */" % (
                        directive, line[idx[2]][1])), ("nl", "\n")]
        return line
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
        else:
            out.append(t)
        i += 1
    if out != line:
        note = ("bc", "/* ulk: %s taken as undefined */" % "/".join(
            sorted(LIBC_DETECT)))
        if out and out[-1][0] == "nl":
            out[-1:-1] = [("ws", " "), note]
        else:
            out += [("ws", " "), note]
    return out


def libc_test_lines(h):
    """Conditional lines testing __GLIBC__ that may be rewritten: those
    whose group (#if ... #endif) defines no C library name."""
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


def guard_insert_index(lines):
    """Index of the line before which injected includes go: after the
    include guard's #define, or before the first line of code."""
    sig_lines = [i for i, (d, l) in enumerate(lines) if significant(l)]
    if len(sig_lines) >= 2:
        a, b = sig_lines[0], sig_lines[1]
        la, lb = significant(lines[a][1]), significant(lines[b][1])
        if lines[a][0] and lines[b][0] and directive_name(lines[a][1]) == \
                "ifndef" and directive_name(lines[b][1]) == "define" \
                and len(la) >= 3 and len(lb) >= 3 and la[2] == lb[2]:
            return b + 1
    return sig_lines[0] if sig_lines else len(lines)


def rewrite_code_lines(h, kinds):
    """Renamed non-directive lines {index: tokens}; fills h.uses."""
    result = {li: list(line) for li, (is_dir, line) in enumerate(h.lines)
              if not is_dir}
    toks = h.ctoks
    for k in renames(toks, kinds, member_pos=h.members):
        name = toks[k][1]
        li, ti = h.code[k]
        result[li][ti] = ("id", prefixed(name))
        if k > 0 and toks[k - 1] in KEYWORD_BEFORE_TAG and \
                toks[k + 1:k + 2] in ([("op", "*")], [("op", "{")]):
            continue        # pointer to, or definition of, a tag
        h.uses.add(name)
    return result


def transform(h, kinds, topdirs, code_lines, injections):
    new_lines = []
    libc_ok = libc_test_lines(h)
    for li, (is_dir, line) in enumerate(h.lines):
        if not is_dir:
            new = code_lines[li]
            clash = sorted({v for k, v in new
                            if k == "id" and v in LIBC_MEMBER_MACROS})
            if clash:
                pre = "".join('#pragma push_macro("%s")\n#undef %s\n' % (c, c)
                              for c in clash)
                post = "".join('#pragma pop_macro("%s")\n' % c
                               for c in clash)
                if new[-1][0] != "nl":
                    new.append(("nl", "\n"))
                new = [("raw", pre)] + new + [("raw", post)]
            new_lines.append(new)
            continue
        name = directive_name(line)
        if name == "include":
            text = "".join(v for _, v in line)
            m = INCLUDE_RE.match(text)
            if m and m.group(2) == "<":
                path = m.group(3).strip()
                if "/" in path and path.split("/", 1)[0] in topdirs:
                    text = "%s<ulk/%s>%s" % (m.group(1), path, m.group(5))
            new_lines.append([("raw", text)])
            continue
        if name in ("pragma", "error", "warning", "ident", "line") or not name:
            new_lines.append(line)
            continue
        if li in libc_ok:
            line = rewrite_condition(line, name)
        idx = sig_index(line)
        positions = set()
        params = set()
        if name in ("define", "undef", "ifdef", "ifndef") and len(idx) >= 3:
            positions.add(idx[2])
            if name == "define":
                params = macro_params(line, idx)
        for i in idx:
            if line[i] == ("id", "defined"):
                j = next_sig(line, i)
                if j is not None and line[j] == ("op", "("):
                    j = next_sig(line, j)
                if j is not None:
                    positions.add(j)
        new = list(line)
        pos = {j: k for k, j in enumerate(idx)}
        for k in renames([line[j] for j in idx], kinds, name == "define",
                         params, {pos[j] for j in positions}):
            new[idx[k]] = ("id", prefixed(line[idx[k]][1]))
        new_lines.append(new)
    if injections:
        at = guard_insert_index(h.lines)
        inc = []
        for path, names in injections:
            shown = ", ".join(prefixed(n) for n in names[:3])
            if len(names) > 3:
                shown += ", ..."
            inc.append([("raw", "#include <ulk/%s>\t/* ulk: for %s */\n" % (
                path, shown))])
        new_lines[at:at] = inc
    return "".join(v for line in new_lines for _, v in line)


# --------------------------------------------------------------------------
# Include graph
# --------------------------------------------------------------------------

def resolve_include(h, path, quote, files):
    if quote == '"':
        cand = os.path.normpath(os.path.join(os.path.dirname(h.rel), path))
        if cand in files:
            return cand
    return path if path in files else None


def closure(rel, graph, memo):
    """Every file that rel includes, directly or not."""
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
# Generated extra files
# --------------------------------------------------------------------------

def socket_extra_text(kinds):
    out = [SOCKET_EXTRA_HEAD]
    out.append("/* Address and protocol families. */\n")
    for name, value in AF_VALUES:
        for fam in ("AF_", "PF_"):
            full = fam + name
            if full in kinds:
                continue        # the exported headers have it
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


# --------------------------------------------------------------------------

def main(argv):
    if len(argv) == 2 and argv[1] in ("-h", "--help"):
        sys.stdout.write(USAGE)
        return 0
    if len(argv) != 3:
        sys.stderr.write(USAGE)
        return 2
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

    kinds, def_files, macro_info = collect(headers)
    MACRO_INFO.clear()
    MACRO_INFO.update(macro_info)
    extra_text = socket_extra_text(kinds)   # before its names join kinds
    # What socket_extra.h adds: a header using it (sctp.h takes MSG_FIN
    # and struct sockaddr_storage from the C library) gets the ulk ones.
    extra = dict(SOCKET_EXTRA_PROVIDES)
    for name, _ in AF_VALUES:
        extra["AF_" + name] = extra["PF_" + name] = "objmacro"
    for name, _ in SOCK_MACROS:
        extra[name] = "objmacro"
    for name, kind in extra.items():
        if name not in kinds:
            kinds[name] = {kind}
            def_files[name] = {"socket_extra.h"}

    # Include graph; every #include counts, whatever its conditions.
    graph = {"socket_extra.h": SOCKET_EXTRA_INCLUDES}
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
        graph[h.rel] = deps
    memo = {}

    out_root = os.path.join(out_dir, "ulk")
    written = set()
    for h in headers:
        code_lines = rewrite_code_lines(h, kinds)
        reach = closure(h.rel, graph, memo)
        inject = {}
        for name in sorted(h.uses):
            defs = def_files.get(name, set())
            if len(defs) != 1 or h.rel in defs or defs & reach:
                continue
            target = next(iter(defs))
            if h.rel in closure(target, graph, memo):
                continue        # would be circular
            inject.setdefault(target, []).append(name)
        text = transform(h, kinds, set(topdirs), code_lines,
                         sorted(inject.items()))
        dest = os.path.normpath(os.path.join(out_root, h.rel))
        write_if_changed(dest, text)
        written.add(dest)

    write_if_changed(os.path.join(out_root, "socket_extra.h"), extra_text)
    write_if_changed(os.path.join(out_root, "abi.h"), abi_text(files))

    # Remove what earlier runs left in the directories this run owns.
    for top in topdirs:
        for root, dirs, names in os.walk(os.path.join(out_root, top),
                                         topdown=False):
            for name in names:
                p = os.path.normpath(os.path.join(root, name))
                if p not in written and (name.endswith(".h") or
                                         name.endswith(".h.tmp")):
                    os.remove(p)
            if not os.listdir(root):
                os.rmdir(root)
    return 0


# function-like macro -> [parameter names, usage class sets]; set by main()
MACRO_INFO = {}

if __name__ == "__main__":
    sys.exit(main(sys.argv))
