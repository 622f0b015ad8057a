/*
 * Internal: the embedded DNS server's logic (network/dns.c), platform-neutral
 * and free of sockets so that it can be fuzzed: the names of a network (its
 * containers' names and aliases, read from the leases), the answer to one
 * query, and the cache of forwarded answers. The wire format is ldns's: no
 * packet is parsed by hand. The process and its sockets are
 * platform/linux/dns-server.c.
 */
#ifndef CV_NETWORK_DNS_H
#define CV_NETWORK_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cv_network;

/* The TTL of the answers for the network's own names: short, so a removed container is soon forgotten. */
#define CV_DNS_LOCAL_TTL 5
/* Bounds of the forwarded answers' cache. */
#define CV_DNS_CACHE_ENTRIES 1024
#define CV_DNS_CACHE_MAX_TTL 3600
/* A message larger than this is refused: more than TCP's 16-bit length can carry anyway. */
#define CV_DNS_MESSAGE_MAX 65535
/* A UDP answer without EDNS fits in 512 bytes: that many addresses of one name at most. */
#define CV_DNS_ADDRESSES_MAX 24

/* One container on the network: its address, and the names that resolve to it. */
struct cv_dns_record {
	uint32_t address;
	char **names;     /* the container's name and its aliases on this network */
	char **links;     /* "TARGET:ALIAS" (--link): ALIAS resolves to TARGET for this container only */
	char **upstreams; /* its --dns servers: the names it asks that are not the network's go there */
	/*
	 * 0: a container of this network. Else a container of another network, answered only to the client
	 * with this address (one on both networks), and only for names this network does not have.
	 */
	uint32_t scope;
	/* A health check that is not healthy yet or any more: left out of a name that ready records share. */
	bool unready;
};

struct cv_dns_table {
	struct cv_dns_record *records;
	size_t count;
	unsigned int rotation; /* advanced at each answer: several addresses of one name come in turns */
};

/*
 * Fills table from the network's live leases (a lease whose owner is dead is left out), and, for
 * each container that is on this network and on others, the names of those other networks scoped
 * to it (docker answers a container the names of every network it is on; the container asks only
 * its first network's server, which its resolv.conf names).
 */
int cv_dns_table_load(const struct cv_network *network, struct cv_dns_table *table);
void cv_dns_table_clear(struct cv_dns_table *table);
/* Adds one record (arrays NULL-terminated, may be NULL, copied). For the loader and the tests. */
int cv_dns_table_add(struct cv_dns_table *table, uint32_t address, const char *const *names, const char *const *links,
                     const char *const *upstreams);

struct cv_dns_cache_entry;
struct cv_dns_cache {
	struct cv_dns_cache_entry *entries;
	size_t count;
	uint64_t hits, misses;
};

void cv_dns_cache_clear(struct cv_dns_cache *cache);

enum cv_dns_action {
	CV_DNS_DROP = 0,    /* nothing to send (not a query, or too short to answer) */
	CV_DNS_ANSWER = 1,  /* reply holds the answer for the client */
	CV_DNS_FORWARD = 2, /* reply holds the query to send upstream, with forward_id */
};

/* What one query or upstream reply turned into. */
struct cv_dns_result {
	enum cv_dns_action action;
	uint8_t *reply; /* free() */
	size_t reply_size;
	uint16_t client_id;  /* the client's query id (FORWARD: to put back in the upstream's answer) */
	uint16_t forward_id; /* FORWARD: the random id of the upstream query */
	char *key;           /* FORWARD: "qname/type/class[@upstreams]", lower case, to match and cache the answer */
	/* FORWARD: the asking container's --dns servers (NULL: the host's); the table's, valid until it changes */
	const char *const *upstreams;
};

void cv_dns_result_clear(struct cv_dns_result *result);

/*
 * Handles one message from a client at address client (host order). Every
 * byte is hostile: a malformed message gets FORMERR when its header can be
 * read and is dropped otherwise. Names of the table are answered (A: the
 * addresses, rotated; any other type: no data); others are answered from
 * the cache or forwarded (random id). udp: the answer is truncated (TC) past
 * 512 bytes. now_ms: a monotonic clock, for the cache.
 */
int cv_dns_handle_query(struct cv_dns_table *table, struct cv_dns_cache *cache, uint32_t client, const uint8_t *message,
                        size_t size, bool udp, uint64_t now_ms, struct cv_dns_result *result);

/*
 * Handles an upstream's answer to a forwarded query: refused (-1) unless it is
 * an answer with forward_id to the question of key. On success the answer is
 * cached for its smallest TTL and result holds it with client_id (ANSWER).
 */
int cv_dns_handle_upstream(struct cv_dns_cache *cache, const char *key, uint16_t forward_id, uint16_t client_id,
                           const uint8_t *message, size_t size, uint64_t now_ms, struct cv_dns_result *result);

/* A SERVFAIL with client_id for a forwarded query (as sent upstream) no upstream answered (result: ANSWER). */
int cv_dns_servfail(const uint8_t *query, size_t size, uint16_t client_id, struct cv_dns_result *result);

#endif
