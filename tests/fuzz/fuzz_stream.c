// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the stream backend's framing check,
 * ulk_net_stream_decode() (lib/net/stream.c), on attacker-chosen bytes.
 *
 * The input is a byte stream as a peer would write it, delivered in pieces
 * whose sizes come from the input too (its first byte seeds them), into a
 * buffer managed as the backend's receive path does: decode at a frame
 * boundary, consume whole frames, append more bytes otherwise, stop at the
 * first bad length. Checked: a frame's length is within the Ethernet
 * bounds and inside the bytes given; "more needed" only when the bytes do
 * not hold the prefix and frame; a bad length only for a length out of
 * bounds; the frames found plus what is left add up to the input; a
 * prefix made by ulk_net_stream_prefix() decodes to its length.
 *
 * Build (clang; the fuzz-build target will do the same):
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Iinclude -Ilib \
 *	-Ibuild/include tests/fuzz/fuzz_stream.c lib/net/stream.c \
 *	lib/hostfd.c -o build/fuzz/fuzz_stream
 *   build/fuzz/fuzz_stream tests/fuzz/corpus/stream
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net/backend.h"

#define BUF_SIZE	(2 * ULK_NET_STREAM_PREFIX + ULK_NET_STREAM_MAX_FRAME)

static uint32_t be32_at(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t buf[BUF_SIZE];
	unsigned char pfx[ULK_NET_STREAM_PREFIX];
	size_t in = 0, have = 0, used = 0, flen;
	uint32_t seed;
	ssize_t r;

	if (!size)
		return 0;
	seed = data[0] * 2654435761U + 1;
	data++;
	size--;
	for (;;) {
		r = ulk_net_stream_decode(buf, have, ULK_NET_STREAM_MAX_FRAME,
					  &flen);
		if (r < 0) {
			if (have < ULK_NET_STREAM_PREFIX ||
			    (flen >= ULK_NET_STREAM_MIN_FRAME &&
			     flen <= ULK_NET_STREAM_MAX_FRAME) ||
			    flen != be32_at(buf))
				abort();
			break;	/* out of sync: the backend closes here */
		}
		if (r > 0) {
			if (flen < ULK_NET_STREAM_MIN_FRAME ||
			    flen > ULK_NET_STREAM_MAX_FRAME ||
			    (size_t)r != ULK_NET_STREAM_PREFIX + flen ||
			    (size_t)r > have || flen != be32_at(buf))
				abort();
			memmove(buf, buf + r, have - (size_t)r);
			have -= (size_t)r;
			used += (size_t)r;
			continue;
		}
		if (have >= ULK_NET_STREAM_PREFIX &&
		    have >= ULK_NET_STREAM_PREFIX + flen)
			abort();
		if (in == size)
			break;
		{
			/* Pieces of 1 byte to ~64 KiB, as reads may return. */
			size_t room = BUF_SIZE - have, k;

			seed = seed * 1103515245U + 12345U;
			k = 1 + (seed >> 8) % (seed & 1 ? 7 : 70000);
			if (k > size - in)
				k = size - in;
			if (k > room)
				k = room;
			if (!k)
				abort();	/* a whole frame always fits */
			memcpy(buf + have, data + in, k);
			have += k;
			in += k;
		}
	}
	if (used + have != in)
		abort();
	/* The encoder's prefix decodes to its length. */
	flen = ULK_NET_STREAM_MIN_FRAME + (seed % (ULK_NET_STREAM_MAX_FRAME -
						    ULK_NET_STREAM_MIN_FRAME + 1));
	ulk_net_stream_prefix(flen, pfx);
	if (be32_at(pfx) != flen)
		abort();
	return 0;
}
