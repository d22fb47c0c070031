import { mkdir, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { listNabFiles } from '../../../../src/detect/nab/layout.js';
import { csvText, put, tempDir } from './helpers.js';

describe('listNabFiles', () => {
  it('lists <category>/*.csv sorted and ignores everything else', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const csv = csvText([1, 2]);
      await put(dir, 'realB/z.csv', csv);
      await put(dir, 'realB/a.csv', csv);
      await put(dir, 'artA/m.csv', csv);
      await put(dir, 'README.txt', 'not data');
      await put(dir, 'top.csv', csv); // not in a category
      await put(dir, 'artA/notes.md', '#');
      await put(dir, 'artA/m.csv.bak', csv);
      await put(dir, 'artA/nested/deep.csv', csv); // nested junk
      await put(dir, 'artA/.hidden.csv', csv);
      await put(dir, '.git/x/y.csv', csv);
      await put(dir, '.cache.csv/x.csv', csv);
      await mkdir(join(dir, 'artA', 'dir.csv'));
      await mkdir(join(dir, 'emptyCat'));
      const files = await listNabFiles(dir);
      expect(files.map((f) => f.key)).toEqual(['artA/m.csv', 'realB/a.csv', 'realB/z.csv']);
      expect(files[0]!.path).toBe(join(dir, 'artA', 'm.csv'));
    } finally {
      await cleanup();
    }
  });
  it('follows symlinked categories and files', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      await put(dir, 'store/real.csv', csvText([1]));
      await mkdir(join(dir, 'root', 'cat'), { recursive: true });
      await symlink(join(dir, 'store', 'real.csv'), join(dir, 'root', 'cat', 'linked.csv'));
      await symlink(join(dir, 'store'), join(dir, 'root', 'other'));
      await symlink(join(dir, 'missing.csv'), join(dir, 'root', 'cat', 'dangling.csv'));
      expect((await listNabFiles(join(dir, 'root'))).map((f) => f.key)).toEqual(['cat/linked.csv', 'other/real.csv']);
    } finally {
      await cleanup();
    }
  });
  it('rejects a missing directory or a file with bad_nab_dir', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      await expect(listNabFiles(join(dir, 'nope'))).rejects.toMatchObject({ code: 'bad_nab_dir', httpStatus: 400 });
      const file = await put(dir, 'f.txt', 'x');
      await expect(listNabFiles(file)).rejects.toMatchObject({ code: 'bad_nab_dir' });
      expect(await listNabFiles(dir)).toEqual([]);
    } finally {
      await cleanup();
    }
  });
  it('matches a model on random trees (fast-check)', async () => {
    const name = fc.stringMatching(/^[A-Za-z0-9_.-]{1,12}$/).filter((s) => s !== '.' && s !== '..');
    const entry = fc.record({
      category: fc.oneof(name, fc.constant('')),
      sub: fc.oneof(fc.constant(''), name),
      base: name,
      ext: fc.constantFrom('.csv', '.txt', '', '.csv.gz', '.json'),
    });
    const { dir, cleanup } = await tempDir();
    let run = 0;
    try {
      await fc.assert(
        fc.asyncProperty(fc.array(entry, { maxLength: 12 }), async (entries) => {
          const root = join(dir, `run${run++}`);
          await mkdir(root);
          const expected = new Set<string>();
          const taken = new Set<string>();
          for (const e of entries) {
            const parts = [e.category, e.sub, `${e.base}${e.ext}`].filter((p) => p !== '');
            const rel = parts.join('/');
            // Skip paths that would collide with an existing file/dir prefix.
            if ([...taken].some((t) => t === rel || t.startsWith(`${rel}/`) || rel.startsWith(`${t}/`))) continue;
            try {
              await put(root, rel, 'timestamp,value\n');
            } catch {
              continue;
            }
            taken.add(rel);
            const leaf = parts[parts.length - 1]!;
            if (parts.length === 2 && !parts[0]!.startsWith('.') && !leaf.startsWith('.') && leaf.toLowerCase().endsWith('.csv')) {
              expected.add(rel);
            }
          }
          const got = (await listNabFiles(root)).map((f) => f.key);
          expect(got).toEqual([...expected].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
        }),
        { numRuns: 40 },
      );
    } finally {
      await cleanup();
    }
  });
});
