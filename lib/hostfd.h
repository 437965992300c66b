/* SPDX-License-Identifier: GPL-2.0 */
/* ulk's own host descriptors stay out of the program's way (hostfd.c). */
#ifndef ULK_HOSTFD_H
#define ULK_HOSTFD_H

int ulk_hostfd_move_high(int fd);

#endif /* ULK_HOSTFD_H */
