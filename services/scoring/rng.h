/*  rng: the seeded random numbers of the Monte Carlo robustness run.
 *
 *  A run must be reproducible to the byte from its seed, on every machine
 *  and with every C library, so nothing here comes from rand() or the
 *  platform: the generator is xoshiro256** (Blackman and Vigna 2018; 256
 *  bits of state, period 2^256 - 1, passes BigCrush), its state filled by
 *  splitmix64 from the one 64-bit seed so that nearby seeds (1, 2, 3...)
 *  still give unrelated streams. On top of it: uniform doubles with 53
 *  random bits, standard normals by Box-Muller (both values of a pair used,
 *  the second kept in the state), Gamma variates by Marsaglia and Tsang's
 *  squeeze method (2000; alpha < 1 via the boost Gamma(alpha + 1) * U^(1 /
 *  alpha)) and Dirichlet vectors as normalised Gamma variates, computed in
 *  logarithms so that tiny alphas never underflow to an all-zero vector.
 *
 *  The variates go through log, exp, sqrt, sin and cos of the C library:
 *  the same binary on the same machine gives the same bits; another libm
 *  could differ in the last place of a weight (never in the integer
 *  stream).
 */
#ifndef SCORING_RNG_H
#define SCORING_RNG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint64_t state[4];   /* xoshiro256** state, never all zero */
    double spare_normal; /* second value of the last Box-Muller pair */
    bool has_spare;      /* spare_normal not used yet */
} sc_rng_t;

/* Fill the state from a seed (splitmix64); any seed, 0 included, is fine. */
void rng_seed(sc_rng_t *self, uint64_t seed);

/* Next 64 random bits. */
uint64_t rng_next(sc_rng_t *self);

/* Uniform in [0, 1), a multiple of 2^-53. */
double rng_uniform(sc_rng_t *self);

/* Standard normal: mean 0, variance 1. */
double rng_normal(sc_rng_t *self);

/* Natural logarithm of a Gamma(alpha, 1) variate, alpha > 0. The logarithm
 * stays finite where the variate itself would underflow (alpha << 1). */
double rng_log_gamma(sc_rng_t *self, double alpha);

/* A Dirichlet(alpha[0..n-1]) vector into out (sums to 1 up to rounding).
 * An alpha of 0 gives a weight of exactly 0; at least one must be > 0. */
void rng_dirichlet(sc_rng_t *self, const double *alpha, size_t n, double *out);

#endif
