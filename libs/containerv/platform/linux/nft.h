/*
 * Internal: nftables through libnftables. Each network has a table:
 * masquerade out of its subnet, isolation from other networks, loopback
 * sources for published ports, and the published ports as elements of two
 * DNAT maps, each commented with its container (cvc_<12 hex of its id>).
 */
#ifndef CV_LINUX_NFT_H
#define CV_LINUX_NFT_H

#include <stdint.h>

#include "network/network-internal.h"

/* The network's table: cvn_<10 hex of the network id>. */
void cv_nft_network_table(const struct cv_network *network, char name[32]);

/* Creates or replaces the network's table (one transaction). */
int cv_nft_network_up(const struct cv_network *network);
/* Publishes ports to address (one transaction; EIO when a port is taken). */
int cv_nft_ports_up(const struct cv_network *network, const char *container_id, uint32_t address,
                    const struct cv_port *ports, size_t count);
/* Withdraws them (quietly; those not published are skipped). */
void cv_nft_ports_down(const struct cv_network *network, uint32_t address, const struct cv_port *ports, size_t count);
/* Deletes a table when it exists (quietly). */
void cv_nft_table_delete(const char *name);

#endif
