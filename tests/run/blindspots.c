// SPDX-License-Identifier: GPL-2.0
/*
 * The shim's blind spots, checked from inside a program under ulk-run
 * (test_blindspots.sh): I/O that does not go through the interposed
 * socket calls must work on ulk or fail clearly, never reach the host's
 * network or a socket's shadow. A plain program: no libulk.
 *
 *  - stdio on a socket: fdopen(), fprintf(), fflush(), fgets(), fclose();
 *  - getifaddrs(), if_nametoindex(), if_indextoname(), if_nameindex():
 *    ulk's interfaces (lo only here), not the host's;
 *  - /proc/net/... and /proc/sys/net/... read with open() and fopen(),
 *    written with fopen(): ulk's, the host's untouched;
 *  - a ulk socket in SCM_RIGHTS, splice() of a ulk socket: clear errors;
 *  - socket() and io_uring_setup() as raw system calls: refused.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

static int failed, connects;

#define CHECK(cond, ...) do { \
	if (cond) { printf("ok   "); printf(__VA_ARGS__); printf("\n"); } \
	else { printf("FAIL "); printf(__VA_ARGS__); printf(" (errno %s)\n", \
	       strerror(errno)); failed = 1; } } while (0)

static void pair(int *c, int *s)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);
	int l = socket(AF_INET, SOCK_STREAM, 0);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (l < 0 || bind(l, (void *)&sa, sizeof(sa)) || listen(l, 4) ||
	    getsockname(l, (void *)&sa, &len)) {
		perror("listener");
		exit(1);
	}
	*c = socket(AF_INET, SOCK_STREAM, 0);
	if (*c < 0 || connect(*c, (void *)&sa, sizeof(sa))) {
		perror("connect");
		exit(1);
	}
	connects++;
	*s = accept(l, NULL, NULL);
	close(l);
}

static void stdio_on_sockets(void)
{
	char line[64] = "";
	int c, s, n;
	FILE *fc, *fs;

	pair(&c, &s);
	fc = fdopen(c, "w");
	fs = fdopen(s, "r");
	CHECK(fc && fs, "fdopen() of ulk sockets");
	if (!fc || !fs)
		return;
	CHECK(fileno(fc) == c, "fileno() of the stream is the socket (%d)", fileno(fc));
	fprintf(fc, "hello %d\n", 42);
	CHECK(fflush(fc) == 0, "fflush() of the socket stream");
	CHECK(fgets(line, sizeof(line), fs) && !strcmp(line, "hello 42\n"),
	      "fgets() on the peer's stream got what fprintf() sent");
	CHECK(fclose(fc) == 0, "fclose() of the socket stream");
	n = (int)fread(line, 1, sizeof(line), fs);
	CHECK(n == 0 && feof(fs), "the peer sees the end of stream: fclose() closed the ulk socket");
	fclose(fs);
}

static void interfaces(void)
{
	struct ifaddrs *ifa, *i;
	struct if_nameindex *ni;
	int lo4 = 0, others = 0, packets = 0, k;
	char name[IF_NAMESIZE] = "";

	CHECK(getifaddrs(&ifa) == 0, "getifaddrs()");
	for (i = ifa; i; i = i->ifa_next) {
		if (strcmp(i->ifa_name, "lo"))
			others++;
		if (!i->ifa_addr)
			continue;
		if (i->ifa_addr->sa_family == AF_PACKET)
			packets++;
		if (i->ifa_addr->sa_family == AF_INET && !strcmp(i->ifa_name, "lo") &&
		    ((struct sockaddr_in *)i->ifa_addr)->sin_addr.s_addr == htonl(INADDR_LOOPBACK) &&
		    i->ifa_netmask &&
		    ((struct sockaddr_in *)i->ifa_netmask)->sin_addr.s_addr == htonl(0xff000000))
			lo4 = 1;
	}
	CHECK(lo4, "getifaddrs(): lo has 127.0.0.1/8");
	CHECK(packets == 1, "getifaddrs(): one interface (%d AF_PACKET entries)", packets);
	CHECK(others == 0, "getifaddrs(): none of the host's interfaces (%d entries not lo)", others);
	freeifaddrs(ifa);
	CHECK(if_nametoindex("lo") == 1, "if_nametoindex(\"lo\") = 1");
	errno = 0;
	CHECK(if_nametoindex("eth0") == 0 && errno == ENODEV,
	      "if_nametoindex(\"eth0\"): no such interface in ulk");
	CHECK(if_indextoname(1, name) && !strcmp(name, "lo"), "if_indextoname(1) = lo");
	ni = if_nameindex();
	for (k = 0; ni && ni[k].if_index; k++)
		;
	CHECK(ni && k == 1 && !strcmp(ni[0].if_name, "lo"), "if_nameindex(): lo only");
	if (ni)
		if_freenameindex(ni);
}

/* The host's own file, read past the shim. */
static int host_read(const char *path, char *buf, size_t size)
{
	int fd = (int)syscall(SYS_openat, AT_FDCWD, path, O_RDONLY);
	long n;

	if (fd < 0)
		return -1;
	n = syscall(SYS_read, fd, buf, size - 1);
	syscall(SYS_close, fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return 0;
}

static void proc_files(void)
{
	char buf[8192], host[64];
	int c, s, fd, n, opens = -1;
	FILE *f;

	pair(&c, &s);
	/* ulk's counters: this process's connects, whatever the host did. */
	f = fopen("/proc/net/snmp", "r");
	CHECK(f != NULL, "fopen(\"/proc/net/snmp\")");
	while (f && fgets(buf, sizeof(buf), f))
		if (!strncmp(buf, "Tcp: ", 5) &&
		    sscanf(buf, "Tcp: %*d %*d %*d %*d %d", &opens) == 1)
			break;
	if (f)
		fclose(f);
	CHECK(opens == connects, "/proc/net/snmp is ulk's: ActiveOpens %d (this program's connects: %d)",
	      opens, connects);
	fd = open("/proc/self/net/dev", O_RDONLY);
	n = fd < 0 ? -1 : (int)read(fd, buf, sizeof(buf) - 1);
	if (n >= 0)
		buf[n] = '\0';
	CHECK(n > 0 && strstr(buf, "lo:") && !strstr(buf, "eth0"),
	      "open(\"/proc/self/net/dev\") lists ulk's interfaces");
	if (fd >= 0)
		close(fd);
	f = fopen("/proc/sys/net/ipv4/tcp_keepalive_time", "w");
	CHECK(f && fprintf(f, "1234\n") > 0 && fclose(f) == 0,
	      "fopen(\"/proc/sys/net/ipv4/tcp_keepalive_time\", \"w\"): written");
	fd = open("/proc/sys/net/ipv4/tcp_keepalive_time", O_RDONLY);
	n = fd < 0 ? -1 : (int)read(fd, buf, sizeof(buf) - 1);
	if (n >= 0)
		buf[n] = '\0';
	if (fd >= 0)
		close(fd);
	CHECK(n > 0 && atoi(buf) == 1234, "read back from ulk: %s", n > 0 ? strtok(buf, "\n") : "?");
	CHECK(host_read("/proc/sys/net/ipv4/tcp_keepalive_time", host, sizeof(host)) == 0 &&
	      atoi(host) != 1234, "the host's setting untouched (%d)", atoi(host));
	f = fopen("/proc/sys/net/ipv4/no_such_setting", "r");
	CHECK(!f && errno == ENOENT, "a setting ulk's kernel lacks: ENOENT");
	close(c);
	close(s);
}

static void refusals(void)
{
	char cbuf[CMSG_SPACE(sizeof(int))], b = 'x';
	struct iovec iov = { &b, 1 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1,
			    .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *cm;
	int c, s, u[2], p[2];
	long r;

	pair(&c, &s);
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, u) || pipe(p)) {
		perror("socketpair/pipe");
		exit(1);
	}
	memset(cbuf, 0, sizeof(cbuf));
	cm = CMSG_FIRSTHDR(&m);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &c, sizeof(int));
	errno = 0;
	CHECK(sendmsg(u[0], &m, 0) < 0 && errno == EOPNOTSUPP,
	      "SCM_RIGHTS of a ulk socket: EOPNOTSUPP");
	memcpy(CMSG_DATA(cm), &p[0], sizeof(int));
	CHECK(sendmsg(u[0], &m, 0) == 1, "SCM_RIGHTS of a host pipe still works");
	if (write(c, "y", 1) != 1)
		perror("write");
	errno = 0;
	CHECK(splice(s, NULL, p[1], NULL, 1, 0) < 0 && errno == EINVAL,
	      "splice() from a ulk socket: EINVAL");
	errno = 0;
	r = syscall(SYS_socket, AF_INET, SOCK_STREAM, 0);
	CHECK(r < 0 && errno == EAFNOSUPPORT,
	      "a raw socket(AF_INET) system call is refused (EAFNOSUPPORT)");
	errno = 0;
	r = syscall(SYS_socket, AF_UNIX, SOCK_STREAM, 0);
	CHECK(r >= 0, "a raw socket(AF_UNIX) system call is the host's, as it should be");
	if (r >= 0)
		close((int)r);
	errno = 0;
	r = syscall(SYS_io_uring_setup, 4, NULL);
	CHECK(r < 0 && errno == ENOSYS, "io_uring_setup() is refused (ENOSYS)");
	close(c);
	close(s);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	stdio_on_sockets();
	interfaces();
	proc_files();
	refusals();
	printf(failed ? "some checks failed\n" : "all checks passed\n");
	return failed;
}
