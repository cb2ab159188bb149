/*  daemon_harness: kc-scoring and kc-workflow processes for integration
 *  tests, started like kc-intake by harness.c: real processes on free
 *  loopback ports, ready when they answer a ping. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

pid_t harness_scoring_start(harness_node_t *node, int hold_ms, bool auto_score)
{
    char binary[512], hold[16];
    snprintf(binary, sizeof binary, "%s/kc-scoring", getenv("KC_BIN_DIR"));
    snprintf(hold, sizeof hold, "%d", hold_ms);
    harness_free_endpoint(node->scoring, sizeof node->scoring);
    pid_t pid = fork();
    cr_assert(pid >= 0);
    if (pid == 0) {
        FILE *log = freopen(node->log_path, "a", stderr);
        (void)log;
        setenv("KC_DATABASE_URL", node->conninfo, 1);
        setenv("KC_INTAKE_ENDPOINT", node->endpoint, 1);
        setenv("KC_EVENTS_ENDPOINT", node->events, 1);
        setenv("KC_SCORING_ENDPOINT", node->scoring, 1);
        setenv("KC_NODE_ID", "test-node", 1);
        setenv("KC_NODE_DIVISION", "130000", 1);
        setenv("KC_SCORING_HOLD_MS", hold, 1);
        setenv("KC_SCORING_AUTO_COVERAGE", auto_score ? "95" : "0", 1);
        execl(binary, "kc-scoring", (char *)NULL);
        _exit(127);
    }
    const char *ping[] = {"ping", "--endpoint", node->scoring, "--timeout",
                          "500",  "--attempts", "40",          NULL};
    cr_assert_eq(harness_kcctl(node, ping), 0, "kc-scoring did not answer (log %s)",
                 node->log_path);
    return pid;
}

pid_t harness_workflow_start(harness_node_t *node)
{
    char binary[512];
    snprintf(binary, sizeof binary, "%s/kc-workflow", getenv("KC_BIN_DIR"));
    harness_free_endpoint(node->workflow, sizeof node->workflow);
    pid_t pid = fork();
    cr_assert(pid >= 0);
    if (pid == 0) {
        FILE *log = freopen(node->log_path, "a", stderr);
        (void)log;
        setenv("KC_DATABASE_URL", node->conninfo, 1);
        setenv("KC_WORKFLOW_ENDPOINT", node->workflow, 1);
        setenv("KC_NODE_ID", "test-node", 1);
        setenv("KC_NODE_DIVISION", "130000", 1);
        setenv("KC_WORKFLOW_CALENDAR", "deploy/data/calendar/cn-workdays.csv", 1);
        char clock[300];
        snprintf(clock, sizeof clock, "%s.clock", node->log_path);
        setenv("KC_FAKE_CLOCK_FILE", clock, 1);
        execl(binary, "kc-workflow", (char *)NULL);
        _exit(127);
    }
    const char *ping[] = {"ping", "--endpoint", node->workflow, "--timeout",
                          "500",  "--attempts", "40",           NULL};
    cr_assert_eq(harness_kcctl(node, ping), 0, "kc-workflow did not answer (log %s)",
                 node->log_path);
    return pid;
}

pid_t harness_notify_start(harness_node_t *node)
{
    char binary[512];
    snprintf(binary, sizeof binary, "%s/kc-notify", getenv("KC_BIN_DIR"));
    harness_free_endpoint(node->notify, sizeof node->notify);
    pid_t pid = fork();
    cr_assert(pid >= 0);
    if (pid == 0) {
        FILE *log = freopen(node->log_path, "a", stderr);
        (void)log;
        setenv("KC_DATABASE_URL", node->conninfo, 1);
        setenv("KC_NOTIFY_ENDPOINT", node->notify, 1);
        setenv("KC_NODE_ID", "test-node", 1);
        setenv("KC_LOG_LEVEL", "info", 1);
        execl(binary, "kc-notify", (char *)NULL);
        _exit(127);
    }
    const char *ping[] = {"ping", "--endpoint", node->notify, "--timeout",
                          "500",  "--attempts", "40",         NULL};
    cr_assert_eq(harness_kcctl(node, ping), 0, "kc-notify did not answer (log %s)", node->log_path);
    return pid;
}

void harness_clock_set(const harness_node_t *node, long long ms)
{
    char path[300], temporary[310];
    snprintf(path, sizeof path, "%s.clock", node->log_path);
    snprintf(temporary, sizeof temporary, "%s.new", path);
    FILE *file = fopen(temporary, "w");
    cr_assert_not_null(file, "cannot write %s", temporary);
    fprintf(file, "%lld\n", ms);
    fclose(file);
    /* a rename, so kc-workflow never reads a half-written number */
    cr_assert_eq(rename(temporary, path), 0);
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
