/*  federation_fixture: three linked nodes on one machine — the province of
 *  Hebei (130000), its city 石家庄 (130100) and the city's county 平山县
 *  (130131) — each with its own database, kc-intake, kc-workflow and
 *  kc-link, its own CURVE key and a peers file naming its parent and
 *  children, as deploy/federation/README.md sets up real sites. The
 *  mountain-base procedure is loaded on every node and the expert pool on
 *  the province's.
 */
#ifndef FEDERATION_FIXTURE_H
#define FEDERATION_FIXTURE_H

#include <sys/types.h>

#include "kc/kc_bus.h"
#include "kc/kc_zap.h"
#include "workflow_fixture.h"

typedef struct {
    wf_fixture_t wf; /* the node, its kc-workflow and the application followed */
    const char *division, *level, *name;
    char keys[320]; /* directory of node.key */
    char public_key[KC_KEY_Z85];
    char endpoint[64]; /* its kc-link's ROUTER, for its children ("" for the county) */
    char peers[320];   /* its peers file */
    pid_t link;
} fed_site_t;

typedef struct {
    fed_site_t province, city, county;
} fed_t;

/* A node's key pair as `kcctl keys generate` writes it: node.key in the
 * directory `<its log>.keys`, named into `keys`; its public key. */
void fed_keys_write(const harness_node_t *node, char keys[320], char public_key[KC_KEY_Z85]);

/* Start the three nodes; `clock_ms` > 0 sets every kc-workflow's clock. */
void fed_start(fed_t *federation, long long clock_ms);

/* Stop everything (asserting clean exits) and drop the databases. */
void fed_stop(fed_t *federation);

/* Start a site's kc-link again (after fed_link_stop). */
void fed_link_start(fed_t *federation, fed_site_t *site);

/* Start a site's kc-workflow again (after a kill). */
void fed_workflow_start(fed_t *federation, fed_site_t *site);

/* Stop a site's kc-link with `signal` (SIGTERM, or SIGKILL) and reap it. */
void fed_link_stop(fed_site_t *site, int signal);

/* One value of 平山县 as its S&T bureau's clerk sends it to the county's
 * kc-intake: I15 of 2023, `number` / 100, keyed `prefix-number`. The
 * storage of the request it fills. */
typedef struct {
    Kc__V1__IndicatorReport item;
    Kc__V1__IndicatorReport *items[1];
    Kc__V1__SubmitReports body;
    Kc__V1__Actor actor;
    kc_envelope_t request;
    char id[KC_ID_SIZE];
    char key[48];
} fed_county_value_t;

/* Fill `value` and return its request, ready to send. */
kc_envelope_t *fed_county_value(fed_county_value_t *value, const char *prefix, int number);

/* Wait up to `timeout_ms` for the application `ref` to be settled in
 * `state` on `site`; whether it is. */
bool fed_wait_state(fed_site_t *site, const char *ref, const char *state, int timeout_ms);

#endif
