/**
 * The floor: the least any JSON pipeline can do. Read a file in chunks, split lines, JSON.parse,
 * add one field, JSON.stringify, write — in one minimal loop, no framework. Usage: floor <in> <out>
 */
import { openSync, readSync, closeSync, createWriteStream } from 'node:fs';

const [input, output] = process.argv.slice(2) as [string, string];
const fd = openSync(input, 'r');
const out = createWriteStream(output);
const buf = Buffer.allocUnsafe(256 * 1024);
let rest = '';
let events = 0;
for (;;) {
  const n = readSync(fd, buf, 0, buf.length, null);
  if (n === 0) break;
  const text = rest + buf.toString('utf8', 0, n);
  const lines = text.split('\n');
  rest = lines.pop()!;
  let batch = '';
  for (const line of lines) {
    if (!line) continue;
    const e = JSON.parse(line) as Record<string, unknown>;
    e.processed = true;
    batch += JSON.stringify(e) + '\n';
    events++;
  }
  if (!out.write(batch)) await new Promise<void>((r) => out.once('drain', () => r()));
}
closeSync(fd);
await new Promise<void>((r) => out.end(r));
process.stdout.write(JSON.stringify({ events }) + '\n');
