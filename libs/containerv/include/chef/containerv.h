/*
 * containerv: container virtualization library.
 *
 * Umbrella header: include this one file to get the whole public API.
 * Every function returns 0 on success and -1 on failure with errno set and a
 * one-line reason available from containerv_last_error(), unless its comment
 * says otherwise.
 */
#ifndef CHEF_CONTAINERV_H
#define CHEF_CONTAINERV_H

#include <chef/containerv/common.h>
#include <chef/containerv/limits.h>
#include <chef/containerv/container.h>
#include <chef/containerv/stats.h>
#include <chef/containerv/volume.h>
#include <chef/containerv/security.h>
#include <chef/containerv/network.h>
#include <chef/containerv/image.h>
#include <chef/containerv/registry.h>
#include <chef/containerv/spec.h>
#include <chef/containerv/oci.h>
#include <chef/containerv/logs.h>
#include <chef/containerv/pool.h>
#include <chef/containerv/metrics.h>
#include <chef/containerv/tune.h>
#include <chef/containerv/perf.h>
#include <chef/containerv/orchestration.h>
#include <chef/containerv/loadbalancer.h>
#include <chef/containerv/autoscale.h>
#include <chef/containerv/compose-lb.h>
#include <chef/containerv/supervise.h>

#endif
