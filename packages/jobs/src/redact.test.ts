import { homedir, tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { redactPaths, redactPathsDeep, registerSensitiveRoot } from './redact.ts';

describe('redactPaths', () => {
  it('hides absolute paths in the messages libraries write', () => {
    expect(redactPaths("ENOENT: no such file or directory, open '/data/store/models/m_1/weights.bin'")).toBe("ENOENT: no such file or directory, open '<path>'");
    expect(redactPaths('EACCES: permission denied, mkdir /var/lib/mlq/store/datasets')).toBe('EACCES: permission denied, mkdir <path>');
    expect(redactPaths('cannot read file:///srv/mlq/store/x.json: bad')).toBe('cannot read <path>: bad');
    expect(redactPaths('open C:\\Users\\me\\store\\weights.bin failed')).toBe('open <path> failed');
    const script = path.join(homedir(), 'work/mlq/node_modules/x.js');
    expect(redactPaths(`at ${script}:10:5, then (${path.join(tmpdir(), 'a/b')})`)).toBe('at <path>, then (<path>)');
  });

  it('hides the store root and the working directory wherever they are', () => {
    registerSensitiveRoot('/custom-store/artifacts');
    expect(redactPaths('ENOSPC: no space left on device, write "/custom-store/artifacts/models/m_2/weights.bin"')).toBe('ENOSPC: no space left on device, write "<path>"');
    expect(redactPaths(`missing ${process.cwd()}/packages/x`)).toBe('missing <path>');
    expect(redactPaths('in /opaque/root/file', ['/opaque/root'])).toBe('in <path>');
  });

  it('leaves field names, URL paths, artifact keys and ratios alone', () => {
    for (const text of [
      'body/params/epochs must be <= 1000',
      'no route GET /v1/models/btc',
      'the artifact store could not write models/m_b/weights.bin (ENOTDIR)',
      'cancel it (DELETE /v1/jobs/tr_1)',
      'loss 0.5/0.7, 3/4 done, prices.csv line 3',
    ]) {
      expect(redactPaths(text)).toBe(text);
    }
  });

  it('reaches strings inside details', () => {
    expect(redactPathsDeep({ file: path.join(tmpdir(), 'upload-1/x.csv'), line: 3, candidates: ['Ann', homedir()], nested: { at: null } })).toEqual({
      file: '<path>',
      line: 3,
      candidates: ['Ann', '<path>'],
      nested: { at: null },
    });
  });
});
