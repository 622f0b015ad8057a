/*
 * The embedded DNS server's logic without sockets (network/dns.c), on a
 * clock the test moves: the network's names (A in turns, no data for other
 * types, case-insensitive, --link per asker), forwarding with a random id,
 * the cache (kept for the answer's TTL, aged, dropped after it; per
 * upstream set), refused upstream answers (wrong id, wrong question), UDP
 * truncation, and FORMERR/NOTIMP/drop for malformed messages.
 */
#define _GNU_SOURCE
#include <ldns/ldns.h>
#include <stdint.h>
#include <string.h>

#include <chef/containerv.h>

#include "network/dns.h"
#include "test.h"

#define ADDRESS(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (uint32_t)(d))

/* A query for name and type with id, as wire bytes (free()). */
static uint8_t *query(const char *name, ldns_rr_type type, uint16_t id, size_t *size)
{
	ldns_pkt *packet = NULL;
	uint8_t *wire = NULL;

	CHECK(ldns_pkt_query_new_frm_str(&packet, name, type, LDNS_RR_CLASS_IN, LDNS_RD) == LDNS_STATUS_OK);
	ldns_pkt_set_id(packet, id);
	CHECK(ldns_pkt2wire(&wire, packet, size) == LDNS_STATUS_OK);
	ldns_pkt_free(packet);
	return wire;
}

static ldns_pkt *parse(const struct cv_dns_result *result)
{
	ldns_pkt *packet = NULL;

	CHECK(ldns_wire2pkt(&packet, result->reply, result->reply_size) == LDNS_STATUS_OK);
	return packet;
}

/* The first A record's address of an answer, 0 when none; count: how many A records. */
static uint32_t first_address(const ldns_pkt *packet, size_t *count)
{
	ldns_rr_list *answers = ldns_pkt_answer(packet);
	uint32_t address = 0;

	*count = ldns_rr_list_rr_count(answers);
	if (*count > 0) {
		const uint8_t *bytes = ldns_rdf_data(ldns_rr_rdf(ldns_rr_list_rr(answers, 0), 0));
		address = ADDRESS(bytes[0], bytes[1], bytes[2], bytes[3]);
	}
	return address;
}

static void table_with_two(struct cv_dns_table *table)
{
	const char *db[] = {"db", "database", NULL};
	const char *db2[] = {"db2", "database", NULL};
	const char *web[] = {"web", NULL};
	const char *links[] = {"db:shortcut", NULL};
	const char *upstreams[] = {"192.0.2.53", NULL};

	memset(table, 0, sizeof *table);
	CHECK_OK(cv_dns_table_add(table, ADDRESS(10, 1, 0, 2), db, NULL, NULL));
	CHECK_OK(cv_dns_table_add(table, ADDRESS(10, 1, 0, 3), db2, NULL, NULL));
	CHECK_OK(cv_dns_table_add(table, ADDRESS(10, 1, 0, 4), web, links, upstreams));
}

TEST(names_answer_with_their_addresses_in_turns)
{
	struct cv_dns_table table;
	struct cv_dns_cache cache = {0};
	struct cv_dns_result result;
	size_t size, count;
	uint8_t *wire;
	ldns_pkt *answer;
	uint32_t first;

	table_with_two(&table);
	wire = query("DB.", LDNS_RR_TYPE_A, 77, &size);
	CHECK_OK(cv_dns_handle_query(&table, &cache, ADDRESS(10, 1, 0, 9), wire, size, true, 0, &result));
	free(wire);
	CHECK_EQ_INT(result.action, CV_DNS_ANSWER);
	answer = parse(&result);
	CHECK_EQ_INT(ldns_pkt_id(answer), 77);
	CHECK(ldns_pkt_qr(answer) && ldns_pkt_aa(answer));
	CHECK_EQ_INT(first_address(answer, &count), ADDRESS(10, 1, 0, 2));
	CHECK_EQ_INT(count, 1);
	ldns_pkt_free(answer);
	cv_dns_result_clear(&result);

	/* A shared alias: both addresses, the first one changes from one answer to the next. */
	wire = query("database.", LDNS_RR_TYPE_A, 78, &size);
	CHECK_OK(cv_dns_handle_query(&table, &cache, ADDRESS(10, 1, 0, 9), wire, size, true, 0, &result));
	answer = parse(&result);
	first = first_address(answer, &count);
	CHECK_EQ_INT(count, 2);
	ldns_pkt_free(answer);
	cv_dns_result_clear(&result);
	CHECK_OK(cv_dns_handle_query(&table, &cache, ADDRESS(10, 1, 0, 9), wire, size, true, 0, &result));
	answer = parse(&result);
	CHECK(first_address(answer, &count) != first);
	CHECK_EQ_INT(count, 2);
	ldns_pkt_free(answer);
	cv_dns_result_clear(&result);
	free(wire);

	/* Another type of a name of ours: no data (NOERROR, empty), never forwarded. */
	wire = query("db.", LDNS_RR_TYPE_AAAA, 79, &size);
	CHECK_OK(cv_dns_handle_query(&table, &cache, ADDRESS(10, 1, 0, 9), wire, size, true, 0, &result));
	free(wire);
	CHECK_EQ_INT(result.action, CV_DNS_ANSWER);
	answer = parse(&result);
	CHECK_EQ_INT(ldns_pkt_get_rcode(answer), LDNS_RCODE_NOERROR);
	CHECK_EQ_INT(ldns_pkt_ancount(answer), 0);
	ldns_pkt_free(answer);
	cv_dns_result_clear(&result);

	/* A --link alias: for the container that has it only. */
	wire = query("shortcut.", LDNS_RR_TYPE_A, 80, &size);
	CHECK_OK(cv_dns_handle_query(&table, &cache, ADDRESS(10, 1, 0, 4), wire, size, true, 0, &result));
	CHECK_EQ_INT(result.action, CV_DNS_ANSWER);
	answer = parse(&result);
	CHECK_EQ_INT(first_address(answer, &count), ADDRESS(10, 1, 0, 2));
	ldns_pkt_free(answer);
	cv_dns_result_clear(&result);
	CHECK_OK(cv_dns_handle_query(&table, &cache, ADDRESS(10, 1, 0, 3), wire, size, true, 0, &result));
	CHECK_EQ_INT(result.action, CV_DNS_FORWARD);
	cv_dns_result_clear(&result);
	free(wire);
	cv_dns_table_clear(&table);
	cv_dns_cache_clear(&cache);
}

/*
 * A container on two networks asks its first network's server the names of the other one: records
 * scoped to its address are answered to it alone, and only when the server's own network lacks the name.
 */
TEST(names_of_a_clients_other_networks_are_answered_to_it_alone)
{
	struct cv_dns_table table;
	struct cv_dns_cache cache = {0};
	struct cv_dns_result result;
	size_t size, count;
	uint8_t *wire;
	ldns_pkt *answer;
	const char *const back_db[] = {"db", NULL}, *const back_web[] = {"web", NULL};

	table_with_two(&table); /* 10.1.0.4 is "web" here */
	CHECK_OK(cv_dns_table_add(&table, ADDRESS(10, 2, 0, 7), back_db, NULL, NULL));
	table.records[table.count - 1].scope = ADDRESS(10, 1, 0, 4);
	CHECK_OK(cv_dns_table_add(&table, ADDRESS(10, 2, 0, 8), back_web, NULL, NULL));
	table.records[table.count - 1].scope = ADDRESS(10, 1, 0, 4);
	const char *const only_back[] = {"cache", NULL};
	CHECK_OK(cv_dns_table_add(&table, ADDRESS(10, 2, 0, 9), only_back, NULL, NULL));
	table.records[table.count - 1].scope = ADDRESS(10, 1, 0, 4);

	/* The other network's name, to the client on both. */
	wire = query("cache.", LDNS_RR_TYPE_A, 90, &size);
	CHECK_OK(cv_dns_handle_query(&table, &cache, ADDRESS(10, 1, 0, 4), wire, size, true, 0, &result));
	CHECK_EQ_INT(result.action, CV_DNS_ANSWER);
	answer = parse(&result);
	CHECK_EQ_INT(first_address(answer, &count), ADDRESS(10, 2, 0, 9));
	CHECK_EQ_INT(count, 1);
	ldns_pkt_free(answer);
	cv_dns_result_clear(&result);
	/* Not to a client of this network alone: it is forwarded as any unknown name. */
	CHECK_OK(cv_dns_handle_query(&table, &cache, ADDRESS(10, 1, 0, 3), wire, size, true, 0, &result));
	CHECK_EQ_INT(result.action, CV_DNS_FORWARD);
	cv_dns_result_clear(&result);
	free(wire);
	/* A name both networks have: this network's addresses only. */
	wire = query("db.", LDNS_RR_TYPE_A, 91, &size);
	CHECK_OK(cv_dns_handle_query(&table, &cache, ADDRESS(10, 1, 0, 4), wire, size, true, 0, &result));
	answer = parse(&result);
	CHECK_EQ_INT(first_address(answer, &count), ADDRESS(10, 1, 0, 2));
	CHECK_EQ_INT(count, 1);
	ldns_pkt_free(answer);
	cv_dns_result_clear(&result);
	free(wire);
	/* The client is still known by its own record (its --link aliases work): scoped ones are not it. */
	wire = query("shortcut.", LDNS_RR_TYPE_A, 92, &size);
	CHECK_OK(cv_dns_handle_query(&table, &cache, ADDRESS(10, 1, 0, 4), wire, size, true, 0, &result));
	CHECK_EQ_INT(result.action, CV_DNS_ANSWER);
	cv_dns_result_clear(&result);
	free(wire);
	cv_dns_table_clear(&table);
	cv_dns_cache_clear(&cache);
}

/* An upstream's answer to a forwarded query, TTL ttl. */
static uint8_t *upstream_answer(const struct cv_dns_result *forwarded, uint16_t id, const char *name, uint32_t ttl,
                                size_t *size)
{
	ldns_pkt *packet = NULL;
	ldns_rr *rr = NULL;
	uint8_t *wire = NULL;
	char text[128];

	CHECK(ldns_wire2pkt(&packet, forwarded->reply, forwarded->reply_size) == LDNS_STATUS_OK);
	ldns_pkt_set_id(packet, id);
	ldns_pkt_set_qr(packet, true);
	if (name != NULL) {
		ldns_rr_list_deep_free(ldns_pkt_question(packet));
		ldns_pkt_set_question(packet, ldns_rr_list_new());
		ldns_pkt_set_qdcount(packet, 0);
		snprintf(text, sizeof text, "%s IN A", name);
		CHECK(ldns_rr_new_question_frm_str(&rr, text, NULL, NULL) == LDNS_STATUS_OK);
		ldns_pkt_push_rr(packet, LDNS_SECTION_QUESTION, rr);
	}
	snprintf(text, sizeof text, "%s %u IN A 198.51.100.7", name != NULL ? name : "outside.test.", ttl);
	CHECK(ldns_rr_new_frm_str(&rr, text, 0, NULL, NULL) == LDNS_STATUS_OK);
	ldns_pkt_push_rr(packet, LDNS_SECTION_ANSWER, rr);
	CHECK(ldns_pkt2wire(&wire, packet, size) == LDNS_STATUS_OK);
	ldns_pkt_free(packet);
	return wire;
}

TEST(forwarded_answers_are_checked_and_cached_for_their_ttl)
{
	struct cv_dns_table table;
	struct cv_dns_cache cache = {0};
	struct cv_dns_result forwarded, result;
	size_t size, answer_size;
	uint8_t *wire, *answer;
	ldns_pkt *packet;

	table_with_two(&table);
	wire = query("Outside.Test.", LDNS_RR_TYPE_A, 1000, &size);
	CHECK_OK(cv_dns_handle_query(&table, &cache, ADDRESS(10, 1, 0, 9), wire, size, true, 10000, &forwarded));
	CHECK_EQ_INT(forwarded.action, CV_DNS_FORWARD);
	CHECK_EQ_INT(forwarded.client_id, 1000);
	CHECK_EQ_STR(forwarded.key, "outside.test./1/1");
	CHECK(forwarded.upstreams == NULL);

	/* Refused: another id, another question, a query instead of an answer. */
	answer = upstream_answer(&forwarded, (uint16_t)(forwarded.forward_id + 1), NULL, 2, &answer_size);
	CHECK(cv_dns_handle_upstream(&cache, forwarded.key, forwarded.forward_id, 1000, answer, answer_size, 10000,
	                             &result) < 0);
	free(answer);
	answer = upstream_answer(&forwarded, forwarded.forward_id, "elsewhere.test.", 2, &answer_size);
	CHECK(cv_dns_handle_upstream(&cache, forwarded.key, forwarded.forward_id, 1000, answer, answer_size, 10000,
	                             &result) < 0);
	free(answer);
	CHECK(cv_dns_handle_upstream(&cache, forwarded.key, forwarded.forward_id, 1000, forwarded.reply,
	                             forwarded.reply_size, 10000, &result) < 0);

	/* The real one: back to the client with its id, and cached. */
	answer = upstream_answer(&forwarded, forwarded.forward_id, NULL, 2, &answer_size);
	CHECK_OK(cv_dns_handle_upstream(&cache, forwarded.key, forwarded.forward_id, 1000, answer, answer_size, 10000,
	                                &result));
	free(answer);
	packet = parse(&result);
	CHECK_EQ_INT(ldns_pkt_id(packet), 1000);
	ldns_pkt_free(packet);
	cv_dns_result_clear(&result);

	/* 1.5 s later: from the cache, its TTL counted down by the second spent there. */
	CHECK_OK(cv_dns_handle_query(&table, &cache, ADDRESS(10, 1, 0, 9), wire, size, true, 11500, &result));
	CHECK_EQ_INT(result.action, CV_DNS_ANSWER);
	packet = parse(&result);
	CHECK_EQ_INT(ldns_pkt_id(packet), 1000);
	CHECK_EQ_INT(ldns_rr_ttl(ldns_rr_list_rr(ldns_pkt_answer(packet), 0)), 1);
	ldns_pkt_free(packet);
	cv_dns_result_clear(&result);
	CHECK_EQ_INT(cache.hits, 1);

	/* A container with its own --dns servers does not get the host resolvers' answer. */
	CHECK_OK(cv_dns_handle_query(&table, &cache, ADDRESS(10, 1, 0, 4), wire, size, true, 11500, &result));
	CHECK_EQ_INT(result.action, CV_DNS_FORWARD);
	CHECK(result.upstreams != NULL && strcmp(result.upstreams[0], "192.0.2.53") == 0);
	CHECK_EQ_STR(result.key, "outside.test./1/1@192.0.2.53");
	cv_dns_result_clear(&result);

	/* Past its TTL (2 s): asked again. */
	CHECK_OK(cv_dns_handle_query(&table, &cache, ADDRESS(10, 1, 0, 9), wire, size, true, 12001, &result));
	CHECK_EQ_INT(result.action, CV_DNS_FORWARD);
	cv_dns_result_clear(&result);

	/* No upstream answered: SERVFAIL with the client's id. */
	CHECK_OK(cv_dns_servfail(forwarded.reply, forwarded.reply_size, 1000, &result));
	packet = parse(&result);
	CHECK_EQ_INT(ldns_pkt_id(packet), 1000);
	CHECK_EQ_INT(ldns_pkt_get_rcode(packet), LDNS_RCODE_SERVFAIL);
	ldns_pkt_free(packet);
	cv_dns_result_clear(&result);
	cv_dns_result_clear(&forwarded);
	free(wire);
	cv_dns_table_clear(&table);
	cv_dns_cache_clear(&cache);
}

TEST(a_crowd_behind_one_alias_fits_a_udp_answer)
{
	struct cv_dns_table table = {0};
	struct cv_dns_cache cache = {0};
	struct cv_dns_result result;
	const char *names[] = {"a-rather-long-service-name-to-fill-the-answer-quickly", NULL};
	size_t size, count;
	uint8_t *wire;
	ldns_pkt *packet;

	for (int i = 0; i < 60; i++)
		CHECK_OK(cv_dns_table_add(&table, ADDRESS(10, 1, 0, 10 + i), names, NULL, NULL));
	wire = query("a-rather-long-service-name-to-fill-the-answer-quickly.", LDNS_RR_TYPE_A, 5, &size);
	CHECK_OK(cv_dns_handle_query(&table, &cache, ADDRESS(10, 1, 0, 9), wire, size, true, 0, &result));
	CHECK(result.reply_size <= 512);
	packet = parse(&result);
	first_address(packet, &count);
	CHECK(count > 0 ? count <= CV_DNS_ADDRESSES_MAX : ldns_pkt_tc(packet));
	ldns_pkt_free(packet);
	cv_dns_result_clear(&result);
	/* Over TCP: no 512-byte limit. */
	CHECK_OK(cv_dns_handle_query(&table, &cache, ADDRESS(10, 1, 0, 9), wire, size, false, 0, &result));
	packet = parse(&result);
	first_address(packet, &count);
	CHECK_EQ_INT(count, CV_DNS_ADDRESSES_MAX);
	CHECK(!ldns_pkt_tc(packet));
	ldns_pkt_free(packet);
	cv_dns_result_clear(&result);
	free(wire);
	cv_dns_table_clear(&table);
	cv_dns_cache_clear(&cache);
}

TEST(malformed_messages_get_formerr_or_nothing)
{
	struct cv_dns_table table;
	struct cv_dns_cache cache = {0};
	struct cv_dns_result result;
	/* id 0x4242, RD, one question whose name is a pointer to itself. */
	const uint8_t loop[] = {0x42, 0x42, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 0x0c, 0, 1, 0, 1};
	/* An answer (QR set): never answered. */
	const uint8_t response[] = {0x42, 0x42, 0x81, 0x80, 0, 0, 0, 0, 0, 0, 0, 0};
	/* opcode 5 (UPDATE). */
	const uint8_t update[] = {0x42, 0x43, 0x28, 0x00, 0, 0, 0, 0, 0, 0, 0, 0};
	ldns_pkt *packet;

	table_with_two(&table);
	CHECK_OK(cv_dns_handle_query(&table, &cache, 1, loop, sizeof loop, true, 0, &result));
	CHECK_EQ_INT(result.action, CV_DNS_ANSWER);
	packet = parse(&result);
	CHECK_EQ_INT(ldns_pkt_id(packet), 0x4242);
	CHECK_EQ_INT(ldns_pkt_get_rcode(packet), LDNS_RCODE_FORMERR);
	ldns_pkt_free(packet);
	cv_dns_result_clear(&result);
	CHECK_OK(cv_dns_handle_query(&table, &cache, 1, response, sizeof response, true, 0, &result));
	CHECK_EQ_INT(result.action, CV_DNS_DROP);
	CHECK_OK(cv_dns_handle_query(&table, &cache, 1, loop, 11, true, 0, &result));
	CHECK_EQ_INT(result.action, CV_DNS_DROP);
	CHECK_OK(cv_dns_handle_query(&table, &cache, 1, update, sizeof update, true, 0, &result));
	packet = parse(&result);
	CHECK_EQ_INT(ldns_pkt_get_rcode(packet), LDNS_RCODE_NOTIMPL);
	ldns_pkt_free(packet);
	cv_dns_result_clear(&result);
	cv_dns_table_clear(&table);
}

/* The A records of one name, sorted into out (at most 8); returns how many. */
static size_t addresses_answered(struct cv_dns_table *table, const char *name, uint32_t *out)
{
	struct cv_dns_cache cache = {0};
	struct cv_dns_result result;
	size_t size, count;
	uint8_t *wire = query(name, LDNS_RR_TYPE_A, 90, &size);
	ldns_pkt *answer;

	CHECK_OK(cv_dns_handle_query(table, &cache, ADDRESS(10, 1, 0, 9), wire, size, true, 0, &result));
	free(wire);
	CHECK_EQ_INT(result.action, CV_DNS_ANSWER);
	answer = parse(&result);
	count = ldns_rr_list_rr_count(ldns_pkt_answer(answer));
	CHECK(count <= 8);
	for (size_t i = 0; i < count; i++) {
		const uint8_t *bytes = ldns_rdf_data(ldns_rr_rdf(ldns_rr_list_rr(ldns_pkt_answer(answer), i), 0));
		uint32_t address = ADDRESS(bytes[0], bytes[1], bytes[2], bytes[3]);
		size_t at = i;
		for (; at > 0 && out[at - 1] > address; at--)
			out[at] = out[at - 1];
		out[at] = address;
	}
	ldns_pkt_free(answer);
	cv_dns_result_clear(&result);
	cv_dns_cache_clear(&cache);
	return count;
}

/*
 * A replica whose health check is not passing (unready) is left out of its service's name while another
 * replica is ready; its own name still answers; when no replica is ready, all are answered (fail open).
 */
TEST(unready_replicas_leave_their_service_name_while_others_are_ready)
{
	struct cv_dns_table table = {0};
	const char *const one[] = {"app-web-1", "web", NULL}, *const two[] = {"app-web-2", "web", NULL},
	                  *const three[] = {"app-web-3", "web", NULL};
	uint32_t got[8];

	CHECK_OK(cv_dns_table_add(&table, ADDRESS(10, 1, 0, 2), one, NULL, NULL));
	CHECK_OK(cv_dns_table_add(&table, ADDRESS(10, 1, 0, 3), two, NULL, NULL));
	CHECK_OK(cv_dns_table_add(&table, ADDRESS(10, 1, 0, 4), three, NULL, NULL));
	CHECK_EQ_INT(addresses_answered(&table, "web.", got), 3);

	table.records[1].unready = true;
	CHECK_EQ_INT(addresses_answered(&table, "web.", got), 2);
	CHECK_EQ_INT(got[0], ADDRESS(10, 1, 0, 2));
	CHECK_EQ_INT(got[1], ADDRESS(10, 1, 0, 4));
	CHECK_EQ_INT(addresses_answered(&table, "app-web-2.", got), 1);
	CHECK_EQ_INT(got[0], ADDRESS(10, 1, 0, 3));

	table.records[0].unready = true;
	CHECK_EQ_INT(addresses_answered(&table, "web.", got), 1);
	CHECK_EQ_INT(got[0], ADDRESS(10, 1, 0, 4));

	table.records[2].unready = true; /* none ready: all of them */
	CHECK_EQ_INT(addresses_answered(&table, "web.", got), 3);

	table.records[1].unready = false; /* back when healthy */
	CHECK_EQ_INT(addresses_answered(&table, "web.", got), 1);
	CHECK_EQ_INT(got[0], ADDRESS(10, 1, 0, 3));
	cv_dns_table_clear(&table);
}

int main(void)
{
	RUN(names_answer_with_their_addresses_in_turns);
	RUN(names_of_a_clients_other_networks_are_answered_to_it_alone);
	RUN(unready_replicas_leave_their_service_name_while_others_are_ready);
	RUN(forwarded_answers_are_checked_and_cached_for_their_ttl);
	RUN(a_crowd_behind_one_alias_fits_a_udp_answer);
	RUN(malformed_messages_get_formerr_or_nothing);
	return cv_test_summary();
}
