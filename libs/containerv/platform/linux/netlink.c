/*
 * Routing netlink requests through libmnl. Every request asks for an
 * acknowledgement, so the kernel's errno comes back as the call's result.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/if.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/error.h"
#include "common/util.h"
#include "platform/linux/netlink-route.h"

int cv_netlink_open(struct cv_netlink *netlink)
{
	memset(netlink, 0, sizeof *netlink);
	netlink->socket = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	if (netlink->socket == NULL)
		return cv_error_sys("netlink socket");
	if (mnl_socket_bind(netlink->socket, 0, MNL_SOCKET_AUTOPID) < 0) {
		int saved = errno;
		mnl_socket_close(netlink->socket);
		netlink->socket = NULL;
		errno = saved;
		return cv_error_sys("bind the netlink socket");
	}
	netlink->portid = mnl_socket_get_portid(netlink->socket);
	netlink->sequence = (unsigned int)time(NULL);
	return 0;
}

/*
 * Enters pid's network namespace (this thread only), runs fn, comes back.
 * Never our own namespace: a container that shares the host's must not be
 * configured as if it were its own (its sysctls would be the host's).
 */
int cv_netns_run(pid_t pid, int (*fn)(void *user), void *user)
{
	char path[64];
	cleanup_close int ours = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	cleanup_close int theirs = -1;
	struct stat our_namespace, their_namespace;
	int ret;

	snprintf(path, sizeof path, "/proc/%d/ns/net", (int)pid);
	theirs = open(path, O_RDONLY | O_CLOEXEC);
	if (ours < 0 || theirs < 0 || fstat(ours, &our_namespace) < 0 || fstat(theirs, &their_namespace) < 0)
		return cv_error_sys("open the network namespace of %d", (int)pid);
	if (our_namespace.st_dev == their_namespace.st_dev && our_namespace.st_ino == their_namespace.st_ino)
		return cv_error_errno(EINVAL, "process %d shares our network namespace", (int)pid);
	if (setns(theirs, CLONE_NEWNET) < 0)
		return cv_error_sys("enter the network namespace of %d", (int)pid);
	ret = fn(user);
	/* Cannot fail with the descriptor we hold; staying in a container's namespace would be worse. */
	if (setns(ours, CLONE_NEWNET) < 0)
		return cv_error_sys("return to our network namespace");
	return ret;
}

static int open_here(void *user)
{
	return cv_netlink_open(user);
}

/* A socket belongs to the network namespace its creator was in: open it in the target's. */
int cv_netlink_open_in(struct cv_netlink *netlink, pid_t pid)
{
	memset(netlink, 0, sizeof *netlink);
	if (cv_netns_run(pid, open_here, netlink) < 0) {
		cv_netlink_close(netlink);
		return -1;
	}
	netlink->pid = pid;
	return 0;
}

void cv_netlink_close(struct cv_netlink *netlink)
{
	if (netlink->socket != NULL)
		mnl_socket_close(netlink->socket);
	netlink->socket = NULL;
}

/* Sends a request and reads until its acknowledgement (or dump end); callback sees the data messages. */
static int transact(struct cv_netlink *netlink, struct nlmsghdr *request, mnl_cb_t callback, void *user)
{
	char buffer[32768];
	unsigned int sequence = request->nlmsg_seq;
	ssize_t n;
	int ret;

	if (mnl_socket_sendto(netlink->socket, request, request->nlmsg_len) < 0)
		return -1;
	do {
		do
			n = mnl_socket_recvfrom(netlink->socket, buffer, sizeof buffer);
		while (n < 0 && errno == EINTR);
		if (n < 0)
			return -1;
		ret = mnl_cb_run(buffer, (size_t)n, sequence, netlink->portid, callback, user);
	} while (ret > 0);
	return ret < 0 ? -1 : 0;
}

/*
 * A dump on a socket of its own, retried when interrupted: the kernel flags
 * a dump whose objects changed meanwhile (NLM_F_DUMP_INTR, which libmnl
 * reports as EINTR: veths of dying containers come and go) and leaves the
 * rest of it queued, which must not reach the caller's next request.
 */
static int dump(struct cv_netlink *netlink, struct nlmsghdr *request, mnl_cb_t callback, void *user,
                void (*reset)(void *user))
{
	for (int attempt = 0; attempt < 20; attempt++) {
		struct cv_netlink own;
		int ret, saved;

		if ((netlink->pid > 0 ? cv_netlink_open_in(&own, netlink->pid) : cv_netlink_open(&own)) < 0)
			return -1;
		request->nlmsg_seq = ++own.sequence;
		reset(user);
		ret = transact(&own, request, callback, user);
		saved = errno;
		cv_netlink_close(&own);
		if (ret == 0)
			return 0;
		if (saved != EINTR) {
			errno = saved;
			return -1;
		}
	}
	errno = EINTR;
	return -1;
}

static struct nlmsghdr *new_request(struct cv_netlink *netlink, char *buffer, uint16_t type, uint16_t flags)
{
	struct nlmsghdr *header = mnl_nlmsg_put_header(buffer);

	header->nlmsg_type = type;
	header->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	header->nlmsg_seq = ++netlink->sequence;
	return header;
}

static struct ifinfomsg *put_link_header(struct nlmsghdr *header, unsigned int index)
{
	struct ifinfomsg *link = mnl_nlmsg_put_extra_header(header, sizeof *link);

	link->ifi_family = AF_UNSPEC;
	link->ifi_index = (int)index;
	return link;
}

static int name_fits(const char *name)
{
	if (name == NULL || name[0] == '\0' || strlen(name) >= IFNAMSIZ || strchr(name, '/') != NULL)
		return cv_error_errno(EINVAL, "invalid interface name \"%s\"", name ? name : "");
	return 0;
}

struct link_reply {
	unsigned int index;
	struct cv_link_stats stats;
	bool have_stats;
	bool peer_elsewhere; /* IFLA_LINK_NETNSID: its peer (veth) is in another namespace */
	char alias[256];     /* IFLA_IFALIAS */
};

static int link_attribute(const struct nlattr *attribute, void *user)
{
	struct link_reply *reply = user;

	if (mnl_attr_get_type(attribute) == IFLA_STATS64 &&
	    mnl_attr_get_payload_len(attribute) >= sizeof(struct rtnl_link_stats64)) {
		struct rtnl_link_stats64 stats;
		memcpy(&stats, mnl_attr_get_payload(attribute), sizeof stats);
		reply->stats.rx_bytes = stats.rx_bytes;
		reply->stats.rx_packets = stats.rx_packets;
		reply->stats.tx_bytes = stats.tx_bytes;
		reply->stats.tx_packets = stats.tx_packets;
		reply->have_stats = true;
	} else if (mnl_attr_get_type(attribute) == IFLA_LINK_NETNSID) {
		reply->peer_elsewhere = true;
	} else if (mnl_attr_get_type(attribute) == IFLA_IFALIAS) {
		snprintf(reply->alias, sizeof reply->alias, "%.*s", (int)mnl_attr_get_payload_len(attribute),
		         (const char *)mnl_attr_get_payload(attribute));
	}
	return MNL_CB_OK;
}

static int link_callback(const struct nlmsghdr *header, void *user)
{
	const struct ifinfomsg *link = mnl_nlmsg_get_payload(header);
	struct link_reply *reply = user;

	reply->index = (unsigned int)link->ifi_index;
	mnl_attr_parse(header, sizeof *link, link_attribute, reply);
	return MNL_CB_OK;
}

static int get_link(struct cv_netlink *netlink, const char *name, struct link_reply *reply)
{
	char buffer[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *header;

	if (name_fits(name) < 0)
		return -1;
	header = new_request(netlink, buffer, RTM_GETLINK, 0);
	put_link_header(header, 0);
	mnl_attr_put_strz(header, IFLA_IFNAME, name);
	memset(reply, 0, sizeof *reply);
	if (transact(netlink, header, link_callback, reply) < 0)
		return -1;
	if (reply->index == 0) {
		errno = ENODEV;
		return -1;
	}
	return 0;
}

int cv_netlink_link_index(struct cv_netlink *netlink, const char *name, unsigned int *index)
{
	struct link_reply reply;

	if (get_link(netlink, name, &reply) < 0)
		return cv_error_errno(errno == EINVAL ? EINVAL : ENODEV, "interface %s: not found", name);
	*index = reply.index;
	return 0;
}

bool cv_netlink_link_exists(struct cv_netlink *netlink, const char *name)
{
	struct link_reply reply;

	return get_link(netlink, name, &reply) == 0;
}

int cv_netlink_link_alias(struct cv_netlink *netlink, const char *name, char *alias, size_t size)
{
	struct link_reply reply;

	if (get_link(netlink, name, &reply) < 0)
		return cv_error_errno(ENODEV, "interface %s: not found", name);
	/* The kernel may count the terminating NUL in the attribute. */
	snprintf(alias, size, "%s", reply.alias);
	return 0;
}

bool cv_netlink_link_peer_elsewhere(struct cv_netlink *netlink, const char *name)
{
	struct link_reply reply;

	return get_link(netlink, name, &reply) == 0 && reply.peer_elsewhere;
}

int cv_netlink_link_stats(struct cv_netlink *netlink, const char *name, struct cv_link_stats *stats)
{
	struct link_reply reply;

	if (get_link(netlink, name, &reply) < 0)
		return cv_error_errno(ENODEV, "interface %s: not found", name);
	*stats = reply.stats;
	return 0;
}

int cv_netlink_bridge_create(struct cv_netlink *netlink, const char *name, const uint8_t mac[6])
{
	char buffer[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *header;
	struct nlattr *info;

	if (name_fits(name) < 0)
		return -1;
	header = new_request(netlink, buffer, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
	put_link_header(header, 0);
	mnl_attr_put_strz(header, IFLA_IFNAME, name);
	/* A set address is kept: without it the bridge takes its lowest port's, and changes it. */
	mnl_attr_put(header, IFLA_ADDRESS, 6, mac);
	info = mnl_attr_nest_start(header, IFLA_LINKINFO);
	mnl_attr_put_strz(header, IFLA_INFO_KIND, "bridge");
	mnl_attr_nest_end(header, info);
	if (transact(netlink, header, NULL, NULL) < 0)
		return cv_error_sys("create bridge %s", name);
	return 0;
}

int cv_netlink_veth_create(struct cv_netlink *netlink, const char *name, const char *peer, pid_t peer_pid,
                           const uint8_t peer_mac[6])
{
	char buffer[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *header;
	struct nlattr *info, *data, *peer_info;

	if (name_fits(name) < 0 || name_fits(peer) < 0)
		return -1;
	header = new_request(netlink, buffer, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
	put_link_header(header, 0);
	mnl_attr_put_strz(header, IFLA_IFNAME, name);
	info = mnl_attr_nest_start(header, IFLA_LINKINFO);
	mnl_attr_put_strz(header, IFLA_INFO_KIND, "veth");
	data = mnl_attr_nest_start(header, IFLA_INFO_DATA);
	peer_info = mnl_attr_nest_start(header, VETH_INFO_PEER);
	/* The peer's attributes follow its own ifinfomsg inside the nest. */
	put_link_header(header, 0);
	mnl_attr_put_strz(header, IFLA_IFNAME, peer);
	if (peer_pid > 0)
		mnl_attr_put_u32(header, IFLA_NET_NS_PID, (uint32_t)peer_pid);
	if (peer_mac != NULL)
		mnl_attr_put(header, IFLA_ADDRESS, 6, peer_mac);
	mnl_attr_nest_end(header, peer_info);
	mnl_attr_nest_end(header, data);
	mnl_attr_nest_end(header, info);
	if (transact(netlink, header, NULL, NULL) < 0)
		return cv_error_sys("create veth pair %s/%s", name, peer);
	return 0;
}

int cv_netlink_link_delete(struct cv_netlink *netlink, const char *name)
{
	char buffer[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *header;

	if (name_fits(name) < 0)
		return -1;
	header = new_request(netlink, buffer, RTM_DELLINK, 0);
	put_link_header(header, 0);
	mnl_attr_put_strz(header, IFLA_IFNAME, name);
	if (transact(netlink, header, NULL, NULL) < 0)
		return cv_error_sys("delete interface %s", name);
	return 0;
}

/* RTM_NEWLINK on an existing link found by name, with one more attribute added by put. */
static int modify_link(struct cv_netlink *netlink, const char *name, unsigned int flags_set,
                       void (*put)(struct nlmsghdr *header, const void *arg), const void *arg)
{
	char buffer[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *header;
	struct ifinfomsg *link;
	unsigned int index = 0;

	if (cv_netlink_link_index(netlink, name, &index) < 0)
		return -1;
	header = new_request(netlink, buffer, RTM_NEWLINK, 0);
	link = put_link_header(header, index);
	link->ifi_flags = flags_set;
	link->ifi_change = flags_set;
	if (put != NULL)
		put(header, arg);
	return transact(netlink, header, NULL, NULL);
}

static void put_netns_pid(struct nlmsghdr *header, const void *arg)
{
	mnl_attr_put_u32(header, IFLA_NET_NS_PID, (uint32_t) * (const pid_t *)arg);
}

static void put_name(struct nlmsghdr *header, const void *arg)
{
	mnl_attr_put_strz(header, IFLA_IFNAME, arg);
}

static void put_master(struct nlmsghdr *header, const void *arg)
{
	mnl_attr_put_u32(header, IFLA_MASTER, *(const unsigned int *)arg);
}

int cv_netlink_link_set_netns(struct cv_netlink *netlink, const char *name, pid_t pid)
{
	if (modify_link(netlink, name, 0, put_netns_pid, &pid) < 0)
		return cv_error_sys("move %s into the network namespace of %d", name, (int)pid);
	return 0;
}

int cv_netlink_link_rename(struct cv_netlink *netlink, const char *name, const char *new_name)
{
	if (name_fits(new_name) < 0)
		return -1;
	if (modify_link(netlink, name, 0, put_name, new_name) < 0)
		return cv_error_sys("rename %s to %s", name, new_name);
	return 0;
}

static void put_alias(struct nlmsghdr *header, const void *arg)
{
	mnl_attr_put_str(header, IFLA_IFALIAS, arg);
}

int cv_netlink_link_set_alias(struct cv_netlink *netlink, const char *name, const char *alias)
{
	if (modify_link(netlink, name, 0, put_alias, alias) < 0)
		return cv_error_sys("set the alias of %s", name);
	return 0;
}

int cv_netlink_link_set_up(struct cv_netlink *netlink, const char *name)
{
	if (modify_link(netlink, name, IFF_UP, NULL, NULL) < 0)
		return cv_error_sys("bring up %s", name);
	return 0;
}

int cv_netlink_link_set_master(struct cv_netlink *netlink, const char *name, const char *master)
{
	unsigned int index = 0;

	if (master != NULL && cv_netlink_link_index(netlink, master, &index) < 0)
		return -1;
	if (modify_link(netlink, name, 0, put_master, &index) < 0)
		return cv_error_sys("attach %s to %s", name, master ? master : "no bridge");
	return 0;
}

int cv_netlink_address_add(struct cv_netlink *netlink, const char *name, struct in_addr address, int prefix)
{
	char buffer[MNL_SOCKET_BUFFER_SIZE];
	char text[INET_ADDRSTRLEN];
	struct nlmsghdr *header;
	struct ifaddrmsg *message;
	unsigned int index = 0;

	if (prefix < 0 || prefix > 32)
		return cv_error_errno(EINVAL, "invalid prefix length %d", prefix);
	if (cv_netlink_link_index(netlink, name, &index) < 0)
		return -1;
	header = new_request(netlink, buffer, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL);
	message = mnl_nlmsg_put_extra_header(header, sizeof *message);
	message->ifa_family = AF_INET;
	message->ifa_prefixlen = (unsigned char)prefix;
	message->ifa_index = index;
	message->ifa_scope = RT_SCOPE_UNIVERSE;
	mnl_attr_put_u32(header, IFA_LOCAL, address.s_addr);
	mnl_attr_put_u32(header, IFA_ADDRESS, address.s_addr);
	if (prefix < 31) {
		uint32_t host_mask = prefix == 0 ? 0xffffffffu : (1u << (32 - prefix)) - 1;
		mnl_attr_put_u32(header, IFA_BROADCAST, address.s_addr | htonl(host_mask));
	}
	if (transact(netlink, header, NULL, NULL) < 0) {
		inet_ntop(AF_INET, &address, text, sizeof text);
		return cv_error_sys("add address %s/%d to %s", text, prefix, name);
	}
	return 0;
}

struct port_walk {
	unsigned int master;
	size_t count;
};

static int port_attribute(const struct nlattr *attribute, void *user)
{
	struct port_walk *walk = user;

	if (mnl_attr_get_type(attribute) == IFLA_MASTER && mnl_attr_get_payload_len(attribute) == 4 &&
	    mnl_attr_get_u32(attribute) == walk->master)
		walk->count++;
	return MNL_CB_OK;
}

static int port_callback(const struct nlmsghdr *header, void *user)
{
	mnl_attr_parse(header, sizeof(struct ifinfomsg), port_attribute, user);
	return MNL_CB_OK;
}

static void reset_port_walk(void *user)
{
	((struct port_walk *)user)->count = 0;
}

int cv_netlink_bridge_ports(struct cv_netlink *netlink, const char *name, size_t *count)
{
	char buffer[MNL_SOCKET_BUFFER_SIZE];
	struct port_walk walk = {0, 0};
	struct nlmsghdr *header;

	if (cv_netlink_link_index(netlink, name, &walk.master) < 0)
		return -1;
	header = new_request(netlink, buffer, RTM_GETLINK, NLM_F_DUMP);
	put_link_header(header, 0);
	if (dump(netlink, header, port_callback, &walk, reset_port_walk) < 0)
		return cv_error_sys("list the ports of %s", name);
	*count = walk.count;
	return 0;
}

struct address_walk {
	unsigned int index;
	uint32_t wanted;
	size_t count;
	bool found;
};

static int address_callback(const struct nlmsghdr *header, void *user)
{
	const struct ifaddrmsg *message = mnl_nlmsg_get_payload(header);
	struct address_walk *walk = user;
	struct nlattr *attribute;

	if (message->ifa_family != AF_INET || message->ifa_index != walk->index)
		return MNL_CB_OK;
	walk->count++;
	mnl_attr_for_each(attribute, header, sizeof *message)
	{
		if (mnl_attr_get_type(attribute) == IFA_LOCAL && mnl_attr_get_payload_len(attribute) == 4 &&
		    mnl_attr_get_u32(attribute) == walk->wanted)
			walk->found = true;
	}
	return MNL_CB_OK;
}

static void reset_address_walk(void *user)
{
	struct address_walk *walk = user;

	walk->count = 0;
	walk->found = false;
}

int cv_netlink_link_addresses(struct cv_netlink *netlink, const char *name, struct in_addr address, size_t *count,
                              bool *found)
{
	char buffer[MNL_SOCKET_BUFFER_SIZE];
	struct address_walk walk = {0, address.s_addr, 0, false};
	struct nlmsghdr *header;
	struct ifaddrmsg *message;

	if (cv_netlink_link_index(netlink, name, &walk.index) < 0)
		return -1;
	header = new_request(netlink, buffer, RTM_GETADDR, NLM_F_DUMP);
	message = mnl_nlmsg_put_extra_header(header, sizeof *message);
	message->ifa_family = AF_INET;
	if (dump(netlink, header, address_callback, &walk, reset_address_walk) < 0)
		return cv_error_sys("list the addresses of %s", name);
	*count = walk.count;
	*found = walk.found;
	return 0;
}

struct host_address_walk {
	int (*callback)(struct in_addr address, int prefix, unsigned int index, void *user);
	void *user;
	int result;
};

static int host_address_callback(const struct nlmsghdr *header, void *user)
{
	const struct ifaddrmsg *message = mnl_nlmsg_get_payload(header);
	struct host_address_walk *walk = user;
	struct nlattr *attribute;

	if (message->ifa_family != AF_INET || walk->result != 0)
		return MNL_CB_OK;
	mnl_attr_for_each(attribute, header, sizeof *message)
	{
		struct in_addr address;
		if (mnl_attr_get_type(attribute) != IFA_LOCAL || mnl_attr_get_payload_len(attribute) != 4)
			continue;
		memcpy(&address, mnl_attr_get_payload(attribute), 4);
		walk->result = walk->callback(address, message->ifa_prefixlen, message->ifa_index, walk->user);
		break;
	}
	return MNL_CB_OK;
}

static void reset_host_address_walk(void *user)
{
	((struct host_address_walk *)user)->result = 0;
}

int cv_netlink_addresses(struct cv_netlink *netlink,
                         int (*callback)(struct in_addr address, int prefix, unsigned int index, void *user),
                         void *user)
{
	char buffer[MNL_SOCKET_BUFFER_SIZE];
	struct host_address_walk walk = {callback, user, 0};
	struct nlmsghdr *header = new_request(netlink, buffer, RTM_GETADDR, NLM_F_DUMP);
	struct ifaddrmsg *message = mnl_nlmsg_put_extra_header(header, sizeof *message);

	message->ifa_family = AF_INET;
	if (dump(netlink, header, host_address_callback, &walk, reset_host_address_walk) < 0)
		return cv_error_sys("list the host's addresses");
	return walk.result;
}

int cv_netlink_route_add_default(struct cv_netlink *netlink, const char *name, struct in_addr gateway)
{
	char buffer[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *header;
	struct rtmsg *route;
	unsigned int index = 0;

	if (cv_netlink_link_index(netlink, name, &index) < 0)
		return -1;
	header = new_request(netlink, buffer, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL);
	route = mnl_nlmsg_put_extra_header(header, sizeof *route);
	route->rtm_family = AF_INET;
	route->rtm_dst_len = 0;
	route->rtm_table = RT_TABLE_MAIN;
	route->rtm_protocol = RTPROT_BOOT;
	route->rtm_scope = RT_SCOPE_UNIVERSE;
	route->rtm_type = RTN_UNICAST;
	mnl_attr_put_u32(header, RTA_GATEWAY, gateway.s_addr);
	mnl_attr_put_u32(header, RTA_OIF, index);
	if (transact(netlink, header, NULL, NULL) < 0)
		return cv_error_sys("add the default route on %s", name);
	return 0;
}

struct route_walk {
	int (*callback)(struct in_addr destination, int prefix, unsigned int oif, void *user);
	void *user;
	int result;
};

struct route_attributes {
	struct in_addr destination;
	unsigned int oif;
};

static int route_attribute(const struct nlattr *attribute, void *user)
{
	struct route_attributes *found = user;

	if (mnl_attr_get_type(attribute) == RTA_DST && mnl_attr_get_payload_len(attribute) == 4)
		memcpy(&found->destination, mnl_attr_get_payload(attribute), 4);
	else if (mnl_attr_get_type(attribute) == RTA_OIF && mnl_attr_get_payload_len(attribute) == 4)
		found->oif = mnl_attr_get_u32(attribute);
	return MNL_CB_OK;
}

static int route_callback(const struct nlmsghdr *header, void *user)
{
	const struct rtmsg *route = mnl_nlmsg_get_payload(header);
	struct route_walk *walk = user;
	struct route_attributes found = {{0}, 0};

	if (route->rtm_family != AF_INET || route->rtm_table != RT_TABLE_MAIN || route->rtm_type != RTN_UNICAST ||
	    walk->result != 0)
		return MNL_CB_OK;
	mnl_attr_parse(header, sizeof *route, route_attribute, &found);
	walk->result = walk->callback(found.destination, route->rtm_dst_len, found.oif, walk->user);
	return MNL_CB_OK;
}

static void reset_route_walk(void *user)
{
	((struct route_walk *)user)->result = 0;
}

int cv_netlink_routes(struct cv_netlink *netlink,
                      int (*callback)(struct in_addr destination, int prefix, unsigned int oif, void *user), void *user)
{
	char buffer[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *header = new_request(netlink, buffer, RTM_GETROUTE, NLM_F_DUMP);
	struct rtmsg *route = mnl_nlmsg_put_extra_header(header, sizeof *route);
	struct route_walk walk = {callback, user, 0};

	route->rtm_family = AF_INET;
	if (dump(netlink, header, route_callback, &walk, reset_route_walk) < 0)
		return cv_error_sys("list the host's routes");
	return walk.result;
}
