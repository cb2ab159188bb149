/*  kc-workflow: moves applications through county, city and province
 *  (DOMAIN.md Programme 2, seed 000 §三) as the officials act, each within
 *  the jurisdiction of their role, every attempt audited.
 *
 *  Usage: kc-workflow [--config FILE]
 *  The environment overrides the file (see include/kc/kc_config.h).
 *  SIGTERM and SIGINT stop it after the current request.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "kc/kc_log.h"
#include "workflow/workflow_server.h"

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
            fprintf(stderr, "usage: kc-workflow [--config FILE]\n");
            return 2;
        }
    }
    kc_config_t config;
    kc_error_t error;
    kc_config_init(&config);
    if (kc_config_load(&config, config_path, &error)) {
        fprintf(stderr, "kc-workflow: %s%s%s\n", error.message, *error.detail ? ": " : "",
                error.detail);
        return 2;
    }
    kc_log_init("kc-workflow", config.node_id,
                (kc_log_level_t)kc_log_level_parse(config.log_level));
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = s_on_signal;
    sigaction(SIGTERM, &action, NULL);
    sigaction(SIGINT, &action, NULL);
    signal(SIGPIPE, SIG_IGN);
    workflow_server_t *server = workflow_server_new(&config, &error);
    if (!server) {
        kc_log_error("cannot start: %s", error.message);
        return 1;
    }
    int rc = workflow_server_run(server, &s_stop);
    workflow_server_destroy(&server);
    return rc;
}
