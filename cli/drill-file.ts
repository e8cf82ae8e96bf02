// Reads a drill file and checks it (coordinator/drill/check-text.ts: every problem at its line and column).
import { readFile } from 'node:fs/promises';
import { checkDrillText, type CheckedDrill } from '../coordinator/drill/check-text.js';
import { UsageError } from './exit.js';

export { checkDrillText, type CheckedDrill, type DrillProblem } from '../coordinator/drill/check-text.js';

/** Reads and checks FILE ("-" is stdin). */
export async function checkDrillFile(file: string): Promise<CheckedDrill> {
  let text: string;
  try {
    text = file === '-' ? await readStdin() : await readFile(file, 'utf8');
  } catch (cause) {
    throw new UsageError(`cannot read ${file}: ${(cause as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (cause as Error).message}`, { cause });
  }
  return checkDrillText(text, file);
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
