/**
 * Email messages for alerts: subject and text body from templates, an HTML alternative made from
 * the text (escaped, preformatted: mail clients that prefer HTML show the same words, and no value
 * from an event can inject markup), and digests that gather a batch of alerts into one email.
 */
import type { Event } from '../../../core/event.js';
import { ALERT_TIME, alertField, alertSeverity, compileTextTemplate, truncate, type TextTemplate } from '../../_shared/text-template.js';

export const DEFAULT_SUBJECT = `[Sluice] [${alertField('severity', '"alert"')}] ${alertField('title')}`;
export const DEFAULT_BODY = [
  alertField('title'),
  '',
  `Severity:  ${alertField('severity')}`,
  `Rule:      ${alertField('rule')}`,
  `Rule id:   ${alertField('rule_id')}`,
  `Time:      ${ALERT_TIME}`,
  `Host:      ${alertField('host')}`,
  `User:      ${alertField('user')}`,
  `Source IP: ${alertField('ip')}`,
  `ATT&CK:    ${alertField('techniques')}`,
  `Product:   ${alertField('product')}`,
  `Finding:   ${alertField('finding_id')}`,
  '',
  alertField('message'),
  '',
  'The alert as Sluice received it:',
  '{{ . | pretty }}',
].join('\n');
export const DEFAULT_DIGEST_SUBJECT = '[Sluice] {{ .count }} alerts, highest severity {{ .severity ?? "unknown" }}: {{ .titles }}';

/** Longest subject: mail clients show far less, and a folded 1000-character header helps nobody. */
const MAX_SUBJECT = 250;

export interface Mail { subject: string; text: string; html?: string }

export interface MessageOptions {
  subject: TextTemplate;
  body: TextTemplate;
  digestSubject: TextTemplate;
  html: boolean;
}

const oneLine = (s: string) => s.replace(/\s+/g, ' ').trim();
/** A missing message line leaves two blank lines around it: keep one. */
const tidy = (s: string) => s.replace(/\n{3,}/g, '\n\n').trim() + '\n';

export function htmlOf(text: string): string {
  const esc = text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
  return `<!doctype html>\n<html><body><pre style="font-family: ui-monospace, Menlo, Consolas, monospace; white-space: pre-wrap">${esc}</pre></body></html>\n`;
}

export class MessageMaker {
  private readonly title = compileTextTemplate(alertField('title'), ['(built-in)']);

  constructor(private readonly o: MessageOptions) {}

  one(e: Event): Mail {
    const text = tidy(this.o.body.render(e));
    return { subject: truncate(oneLine(this.o.subject.render(e)) || 'Sluice alert', MAX_SUBJECT), text, html: this.o.html ? htmlOf(text) : undefined };
  }

  /**
   * One email for several alerts. The digest subject renders over a summary: `.count`,
   * `.severity` (the highest), `.titles` (`7× SSH brute force, 1× Trail deleted`), `.first` (the
   * first alert) and `.alerts` (all of them).
   */
  digest(events: readonly Event[]): Mail {
    const counts = new Map<string, number>();
    let top: { id: number; caption: string } | null = null;
    for (const e of events) {
      const t = oneLine(this.title.render(e));
      counts.set(t, (counts.get(t) ?? 0) + 1);
      const sev = alertSeverity(e);
      if (sev && sev.id !== 99 && (!top || sev.id > top.id)) top = sev;
    }
    const titles = [...counts].sort((a, b) => b[1] - a[1]).map(([t, n]) => `${n}× ${t}`).join(', ');
    const summary: Event = { count: events.length, severity: top?.caption, titles, first: events[0], alerts: events };
    const parts = events.map((e, i) => `=== Alert ${i + 1} of ${events.length} ===\n\n${tidy(this.o.body.render(e))}`);
    const text = `${events.length} alerts${top ? `, highest severity ${top.caption}` : ''}: ${titles}\n\n${parts.join('\n')}`;
    return { subject: truncate(oneLine(this.o.digestSubject.render(summary)) || `Sluice: ${events.length} alerts`, MAX_SUBJECT), text, html: this.o.html ? htmlOf(text) : undefined };
  }
}
