/*  kc-workflow: moves applications through county, city and province
 *  (the mountain-base programme, seed 000 §三) as the officials act, each within
 *  the jurisdiction of their role, every attempt audited.
 *
 *  Usage: kc-workflow [--config FILE]
 *  The environment overrides the file (see include/kc/kc_config.h).
 *  SIGTERM and SIGINT stop it after the current request.
 */
#include "kc/kc_daemon.h"
#include "kc/kc_log.h"
#include "workflow/workflow_server.h"

int main(int argc, char **argv)
{
    kc_config_t config;
    kc_error_t error;
    int status = kc_daemon_start("kc-workflow", argc, argv, &config);
    if (status)
        return status;
    workflow_server_t *server = workflow_server_new(&config, &error);
    if (!server) {
        kc_log_error("cannot start: %s", error.message);
        return 1;
    }
    int rc = workflow_server_run(server, kc_daemon_stop_flag());
    workflow_server_destroy(&server);
    return rc;
}
