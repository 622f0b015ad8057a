/*
 * Metrics (metrics.h): the scrape (metrics.c) and its HTTP server (metrics-server.c).
 */
#ifndef CONTAINERV_METRICS_INTERNAL_H
#define CONTAINERV_METRICS_INTERNAL_H

/* The media type of the text exposition format the scrape is written in. */
#define CV_METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

#include <stdio.h>

/* Writes a label value as the format wants it: backslash, double quote and newline escaped (metrics.c). */
void cv_metrics_label_value(FILE *out, const char *value);

/* Writes the series of the compose projects' balancers, if any run (metrics-lb.c). */
void cv_metrics_write_balancers(FILE *out);

#endif
