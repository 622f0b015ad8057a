/*
 * The balancer's privileged scaler (orchestration/compose-lb-scaler.c): a confined balancer that has
 * been taken over can ask it for nothing but a service of the plan within its policy's bounds. A real
 * scaler process (forked), asked over its socketpair; no request here is valid, so no container is made.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>

#include "common/error.h"
#include "orchestration/compose-lb-scaler.h"
#include "test.h"

TEST(the_scaler_refuses_what_the_plan_does_not_allow)
{
	const struct cv_lb_scaler_service services[] = {{"web", 1, 3}};
	char long_name[300];

	CHECK_OK(cv_lb_scaler_start(NULL, services, 1, NULL, 0));
	pid_t scaler = cv_lb_scaler_pid();
	CHECK(scaler > 0);
	CHECK(cv_lb_scaler_scale("web", 4, "cpu_percent=99") < 0 && errno == EPERM);
	CHECK(strstr(containerv_last_error(), "outside the service's autoscale bounds") != NULL);
	CHECK(cv_lb_scaler_scale("web", 0, "") < 0 && errno == EPERM);
	CHECK(cv_lb_scaler_scale("db", 2, "") < 0 && errno == EPERM);
	CHECK(strstr(containerv_last_error(), "not an autoscaled service") != NULL);
	memset(long_name, 'w', sizeof long_name - 1);
	long_name[sizeof long_name - 1] = '\0';
	CHECK(cv_lb_scaler_scale(long_name, 2, "") < 0 && errno == ENAMETOOLONG);
	/* Still there after refusals; gone, and reaped, once the channel closes. */
	CHECK_EQ_INT(kill(scaler, 0), 0);
	cv_lb_scaler_stop();
	CHECK_EQ_INT(cv_lb_scaler_pid(), 0);
	CHECK(kill(scaler, 0) < 0 && errno == ESRCH);
	CHECK(cv_lb_scaler_scale("web", 2, "") < 0 && errno == ENOTCONN);
}

int main(void)
{
	RUN(the_scaler_refuses_what_the_plan_does_not_allow);
	return cv_test_summary();
}
