/*
 * Fuzz harness: the embedded DNS server's handling of a client's message and
 * of an upstream's answer (network/dns.c), every byte hostile. The first
 * byte picks UDP or TCP; the rest is the message. Whatever is answered must
 * be a well-formed response (QR set) that fits the transport; a forwarded
 * query must parse again; the same bytes are then offered as the upstream's
 * answer to it, which must be refused unless they answer its question.
 */
#include <ldns/ldns.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "network/dns.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_response(const struct cv_dns_result *result, bool udp)
{
	ldns_pkt *packet = NULL;

	if (result->action != CV_DNS_ANSWER)
		return;
	if (ldns_wire2pkt(&packet, result->reply, result->reply_size) != LDNS_STATUS_OK || !ldns_pkt_qr(packet) ||
	    result->reply_size > CV_DNS_MESSAGE_MAX || (udp && result->reply_size > 4096 && !ldns_pkt_edns(packet)))
		abort();
	ldns_pkt_free(packet);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct cv_dns_table table;
	static struct cv_dns_cache cache;
	static uint64_t now;
	struct cv_dns_result result, answered;
	bool udp;

	if (table.count == 0) {
		const char *db[] = {"db", "database", NULL};
		const char *web[] = {"web", NULL};
		const char *links[] = {"db:shortcut", NULL};
		const char *upstreams[] = {"192.0.2.53", NULL};
		if (cv_dns_table_add(&table, 0x0a010002, db, NULL, NULL) < 0 ||
		    cv_dns_table_add(&table, 0x0a010004, web, links, upstreams) < 0)
			abort();
	}
	if (size < 1)
		return 0;
	udp = data[0] & 1;
	now += 700; /* the cache ages across inputs, so expiry and eviction are reached too */
	if (cv_dns_handle_query(&table, &cache, (data[0] & 2) ? 0x0a010004 : 0x0a010009, data + 1, size - 1, udp, now,
	                        &result) == 0) {
		check_response(&result, udp);
		if (result.action == CV_DNS_FORWARD) {
			ldns_pkt *forwarded = NULL;
			if (ldns_wire2pkt(&forwarded, result.reply, result.reply_size) != LDNS_STATUS_OK)
				abort();
			ldns_pkt_free(forwarded);
			if (cv_dns_handle_upstream(&cache, result.key, result.forward_id, result.client_id, data + 1,
			                           size - 1, now, &answered) == 0) {
				check_response(&answered, false);
				cv_dns_result_clear(&answered);
			}
		}
		cv_dns_result_clear(&result);
	}
	return 0;
}
