/*  daemon_harness: kc-scoring, kc-workflow and kc-notify processes for integration
 *  tests, started like kc-intake by harness.c: real processes on free
 *  loopback ports, ready when they answer a ping. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "kc/kc_clock.h"

/* Start the daemon `name` on the node, its requests on a fresh endpoint
 * written to `endpoint` (announced to it as `endpoint_variable`), with the
 * node's database and identity and `extra` (NULL-terminated name, value
 * pairs) in its environment; the pid once it answers a ping. */
static pid_t s_daemon(harness_node_t *node, const char *name, const char *endpoint_variable,
                      char *endpoint, size_t endpoint_size, const char *const *extra)
{
    char binary[512];
    snprintf(binary, sizeof binary, "%s/%s", getenv("KC_BIN_DIR"), name);
    harness_free_endpoint(endpoint, endpoint_size);
    pid_t pid = fork();
    cr_assert(pid >= 0);
    if (pid == 0) {
        FILE *log = freopen(node->log_path, "a", stderr);
        (void)log;
        setenv("KC_DATABASE_URL", node->conninfo, 1);
        setenv(endpoint_variable, endpoint, 1);
        /* a linked node's fixture names its node itself */
        setenv("KC_NODE_ID", "test-node", 0);
        setenv("KC_NODE_DIVISION", "130000", 0);
        for (size_t i = 0; extra && extra[i]; i += 2)
            setenv(extra[i], extra[i + 1], 1);
        execl(binary, name, (char *)NULL);
        _exit(127);
    }
    const char *ping[] = {"ping", "--endpoint", endpoint, "--timeout",
                          "500",  "--attempts", "40",     NULL};
    cr_assert_eq(harness_kcctl(node, ping), 0, "%s did not answer (log %s)", name, node->log_path);
    return pid;
}

pid_t harness_scoring_start(harness_node_t *node, int hold_ms, bool auto_score)
{
    char hold[16];
    snprintf(hold, sizeof hold, "%d", hold_ms);
    const char *extra[] = {"KC_INTAKE_ENDPOINT",
                           node->endpoint,
                           "KC_EVENTS_ENDPOINT",
                           node->events,
                           "KC_SCORING_HOLD_MS",
                           hold,
                           "KC_SCORING_AUTO_COVERAGE",
                           auto_score ? "95" : "0",
                           NULL};
    return s_daemon(node, "kc-scoring", "KC_SCORING_ENDPOINT", node->scoring, sizeof node->scoring,
                    extra);
}

pid_t harness_workflow_start(harness_node_t *node)
{
    char clock[300];
    snprintf(clock, sizeof clock, "%s.clock", node->log_path);
    const char *extra[] = {"KC_FAKE_CLOCK_FILE", clock, NULL};
    return s_daemon(node, "kc-workflow", "KC_WORKFLOW_ENDPOINT", node->workflow,
                    sizeof node->workflow, extra);
}

pid_t harness_notify_start(harness_node_t *node)
{
    const char *extra[] = {"KC_LOG_LEVEL", "info", NULL};
    return s_daemon(node, "kc-notify", "KC_NOTIFY_ENDPOINT", node->notify, sizeof node->notify,
                    extra);
}

static void s_clock_path(const harness_node_t *node, char *path, size_t size)
{
    snprintf(path, size, "%s.clock", node->log_path);
}

/* Write the clock file: the wall clock, and the steady clock if > 0. */
static void s_clock_write(const harness_node_t *node, long long wall_ms, long long steady_ms)
{
    char path[300], temporary[310];
    s_clock_path(node, path, sizeof path);
    snprintf(temporary, sizeof temporary, "%s.new", path);
    FILE *file = fopen(temporary, "w");
    cr_assert_not_null(file, "cannot write %s", temporary);
    if (steady_ms > 0)
        fprintf(file, "%lld %lld\n", wall_ms, steady_ms);
    else
        fprintf(file, "%lld\n", wall_ms);
    fclose(file);
    /* a rename, so kc-workflow never reads a half-written number */
    cr_assert_eq(rename(temporary, path), 0);
}

void harness_clock_set(const harness_node_t *node, long long ms)
{
    s_clock_write(node, ms, 0);
}

void harness_clock_move(const harness_node_t *node, long long wall_by_ms, long long steady_by_ms)
{
    char path[300];
    s_clock_path(node, path, sizeof path);
    int64_t wall = 0, steady = 0;
    cr_assert_eq(kc_clock_read_file(path, &wall, &steady), 0, "no clock set in %s", path);
    s_clock_write(node, (long long)wall + wall_by_ms, (long long)steady + steady_by_ms);
}

long long harness_wait_count(const harness_node_t *node, const char *sql, long long expected,
                             int timeout_ms)
{
    struct timespec pause = {0, 50 * 1000000L};
    long long seen = harness_count(node, sql);
    for (int waited = 0; seen != expected && waited < timeout_ms; waited += 50) {
        nanosleep(&pause, NULL);
        seen = harness_count(node, sql);
    }
    return seen;
}
