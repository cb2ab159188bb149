/*  own_cluster: see own_cluster.h. */
#include "own_cluster.h"

#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kc/kc_id.h"

/* Run a bash command line; the test fails if it does. The lines are
 * built from the test's own directory names, never from data. */
static int s_bash(const char *line)
{
    pid_t pid = fork();
    cr_assert(pid >= 0);
    if (pid == 0) {
        execl("/bin/bash", "bash", "-c", line, (char *)NULL);
        _exit(127);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    return status;
}

static void s_shell(const char *what, const char *line)
{
    int status = s_bash(line);
    cr_assert_eq(status, 0, "%s failed (status %d): %s", what, status, line);
}

/* pg_ctl as the cluster's owner (postgres when we are root, as pg.sh does). */
static void s_pg_ctl(const own_cluster_t *cluster, const char *arguments)
{
    char line[1024];
    snprintf(line, sizeof line,
             "cd / && if [ \"$(id -u)\" = 0 ]; then as='runuser -u postgres --'; else as=; fi;"
             " $as /usr/lib/postgresql/15/bin/pg_ctl -D '%s/data' -w -t 60 %s >/dev/null",
             cluster->dir, arguments);
    s_shell("pg_ctl", line);
}

void own_cluster_start(own_cluster_t *cluster)
{
    memset(cluster, 0, sizeof *cluster);
    const char *previous = getenv("KC_TEST_DATABASE_URL");
    snprintf(cluster->previous, sizeof cluster->previous, "%s", previous ? previous : "");
    char id[KC_ID_SIZE];
    kc_id_new(id);
    snprintf(cluster->dir, sizeof cluster->dir, "/tmp/kc-own-pg-%.8s", id);
    char line[2048];
    snprintf(line, sizeof line, "deploy/local/pg.sh start '%s' >/dev/null", cluster->dir);
    s_shell("starting a cluster of the test's own", line);
    char path[300];
    snprintf(path, sizeof path, "%s/port", cluster->dir);
    FILE *file = fopen(path, "r");
    int port = 0;
    cr_assert(file && fscanf(file, "%d", &port) == 1, "no port in %s", path);
    fclose(file);
    cluster->port = port;
    snprintf(cluster->admin, sizeof cluster->admin, "host=127.0.0.1 port=%d user=postgres", port);
    /* the template, as run-tests.sh makes the shared one */
    snprintf(line, sizeof line,
             "set -e; psql '%s dbname=postgres' -v ON_ERROR_STOP=1 -q -c 'CREATE DATABASE "
             "kc_template';"
             " export KC_DATABASE_URL='%s dbname=kc_template';"
             " \"$KC_BIN_DIR/kcctl\" migrate >/dev/null;"
             " . deploy/local/lib.sh; s_load_calendar \"$KC_BIN_DIR/kcctl\" >/dev/null",
             cluster->admin, cluster->admin);
    s_shell("migrating the template", line);
    setenv("KC_TEST_DATABASE_URL", cluster->admin, 1);
}

/* Accept and close every connection to the held port, until the holder
 * is shut down. */
static void *s_close_on_clients(void *context)
{
    own_cluster_t *cluster = context;
    for (;;) {
        int client = accept(cluster->holder, NULL, NULL);
        if (client < 0)
            return NULL;
        struct linger at_once = {1, 0}; /* a reset, not a polite close */
        setsockopt(client, SOL_SOCKET, SO_LINGER, &at_once, sizeof at_once);
        close(client);
    }
}

static void s_release_port(own_cluster_t *cluster)
{
    if (cluster->holder <= 0)
        return;
    shutdown(cluster->holder, SHUT_RDWR); /* ends the accept */
    pthread_join(cluster->closer, NULL);
    close(cluster->holder);
    cluster->holder = 0;
}

void own_cluster_halt(own_cluster_t *cluster, const char *mode)
{
    char arguments[64];
    snprintf(arguments, sizeof arguments, "stop -m %s", mode);
    s_pg_ctl(cluster, arguments);
    /* A real server's port is its own while it is down; here other tests
     * start clusters on the first free port, so the port is held (bound
     * and listening, which every port picker sees) until the start. A
     * client that connects meanwhile is closed on at once, as a host
     * without its server refuses at once. */
    cluster->holder = socket(AF_INET, SOCK_STREAM, 0);
    int yes = 1;
    setsockopt(cluster->holder, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    struct sockaddr_in address = {.sin_family = AF_INET,
                                  .sin_port = htons((uint16_t)cluster->port)};
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    cr_assert(cluster->holder >= 0 &&
                  bind(cluster->holder, (struct sockaddr *)&address, sizeof address) == 0 &&
                  listen(cluster->holder, 16) == 0,
              "port %d was taken as soon as the server stopped", cluster->port);
    cr_assert_eq(pthread_create(&cluster->closer, NULL, s_close_on_clients, cluster), 0);
}

void own_cluster_resume(own_cluster_t *cluster)
{
    s_release_port(cluster);
    char arguments[400];
    snprintf(arguments, sizeof arguments, "start -l '%s/log/postgres.log'", cluster->dir);
    s_pg_ctl(cluster, arguments);
}

void own_cluster_remove(own_cluster_t *cluster)
{
    s_release_port(cluster);
    if (*cluster->previous)
        setenv("KC_TEST_DATABASE_URL", cluster->previous, 1);
    char line[512];
    snprintf(line, sizeof line, "deploy/local/pg.sh stop '%s' --purge >/dev/null 2>&1",
             cluster->dir);
    if (s_bash(line) != 0)
        fprintf(stderr, "own_cluster: could not remove %s\n", cluster->dir);
}
