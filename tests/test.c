#include <glob.h>
#include <unistd.h>

#include "test.h"

int cv_test_passed, cv_test_failed, cv_test_skipped;
jmp_buf cv_test_jump;
const char *cv_test_skip_reason;
void (*cv_test_after_each)(void);

void cv_test_run(const char *name, void (*function)(void))
{
	int outcome = setjmp(cv_test_jump);

	if (outcome == 0) {
		function();
		printf("ok      %s\n", name);
		cv_test_passed++;
	} else if (outcome == 2) {
		printf("skip    %s: %s\n", name, cv_test_skip_reason);
		cv_test_skipped++;
	} else {
		printf("FAILED  %s\n", name);
		cv_test_failed++;
	}
	fflush(stdout);
	if (cv_test_after_each != NULL)
		cv_test_after_each();
}

int cv_test_summary(void)
{
	printf("%d passed, %d failed, %d skipped\n", cv_test_passed, cv_test_failed, cv_test_skipped);
	return cv_test_failed == 0 ? 0 : 1;
}

/*
 * containerv keeps its shared cgroup parents (<controller>/containerv) once made, as docker does;
 * a test run leaves none behind: each test binary removes them when it ends (rmdir: only if no
 * container of anybody's is in them).
 */
__attribute__((destructor)) static void remove_shared_cgroup_parents(void)
{
	static const char *const patterns[] = {"/sys/fs/cgroup/*/containerv", "/sys/fs/cgroup/containerv"};
	glob_t found;

	for (size_t p = 0; p < sizeof patterns / sizeof *patterns; p++) {
		if (glob(patterns[p], GLOB_NOSORT, NULL, &found) != 0)
			continue;
		for (size_t i = 0; i < found.gl_pathc; i++)
			rmdir(found.gl_pathv[i]);
		globfree(&found);
	}
}
