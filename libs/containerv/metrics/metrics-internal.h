/*
 * Metrics (metrics.h): the scrape (metrics.c) and its HTTP server (metrics-server.c).
 */
#ifndef CONTAINERV_METRICS_INTERNAL_H
#define CONTAINERV_METRICS_INTERNAL_H

/* The media type of the text exposition format the scrape is written in. */
#define CV_METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

#endif
