/*  federation_fixture: see federation_fixture.h. */
#include "federation_fixture.h"

#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kc/kc_db.h"

/* The environment every daemon of `site` starts with (inherited). */
static void s_environment(const fed_t *f, const fed_site_t *site, bool set)
{
    static const char *const names[] = {"KC_NODE_ID",     "KC_NODE_LEVEL", "KC_NODE_DIVISION",
                                        "KC_LINK_KEYS",   "KC_LINK_PEERS", "KC_LINK_ENDPOINT",
                                        "KC_LINK_PARENT", "KC_LOG_LEVEL"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        unsetenv(names[i]);
    if (!set)
        return;
    setenv("KC_NODE_ID", site->name, 1);
    setenv("KC_NODE_LEVEL", site->level, 1);
    setenv("KC_NODE_DIVISION", site->division, 1);
    setenv("KC_LINK_KEYS", site->keys, 1);
    setenv("KC_LINK_PEERS", site->peers, 1);
    setenv("KC_LOG_LEVEL", "info", 1);
    if (*site->endpoint)
        setenv("KC_LINK_ENDPOINT", site->endpoint, 1);
    const fed_site_t *parent = site == &f->county ? &f->city
                               : site == &f->city ? &f->province
                                                  : NULL;
    if (parent)
        setenv("KC_LINK_PARENT", parent->endpoint, 1);
}

void fed_keys_write(const harness_node_t *node, char keys[320], char public_key[KC_KEY_Z85])
{
    char secret[KC_KEY_Z85], path[400];
    cr_assert_eq(kc_curve_keypair(public_key, secret), 0);
    snprintf(keys, 320, "%s.keys", node->log_path);
    mkdir(keys, 0700);
    snprintf(path, sizeof path, "%s/node.key", keys);
    FILE *file = fopen(path, "w");
    cr_assert_not_null(file);
    fprintf(file, "public = %s\nsecret = %s\n", public_key, secret);
    fclose(file);
}

static void s_keys(fed_site_t *site)
{
    fed_keys_write(&site->wf.node, site->keys, site->public_key);
    snprintf(site->peers, sizeof site->peers, "%s.peers.csv", site->wf.node.log_path);
}

/* Each site's peers file: its parent and its children, by key. */
static void s_peers(fed_site_t *site, const fed_site_t *a, const fed_site_t *b)
{
    FILE *file = fopen(site->peers, "w");
    cr_assert_not_null(file);
    fprintf(file, "public_key,division_code,level,name\n");
    const fed_site_t *peers[2] = {a, b};
    for (int i = 0; i < 2; i++)
        if (peers[i])
            fprintf(file, "%s,%s,%s,%s\n", peers[i]->public_key, peers[i]->division,
                    peers[i]->level, peers[i]->name);
    fclose(file);
}

void fed_link_start(fed_t *f, fed_site_t *site)
{
    char binary[512];
    snprintf(binary, sizeof binary, "%s/kc-link", getenv("KC_BIN_DIR"));
    s_environment(f, site, true);
    pid_t pid = fork();
    cr_assert(pid >= 0);
    if (pid == 0) {
        FILE *log = freopen(site->wf.node.log_path, "a", stderr);
        (void)log;
        setenv("KC_DATABASE_URL", site->wf.node.conninfo, 1);
        execl(binary, "kc-link", (char *)NULL);
        _exit(127);
    }
    s_environment(f, site, false);
    site->link = pid;
    cr_assert_eq(harness_wait_count(&site->wf.node,
                                    "SELECT count(*) FROM link_peer WHERE relation = 'self'", 1,
                                    10000),
                 1, "kc-link did not start: see %s", site->wf.node.log_path);
}

void fed_link_stop(fed_site_t *site, int signal)
{
    if (site->link <= 0)
        return;
    kill(site->link, signal);
    int status = 0;
    waitpid(site->link, &status, 0);
    if (signal == SIGTERM)
        cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0, "kc-link did not stop cleanly");
    site->link = 0;
}

/* The node's database and kc-intake (which needs no link setting: the
 * database queues what goes up). */
static void s_node(fed_t *f, fed_site_t *site)
{
    s_environment(f, site, true);
    unsetenv("KC_LINK_PARENT");
    unsetenv("KC_LINK_ENDPOINT");
    harness_node_start(&site->wf.node);
    s_environment(f, site, false);
}

void fed_workflow_start(fed_t *f, fed_site_t *site)
{
    s_environment(f, site, true);
    site->wf.workflow = harness_workflow_start(&site->wf.node);
    s_environment(f, site, false);
}

/* kc-workflow, once kc-link has recorded the node (a linked kc-workflow
 * waits for that), and the procedure. */
static void s_workflow(fed_t *f, fed_site_t *site, long long clock_ms)
{
    if (clock_ms > 0)
        harness_clock_set(&site->wf.node, clock_ms);
    fed_workflow_start(f, site);
    const char *load[] = {"process", "load", "deploy/workflow/mountain-base-v1.ini", NULL};
    cr_assert_eq(harness_kcctl(&site->wf.node, load), 0, "see %s", site->wf.node.log_path);
}

void fed_start(fed_t *f, long long clock_ms)
{
    memset(f, 0, sizeof *f);
    f->province = (fed_site_t){.division = "130000", .level = "province", .name = "hebei"};
    f->city = (fed_site_t){.division = "130100", .level = "city", .name = "shijiazhuang"};
    f->county = (fed_site_t){.division = "130131", .level = "county", .name = "pingshan"};
    harness_free_endpoint(f->province.endpoint, sizeof f->province.endpoint);
    harness_free_endpoint(f->city.endpoint, sizeof f->city.endpoint);
    fed_site_t *sites[3] = {&f->province, &f->city, &f->county};
    for (int i = 0; i < 3; i++) {
        s_node(f, sites[i]);
        s_keys(sites[i]);
    }
    s_peers(&f->province, &f->city, NULL);
    s_peers(&f->city, &f->province, &f->county);
    s_peers(&f->county, &f->city, NULL);
    const char *experts[] = {"experts", "load", "deploy/data/sample/experts.csv", NULL};
    cr_assert_eq(harness_kcctl(&f->province.wf.node, experts), 0);
    for (int i = 0; i < 3; i++) {
        fed_link_start(f, sites[i]);
        s_workflow(f, sites[i], clock_ms);
    }
}

void fed_stop(fed_t *f)
{
    fed_site_t *sites[3] = {&f->county, &f->city, &f->province};
    for (int i = 0; i < 3; i++) {
        fed_link_stop(sites[i], SIGTERM);
        wf_fixture_stop(&sites[i]->wf);
    }
}

bool fed_wait_state(fed_site_t *site, const char *ref, const char *state, int timeout_ms)
{
    const char *params[2] = {ref, state};
    for (int waited = 0;; waited += 50) {
        PGresult *result = PQexecParams(site->wf.node.db,
                                        "SELECT count(*) FROM workflow_instance w JOIN"
                                        " application a ON a.id = w.application_id"
                                        " WHERE a.ref = $1 AND w.state = $2"
                                        "   AND w.arrived_from IS NULL",
                                        2, NULL, params, NULL, NULL, 0);
        bool there = PQresultStatus(result) == PGRES_TUPLES_OK && kc_db_int(result, 0, 0) == 1;
        PQclear(result);
        if (there || waited >= timeout_ms)
            return there;
        usleep(50 * 1000);
    }
}

kc_envelope_t *fed_county_value(fed_county_value_t *value, const char *prefix, int number)
{
    memset(value, 0, sizeof *value);
    kc__v1__indicator_report__init(&value->item);
    value->item.county_code = "130131";
    value->item.year = 2023;
    value->item.indicator_code = "I15";
    value->item.value = number / 100.0;
    value->items[0] = &value->item;
    kc__v1__submit_reports__init(&value->body);
    value->body.provider = "county";
    value->body.n_reports = 1;
    value->body.reports = value->items;
    kc__v1__actor__init(&value->actor);
    value->actor.user_id = "pingshan-clerk";
    value->actor.role = "county_bureau";
    value->actor.division_code = "130131";
    value->actor.organisation = "平山县科学技术局";
    kc__v1__envelope__init(&value->request);
    value->request.body_case = KC__V1__ENVELOPE__BODY_SUBMIT_REPORTS;
    value->request.submit_reports = &value->body;
    kc_bus_stamp(&value->request, value->id, "test", &value->actor);
    snprintf(value->key, sizeof value->key, "%s-%d", prefix, number);
    value->request.idempotency_key = value->key;
    return &value->request;
}
