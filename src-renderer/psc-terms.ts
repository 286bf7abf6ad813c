import { nextTick } from 'vue';
import { LEARNING_DEFINITION, METRIC_DESCRIPTIONS, PSC_DEFINITIONS } from '../src-shared/types/index.js';
import type { useNavStore } from './stores/nav.js';

/**
 * The PSC view's definitions block states each term once (components/PscDefinitions.vue); everywhere else a term
 * links to it (components/DefinedTerm.vue): its definition on hover, the block on click.
 */
export interface Term {
  key: string;
  name: string;
  text: string;
}

/** Names for the engine's definitions (PSC_DEFINITIONS); a definition added there shows under its key. */
const NAMES: Record<string, string> = {
  pscShare: 'PSC share',
  gap: 'Gap',
  materiality: 'Material',
  pathBias: 'Path bias (action path, no-action path)',
  cvrBias: 'pCVR bias',
  trust: 'Model to trust; within noise',
  impliedGap: 'Implied gap',
  impliedShare: 'Implied PSC share',
  estimates: 'Chained vs constrained estimates (Δ)',
  decomposition: 'Decomposition',
  truthErrors: 'Error against the truth',
  oracleAuc: 'Oracle AUC',
  comparison: 'Pairwise AUC tests',
};

/** The terms in the order a reader meets them in the verdict, then the sections below it. */
const ORDER = [
  'pscShare',
  'materiality',
  'pathBias',
  'cvrBias',
  'trust',
  'learned',
  'cvrAuc',
  'cvrLogloss',
  'gap',
  'impliedGap',
  'impliedShare',
  'estimates',
  'decomposition',
  'truthErrors',
  'oracleAuc',
  'comparison',
];

export const TERMS: Term[] = (() => {
  const all = new Map<string, Term>(
    Object.entries(PSC_DEFINITIONS).map(([key, text]) => [key, { key, name: NAMES[key] ?? key, text }]),
  );
  all.set('learned', { key: 'learned', name: 'Learned, not ranked', text: LEARNING_DEFINITION });
  all.set('cvrAuc', {
    key: 'cvrAuc',
    name: 'CVR AUC',
    text: `${METRIC_DESCRIPTIONS.cvr_auc}; its 95% interval and the paired differences are DeLong's`,
  });
  all.set('cvrLogloss', { key: 'cvrLogloss', name: 'CVR log-loss', text: METRIC_DESCRIPTIONS.cvr_logloss });
  const rank = (key: string) => (ORDER.includes(key) ? ORDER.indexOf(key) : ORDER.length);
  return [...all.values()].sort((a, b) => rank(a.key) - rank(b.key));
})();

const BY_KEY = new Map(TERMS.map((term) => [term.key, term]));

export function termOf(key: string): Term | undefined {
  return BY_KEY.get(key);
}

/** The id of a term's definition in the PSC view. */
export function definitionId(key: string): string {
  return `psc-definition-${key}`;
}

/** Phrases the verdict's sentences use, by the term they name; the longer of two overlapping phrases first. */
const PHRASES: [RegExp, string][] = [
  [/bypass the in-shop action|without an in-shop action/, 'pscShare'],
  [/\b(?:not )?material\b/, 'materiality'],
  [/no-action path|action path/, 'pathBias'],
  [/mean pCVR/, 'cvrBias'],
  [/\b[Tt]rust\b/, 'trust'],
  [/[Ww]ithin noise|[Bb]eyond noise/, 'trust'],
  [/did not learn|[Nn]ot ranked|[Nn]o model learned/, 'learned'],
  [/CVR AUCs?/, 'cvrAuc'],
  [/CVR log-loss/, 'cvrLogloss'],
  [/RMSE|error against the (?:known )?true CVR/, 'truthErrors'],
];

export interface Segment {
  text: string;
  /** The term this piece of text names, linked to its definition; absent for plain text. */
  term?: string;
}

/**
 * A sentence cut into plain text and the terms it names (each term's first mention only), so that the pieces put
 * back together are the sentence exactly.
 */
export function segmentsOf(sentence: string): Segment[] {
  const found: { start: number; end: number; term: string }[] = [];
  const linked = new Set<string>();
  for (const [pattern, term] of PHRASES) {
    if (linked.has(term)) continue;
    const match = pattern.exec(sentence);
    if (!match) continue;
    const start = match.index;
    const end = start + match[0].length;
    if (found.some((f) => start < f.end && f.start < end)) continue;
    found.push({ start, end, term });
    linked.add(term);
  }
  found.sort((a, b) => a.start - b.start);
  const segments: Segment[] = [];
  let at = 0;
  for (const { start, end, term } of found) {
    if (start > at) segments.push({ text: sentence.slice(at, start) });
    segments.push({ text: sentence.slice(start, end), term });
    at = end;
  }
  if (at < sentence.length) segments.push({ text: sentence.slice(at) });
  return segments;
}

/**
 * Brings a term's definition into view: in the PSC view where it is shown, else after opening that view. The
 * URL's hash stays the nav store's, so the link never changes the view by itself.
 */
export async function showDefinition(key: string, nav: ReturnType<typeof useNavStore>): Promise<void> {
  const id = definitionId(key);
  let target = document.getElementById(id);
  if (!target) {
    nav.open('psc');
    await nextTick();
    await nextTick();
    target = document.getElementById(id);
  }
  if (!target) return;
  target.scrollIntoView?.({ block: 'center', behavior: 'smooth' });
  target.focus({ preventScroll: true });
  target.classList.add('highlight');
  setTimeout(() => target.classList.remove('highlight'), 2000);
}
