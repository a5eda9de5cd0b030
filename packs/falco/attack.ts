/**
 * MITRE ATT&CK from Falco rule tags. The Falco rulesets tag rules with the tactic as
 * `mitre_<tactic>` (`mitre_execution`), sometimes also as its id (`TA0003`), and with technique
 * ids (`T1059`, `T1059.004`). The tags do not say which technique belongs to which tactic, so a
 * technique is paired with a tactic only when the rule names exactly one tactic; otherwise
 * techniques and tactics are listed as separate OCSF `attack` objects rather than guessed pairs.
 * Unknown `mitre_*` tags (old rulesets tagged some technique names that way) stay in the finding's
 * `types` only.
 */

type Obj = Record<string, unknown>;
interface Tactic { uid: string; name: string }

// ATT&CK Enterprise tactics, by the tag the Falco rulesets use for each.
const TACTIC_TAGS: Record<string, Tactic> = {
  mitre_reconnaissance: { uid: 'TA0043', name: 'Reconnaissance' },
  mitre_resource_development: { uid: 'TA0042', name: 'Resource Development' },
  mitre_initial_access: { uid: 'TA0001', name: 'Initial Access' },
  mitre_execution: { uid: 'TA0002', name: 'Execution' },
  mitre_persistence: { uid: 'TA0003', name: 'Persistence' },
  mitre_privilege_escalation: { uid: 'TA0004', name: 'Privilege Escalation' },
  mitre_defense_evasion: { uid: 'TA0005', name: 'Defense Evasion' },
  mitre_credential_access: { uid: 'TA0006', name: 'Credential Access' },
  mitre_discovery: { uid: 'TA0007', name: 'Discovery' },
  mitre_lateral_movement: { uid: 'TA0008', name: 'Lateral Movement' },
  mitre_collection: { uid: 'TA0009', name: 'Collection' },
  mitre_exfiltration: { uid: 'TA0010', name: 'Exfiltration' },
  mitre_command_and_control: { uid: 'TA0011', name: 'Command and Control' },
  mitre_impact: { uid: 'TA0040', name: 'Impact' },
};
const TACTIC_IDS = new Map<string, Tactic>(Object.values(TACTIC_TAGS).map((t) => [t.uid, t]));

const TECHNIQUE = /^T\d{4}(?:\.\d{3})?$/;

/** The tactic a tag names, if any (a first-character check before the lookups: most tags name none). */
function tacticOf(tag: string): Tactic | undefined {
  const c = tag.charCodeAt(0);
  if (c === 109 /* m */) return Object.hasOwn(TACTIC_TAGS, tag) ? TACTIC_TAGS[tag] : undefined;
  if (c === 84 /* T */ && tag.charCodeAt(1) === 65 /* A */) return TACTIC_IDS.get(tag);
  return undefined;
}

function technique(id: string, tactic: Tactic | undefined): Obj {
  const dot = id.indexOf('.');
  // Each shape as its own literal (no `delete` of absent keys, which would leave a slow-mode
  // object for the validator to walk). A sub-technique (T1059.004) names its parent technique
  // too, as OCSF expects both.
  if (dot < 0) return tactic === undefined ? { technique: { uid: id } } : { tactic: { uid: tactic.uid, name: tactic.name }, technique: { uid: id } };
  const parent = { uid: id.slice(0, dot) };
  return tactic === undefined
    ? { technique: parent, sub_technique: { uid: id } }
    : { tactic: { uid: tactic.uid, name: tactic.name }, technique: parent, sub_technique: { uid: id } };
}

/**
 * OCSF `attack` objects for a rule's tags, or undefined when the tags name no tactic or technique.
 * Returns fresh objects on every call: the event carries the list twice (see index.ts).
 */
export function attacksOf(tags: readonly string[]): Obj[] | undefined {
  let tactics: Tactic[] | undefined;
  let techniques: string[] | undefined;
  for (let i = 0; i < tags.length; i++) {
    const tag = tags[i]!;
    const tactic = tacticOf(tag);
    if (tactic !== undefined) {
      if (tactics === undefined) tactics = [tactic];
      else if (!tactics.includes(tactic)) tactics.push(tactic);
    } else if (tag.charCodeAt(0) === 84 /* T */ && TECHNIQUE.test(tag)) {
      if (techniques === undefined) techniques = [tag];
      else if (!techniques.includes(tag)) techniques.push(tag);
    }
  }
  if (tactics === undefined && techniques === undefined) return undefined;
  const out: Obj[] = [];
  const only = tactics !== undefined && tactics.length === 1 ? tactics[0] : undefined;
  if (techniques !== undefined) for (const id of techniques) out.push(technique(id, only));
  // Tactics not already carried by a technique stand alone.
  if (tactics !== undefined && (only === undefined || techniques === undefined)) {
    for (const t of tactics) out.push({ tactic: { uid: t.uid, name: t.name } });
  }
  return out;
}
