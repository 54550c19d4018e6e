/**
 * Finds the first error in text that `JSON.parse` refused (whose messages do not say where on Node 20): a strict
 * recursive-descent reading that stops at the first character that cannot be JSON.
 */
export function locateJsonError(text: string): { offset: number; reason: string } {
  let i = 0;
  const describe = (at: number) => (at >= text.length ? 'the end of the text' : `"${text[at]}"`);
  const stop = (reason: string): never => {
    throw { offset: Math.min(i, text.length), reason } as const;
  };
  const space = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i]!)) i++;
  };
  const literal = (word: string) => {
    if (text.startsWith(word, i)) i += word.length;
    else stop(`unexpected ${describe(i)}`);
  };
  const string = () => {
    i++;
    for (;;) {
      if (i >= text.length) stop('unterminated string');
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        i++;
        return;
      }
      if (c < 0x20) stop('control character or line break inside a string');
      if (c === 0x5c) {
        const e = text[i + 1];
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) stop('bad \\u escape');
          i += 6;
        } else if (e !== undefined && '"\\/bfnrt'.includes(e)) i += 2;
        else stop(`bad escape "\\${e ?? ''}"`);
      } else i++;
    }
  };
  const number = () => {
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
    if (!m || m[0].length === 0) stop(`unexpected ${describe(i)}`);
    i += m![0].length;
  };
  /** The members of an object or array after its opening bracket: `member` reads one, commas between, `close` ends. */
  const members = (close: '}' | ']', member: () => void) => {
    i++;
    space();
    if (text[i] === close) {
      i++;
      return;
    }
    for (;;) {
      space();
      if (text[i] === close) stop(`trailing comma before "${close}"`);
      member();
      space();
      if (text[i] === ',') {
        i++;
        continue;
      }
      if (text[i] === close) {
        i++;
        return;
      }
      stop(`expected "," or "${close}", found ${describe(i)}`);
    }
  };
  const value = (): void => {
    space();
    const c = text[i];
    if (c === '{') {
      members('}', () => {
        if (text[i] !== '"')
          stop(text[i] === '/' ? 'comments are not JSON' : `expected a key in double quotes, found ${describe(i)}`);
        string();
        space();
        if (text[i] !== ':') stop(`expected ":", found ${describe(i)}`);
        i++;
        value();
      });
    } else if (c === '[') members(']', value);
    else if (c === '"') string();
    else if (c === 't') literal('true');
    else if (c === 'f') literal('false');
    else if (c === 'n') literal('null');
    else if (c === '/') stop('comments are not JSON');
    else if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) number();
    else stop(`expected a value, found ${describe(i)}`);
  };
  try {
    value();
    space();
    if (i < text.length) stop(`unexpected ${describe(i)} after the value`);
  } catch (err) {
    if (typeof err === 'object' && err !== null && 'offset' in err) return err as { offset: number; reason: string };
    throw err;
  }
  return { offset: 0, reason: 'not valid JSON' };
}
