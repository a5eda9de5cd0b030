/**
 * `normalize`: turns security events into OCSF with a pack per source (CloudTrail, Okta, Zeek,
 * sshd, ...): map, fill derived fields, validate, and send what cannot be mapped or is not valid
 * OCSF to `errors` with the reason. Source fields a pack does not map stay under `unmapped`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ComponentConfigError, defineComponent } from '../../../core/component.js';
import type { Event } from '../../../core/event.js';
import { s } from '../../../core/schema.js';
import { DriftTracker } from '../../../ocsf/drift.js';
import { describeViolations, Normalizer, UnknownPackError } from '../../../ocsf/normalizer.js';
import { packs } from '../../../ocsf/packs.js';

const version = (JSON.parse(readFileSync(new URL('../../../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

export const config = s.object({
  pack: s.string().default('auto').desc('The pack for every event (`aws_cloudtrail`, `linux_auth`, ...; `sluice ocsf packs` lists them), or `auto` to recognise each event\'s source by its shape.').example('aws_cloudtrail'),
  packs: s.list(s.string()).desc('With `pack: auto`, only consider these packs (faster, and no surprise matches).'),
  validate: s.enum('strict', 'warn', 'off').default('strict').desc('`strict`: events that are not valid OCSF go to `errors` with every violation. `warn`: they pass, and violations are counted and logged (once a minute per reason). `off`: no validation (derived fields are still filled).'),
  warnings: s.bool().default(false).desc('Also treat warnings (missing recommended attributes, deprecated attributes) as violations.'),
  drift: s.bool().default(true).desc('Track source fields and event types never seen before (schema drift): counted in metrics and listed by `sluice ocsf drift`.'),
});

export default defineComponent({
  type: 'normalize',
  kind: 'transform',
  status: 'beta',
  summary: 'Normalize security events to OCSF 1.8.0 with a pack per source, validated.',
  description: [
    'Each event goes through a pack: named with `pack`, or recognised by its shape (`pack: auto`).',
    'The pack maps it to one OCSF event (or several: a CloudTrail `Records` file, a Trivy report),',
    'the derived fields (`category_uid`, `class_name`, `type_uid`, `type_name`, `activity_name`,',
    '`severity`, `status`, ...) are filled from the schema, and the result is validated against its',
    'class. Events no pack recognises or can map go to `errors` with code `ocsf_unmapped`; invalid',
    'results with `ocsf_invalid` and every violation (`path: reason`). Source fields that a pack',
    'does not map are kept under `unmapped`, so nothing is lost. See docs/ocsf.md for the packs and',
    'their class mapping tables.',
  ].join('\n'),
  capabilities: { stateful: true },
  config,
  build: (cfg, ctx) => {
    let n: Normalizer;
    try {
      n = new Normalizer({ pack: cfg.pack, packs: cfg.packs, validate: cfg.validate, warnings: cfg.warnings, productVersion: version });
    } catch (e) {
      if (e instanceof UnknownPackError) {
        const at = cfg.pack === e.pack ? ['pack'] : ['packs', cfg.packs!.indexOf(e.pack)];
        throw new ComponentConfigError(`unknown pack \`${e.pack}\``, at, `use ${cfg.pack === e.pack ? 'auto or ' : ''}one of ${packs.map((x) => x.name).join(', ')}`);
      }
      throw e;
    }
    const drift = cfg.drift ? new DriftTracker(join(ctx.dataDir, 'ocsf-drift.json')) : null;
    const counts = new Map<string, number>();
    const count = (k: string) => counts.set(k, (counts.get(k) ?? 0) + 1);
    const warned = new Map<string, number>();

    return {
      counters: () => Object.fromEntries(counts),
      process(events: Event[], out) {
        const now = Date.now();
        for (let i = 0; i < events.length; i++) {
          const e = events[i]!;
          for (const o of n.run(e, now)) {
            const name = o.pack?.name ?? 'none';
            if (!o.ok) {
              count(`${o.code}.${name}`);
              // An invalid result keeps the source event next to it, for whoever fixes the pack.
              out.error(o.event ? { ...o.event, source_event: e } : e, o.reason, o.code);
              continue;
            }
            if (o.violations.length) {
              count(`ocsf_invalid.${name}`);
              const reason = `${name}: ${o.violations[0]!.path}: ${o.violations[0]!.reason}`;
              if (now - (warned.get(reason) ?? 0) > 60_000) { warned.set(reason, now); ctx.log.warn(`not valid OCSF (validate: warn, passing it on): ${describeViolations(o.violations)}`); }
            }
            count(`ocsf_mapped.${name}`);
            drift?.observe(name, o.event, now);
            out.push(o.event);
          }
        }
        if (drift) {
          for (const [k, v] of drift.newCounts) counts.set(`ocsf_new_${k.startsWith('field') ? 'fields' : 'event_types'}.${k.slice(k.indexOf('.') + 1)}`, v);
          try { drift.save(now); } catch (err) { ctx.log.warn(`could not save schema drift: ${(err as Error).message}`); }
        }
      },
      stop() {
        try { drift?.save(Date.now(), 0); } catch (err) { ctx.log.warn(`could not save schema drift: ${(err as Error).message}`); }
      },
    };
  },
});
