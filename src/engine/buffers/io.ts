/**
 * The few file operations the disk buffer's writer performs, behind a small interface. Production
 * uses Node's fs/promises; tests wrap it to count fsyncs (group commit) and to inject write errors
 * on filesystems where a real ENOSPC cannot be arranged.
 */
import { open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';

export interface WritableSegment {
  /** Write `length` bytes of `buf` from `offset` at file position `position`; resolves with the count written. */
  write(buf: Buffer, offset: number, length: number, position: number): Promise<number>;
  sync(): Promise<void>;
  truncate(length: number): Promise<void>;
  close(): Promise<void>;
}

export interface BufferIo {
  /** Create a new segment file (it must not exist yet). */
  createSegment(path: string): Promise<WritableSegment>;
  /** Make file creations, renames and deletions in `dir` durable. */
  syncDir(dir: string): Promise<void>;
  /** Replace `path` with `data` atomically: temp file, fsync, rename, fsync of the directory. */
  writeAtomic(dir: string, name: string, data: string): Promise<void>;
}

class NodeSegment implements WritableSegment {
  constructor(private readonly fh: FileHandle) {}
  async write(buf: Buffer, offset: number, length: number, position: number): Promise<number> {
    return (await this.fh.write(buf, offset, length, position)).bytesWritten;
  }
  sync(): Promise<void> { return this.fh.sync(); }
  truncate(length: number): Promise<void> { return this.fh.truncate(length); }
  close(): Promise<void> { return this.fh.close(); }
}

export const nodeIo: BufferIo = {
  async createSegment(path) {
    return new NodeSegment(await open(path, 'wx'));
  },
  async syncDir(dir) {
    let fh: FileHandle | undefined;
    try {
      fh = await open(dir, 'r');
      await fh.sync();
    } catch (e) {
      // Some filesystems refuse fsync on a directory; the files themselves are still synced.
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'EINVAL' && code !== 'EISDIR' && code !== 'EPERM' && code !== 'EBADF') throw e;
    } finally {
      await fh?.close();
    }
  },
  async writeAtomic(dir, name, data) {
    const tmp = join(dir, `${name}.tmp`);
    try {
      const fh = await open(tmp, 'w');
      try {
        await fh.writeFile(data);
        await fh.sync();
      } finally {
        await fh.close();
      }
      await rename(tmp, join(dir, name));
    } catch (e) {
      await unlink(tmp).catch(() => undefined);
      throw e;
    }
    await nodeIo.syncDir(dir);
  },
};

// ---- errors -------------------------------------------------------------------------------------

/** An append could not be made durable. Nothing was acknowledged; the buffer stays usable. */
export class DiskBufferWriteError extends Error {
  override readonly name: string = 'DiskBufferWriteError';
  constructor(message: string, readonly path: string, readonly code: string | undefined, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The disk holding the buffer is full (ENOSPC) or over quota (EDQUOT). Retry once space is freed. */
export class DiskBufferFullError extends DiskBufferWriteError {
  override readonly name = 'DiskBufferFullError';
}

/** The buffer was closed while the append waited or before it started. */
export class DiskBufferClosedError extends Error {
  override readonly name = 'DiskBufferClosedError';
  constructor(readonly dir: string) {
    super(`the disk buffer in ${dir} is closed`);
  }
}

/** Wrap an fs error from `action` ("writing", "syncing", ...) on `path` into a buffer error. */
export function writeError(e: unknown, action: string, path: string): DiskBufferWriteError {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    const what = code === 'ENOSPC' ? 'no space left on device' : 'disk quota exceeded';
    return new DiskBufferFullError(`${what} ${action} ${path}; the events were not acknowledged (free space and they will be retried)`, path, code, { cause: e });
  }
  const reason = (e as Error).message ?? String(e);
  return new DiskBufferWriteError(`${action} ${path} failed: ${reason}; the events were not acknowledged`, path, code, { cause: e });
}

