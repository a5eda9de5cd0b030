/**
 * Slack messages for alerts: the `text` (what notifications and screen readers show) and Block
 * Kit blocks (a header with the title, a section with the facts, the alert's message, and a
 * context line), plus the summary that stands in for alerts over `max_per_minute`.
 *
 * Slack refuses a whole message with `invalid_blocks` when one block passes a limit, so every
 * text is cut to Slack's documented limits here: header 150 characters, section text 3000, a
 * section field 2000, at most 10 fields. Field values are escaped for mrkdwn (`&`, `<`, `>`), so an
 * attacker-controlled value such as a user name `<!channel>` cannot ping a channel or forge a link.
 */
import type { Event } from '../../../core/event.js';
import { ALERT, ALERT_TIME, alertField, alertSeverity, alertTechniques, compileTextTemplate, truncate, type TextTemplate } from '../../_shared/text-template.js';

export const LIMITS = { header: 150, sectionText: 3000, field: 2000, fields: 10, text: 3000, contextText: 3000 } as const;

export type TextObject = { type: 'plain_text'; text: string; emoji?: boolean } | { type: 'mrkdwn'; text: string };
export type Block =
  | { type: 'header'; text: TextObject }
  | { type: 'section'; text?: TextObject; fields?: TextObject[] }
  | { type: 'context'; elements: TextObject[] };
export interface SlackMessage { text: string; blocks?: Block[] }

/** mrkdwn control characters, as Slack documents them. */
export function escapeMrkdwn(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

const SEVERITY_EMOJI: Record<number, string> = { 0: ':white_circle:', 1: ':white_circle:', 2: ':large_blue_circle:', 3: ':large_yellow_circle:', 4: ':large_orange_circle:', 5: ':red_circle:', 6: ':red_circle:', 99: ':white_circle:' };

const ATTACK_ID = /^T\d{4}(?:\.(\d{3}))?$/;

/** `<https://attack.mitre.org/techniques/T1110/001/|T1110.001> Brute Force` for a known id form. */
function techniqueText(t: { uid: string; name: string | null }): string {
  const m = ATTACK_ID.exec(t.uid);
  const id = m ? `<https://attack.mitre.org/techniques/${t.uid.slice(0, 5)}/${m[1] ? `${m[1]}/` : ''}|${t.uid}>` : escapeMrkdwn(t.uid);
  return t.name ? `${id} ${escapeMrkdwn(t.name)}` : id;
}

const fact = (name: keyof typeof ALERT): TextTemplate => compileTextTemplate(alertField(name), ['(built-in)']);

export class MessageBuilder {
  // The facts are ordinary templates (text-template.ts ALERT), compiled once per sink.
  private readonly severity = fact('severity');
  private readonly rule = fact('rule');
  private readonly ruleId = fact('rule_id');
  private readonly host = fact('host');
  private readonly user = fact('user');
  private readonly ip = fact('ip');
  private readonly product = fact('product');
  private readonly findingId = fact('finding_id');
  private readonly message = fact('message');
  private readonly time = compileTextTemplate(ALERT_TIME, ['(built-in)']);

  constructor(private readonly title: TextTemplate, private readonly text: TextTemplate, private readonly blocks: boolean) {}

  /** The plain title of an alert (header, summaries). */
  titleOf(e: Event): string {
    return this.title.render(e).replace(/\s+/g, ' ').trim() || 'Sluice alert';
  }

  build(e: Event): SlackMessage {
    const title = this.titleOf(e);
    const text = truncate(this.text.render(e, escapeMrkdwn) || escapeMrkdwn(title), LIMITS.text);
    if (!this.blocks) return { text };

    const sev = alertSeverity(e);
    const fields: TextObject[] = [];
    const field = (label: string, value: string) => {
      if (value !== '' && fields.length < LIMITS.fields) fields.push({ type: 'mrkdwn', text: truncate(`*${label}*\n${value}`, LIMITS.field) });
    };
    const esc = (t: TextTemplate) => t.render(e, escapeMrkdwn);
    field('Severity', sev ? `${SEVERITY_EMOJI[sev.id] ?? ''} ${sev.caption}`.trim() : esc(this.severity));
    const rule = esc(this.rule);
    const ruleId = esc(this.ruleId);
    field('Rule', rule && ruleId ? `${rule}\n\`${ruleId}\`` : rule || (ruleId ? `\`${ruleId}\`` : ''));
    field('Time', this.time.render(e));
    field('Host', esc(this.host));
    field('User', esc(this.user));
    field('Source IP', esc(this.ip));
    field('ATT&amp;CK', alertTechniques(e).map(techniqueText).join(', '));

    const blocks: Block[] = [{ type: 'header', text: { type: 'plain_text', text: truncate(title, LIMITS.header), emoji: true } }];
    if (fields.length) blocks.push({ type: 'section', fields });
    const message = this.message.render(e);
    if (message !== '' && message.trim() !== title) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: truncate(escapeMrkdwn(message), LIMITS.sectionText) } });
    const context = [esc(this.product) || 'Sluice', this.findingId.render(e) ? `finding \`${esc(this.findingId)}\`` : ''].filter((x) => x !== '');
    blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: truncate(context.join(' · '), LIMITS.contextText) }] });
    return { text, blocks };
  }

  /**
   * One message standing for `events` (alerts over max_per_minute): how many, and the titles
   * with their counts and highest severity, most frequent first.
   */
  summary(events: readonly Event[], maxPerMinute: number): SlackMessage {
    const groups = new Map<string, { count: number; sev: number; caption: string }>();
    for (const e of events) {
      const title = this.titleOf(e);
      const sev = alertSeverity(e);
      const g = groups.get(title) ?? { count: 0, sev: -1, caption: '' };
      g.count++;
      if (sev && sev.id !== 99 && sev.id > g.sev) { g.sev = sev.id; g.caption = sev.caption; }
      groups.set(title, g);
    }
    const sorted = [...groups].sort((a, b) => b[1].count - a[1].count || b[1].sev - a[1].sev);
    const shown = sorted.slice(0, 10);
    const n = events.length;
    const noun = n === 1 ? 'alert' : 'alerts';
    const text = truncate(`and ${n} more ${noun}: ${shown.map(([t, g]) => `${g.count}× ${escapeMrkdwn(t)}`).join(', ')}${sorted.length > shown.length ? ', …' : ''}`, LIMITS.text);
    if (!this.blocks) return { text };
    let list = shown.map(([t, g]) => `• ${g.count}× *${escapeMrkdwn(t)}*${g.caption ? ` (${g.caption})` : ''}`).join('\n');
    if (sorted.length > shown.length) list += `\n• and ${sorted.length - shown.length} other titles`;
    return {
      text,
      blocks: [
        { type: 'header', text: { type: 'plain_text', text: `and ${n} more ${noun}`, emoji: true } },
        { type: 'section', text: { type: 'mrkdwn', text: truncate(list, LIMITS.sectionText) } },
        { type: 'context', elements: [{ type: 'mrkdwn', text: `Sluice · summarized: more than ${maxPerMinute} messages in a minute (max_per_minute)` }] },
      ],
    };
  }
}
