/*  own_cluster: a PostgreSQL cluster of a test's own, for tests that
 *  restart or stop the server itself. The suite's shared cluster serves
 *  tests running in parallel and must stay up; this one is started with
 *  deploy/local/pg.sh in a directory of its own, migrated into a template
 *  with the shipped calendar as run-tests.sh does for the shared one, and
 *  made the cluster every harness node of the test is created in
 *  (KC_TEST_DATABASE_URL). It keeps its port across restarts, as a real
 *  server does, so the daemons' connection strings stay right.
 */
#ifndef OWN_CLUSTER_H
#define OWN_CLUSTER_H

#include <pthread.h>

typedef struct {
    char dir[256];      /* pg.sh's directory */
    char admin[256];    /* conninfo of the superuser, without dbname */
    char previous[512]; /* KC_TEST_DATABASE_URL before, given back at the end */
    int port;           /* its port, kept across restarts */
    int holder;         /* a socket holding the port while the server is down */
    pthread_t closer;   /* closing on the clients that connect to it */
} own_cluster_t;

/* Start it, migrate kc_template and point KC_TEST_DATABASE_URL at it. */
void own_cluster_start(own_cluster_t *cluster);

/* Stop the server: "immediate" (a crash: no checkpoint, recovery at the
 * next start) or "fast" (clients are disconnected, a clean shutdown). */
void own_cluster_halt(own_cluster_t *cluster, const char *mode);

/* Start the server again on the same port; returns when it takes
 * connections. */
void own_cluster_resume(own_cluster_t *cluster);

/* Stop and remove it; KC_TEST_DATABASE_URL is given back. */
void own_cluster_remove(own_cluster_t *cluster);

#endif
