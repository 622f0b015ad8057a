/*
 * The embedded DNS server's logic (see dns.h): a network's names from its
 * leases, the answer to one hostile query, the cache of forwarded answers.
 * Every message is read and written by ldns (ldns_wire2pkt checks counts
 * against the buffer and stops compression-pointer loops); nothing here
 * touches a socket.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <ldns/ldns.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/error.h"
#include "common/util.h"
#include "network/dns.h"
#include "network/network-internal.h"

/* A plain DNS message over UDP, without EDNS (RFC 1035 4.2.1). */
#define UDP_DEFAULT_SIZE 512

struct cv_dns_cache_entry {
	char *key;
	ldns_pkt *answer;
	uint64_t stored_ms;
	uint32_t ttl;
};

/* ---- the table ---- */

int cv_dns_table_add(struct cv_dns_table *table, uint32_t address, const char *const *names, const char *const *links,
                     const char *const *upstreams)
{
	struct cv_dns_record *grown = realloc(table->records, (table->count + 1) * sizeof *grown);
	struct cv_dns_record *record;

	if (grown == NULL)
		return cv_error_errno(ENOMEM, "out of memory");
	table->records = grown;
	record = &grown[table->count];
	memset(record, 0, sizeof *record);
	record->address = address;
	for (size_t i = 0; names != NULL && names[i] != NULL; i++)
		if (cv_strv_append(&record->names, names[i]) < 0)
			goto fail;
	for (size_t i = 0; links != NULL && links[i] != NULL; i++)
		if (cv_strv_append(&record->links, links[i]) < 0)
			goto fail;
	for (size_t i = 0; upstreams != NULL && upstreams[i] != NULL; i++)
		if (cv_strv_append(&record->upstreams, upstreams[i]) < 0)
			goto fail;
	table->count++;
	return 0;
fail:
	cv_strv_free(record->names);
	cv_strv_free(record->links);
	cv_strv_free(record->upstreams);
	return -1;
}

void cv_dns_table_clear(struct cv_dns_table *table)
{
	for (size_t i = 0; i < table->count; i++) {
		cv_strv_free(table->records[i].names);
		cv_strv_free(table->records[i].links);
		cv_strv_free(table->records[i].upstreams);
	}
	free(table->records);
	table->records = NULL;
	table->count = 0;
}

static bool lease_live(const struct cv_lease *lease)
{
	return lease->owner_pid > 0 && cv_process_alive(lease->owner_pid, lease->owner_start);
}

struct other_networks {
	const struct cv_network *own;
	const struct cv_lease *own_leases; /* the live ones of this network */
	size_t own_count;
	struct cv_dns_table *table;
};

/* Another network's names, for the clients of ours that are on it too. */
static int add_other_network(const char *name, void *user)
{
	struct other_networks *walk = user;
	struct cv_network other;
	struct cv_lease *leases = NULL;
	size_t count = 0;
	int ret = 0;

	if (strcmp(name, walk->own->name) == 0 || cv_network_load(name, &other) < 0 ||
	    cv_network_leases(&other, &leases, &count) < 0) {
		cv_error_clear();
		return 0; /* removed meanwhile, or unreadable: its names are not ours to answer */
	}
	for (size_t c = 0; c < walk->own_count && ret == 0; c++) {
		const struct cv_lease *client = &walk->own_leases[c];
		bool member = false;
		for (size_t i = 0; i < count && !member; i++)
			member = strcmp(leases[i].container, client->container) == 0 && lease_live(&leases[i]);
		for (size_t i = 0; member && i < count && ret == 0; i++) {
			if (!lease_live(&leases[i]))
				continue;
			ret = cv_dns_table_add(walk->table, leases[i].address, (const char *const *)leases[i].names,
			                       NULL, NULL);
			if (ret == 0) {
				walk->table->records[walk->table->count - 1].scope = client->address;
				walk->table->records[walk->table->count - 1].unready = leases[i].unready;
			}
		}
	}
	cv_leases_free(leases, count);
	return ret;
}

int cv_dns_table_load(const struct cv_network *network, struct cv_dns_table *table)
{
	struct cv_lease *leases = NULL;
	size_t count = 0, live = 0;
	int ret = 0;

	cv_dns_table_clear(table);
	if (cv_network_leases(network, &leases, &count) < 0)
		return -1;
	for (size_t i = 0; i < count && ret == 0; i++) {
		/* A lease of a dead container is stale: its name must not resolve any more. */
		if (!lease_live(&leases[i]))
			continue;
		ret = cv_dns_table_add(table, leases[i].address, (const char *const *)leases[i].names,
		                       (const char *const *)leases[i].links, (const char *const *)leases[i].dns);
		if (ret == 0)
			table->records[table->count - 1].unready = leases[i].unready;
		/* The live ones first: the walk of the other networks looks at those only. */
		if (live != i) {
			struct cv_lease moved = leases[live];
			leases[live] = leases[i];
			leases[i] = moved;
		}
		live++;
	}
	if (ret == 0 && live > 0) {
		struct other_networks walk = {.own = network, .own_leases = leases, .own_count = live, .table = table};
		ret = cv_network_names(add_other_network, &walk);
	}
	cv_leases_free(leases, count);
	return ret;
}

/* ---- cache ---- */

void cv_dns_cache_clear(struct cv_dns_cache *cache)
{
	for (size_t i = 0; i < cache->count; i++) {
		free(cache->entries[i].key);
		ldns_pkt_free(cache->entries[i].answer);
	}
	free(cache->entries);
	memset(cache, 0, sizeof *cache);
}

/* A slot without a key is free (a failed store leaves one). */
static bool entry_fresh(const struct cv_dns_cache_entry *entry, uint64_t now_ms)
{
	return entry->key != NULL && now_ms < entry->stored_ms + (uint64_t)entry->ttl * 1000;
}

static struct cv_dns_cache_entry *cache_find(struct cv_dns_cache *cache, const char *key, uint64_t now_ms)
{
	for (size_t i = 0; i < cache->count; i++)
		if (entry_fresh(&cache->entries[i], now_ms) && strcmp(cache->entries[i].key, key) == 0)
			return &cache->entries[i];
	return NULL;
}

/* The slot for a new entry, emptied: the same key's or an expired one, else a new one, else the oldest. */
static struct cv_dns_cache_entry *cache_slot(struct cv_dns_cache *cache, const char *key, uint64_t now_ms)
{
	struct cv_dns_cache_entry *slot = NULL;

	if (cache->entries == NULL) {
		cache->entries = calloc(CV_DNS_CACHE_ENTRIES, sizeof *cache->entries);
		if (cache->entries == NULL)
			return NULL;
	}
	for (size_t i = 0; i < cache->count && slot == NULL; i++)
		if (!entry_fresh(&cache->entries[i], now_ms) || strcmp(cache->entries[i].key, key) == 0)
			slot = &cache->entries[i];
	if (slot == NULL && cache->count < CV_DNS_CACHE_ENTRIES)
		return &cache->entries[cache->count++];
	if (slot == NULL) {
		slot = &cache->entries[0];
		for (size_t i = 1; i < cache->count; i++)
			if (cache->entries[i].stored_ms < slot->stored_ms)
				slot = &cache->entries[i];
	}
	free(slot->key);
	ldns_pkt_free(slot->answer);
	memset(slot, 0, sizeof *slot);
	return slot;
}

/* The smallest TTL of the answer's records (0: nothing to cache on). */
static uint32_t answer_ttl(const ldns_pkt *answer)
{
	ldns_rr_list *sections[] = {ldns_pkt_answer(answer), ldns_pkt_authority(answer), ldns_pkt_additional(answer)};
	uint32_t ttl = CV_DNS_CACHE_MAX_TTL;
	size_t records = 0;

	for (size_t s = 0; s < sizeof sections / sizeof sections[0]; s++)
		for (size_t i = 0; sections[s] != NULL && i < ldns_rr_list_rr_count(sections[s]); i++, records++)
			if (ldns_rr_ttl(ldns_rr_list_rr(sections[s], i)) < ttl)
				ttl = ldns_rr_ttl(ldns_rr_list_rr(sections[s], i));
	return records > 0 ? ttl : 0;
}

static void cache_store(struct cv_dns_cache *cache, const char *key, const ldns_pkt *answer, uint64_t now_ms)
{
	uint32_t ttl = answer_ttl(answer);
	struct cv_dns_cache_entry *entry;
	ldns_pkt_rcode rcode = ldns_pkt_get_rcode(answer);

	/* Answers and negative answers (with their SOA), nothing truncated, nothing that is an error. */
	if (ttl == 0 || ldns_pkt_tc(answer) || (rcode != LDNS_RCODE_NOERROR && rcode != LDNS_RCODE_NXDOMAIN))
		return;
	entry = cache_slot(cache, key, now_ms);
	if (entry == NULL)
		return;
	entry->key = strdup(key);
	entry->answer = ldns_pkt_clone(answer);
	if (entry->key == NULL || entry->answer == NULL) {
		free(entry->key);
		ldns_pkt_free(entry->answer);
		memset(entry, 0, sizeof *entry);
		return;
	}
	entry->stored_ms = now_ms;
	entry->ttl = ttl;
}

/* The TTLs counted down by the time spent in the cache, so no client keeps an answer past its upstream TTL. */
static void age_section(ldns_rr_list *list, uint32_t elapsed)
{
	for (size_t i = 0; list != NULL && i < ldns_rr_list_rr_count(list); i++) {
		ldns_rr *rr = ldns_rr_list_rr(list, i);
		uint32_t ttl = ldns_rr_ttl(rr);
		ldns_rr_set_ttl(rr, ttl > elapsed ? ttl - elapsed : 0);
	}
}

/* ---- messages ---- */

void cv_dns_result_clear(struct cv_dns_result *result)
{
	free(result->reply);
	free(result->key);
	memset(result, 0, sizeof *result);
}

/* Serialises reply into result; over UDP a reply larger than the client takes is cut to its question, with TC. */
static int emit(ldns_pkt *reply, size_t limit, struct cv_dns_result *result)
{
	uint8_t *wire = NULL;
	size_t size = 0;

	if (ldns_pkt2wire(&wire, reply, &size) != LDNS_STATUS_OK)
		return cv_error_errno(ENOMEM, "dns: cannot encode an answer");
	if (size > limit) {
		free(wire);
		wire = NULL;
		ldns_rr_list_deep_free(ldns_pkt_answer(reply));
		ldns_rr_list_deep_free(ldns_pkt_authority(reply));
		ldns_rr_list_deep_free(ldns_pkt_additional(reply));
		ldns_pkt_set_answer(reply, ldns_rr_list_new());
		ldns_pkt_set_authority(reply, ldns_rr_list_new());
		ldns_pkt_set_additional(reply, ldns_rr_list_new());
		ldns_pkt_set_ancount(reply, 0);
		ldns_pkt_set_nscount(reply, 0);
		ldns_pkt_set_arcount(reply, 0);
		ldns_pkt_set_tc(reply, true);
		if (ldns_pkt2wire(&wire, reply, &size) != LDNS_STATUS_OK)
			return cv_error_errno(ENOMEM, "dns: cannot encode an answer");
	}
	result->action = CV_DNS_ANSWER;
	result->reply = wire;
	result->reply_size = size;
	return 0;
}

/* A reply with only a header (and the question, when there is one): FORMERR, NOTIMP, SERVFAIL. */
static int header_reply(uint16_t id, ldns_pkt_opcode opcode, const ldns_rr *question, ldns_pkt_rcode rcode,
                        struct cv_dns_result *result)
{
	ldns_pkt *reply = ldns_pkt_new();
	int ret;

	if (reply == NULL)
		return cv_error_errno(ENOMEM, "out of memory");
	ldns_pkt_set_id(reply, id);
	ldns_pkt_set_qr(reply, true);
	ldns_pkt_set_ra(reply, true);
	ldns_pkt_set_opcode(reply, opcode);
	ldns_pkt_set_rcode(reply, rcode);
	if (question != NULL)
		ldns_pkt_push_rr(reply, LDNS_SECTION_QUESTION, ldns_rr_clone(question));
	ret = emit(reply, CV_DNS_MESSAGE_MAX, result);
	ldns_pkt_free(reply);
	return ret;
}

/* "name/type/class" in lower case, and the name alone without its final dot. */
static int question_key(const ldns_rr *question, char **key, char **name)
{
	ldns_rdf *owner = ldns_rdf_clone(ldns_rr_owner(question));
	char *text;
	size_t length;

	if (owner == NULL)
		return cv_error_errno(ENOMEM, "out of memory");
	ldns_dname2canonical(owner);
	text = ldns_rdf2str(owner);
	ldns_rdf_deep_free(owner);
	if (text == NULL)
		return cv_error_errno(ENOMEM, "out of memory");
	if (asprintf(key, "%s/%u/%u", text, (unsigned)ldns_rr_get_type(question),
	             (unsigned)ldns_rr_get_class(question)) < 0) {
		free(text);
		*key = NULL;
		return cv_error_errno(ENOMEM, "out of memory");
	}
	length = strlen(text);
	if (length > 0 && text[length - 1] == '.')
		text[length - 1] = '\0';
	*name = text;
	return 0;
}

static bool has_name(char *const *names, const char *name)
{
	for (size_t i = 0; names != NULL && names[i] != NULL; i++)
		if (strcasecmp(names[i], name) == 0)
			return true;
	return false;
}

/* The addresses of the records in scope with that name (the ready ones only, when ready_only). */
static size_t matching(const struct cv_dns_table *table, uint32_t scope, const char *name, bool ready_only,
                       uint32_t *out, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < table->count && n < max; i++)
		if (table->records[i].scope == scope && !(ready_only && table->records[i].unready) &&
		    has_name(table->records[i].names, name))
			out[n++] = table->records[i].address;
	return n;
}

/*
 * The addresses of name: every container of the network with that name or alias; when there is none,
 * those of the client's other networks (scoped to it), as docker asks the container's networks in turn.
 * Of those, only the ready ones (no health check, or healthy): a replica that is starting or unhealthy is
 * not answered for its service's name while a healthy one is. When none is ready, all are answered (fail
 * open, as Route 53 does when every record of a name fails its check): a client that starts before its
 * dependency is healthy gets an address to retry rather than a negative answer its resolver caches.
 */
static size_t addresses_of(const struct cv_dns_table *table, uint32_t client, const char *name, uint32_t *out,
                           size_t max)
{
	size_t n = matching(table, 0, name, true, out, max);

	if (n == 0)
		n = matching(table, 0, name, false, out, max);
	if (n > 0 || client == 0)
		return n;
	n = matching(table, client, name, true, out, max);
	return n > 0 ? n : matching(table, client, name, false, out, max);
}

/* The client's own record: a container of this network (a scoped record is another network's). */
static const struct cv_dns_record *record_of(const struct cv_dns_table *table, uint32_t address)
{
	for (size_t i = 0; i < table->count; i++)
		if (table->records[i].scope == 0 && table->records[i].address == address)
			return &table->records[i];
	return NULL;
}

/* key "@" and the servers, comma-separated: an answer cached for some upstreams is not given for others. */
static int append_upstreams(char **key, char *const *upstreams)
{
	for (size_t i = 0; upstreams[i] != NULL; i++) {
		char *longer;
		if (asprintf(&longer, "%s%c%s", *key, i == 0 ? '@' : ',', upstreams[i]) < 0) {
			free(*key);
			*key = NULL;
			return cv_error_errno(ENOMEM, "out of memory");
		}
		free(*key);
		*key = longer;
	}
	return 0;
}

/* A --link alias of the asking container ("TARGET:ALIAS"): its target's name, or NULL. */
static const char *link_target(const struct cv_dns_table *table, uint32_t client, const char *name, char *buffer,
                               size_t size)
{
	for (size_t i = 0; i < table->count; i++) {
		if (table->records[i].address != client)
			continue;
		for (char **link = table->records[i].links; link != NULL && *link != NULL; link++) {
			const char *colon = strchr(*link, ':');
			if (colon != NULL && strcasecmp(colon + 1, name) == 0 && (size_t)(colon - *link) < size) {
				snprintf(buffer, size, "%.*s", (int)(colon - *link), *link);
				return buffer;
			}
		}
	}
	return NULL;
}

static ldns_rr *address_record(const ldns_rr *question, uint32_t address)
{
	uint8_t bytes[4] = {(uint8_t)(address >> 24), (uint8_t)(address >> 16), (uint8_t)(address >> 8),
	                    (uint8_t)address};
	ldns_rr *rr = ldns_rr_new();
	ldns_rdf *owner = ldns_rdf_clone(ldns_rr_owner(question));
	ldns_rdf *data = ldns_rdf_new_frm_data(LDNS_RDF_TYPE_A, sizeof bytes, bytes);

	if (rr == NULL || owner == NULL || data == NULL) {
		ldns_rr_free(rr);
		ldns_rdf_deep_free(owner);
		ldns_rdf_deep_free(data);
		return NULL;
	}
	ldns_rr_set_owner(rr, owner);
	ldns_rr_set_type(rr, LDNS_RR_TYPE_A);
	ldns_rr_set_class(rr, LDNS_RR_CLASS_IN);
	ldns_rr_set_ttl(rr, CV_DNS_LOCAL_TTL);
	ldns_rr_push_rdf(rr, data);
	return rr;
}

/* The largest UDP answer the client takes: 512, or what its EDNS record says. */
static size_t udp_limit(const ldns_pkt *query)
{
	uint16_t size = ldns_pkt_edns(query) ? ldns_pkt_edns_udp_size(query) : 0;

	return size > UDP_DEFAULT_SIZE ? size : UDP_DEFAULT_SIZE;
}

/* A skeleton answer to query: its id, question and RD flag. */
static ldns_pkt *answer_to(const ldns_pkt *query, const ldns_rr *question)
{
	ldns_pkt *reply = ldns_pkt_new();

	if (reply == NULL)
		return NULL;
	ldns_pkt_set_id(reply, ldns_pkt_id(query));
	ldns_pkt_set_qr(reply, true);
	ldns_pkt_set_opcode(reply, LDNS_PACKET_QUERY);
	ldns_pkt_set_rd(reply, ldns_pkt_rd(query));
	ldns_pkt_set_ra(reply, true);
	ldns_pkt_push_rr(reply, LDNS_SECTION_QUESTION, ldns_rr_clone(question));
	return reply;
}

/* The network's own name: A with every address, in turns; any other type: no data (NOERROR, empty). */
static int answer_local(struct cv_dns_table *table, const ldns_pkt *query, const ldns_rr *question,
                        const uint32_t *addresses, size_t count, size_t limit, struct cv_dns_result *result)
{
	ldns_pkt *reply = answer_to(query, question);
	int ret;

	if (reply == NULL)
		return cv_error_errno(ENOMEM, "out of memory");
	ldns_pkt_set_aa(reply, true);
	if (ldns_rr_get_type(question) == LDNS_RR_TYPE_A || ldns_rr_get_type(question) == LDNS_RR_TYPE_ANY) {
		size_t start = count > 0 ? table->rotation++ % count : 0;
		for (size_t i = 0; i < count; i++) {
			ldns_rr *rr = address_record(question, addresses[(start + i) % count]);
			if (rr == NULL) {
				ldns_pkt_free(reply);
				return cv_error_errno(ENOMEM, "out of memory");
			}
			ldns_pkt_push_rr(reply, LDNS_SECTION_ANSWER, rr);
		}
	}
	ret = emit(reply, limit, result);
	ldns_pkt_free(reply);
	return ret;
}

static int answer_cached(const struct cv_dns_cache_entry *entry, const ldns_pkt *query, size_t limit, uint64_t now_ms,
                         struct cv_dns_result *result)
{
	ldns_pkt *reply = ldns_pkt_clone(entry->answer);
	uint32_t elapsed = (uint32_t)((now_ms - entry->stored_ms) / 1000);
	int ret;

	if (reply == NULL)
		return cv_error_errno(ENOMEM, "out of memory");
	ldns_pkt_set_id(reply, ldns_pkt_id(query));
	ldns_pkt_set_rd(reply, ldns_pkt_rd(query));
	age_section(ldns_pkt_answer(reply), elapsed);
	age_section(ldns_pkt_authority(reply), elapsed);
	age_section(ldns_pkt_additional(reply), elapsed);
	ret = emit(reply, limit, result);
	ldns_pkt_free(reply);
	return ret;
}

/* The query as it goes upstream: the same, with a fresh random id (the client's could be guessed). */
static int forward(ldns_pkt *query, char *key, struct cv_dns_result *result)
{
	uint8_t *wire = NULL;
	size_t size = 0;

	result->client_id = ldns_pkt_id(query);
	result->forward_id = (uint16_t)arc4random();
	ldns_pkt_set_id(query, result->forward_id);
	if (ldns_pkt2wire(&wire, query, &size) != LDNS_STATUS_OK) {
		free(key);
		return cv_error_errno(ENOMEM, "dns: cannot encode a query");
	}
	result->action = CV_DNS_FORWARD;
	result->reply = wire;
	result->reply_size = size;
	result->key = key;
	return 0;
}

static int handle_question(struct cv_dns_table *table, struct cv_dns_cache *cache, uint32_t client, ldns_pkt *query,
                           bool udp, uint64_t now_ms, struct cv_dns_result *result)
{
	const ldns_rr *question = ldns_rr_list_rr(ldns_pkt_question(query), 0);
	size_t limit = udp ? udp_limit(query) : CV_DNS_MESSAGE_MAX;
	uint32_t addresses[CV_DNS_ADDRESSES_MAX];
	char target[CV_NETWORK_NAME_MAX * 2 + 1];
	const char *linked;
	cleanup_free char *name = NULL;
	char *key = NULL;
	struct cv_dns_cache_entry *cached;
	const struct cv_dns_record *asking = record_of(table, client);
	size_t count;

	if (question_key(question, &key, &name) < 0)
		return -1;
	/* A container with its own --dns servers asks them, and has its own cache entries. */
	if (asking != NULL && asking->upstreams != NULL) {
		if (append_upstreams(&key, asking->upstreams) < 0)
			return -1;
		result->upstreams = (const char *const *)asking->upstreams;
	}
	if (ldns_rr_get_class(question) == LDNS_RR_CLASS_IN && name[0] != '\0') {
		linked = link_target(table, client, name, target, sizeof target);
		count = addresses_of(table, client, linked != NULL ? linked : name, addresses, CV_DNS_ADDRESSES_MAX);
		if (count > 0 || linked != NULL) {
			free(key);
			return answer_local(table, query, question, addresses, count, limit, result);
		}
	}
	cached = cache_find(cache, key, now_ms);
	if (cached != NULL) {
		cache->hits++;
		free(key);
		return answer_cached(cached, query, limit, now_ms, result);
	}
	cache->misses++;
	return forward(query, key, result);
}

int cv_dns_handle_query(struct cv_dns_table *table, struct cv_dns_cache *cache, uint32_t client, const uint8_t *message,
                        size_t size, bool udp, uint64_t now_ms, struct cv_dns_result *result)
{
	ldns_pkt *query = NULL;
	int ret;

	memset(result, 0, sizeof *result);
	/* Not even a header to answer to; or an answer (never answered: two servers would loop). */
	if (size < LDNS_HEADER_SIZE || size > CV_DNS_MESSAGE_MAX || LDNS_QR_WIRE(message))
		return 0;
	if (ldns_wire2pkt(&query, message, size) != LDNS_STATUS_OK)
		return header_reply(LDNS_ID_WIRE(message), (ldns_pkt_opcode)LDNS_OPCODE_WIRE(message), NULL,
		                    LDNS_RCODE_FORMERR, result);
	if (ldns_pkt_get_opcode(query) != LDNS_PACKET_QUERY)
		ret = header_reply(ldns_pkt_id(query), ldns_pkt_get_opcode(query), NULL, LDNS_RCODE_NOTIMPL, result);
	else if (ldns_pkt_qdcount(query) != 1 || ldns_rr_list_rr_count(ldns_pkt_question(query)) != 1 ||
	         ldns_pkt_ancount(query) != 0)
		ret = header_reply(ldns_pkt_id(query), LDNS_PACKET_QUERY, NULL, LDNS_RCODE_FORMERR, result);
	else
		ret = handle_question(table, cache, client, query, udp, now_ms, result);
	ldns_pkt_free(query);
	return ret;
}

int cv_dns_handle_upstream(struct cv_dns_cache *cache, const char *key, uint16_t forward_id, uint16_t client_id,
                           const uint8_t *message, size_t size, uint64_t now_ms, struct cv_dns_result *result)
{
	ldns_pkt *answer = NULL;
	cleanup_free char *answer_key = NULL;
	cleanup_free char *name = NULL;
	int ret;

	memset(result, 0, sizeof *result);
	if (size < LDNS_HEADER_SIZE || size > CV_DNS_MESSAGE_MAX ||
	    ldns_wire2pkt(&answer, message, size) != LDNS_STATUS_OK)
		return cv_error_errno(EBADMSG, "dns: malformed answer from upstream");
	/* Only the answer to our question, with our random id: anything else is spoofed or stray. */
	if (!ldns_pkt_qr(answer) || ldns_pkt_id(answer) != forward_id ||
	    ldns_rr_list_rr_count(ldns_pkt_question(answer)) != 1 ||
	    question_key(ldns_rr_list_rr(ldns_pkt_question(answer), 0), &answer_key, &name) < 0 ||
	    strncmp(answer_key, key, strlen(answer_key)) != 0 ||
	    (key[strlen(answer_key)] != '\0' && key[strlen(answer_key)] != '@')) {
		ldns_pkt_free(answer);
		cv_error_clear();
		return cv_error_errno(EBADMSG, "dns: an answer to another question");
	}
	cache_store(cache, key, answer, now_ms);
	ldns_pkt_set_id(answer, client_id);
	ret = emit(answer, CV_DNS_MESSAGE_MAX, result);
	ldns_pkt_free(answer);
	return ret;
}

int cv_dns_servfail(const uint8_t *query, size_t size, uint16_t client_id, struct cv_dns_result *result)
{
	ldns_pkt *parsed = NULL;
	int ret;

	memset(result, 0, sizeof *result);
	if (size < LDNS_HEADER_SIZE || ldns_wire2pkt(&parsed, query, size) != LDNS_STATUS_OK)
		return cv_error_errno(EBADMSG, "dns: malformed query");
	ret = header_reply(client_id, LDNS_PACKET_QUERY, ldns_rr_list_rr(ldns_pkt_question(parsed), 0),
	                   LDNS_RCODE_SERVFAIL, result);
	ldns_pkt_free(parsed);
	return ret;
}
