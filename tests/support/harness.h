/*  harness: real kechuang nodes for integration tests and benchmarks.
 *
 *  A node here is a real kc-intake process on free loopback ports, with a
 *  database of its own copied from the migrated template `kc_template` of
 *  the test cluster (deploy/local/run-tests.sh starts the cluster, migrates
 *  the template and exports KC_TEST_DATABASE_URL and KC_BIN_DIR). Nothing
 *  is mocked: requests travel over TCP, rows land in PostgreSQL, kills are
 *  real signals. Waiting is on answers with deadlines, never on sleeps.
 */
#ifndef TESTS_HARNESS_H
#define TESTS_HARNESS_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <sys/types.h>

#include "kc/kc_bus.h"
#include "kc/kc_client.h"

typedef struct {
    pid_t pid;          /* kc-intake, 0 when not running */
    char database[64];  /* this node's own database */
    char conninfo[512]; /* connection string of that database */
    char endpoint[64];  /* requests */
    char events[64];    /* event publication */
    char log_path[256]; /* the daemon's standard error */
    char scoring[64];   /* kc-scoring requests, once harness_scoring_start ran */
    char workflow[64];  /* kc-workflow requests, once harness_workflow_start ran */
    char notify[64];    /* kc-notify requests, once harness_notify_start ran */
    PGconn *db;         /* for the test's own assertions */
} harness_node_t;

/* Create a database from the template and start kc-intake on it; aborts
 * the test (cr_assert) if the daemon does not answer a ping in 20 s. */
void harness_node_start(harness_node_t *node);

/* Start kc-intake again on the same database and ports. */
void harness_node_restart(harness_node_t *node);

/* Send `signal_number` and wait for the process to end; returns its wait
 * status. */
int harness_node_signal(harness_node_t *node, int signal_number);

/* Stop kc-intake (SIGTERM), assert it exited cleanly, drop the database. */
void harness_node_stop(harness_node_t *node);

/* A client of the node with short attempts, for tests. */
kc_client_t *harness_client(const harness_node_t *node, int timeout_ms, int attempts);

/* Fill the header of `request` for a test actor (user "tester", role
 * "data_provider", division 130000, organisation `organisation`). */
void harness_stamp(kc_envelope_t *request, char id[KC_ID_SIZE], Kc__V1__Actor *actor,
                   const char *organisation, const char *key);

/* One row count from SQL with no parameters. */
long long harness_count(const harness_node_t *node, const char *sql);

/* Run a parameterised statement on the node's database (text parameters,
 * or binary where `lengths` and `formats` say); the test fails if it does. */
void harness_run(const harness_node_t *node, const char *sql, int count, const char *const *values,
                 const int *lengths, const int *formats);

/* Real Hebei county-level codes valid today (not zones), up to `max`;
 * returns how many. */
int harness_hebei_counties(const harness_node_t *node, char (*codes)[8], int max);

/* The evaluation years kc-intake takes values for now, read from the
 * node's catalogue instead of written into tests: from the first year of
 * any framework to its last stated year, or to the year after the current
 * one (Beijing time) when the catalogue has no end. Returns how many there
 * are; the first goes to *first. */
int harness_evaluation_years(const harness_node_t *node, int *first);

/* Run kcctl with `args` (NULL-terminated, without the program name)
 * against the node; returns its exit status. */
int harness_kcctl(const harness_node_t *node, const char *const *args);

/* Run kcctl like harness_kcctl and return what it printed, standard output
 * and error in the order written (malloc'd, NUL-terminated); its exit
 * status goes to *status. */
char *harness_kcctl_output(const harness_node_t *node, const char *const *args, int *status);

/* Start a kc-scoring process on the node, on an endpoint of its own; the
 * last one started is the one kcctl talks to (node->scoring). `hold_ms`
 * keeps each job's transaction open that long (KC_SCORING_HOLD_MS), for
 * kills mid-job; `auto_score` lets it queue complete years by itself.
 * Returns the pid once it answers a ping. */
pid_t harness_scoring_start(harness_node_t *node, int hold_ms, bool auto_score);

/* Start kc-workflow on the node (its endpoint goes to node->workflow,
 * which kcctl then talks to); returns the pid once it answers a ping. */
pid_t harness_workflow_start(harness_node_t *node);

/* Start kc-notify on the node (node->notify); the pid once it answers. */
pid_t harness_notify_start(harness_node_t *node);

/* Set the clock kc-workflow reads (KC_FAKE_CLOCK_FILE: the node's log
 * path + ".clock") to `ms`, Unix milliseconds; 0 gives it back the real
 * clock. Public notices, yearly timers and deadlines follow it. */
void harness_clock_set(const harness_node_t *node, long long ms);

/* Move that clock from where it is now: the wall clock by `wall_by_ms`
 * and the host's steady clock (kc_clock_steady_ms) by `steady_by_ms`.
 * (-3600000, 0) is the host's clock set back an hour; (t, t) is t of real
 * time passing. */
void harness_clock_move(const harness_node_t *node, long long wall_by_ms, long long steady_by_ms);

/* Poll `sql` (one number) every 50 ms until it equals `expected` or
 * `timeout_ms` passes; returns the last value seen. */
long long harness_wait_count(const harness_node_t *node, const char *sql, long long expected,
                             int timeout_ms);

/* How many lines of the log at `path` hold `text` (0 when there is no log). */
int harness_log_lines(const char *path, const char *text);

/* A fresh loopback endpoint "tcp://127.0.0.1:PORT" with a free port. */
void harness_free_endpoint(char *out, size_t size);

#endif
