// SPDX-License-Identifier: GPL-2.0
/*
 * mapstat's live view (ncurses): the text report, scrolled and
 * highlighted, refreshed each interval, and its keys.
 */
#include <stdlib.h>
#include <string.h>

#include <curses.h>

#include "mapstat_int.h"

/* ---- the live view --------------------------------------------------- */

struct ui ms_ui;

/* Take over the terminal (ms_ui.on: stdout is one and no -b or --json). */
void ms_ui_start(void)
{
	initscr();
	cbreak();
	noecho();
	keypad(stdscr, TRUE);
	curs_set(0);
}

/* Give the terminal back, if it was taken; free the last report. */
void ms_ui_end(void)
{
	if (ms_ui.on)
		endwin();
	free(ms_ui.text);
}

void ms_ui_draw(void)
{
	int rows, cols, row = 0, line = 0;
	const char *p;

	getmaxyx(stdscr, rows, cols);
	erase();
	if (ms_ui.help) {
		mvprintw(0, 0, "mapstat keys:");
		mvprintw(2, 2, "q          quit");
		mvprintw(3, 2, "p          pause / resume refreshing");
		mvprintw(4, 2, "s          sort by contended / wait / max (now: %s)",
			 ms_sort_name[env.sort]);
		mvprintw(5, 2, "t          next table");
		mvprintw(6, 2, "Up/Down    select a stack; Enter expands or collapses it");
		mvprintw(7, 2, "PgUp/PgDn  scroll");
		mvprintw(8, 2, "h or ?     this help (any key returns)");
		refresh();
		return;
	}
	for (p = ms_ui.text; p && *p && row < rows - 1;) {
		const char *nl = strchr(p, '\n');
		int len = nl ? (int)(nl - p) : (int)strlen(p);

		if (line++ >= ms_ui.scroll) {
			bool hdr = len > 2 && (!strncmp(p, "  TOP", 5) ||
					       !strncmp(p, "TABLE", 5) ||
					       !strncmp(p, "   ID", 5));
			bool sel = len > 3 && p[2] == '>';

			if (hdr || sel)
				attron(sel ? A_REVERSE : A_BOLD);
			mvaddnstr(row++, 0, p, len < cols ? len : cols);
			if (hdr || sel)
				attroff(sel ? A_REVERSE : A_BOLD);
		}
		if (!nl)
			break;
		p = nl + 1;
	}
	attron(A_REVERSE);
	mvprintw(rows - 1, 0, "%s q quit  p pause  s sort(%s)  t table  Enter stack  h help",
		 ms_ui.paused ? "[PAUSED]" : "", ms_sort_name[env.sort]);
	attroff(A_REVERSE);
	refresh();
}

void ms_ui_render(void)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int cols = COLS;

	if (!f)
		return;
	ms_report(f, ms_ui.sel_stack, ms_ui.expand, cols);
	fclose(f);
	free(ms_ui.text);
	ms_ui.text = buf;
}

/* Handle keys until @deadline (monotonic s); true when asked to quit. */
bool ms_ui_wait(double deadline)
{
	for (;;) {
		double left = deadline - now_s();
		int ch;

		if (exiting)
			return true;
		if (left <= 0 && !ms_ui.paused)
			return false;
		timeout(left > 0 ? (int)(left * 1000) + 1 : 200);
		ch = getch();
		if (ch == ERR)
			continue;
		if (ms_ui.help) {
			ms_ui.help = false;
			ms_ui_draw();
			continue;
		}
		switch (ch) {
		case 'q':
		case 'Q':
			return true;
		case 'p':
			ms_ui.paused = !ms_ui.paused;
			break;
		case 's':
			env.sort = (env.sort + 1) % SORT_NR;
			ms_ui_render();
			break;
		case 't': {
			size_t n = ms_tables.n, i;

			for (i = 1; i <= n; i++) {
				size_t j = (ms_selected + i) % (n ? n : 1);

				if (n && ms_table_shown(&ms_tables.t[j])) {
					ms_selected = j;
					ms_selected_id = ms_tables.t[j].info.id;
					break;
				}
			}
			ms_ui.sel_stack = 0;
			ms_ui.expand = false;
			ms_ui_render();
			break;
		}
		case KEY_UP:
		case 'k':
			if (ms_ui.sel_stack > 0)
				ms_ui.sel_stack--;
			ms_ui_render();
			break;
		case KEY_DOWN:
		case 'j':
			if (ms_ui.sel_stack < env.top - 1)
				ms_ui.sel_stack++;
			ms_ui_render();
			break;
		case '\n':
		case '\r':
		case KEY_ENTER:
			ms_ui.expand = !ms_ui.expand;
			ms_ui_render();
			break;
		case KEY_NPAGE:
			ms_ui.scroll += LINES / 2;
			break;
		case KEY_PPAGE:
			ms_ui.scroll = ms_ui.scroll > LINES / 2 ? ms_ui.scroll - LINES / 2 : 0;
			break;
		case 'h':
		case '?':
			ms_ui.help = true;
			break;
		case KEY_RESIZE:
			ms_ui_render();
			break;
		default:
			break;
		}
		ms_ui_draw();
	}
}

