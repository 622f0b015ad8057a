/*
 * Internal: nftables through libnftables. Each network has a table
 * (masquerade out of its subnet, isolation from other networks, loopback
 * sources for published ports) and each container with published ports
 * one more (its DNAT rules): removing a table removes all its rules.
 */
#ifndef CV_LINUX_NFT_H
#define CV_LINUX_NFT_H

#include <stdint.h>

#include "network/network-internal.h"

/* Names of the tables: cvn_<10 hex of the network id>, cvc_<12 hex of the container id>. */
void cv_nft_network_table(const struct cv_network *network, char name[32]);
void cv_nft_container_table(const char *container_id, char name[32]);

/* Creates or replaces the network's table (one transaction). */
int cv_nft_network_up(const struct cv_network *network);
/* The container's DNAT rules for ports to address (one transaction, replacing any old table). */
int cv_nft_ports_up(const char *container_id, uint32_t address, const struct cv_port *ports, size_t count);
/* Deletes a table when it exists (quietly). */
void cv_nft_table_delete(const char *name);

#endif
