/*  kc_daemon: configuration, log and signals of a daemon (see kc_daemon.h). */
#include "kc/kc_daemon.h"

#include <stdio.h>
#include <string.h>

#include "kc/kc_log.h"

static volatile sig_atomic_t s_stop; /* the interrupt flag */

static void s_on_signal(int signal_number)
{
    (void)signal_number;
    s_stop = 1;
}

volatile sig_atomic_t *kc_daemon_stop_flag(void)
{
    return &s_stop;
}

int kc_daemon_start(const char *name, int argc, char **argv, kc_config_t *config)
{
    const char *config_path = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
            config_path = argv[++i];
        } else {
            fprintf(stderr, "usage: %s [--config FILE]\n", name);
            return 2;
        }
    }
    kc_error_t error;
    kc_config_init(config);
    if (kc_config_load(config, config_path, &error)) {
        fprintf(stderr, "%s: %s%s%s\n", name, error.message, *error.detail ? ": " : "",
                error.detail);
        return 2;
    }
    kc_log_init(name, config->node_id, (kc_log_level_t)kc_log_level_parse(config->log_level));
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = s_on_signal;
    sigaction(SIGTERM, &action, NULL);
    sigaction(SIGINT, &action, NULL);
    signal(SIGPIPE, SIG_IGN);
    return 0;
}
