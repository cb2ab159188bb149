/*  Store and forward between two real nodes (a county and its city), each
 *  with its own database and its own kc-link, over a CURVE link: what the
 *  county queues reaches the city once, in order, and leaves the county's
 *  outbox only when the city has it; a kill -9 of the city's kc-link in the
 *  middle loses and doubles nothing.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "federation_fixture.h"
#include "harness.h"
#include "kc/kc_zap.h"

TestSuite(federation_forward, .timeout = 120);

typedef struct {
    harness_node_t node;
    char keys[320];
    char public_key[KC_KEY_Z85];
    char endpoint[64]; /* its kc-link's ROUTER, for its children */
    pid_t link;
} s_site_t;

static void s_keys(s_site_t *site)
{
    fed_keys_write(&site->node, site->keys, site->public_key);
}

static pid_t s_link(s_site_t *site, const char *division, const char *level, const char *peers,
                    const s_site_t *parent)
{
    char binary[512];
    snprintf(binary, sizeof binary, "%s/kc-link", getenv("KC_BIN_DIR"));
    pid_t pid = fork();
    cr_assert(pid >= 0);
    if (pid == 0) {
        FILE *log = freopen(site->node.log_path, "a", stderr);
        (void)log;
        setenv("KC_DATABASE_URL", site->node.conninfo, 1);
        setenv("KC_NODE_ID", division, 1);
        setenv("KC_NODE_DIVISION", division, 1);
        setenv("KC_NODE_LEVEL", level, 1);
        setenv("KC_LINK_KEYS", site->keys, 1);
        setenv("KC_LINK_PEERS", peers, 1);
        if (parent)
            setenv("KC_LINK_PARENT", parent->endpoint, 1);
        else
            setenv("KC_LINK_ENDPOINT", site->endpoint, 1);
        execl(binary, "kc-link", (char *)NULL);
        _exit(127);
    }
    return pid;
}

static void s_enqueue(s_site_t *county, int from, int to)
{
    char first[16], last[16];
    snprintf(first, sizeof first, "%d", from);
    snprintf(last, sizeof last, "%d", to);
    const char *params[2] = {first, last};
    harness_run(&county->node,
                "SELECT link_enqueue('130131', 'parent', '', 'county-130131',"
                " 'ReportsSubmitted', convert_to(i::text, 'UTF8'))"
                "  FROM generate_series($1::int, $2::int) i",
                2, params, NULL, NULL);
}

Test(federation_forward, what_the_county_queues_reaches_the_city_once_and_in_order)
{
    s_site_t city, county;
    memset(&city, 0, sizeof city);
    memset(&county, 0, sizeof county);
    harness_node_start(&city.node);
    harness_node_start(&county.node);
    s_keys(&city);
    s_keys(&county);
    harness_free_endpoint(city.endpoint, sizeof city.endpoint);
    char peers[320];
    snprintf(peers, sizeof peers, "%s.peers.csv", city.node.log_path);
    FILE *file = fopen(peers, "w");
    cr_assert_not_null(file);
    fprintf(file, "public_key,division_code,level,name\n%s,130131,county,平山县\n",
            county.public_key);
    fclose(file);
    /* the county knows its parent the same way */
    char county_peers[320];
    snprintf(county_peers, sizeof county_peers, "%s.peers.csv", county.node.log_path);
    file = fopen(county_peers, "w");
    cr_assert_not_null(file);
    fprintf(file, "public_key,division_code,level,name\n%s,130100,city,石家庄市\n",
            city.public_key);
    fclose(file);
    city.link = s_link(&city, "130100", "city", peers, NULL);
    county.link = s_link(&county, "130131", "county", county_peers, &city);

    s_enqueue(&county, 1, 200);
    cr_expect_eq(harness_wait_count(&city.node, "SELECT count(*) FROM link_inbox", 200, 20000),
                 200);
    cr_expect_eq(harness_wait_count(&county.node, "SELECT count(*) FROM link_outbox", 0, 20000), 0,
                 "acknowledged messages leave the outbox");
    cr_expect_eq(harness_count(&city.node, "SELECT count(*) FROM link_inbox WHERE origin_division"
                                           " <> '130131'"),
                 0, "the county's messages are the county's, by its key");

    /* the city's kc-link is killed in the middle of the next batch */
    s_enqueue(&county, 201, 1200);
    harness_wait_count(&city.node, "SELECT least(count(*), 300) FROM link_inbox", 300, 20000);
    kill(city.link, SIGKILL);
    waitpid(city.link, NULL, 0);
    usleep(300 * 1000);
    city.link = s_link(&city, "130100", "city", peers, NULL);
    cr_expect_eq(harness_wait_count(&city.node, "SELECT count(*) FROM link_inbox", 1200, 40000),
                 1200);
    cr_expect_eq(harness_wait_count(&county.node, "SELECT count(*) FROM link_outbox", 0, 20000), 0);
    cr_expect_eq(harness_count(&city.node, "SELECT count(DISTINCT convert_from(payload, 'UTF8'))"
                                           " FROM link_inbox"),
                 1200, "every message once");
    /* in order: the numbers arrived in the order they were queued */
    cr_expect_eq(harness_count(&city.node,
                               "SELECT count(*) FROM (SELECT convert_from(payload, 'UTF8')::int"
                               " AS n, lag(convert_from(payload, 'UTF8')::int) OVER (ORDER BY"
                               " received_at, ctid) AS before FROM link_inbox) o WHERE n < before"),
                 0);
    kill(county.link, SIGTERM);
    kill(city.link, SIGTERM);
    waitpid(county.link, NULL, 0);
    waitpid(city.link, NULL, 0);
    harness_node_stop(&county.node);
    harness_node_stop(&city.node);
}
