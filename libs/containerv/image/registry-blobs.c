/*
 * Parallel blob downloads over one curl multi handle: bounded concurrency,
 * Range resume of a partial file (its prefix hashed first), a digest and a
 * size check while streaming, redirects followed without credentials, and
 * one re-authentication on 401.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/digest.h"
#include "common/error.h"
#include "common/util.h"
#include "image/registry.h"

#define RESUMES_MAX 2
#define REDIRECTS_MAX 5

struct job {
	struct cv_blob_fetch *fetch;
	struct cv_http_transfer t;
	struct cv_digester *digester;
	char url[4096];
	char what[600];
	bool credentials;
	bool reauthenticated;
	int redirects;
	int resumes;
	bool active;
	cv_blob_progress_fn progress;
	void *user;
};

static void job_progress(struct cv_http_transfer *t, void *user)
{
	struct job *job = user;
	job->fetch->received = t->written;
	if (job->progress != NULL)
		job->progress(job->fetch, job->user);
}

static int fail(struct job *job, bool corrupt)
{
	if (errno == 0)
		errno = EIO;
	job->fetch->corrupt = corrupt;
	job->fetch->failed = true;
	cv_error_save(&job->fetch->failure);
	return -1;
}

/* Hashes what the partial file already holds (a resumed download). */
static int hash_prefix(struct job *job)
{
	struct cv_blob_fetch *fetch = job->fetch;
	char buffer[128 * 1024];
	uint64_t done = 0;

	if (fetch->offset > fetch->size) {
		if (ftruncate(fetch->fd, 0) < 0)
			return cv_error_sys("%s: truncating the partial download", job->what);
		fetch->offset = 0;
	}
	while (done < fetch->offset) {
		size_t want = sizeof buffer;
		if (want > fetch->offset - done)
			want = (size_t)(fetch->offset - done);
		ssize_t got = pread(fetch->fd, buffer, want, (off_t)done);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			return cv_error_sys("%s: reading the partial download", job->what);
		if (cv_digester_update(job->digester, buffer, (size_t)got) < 0)
			return -1;
		done += (uint64_t)got;
	}
	fetch->received = fetch->offset;
	return 0;
}

/* (Re)creates the transfer for the job's current URL, resuming after what is in the file. */
static int job_prepare(struct cv_registry *registry, struct job *job, char *const *scopes)
{
	cleanup_free char *authorization = NULL;
	char range[64];
	struct curl_slist *headers = NULL;
	uint64_t have = job->fetch->received;

	if (job->credentials && cv_registry_authorization(registry, scopes, &authorization) < 0)
		return cv_error_prefix("%s", job->what);
	if (authorization != NULL && (headers = curl_slist_append(headers, authorization)) == NULL)
		return cv_error_errno(ENOMEM, "out of memory");
	if (have > 0) {
		struct curl_slist *grown;
		snprintf(range, sizeof range, "Range: bytes=%llu-", (unsigned long long)have);
		if ((grown = curl_slist_append(headers, range)) == NULL) {
			curl_slist_free_all(headers);
			return cv_error_errno(ENOMEM, "out of memory");
		}
		headers = grown;
	}
	cv_http_transfer_clear(&job->t);
	if (cv_http_transfer_init(&job->t, &registry->tls, "GET", job->url, headers, 64 * 1024) < 0)
		return -1;
	job->t.fd = job->fetch->fd;
	job->t.digester = job->digester;
	job->t.resume_from = have;
	job->t.written = have;
	job->t.limit = job->fetch->size;
	job->t.on_data = job_progress;
	job->t.user = job;
	return 0;
}

/* The whole blob is in the file: check size and digest. */
static int job_verify(struct job *job)
{
	char actual[72];

	job->fetch->received = job->t.curl ? job->t.written : job->fetch->received;
	if (job->fetch->received != job->fetch->size) {
		cv_error_errno(EBADMSG, "%s: %llu bytes, expected %llu (truncated)", job->what,
		               (unsigned long long)job->fetch->received, (unsigned long long)job->fetch->size);
		/* A truncated answer is kept for resume; a mismatch after it would be caught next time. */
		return fail(job, false);
	}
	if (cv_digester_final(job->digester, actual) < 0)
		return fail(job, false);
	if (strcmp(actual, job->fetch->digest) != 0) {
		cv_error_errno(EBADMSG, "%s: digest mismatch (the content is %s)", job->what, actual);
		return fail(job, true);
	}
	job->fetch->done = true;
	return 0;
}

static int job_start(struct cv_registry *registry, struct job *job, char *const *scopes)
{
	if (cv_digester_new(&job->digester) < 0 || hash_prefix(job) < 0)
		return fail(job, false);
	if (job->fetch->offset == job->fetch->size)
		return job_verify(job) < 0 ? -1 : 1; /* complete already: nothing to send */
	if (job_prepare(registry, job, scopes) < 0)
		return fail(job, false);
	return 0;
}

/*
 * A transfer ended: 1 when it must be sent again (redirect, re-auth, resume),
 * 0 when the job is finished (done or failed).
 */
static int job_finished(struct cv_registry *registry, struct job *job, CURLcode code, char *const *scopes)
{
	struct cv_http_transfer *t = &job->t;

	/* The digester may have been replaced (a server that ignored Range). */
	job->digester = t->digester;
	job->fetch->received = t->written;
	if (code != CURLE_OK) {
		cv_http_check_result(t, code, job->what);
		if (t->too_long)
			return fail(job, true), 0;
		if (t->write_errno == 0 && !t->body_too_large && job->resumes++ < RESUMES_MAX &&
		    (t->status == 200 || t->status == 206))
			return job_prepare(registry, job, scopes) < 0 ? (fail(job, false), 0) : 1;
		return fail(job, false), 0;
	}
	if (t->status == 401 && job->credentials && !job->reauthenticated &&
	    registry->challenge.scheme == CV_AUTH_BEARER) {
		job->reauthenticated = true;
		if (cv_registry_authenticate(registry, scopes, true) < 0 || job_prepare(registry, job, scopes) < 0) {
			cv_error_prefix("%s", job->what);
			return fail(job, false), 0;
		}
		return 1;
	}
	if ((t->status == 301 || t->status == 302 || t->status == 303 || t->status == 307 || t->status == 308) &&
	    t->location != NULL) {
		char next[sizeof job->url];
		if (++job->redirects > REDIRECTS_MAX) {
			cv_error_errno(ELOOP, "%s: too many redirects", job->what);
			return fail(job, false), 0;
		}
		if (cv_http_resolve(job->url, t->location, next, sizeof next) < 0) {
			cv_error_prefix("%s", job->what);
			return fail(job, false), 0;
		}
		/* Object-store redirects: the registry's credentials never leave for another origin. */
		if (!cv_http_same_origin(next, job->url))
			job->credentials = false;
		strcpy(job->url, next);
		return job_prepare(registry, job, scopes) < 0 ? (fail(job, false), 0) : 1;
	}
	if (t->status == 416 && job->fetch->received > 0) {
		/* The partial is no prefix the server knows: start over. */
		if (ftruncate(job->fetch->fd, 0) < 0) {
			cv_error_sys("%s: truncating the partial download", job->what);
			return fail(job, false), 0;
		}
		cv_digester_free(job->digester);
		job->digester = NULL;
		job->fetch->received = 0;
		if (cv_digester_new(&job->digester) < 0 || job_prepare(registry, job, scopes) < 0)
			return fail(job, false), 0;
		return 1;
	}
	if (t->status != 200 && t->status != 206) {
		cv_registry_status_error(registry, t, job->what);
		return fail(job, false), 0;
	}
	job_verify(job);
	return 0;
}

int cv_registry_fetch_blobs(struct cv_registry *registry, const char *repository, struct cv_blob_fetch *fetches,
                            size_t count, unsigned max_parallel, cv_blob_progress_fn progress, cv_blob_progress_fn done,
                            void *user)
{
	cleanup_strv char **scopes = NULL;
	cleanup_free struct job *jobs = NULL;
	CURLM *multi;
	size_t next = 0, active = 0, failed = SIZE_MAX;
	int running;

	if (count == 0)
		return 0;
	if (max_parallel == 0)
		max_parallel = 4;
	if (cv_registry_scopes(repository, false, NULL, &scopes) < 0)
		return -1;
	/* A token before the first transfer, so parallel transfers do not all fetch one. */
	if (cv_registry_authenticate(registry, scopes, false) < 0)
		return -1;
	jobs = calloc(count, sizeof *jobs);
	multi = curl_multi_init();
	if (jobs == NULL || multi == NULL) {
		curl_multi_cleanup(multi);
		return cv_error_errno(ENOMEM, "out of memory");
	}
	curl_multi_setopt(multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)max_parallel);
	for (size_t i = 0; i < count; i++) {
		jobs[i].fetch = &fetches[i];
		jobs[i].credentials = true;
		jobs[i].progress = progress;
		jobs[i].user = user;
		fetches[i].done = fetches[i].corrupt = false;
		fetches[i].failed = false;
		snprintf(jobs[i].what, sizeof jobs[i].what, "registry %s: blob %s of %s", registry->name,
		         fetches[i].digest, repository);
		snprintf(jobs[i].url, sizeof jobs[i].url, "%s/v2/%s/blobs/%s", registry->base, repository,
		         fetches[i].digest);
	}

	do {
		while (active < max_parallel && next < count) {
			struct job *job = &jobs[next++];
			int started = job_start(registry, job, scopes);
			if (started == 1 && done != NULL)
				done(job->fetch, user);
			if (started != 0)
				continue; /* failed or already complete */
			curl_multi_add_handle(multi, job->t.curl);
			job->active = true;
			active++;
		}
		if (active == 0)
			break;
		CURLMcode mcode = curl_multi_perform(multi, &running);
		if (mcode != CURLM_OK) {
			cv_error_errno(EIO, "registry %s: %s", registry->name, curl_multi_strerror(mcode));
			break;
		}
		CURLMsg *message;
		int left;
		bool changed = false;
		while ((message = curl_multi_info_read(multi, &left)) != NULL) {
			if (message->msg != CURLMSG_DONE)
				continue;
			struct job *job = NULL;
			for (size_t i = 0; i < count; i++)
				if (jobs[i].active && jobs[i].t.curl == message->easy_handle)
					job = &jobs[i];
			if (job == NULL)
				continue;
			CURLcode code = message->data.result;
			curl_multi_remove_handle(multi, job->t.curl);
			changed = true;
			if (job_finished(registry, job, code, scopes) == 1) {
				curl_multi_add_handle(multi, job->t.curl);
			} else {
				job->active = false;
				active--;
				if (job->fetch->done && done != NULL)
					done(job->fetch, user);
			}
		}
		/* Wait only when nothing ended: a finished transfer frees a slot or needs sending again now. */
		if (!changed && running > 0 && curl_multi_poll(multi, NULL, 0, 1000, NULL) != CURLM_OK) {
			cv_error_errno(EIO, "registry %s: curl_multi_poll failed", registry->name);
			break;
		}
	} while (active > 0 || next < count);

	for (size_t i = 0; i < count; i++) {
		if (jobs[i].active) {
			curl_multi_remove_handle(multi, jobs[i].t.curl);
			jobs[i].digester = jobs[i].t.digester; /* it may have been replaced (Range ignored) */
		}
		cv_http_transfer_clear(&jobs[i].t);
		cv_digester_free(jobs[i].digester);
		if (!fetches[i].done && failed == SIZE_MAX)
			failed = i;
	}
	curl_multi_cleanup(multi);
	if (failed != SIZE_MAX) {
		if (fetches[failed].failed)
			cv_error_restore(&fetches[failed].failure);
		return -1;
	}
	return 0;
}
