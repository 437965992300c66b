// SPDX-License-Identifier: GPL-2.0
/*
 * The control socket and ulk_attach(): a child process boots an instance
 * (with its own listening socket), and this process attaches to it and
 * makes its calls there.
 *
 * Checked: the pointer arguments of every kind of call that travels
 * (stream I/O in 1 MiB pieces from two threads of one session, datagrams
 * with addresses, scatter/gather messages, socket options, ioctls with
 * struct ifreq and ifconf, fcntl, ppoll, epoll, /proc files and
 * directories); bad pointers give EFAULT; the instance's own descriptor
 * is out of reach (EBADF, POLLNVAL) and still works afterwards; a signal
 * handler interrupts a blocked remote call (EINTR), pthread_cancel ends
 * one; a client killed during a blocking call and a client that detaches
 * leave nothing open; malformed and foreign (other uid) connections are
 * dropped; a second instance cannot take the same socket.
 */
#include "common.h"

#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <ulk/linux/fcntl.h>
#include <ulk/net.h>

#include "../lib/ctl/proto.h"

#define OWN_PORT	7201
#define BULK		(3 << 20)

static char sock_path[108];
static char dirname_of_sock[108];
static int own_fd;

static struct sockaddr_in lo_addr(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons(port),
				 .sin_addr = { htonl(INADDR_LOOPBACK) } };
	return a;
}

static long tcp_listen(int port)
{
	struct sockaddr_in a = lo_addr(port);
	long fd = ulk_sys_socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0 || ulk_sys_bind(fd, (void *)&a, sizeof(a)) ||
	    ulk_sys_listen(fd, 8))
		return -1;
	return fd;
}

static long tcp_connect(int port)
{
	struct sockaddr_in a = lo_addr(port);
	long fd = ulk_sys_socket(AF_INET, SOCK_STREAM, 0), err;

	if (fd < 0)
		return fd;
	err = ulk_sys_connect(fd, (void *)&a, sizeof(a));
	if (err) {
		ulk_sys_close(fd);
		return err;
	}
	return fd;
}

/* The instance: boots, listens, reports its descriptor, serves one echo. */
static void instance(int report, int done)
{
	struct ulk_start_opts o = { .name = "ctltest", .ctl = sock_path };
	char buf[16] = { 0 };
	long fd, c;

	if (ulk_start(&o) || ulk_if_set_up(ulk_if_index("lo"), 1))
		_exit(3);
	fd = tcp_listen(OWN_PORT);
	if (fd < 0 || write(report, &(int){ (int)fd }, sizeof(int)) < 0)
		_exit(4);
	c = ulk_sys_accept4(fd, NULL, NULL, 0);
	if (c >= 0 && ulk_sys_read(c, buf, 5) == 5 &&
	    write(done, buf, 5) == 5 && !ulk_halt())
		_exit(0);
	_exit(5);
}

static unsigned char pattern(size_t i)
{
	return (unsigned char)(i * 7 + (i >> 12));
}

static void *bulk_writer(void *arg)
{
	long fd = (long)arg;
	unsigned char *buf = malloc(BULK);
	size_t i, off = 0;

	for (i = 0; i < BULK; i++)
		buf[i] = pattern(i);
	/* Half by write() (cut to 1 MiB a call), half by writev(). */
	while (off < BULK / 2) {
		long n = ulk_sys_write(fd, buf + off, BULK / 2 - off);

		if (n <= 0)
			break;
		off += n;
	}
	while (off < BULK) {
		struct iovec iov[3] = {
			{ buf + off, (BULK - off) / 3 },
			{ buf + off + (BULK - off) / 3, 1 },
			{ buf + off + (BULK - off) / 3 + 1,
			  BULK - off - (BULK - off) / 3 - 1 },
		};
		long n = ulk_sys_writev(fd, (void *)iov, 3);

		if (n <= 0)
			break;
		off += n;
	}
	free(buf);
	return (void *)off;
}

static void check_stream(void)
{
	long l = tcp_listen(7202), c, a, got = 0, n;
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	unsigned char *buf = malloc(BULK);
	pthread_t t;
	void *sent;
	bool same = true;

	c = tcp_connect(7202);
	if (!CHECK(l >= 0 && c >= 0, "listen and connect (%ld %ld)", l, c))
		return;
	a = ulk_sys_accept4(l, (void *)&sa, (void *)&len, 0);
	CHECK(l >= 0 && c >= 0 && a >= 0, "TCP over the instance's loopback: listen, connect, accept (%ld %ld %ld)",
	      l, c, a);
	CHECK(len == sizeof(sa) && sa.sin_family == AF_INET &&
	      sa.sin_addr.s_addr == htonl(INADDR_LOOPBACK),
	      "accept's address comes back, with its length (%u)", len);
	len = sizeof(sa);
	CHECK(!ulk_sys_getsockname(l, (void *)&sa, (void *)&len) &&
	      ntohs(sa.sin_port) == 7202, "getsockname: port %d",
	      ntohs(sa.sin_port));
	pthread_create(&t, NULL, bulk_writer, (void *)c);
	while (got < BULK) {
		if (got % 3 == 0)
			n = ulk_sys_read(a, buf + got, BULK - got);
		else {
			struct iovec iov[2] = {
				{ buf + got, 1000 },
				{ buf + got + 1000, BULK - got - 1000 > 0 ?
				  BULK - got - 1000 : 0 } };
			struct msghdr m = { .msg_iov = iov, .msg_iovlen = 2 };

			if (BULK - got < 1000)
				iov[0].iov_len = BULK - got;
			n = got % 3 == 1 ? ulk_sys_readv(a, (void *)iov, 2) :
			    ulk_sys_recvmsg(a, (void *)&m, 0);
		}
		if (n <= 0)
			break;
		got += n;
	}
	pthread_join(t, &sent);
	for (n = 0; n < got && same; n++)
		same = buf[n] == pattern(n);
	CHECK(got == BULK && (long)sent == BULK && same,
	      "3 MiB by write/writev from a second thread, read/readv/recvmsg here, every byte right (%ld of %d)",
	      got, BULK);
	free(buf);
	ulk_sys_close(a);
	ulk_sys_close(c);
	ulk_sys_close(l);
}

static void check_datagrams(void)
{
	struct sockaddr_in a1 = lo_addr(7203), from;
	long u1 = ulk_sys_socket(AF_INET, SOCK_DGRAM, 0);
	long u2 = ulk_sys_socket(AF_INET, SOCK_DGRAM, 0);
	socklen_t len = sizeof(from);
	char buf[64], name[64];
	int avail = -1;
	long n;

	ulk_sys_bind(u1, (void *)&a1, sizeof(a1));
	n = ulk_sys_sendto(u2, "hello", 5, 0, (void *)&a1, sizeof(a1));
	CHECK(n == 5, "sendto with an address: %ld", n);
	n = ulk_sys_ioctl(u1, FIONREAD, (long)&avail);
	CHECK(!n && avail == 5, "ioctl FIONREAD: %d", avail);
	n = ulk_sys_recvfrom(u1, buf, sizeof(buf), 0, (void *)&from,
			     (void *)&len);
	CHECK(n == 5 && !memcmp(buf, "hello", 5) && len == sizeof(from) &&
	      from.sin_port != 0, "recvfrom: data and the sender's address");
	{
		struct iovec out[3] = { { "ab", 2 }, { "cde", 3 }, { "f", 1 } };
		struct msghdr m = { .msg_name = &a1, .msg_namelen = sizeof(a1),
				    .msg_iov = out, .msg_iovlen = 3 };
		struct iovec in[2] = { { buf, 2 }, { buf + 10, 2 } };
		struct msghdr r = { .msg_name = name, .msg_namelen = sizeof(name),
				    .msg_iov = in, .msg_iovlen = 2 };

		n = ulk_sys_sendmsg(u2, (void *)&m, 0);
		CHECK(n == 6, "sendmsg of three pieces: %ld", n);
		n = ulk_sys_recvmsg(u1, (void *)&r, 0);
		CHECK(n == 4 && !memcmp(buf, "ab", 2) &&
		      !memcmp(buf + 10, "cd", 2) && (r.msg_flags & MSG_TRUNC) &&
		      r.msg_namelen == sizeof(struct sockaddr_in),
		      "recvmsg into two pieces: scattered, MSG_TRUNC, name length %u",
		      r.msg_namelen);
	}
	{
		int v = 65536, out = 0;
		socklen_t ol = sizeof(out);
		struct tcp_info ti;
		socklen_t tl = sizeof(ti);
		long t = ulk_sys_socket(AF_INET, SOCK_STREAM, 0);

		n = ulk_sys_setsockopt(u1, SOL_SOCKET, SO_RCVBUF, (void *)&v,
				       sizeof(v)) ||
		    ulk_sys_getsockopt(u1, SOL_SOCKET, SO_RCVBUF, (void *)&out,
				       (void *)&ol);
		CHECK(!n && out >= v && ol == sizeof(out),
		      "setsockopt/getsockopt SO_RCVBUF: %d", out);
		CHECK(!ulk_sys_getsockopt(t, IPPROTO_TCP, TCP_INFO, (void *)&ti,
					  (void *)&tl) && tl > 0 && tl <= sizeof(ti),
		      "getsockopt TCP_INFO: %u bytes", tl);
		ulk_sys_close(t);
	}
	ulk_sys_close(u1);
	ulk_sys_close(u2);
}

static void check_misc(void)
{
	long s = ulk_sys_socket(AF_INET, SOCK_DGRAM, 0), fd, n, ep;
	struct ifreq ifr = { 0 };
	char cbuf[1024], buf[4096];
	struct ifconf ifc = { .ifc_len = sizeof(cbuf), .ifc_buf = cbuf };
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 42 }, out[4];
	struct pollfd pfd[2];
	long l, c, a;

	strcpy(ifr.ifr_name, "lo");
	n = ulk_sys_ioctl(s, SIOCGIFINDEX, (long)&ifr);
	CHECK(!n && ifr.ifr_ifindex == 1, "ioctl SIOCGIFINDEX lo: %d",
	      ifr.ifr_ifindex);
	n = ulk_sys_ioctl(s, SIOCGIFCONF, (long)&ifc);
	CHECK(!n && ifc.ifc_len >= (int)sizeof(struct ifreq) &&
	      !strcmp(ifc.ifc_req[0].ifr_name, "lo"),
	      "ioctl SIOCGIFCONF: %d bytes, first %s", ifc.ifc_len,
	      ifc.ifc_req[0].ifr_name);
	CHECK(ulk_sys_ioctl(s, 0x89f0, (long)&ifr) == -ENOTTY,
	      "an ioctl that does not travel: ENOTTY");
	n = ulk_sys_fcntl(s, F_GETFL, 0);
	CHECK(n >= 0 && !ulk_sys_fcntl(s, F_SETFL, n | ULK_O_NONBLOCK) &&
	      ulk_sys_recvfrom(s, buf, 1, 0, NULL, NULL) == -EAGAIN,
	      "fcntl O_NONBLOCK, then recvfrom: EAGAIN");
	ulk_sys_close(s);

	fd = ulk_sys_openat(ULK_AT_FDCWD, "/proc/net/dev", ULK_O_RDONLY, 0);
	n = fd >= 0 ? ulk_sys_read(fd, buf, sizeof(buf) - 1) : fd;
	buf[n > 0 ? n : 0] = 0;
	CHECK(n > 0 && strstr(buf, "lo:"), "openat and read /proc/net/dev");
	ulk_sys_close(fd);
	fd = ulk_sys_openat(ULK_AT_FDCWD, "/proc/net",
			    ULK_O_RDONLY | ULK_O_DIRECTORY, 0);
	n = fd >= 0 ? ulk_sys_getdents64(fd, (void *)buf, sizeof(buf)) : fd;
	CHECK(n > 0 && memmem(buf, n, "snmp", 5), "getdents64 of /proc/net: %ld bytes",
	      n);
	ulk_sys_close(fd);
	CHECK(ulk_sys_openat(ULK_AT_FDCWD, "/no/such", ULK_O_RDONLY, 0) == -ENOENT,
	      "openat of a missing file: ENOENT");

	l = tcp_listen(7205);
	c = tcp_connect(7205);
	a = ulk_sys_accept4(l, NULL, NULL, 0);
	ep = ulk_sys_epoll_create1(0);
	CHECK(!ulk_sys_epoll_ctl(ep, EPOLL_CTL_ADD, a, (void *)&ev),
	      "epoll_ctl ADD");
	pfd[0] = (struct pollfd){ .fd = (int)a, .events = POLLIN };
	n = ulk_sys_ppoll((void *)pfd, 1, (void *)&(struct timespec){ 0, 50000000 },
			  NULL, 8);
	CHECK(n == 0 && pfd[0].revents == 0, "ppoll times out with nothing to read");
	ulk_sys_write(c, "x", 1);
	n = ulk_sys_epoll_pwait(ep, (void *)out, 4, 1000, NULL, 8);
	CHECK(n == 1 && out[0].data.u64 == 42 && (out[0].events & EPOLLIN),
	      "epoll_pwait: the event and its data");
	n = ulk_sys_ppoll((void *)pfd, 1, NULL, NULL, 8);
	CHECK(n == 1 && (pfd[0].revents & POLLIN) && pfd[0].fd == (int)a,
	      "ppoll: POLLIN, the fd untouched");

	/* Bad pointers cost EFAULT, in the client or in the instance. */
	CHECK(ulk_sys_write(c, NULL, 10) == -EFAULT, "write from NULL: EFAULT");
	CHECK(ulk_sys_write(c, (void *)16, 10) == -EFAULT,
	      "write from a bad address: EFAULT");
	CHECK(ulk_sys_read(a, NULL, 10) == -EFAULT, "read into NULL: EFAULT");
	CHECK(ulk_sys_getsockname(a, (void *)buf, (void *)16) == -EFAULT,
	      "getsockname with a bad length pointer: EFAULT");

	/* The instance's own descriptor is not ours. */
	CHECK(ulk_sys_close(own_fd) == -EBADF, "close of the instance's own descriptor: EBADF");
	CHECK(ulk_sys_read(own_fd, buf, 1) == -EBADF &&
	      ulk_sys_accept4(own_fd, NULL, NULL, 0) == -EBADF &&
	      ulk_sys_dup3(a, own_fd, 0) == -EBADF,
	      "read, accept, dup3 onto it: EBADF");
	pfd[1] = (struct pollfd){ .fd = own_fd, .events = POLLIN };
	n = ulk_sys_ppoll((void *)pfd, 2, NULL, NULL, 8);
	CHECK(n == 2 && pfd[1].revents == POLLNVAL && pfd[1].fd == own_fd,
	      "ppoll with it: POLLNVAL at once (%ld)", n);
	ulk_sys_close(ep);
	ulk_sys_close(a);
	ulk_sys_close(c);
	ulk_sys_close(l);
}

static void on_usr1(int sig)
{
	(void)sig;
}

static void *blocked_accept(void *arg)
{
	return (void *)ulk_sys_accept4((long)arg, NULL, NULL, 0);
}

static void *blocked_recv(void *arg)
{
	char b[8];

	return (void *)ulk_sys_recvfrom((long)arg, b, sizeof(b), 0, NULL, NULL);
}

static void check_interrupts(void)
{
	struct sigaction sa = { .sa_handler = on_usr1 };
	long l = tcp_listen(7206), u = ulk_sys_socket(AF_INET, SOCK_DGRAM, 0);
	pthread_t t;
	void *ret;
	int64_t t0;

	ulk_sigaction(SIGUSR1, &sa, NULL);
	pthread_create(&t, NULL, blocked_accept, (void *)l);
	usleep(200000);
	t0 = now_ns();
	pthread_kill(t, SIGUSR1);
	pthread_join(t, &ret);
	CHECK((long)ret == -EINTR && now_ns() - t0 < NSEC_PER_SEC,
	      "a handler without SA_RESTART interrupts a blocked remote accept: %ld",
	      (long)ret);
	pthread_create(&t, NULL, blocked_recv, (void *)u);
	usleep(200000);
	t0 = now_ns();
	pthread_cancel(t);
	ulk_interrupt_thread((unsigned long)t);
	pthread_join(t, &ret);
	CHECK(ret == PTHREAD_CANCELED && now_ns() - t0 < NSEC_PER_SEC,
	      "pthread_cancel ends a blocked remote recvfrom");
	ulk_sys_close(u);
	ulk_sys_close(l);
}

/* A client that dies in a blocking call leaves nothing open. */
static void check_client_death(void)
{
	int rp[2];
	pid_t pid;
	char c;
	long fd = -1;
	int64_t t0;

	if (pipe(rp))
		return;
	pid = fork();
	if (!pid) {
		/* A fresh session: the parent's connections are not ours. */
		long l = tcp_listen(7207);

		if (l < 0 || write(rp[1], "r", 1) != 1)
			_exit(1);
		ulk_sys_accept4(l, NULL, NULL, 0);
		_exit(0);
	}
	close(rp[1]);
	CHECK(read(rp[0], &c, 1) == 1, "a forked client listens on 7207 and blocks in accept");
	close(rp[0]);
	usleep(100000);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	t0 = now_ns();
	while (now_ns() - t0 < 3 * NSEC_PER_SEC) {
		fd = tcp_connect(7207);
		if (fd == -ECONNREFUSED)
			break;
		if (fd >= 0)
			ulk_sys_close(fd);
		usleep(20000);
	}
	CHECK(fd == -ECONNREFUSED, "killed in accept: its listener is closed by the instance (%ld, after %lld ms)",
	      fd, (long long)((now_ns() - t0) / NSEC_PER_MSEC));
}

static int raw_connect(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	strcpy(sa.sun_path, sock_path);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)))
		return -1;
	return fd;
}

/* Whether the server ends the conversation after @msg (reads EOF). */
static bool dropped_after(const void *msg, size_t len)
{
	int fd = raw_connect();
	char buf[256];
	struct timeval tv = { 3, 0 };
	long n;

	if (fd < 0)
		return false;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	/* The server may drop us before we are done writing. */
	if (send(fd, msg, len, MSG_NOSIGNAL) != (long)len) {
		close(fd);
		return errno == EPIPE || errno == ECONNRESET;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		;
	close(fd);
	/* Closed with our bytes unread, the end is a reset. */
	return n == 0 || errno == ECONNRESET;
}

static void check_bad_clients(void)
{
	struct hello_msg { struct ulk_ctl_hdr h; struct ulk_ctl_hello b; };
	struct hello_msg hello = {
		{ sizeof(struct ulk_ctl_hello), ULK_CTL_HELLO, 0 },
		{ ULK_CTL_VERSION, 0, 0 } };
	struct ulk_ctl_hdr junk = { 0xffffffffu, 99, 0 };
	struct hello_msg badver = hello, badsess = hello;
	long fd;

	badver.b.version = 99;
	badsess.b.session = 12345;
	CHECK(dropped_after(&junk, sizeof(junk)), "a junk header: dropped");
	CHECK(dropped_after(&badver, sizeof(badver)), "a HELLO of another version: dropped");
	CHECK(dropped_after(&badsess, sizeof(badsess)), "a HELLO naming a session that does not exist: dropped");
	fd = tcp_connect(OWN_PORT + 100);
	CHECK(fd == -ECONNREFUSED, "the instance still answers calls (%ld)", fd);

	if (geteuid() != 0) {
		NOTE("not root: the other-uid check is not tried");
		return;
	}
	chmod(sock_path, 0666);
	chmod(dirname_of_sock, 0711);
	pid_t pid = fork();

	if (!pid) {
		if (setresgid(65534, 65534, 65534) || setresuid(65534, 65534, 65534))
			_exit(2);
		_exit(dropped_after(&hello, sizeof(hello)) ? 0 : 1);
	}
	int st;

	waitpid(pid, &st, 0);
	chmod(sock_path, 0600);
	chmod(dirname_of_sock, 0700);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	      "a client of another uid (socket opened to it on purpose): dropped before WELCOME (%d)", st);
}

int main(void)
{
	char dir[] = "/tmp/ulk-ctltest-XXXXXX";
	int report[2], done[2], status;
	char word[6] = { 0 };
	pid_t pid;
	long fd, n, got;
	int err;

	test_watchdog(60);
	if (!mkdtemp(dir) || pipe(report) || pipe(done))
		return 1;
	snprintf(sock_path, sizeof(sock_path), "%s/i.sock", dir);
	snprintf(dirname_of_sock, sizeof(dirname_of_sock), "%s", dir);
	pid = fork();
	if (!pid) {
		close(report[0]);
		close(done[0]);
		instance(report[1], done[1]);
	}
	close(report[1]);
	close(done[1]);
	if (!CHECK(read(report[0], &own_fd, sizeof(own_fd)) == sizeof(own_fd),
		   "the instance is up (its listener is its descriptor %d)", own_fd))
		return test_finish();
	{
		struct stat st;

		CHECK(!stat(sock_path, &st) && S_ISSOCK(st.st_mode) &&
		      (st.st_mode & 0777) == 0600, "its control socket is mode 0600");
	}
	{
		pid_t p2 = fork();

		if (!p2) {
			struct ulk_start_opts o = { .ctl = sock_path };

			_exit(ulk_start(&o) == -EADDRINUSE ? 0 : 1);
		}
		waitpid(p2, &status, 0);
		CHECK(WIFEXITED(status) && !WEXITSTATUS(status),
		      "a second instance on the same socket: EADDRINUSE");
	}
	err = ulk_attach(sock_path);
	if (!CHECK(!err, "ulk_attach: %d", err))
		return test_finish();
	CHECK(ulk_start(NULL) == -EALREADY, "ulk_start once attached: EALREADY");
	CHECK(ulk_attach(sock_path) == -EALREADY, "ulk_attach twice: EALREADY");

	check_stream();
	check_datagrams();
	check_misc();
	check_interrupts();
	check_client_death();
	check_bad_clients();

	fd = tcp_listen(7208);
	CHECK(fd >= 0 && !ulk_detach(), "detach with a listener open");
	CHECK(ulk_sys_getpid() == -ESHUTDOWN, "after detach: ESHUTDOWN");
	CHECK(!ulk_attach(sock_path), "attach again");
	fd = tcp_connect(7208);
	CHECK(fd == -ECONNREFUSED, "the detached session's listener is closed (%ld)", fd);

	fd = tcp_connect(OWN_PORT);
	n = fd >= 0 ? ulk_sys_write(fd, "hello", 5) : fd;
	got = read(done[0], word, 5);
	CHECK(n == 5 && got == 5 && !strcmp(word, "hello"),
	      "the instance's own listener still serves it: %ld, %ld, \"%s\"",
	      n, got, word);
	waitpid(pid, &status, 0);
	CHECK(WIFEXITED(status) && !WEXITSTATUS(status), "the instance exits cleanly (%d)",
	      status);
	CHECK(access(sock_path, F_OK), "its socket is removed at ulk_halt()");
	rmdir(dir);
	return test_finish();
}
