// SPDX-License-Identifier: GPL-2.0
/*
 * A library tests load next to the shim (ulk-run --preload) so that a
 * program that makes no connection of its own, ss(8), runs with one live
 * TCP connection in its ulk: HOLD_CONN=ADDR:PORT is connected to before
 * main() and kept open. Uses nothing but the ordinary socket calls, which
 * the shim serves.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

__attribute__((constructor)) static void hold_connection(void)
{
	const char *spec = getenv("HOLD_CONN");
	struct sockaddr_in sa = { .sin_family = AF_INET };
	char addr[64], *colon;
	int fd;

	if (!spec)
		return;
	snprintf(addr, sizeof(addr), "%s", spec);
	colon = strrchr(addr, ':');
	if (!colon)
		return;
	*colon = 0;
	sa.sin_port = htons((unsigned short)atoi(colon + 1));
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || inet_pton(AF_INET, addr, &sa.sin_addr) != 1 ||
	    connect(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    write(fd, "hello\n", 6) != 6)
		perror("holdconn");
}
