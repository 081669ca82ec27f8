/**
 * Types for the untyped pure-JS codec packages the record-batch codec uses (snappyjs 0.7,
 * lz4js 0.2, which only writes frames): only the functions called here. Re-check them when either is upgraded.
 */
declare module 'snappyjs' {
  /** Refuses (throws) before allocating when the block's declared length exceeds maxLength. */
  export function uncompress(compressed: Uint8Array, maxLength?: number): Uint8Array;
  export function compress(uncompressed: Uint8Array): Uint8Array;
}

declare module 'lz4js' {
  /** A whole LZ4 frame (magic 0x184D2204). */
  export function compress(src: Uint8Array, maxSize?: number): Uint8Array;
}
