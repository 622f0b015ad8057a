/*
 * containerv: resource limits (cgroups v1 and v2 on Linux).
 */
#ifndef CHEF_CONTAINERV_LIMITS_H
#define CHEF_CONTAINERV_LIMITS_H

#include <stddef.h>
#include <stdint.h>

#include <chef/containerv/common.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CONTAINERV_LIMITS_VERSION 3 /* 2: memory_reservation_bytes, oom_kill_disable; 3: hugetlb */

/* At most this many huge page sizes per container (x86 has 2; arm64 4; none has more than 8). */
#define CONTAINERV_HUGETLB_SIZES_MAX 8

/*
 * A limit on the huge pages of one size a container may use (OCI's linux.resources.hugepageLimits):
 * hugetlb.<size>.limit_in_bytes on cgroup v1, hugetlb.<size>.max (and .rsvd.max where the kernel has
 * it) on cgroup v2.
 */
struct containerv_hugetlb_limit {
	uint64_t page_size;   /* bytes (2097152 for 2 MiB pages); a size in /sys/kernel/mm/hugepages */
	uint64_t limit_bytes; /* most memory in pages of that size, a multiple of page_size; 0 forbids them */
};

/*
 * Resource limits of one container. A zero field means "not set": the
 * container inherits the host's default for it. Initialise with
 * CONTAINERV_LIMITS_INIT so that fields added later stay unset.
 */
struct containerv_limits {
	unsigned int version;      /* CONTAINERV_LIMITS_VERSION */
	int64_t memory_bytes;      /* hard memory limit; 0 unset */
	int64_t memory_swap_bytes; /* memory plus swap, as docker's --memory-swap; -1 unlimited, 0 unset */
	uint64_t cpu_shares;       /* relative weight, docker scale 2..262144 (1024 is the default); 0 unset */
	uint64_t cpu_quota_us;     /* CPU time per period (--cpus 0.5 gives 50000 of 100000); 0 unset */
	uint64_t cpu_period_us;    /* period for cpu_quota_us; 0 means 100000 */
	char cpuset_cpus[128];     /* "0-1,3"; empty unset */
	char cpuset_mems[128];     /* "0"; empty unset */
	int64_t pids_max;          /* most tasks at once; -1 unlimited, 0 unset */
	uint32_t io_weight; /* 10..1000 (blkio.weight on v1; io.bfq.weight, else io.weight mapped to 1..10000 on v2); 0
	                       unset */
	/*
	 * Soft memory limit (docker's --memory-reservation): what the kernel reclaims the container down to
	 * under host memory pressure (memory.soft_limit_in_bytes on v1, memory.low on v2); 0 unset. Below
	 * memory_bytes when both are set.
	 */
	int64_t memory_reservation_bytes;
	/*
	 * 1: the OOM killer spares the container's processes (memory.oom_control on v1; they wait for memory
	 * instead). cgroup v2 has no such switch: creating or updating such a container fails there with
	 * ENOTSUP. Needs memory_bytes (docker's rule: without a limit the host's OOM killer is disabled).
	 */
	int oom_kill_disable;
	/*
	 * Huge page limits (version 3), hugetlb[0..hugetlb_count), one per page size. An entry is a
	 * limit even when limit_bytes is 0 (kubelet sends 0 for every size a pod did not ask for).
	 * Where the host's hugetlb controller is only on cgroup2 (systemd's hybrid layout) the
	 * container's processes also join a cgroup under the unified/ mount that carries them.
	 */
	uint32_t hugetlb_count;
	struct containerv_hugetlb_limit hugetlb[CONTAINERV_HUGETLB_SIZES_MAX];
};

#define CONTAINERV_LIMITS_INIT                                                                                         \
	{                                                                                                              \
		CONTAINERV_LIMITS_VERSION, 0, 0, 0, 0, 0, "", "", 0, 0, 0, 0, 0,                                       \
		{                                                                                                      \
			{                                                                                              \
				0, 0                                                                                   \
			}                                                                                              \
		}                                                                                                      \
	}

/*
 * Parses a docker-style size ("64m", "1g", "512k", "1048576", "1.5g") into
 * bytes. Units b, k, m, g, t (case-insensitive, optional trailing "b" or
 * "ib"), powers of 1024. Fails with EINVAL on anything else, on zero and on
 * overflow.
 */
CONTAINERV_API int containerv_parse_size(const char *text, int64_t *bytes);

/*
 * Parses a docker-style --cpus value ("0.5", "2", "1.25") into a quota and
 * period in microseconds (period 100000). Fails with EINVAL on anything
 * that is not a positive decimal number with at most 3 decimals.
 */
CONTAINERV_API int containerv_parse_cpus(const char *text, uint64_t *quota_us, uint64_t *period_us);

/*
 * Checks a limits structure completely (ranges, cpuset syntax) without
 * touching the kernel. containerv_create() calls it too.
 */
CONTAINERV_API int containerv_limits_validate(const struct containerv_limits *limits);

/*
 * The kernel's name of a huge page size as cgroup files and OCI's pageSize spell it ("2MB", "1GB",
 * "64KB") into name (at least 24 bytes). EINVAL when page_size is not a power of two of 4 KiB or more.
 */
CONTAINERV_API int containerv_hugetlb_size_name(uint64_t page_size, char *name, size_t size);

/* The reverse: "2MB" (KB, MB, GB; as OCI's pageSize) into bytes. EINVAL on anything else. */
CONTAINERV_API int containerv_hugetlb_parse_size(const char *name, uint64_t *page_size);

/* Which cgroup layout the host uses, as detected at run time. */
enum containerv_cgroup_mode {
	CONTAINERV_CGROUP_V1 = 1,     /* legacy: one hierarchy per controller */
	CONTAINERV_CGROUP_HYBRID = 2, /* v1 controllers plus a cgroup2 mount at unified/ */
	CONTAINERV_CGROUP_V2 = 3,     /* unified hierarchy only */
};

/* Detects the host's cgroup layout. */
CONTAINERV_API int containerv_cgroup_mode(enum containerv_cgroup_mode *mode);

#ifdef __cplusplus
}
#endif

#endif
