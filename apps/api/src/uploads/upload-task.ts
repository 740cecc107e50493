import type { DatasetRecord } from '@mlq/jobs';

export const uploadKinds = ['prices', 'text', 'pairs', 'messenger', 'word-vectors'] as const;
export type UploadKind = (typeof uploadKinds)[number];

export const formatsByKind: Record<UploadKind, readonly string[]> = {
  prices: ['auto', 'ohlc', 'long'],
  text: ['auto'],
  pairs: ['auto', 'json', 'csv'],
  messenger: ['auto'],
  'word-vectors': ['auto', 'glove', 'word2vec'],
};

/** What a parse thread is asked to do: parse the upload held in a temporary file. */
export interface UploadTask {
  kind: UploadKind;
  /** The temporary file holding the upload; removed by the caller, never by the thread. */
  path: string;
  /** Its size in bytes. */
  bytes: number;
  /** The dataset's name, used as the file name in parse errors. */
  name: string;
  format: string;
  series?: string;
  owner?: string;
  maxGapMinutes?: number;
  /** Bound of a text corpus (the upload limit). */
  maxBytes: number;
  /** Bound of the message JSON files inflated from a Messenger export. */
  maxMessengerJsonBytes: number;
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** What an upload becomes: the bytes kept in the store (under `file`) and the record's kind-specific part. */
export type ParsedUpload = { stored: Uint8Array; file: string } & DistributiveOmit<DatasetRecord, 'id' | 'name' | 'source' | 'createdAt' | 'artifactKey' | 'bytes' | 'license'>;
