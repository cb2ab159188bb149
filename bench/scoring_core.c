/*  scoring_core: the scoring arithmetic alone, kechuang against NumPy.
 *
 *  No database and no daemon: a synthetic whole country (2,978 county-level
 *  units in ~300 cities, like China's) scored under the default methodology
 *  (deploy/scoring/hebei-2019-v1.ini, parsed by methodology_parse), inputs
 *  drawn from a seeded generator around each indicator's benchmark so that
 *  the classes come out roughly as in Hebei (a few A, some B, most C).
 *  It measures, on one core:
 *
 *  (a) engine_score_year over the country (normalise, points shown in
 *      centipoints half up, totals and subtotals from the exact points
 *      rounded once, classes under both total rules, ranks in the
 *      country, each province and each city), best of --repeat runs, as county-scores
 *      per second;
 *  (b) montecarlo_run, --draws draws (10,000) of Dirichlet weights over the
 *      normalised matrix of (a): totals, classes, ranks, percentiles, best
 *      of --mc-repeat runs, against the goal of 2 s.
 *
 *  Then it writes the same inputs to a temporary directory (raw
 *  little-endian float64 / int32 matrices and meta.json, see
 *  bench/scoring_numpy.py), runs the NumPy peer on them and prints one
 *  table: both times, the ratio, PASS or MISS against the goals (Monte
 *  Carlo < 2 s; kechuang faster than NumPy on both), whether NumPy's totals,
 *  classes and ranks equal kechuang's, and both mean P(A) of the Monte
 *  Carlo (the random streams differ, so only their size can agree). The
 *  machine-readable lines are `figure NAME VALUE UNIT`, as in intake_bench.
 *
 *  Usage: scoring_core [--methodology FILE] [--counties 2978] [--draws 10000]
 *         [--concentration 100] [--seed 1] [--repeat 21] [--mc-repeat 3]
 *         [--python /usr/bin/python3] [--peer bench/scoring_numpy.py]
 *         [--no-numpy] [--keep]
 *  Run from the repository root (the default paths are relative to it).
 *  The peer runs under Debian's python3 (/usr/bin/python3, which has
 *  python3-numpy) unless --python or KC_PYTHON says otherwise.
 */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <math.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "scoring/engine.h"
#include "scoring/methodology.h"
#include "scoring/montecarlo.h"
#include "scoring/rng.h"
#include "synthetic_county.h"

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the .bin files are written in the machine's order, which the peer reads as little-endian"
#endif

extern char **environ;

/* Median share of its points a synthetic value earns: with the spread
 * below, about 5 % A, 17 % B and 78 % C, near Hebei's 2017 estimate (seed
 * 002: 6, 33 and 129 of 168 counties). */

typedef struct {
    const char *methodology;
    size_t counties;
    size_t draws;
    double concentration;
    uint64_t seed;
    int repeat;
    int mc_repeat;
    const char *python;
    const char *peer;
    bool numpy;
    bool keep;
} s_options_t;

typedef struct {
    double score_seconds; /* best engine_score_year */
    double mc_seconds;    /* best montecarlo_run */
    double mean_p[3];     /* Monte Carlo mean P(A), P(B), P(C) over the counties */
    size_t classes[3];    /* nominal class counts */
} s_measured_t;

typedef struct {
    bool ran;
    double score_seconds, mc_seconds, mean_p[3];
    long totals_equal, classes_equal, ranks_equal;
    char version[32];
} s_peer_t;

static void s_die(const char *format, ...) __attribute__((format(printf, 1, 2), noreturn));

static void s_die(const char *format, ...)
{
    va_list arguments;
    va_start(arguments, format);
    fprintf(stderr, "scoring_core: ");
    vfprintf(stderr, format, arguments);
    fprintf(stderr, "\n");
    va_end(arguments);
    exit(1);
}

static void *s_calloc(size_t count, size_t size)
{
    void *memory = calloc(count, size);
    if (memory == NULL)
        s_die("out of memory");
    return memory;
}

static double s_now(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + (double)now.tv_nsec * 1e-9;
}

static long s_number(const char *text, long low, long high, const char *name)
{
    char *end = NULL;
    errno = 0;
    long value = strtol(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || value < low || value > high)
        s_die("'%s' must be an integer in %ld..%ld, not '%s'", name, low, high, text);
    return value;
}

static void s_parse_options(int argc, char **argv, s_options_t *options)
{
    const char *python = getenv("KC_PYTHON");
    *options = (s_options_t){
        .methodology = "deploy/scoring/hebei-2019-v1.ini",
        .counties = 2978,
        .draws = 10000,
        .concentration = 100.0,
        .seed = 1,
        .repeat = 21,
        .mc_repeat = 3,
        .python = python                                  ? python
                  : access("/usr/bin/python3", X_OK) == 0 ? "/usr/bin/python3"
                                                          : "python3",
        .peer = "bench/scoring_numpy.py",
        .numpy = true,
    };
    for (int i = 1; i < argc; i++) {
        const char *flag = argv[i], *value = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(flag, "--no-numpy") == 0) {
            options->numpy = false;
            continue;
        }
        if (strcmp(flag, "--keep") == 0) {
            options->keep = true;
            continue;
        }
        if (value == NULL)
            s_die("usage: scoring_core [--methodology FILE] [--counties N] [--draws N] "
                  "[--concentration X] [--seed N] [--repeat N] [--mc-repeat N] [--python PATH] "
                  "[--peer SCRIPT] [--no-numpy] [--keep]");
        i++;
        if (strcmp(flag, "--methodology") == 0)
            options->methodology = value;
        else if (strcmp(flag, "--counties") == 0)
            options->counties = (size_t)s_number(value, 2, 8192, flag);
        else if (strcmp(flag, "--draws") == 0)
            options->draws = (size_t)s_number(value, 1, 10000000, flag);
        else if (strcmp(flag, "--concentration") == 0)
            options->concentration = (double)s_number(value, 1, 1000000000, flag);
        else if (strcmp(flag, "--seed") == 0)
            options->seed = (uint64_t)s_number(value, 0, 1L << 62, flag);
        else if (strcmp(flag, "--repeat") == 0)
            options->repeat = (int)s_number(value, 1, 1000, flag);
        else if (strcmp(flag, "--mc-repeat") == 0)
            options->mc_repeat = (int)s_number(value, 1, 1000, flag);
        else if (strcmp(flag, "--python") == 0)
            options->python = value;
        else if (strcmp(flag, "--peer") == 0)
            options->peer = value;
        else
            s_die("unknown option '%s'", flag);
    }
}

static void s_load_methodology(const char *path, sc_methodology_t *m)
{
    FILE *file = fopen(path, "rb");
    if (file == NULL)
        s_die("cannot open '%s': %s (run from the repository root)", path, strerror(errno));
    char *text = s_calloc(1 << 20, 1);
    size_t size = fread(text, 1, (1 << 20) - 1, file);
    fclose(file);
    kc_errors_t errors;
    kc_errors_init(&errors);
    if (methodology_parse(text, size, m, &errors) != 0) {
        for (size_t i = 0; i < errors.kept; i++)
            fprintf(stderr, "%s: %s: %s\n", path, errors.items[i].field, errors.items[i].message);
        s_die("methodology '%s' does not parse", path);
    }
    kc_errors_release(&errors);
    free(text);
}

/* n counties in cities of ten: codes 1CCCNN (city CCC, county NN 01..10), in
 * code order; at most 10,000 counties, which the options ensure. */
static void s_build_country(const sc_methodology_t *m, size_t n, uint64_t seed,
                            sc_year_input_t *input)
{
    *input = (sc_year_input_t){.year = 2023, .n_counties = n};
    input->counties = s_calloc(n, sizeof *input->counties);
    input->values = s_calloc(n * m->n_inputs, sizeof *input->values);
    input->present = s_calloc(n * m->n_inputs, sizeof *input->present);
    sc_rng_t rng;
    rng_seed(&rng, seed);
    for (size_t c = 0; c < n; c++) {
        sc_county_t *county = &input->counties[c];
        const unsigned city = (unsigned)(c / 10) % 1000, number = (unsigned)(c % 10) + 1;
        snprintf(county->code, sizeof county->code, "1%03u%02u", city, number);
        snprintf(county->city_code, sizeof county->city_code, "1%03u00", city);
        snprintf(county->name, sizeof county->name, "县%zu", c + 1);
        snprintf(county->city_name, sizeof county->city_name, "市%u", city + 1);
        const double level = rng_normal(&rng);
        for (size_t j = 0; j < m->n_inputs; j++) {
            input->values[c * m->n_inputs + j] = synthetic_value(m, j, level, &rng);
            input->present[c * m->n_inputs + j] = 1;
        }
        synthetic_calibrate_derived(m, input->values + c * m->n_inputs,
                                    input->present + c * m->n_inputs, level, &rng);
    }
}

static void s_release_country(sc_year_input_t *input)
{
    free(input->counties);
    free(input->values);
    free(input->present);
}

/* (a): best of `repeat` full scorings; the last result stays in *result. */
static double s_time_engine(const sc_methodology_t *m, const sc_year_input_t *input, int repeat,
                            sc_year_result_t *result)
{
    double best = INFINITY;
    for (int r = 0; r < repeat; r++) {
        kc_error_t error = {0};
        if (r > 0)
            engine_result_release(result);
        const double start = s_now();
        if (engine_score_year(m, input, NULL, result, &error) != 0)
            s_die("engine_score_year failed: %s: %s", error.field, error.message);
        best = fmin(best, s_now() - start);
    }
    return best;
}

/* (b): best of `repeat` runs; the summaries of the last stay in out. */
static double s_time_montecarlo(const sc_methodology_t *m, const double *normalised, size_t n,
                                const s_options_t *options, int repeat, sc_mc_county_t *out)
{
    const sc_mc_params_t params = {options->seed, options->draws, options->concentration};
    double best = INFINITY;
    for (int r = 0; r < repeat; r++) {
        kc_error_t error = {0};
        const double start = s_now();
        if (montecarlo_run(m, normalised, n, &params, out, &error) != 0)
            s_die("montecarlo_run failed: %s: %s", error.field, error.message);
        best = fmin(best, s_now() - start);
    }
    return best;
}

static void s_write_file(const char *directory, const char *name, const void *bytes, size_t size)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", directory, name);
    FILE *file = fopen(path, "wb");
    if (file == NULL || fwrite(bytes, 1, size, file) != size || fclose(file) != 0)
        s_die("cannot write '%s': %s", path, strerror(errno));
}

static void s_write_meta(const char *directory, const sc_methodology_t *m, size_t n,
                         const s_options_t *options)
{
    json_object *meta = json_object_new_object(), *list = json_object_new_array();
    json_object_object_add(meta, "n_counties", json_object_new_int64((int64_t)n));
    json_object_object_add(meta, "n_indicators", json_object_new_int64((int64_t)m->n_indicators));
    json_object_object_add(meta, "class_a_centi", json_object_new_int(m->class_a_centi));
    json_object_object_add(meta, "class_b_centi", json_object_new_int(m->class_b_centi));
    json_object_object_add(meta, "tie_rule",
                           json_object_new_string(methodology_tie_name(m->tie_rule)));
    json_object_object_add(meta, "draws", json_object_new_int64((int64_t)options->draws));
    json_object_object_add(meta, "concentration", json_object_new_double(options->concentration));
    json_object_object_add(meta, "seed", json_object_new_int64((int64_t)options->seed));
    json_object_object_add(meta, "repeat", json_object_new_int(options->repeat));
    json_object_object_add(meta, "mc_repeat", json_object_new_int(options->mc_repeat));
    for (size_t i = 0; i < m->n_indicators; i++) {
        const sc_indicator_t *indicator = &m->indicators[i];
        json_object *entry = json_object_new_object();
        json_object_object_add(entry, "code", json_object_new_string(indicator->code));
        json_object_object_add(entry, "method",
                               json_object_new_string(methodology_method_name(indicator->method)));
        json_object_object_add(entry, "positive", json_object_new_boolean(indicator->positive));
        json_object_object_add(entry, "points_centi", json_object_new_int(indicator->points_centi));
        json_object_object_add(entry, "benchmark", json_object_new_double(indicator->benchmark));
        json_object_object_add(entry, "low", json_object_new_double(indicator->x_s));
        json_object_object_add(entry, "high", json_object_new_double(indicator->x_h));
        json_object_object_add(entry, "z_cap", json_object_new_double(indicator->z_cap));
        json_object_object_add(entry, "rubric_max", json_object_new_double(indicator->rubric_max));
        json_object_array_add(list, entry);
    }
    json_object_object_add(meta, "indicators", list);
    const char *text = json_object_to_json_string_ext(meta, JSON_C_TO_STRING_PRETTY);
    s_write_file(directory, "meta.json", text, strlen(text));
    json_object_put(meta);
}

/* The peer's inputs: the indicator values scored (the submitted inputs;
 * a derived indicator's value as its formula gave it), kechuang's
 * normalised matrix for the Monte Carlo and its results to compare. */
static void s_write_inputs(const char *directory, const sc_methodology_t *m,
                           const sc_year_result_t *result, const double *normalised,
                           const s_options_t *options)
{
    const size_t n = result->n_counties, k = m->n_indicators;
    double *values = s_calloc(n * k, sizeof *values);
    int32_t *totals = s_calloc(n, sizeof *totals), *ranks = s_calloc(n, sizeof *ranks);
    char *classes = s_calloc(n, 1);
    for (size_t c = 0; c < n; c++) {
        memcpy(values + c * k, result->counties[c].value, k * sizeof *values);
        totals[c] = result->counties[c].total;
        ranks[c] = result->counties[c].rank;
        classes[c] = result->counties[c].klass;
    }
    s_write_file(directory, "values.bin", values, n * k * sizeof *values);
    s_write_file(directory, "normalised.bin", normalised, n * k * sizeof *normalised);
    s_write_file(directory, "totals.bin", totals, n * sizeof *totals);
    s_write_file(directory, "ranks.bin", ranks, n * sizeof *ranks);
    s_write_file(directory, "classes.bin", classes, n);
    s_write_meta(directory, m, n, options);
    free(values);
    free(totals);
    free(ranks);
    free(classes);
}

static double s_number_of(json_object *object, const char *key)
{
    json_object *value = NULL;
    if (!json_object_object_get_ex(object, key, &value))
        s_die("the NumPy peer printed no '%s'", key);
    return json_object_get_double(value);
}

/* Runs `python peer DIR` with its stdout in DIR/numpy.json, reads it back. */
static void s_run_peer(const s_options_t *options, const char *directory, s_peer_t *peer)
{
    char output[4096];
    snprintf(output, sizeof output, "%s/numpy.json", directory);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, output, O_WRONLY | O_CREAT | O_TRUNC,
                                     0600);
    char *argv[] = {(char *)options->python, (char *)options->peer, (char *)directory, NULL};
    pid_t pid = 0;
    int status = 0;
    int rc = posix_spawnp(&pid, options->python, &actions, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0)
        s_die("cannot run '%s': %s", options->python, strerror(rc));
    if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
        s_die("'%s %s %s' failed (see its messages above)", options->python, options->peer,
              directory);
    json_object *answer = json_object_from_file(output);
    if (answer == NULL)
        s_die("the NumPy peer's output '%s' is not JSON", output);
    peer->ran = true;
    peer->score_seconds = s_number_of(answer, "score_seconds");
    peer->mc_seconds = s_number_of(answer, "mc_seconds");
    peer->totals_equal = (long)s_number_of(answer, "totals_equal");
    peer->classes_equal = (long)s_number_of(answer, "classes_equal");
    peer->ranks_equal = (long)s_number_of(answer, "ranks_equal");
    json_object *means = NULL, *version = NULL;
    if (json_object_object_get_ex(answer, "mc_mean_p", &means))
        for (size_t k = 0; k < 3; k++)
            peer->mean_p[k] = json_object_get_double(json_object_array_get_idx(means, k));
    if (json_object_object_get_ex(answer, "numpy", &version))
        snprintf(peer->version, sizeof peer->version, "%s", json_object_get_string(version));
    json_object_put(answer);
}

static void s_remove_directory(const char *directory)
{
    static const char *const names[] = {"meta.json", "values.bin",  "normalised.bin", "totals.bin",
                                        "ranks.bin", "classes.bin", "numpy.json",     NULL};
    char path[4096];
    for (size_t i = 0; names[i]; i++) {
        snprintf(path, sizeof path, "%s/%s", directory, names[i]);
        unlink(path);
    }
    rmdir(directory);
}

static void s_print_row(const char *what, double ours, double theirs, bool has_theirs,
                        const char *unit, const char *mark)
{
    char them[32] = "-", ratio[32] = "-";
    if (has_theirs) {
        snprintf(them, sizeof them, "%.3f %s", theirs, unit);
        snprintf(ratio, sizeof ratio, "%.2fx", theirs / ours);
    }
    char us[32];
    snprintf(us, sizeof us, "%.3f %s", ours, unit);
    printf("%-44s %14s %14s %9s %5s\n", what, us, them, ratio, mark);
}

static void s_report(const s_options_t *options, const sc_methodology_t *m, size_t n,
                     const s_measured_t *ours, const s_peer_t *peer)
{
    const double rate = (double)n / ours->score_seconds;
    printf("figure score_rate %.0f county-scores/s\n", rate);
    printf("figure score_ms %.3f ms\n", ours->score_seconds * 1e3);
    printf("figure mc_s %.3f s\n", ours->mc_seconds);
    if (peer->ran) {
        printf("figure numpy_score_rate %.0f county-scores/s\n", (double)n / peer->score_seconds);
        printf("figure numpy_score_ms %.3f ms\n", peer->score_seconds * 1e3);
        printf("figure numpy_mc_s %.3f s\n", peer->mc_seconds);
    }
    printf("\nscoring core: %zu counties x %zu indicators (%s), one core; times are the best of "
           "%d (a) and %d (b) runs\n",
           n, m->n_indicators, m->code, options->repeat, options->mc_repeat);
    printf("(a) per county x indicator: share = min(x / benchmark, 1) (rubric: x / top), "
           "total = sum of points * share, rounded once half up; class by %d/%d; "
           "%s ranks\n    (kechuang also evaluates the 2 formulas, rounded points, subtotals, the "
           "other total rule and ranks in each province and city; NumPy reads the formulas' "
           "values)\n",
           m->class_a_centi / 100, m->class_b_centi / 100, methodology_tie_name(m->tie_rule));
    printf("(b) per draw: w ~ Dirichlet(%g * points / 100) via Gamma variates; total_c = "
           "sum_i 100 w_i share_ci (double); class; rank by sort;\n    per county: rank "
           "histogram -> nearest-rank p5/p50/p95, P(A), P(B), P(C); %zu draws\n",
           options->concentration, options->draws);
    printf("nominal classes: A %zu, B %zu, C %zu\n", ours->classes[0], ours->classes[1],
           ours->classes[2]);
    const char *line = "----------------------------------------------------------------"
                       "------------------------------";
    printf("%s\n%-44s %14s %14s %9s %5s\n%s\n", line, "", "kechuang", "NumPy", "NumPy/kc", "",
           line);
    const bool faster_a = peer->ran && ours->score_seconds < peer->score_seconds;
    const bool faster_b = peer->ran && ours->mc_seconds < peer->mc_seconds;
    s_print_row("(a) score the country: time", ours->score_seconds * 1e3, peer->score_seconds * 1e3,
                peer->ran, "ms", peer->ran ? faster_a ? "PASS" : "MISS" : "");
    printf("%-44s %14.0f %14.0f\n", "    county-scores per second", rate,
           peer->ran ? (double)n / peer->score_seconds : 0.0);
    s_print_row("(b) Monte Carlo: time", ours->mc_seconds, peer->mc_seconds, peer->ran, "s",
                peer->ran ? faster_b ? "PASS" : "MISS" : "");
    printf("%-44s %14.3f %14s %9s %5s\n", "    goal: < 2 s on one core", ours->mc_seconds, "", "",
           ours->mc_seconds < 2.0 ? "PASS" : "MISS");
    printf("%-44s %14.4f %14.4f\n", "    mean P(A) over the counties (sanity)", ours->mean_p[0],
           peer->ran ? peer->mean_p[0] : NAN);
    printf("%s\nratio: NumPy time / kechuang time; above 1.00 kechuang is faster\n", line);
    if (peer->ran)
        printf("NumPy %s agrees on %ld/%zu totals, %ld/%zu classes, %ld/%zu ranks%s\n",
               peer->version, peer->totals_equal, n, peer->classes_equal, n, peer->ranks_equal, n,
               peer->totals_equal == (long)n && peer->classes_equal == (long)n &&
                       peer->ranks_equal == (long)n
                   ? ""
                   : "  <-- DISAGREEMENT");
    else
        printf("NumPy peer not run (--no-numpy)\n");
}

int main(int argc, char **argv)
{
    s_options_t options;
    s_parse_options(argc, argv, &options);
    static sc_methodology_t m;
    s_load_methodology(options.methodology, &m);
    const size_t n = options.counties, k = m.n_indicators;
    sc_year_input_t input;
    s_build_country(&m, n, options.seed, &input);

    s_measured_t ours = {0};
    sc_year_result_t result = {0};
    ours.score_seconds = s_time_engine(&m, &input, options.repeat, &result);
    double *normalised = s_calloc(n * k, sizeof *normalised);
    for (size_t c = 0; c < n; c++) {
        memcpy(normalised + c * k, result.counties[c].normalised, k * sizeof *normalised);
        const char klass = result.counties[c].klass;
        ours.classes[klass == 'A' ? 0 : klass == 'B' ? 1 : 2]++;
    }
    sc_mc_county_t *summaries = s_calloc(n, sizeof *summaries);
    ours.mc_seconds = s_time_montecarlo(&m, normalised, n, &options, options.mc_repeat, summaries);
    for (size_t c = 0; c < n; c++)
        for (size_t j = 0; j < 3; j++)
            ours.mean_p[j] += summaries[c].p_class[j] / (double)n;

    s_peer_t peer = {0};
    if (options.numpy) {
        const char *tmp = getenv("TMPDIR");
        char directory[512];
        snprintf(directory, sizeof directory, "%s/kc-scoring-bench.XXXXXX", tmp ? tmp : "/tmp");
        if (mkdtemp(directory) == NULL)
            s_die("cannot make a temporary directory: %s", strerror(errno));
        s_write_inputs(directory, &m, &result, normalised, &options);
        printf("NumPy peer: %s %s %s\n", options.python, options.peer, directory);
        fflush(stdout);
        s_run_peer(&options, directory, &peer);
        if (options.keep)
            printf("inputs kept in %s\n", directory);
        else
            s_remove_directory(directory);
    }
    s_report(&options, &m, n, &ours, &peer);
    free(summaries);
    free(normalised);
    engine_result_release(&result);
    s_release_country(&input);
    return 0;
}
