/*  kc-notify: tells the people concerned when something happens to them —
 *  an application moves, a deadline nears, an objection is settled — in
 *  the words of the node's notification definition, each notification
 *  exactly once.
 *
 *  Usage: kc-notify [--config FILE]
 *  The environment overrides the file (see include/kc/kc_config.h).
 *  SIGTERM and SIGINT stop it after the current batch.
 */
#include <curl/curl.h>

#include "kc/kc_daemon.h"
#include "kc/kc_log.h"
#include "notify/notify_server.h"

int main(int argc, char **argv)
{
    kc_config_t config;
    kc_error_t error;
    int status = kc_daemon_start("kc-notify", argc, argv, &config);
    if (status)
        return status;
    curl_global_init(CURL_GLOBAL_DEFAULT); /* once, before the delivery thread */
    notify_server_t *server = notify_server_new(&config, &error);
    if (!server) {
        kc_log_error("cannot start: %s", error.message);
        return 1;
    }
    int rc = notify_server_run(server, kc_daemon_stop_flag());
    notify_server_destroy(&server);
    curl_global_cleanup();
    return rc;
}
