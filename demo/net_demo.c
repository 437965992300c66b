// SPDX-License-Identifier: GPL-2.0
/*
 * The networking demo: a small HTTP server running on ulk's TCP/IP stack.
 *
 *   net_demo tap IFNAME ADDR/PREFIX   serve one request on a host TAP
 *                                     (prints READY when listening)
 *   net_demo pipe                     two ulk processes over a socketpair:
 *                                     one serves, the other fetches
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <ulk/ulk.h>
#include <ulk/net.h>
#include <ulk/netdev.h>
#include <ulk/abi.h>

#define PORT 8080

static void die(const char *what, long err)
{
	fprintf(stderr, "net_demo: %s: %s\n", what, ulk_strerror((int)err));
	exit(1);
}

static int bring_up(int dev, const char *cidr)
{
	int ifindex = ulk_netdev_ifindex(dev);
	long err;

	if (ifindex < 0)
		die("finding the interface", ifindex);
	err = ulk_if_set_up(ifindex, 1);
	if (err)
		die("bringing the interface up", err);
	err = ulk_if_add_addr_str(ifindex, cidr);
	if (err)
		die("adding the address", err);
	return ifindex;
}

static struct ulk_sockaddr_in sin_of(const char *ip)
{
	struct ulk_sockaddr_in sin = { .sin_family = ULK_AF_INET };
	unsigned char *b = (unsigned char *)&sin.sin_addr;
	unsigned int a[4];

	if (ip && sscanf(ip, "%u.%u.%u.%u", &a[0], &a[1], &a[2], &a[3]) == 4)
		for (int i = 0; i < 4; i++)
			b[i] = (unsigned char)a[i];
	sin.sin_port = (unsigned short)((PORT >> 8) | ((PORT & 0xff) << 8));
	return sin;
}

/* Listen on PORT inside ulk, answer one HTTP request, close. */
static void serve_one(int ready_fd)
{
	static const char body[] =
		"Hello from Linux " "inside a process: this page was served "
		"by the kernel's own TCP/IP stack, running in ulk.\n";
	struct ulk_sockaddr_in sin = sin_of(NULL);
	char req[2048], resp[512];
	long fd, c, n, one = 1;

	fd = ulk_sys_socket(ULK_AF_INET, ULK_SOCK_STREAM, 0);
	if (fd < 0)
		die("socket", fd);
	ulk_sys_setsockopt(fd, ULK_SOL_SOCKET, ULK_SO_REUSEADDR, &one,
			   sizeof(one));
	n = ulk_sys_bind(fd, (struct ulk_sockaddr *)&sin, sizeof(sin));
	if (n)
		die("bind", n);
	n = ulk_sys_listen(fd, 16);
	if (n)
		die("listen", n);
	printf("READY: ulk is listening on port %d\n", PORT);
	fflush(stdout);
	if (ready_fd >= 0) {
		if (write(ready_fd, "r", 1) != 1)
			die("signalling readiness", -errno);
		close(ready_fd);
	}
	c = ulk_sys_accept4(fd, NULL, NULL, 0);
	if (c < 0)
		die("accept", c);
	n = ulk_sys_read(c, req, sizeof(req) - 1);
	if (n < 0)
		die("read", n);
	req[n] = 0;
	printf("ulk server got: %.*s\n", (int)strcspn(req, "\r\n"), req);
	fflush(stdout);
	n = snprintf(resp, sizeof(resp),
		     "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n"
		     "Content-Length: %zu\r\nServer: ulk\r\n\r\n%s",
		     sizeof(body) - 1, body);
	ulk_sys_write(c, resp, n);
	ulk_sys_close(c);
	ulk_sys_close(fd);
}

static int run_tap(const char *ifname, const char *cidr)
{
	int dev = ulk_netdev_add_tap(ifname, NULL);

	if (dev < 0) {
		fprintf(stderr, "net_demo: cannot use TAP %s: %s\n", ifname,
			ulk_netdev_last_error());
		return 1;
	}
	if (ulk_start(NULL))
		die("ulk_start", -EIO);
	bring_up(dev, cidr);
	serve_one(-1);
	ulk_halt();
	return 0;
}

static int fetch(const char *server)
{
	struct ulk_sockaddr_in sin = sin_of(server);
	static const char req[] = "GET / HTTP/1.0\r\nHost: ulk\r\n\r\n";
	char buf[2048];
	long fd, n, total = 0;

	fd = ulk_sys_socket(ULK_AF_INET, ULK_SOCK_STREAM, 0);
	if (fd < 0)
		die("socket", fd);
	n = ulk_sys_connect(fd, (struct ulk_sockaddr *)&sin, sizeof(sin));
	if (n)
		die("connect", n);
	ulk_sys_write(fd, req, sizeof(req) - 1);
	while ((n = ulk_sys_read(fd, buf + total, sizeof(buf) - 1 - total)) > 0)
		total += n;
	buf[total] = 0;
	printf("ulk client fetched:\n%s", buf);
	ulk_sys_close(fd);
	return strstr(buf, "200 OK") ? 0 : 1;
}

static int run_pipe(void)
{
	int sv[2], ready[2], status, ret, dev;
	pid_t child;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) || pipe(ready))
		die("socketpair", -errno);
	child = fork();
	if (child < 0)
		die("fork", -errno);
	if (child == 0) {
		close(sv[0]);
		close(ready[0]);
		dev = ulk_netdev_add_pipe_fd(sv[1], NULL);
		if (dev < 0 || ulk_start(NULL))
			die("server setup", dev < 0 ? dev : -EIO);
		bring_up(dev, "10.77.0.1/24");
		serve_one(ready[1]);
		ulk_halt();
		_exit(0);
	}
	close(sv[1]);
	close(ready[1]);
	dev = ulk_netdev_add_pipe_fd(sv[0], NULL);
	if (dev < 0 || ulk_start(NULL))
		die("client setup", dev < 0 ? dev : -EIO);
	bring_up(dev, "10.77.0.2/24");
	if (read(ready[0], &status, 1) != 1) {
		fprintf(stderr, "net_demo: the server process died\n");
		return 1;
	}
	ret = fetch("10.77.0.1");
	ulk_halt();
	if (waitpid(child, &status, 0) < 0 || !WIFEXITED(status) ||
	    WEXITSTATUS(status))
		ret = 1;
	return ret;
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "tap"))
		return run_tap(argv[2], argv[3]);
	if (argc == 2 && !strcmp(argv[1], "pipe"))
		return run_pipe();
	fprintf(stderr, "usage: net_demo tap IFNAME ADDR/PREFIX | net_demo pipe\n");
	return 2;
}
