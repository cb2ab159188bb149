/*  kc_id: random identifiers for messages and idempotency keys.
 *
 *  Version-4 UUIDs from the kernel's random source; unique enough that a
 *  retry is the only way two messages share one.
 */
#ifndef KC_ID_H
#define KC_ID_H

#define KC_ID_SIZE 37 /* 36 characters and the terminator */

/* Write a new random UUID, lower-case, into out. */
void kc_id_new(char out[KC_ID_SIZE]);

#endif
