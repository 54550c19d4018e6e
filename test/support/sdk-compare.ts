/**
 * Compares an answer of the official SDK with the facade's (both normalized, dates as `{ $date }`), on the facade's
 * fields: what differs, and the paths the SDK answers besides (array indexes as `[]`), sorted.
 */
export interface Compared {
  diffs: string[];
  sdkOnly: string[];
}

export function compare(sdk: unknown, facade: unknown): Compared {
  const diffs: string[] = [];
  const sdkOnly = new Set<string>();
  const isObject = (x: unknown): x is Record<string, unknown> => !!x && typeof x === 'object' && !Array.isArray(x);
  const walk = (a: unknown, b: unknown, path: string, shape: string) => {
    if (isObject(a) && isObject(b) && !('$date' in a) && !('$date' in b)) {
      for (const k of Object.keys(b)) {
        if (!(k in a)) diffs.push(`${path}.${k}: only the facade gives it (${JSON.stringify(b[k])})`);
        else walk(a[k], b[k], `${path}.${k}`, `${shape}.${k}`);
      }
      for (const k of Object.keys(a)) if (!(k in b) && a[k] !== null) sdkOnly.add(`${shape}.${k}`.replace(/^\./, ''));
      return;
    }
    if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) {
      for (const [i, x] of a.entries()) walk(x, b[i], `${path}[${i}]`, `${shape}[]`);
      return;
    }
    if (JSON.stringify(a) !== JSON.stringify(b))
      diffs.push(`${path || '(value)'}: sdk ${JSON.stringify(a)}, facade ${JSON.stringify(b)}`);
  };
  walk(sdk, facade, '', '');
  return { diffs, sdkOnly: [...sdkOnly].sort() };
}
