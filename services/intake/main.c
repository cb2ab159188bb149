/*  kc-intake: takes indicator values, applications and objections for one
 *  kechuang node, stores them once and announces them.
 *
 *  Usage: kc-intake [--config FILE]
 *  The environment overrides the file (see include/kc/kc_config.h).
 *  SIGTERM and SIGINT stop it after the current group is committed;
 *  SIGHUP reloads the division map and the indicator catalogue.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "intake/intake_server.h"
#include "kc/kc_log.h"

static volatile sig_atomic_t s_stop;   /* the interrupt flag */
static volatile sig_atomic_t s_reload; /* SIGHUP seen */

static void s_on_signal(int signal_number)
{
    if (signal_number == SIGHUP)
        s_reload = 1;
    else
        s_stop = 1;
}

static void s_install_handlers(void)
{
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = s_on_signal;
    sigaction(SIGTERM, &action, NULL);
    sigaction(SIGINT, &action, NULL);
    sigaction(SIGHUP, &action, NULL);
    signal(SIGPIPE, SIG_IGN);
}

int main(int argc, char **argv)
{
    const char *config_path = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
            config_path = argv[++i];
        else {
            fprintf(stderr, "usage: kc-intake [--config FILE]\n");
            return 2;
        }
    }
    kc_config_t config;
    kc_error_t error;
    kc_config_init(&config);
    if (kc_config_load(&config, config_path, &error)) {
        fprintf(stderr, "kc-intake: %s%s%s\n", error.message, *error.detail ? ": " : "",
                error.detail);
        return 2;
    }
    kc_log_init("kc-intake", config.node_id, (kc_log_level_t)kc_log_level_parse(config.log_level));
    s_install_handlers();
    intake_server_t *server = intake_server_new(&config, &error);
    if (!server) {
        kc_log_error("cannot start: %s", error.message);
        return 1;
    }
    int rc = intake_server_run(server, &s_stop, &s_reload);
    intake_server_destroy(&server);
    return rc;
}
