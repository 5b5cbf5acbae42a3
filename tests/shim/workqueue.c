// SPDX-License-Identifier: GPL-2.0
/*
 * The shim's workqueues: one worker thread per workqueue, one lock and one
 * condition variable for all of them (work is rare: resizes and deferred
 * frees), and a global pause for tests.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <linux/kernel.h>
#include <linux/slab.h>
#include <linux/workqueue.h>

#include "shim.h"

struct workqueue_struct {
	struct workqueue_struct *next_wq;	/* all workqueues */
	struct work_struct *head, **tail;	/* pending, in order */
	struct work_struct *running;
	pthread_t thread;
	bool started, stop, allocated;
	char name[32];
};

static pthread_mutex_t wq_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wq_cond = PTHREAD_COND_INITIALIZER;
static struct workqueue_struct *all_wqs;
static bool wq_paused;
static __thread struct work_struct *cur_work;

static struct workqueue_struct system_wq_s = { .name = "events" };
static struct workqueue_struct system_unbound_wq_s = { .name = "events_unbound" };
struct workqueue_struct *system_wq = &system_wq_s;
struct workqueue_struct *system_unbound_wq = &system_unbound_wq_s;

struct work_struct *shim_current_work(void)
{
	return cur_work;
}

/* Under wq_lock. */
static void wq_register(struct workqueue_struct *wq)
{
	struct workqueue_struct *w;

	for (w = all_wqs; w; w = w->next_wq)
		if (w == wq)
			return;
	if (!wq->tail)
		wq->tail = &wq->head;
	wq->next_wq = all_wqs;
	all_wqs = wq;
}

/* Under wq_lock: take the first pending item, mark it running. */
static struct work_struct *wq_take(struct workqueue_struct *wq)
{
	struct work_struct *w = wq->head;

	if (!w)
		return NULL;
	wq->head = w->next;
	if (!wq->head)
		wq->tail = &wq->head;
	w->next = NULL;
	/* Clear PENDING before running: a queue_work() from now on reruns. */
	__atomic_and_fetch(&w->flags, ~WORK_STRUCT_PENDING, __ATOMIC_SEQ_CST);
	wq->running = w;
	return w;
}

/* Run @w, taken from @wq, with wq_lock held on entry and on return. */
static void wq_run(struct workqueue_struct *wq, struct work_struct *w)
{
	struct work_struct *was = cur_work;

	pthread_mutex_unlock(&wq_lock);
	cur_work = w;
	w->func(w);
	cur_work = was;
	pthread_mutex_lock(&wq_lock);
	wq->running = NULL;
	pthread_cond_broadcast(&wq_cond);
}

static void *wq_thread(void *arg)
{
	struct workqueue_struct *wq = arg;
	struct work_struct *w;

	shim_thread_start(wq->name);
	pthread_mutex_lock(&wq_lock);
	for (;;) {
		while (!wq->stop && (wq_paused || !wq->head))
			pthread_cond_wait(&wq_cond, &wq_lock);
		if (wq->stop && !wq->head)
			break;
		if (wq_paused)
			continue;
		w = wq_take(wq);
		wq_run(wq, w);
	}
	pthread_mutex_unlock(&wq_lock);
	shim_thread_stop();
	return NULL;
}

bool queue_work(struct workqueue_struct *wq, struct work_struct *w)
{
	/* Cheap check first: writers call this often while a resize is due. */
	if (__atomic_load_n(&w->flags, __ATOMIC_SEQ_CST) & WORK_STRUCT_PENDING)
		return false;
	pthread_mutex_lock(&wq_lock);
	if (w->flags & WORK_STRUCT_PENDING) {
		pthread_mutex_unlock(&wq_lock);
		return false;
	}
	__atomic_or_fetch(&w->flags, WORK_STRUCT_PENDING, __ATOMIC_SEQ_CST);
	wq_register(wq);
	w->wq = wq;
	w->next = NULL;
	*wq->tail = w;
	wq->tail = &w->next;
	if (!wq->started) {
		if (pthread_create(&wq->thread, NULL, wq_thread, wq)) {
			perror("cmap shim: workqueue thread");
			abort();
		}
		wq->started = true;
	}
	pthread_cond_broadcast(&wq_cond);
	pthread_mutex_unlock(&wq_lock);
	return true;
}

static void rcu_work_rcufn(struct rcu_head *head)
{
	struct rcu_work *rwork = container_of(head, struct rcu_work, rcu);

	queue_work(rwork->wq, &rwork->work);
}

bool queue_rcu_work(struct workqueue_struct *wq, struct rcu_work *rwork)
{
	if (work_pending(&rwork->work))
		return false;
	rwork->wq = wq;
	call_rcu(&rwork->rcu, rcu_work_rcufn);
	return true;
}

bool cancel_work_sync(struct work_struct *w)
{
	struct workqueue_struct *wq;
	struct work_struct **pp;
	bool pending = false;

	pthread_mutex_lock(&wq_lock);
	wq = w->wq;
	if (wq && (w->flags & WORK_STRUCT_PENDING)) {
		for (pp = &wq->head; *pp; pp = &(*pp)->next) {
			if (*pp == w) {
				*pp = w->next;
				if (!*pp)
					wq->tail = pp;
				w->next = NULL;
				break;
			}
		}
		__atomic_and_fetch(&w->flags, ~WORK_STRUCT_PENDING,
				   __ATOMIC_SEQ_CST);
		pending = true;
	}
	while (wq && wq->running == w)
		pthread_cond_wait(&wq_cond, &wq_lock);
	pthread_mutex_unlock(&wq_lock);
	return pending;
}

bool flush_work(struct work_struct *w)
{
	struct workqueue_struct *wq;
	bool waited = false;

	pthread_mutex_lock(&wq_lock);
	wq = w->wq;
	while (wq && ((w->flags & WORK_STRUCT_PENDING) || wq->running == w)) {
		BUG_ON(wq_paused && (w->flags & WORK_STRUCT_PENDING));
		pthread_cond_wait(&wq_cond, &wq_lock);
		waited = true;
	}
	pthread_mutex_unlock(&wq_lock);
	return waited;
}

void flush_workqueue(struct workqueue_struct *wq)
{
	pthread_mutex_lock(&wq_lock);
	while (wq->head || wq->running) {
		BUG_ON(wq_paused && wq->head);
		pthread_cond_wait(&wq_cond, &wq_lock);
	}
	pthread_mutex_unlock(&wq_lock);
}

struct workqueue_struct *alloc_workqueue(const char *fmt, unsigned int flags,
					 int max_active, ...)
{
	struct workqueue_struct *wq = kzalloc(sizeof(*wq), GFP_KERNEL);
	va_list ap;

	(void)flags;
	(void)max_active;
	if (!wq)
		return NULL;
	va_start(ap, max_active);
	vsnprintf(wq->name, sizeof(wq->name), fmt, ap);
	va_end(ap);
	wq->tail = &wq->head;
	wq->allocated = true;
	pthread_mutex_lock(&wq_lock);
	wq_register(wq);
	pthread_mutex_unlock(&wq_lock);
	return wq;
}

void destroy_workqueue(struct workqueue_struct *wq)
{
	struct workqueue_struct **pp;

	pthread_mutex_lock(&wq_lock);
	/* Drain: a paused test runs the rest itself. */
	while (wq->head || wq->running) {
		if (wq_paused && !wq->running)
			wq_run(wq, wq_take(wq));
		else
			pthread_cond_wait(&wq_cond, &wq_lock);
	}
	wq->stop = true;
	pthread_cond_broadcast(&wq_cond);
	for (pp = &all_wqs; *pp; pp = &(*pp)->next_wq) {
		if (*pp == wq) {
			*pp = wq->next_wq;
			break;
		}
	}
	pthread_mutex_unlock(&wq_lock);
	if (wq->started)
		pthread_join(wq->thread, NULL);
	if (wq->allocated)
		kfree(wq);
}

void shim_wq_pause(void)
{
	struct workqueue_struct *wq;
	bool busy;

	pthread_mutex_lock(&wq_lock);
	wq_paused = true;
	do {
		busy = false;
		for (wq = all_wqs; wq; wq = wq->next_wq)
			busy |= wq->running != NULL;
		if (busy)
			pthread_cond_wait(&wq_cond, &wq_lock);
	} while (busy);
	pthread_mutex_unlock(&wq_lock);
}

void shim_wq_resume(void)
{
	pthread_mutex_lock(&wq_lock);
	wq_paused = false;
	pthread_cond_broadcast(&wq_cond);
	pthread_mutex_unlock(&wq_lock);
}

unsigned int shim_wq_run_pending(void)
{
	struct workqueue_struct *wq;
	unsigned int n = 0;
	bool again;

	pthread_mutex_lock(&wq_lock);
	BUG_ON(!wq_paused);
	do {
		again = false;
		for (wq = all_wqs; wq; wq = wq->next_wq) {
			if (wq->head && !wq->running) {
				wq_run(wq, wq_take(wq));
				n++;
				again = true;
				break;	/* the list may have changed */
			}
		}
	} while (again);
	pthread_mutex_unlock(&wq_lock);
	return n;
}

void shim_wq_drain(void)
{
	struct workqueue_struct *wq;
	bool busy;

	pthread_mutex_lock(&wq_lock);
	BUG_ON(wq_paused);
	do {
		busy = false;
		for (wq = all_wqs; wq; wq = wq->next_wq)
			busy |= wq->head || wq->running;
		if (busy)
			pthread_cond_wait(&wq_cond, &wq_lock);
	} while (busy);
	pthread_mutex_unlock(&wq_lock);
}

unsigned int shim_wq_nr_pending(void)
{
	struct workqueue_struct *wq;
	struct work_struct *w;
	unsigned int n = 0;

	pthread_mutex_lock(&wq_lock);
	for (wq = all_wqs; wq; wq = wq->next_wq)
		for (w = wq->head; w; w = w->next)
			n++;
	pthread_mutex_unlock(&wq_lock);
	return n;
}
