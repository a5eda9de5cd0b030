/**
 * File identity for checkpoints. A path is not an identity (rotation renames files, a new file
 * takes the old name), and an inode alone is not one either (a deleted file's inode is re-used
 * by the next file created). The fingerprint is device + inode + a checksum of the file's first
 * line (at most HEAD_BYTES): it survives renames, and a re-used inode with different content
 * gets a different fingerprint.
 */
import { createHash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';

/** Most bytes of the first line that enter the checksum. */
export const HEAD_BYTES = 1024;

export interface FileId { dev: bigint; ino: bigint }

/** `dev:ino`, the key under which the source tracks open files. */
export function idOf(st: FileId): string {
  return `${st.dev}:${st.ino}`;
}

/**
 * Checksum of the file's first line (up to and including its newline, at most HEAD_BYTES).
 * Returns null while the first line is incomplete and shorter than HEAD_BYTES (the file is not
 * identifiable yet, and it has no complete line to read anyway), unless `force` is set: then
 * whatever bytes exist are used (a file that is being closed).
 */
export async function headChecksum(fh: FileHandle, size: number, scratch: Buffer, force = false): Promise<string | null> {
  const want = Math.min(size, HEAD_BYTES, scratch.length);
  if (want === 0) return null;
  const { bytesRead } = await fh.read(scratch, 0, want, 0);
  let n = bytesRead;
  const nl = scratch.subarray(0, n).indexOf(10);
  if (nl >= 0) n = nl + 1;
  else if (n < HEAD_BYTES && !force) return null;
  if (n === 0) return null;
  return createHash('sha256').update(scratch.subarray(0, n)).digest('base64url').slice(0, 16);
}

export function fingerprintOf(id: string, head: string): string {
  return `${id}:${head}`;
}
