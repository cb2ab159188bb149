/*  kc-scoring: scores the counties of a node's scope — the county
 *  innovation index of Programme 1 (seed 002) — on request and when a
 *  year's data is complete. Start as many as you like, on one machine or
 *  several: they share the job queue in PostgreSQL.
 *
 *  Usage: kc-scoring [--config FILE]
 *  The environment overrides the file (see include/kc/kc_config.h).
 *  SIGTERM and SIGINT stop it after the current job.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "kc/kc_log.h"
#include "scoring/scoring_server.h"

static volatile sig_atomic_t s_stop; /* the interrupt flag */

static void s_on_signal(int signal_number)
{
    (void)signal_number;
    s_stop = 1;
}

int main(int argc, char **argv)
{
    const char *config_path = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
            config_path = argv[++i];
        else {
            fprintf(stderr, "usage: kc-scoring [--config FILE]\n");
            return 2;
        }
    }
    kc_config_t config;
    kc_error_t error;
    kc_config_init(&config);
    if (kc_config_load(&config, config_path, &error)) {
        fprintf(stderr, "kc-scoring: %s%s%s\n", error.message, *error.detail ? ": " : "",
                error.detail);
        return 2;
    }
    kc_log_init("kc-scoring", config.node_id, (kc_log_level_t)kc_log_level_parse(config.log_level));
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = s_on_signal;
    sigaction(SIGTERM, &action, NULL);
    sigaction(SIGINT, &action, NULL);
    signal(SIGPIPE, SIG_IGN);
    scoring_server_t *server = scoring_server_new(&config, &error);
    if (!server) {
        kc_log_error("cannot start: %s", error.message);
        return 1;
    }
    int rc = scoring_server_run(server, &s_stop);
    scoring_server_destroy(&server);
    return rc;
}
