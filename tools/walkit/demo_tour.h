/* Step 3 of `walkit demo`: a round trip through the journal, the ring, the
 * meta store and the blob store (demo_tour.c). */
#ifndef WK_DEMO_TOUR_H
#define WK_DEMO_TOUR_H

/* Runs the round trips in directory dir (created; anything there before
 * is removed first); prints one line per component. 0 when every check
 * passed, -1 otherwise (the failure was printed). */
int wk_demo_tour(const char *dir);

/* Removes dir and everything below it (missing: fine). 0 or -1. */
int wk_demo_tour_clear(const char *dir);

#endif
