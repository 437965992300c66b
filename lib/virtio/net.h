/* SPDX-License-Identifier: GPL-2.0 */
/*
 * virtio-net device model (lib/virtio/net.c), used by the public netdev
 * API (lib/net/netdev.c).
 */
#ifndef ULK_VIRTIO_NET_H
#define ULK_VIRTIO_NET_H

#include <ulk/netdev.h>
#include "net/backend.h"

struct ulk_vnet;

int ulk_vnet_create(struct ulk_net_backend *be, const unsigned char mac[6],
		    unsigned int mtu, unsigned int offloads,
		    struct ulk_vnet **out);
void ulk_vnet_destroy(struct ulk_vnet *vn);
struct ulk_vmmio_dev *ulk_vnet_mmio(struct ulk_vnet *vn);
const unsigned char *ulk_vnet_mac(const struct ulk_vnet *vn);
void ulk_vnet_stats(struct ulk_vnet *vn, struct ulk_netdev_stats *st);

#endif /* ULK_VIRTIO_NET_H */
