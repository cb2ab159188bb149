/*  kc_daemon: what every kechuang daemon does before it serves.
 *
 *  Read `--config FILE` (the only argument), load the configuration (the
 *  environment wins over the file), start the log under the daemon's name,
 *  and turn SIGTERM and SIGINT into the interrupt flag its loop watches
 *  (SIGPIPE ignored: a vanished peer is an error return, not a death).
 */
#ifndef KC_DAEMON_H
#define KC_DAEMON_H

#include <signal.h>

#include "kc/kc_config.h"

/* 0 with `config` loaded; otherwise the usage or the configuration error is
 * printed and the exit status to return (2) is returned. */
int kc_daemon_start(const char *name, int argc, char **argv, kc_config_t *config);

/* The interrupt flag: non-zero once SIGTERM or SIGINT arrived. */
volatile sig_atomic_t *kc_daemon_stop_flag(void);

#endif
