/*  kc-link: carries a node's messages to its parent and takes its
 *  children's, over CURVE links authenticated by key (deploy/federation/).
 *
 *  Usage: kc-link [--config FILE]
 */
#include "kc/kc_daemon.h"
#include "kc/kc_log.h"
#include "link/link_server.h"

int main(int argc, char **argv)
{
    kc_config_t config;
    kc_error_t error;
    int status = kc_daemon_start("kc-link", argc, argv, &config);
    if (status)
        return status;
    link_server_t *server = link_server_new(&config, &error);
    if (!server) {
        kc_log_error("cannot start: %s", error.message);
        return 1;
    }
    int rc = link_server_run(server, kc_daemon_stop_flag());
    link_server_destroy(&server);
    return rc;
}
