/**
 * Rebuilds the flattened, indexed attributes that OpenInference, OpenLLMetry and Agent Lightning emit
 * (`llm.input_messages.0.message.role`, `gen_ai.prompt.1.content`, `agentlightning.reward.0.value`) into nested
 * nodes, in one pass over the keys that carry the prefix. Dotted names are split on every dot, so readers look
 * values up by path (`node.message.tool_calls`) rather than by the original flattened key.
 */
import type { AttributeValue } from '../model/otlp.ts';

export interface IndexedNode {
  value?: AttributeValue;
  children?: Map<string, IndexedNode>;
}

/** Adds one flattened key (already stripped of its prefix and the following dot) to the tree. */
export function addIndexedKey(root: IndexedNode, path: string, value: AttributeValue): void {
  let node = root;
  let start = 0;
  while (start <= path.length) {
    const dot = path.indexOf('.', start);
    const segment = dot === -1 ? path.slice(start) : path.slice(start, dot);
    node.children ??= new Map();
    let child = node.children.get(segment);
    if (child === undefined) {
      child = {};
      node.children.set(segment, child);
    }
    node = child;
    if (dot === -1) break;
    start = dot + 1;
  }
  node.value = value;
}

/** The node at a dotted path below `node`, if any. */
export function childAt(node: IndexedNode | undefined, path: string): IndexedNode | undefined {
  let current = node;
  for (const segment of path.split('.')) {
    current = current?.children?.get(segment);
    if (current === undefined) return undefined;
  }
  return current;
}

/** The leaf value at a dotted path below `node`. */
export function valueAt(node: IndexedNode | undefined, path: string): AttributeValue | undefined {
  return childAt(node, path)?.value;
}

/** The numerically indexed children of a node, in index order (gaps are skipped, not filled). */
export function indexedChildren(node: IndexedNode | undefined): IndexedNode[] {
  if (node?.children === undefined) return [];
  const entries: Array<[number, IndexedNode]> = [];
  for (const [key, child] of node.children) {
    const index = Number(key);
    if (Number.isInteger(index) && index >= 0) entries.push([index, child]);
  }
  entries.sort((a, b) => a[0] - b[0]);
  return entries.map((entry) => entry[1]);
}
