// SPDX-License-Identifier: GPL-2.0
/*
 * test_abi_headers.c - the prefixed kernel ABI headers (<ulk/...>, made by
 * scripts/export_headers.py) next to the C library's and the host's own
 * <linux/...> headers in one translation unit.
 *
 * Build: cc -Wall -Wextra -Werror -std=gnu11 -I build/include \
 *	tests/unit/test_abi_headers.c -o test_abi_headers
 * Needs no ulk library: the compile itself checks that nothing clashes and
 * that constants and layouts equal the C library's (x86-64 Linux uses the
 * generic values for everything compared here); the run checks a few
 * values and layouts through real host system calls. Exits 0 on success.
 */
#define _GNU_SOURCE 1
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <netinet/udp.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include <ulk/abi.h>
#include <ulk/asm/unistd.h>
#if defined(__has_include)
#if __has_include(<ulk/syscalls.h>)
#include <ulk/syscalls.h>
#define HAVE_ULK_SYSCALLS_H 1
#endif
#endif

#define SAME(a, b) _Static_assert((long long)(a) == (long long)(b), \
	#a " == " #b)
#define SAME_SIZE(a, b) _Static_assert(sizeof(a) == sizeof(b), \
	"sizeof(" #a ") == sizeof(" #b ")")
#define SAME_OFF(ta, ma, tb, mb) \
	_Static_assert(offsetof(ta, ma) == offsetof(tb, mb), \
		       "offsetof(" #ta ", " #ma ")")

/* Address families, socket types, levels, options, flags. */
SAME(ULK_AF_UNSPEC, AF_UNSPEC);
SAME(ULK_AF_UNIX, AF_UNIX);
SAME(ULK_AF_INET, AF_INET);
SAME(ULK_AF_INET6, AF_INET6);
SAME(ULK_AF_NETLINK, AF_NETLINK);
SAME(ULK_AF_PACKET, AF_PACKET);
SAME(ULK_PF_INET, PF_INET);
SAME(ULK_PF_INET6, PF_INET6);
SAME(ULK_PF_UNIX, PF_UNIX);
SAME(ULK_PF_NETLINK, PF_NETLINK);
SAME(ULK_PF_PACKET, PF_PACKET);
SAME(ULK_SOCK_STREAM, SOCK_STREAM);
SAME(ULK_SOCK_DGRAM, SOCK_DGRAM);
SAME(ULK_SOCK_RAW, SOCK_RAW);
SAME(ULK_SOCK_SEQPACKET, SOCK_SEQPACKET);
SAME(ULK_SOCK_NONBLOCK, SOCK_NONBLOCK);
SAME(ULK_SOCK_CLOEXEC, SOCK_CLOEXEC);
SAME(ULK_SOL_SOCKET, SOL_SOCKET);
SAME(ULK_SOL_TCP, SOL_TCP);
SAME(ULK_SOL_IP, SOL_IP);
SAME(ULK_SOL_IPV6, SOL_IPV6);
SAME(ULK_SO_REUSEADDR, SO_REUSEADDR);
SAME(ULK_SO_KEEPALIVE, SO_KEEPALIVE);
SAME(ULK_SO_SNDBUF, SO_SNDBUF);
SAME(ULK_SO_RCVBUF, SO_RCVBUF);
SAME(ULK_SO_ERROR, SO_ERROR);
SAME(ULK_SO_TYPE, SO_TYPE);
SAME(ULK_SO_REUSEPORT, SO_REUSEPORT);
SAME(ULK_SO_LINGER, SO_LINGER);
SAME(ULK_SO_RCVTIMEO_OLD, 20);
SAME(ULK_SO_SNDTIMEO_OLD, 21);
SAME(ULK_SO_RCVTIMEO, SO_RCVTIMEO);
SAME(ULK_SO_SNDTIMEO, SO_SNDTIMEO);
SAME(ULK_MSG_PEEK, MSG_PEEK);
SAME(ULK_MSG_DONTWAIT, MSG_DONTWAIT);
SAME(ULK_MSG_NOSIGNAL, MSG_NOSIGNAL);
SAME(ULK_MSG_WAITALL, MSG_WAITALL);
SAME(ULK_MSG_TRUNC, MSG_TRUNC);
SAME(ULK_MSG_MORE, MSG_MORE);
SAME(ULK_MSG_CMSG_CLOEXEC, MSG_CMSG_CLOEXEC);
SAME(ULK_SHUT_RD, SHUT_RD);
SAME(ULK_SHUT_WR, SHUT_WR);
SAME(ULK_SHUT_RDWR, SHUT_RDWR);
SAME(ULK_SCM_RIGHTS, SCM_RIGHTS);
SAME(ULK_SOMAXCONN, 4096);

/* Socket structures. */
SAME_SIZE(struct ulk_sockaddr, struct sockaddr);
SAME_OFF(struct ulk_sockaddr, sa_data, struct sockaddr, sa_data);
SAME_SIZE(struct ulk_sockaddr_storage, struct sockaddr_storage);
SAME_SIZE(struct __ulk_kernel_sockaddr_storage, struct sockaddr_storage);
SAME_SIZE(struct ulk_sockaddr_in, struct sockaddr_in);
SAME_OFF(struct ulk_sockaddr_in, sin_port, struct sockaddr_in, sin_port);
SAME_OFF(struct ulk_sockaddr_in, sin_addr, struct sockaddr_in, sin_addr);
SAME_SIZE(struct ulk_sockaddr_in6, struct sockaddr_in6);
SAME_OFF(struct ulk_sockaddr_in6, sin6_addr, struct sockaddr_in6, sin6_addr);
SAME_OFF(struct ulk_sockaddr_in6, sin6_scope_id,
	 struct sockaddr_in6, sin6_scope_id);
SAME_SIZE(struct ulk_in_addr, struct in_addr);
SAME_SIZE(struct ulk_in6_addr, struct in6_addr);
SAME_SIZE(struct ulk_iovec, struct iovec);
SAME_SIZE(struct ulk_msghdr, struct msghdr);
SAME_OFF(struct ulk_msghdr, msg_iov, struct msghdr, msg_iov);
SAME_OFF(struct ulk_msghdr, msg_control, struct msghdr, msg_control);
SAME_OFF(struct ulk_msghdr, msg_flags, struct msghdr, msg_flags);
SAME_SIZE(struct ulk_mmsghdr, struct mmsghdr);
SAME_SIZE(struct ulk_cmsghdr, struct cmsghdr);
SAME_SIZE(struct ulk_linger, struct linger);
SAME_SIZE(struct ulk_ucred, struct ucred);
SAME(ULK_CMSG_SPACE(sizeof(int)), CMSG_SPACE(sizeof(int)));
SAME(ULK_CMSG_LEN(sizeof(int)), CMSG_LEN(sizeof(int)));

/* IP, TCP, interfaces, ethernet. */
SAME(ULK_IPPROTO_IP, IPPROTO_IP);
SAME(ULK_IPPROTO_TCP, IPPROTO_TCP);
SAME(ULK_IPPROTO_UDP, IPPROTO_UDP);
SAME(ULK_IPPROTO_IPV6, IPPROTO_IPV6);
SAME(ULK_IPPROTO_ICMPV6, IPPROTO_ICMPV6);
SAME(ULK_INADDR_LOOPBACK, INADDR_LOOPBACK);
SAME(ULK_INADDR_ANY, INADDR_ANY);
SAME(ULK_IP_TOS, IP_TOS);
SAME(ULK_IP_TTL, IP_TTL);
SAME(ULK_IP_ADD_MEMBERSHIP, IP_ADD_MEMBERSHIP);
SAME(ULK_IPV6_V6ONLY, IPV6_V6ONLY);
SAME(ULK_TCP_NODELAY, TCP_NODELAY);
SAME(ULK_TCP_MAXSEG, TCP_MAXSEG);
SAME(ULK_TCP_CORK, TCP_CORK);
SAME(ULK_TCP_KEEPIDLE, TCP_KEEPIDLE);
SAME(ULK_TCP_KEEPINTVL, TCP_KEEPINTVL);
SAME(ULK_TCP_KEEPCNT, TCP_KEEPCNT);
SAME(ULK_TCP_INFO, TCP_INFO);
SAME(ULK_TCP_CONGESTION, TCP_CONGESTION);
SAME(ULK_IFNAMSIZ, IFNAMSIZ);
SAME(ULK_IFF_UP, IFF_UP);
SAME(ULK_IFF_LOOPBACK, IFF_LOOPBACK);
SAME(ULK_IFF_RUNNING, IFF_RUNNING);
SAME_SIZE(struct ulk_ifreq, struct ifreq);
SAME(ULK_SIOCGIFINDEX, SIOCGIFINDEX);
SAME(ULK_SIOCGIFFLAGS, SIOCGIFFLAGS);
SAME(ULK_SIOCSIFADDR, SIOCSIFADDR);
SAME(ULK_ETH_ALEN, ETH_ALEN);
SAME(ULK_ETH_P_IP, ETHERTYPE_IP);
SAME(ULK_ETH_P_IPV6, ETHERTYPE_IPV6);
SAME(ULK_ETH_P_ARP, ETHERTYPE_ARP);
SAME_SIZE(struct ulk_ethhdr, struct ether_header);
SAME_SIZE(struct ulk_udphdr, struct udphdr);

/* Netlink, against the host's own <linux/...> headers. */
SAME_SIZE(struct ulk_nlmsghdr, struct nlmsghdr);
SAME_OFF(struct ulk_nlmsghdr, nlmsg_seq, struct nlmsghdr, nlmsg_seq);
SAME_OFF(struct ulk_nlmsghdr, nlmsg_pid, struct nlmsghdr, nlmsg_pid);
SAME_SIZE(struct ulk_sockaddr_nl, struct sockaddr_nl);
SAME(ULK_NETLINK_ROUTE, NETLINK_ROUTE);
SAME(ULK_NLM_F_REQUEST, NLM_F_REQUEST);
SAME(ULK_NLM_F_DUMP, NLM_F_DUMP);
SAME(ULK_NLMSG_DONE, NLMSG_DONE);
SAME(ULK_NLMSG_ERROR, NLMSG_ERROR);
SAME(ULK_NLMSG_HDRLEN, NLMSG_HDRLEN);
SAME(ULK_NLMSG_LENGTH(13), NLMSG_LENGTH(13));
SAME(ULK_NLMSG_SPACE(13), NLMSG_SPACE(13));
SAME(ULK_RTM_NEWLINK, RTM_NEWLINK);
SAME(ULK_RTM_GETADDR, RTM_GETADDR);
SAME(ULK_RTM_NEWROUTE, RTM_NEWROUTE);
SAME(ULK_RTA_LENGTH(4), RTA_LENGTH(4));
SAME(ULK_IFLA_IFNAME, IFLA_IFNAME);
SAME(ULK_IFLA_MTU, IFLA_MTU);
SAME(ULK_IFA_ADDRESS, IFA_ADDRESS);
SAME(ULK_IFA_LOCAL, IFA_LOCAL);
SAME(ULK_NDA_DST, NDA_DST);
SAME_SIZE(struct ulk_ifinfomsg, struct ifinfomsg);
SAME_SIZE(struct ulk_ifaddrmsg, struct ifaddrmsg);
SAME_SIZE(struct ulk_rtmsg, struct rtmsg);
SAME_SIZE(struct ulk_ndmsg, struct ndmsg);
SAME_SIZE(struct ulk_rtattr, struct rtattr);

/* epoll, poll, eventfd. */
SAME(ULK_EPOLLIN, EPOLLIN);
SAME(ULK_EPOLLOUT, EPOLLOUT);
SAME(ULK_EPOLLERR, EPOLLERR);
SAME(ULK_EPOLLHUP, EPOLLHUP);
SAME(ULK_EPOLLRDHUP, EPOLLRDHUP);
SAME(ULK_EPOLLET, EPOLLET);
SAME(ULK_EPOLLONESHOT, EPOLLONESHOT);
SAME(ULK_EPOLL_CTL_ADD, EPOLL_CTL_ADD);
SAME(ULK_EPOLL_CTL_DEL, EPOLL_CTL_DEL);
SAME(ULK_EPOLL_CTL_MOD, EPOLL_CTL_MOD);
SAME(ULK_EPOLL_CLOEXEC, EPOLL_CLOEXEC);
SAME_SIZE(struct ulk_epoll_event, struct epoll_event);
SAME_OFF(struct ulk_epoll_event, data, struct epoll_event, data);
SAME(ULK_POLLIN, POLLIN);
SAME(ULK_POLLOUT, POLLOUT);
SAME(ULK_POLLERR, POLLERR);
SAME(ULK_POLLHUP, POLLHUP);
SAME(ULK_POLLNVAL, POLLNVAL);
SAME(ULK_POLLRDHUP, POLLRDHUP);
SAME_SIZE(struct ulk_pollfd, struct pollfd);
SAME(ULK_EFD_CLOEXEC, EFD_CLOEXEC);
SAME(ULK_EFD_NONBLOCK, EFD_NONBLOCK);
SAME(ULK_EFD_SEMAPHORE, EFD_SEMAPHORE);

/* Files. */
SAME(ULK_O_RDONLY, O_RDONLY);
SAME(ULK_O_WRONLY, O_WRONLY);
SAME(ULK_O_RDWR, O_RDWR);
SAME(ULK_O_CREAT, O_CREAT);
SAME(ULK_O_EXCL, O_EXCL);
SAME(ULK_O_TRUNC, O_TRUNC);
SAME(ULK_O_APPEND, O_APPEND);
SAME(ULK_O_NONBLOCK, O_NONBLOCK);
SAME(ULK_O_DIRECTORY, O_DIRECTORY);
SAME(ULK_O_NOFOLLOW, O_NOFOLLOW);
SAME(ULK_O_CLOEXEC, O_CLOEXEC);
SAME(ULK_F_GETFL, F_GETFL);
SAME(ULK_F_SETFL, F_SETFL);
SAME(ULK_F_GETFD, F_GETFD);
SAME(ULK_F_SETFD, F_SETFD);
SAME(ULK_FD_CLOEXEC, FD_CLOEXEC);
SAME(ULK_AT_FDCWD, AT_FDCWD);
SAME(ULK_AT_SYMLINK_NOFOLLOW, AT_SYMLINK_NOFOLLOW);
SAME(ULK_AT_REMOVEDIR, AT_REMOVEDIR);
SAME(ULK_AT_EMPTY_PATH, AT_EMPTY_PATH);
SAME(ULK_S_IFMT, S_IFMT);
SAME(ULK_S_IFREG, S_IFREG);
SAME(ULK_S_IFDIR, S_IFDIR);
SAME(ULK_S_IFSOCK, S_IFSOCK);
SAME(ULK_STATX_BASIC_STATS, STATX_BASIC_STATS);
SAME_SIZE(struct ulk_statx, struct statx);
SAME_OFF(struct ulk_statx, stx_size, struct statx, stx_size);
SAME_OFF(struct ulk_statx, stx_mtime, struct statx, stx_mtime);

/* Errors, time, system information. */
SAME(ULK_EPERM, EPERM);
SAME(ULK_ENOENT, ENOENT);
SAME(ULK_EINTR, EINTR);
SAME(ULK_EBADF, EBADF);
SAME(ULK_EAGAIN, EAGAIN);
SAME(ULK_EWOULDBLOCK, EWOULDBLOCK);
SAME(ULK_ENOMEM, ENOMEM);
SAME(ULK_EINVAL, EINVAL);
SAME(ULK_EPIPE, EPIPE);
SAME(ULK_EDEADLK, EDEADLK);
SAME(ULK_ENOSYS, ENOSYS);
SAME(ULK_EALREADY, EALREADY);
SAME(ULK_EINPROGRESS, EINPROGRESS);
SAME(ULK_EADDRINUSE, EADDRINUSE);
SAME(ULK_ECONNREFUSED, ECONNREFUSED);
SAME(ULK_ECONNRESET, ECONNRESET);
SAME(ULK_ESHUTDOWN, ESHUTDOWN);
SAME(ULK_ETIMEDOUT, ETIMEDOUT);
SAME(ULK_ENODEV, ENODEV);
SAME(ULK_CLOCK_REALTIME, CLOCK_REALTIME);
SAME(ULK_CLOCK_MONOTONIC, CLOCK_MONOTONIC);
SAME(ULK_CLOCK_BOOTTIME, CLOCK_BOOTTIME);
SAME_SIZE(struct __ulk_kernel_timespec, struct timespec);
SAME_SIZE(struct ulk_timespec, struct timespec);
SAME_SIZE(struct ulk_timeval, struct timeval);
SAME_SIZE(struct ulk_new_utsname, struct utsname);
SAME_OFF(struct ulk_new_utsname, release, struct utsname, release);
SAME_SIZE(struct ulk_sysinfo, struct sysinfo);
SAME_OFF(struct ulk_sysinfo, procs, struct sysinfo, procs);

/* Basic types, and the generic system call numbers beside the host's. */
SAME_SIZE(__ulk_u8, unsigned char);
SAME_SIZE(__ulk_u16, unsigned short);
SAME_SIZE(__ulk_u32, unsigned int);
SAME_SIZE(__ulk_u64, unsigned long long);
SAME_SIZE(__ulk_kernel_size_t, size_t);
SAME_SIZE(__ulk_kernel_long_t, long);
SAME(__ULK_BITS_PER_LONG, 64);
SAME(__ULK_NR_socket, 198);
SAME(__ULK_NR_getppid, 173);
SAME(__ULK_NR_uname, 160);
SAME(__ULK_NR_epoll_pwait, 22);
SAME(__ULK_NR_io_uring_setup, 425);
#ifdef __x86_64__
SAME(__NR_socket, 41);		/* the host's table is untouched */
SAME(__NR_getppid, 110);
#endif

#ifdef HAVE_ULK_SYSCALLS_H
/* The wrappers take the prefixed types (sizeof: checked, never called). */
_Static_assert(__builtin_types_compatible_p(__typeof__(&ulk_sys_getppid),
					    long (*)(void)), "getppid");
_Static_assert(sizeof(ulk_sys_uname((struct ulk_new_utsname *)0)) ==
	       sizeof(long), "uname");
_Static_assert(sizeof(ulk_sys_socket(ULK_AF_INET, ULK_SOCK_STREAM, 0)) ==
	       sizeof(long), "socket");
_Static_assert(sizeof(ulk_sys_bind(0, (const struct ulk_sockaddr *)0,
				   sizeof(struct ulk_sockaddr_in))) ==
	       sizeof(long), "bind");
_Static_assert(sizeof(ulk_sys_sendto(0, "x", 1, ULK_MSG_NOSIGNAL,
				     (const struct ulk_sockaddr *)0, 0)) ==
	       sizeof(long), "sendto");
_Static_assert(sizeof(ulk_sys_epoll_ctl(0, ULK_EPOLL_CTL_ADD, 0,
					(struct ulk_epoll_event *)0)) ==
	       sizeof(long), "epoll_ctl");
_Static_assert(__ULK_NR_socket == 198, "one number for both headers");
#endif

static int passed, failed;

#define CHECK(cond) do {						\
	if (cond) {							\
		passed++;						\
	} else {							\
		failed++;						\
		fprintf(stderr, "%s:%d: check failed: %s\n",		\
			__FILE__, __LINE__, #cond);			\
	}								\
} while (0)

static void test_sockaddr(void)
{
	struct ulk_sockaddr_in a;
	struct sockaddr_in b;
	struct ulk_sockaddr_in6 a6;
	struct sockaddr_in6 b6;
	char text[INET6_ADDRSTRLEN];

	memset(&a, 0, sizeof(a));
	a.sin_family = ULK_AF_INET;
	a.sin_port = htons(8080);
	a.sin_addr.s_addr = htonl(ULK_INADDR_LOOPBACK);
	memcpy(&b, &a, sizeof(b));
	CHECK(b.sin_family == AF_INET);
	CHECK(ntohs(b.sin_port) == 8080);
	CHECK(inet_ntop(AF_INET, &b.sin_addr, text, sizeof(text)) != NULL);
	CHECK(strcmp(text, "127.0.0.1") == 0);

	memset(&a6, 0, sizeof(a6));
	a6.sin6_family = ULK_AF_INET6;
	a6.sin6_port = htons(443);
	a6.sin6_addr.ulk_s6_addr[15] = 1;	/* ::1 */
	memcpy(&b6, &a6, sizeof(b6));
	CHECK(b6.sin6_family == AF_INET6);
	CHECK(memcmp(&b6.sin6_addr, &in6addr_loopback,
		     sizeof(in6addr_loopback)) == 0);
	CHECK(ULK_IN_MULTICAST(0xe0000001U));
	CHECK(!ULK_IN_MULTICAST(ULK_INADDR_LOOPBACK));
}

static void test_socketpair(void)
{
	int sv[2];
	char buf[8] = { 0 };
	struct ulk_iovec iov = { .iov_base = (void *)"ping", .iov_len = 4 };
	struct ulk_msghdr msg;
	int type = -1;
	socklen_t len = sizeof(type);

	if (socketpair(ULK_AF_UNIX, ULK_SOCK_STREAM | ULK_SOCK_CLOEXEC, 0,
		       sv) != 0) {
		perror("socketpair");
		failed++;
		return;
	}
	CHECK(fcntl(sv[0], F_GETFD) & ULK_FD_CLOEXEC);
	CHECK(getsockopt(sv[0], ULK_SOL_SOCKET, ULK_SO_TYPE, &type,
			 &len) == 0);
	CHECK(type == ULK_SOCK_STREAM);

	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	CHECK(sendmsg(sv[0], (struct msghdr *)&msg,
		      ULK_MSG_DONTWAIT | ULK_MSG_NOSIGNAL) == 4);
	CHECK(recv(sv[1], buf, sizeof(buf), ULK_MSG_PEEK) == 4);
	CHECK(recv(sv[1], buf, sizeof(buf), ULK_MSG_DONTWAIT) == 4);
	CHECK(memcmp(buf, "ping", 4) == 0);
	CHECK(recv(sv[1], buf, sizeof(buf), ULK_MSG_DONTWAIT) == -1 &&
	      errno == ULK_EAGAIN);
	CHECK(shutdown(sv[0], ULK_SHUT_WR) == 0);
	CHECK(recv(sv[1], buf, sizeof(buf), 0) == 0);
	close(sv[0]);
	close(sv[1]);
}

static void test_epoll(void)
{
	int ep, efd;
	struct ulk_epoll_event ev = { .events = ULK_EPOLLIN, .data = 42 };
	struct ulk_epoll_event out;
	struct epoll_event host;
	uint64_t one = 1;

	memcpy(&host, &ev, sizeof(host));
	CHECK(host.events == EPOLLIN);
	CHECK(host.data.u64 == 42);

	ep = epoll_create1(ULK_EPOLL_CLOEXEC);
	efd = eventfd(0, ULK_EFD_NONBLOCK | ULK_EFD_CLOEXEC);
	if (ep < 0 || efd < 0) {
		perror("epoll_create1/eventfd");
		failed++;
		return;
	}
	CHECK(epoll_ctl(ep, ULK_EPOLL_CTL_ADD, efd,
			(struct epoll_event *)&ev) == 0);
	CHECK(write(efd, &one, sizeof(one)) == sizeof(one));
	memset(&out, 0, sizeof(out));
	CHECK(epoll_wait(ep, (struct epoll_event *)&out, 1, 1000) == 1);
	CHECK(out.events & ULK_EPOLLIN);
	CHECK(out.data == 42);
	close(efd);
	close(ep);
}

static void test_uname_netlink(void)
{
	struct utsname u;
	struct ulk_new_utsname k;
	struct ulk_nlmsghdr nh;
	struct nlmsghdr hn;

	CHECK(uname(&u) == 0);
	memcpy(&k, &u, sizeof(k));
	CHECK(strcmp(k.sysname, "Linux") == 0);
	CHECK(strcmp(k.release, u.release) == 0);

	memset(&nh, 0, sizeof(nh));
	nh.nlmsg_len = ULK_NLMSG_LENGTH(sizeof(struct ulk_ifinfomsg));
	nh.nlmsg_type = ULK_RTM_GETLINK;
	nh.nlmsg_flags = ULK_NLM_F_REQUEST | ULK_NLM_F_DUMP;
	nh.nlmsg_seq = 7;
	memcpy(&hn, &nh, sizeof(hn));
	CHECK(hn.nlmsg_len == NLMSG_LENGTH(sizeof(struct ifinfomsg)));
	CHECK(hn.nlmsg_type == RTM_GETLINK);
	CHECK(hn.nlmsg_flags == (NLM_F_REQUEST | NLM_F_DUMP));
	CHECK(hn.nlmsg_seq == 7);
	CHECK((char *)ULK_NLMSG_DATA(&nh) - (char *)&nh ==
	      (char *)NLMSG_DATA(&hn) - (char *)&hn);
}

int main(void)
{
	test_sockaddr();
	test_socketpair();
	test_epoll();
	test_uname_netlink();
	printf("abi_headers: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
