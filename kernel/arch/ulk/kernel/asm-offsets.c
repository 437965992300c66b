// SPDX-License-Identifier: GPL-2.0
/* ulk has no assembly, so no structure offsets to export. */
#include <linux/kbuild.h>

int main(void)
{
	return 0;
}
