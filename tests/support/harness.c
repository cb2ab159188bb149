/*  harness: start, kill and inspect real kc-intake processes. */
#include "harness.h"

#include <criterion/criterion.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "intake/validate.h"
#include "kc/kc_clock.h"
#include "kc/kc_db.h"
#include "kc/kc_id.h"

static const char *s_env(const char *name)
{
    const char *value = getenv(name);
    cr_assert(value && *value, "%s is not set: run the tests through `make test`", name);
    return value;
}

void harness_free_endpoint(char *out, size_t size)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = 0};
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    cr_assert(fd >= 0 && bind(fd, (struct sockaddr *)&address, sizeof address) == 0 &&
              getsockname(fd, (struct sockaddr *)&address, &length) == 0);
    close(fd);
    snprintf(out, size, "tcp://127.0.0.1:%d", ntohs(address.sin_port));
}

/* An administrative statement naming one or two databases (`second` may
 * be NULL), each quoted as an identifier. */
static void s_admin(const char *sql_format, const char *name, const char *second)
{
    PGconn *conn = PQconnectdb(s_env("KC_TEST_DATABASE_URL"));
    cr_assert(PQstatus(conn) == CONNECTION_OK, "test cluster: %s", PQerrorMessage(conn));
    char *quoted = PQescapeIdentifier(conn, name, strlen(name));
    char *other = second ? PQescapeIdentifier(conn, second, strlen(second)) : NULL;
    char sql[256];
    snprintf(sql, sizeof sql, sql_format, quoted, other ? other : "");
    PGresult *result = PQexec(conn, sql);
    cr_assert(PQresultStatus(result) == PGRES_COMMAND_OK, "%s: %s", sql, PQerrorMessage(conn));
    PQclear(result);
    PQfreemem(quoted);
    PQfreemem(other);
    PQfinish(conn);
}

static void s_spawn(harness_node_t *node)
{
    char binary[512];
    snprintf(binary, sizeof binary, "%s/kc-intake", s_env("KC_BIN_DIR"));
    pid_t pid = fork();
    cr_assert(pid >= 0);
    if (pid == 0) {
        FILE *log = freopen(node->log_path, "a", stderr);
        (void)log;
        setenv("KC_DATABASE_URL", node->conninfo, 1);
        setenv("KC_INTAKE_ENDPOINT", node->endpoint, 1);
        setenv("KC_EVENTS_ENDPOINT", node->events, 1);
        setenv("KC_NODE_ID", "test-node", 0); /* a linked node's fixture names its own */
        setenv("KC_MAX_MESSAGE_BYTES", "1048576", 1);
        execl(binary, "kc-intake", (char *)NULL);
        _exit(127);
    }
    node->pid = pid;
    /* Ready when it answers a ping: the sockets are bound and it serves. */
    kc_client_t *client = harness_client(node, 500, 40);
    Kc__V1__Ping ping = KC__V1__PING__INIT;
    kc_envelope_t request = KC__V1__ENVELOPE__INIT, *reply = NULL;
    request.body_case = KC__V1__ENVELOPE__BODY_PING;
    request.ping = &ping;
    char id[KC_ID_SIZE];
    Kc__V1__Actor actor;
    harness_stamp(&request, id, &actor, "stats", "");
    kc_error_t error;
    int rc = kc_client_call(client, &request, &reply, &error);
    kc_client_destroy(&client);
    cr_assert(rc == 0, "kc-intake did not answer: %s (log %s)", error.message, node->log_path);
    kc_bus_free(&reply);
}

void harness_node_start(harness_node_t *node)
{
    memset(node, 0, sizeof *node);
    char id[KC_ID_SIZE];
    kc_id_new(id);
    snprintf(node->database, sizeof node->database, "kc_test_%.8s", id);
    /* the migrated database with the shipped calendar, or KC_TEST_TEMPLATE
     * (kc_template_bare: migrated only, an empty audit log) */
    const char *template = getenv("KC_TEST_TEMPLATE");
    if (!template || !*template)
        template = "kc_template";
    s_admin("CREATE DATABASE %s TEMPLATE %s", node->database, template);
    snprintf(node->conninfo, sizeof node->conninfo, "%s dbname=%s", s_env("KC_TEST_DATABASE_URL"),
             node->database);
    harness_free_endpoint(node->endpoint, sizeof node->endpoint);
    harness_free_endpoint(node->events, sizeof node->events);
    snprintf(node->log_path, sizeof node->log_path, "%s/%s.log",
             getenv("KC_TEST_LOG_DIR") ? getenv("KC_TEST_LOG_DIR") : "/tmp", node->database);
    node->db = PQconnectdb(node->conninfo);
    cr_assert(PQstatus(node->db) == CONNECTION_OK, "%s", PQerrorMessage(node->db));
    s_spawn(node);
}

void harness_node_restart(harness_node_t *node)
{
    cr_assert(node->pid == 0, "kc-intake is still running");
    s_spawn(node);
}

int harness_node_signal(harness_node_t *node, int signal_number)
{
    int status = 0;
    if (node->pid <= 0)
        return 0;
    kill(node->pid, signal_number);
    waitpid(node->pid, &status, 0);
    node->pid = 0;
    return status;
}

void harness_node_stop(harness_node_t *node)
{
    if (node->pid > 0) {
        int status = harness_node_signal(node, SIGTERM);
        cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                  "kc-intake did not exit cleanly (status %d): see %s", status, node->log_path);
    }
    PQfinish(node->db);
    node->db = NULL;
    s_admin("DROP DATABASE IF EXISTS %s WITH (FORCE)", node->database, NULL);
}

kc_client_t *harness_client(const harness_node_t *node, int timeout_ms, int attempts)
{
    kc_error_t error;
    kc_client_t *client = kc_client_new(node->endpoint, timeout_ms, attempts, &error);
    cr_assert(client, "%s", error.message);
    return client;
}

void harness_stamp(kc_envelope_t *request, char id[KC_ID_SIZE], Kc__V1__Actor *actor,
                   const char *organisation, const char *key)
{
    kc__v1__actor__init(actor);
    actor->user_id = "tester";
    actor->role = "data_provider";
    actor->division_code = "130000";
    actor->organisation = (char *)organisation;
    kc_bus_stamp(request, id, "test", actor);
    request->idempotency_key = (char *)key;
}

long long harness_count(const harness_node_t *node, const char *sql)
{
    PGresult *result = PQexec(node->db, sql);
    cr_assert(PQresultStatus(result) == PGRES_TUPLES_OK, "%s: %s", sql, PQerrorMessage(node->db));
    long long count = kc_db_int(result, 0, 0);
    PQclear(result);
    return count;
}

void harness_run(const harness_node_t *node, const char *sql, int count, const char *const *values,
                 const int *lengths, const int *formats)
{
    PGresult *result = PQexecParams(node->db, sql, count, NULL, values, lengths, formats, 0);
    ExecStatusType status = PQresultStatus(result);
    cr_assert(status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK, "%s: %s", sql,
              PQerrorMessage(node->db));
    PQclear(result);
}

int harness_evaluation_years(const harness_node_t *node, int *first)
{
    char latest[16];
    snprintf(latest, sizeof latest, "%d", kc_clock_year() + VALIDATE_YEARS_AHEAD);
    const char *params[1] = {latest};
    PGresult *result = PQexecParams(node->db,
                                    "SELECT min(first_year), least(max(last_year), $1::int)"
                                    "  FROM indicator_framework",
                                    1, NULL, params, NULL, NULL, 0);
    cr_assert(PQresultStatus(result) == PGRES_TUPLES_OK && !PQgetisnull(result, 0, 0),
              "no indicator framework: %s", PQerrorMessage(node->db));
    *first = (int)kc_db_int(result, 0, 0);
    int count = (int)kc_db_int(result, 0, 1) - *first + 1;
    PQclear(result);
    cr_assert_gt(count, 0, "the catalogue takes no year now");
    return count;
}

int harness_hebei_counties(const harness_node_t *node, char (*codes)[8], int max)
{
    PGresult *result = PQexec(node->db, "SELECT code FROM division WHERE level = 3"
                                        " AND code LIKE '13%' AND NOT is_zone"
                                        " AND valid_to = 'infinity' ORDER BY code");
    cr_assert(PQresultStatus(result) == PGRES_TUPLES_OK);
    int count = PQntuples(result) < max ? PQntuples(result) : max;
    for (int i = 0; i < count; i++)
        snprintf(codes[i], sizeof codes[i], "%s", PQgetvalue(result, i, 0));
    PQclear(result);
    return count;
}

int harness_kcctl(const harness_node_t *node, const char *const *args)
{
    char binary[512];
    snprintf(binary, sizeof binary, "%s/kcctl", s_env("KC_BIN_DIR"));
    const char *argv[32] = {"kcctl"};
    int count = 1;
    for (; args[count - 1] && count < 31; count++)
        argv[count] = args[count - 1];
    argv[count] = NULL;
    pid_t pid = fork();
    cr_assert(pid >= 0);
    if (pid == 0) {
        FILE *log = freopen(node->log_path, "a", stdout);
        (void)log;
        dup2(STDOUT_FILENO, STDERR_FILENO);
        setenv("KC_DATABASE_URL", node->conninfo, 1);
        setenv("KC_INTAKE_ENDPOINT", node->endpoint, 1);
        if (*node->scoring)
            setenv("KC_SCORING_ENDPOINT", node->scoring, 1);
        if (*node->workflow)
            setenv("KC_WORKFLOW_ENDPOINT", node->workflow, 1);
        if (*node->notify)
            setenv("KC_NOTIFY_ENDPOINT", node->notify, 1);
        execv(binary, (char *const *)argv);
        _exit(127);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

int harness_log_lines(const char *path, const char *text)
{
    FILE *log = fopen(path, "r");
    if (!log)
        return 0;
    char line[4096];
    int found = 0;
    while (fgets(line, sizeof line, log))
        found += strstr(line, text) != NULL;
    fclose(log);
    return found;
}

char *harness_kcctl_output(const harness_node_t *node, const char *const *args, int *status)
{
    /* kcctl writes to the node's log: what it printed is what was appended */
    FILE *log = fopen(node->log_path, "ab+");
    cr_assert(log, "cannot open %s", node->log_path);
    fseek(log, 0, SEEK_END);
    long before = ftell(log);
    fclose(log);
    *status = harness_kcctl(node, args);
    log = fopen(node->log_path, "rb");
    cr_assert(log);
    fseek(log, 0, SEEK_END);
    long after = ftell(log);
    fseek(log, before, SEEK_SET);
    char *text = calloc(1, (size_t)(after - before) + 1);
    cr_assert(text && fread(text, 1, (size_t)(after - before), log) == (size_t)(after - before));
    fclose(log);
    return text;
}
