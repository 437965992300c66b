/* SPDX-License-Identifier: GPL-2.0 */
/* Fault-safe user copies and the fault handler behind them (uaccess.c). */
#ifndef ULK_LIB_UACCESS_H
#define ULK_LIB_UACCESS_H

struct sigaction;

/*
 * Copy @n bytes (clear @n bytes); Return: how many were not, because a
 * fault stopped the copy (0 when all were).
 */
unsigned long ulk_uaccess_copy(void *dst, const void *src, unsigned long n);
unsigned long ulk_uaccess_clear(void *dst, unsigned long n);

int ulk_uaccess_init(void);
int ulk_uaccess_sigaction(int sig, const struct sigaction *act,
			  struct sigaction *oldact);

#endif /* ULK_LIB_UACCESS_H */
