/*  kc-scoring: scores the counties of a node's scope — the county
 *  innovation index of Programme 1 (seed 002) — on request and when a
 *  year's data is complete. Start as many as you like, on one machine or
 *  several: they share the job queue in PostgreSQL.
 *
 *  Usage: kc-scoring [--config FILE]
 *  The environment overrides the file (see include/kc/kc_config.h).
 *  SIGTERM and SIGINT stop it after the current job.
 */
#include "kc/kc_daemon.h"
#include "kc/kc_log.h"
#include "scoring/scoring_server.h"

int main(int argc, char **argv)
{
    kc_config_t config;
    kc_error_t error;
    int status = kc_daemon_start("kc-scoring", argc, argv, &config);
    if (status)
        return status;
    scoring_server_t *server = scoring_server_new(&config, &error);
    if (!server) {
        kc_log_error("cannot start: %s", error.message);
        return 1;
    }
    int rc = scoring_server_run(server, kc_daemon_stop_flag());
    scoring_server_destroy(&server);
    return rc;
}
