/*
 * containerv compose: what compose.c (config, up, down, ps, logs, ls) and
 * compose-verbs.c (the other verbs) share: the global flags and how an app
 * or a project is found from them.
 */
#ifndef CV_CLI_COMPOSE_H
#define CV_CLI_COMPOSE_H

#include <chef/containerv.h>

/* Loads the app from -f/-p/--profile/--project-directory; 0, or 125 after the error line. */
int compose_load_app(struct containerv_compose **app);

/*
 * The project for commands that work without a file (ps, logs, down, stop ...): -p alone finds it
 * anywhere (*app then NULL when no file is there); else the file's. 0, or -1 after the error line.
 */
int compose_project_name(struct containerv_compose **app, const char **project);

/* Progress lines on stderr (" NAME  Status"), as docker compose prints them. */
void compose_print_progress(const char *resource, const char *status, void *user);

/* The verbs of compose-verbs.c; argv[0] is the verb. */
int compose_start(int argc, char **argv);
int compose_stop(int argc, char **argv);
int compose_restart(int argc, char **argv);
int compose_pause(int argc, char **argv);
int compose_unpause(int argc, char **argv);
int compose_kill(int argc, char **argv);
int compose_rm(int argc, char **argv);
int compose_exec(int argc, char **argv);
int compose_run(int argc, char **argv);
int compose_scale(int argc, char **argv);
int compose_top(int argc, char **argv);
int compose_images(int argc, char **argv);
int compose_pull(int argc, char **argv);
int compose_port(int argc, char **argv);

#endif
