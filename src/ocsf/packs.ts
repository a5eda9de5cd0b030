/**
 * Every OCSF pack, listed explicitly (like the component registry): adding a pack means adding one
 * line here. The order is the order of auto-detection: more specific shapes first, free-text
 * line formats last.
 */
import awsCloudtrail from '../../packs/aws_cloudtrail/index.js';
import falco from '../../packs/falco/index.js';
import githubAudit from '../../packs/github_audit/index.js';
import k8sAudit from '../../packs/k8s_audit/index.js';
import linuxAuth from '../../packs/linux_auth/index.js';
import okta from '../../packs/okta/index.js';
import sarif from '../../packs/sarif/index.js';
import suricata from '../../packs/suricata/index.js';
import trivy from '../../packs/trivy/index.js';
import webAccess from '../../packs/web_access/index.js';
import windows from '../../packs/windows/index.js';
import zeek from '../../packs/zeek/index.js';
import type { Pack } from './pack.js';

export const packs: readonly Pack[] = [
  awsCloudtrail, okta, githubAudit, k8sAudit, trivy, sarif, zeek, windows,
  suricata, falco, linuxAuth, webAccess,
];

export function packNamed(name: string): Pack | undefined {
  return packs.find((p) => p.name === name);
}

/** The first pack that recognises the event, or undefined. */
export function detectPack(e: Record<string, unknown>, among: readonly Pack[] = packs): Pack | undefined {
  for (let i = 0; i < among.length; i++) if (among[i]!.detect(e)) return among[i];
  return undefined;
}
