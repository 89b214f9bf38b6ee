/* stats: corpus figures (GetStats) and the MQM weights they use. */
#ifndef GLOSS_STATS_H
#define GLOSS_STATS_H

/*
 * The WMT weight of one MQM error given its category and severity as
 * named in the default label sets (lower is better): neutral 0, minor 1,
 * major 5, critical 10; minor fluency/punctuation 0.1; non-translation 25;
 * source-error 0.  A severity it does not know weighs 0.
 */
double stats_mqm_weight(const char *category, const char *severity);

#endif
