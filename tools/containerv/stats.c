/*
 * stats and top: resource use and processes of running containers.
 */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "flags.h"
#include "output.h"

extern char **environ;

/* How long --no-stream waits between its two samples, so that CPU % covers a real interval. */
#define NO_STREAM_INTERVAL_MS 500
#define STREAM_INTERVAL_MS 1000

struct stats_entry {
	char id[65];
	char name[129];
	struct containerv_container *handle;
	struct containerv_stats previous;
	struct containerv_stats current;
	bool has_previous;
	bool has_current;
	bool seen; /* still listed in this round (streaming over all running containers) */
};

struct stats_set {
	struct stats_entry *entries;
	size_t count;
};

static struct {
	int no_stream, all;
	const char *format;
} flags;

static struct stats_entry *find_entry(struct stats_set *set, const char *id)
{
	for (size_t i = 0; i < set->count; i++)
		if (strcmp(set->entries[i].id, id) == 0)
			return &set->entries[i];
	return NULL;
}

static void add_entry(struct stats_set *set, struct containerv_container *handle)
{
	struct stats_entry *entry;

	set->entries = xrealloc(set->entries, (set->count + 1) * sizeof *set->entries);
	entry = &set->entries[set->count++];
	memset(entry, 0, sizeof *entry);
	snprintf(entry->id, sizeof entry->id, "%s", containerv_id(handle));
	snprintf(entry->name, sizeof entry->name, "%s", containerv_name(handle));
	entry->handle = handle;
	entry->seen = true;
}

static void free_set(struct stats_set *set)
{
	for (size_t i = 0; i < set->count; i++)
		containerv_close(set->entries[i].handle);
	free(set->entries);
}

/* Adds containers that started since the last round and drops the ones that are gone (no names given). */
static int refresh_running(const struct containerv_info *info, void *user)
{
	struct stats_set *set = user;
	struct stats_entry *entry;
	struct containerv_container *handle;

	if (!flags.all && info->state != CV_STATE_RUNNING)
		return 0;
	entry = find_entry(set, info->id);
	if (entry != NULL) {
		entry->seen = true;
		return 0;
	}
	if (containerv_open(info->id, &handle) == 0)
		add_entry(set, handle);
	return 0;
}

static int sync_with_list(struct stats_set *set)
{
	size_t kept = 0;

	for (size_t i = 0; i < set->count; i++)
		set->entries[i].seen = false;
	if (containerv_list(refresh_running, set) < 0)
		return cli_fail_library(-1, "list containers");
	for (size_t i = 0; i < set->count; i++) {
		if (set->entries[i].seen)
			set->entries[kept++] = set->entries[i];
		else
			containerv_close(set->entries[i].handle);
	}
	set->count = kept;
	return 0;
}

static bool is_running(struct containerv_container *handle)
{
	struct containerv_info info = {.version = CONTAINERV_INFO_VERSION};

	return containerv_inspect(handle, &info) == 0 && info.state == CV_STATE_RUNNING;
}

static void sample(struct stats_set *set)
{
	for (size_t i = 0; i < set->count; i++) {
		struct stats_entry *entry = &set->entries[i];

		if (entry->has_current) {
			entry->previous = entry->current;
			entry->has_previous = true;
		}
		/* A container that is not running has no numbers: docker shows zeros for it. */
		entry->has_current =
		        is_running(entry->handle) && containerv_get_stats(entry->handle, &entry->current) == 0;
		if (!entry->has_current)
			entry->has_previous = false;
	}
}

static double cpu_percent(const struct stats_entry *entry)
{
	const struct containerv_stats *now = &entry->current, *before = &entry->previous;

	if (!entry->has_current)
		return 0;
	if (!entry->has_previous || now->timestamp_ns <= before->timestamp_ns)
		return now->cpu_percent;
	if (now->cpu_time_ns < before->cpu_time_ns)
		return 0;
	return 100.0 * (double)(now->cpu_time_ns - before->cpu_time_ns) /
	       (double)(now->timestamp_ns - before->timestamp_ns);
}

/* One row's cells, also used as the JSON fields. */
struct stats_row {
	char id[13], cpu[32], memory[64], memory_percent[32], network[64], block[64], pids[16];
};

static void format_pair(double first, double second, bool binary, char *out, size_t size)
{
	char a[32], b[32];

	if (binary) {
		format_size_binary(first, a, sizeof a);
		format_size_binary(second, b, sizeof b);
	} else {
		format_size_decimal(first, a, sizeof a);
		format_size_decimal(second, b, sizeof b);
	}
	snprintf(out, size, "%s / %s", a, b);
}

static void format_row(const struct stats_entry *entry, struct stats_row *row)
{
	struct containerv_stats zero = {0};
	const struct containerv_stats *stats = entry->has_current ? &entry->current : &zero;
	double limit = (double)stats->memory_limit;

	snprintf(row->id, sizeof row->id, "%.12s", entry->id);
	snprintf(row->cpu, sizeof row->cpu, "%.2f%%", cpu_percent(entry));
	format_pair((double)stats->memory_usage, limit, true, row->memory, sizeof row->memory);
	snprintf(row->memory_percent, sizeof row->memory_percent, "%.2f%%",
	         limit > 0 ? 100.0 * (double)stats->memory_usage / limit : 0.0);
	format_pair((double)stats->network_rx_bytes, (double)stats->network_tx_bytes, false, row->network,
	            sizeof row->network);
	format_pair((double)stats->read_bytes, (double)stats->write_bytes, false, row->block, sizeof row->block);
	snprintf(row->pids, sizeof row->pids, "%u", stats->active_processes);
}

static void print_formatted(const struct stats_entry *entry, const struct stats_row *row)
{
	json_t *object =
	        json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "BlockIO", row->block, "CPUPerc", row->cpu,
	                  "Container", row->id, "ID", row->id, "MemPerc", row->memory_percent, "MemUsage", row->memory,
	                  "Name", entry->name, "NetIO", row->network, "PIDs", row->pids);

	format_emit(flags.format, object);
}

static void print_set(const struct stats_set *set, bool clear)
{
	static const char *const header[] = {"CONTAINER ID", "NAME",    "CPU %",     "MEM USAGE / LIMIT",
	                                     "MEM %",        "NET I/O", "BLOCK I/O", "PIDS"};
	struct table table;

	if (clear)
		fputs("\033[2J\033[H", stdout);
	table_init(&table, 8, header);
	for (size_t i = 0; i < set->count; i++) {
		struct stats_row row;

		format_row(&set->entries[i], &row);
		if (flags.format != NULL)
			print_formatted(&set->entries[i], &row);
		else
			table_add(&table, (const char *const[]){row.id, set->entries[i].name, row.cpu, row.memory,
			                                        row.memory_percent, row.network, row.block, row.pids});
	}
	if (flags.format == NULL)
		table_print(&table, stdout);
	table_free(&table);
	fflush(stdout);
}

static void sleep_ms(long milliseconds)
{
	struct timespec pause = {milliseconds / 1000, (milliseconds % 1000) * 1000000L};

	while (nanosleep(&pause, &pause) < 0 && errno == EINTR) {
	}
}

static int open_named(const struct arguments *positional, struct stats_set *set)
{
	for (size_t i = 0; i < positional->count; i++) {
		struct containerv_container *handle;

		if (cli_open(positional->items[i], &handle) < 0)
			return -1;
		add_entry(set, handle);
	}
	return 0;
}

static int stream(struct stats_set *set, bool named)
{
	bool terminal = isatty(STDOUT_FILENO) && flags.format == NULL;

	/* A first sample shortly before the first frame, so that it shows a real CPU % rather than 0. */
	sample(set);
	sleep_ms(NO_STREAM_INTERVAL_MS);
	for (;;) {
		if (!named && sync_with_list(set) < 0)
			return EXIT_CLI_ERROR;
		sample(set);
		print_set(set, terminal);
		if (ferror(stdout))
			return EXIT_CLI_ERROR;
		sleep_ms(STREAM_INTERVAL_MS);
	}
}

int cmd_stats(int argc, char **argv)
{
	static const struct flag table[] = {
	        {"all", 'a', FLAG_BOOL, &flags.all, NULL, "Show all containers (default shows just running)"},
	        {"no-stream", 0, FLAG_BOOL, &flags.no_stream, NULL,
	         "Disable streaming stats and only pull the first result"},
	        {"format", 0, FLAG_STRING, &flags.format, "string", "json, or a template such as '{{.CPUPerc}}'"},
	        FLAG_END,
	};
	static const struct command_spec spec = {
	        "stats",
	        "[OPTIONS] [CONTAINER...]",
	        "Display a live stream of container resource usage statistics",
	        table,
	        false,
	        0,
	        0,
	        "Template fields: ID, Name, CPUPerc, MemUsage, MemPerc, NetIO, BlockIO, PIDs.",
	};
	_cleanup_free_ char **words = NULL;
	struct stats_set set = {0};
	struct arguments positional;
	int code = flags_parse_or_exit(&spec, argc, argv, &positional);

	if (code >= 0)
		return code;
	words = positional.items;
	if (flags.format != NULL && strcmp(flags.format, "json") != 0 && template_check(flags.format) < 0)
		return EXIT_CLI_ERROR;
	if (positional.count > 0 ? open_named(&positional, &set) < 0 : sync_with_list(&set) < 0) {
		free_set(&set);
		return positional.count > 0 ? EXIT_CONTAINER_FAILURE : EXIT_CLI_ERROR;
	}
	if (flags.no_stream) {
		sample(&set);
		sleep_ms(NO_STREAM_INTERVAL_MS);
		sample(&set);
		print_set(&set, false);
		code = 0;
	} else {
		code = stream(&set, positional.count > 0);
	}
	free_set(&set);
	return code;
}

/* CPU time as ps prints it: [DD-]HH:MM:SS. */
static void format_cpu_time(uint64_t nanoseconds, char *buffer, size_t size)
{
	uint64_t seconds = nanoseconds / 1000000000u;
	uint64_t days = seconds / 86400;

	if (days > 0)
		snprintf(buffer, size, "%llu-%02llu:%02llu:%02llu", (unsigned long long)days,
		         (unsigned long long)(seconds / 3600 % 24), (unsigned long long)(seconds / 60 % 60),
		         (unsigned long long)(seconds % 60));
	else
		snprintf(buffer, size, "%02llu:%02llu:%02llu", (unsigned long long)(seconds / 3600),
		         (unsigned long long)(seconds / 60 % 60), (unsigned long long)(seconds % 60));
}

static void print_processes(const struct containerv_process_info *processes, size_t count)
{
	static const char *const header[] = {"PID", "USER", "TIME", "CMD"};
	struct table table;

	table_init(&table, 4, header);
	for (size_t i = 0; i < count; i++) {
		const struct containerv_process_info *process = &processes[i];
		char pid[16], user[64], time_text[32], command[300];
		struct passwd *entry = getpwuid(process->uid);

		snprintf(pid, sizeof pid, "%d", (int)process->pid);
		snprintf(user, sizeof user, "%s", entry != NULL ? entry->pw_name : "");
		if (entry == NULL)
			snprintf(user, sizeof user, "%u", (unsigned int)process->uid);
		format_cpu_time(process->cpu_time_ns, time_text, sizeof time_text);
		/* Like ps: a process without a command line shows its name in brackets. */
		if (process->command[0] != '\0')
			snprintf(command, sizeof command, "%s", process->command);
		else
			snprintf(command, sizeof command, "[%s]", process->name);
		table_add(&table, (const char *const[]){pid, user, time_text, command});
	}
	table_print(&table, stdout);
	table_free(&table);
}

/* Field INDEX (0-based, split at blanks) of LINE as a pid; -1 when it is not a number. */
static long pid_field(const char *line, size_t index)
{
	const char *p = line;

	for (size_t field = 0;; field++) {
		p += strspn(p, " \t");
		if (*p == '\0' || *p == '\n')
			return -1;
		if (field == index) {
			char *end;
			long pid = strtol(p, &end, 10);
			return end != p && (*end == ' ' || *end == '\t' || *end == '\n' || *end == '\0') ? pid : -1;
		}
		p += strcspn(p, " \t\n");
	}
}

/* The PID column of ps's header by its title, as docker finds it. */
static bool find_pid_column(const char *header, size_t *index)
{
	_cleanup_free_ char *copy = xstrdup(header);
	char *save = NULL;
	size_t column = 0;

	for (char *word = strtok_r(copy, " \t\n", &save); word != NULL; word = strtok_r(NULL, " \t\n", &save), column++)
		if (strcmp(word, "PID") == 0) {
			*index = column;
			return true;
		}
	return false;
}

/*
 * top CONTAINER [ps OPTIONS]: the host's ps with those options, its header and the lines whose PID is one
 * of the container's processes (docker's way: the PID column is found by its title).
 */
static int top_with_ps(char **options, size_t option_count, const struct containerv_process_info *processes,
                       size_t count)
{
	_cleanup_free_ char **argv = xmalloc((option_count + 2) * sizeof *argv);
	posix_spawn_file_actions_t actions;
	_cleanup_free_ char *line = NULL;
	size_t capacity = 0, pid_index = 0;
	int pipe_fds[2], status;
	bool found = false;
	pid_t ps;

	argv[0] = "ps";
	memcpy(argv + 1, options, option_count * sizeof *argv);
	argv[option_count + 1] = NULL;
	if (pipe2(pipe_fds, O_CLOEXEC) < 0)
		return cli_fail(EXIT_CONTAINER_FAILURE, "top: pipe: %s", strerror(errno));
	posix_spawn_file_actions_init(&actions);
	posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDOUT_FILENO);
	int spawned = posix_spawnp(&ps, "ps", &actions, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&actions);
	close(pipe_fds[1]);
	if (spawned != 0) {
		close(pipe_fds[0]);
		return cli_fail(EXIT_CONTAINER_FAILURE, "top: run ps: %s", strerror(spawned));
	}
	FILE *output = fdopen(pipe_fds[0], "r");
	for (bool header = true; output != NULL && getline(&line, &capacity, output) > 0; header = false) {
		if (header) {
			found = find_pid_column(line, &pid_index);
			if (found)
				fputs(line, stdout);
			continue;
		}
		long pid = found ? pid_field(line, pid_index) : -1;
		for (size_t i = 0; pid > 0 && i < count; i++)
			if (processes[i].pid == pid) {
				fputs(line, stdout);
				break;
			}
	}
	if (output != NULL)
		fclose(output);
	else
		close(pipe_fds[0]);
	while (waitpid(ps, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return cli_fail(EXIT_CONTAINER_FAILURE, "top: ps %s failed (exit %d)", options[0],
		                WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
	if (!found)
		return cli_fail(EXIT_CONTAINER_FAILURE, "top: couldn't find the PID field in ps output");
	return 0;
}

int cmd_top(int argc, char **argv)
{
	static const struct command_spec spec = {
	        "top",
	        "CONTAINER [ps OPTIONS]",
	        "Display the running processes of a container",
	        NULL,
	        true,
	        1,
	        0,
	        "PIDs are as the host sees them; USER is the host's name for the uid. With ps OPTIONS, the host's\n"
	        "ps runs with them and only the lines of the container's processes are shown (a PID column needed).",
	};
	_cleanup_free_ char **words = NULL;
	_cleanup_container_ struct containerv_container *container = NULL;
	_cleanup_free_ struct containerv_process_info *processes = NULL;
	struct arguments positional;
	size_t capacity = 64, count = 0;
	int code = flags_parse_or_exit(&spec, argc, argv, &positional);

	if (code >= 0)
		return code;
	words = positional.items;
	if (cli_open(positional.items[0], &container) < 0)
		return EXIT_CONTAINER_FAILURE;
	/* The count may exceed what fits: grow and ask again (processes come and go in between). */
	for (;;) {
		processes = xrealloc(processes, capacity * sizeof *processes);
		if (containerv_get_processes(container, processes, capacity, &count) < 0)
			return cli_fail_library(EXIT_CONTAINER_FAILURE, "top %s", positional.items[0]);
		if (count <= capacity)
			break;
		capacity = count + 16;
	}
	if (positional.count > 1)
		return top_with_ps(positional.items + 1, positional.count - 1, processes, count);
	print_processes(processes, count);
	return 0;
}
