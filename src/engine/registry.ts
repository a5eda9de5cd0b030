/** The component registry: an explicit list handed to the engine (no registration by import side effects). */
import type { ComponentDefinition, ComponentKind } from '../core/component.js';
import { closest } from '../core/text.js';

export class Registry {
  private readonly byKey = new Map<string, ComponentDefinition>();

  constructor(defs: readonly ComponentDefinition<any, any>[]) {
    for (const d of defs) {
      const k = `${d.kind}:${d.type}`;
      if (this.byKey.has(k)) throw new Error(`duplicate component definition ${k}`);
      this.byKey.set(k, d as ComponentDefinition);
    }
  }

  get(kind: ComponentKind, type: string): ComponentDefinition | undefined {
    return this.byKey.get(`${kind}:${type}`);
  }

  list(kind?: ComponentKind): ComponentDefinition[] {
    return [...this.byKey.values()].filter((d) => !kind || d.kind === kind).sort((a, b) => a.type.localeCompare(b.type));
  }

  /** Suggest the closest type id of the same kind, or name the kind that has it. */
  suggest(kind: ComponentKind, type: string): string {
    for (const other of ['source', 'transform', 'sink'] as const) {
      if (other !== kind && this.get(other, type)) return `\`${type}\` is a ${other}; declare it under ${other}s:`;
    }
    const near = closest(type, this.list(kind).map((d) => d.type));
    const all = this.list(kind).map((d) => d.type).join(', ');
    return near ? `did you mean \`${near}\`? (${kind}s: ${all})` : `${kind}s: ${all}`;
  }
}
