/* A progress bar on stderr, only when stderr is a terminal: a log file or a
 * pipe gets the per-file lines and the summary, never escape sequences. */
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "verify/sign.h"

#define REDRAW_NS (100 * 1000 * 1000)   /* ten frames a second are plenty */
#define BAR_MAX 50

static uint64_t
now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void
progress_init(struct progress *pr, int on, size_t total, const char *what)
{
    memset(pr, 0, sizeof(*pr));
    pr->on = on && isatty(STDERR_FILENO);
    pr->total = total;
    pr->what = what;
}

static void
draw(struct progress *pr)
{
    char bar[BAR_MAX + 1];
    struct winsize ws;
    size_t width = BAR_MAX, fill, pct;

    /* Narrow terminals get a shorter bar rather than a wrapped line. */
    if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0 && ws.ws_col < BAR_MAX + 40)
        width = ws.ws_col > 40 ? ws.ws_col - 40 : 0;
    pct = pr->total ? pr->done * 100 / pr->total : 100;
    fill = pr->total ? pr->done * width / pr->total : width;
    memset(bar, '#', fill);
    memset(bar + fill, '.', width - fill);
    bar[width] = '\0';
    /* stdout may share the terminal: what it holds goes above the bar. */
    fflush(stdout);
    fprintf(stderr, "\r\033[K%s [%s] %3zu%% %zu/%zu", pr->what, bar, pct, pr->done, pr->total);
    fflush(stderr);
    pr->shown = 1;
}

void
progress_tick(struct progress *pr, size_t done)
{
    uint64_t t;

    if (!pr->on)
        return;
    pr->done = done;
    t = now_ns();
    if (pr->shown && done < pr->total && t - pr->last_ns < REDRAW_NS)
        return;
    pr->last_ns = t;
    draw(pr);
}

void
progress_hide(struct progress *pr)
{
    if (!pr->on || !pr->shown)
        return;
    fputs("\r\033[K", stderr);
    fflush(stderr);
    pr->shown = 0;
}
