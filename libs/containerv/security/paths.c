/*
 * The paths of /proc and /sys a container must not see or write, as docker
 * and podman have them: masked ones leak host information or kernel memory
 * (/proc/kcore, /proc/keys, timer and scheduler internals, firmware
 * tables); read-only ones would let root in the container change the host
 * kernel (/proc/sys, /proc/sysrq-trigger, IRQ affinity, bus devices).
 */
#include <stddef.h>

#include "security/security-internal.h"

const char *const cv_default_masked_paths[] = {
        "/proc/acpi",
        "/proc/asound",
        "/proc/interrupts",
        "/proc/kcore",
        "/proc/keys",
        "/proc/latency_stats",
        "/proc/timer_list",
        "/proc/timer_stats",
        "/proc/sched_debug",
        "/proc/scsi",
        "/sys/firmware",
        "/sys/devices/virtual/powercap", /* RAPL energy counters: a power side channel (CVE-2020-8694) */
        "/sys/kernel/vmcoreinfo",        /* the kernel's layout (KASLR offset, symbol addresses) */
        "/sys/block",                    /* the host's disks, their names and sizes */
        NULL,
};

const char *const cv_default_readonly_paths[] = {
        "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger", NULL,
};
