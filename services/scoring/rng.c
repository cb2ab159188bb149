/*  rng: xoshiro256** seeded by splitmix64, and the variates the Monte Carlo
 *  needs (uniform, normal, Gamma, Dirichlet). See rng.h for the choices.
 *
 *  The two generators are the public-domain reference algorithms of
 *  Vigna (prng.di.unimi.it), transcribed; Marsaglia and Tsang, "A simple
 *  method for generating gamma variables", ACM TOMS 26(3), 2000.
 */
#include "scoring/rng.h"

#include <math.h>

static const double s_two_pi = 6.283185307179586476925286766559;

static uint64_t s_rotate_left(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static uint64_t s_splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void rng_seed(sc_rng_t *self, uint64_t seed)
{
    uint64_t x = seed;
    for (int i = 0; i < 4; i++)
        self->state[i] = s_splitmix64(&x);
    /* splitmix64 is a bijection of a counter, so four consecutive outputs
     * are never all zero: the state is valid for every seed. */
    self->spare_normal = 0.0;
    self->has_spare = false;
}

uint64_t rng_next(sc_rng_t *self)
{
    uint64_t *s = self->state;
    const uint64_t result = s_rotate_left(s[1] * 5, 7) * 9;
    const uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = s_rotate_left(s[3], 45);
    return result;
}

double rng_uniform(sc_rng_t *self)
{
    /* The top 53 bits: every double of the form k * 2^-53, equally likely. */
    return (double)(rng_next(self) >> 11) * 0x1.0p-53;
}

/* Uniform in (0, 1]: safe to take the logarithm of. */
static double s_uniform_open_zero(sc_rng_t *self)
{
    return (double)((rng_next(self) >> 11) + 1) * 0x1.0p-53;
}

double rng_normal(sc_rng_t *self)
{
    if (self->has_spare) {
        self->has_spare = false;
        return self->spare_normal;
    }
    const double radius = sqrt(-2.0 * log(s_uniform_open_zero(self)));
    const double angle = s_two_pi * rng_uniform(self);
    self->spare_normal = radius * sin(angle);
    self->has_spare = true;
    return radius * cos(angle);
}

/* log of Gamma(alpha, 1) for alpha >= 1: Marsaglia-Tsang. The squeeze
 * accepts about 98 % of candidates without a logarithm. */
static double s_log_gamma_large(sc_rng_t *self, double alpha)
{
    const double d = alpha - 1.0 / 3.0;
    const double c = 1.0 / sqrt(9.0 * d);
    for (;;) {
        const double x = rng_normal(self);
        double v = 1.0 + c * x;
        if (v <= 0.0)
            continue;
        v = v * v * v;
        const double u = s_uniform_open_zero(self);
        const double x2 = x * x;
        if (u < 1.0 - 0.0331 * x2 * x2)
            return log(d * v);
        if (log(u) < 0.5 * x2 + d * (1.0 - v + log(v)))
            return log(d * v);
    }
}

double rng_log_gamma(sc_rng_t *self, double alpha)
{
    if (alpha >= 1.0)
        return s_log_gamma_large(self, alpha);
    /* Boost: if G ~ Gamma(alpha + 1) and U ~ U(0, 1], G * U^(1/alpha) ~
     * Gamma(alpha); in logarithms it cannot underflow. */
    const double log_boosted = s_log_gamma_large(self, alpha + 1.0);
    return log_boosted + log(s_uniform_open_zero(self)) / alpha;
}

void rng_dirichlet(sc_rng_t *self, const double *alpha, size_t n, double *out)
{
    double top = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        out[i] = alpha[i] > 0.0 ? rng_log_gamma(self, alpha[i]) : -INFINITY;
        if (out[i] > top)
            top = out[i];
    }
    /* Normalise exp(log g - top): the largest term is 1, so the sum is at
     * least 1 and nothing overflows or vanishes altogether. */
    double sum = 0.0;
    for (size_t i = 0; i < n; i++) {
        out[i] = alpha[i] > 0.0 ? exp(out[i] - top) : 0.0;
        sum += out[i];
    }
    for (size_t i = 0; i < n; i++)
        out[i] /= sum;
}
