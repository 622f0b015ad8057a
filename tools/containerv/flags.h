/*
 * A small docker-style option parser, driven by one table per command.
 *
 * Long options take "--name=value" or "--name value"; short ones combine
 * ("-it") and take a value attached ("-eK=V") or as the next word; a
 * boolean also accepts "--rm=false". "--" ends the options. Commands that
 * take a command line to run (run, exec) stop at the first positional word
 * so that the command's own options are left alone.
 */
#ifndef CV_CLI_FLAGS_H
#define CV_CLI_FLAGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

enum flag_kind {
	FLAG_BOOL,   /* value is an int *, set to 1 (or 0 with "=false") */
	FLAG_STRING, /* value is a const char **; the last occurrence wins */
	FLAG_LIST,   /* value is a struct string_list *; every occurrence is appended */
};

/* A growing NULL-terminated vector of strings that point into argv or are owned by the caller. */
struct string_list {
	const char **items;
	size_t count;
};

void string_list_add(struct string_list *list, const char *item);
void string_list_free(struct string_list *list);

struct flag {
	const char *long_name; /* without the dashes */
	char short_name;       /* 0 when there is none */
	enum flag_kind kind;
	void *value;
	const char *value_name; /* shown in usage, e.g. "SECONDS" */
	const char *help;
};

#define FLAG_END                                                                                                       \
	{                                                                                                              \
		NULL, 0, FLAG_BOOL, NULL, NULL, NULL                                                                   \
	}

struct command_spec {
	const char *name;    /* "run" */
	const char *usage;   /* "[OPTIONS] IMAGE [COMMAND] [ARG...]" */
	const char *summary; /* one line */
	const struct flag *flags;
	bool stop_at_positional;
	size_t min_arguments;
	size_t max_arguments; /* 0: no limit */
	const char *notes;    /* extra text at the end of --help, may be NULL */
};

struct arguments {
	char **items; /* positional words, pointing into argv */
	size_t count;
};

enum flags_result {
	FLAGS_OK = 0,
	FLAGS_HELP = 1,  /* --help was given and usage printed on stdout */
	FLAGS_ERROR = 2, /* a one-line error was printed on stderr */
};

/*
 * Parses argv[1..argc) (argv[0] is the command's name) against spec.
 * positional->items must be freed with free() after FLAGS_OK.
 */
enum flags_result flags_parse(const struct command_spec *spec, int argc, char **argv, struct arguments *positional);

/* Prints "Usage: containerv NAME USAGE", the summary and the options table. */
void flags_usage(const struct command_spec *spec, FILE *out);

/* One subcommand of a command group (`volume ls`, `network create`, ...). */
struct subcommand {
	const char *name;
	int (*run)(int argc, char **argv); /* argv[0] is the subcommand's name */
	const char *summary;
};

/*
 * Runs the subcommand argv[1] of group ("volume"): usage with --help (stdout, 0) or none (stderr,
 * 125), docker's aliases (list -> ls, remove -> rm), and one error line for an unknown one.
 */
int subcommand_dispatch(const char *group, const char *summary, const struct subcommand *commands, size_t count,
                        int argc, char **argv);

/*
 * Parses and returns the exit code for FLAGS_HELP (0) and FLAGS_ERROR (125),
 * or -1 when the command should go on.
 */
int flags_parse_or_exit(const struct command_spec *spec, int argc, char **argv, struct arguments *positional);

/*
 * Runs action on every positional argument, all of them even after a failure (the action prints
 * its own error and returns -1): 0, or EXIT_CONTAINER_FAILURE when one failed, as docker's.
 */
int arguments_for_each(const struct arguments *positional, int (*action)(const char *argument, void *user), void *user);

#endif
